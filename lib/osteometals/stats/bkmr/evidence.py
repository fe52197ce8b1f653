"""Where the posterior mass is: regions of the draws; the marginal likelihood of ``(r, lambda)``.

Two tools for a posterior whose chains stay in the region where they start:

* **regions of the draws** (:func:`classify`, :func:`region_table`): each draw
  is *rough* (every exposure in, every ``r_m`` at least ``rough_r``: a
  kernel that makes ``h`` nearly independent latent noise) or *smooth*
  (the rest); per chain and region the share of draws (the occupancy), the
  log likelihood of the latent scores and the log prior of
  ``(r, delta, lambda)``. The augmented log likelihood of ``z*`` is **not**
  comparable between regions (in a rough region ``z*`` is spread out, its
  density per state lower and its volume larger), so the table is a
  description, not evidence.
* **the marginal likelihood** ``log p(y | r, delta, lambda)`` with ``h``,
  ``beta`` and ``z*`` integrated out (:func:`log_marginal_likelihood`), which
  *is* comparable: expectation propagation (EP) for the probit Gaussian
  process, in the parallel form of Rasmussen and Williams (2006, Gaussian
  Processes for Machine Learning, section 3.6 and Algorithm 3.5; log Z_EP as
  in GPML's ``infEP``). Kuss and Rasmussen (2005, JMLR 6:1679) found EP's
  log marginal likelihood within a fraction of a nat of annealed importance
  sampling for probit GPs. The prior of ``f = h + C beta`` is
  ``N(0, lambda K + s^2 C C')`` for ``beta ~ N(0, s^2 I)``; for bkmr's flat
  prior, ``s = 30`` and the volume term ``(p / 2) log(2 pi s^2)`` turns the
  normal into the flat prior (exact as ``s`` grows while the likelihood of
  ``beta`` stays narrow). :func:`lambda_scan` tabulates it along ``lambda``.

The research behind this module (issue 15; the notes are reproduced in
chapter 5): under the flat prior, the marginal likelihood of a rough kernel
rises by about 19 nats per decade of ``lambda`` up to ``lambda = 1000``
(``(1 + lambda)^(p/2)``, the volume factor of the flat ``beta``), so the
posterior is dominated by the tail of the ``lambda`` prior; under
``N(0, 1)`` it peaks at ``lambda`` of 1 to 3.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.linalg import lapack
from scipy.special import log_ndtr

from .kernels import cross_kernel, squared_distances

__all__ = ["classify", "region_table", "log_marginal_likelihood", "lambda_scan", "ROUGH_R",
           "FLAT_BETA_SD", "ep_log_likelihood", "joblib_evaluate"]

#: A draw is in the rough region when every exposure is in with ``r_m`` at least this.
ROUGH_R = 0.3
#: Prior sd standing in for bkmr's flat prior in :func:`log_marginal_likelihood`.
FLAT_BETA_SD = 30.0


def classify(r: np.ndarray, delta: np.ndarray, rough_r: float = ROUGH_R) -> np.ndarray:
    """``True`` for draws in the rough region (every exposure in, every ``r_m >= rough_r``).

    Parameters
    ----------
    r, delta : ndarray, shape (..., M)
    rough_r : float

    Returns
    -------
    ndarray of bool, shape (...)
    """
    return np.all(delta, axis=-1) & np.all(np.where(delta, r, 0.0) >= rough_r, axis=-1)


def region_table(fit, rough_r: float = ROUGH_R) -> pd.DataFrame:
    """Per chain and region: occupancy, PIPs, ``lambda``, log likelihood and log prior.

    Parameters
    ----------
    fit : BKMRFit
    rough_r : float

    Returns
    -------
    DataFrame
        ``chain``, ``start``, ``region`` (``"rough"`` / ``"smooth"``),
        ``share`` (of the chain's kept draws), ``lambda_median``,
        ``n_included_mean``, ``loglik_median`` (of the latent scores),
        ``logprior_median``; chains that never visit a region have no row
        for it.
    """
    d = fit.draws
    rough = classify(d["r"], d["delta"], rough_r)
    rows = []
    for c in range(fit.n_chains):
        for name, mask in (("rough", rough[c]), ("smooth", ~rough[c])):
            if not mask.any():
                continue
            rows.append({
                "chain": c, "start": fit.info[c].get("start", ""), "region": name,
                "share": float(mask.mean()),
                "lambda_median": float(np.median(d["lambda"][c][mask])),
                "n_included_mean": float(d["delta"][c][mask].sum(-1).mean()),
                "loglik_median": float(np.median(d["loglik"][c][mask])),
                "logprior_median": float(np.median(d["logprior"][c][mask])),
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# expectation propagation for the probit Gaussian process
# --------------------------------------------------------------------------


def _chol(A: np.ndarray) -> np.ndarray:
    c, info = lapack.dpotrf(A, lower=1, clean=1)
    if info:
        raise np.linalg.LinAlgError(f"dpotrf failed ({info})")
    return c


def _posterior(Sigma: np.ndarray, ttau: np.ndarray, tnu: np.ndarray):
    """EP's Gaussian posterior for site precisions ``ttau`` and shifts ``tnu``.

    Returns the Cholesky factor of ``B = I + W^1/2 Sigma W^1/2``, the
    posterior variances (the diagonal of ``Sigma - Sigma W^1/2 B^-1 W^1/2 Sigma``;
    the full matrix is never formed) and the posterior mean.
    """
    n = len(ttau)
    sW = np.sqrt(ttau)
    B = sW[:, None] * Sigma * sW[None, :]
    B.reshape(-1)[:: n + 1] += 1.0
    L = _chol(B)
    V = lapack.dtrtrs(L, sW[:, None] * Sigma, lower=1)[0]
    var = np.diagonal(Sigma) - np.einsum("ij,ij->j", V, V)
    mu = Sigma @ tnu - V.T @ (V @ tnu)
    return L, var, mu


def ep_probit(Sigma: np.ndarray, y: np.ndarray, max_iter: int = 200, tol: float = 1e-4,
              damping: float = 0.5, init: tuple | None = None) -> dict:
    """Parallel EP for ``prod_i Phi(s_i f_i) N(f; 0, Sigma)``, ``s_i = 2 y_i - 1``.

    Parameters
    ----------
    Sigma : ndarray, shape (n, n)
        Prior covariance of the latent ``f``.
    y : ndarray of 0/1, shape (n,)
    max_iter : int
    tol : float
        Stop when the largest change of the site parameters is below this.
    damping : float
        Weight of the new site parameters after the first sweep.
    init : tuple of ndarray, optional
        Site parameters ``(ttau, tnu)`` to start from (a neighbouring
        ``Sigma``'s, which saves iterations).

    Returns
    -------
    dict
        ``log_z`` (log marginal likelihood), ``iterations``, ``converged``,
        ``sites`` (the final ``(ttau, tnu)``).
    """
    n = len(y)
    s = 2.0 * np.asarray(y, dtype=float) - 1.0
    if init is None:
        ttau, tnu = np.zeros(n), np.zeros(n)
        mu, d = np.zeros(n), np.diagonal(Sigma).copy()
    else:
        ttau, tnu = init[0].copy(), init[1].copy()
        _, d, mu = _posterior(Sigma, ttau, tnu)
    L = None
    converged = False
    for it in range(max_iter):
        tau_c = np.maximum(1.0 / d - ttau, 1e-12)
        nu_c = mu / d - tnu
        m_c, v_c = nu_c / tau_c, 1.0 / tau_c
        zz = s * m_c / np.sqrt(1.0 + v_c)
        ratio = np.exp(-0.5 * zz**2 - log_ndtr(zz)) / math.sqrt(2 * math.pi)  # N(z) / Phi(z)
        m_hat = m_c + s * v_c * ratio / np.sqrt(1.0 + v_c)
        v_hat = v_c - v_c**2 * ratio * (zz + ratio) / (1.0 + v_c)
        ttau_new = np.maximum(1.0 / v_hat - tau_c, 1e-12)
        tnu_new = m_hat / v_hat - nu_c
        change = np.max(np.abs(ttau_new - ttau)) + np.max(np.abs(tnu_new - tnu))
        w = 1.0 if it == 0 and init is None else damping
        ttau = (1 - w) * ttau + w * ttau_new
        tnu = (1 - w) * tnu + w * tnu_new
        L, d, mu = _posterior(Sigma, ttau, tnu)
        if change < tol and it > 2:
            converged = True
            break
    tau_c = 1.0 / d - ttau
    nu_c = mu / d - tnu
    m_c, v_c = nu_c / tau_c, 1.0 / tau_c
    log_zi = log_ndtr(s * m_c / np.sqrt(1.0 + v_c))
    logdet_b = 2.0 * np.log(np.diagonal(L)).sum()
    nlz = (0.5 * logdet_b - log_zi.sum() - tnu @ mu / 2
           - (nu_c @ ((ttau / tau_c * nu_c - 2 * tnu) / (ttau + tau_c))) / 2
           + (tnu**2 / (tau_c + ttau)).sum() / 2 - np.log1p(ttau / tau_c).sum() / 2)
    return {"log_z": float(-nlz), "iterations": it + 1, "converged": converged,
            "sites": (ttau, tnu)}


def log_marginal_likelihood(Z: np.ndarray, X: np.ndarray, y: np.ndarray, r: np.ndarray,
                            lam: float, beta_sd: float | None = 1.0,
                            tol: float = 1e-4, init: tuple | None = None) -> dict:
    """EP estimate of ``log p(y | r, lambda)`` of probit BKMR (``h``, ``beta``, ``z*`` integrated).

    Parameters
    ----------
    Z : ndarray, shape (n, M)
    X : ndarray, shape (n, p)
    y : ndarray of 0/1, shape (n,)
    r : ndarray, shape (M,)
        Relevances (0: exposure excluded).
    lam : float
    beta_sd : float or None
        Prior sd of each ``beta``; None for bkmr's flat prior (see the
        module docstring).
    tol : float
        EP convergence tolerance.
    init : tuple, optional
        Site parameters to start EP from (see :func:`ep_probit`).

    Returns
    -------
    dict
        ``log_z``, ``iterations``, ``converged``, ``sites``.
    """
    sd = FLAT_BETA_SD if beta_sd is None else beta_sd
    Sigma = lam * cross_kernel(np.asarray(r, dtype=float), squared_distances(Z, Z))
    if X.shape[1]:
        Sigma = Sigma + sd**2 * (X @ X.T)
    out = ep_probit(Sigma, y, tol=tol, init=init)
    if beta_sd is None:
        out["log_z"] += 0.5 * X.shape[1] * math.log(2 * math.pi * sd**2)
    return out


def _ep_log_z(Z, X, y, beta_sd, r, lam, tol: float = 1e-3) -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return log_marginal_likelihood(Z, X, y, r, lam, beta_sd, tol=tol)["log_z"]


def ep_log_likelihood(Z: np.ndarray, X: np.ndarray, y: np.ndarray, beta_sd: float | None):
    """``log p(y | r, lambda)`` by EP as a picklable function of ``(r, lam)`` (one BLAS thread).

    For :func:`.masses.region_masses`; ``beta_sd`` as in
    :func:`log_marginal_likelihood`. EP runs to a tolerance of 1e-3 on the
    site parameters: on the cohort its log marginal likelihood agrees with
    the 1e-4 run to 1e-3 nats.
    """
    from functools import partial

    return partial(_ep_log_z, Z, X, y, beta_sd)


def joblib_evaluate(n_jobs: int):
    """An ``evaluate(function, argument_tuples)`` that runs the calls in ``n_jobs`` processes."""
    from joblib import Parallel, delayed

    def evaluate(function, args):
        return Parallel(n_jobs=n_jobs)(delayed(function)(*a) for a in args)

    return evaluate


def lambda_scan(Z, X, y, cases: dict[str, np.ndarray], lams, beta_sds=(None, 1.0),
                n_jobs: int = 1) -> pd.DataFrame:
    """``log p(y | r, lambda)`` along ``lambda`` for some relevance vectors and beta priors.

    Parameters
    ----------
    Z, X, y : arrays
    cases : dict
        Name -> relevance vector ``r``.
    lams : sequence of float
    beta_sds : sequence of (float or None)
        None: bkmr's flat prior.
    n_jobs : int
        Processes (joblib), one BLAS thread each.

    Returns
    -------
    DataFrame
        ``case``, ``beta_prior`` (``"flat"`` or ``"N(0, s^2)"``), ``lambda``,
        ``log_marginal_likelihood``, ``log_prior_lambda`` (bkmr's gamma prior
        with mean and sd 10), ``ep_iterations``, ``converged``.
    """
    from joblib import Parallel, delayed

    jobs = [(name, sd) for name in cases for sd in beta_sds]
    res = Parallel(n_jobs=n_jobs)(delayed(_scan_one)(Z, X, y, cases[name], sorted(lams), sd)
                                  for name, sd in jobs)
    rows = []
    for (name, sd), outs in zip(jobs, res, strict=True):
        for lam, out in outs:
            rows.append({"case": name, "beta_prior": "flat" if sd is None else f"N(0, {sd:g}^2)",
                         "lambda": lam, "log_marginal_likelihood": out["log_z"],
                         "log_prior_lambda": math.log(0.1) - 0.1 * lam,
                         "ep_iterations": out["iterations"], "converged": out["converged"]})
    return pd.DataFrame(rows)


def _scan_one(Z, X, y, r, lams, sd, tol: float = 1e-3):
    """One case and prior along increasing ``lambda``, each EP started from the last one's sites."""
    from threadpoolctl import threadpool_limits

    out, sites = [], None
    with threadpool_limits(limits=1, user_api="blas"):
        for lam in lams:
            res = log_marginal_likelihood(Z, X, y, r, lam, sd, tol=tol, init=sites)
            sites = res.pop("sites")
            out.append((lam, res))
    return out
