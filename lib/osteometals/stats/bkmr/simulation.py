"""Simulated data with a known truth, for tests and teaching.

* :func:`simulate`: probit BKMR data with a known ``h`` (some exposures
  active, the rest not), optionally with an interaction;
* :func:`bimodal`: a small Gaussian-outcome kernel machine whose posterior
  has two separated regions (a rough and a flat ``h``), with the exact
  mass of each computed by quadrature in :func:`bimodal_masses`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import logsumexp

from .data import MixtureData
from .priors import BKMRPriors

__all__ = ["simulate", "bimodal", "bimodal_masses", "BIMODAL_ROUGH_R"]


def simulate(n: int = 300, seed: int = 1, *, n_exposures: int = 5, n_covariates: int = 2,
             rho: float = 0.3, active: Sequence[int] = (0, 1), effect: float = 1.0,
             interaction: float = 0.0) -> tuple[MixtureData, Callable[[np.ndarray], np.ndarray]]:
    """Simulate a probit BKMR data set with a known exposure-response function.

    Exposures are equicorrelated standard normals (correlation ``rho``);
    ``h(x) = effect * (x_a0 + 0.75 * tanh(2 x_a1) + ...) + interaction * x_a0 * x_a1``:
    the first active exposure enters linearly, the second through ``tanh``
    (a threshold-like curve), further active exposures linearly at half
    weight, and the first two interact with coefficient ``interaction``.
    Covariates are standard normal with coefficients 0.3 and the probit
    intercept is -0.5.

    Parameters
    ----------
    n, seed : int
        Sample size and random seed.
    n_exposures, n_covariates : int
    rho : float
        Correlation between exposures.
    active : sequence of int
        Exposures entering ``h``.
    effect : float
        Overall scale of the main effects.
    interaction : float
        Coefficient of the product of the first two active exposures.

    Returns
    -------
    data : MixtureData
    h : callable
        The true ``h``, mapping an ``(k, M)`` array of exposure profiles to
        ``(k,)`` values (without the intercept, which is in the outcome).
    """
    rng = np.random.default_rng(seed)
    cov = np.full((n_exposures, n_exposures), rho) + (1 - rho) * np.eye(n_exposures)
    Z = rng.multivariate_normal(np.zeros(n_exposures), cov, size=n)
    X = rng.normal(size=(n, n_covariates))
    active = tuple(active)
    if interaction and len(active) < 2:
        raise ValueError("an interaction needs two active exposures")

    def h(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        out = np.zeros(len(x))
        for j, a in enumerate(active):
            if j == 0:
                out += x[:, a]
            elif j == 1:
                out += 0.75 * np.tanh(2 * x[:, a])
            else:
                out += 0.5 * x[:, a]
        out = effect * out
        if interaction:
            out = out + interaction * x[:, active[0]] * x[:, active[1]]
        return out

    latent = -0.5 + h(Z) + X @ np.full(n_covariates, 0.3) + rng.normal(size=n)
    data = MixtureData(
        y=(latent > 0).astype(int),
        Z=Z,
        X=X,
        exposure_names=tuple(f"z{m + 1}" for m in range(n_exposures)),
        covariate_names=tuple(f"c{j + 1}" for j in range(n_covariates)),
        log_mean=np.zeros(n_exposures),
        log_sd=np.ones(n_exposures),
    )
    return data, h


#: In :func:`bimodal`, the rough region: the exposure in with ``r > BIMODAL_ROUGH_R``.
BIMODAL_ROUGH_R = 1.0


def bimodal(n: int = 300, seed: int = 3, amplitude: float = 0.55,
            frequency: float = 9.0) -> tuple[np.ndarray, np.ndarray]:
    """A small Gaussian-outcome kernel machine with two separated posterior regions.

    ``y = amplitude * sin(frequency * x) + e``, ``e ~ N(0, 1)``, centred, with
    ``x`` uniform on (-1.7, 1.7): one exposure. Fitted with the unit
    residual variance known (``family="gaussian"``), the posterior has a
    *rough* region (``x`` in with ``r > 1``: the wiggles are signal) holding
    0.32 of the mass at the defaults (:func:`bimodal_masses`) and a *flat*
    one (``x`` out, 0.48, or ``r`` small: the wiggles are noise). Between
    them, at ``r`` near 1, the density is several nats lower whatever
    ``lambda`` is, so a plain chain switches rarely (a few times in two
    thousand sweeps); the exact masses are known by quadrature, which makes
    it the test bed of the tempered sampler.

    Parameters
    ----------
    n, seed : int
    amplitude, frequency : float

    Returns
    -------
    y : ndarray, shape (n,)
    Z : ndarray, shape (n, 1)
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.7, 1.7, n))
    y = amplitude * np.sin(frequency * x) + rng.normal(size=n)
    return y - y.mean(), x[:, None]


def _gauss_ll_batch(y: np.ndarray, K: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """``log N(y; 0, I + lam K)`` for each ``lam``."""
    n = len(y)
    w, U = np.linalg.eigh(K)
    w = np.clip(w, 0, None)
    u2 = (U.T @ y) ** 2
    d = 1.0 + lams[:, None] * w[None, :]
    return -0.5 * (n * math.log(2 * math.pi) + np.log(d).sum(1) + (u2[None, :] / d).sum(1))


def bimodal_masses(y: np.ndarray, Z: np.ndarray, priors: BKMRPriors | None = None,
                   n_r: int = 61, n_lam: int = 81, r_max: float = 1000.0,
                   lam_range: tuple[float, float] = (1e-4, 1e4)) -> dict:
    """Exact posterior masses of the Gaussian-outcome model, by quadrature.

    The model: ``y ~ N(0, I + lambda K_r)`` (unit residual variance, no
    covariates) with the priors of :class:`BKMRPriors` and component-wise
    selection. For each of the ``2^M`` selection vectors the evidence is
    integrated over ``log r_m`` (on ``[log(1 / r_b), log r_max]``) and
    ``log lambda`` by the trapezoid rule; ``log N`` is exact (an
    eigendecomposition of ``K`` serves every ``lambda``).

    Parameters
    ----------
    y : ndarray, shape (n,)
    Z : ndarray, shape (n, M); M at most 3
    priors : BKMRPriors, optional
    n_r, n_lam : int
        Grid points per ``log r_m`` and for ``log lambda``.
    r_max : float
        Upper end of the ``r`` grid (the prior mass above it is below
        ``1 / (r_b r_max)``).
    lam_range : tuple of float

    Returns
    -------
    dict
        ``masses`` (selection vector as a tuple of 0/1 -> posterior
        probability), ``p_rough`` (probability that every exposure is in
        with ``r_m > BIMODAL_ROUGH_R``), ``pip`` (per exposure),
        ``log_evidence``.
    """
    priors = priors or BKMRPriors()
    n, M = Z.shape
    if M > 3:
        raise ValueError("quadrature is for at most 3 exposures")
    t_r = np.linspace(math.log(priors.r_lower), math.log(r_max), n_r)
    w_r = np.full(n_r, t_r[1] - t_r[0])
    w_r[[0, -1]] *= 0.5
    lw_r = np.log(w_r) + np.array([priors.log_prior_r(v) for v in np.exp(t_r)]) + t_r
    t_l = np.linspace(math.log(lam_range[0]), math.log(lam_range[1]), n_lam)
    lam = np.exp(t_l)
    w_l = np.full(n_lam, t_l[1] - t_l[0])
    w_l[[0, -1]] *= 0.5
    lw_l = np.log(w_l) + np.array([priors.log_prior_lambda(v) for v in lam]) + t_l
    D = [np.subtract.outer(Z[:, m], Z[:, m]) ** 2 for m in range(M)]
    log_mass, rough = {}, []
    for code in range(2**M):
        d = tuple((code >> m) & 1 for m in range(M))
        inc = [m for m in range(M) if d[m]]
        grid = np.array(np.meshgrid(*([np.arange(n_r)] * len(inc)), indexing="ij")).reshape(
            len(inc), -1).T if inc else np.zeros((1, 0), dtype=int)
        terms, rough_terms = [], []
        for row in grid:
            A = np.zeros((n, n))
            lw = priors.log_prior_delta(len(inc), M)
            for j, m in enumerate(inc):
                A -= math.exp(t_r[row[j]]) * D[m]
                lw += lw_r[row[j]]
            K = np.exp(np.maximum(A, -200.0))
            v = float(logsumexp(_gauss_ll_batch(y, K, lam) + lw_l)) + lw
            terms.append(v)
            if len(inc) == M and all(math.exp(t_r[i]) > BIMODAL_ROUGH_R for i in row):
                rough_terms.append(v)
        log_mass[d] = float(logsumexp(terms))
        if rough_terms:
            rough.append(float(logsumexp(rough_terms)))
    rough = rough or [-math.inf]
    log_z = float(logsumexp(list(log_mass.values())))
    masses = {k: math.exp(v - log_z) for k, v in log_mass.items()}
    pip = [sum(p for k, p in masses.items() if k[m]) for m in range(M)]
    return {"masses": masses, "p_rough": math.exp(float(logsumexp(rough)) - log_z),
            "pip": pip, "log_evidence": log_z}
