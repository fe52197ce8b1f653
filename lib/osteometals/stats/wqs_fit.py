"""WQS fitting: the constrained fit of one (bootstrap) sample and the bootstrap loop.

The constrained fit uses an exact reparametrisation: with
``theta_j = beta1 * w_j`` the WQS constraints (``w >= 0``, ``sum(w) = 1``,
``beta1`` in the chosen direction) become ``theta_j >= 0`` (positive
direction) or ``theta_j <= 0`` (negative direction), and the model is an
ordinary GLM in ``(gamma, theta)`` with sign bounds on ``theta``. Its
negative log-likelihood is convex (logistic and gaussian), so a projected
Newton method (with L-BFGS-B as fall-back) reaches the global optimum;
``beta1 = sum(theta)`` and ``w = theta / beta1`` are recovered afterwards.
No GLM library offers sign-bounded coefficients, hence this small solver.

gWQS then refits an ordinary GLM of the outcome on the covariates and the
index ``Q w`` and takes the Wald statistic of ``beta1`` as the bootstrap's
signal. That refit needs no optimisation here: at the constrained optimum
the score of ``(gamma, beta1)`` is zero (the score of every ``theta_j`` with
``w_j > 0`` is zero, and the score of ``beta1`` is their ``w``-weighted
sum), so the refit's maximum *is* the constrained optimum, and its
model-based standard error comes from the shared
:func:`osteometals.stats.glm.model_cov` at that point. Only when the optimum
is ``beta1 = 0`` (no exposure acts in the direction; equal weights) is the
GLM refitted, with :func:`osteometals.stats.glm.fit_arrays`.

A bootstrap sample in which a covariate level has no case (or only cases)
is separated: that covariate's coefficient runs off to infinity while the
index part of the fit stays finite. Such a sample counts as converged when
the constrained optimiser reaches its tolerance, as in gWQS (whose ``glm``
refit warns but returns). An earlier version of this module refitted with
its own Newton iteration, which failed to converge there and silently left
those bootstraps out of the average.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, special

from osteometals.stats.glm import Family, check_family, fit_arrays, model_cov, non_aliased

Direction = Literal["positive", "negative"]

SIGN = {"positive": 1.0, "negative": -1.0}

__all__ = ["Direction", "WQSFitOne", "boot_chunk", "fit_wqs_sample"]


def _nll_and_score(eta: np.ndarray, y: np.ndarray, wt: np.ndarray, family: str):
    """Negative log-likelihood (half deviance) and its derivative in ``eta``."""
    if family == "binomial":
        f = np.sum(wt * (np.logaddexp(0.0, eta) - y * eta))
        r = wt * (special.expit(eta) - y)
    else:
        res = y - eta
        f = 0.5 * np.sum(wt * res * res)
        r = -wt * res
    return f, r




@dataclass
class WQSFitOne:
    """The constrained WQS fit of one (bootstrap) sample.

    Attributes
    ----------
    w : numpy.ndarray
        Weights (non-negative, sum 1; equal weights when ``beta1 == 0``).
    beta1 : float
        Index coefficient of the refitted GLM (the gWQS ``b1``).
    se : float
        Its model-based standard error.
    stat : float
        ``beta1 / se`` (z for binomial, t for gaussian).
    params : numpy.ndarray
        Covariate coefficients (intercept first) of the constrained fit.
    nll : float
        Minimised negative log-likelihood (half the deviance).
    converged : bool
        Whether the optimiser reported success.
    """

    w: np.ndarray
    beta1: float
    se: float
    stat: float
    params: np.ndarray
    nll: float
    converged: bool


def _fit_orthant(y, X, Q, wt, family, sign, x0):
    """Minimise the negative log-likelihood with ``sign * theta >= 0``.

    Projected Newton (Bertsekas 1982): Newton steps on the free variables,
    bounded variables at zero with an outward gradient held fixed, and an
    Armijo back-tracking along the projection arc. The problem is convex and
    small, so this converges in a handful of iterations; L-BFGS-B is the
    fall-back if it does not.
    """
    p, k = X.shape[1], Q.shape[1]
    Z = np.column_stack([X, sign * Q])
    scale = 1.0 / np.sum(wt)
    lower = np.concatenate([np.full(p, -np.inf), np.zeros(k)])
    par = np.maximum(np.asarray(x0, dtype=float), lower)

    def value(par):
        f, r = _nll_and_score(Z @ par, y, wt, family)
        return f * scale, r

    f, r = value(par)
    for _ in range(100):
        grad = Z.T @ r * scale
        if np.max(np.abs(par - np.maximum(par - grad, lower))) < 1e-9:
            return par, f / scale, True
        eta = Z @ par
        v = special.expit(eta) * (1 - special.expit(eta)) if family == "binomial" else 1.0
        active = (par <= lower + 1e-10) & (grad > 0)
        free = ~active
        Zf = Z[:, free]
        H = (Zf * (wt * v * scale)[:, None]).T @ Zf
        try:
            step_f = np.linalg.solve(H, grad[free])
        except np.linalg.LinAlgError:
            step_f = np.linalg.lstsq(H, grad[free], rcond=None)[0]
        step = np.zeros_like(par)
        step[free] = step_f
        t = 1.0
        while t > 1e-10:
            cand = np.maximum(par - t * step, lower)
            f_c, r_c = value(cand)
            if f_c <= f + 1e-4 * grad @ (cand - par):
                break
            t *= 0.5
        else:
            break
        par, f, r = cand, f_c, r_c
    return _fit_orthant_lbfgsb(y, X, Q, wt, family, sign, par)


def _fit_orthant_lbfgsb(y, X, Q, wt, family, sign, x0):
    """Fall-back of :func:`_fit_orthant`: bounded quasi-Newton (L-BFGS-B)."""
    p, k = X.shape[1], Q.shape[1]
    scale = 1.0 / np.sum(wt)

    def fun(par):
        eta = X @ par[:p] + sign * (Q @ par[p:])
        f, r = _nll_and_score(eta, y, wt, family)
        return f * scale, np.concatenate([X.T @ r, sign * (Q.T @ r)]) * scale

    bounds = [(None, None)] * p + [(0.0, None)] * k
    res = optimize.minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
    )
    return res.x, res.fun / scale, bool(res.success)


def _index_se(y, X, index, coef, family, wt):
    """Model-based SE of the index coefficient (last column) of the GLM at ``coef``."""
    Z = np.column_stack([X, index])
    keep = non_aliased(Z, wt)
    if keep.size == 0 or keep[-1] != Z.shape[1] - 1:
        return np.nan
    Zk = Z[:, keep]
    eta = Zk @ coef[keep]
    mu = special.expit(eta) if family == "binomial" else eta
    dispersion = 1.0
    if family == "gaussian":
        dispersion = float(np.sum(wt * (y - mu) ** 2) / max(len(y) - len(keep), 1))
    cov = model_cov(Zk, mu, family, wt, dispersion)
    return float(np.sqrt(max(cov[-1, -1], 0.0)))


def fit_wqs_sample(
    y: np.ndarray,
    X: np.ndarray,
    Q: np.ndarray,
    family: Family = "binomial",
    direction: Direction = "positive",
    wt: np.ndarray | None = None,
    b1_constr: bool = True,
    start: np.ndarray | None = None,
) -> WQSFitOne:
    """Fit the WQS model with weights and index coefficient estimated jointly.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome.
    X : numpy.ndarray
        Covariate design with the intercept as first column.
    Q : numpy.ndarray
        Quantile scores, one column per exposure.
    family : {"binomial", "gaussian"}
        Logistic or linear model.
    direction : {"positive", "negative"}
        Direction of ``beta1`` when ``b1_constr`` is true.
    wt : numpy.ndarray, optional
        Case weights.
    b1_constr : bool
        Constrain ``beta1`` to ``direction``. If false, the sign is free and
        the better of the two sign-constrained optima is returned.
    start : numpy.ndarray, optional
        Starting covariate coefficients (length ``X.shape[1]``).

    Returns
    -------
    WQSFitOne
        Weights, the index coefficient of the GLM refit (module notes) and its
        Wald statistic.
    """
    check_family(family)
    n, p = X.shape
    k = Q.shape[1]
    wt = np.ones(n) if wt is None else np.asarray(wt, dtype=float)
    a0 = np.zeros(p) if start is None else np.nan_to_num(np.asarray(start, dtype=float))
    x0 = np.concatenate([a0, np.full(k, 1e-3)])
    signs = [SIGN[direction]] if b1_constr else [1.0, -1.0]
    best = None
    for s in signs:
        par, nll, ok = _fit_orthant(y, X, Q, wt, family, s, x0)
        if best is None or nll < best[1] - 1e-12:
            best = (par, nll, ok, s)
    par, nll, ok, s = best
    theta = par[p:]
    total = theta.sum()
    if total > 0:
        w = theta / total
        beta1 = float(s * total)
        se = _index_se(y, X, Q @ w, np.concatenate([par[:p], [beta1]]), family, wt)
    else:  # beta1 = 0: refit the GLM of the equal-weight index, as gWQS
        w = np.full(k, 1.0 / k)
        refit = fit_arrays(y, np.column_stack([X, Q @ w]), family, wt)
        beta1 = float(refit.params[-1])
        se = _index_se(y, X, Q @ w, np.nan_to_num(refit.params), family, wt)
        ok = ok and refit.converged
    stat = beta1 / se if se > 0 else 0.0
    return WQSFitOne(w, beta1, se, stat, par[:p], float(nll), ok)


def boot_chunk(seeds, y, X, Q, wt, family, directions, b1_constr, start):
    """Fit a chunk of bootstrap samples; each sample drawn from its own seed."""
    n = len(y)
    out = []
    for seed in seeds:
        idx = np.arange(n) if seed is None else np.random.default_rng(seed).integers(0, n, n)
        args = (y[idx], X[idx], Q[idx], family)
        if b1_constr:
            fits = {d: fit_wqs_sample(*args, d, wt[idx], True, start) for d in directions}
        else:
            one = fit_wqs_sample(*args, "positive", wt[idx], False, start)
            fits = dict.fromkeys(directions, one)
        out.append(fits)
    return out
