"""Simulated mixtures with a known truth, and timings of the mixture methods.

:func:`simulate_mixture` draws correlated log-normal exposures, covariates
and an outcome whose linear predictor is a known function of the exposures'
quartile scores: a WQS index (weights and coefficient) and, optionally, a
second index acting the other way. The same data serve WQS (known weights)
and quantile g-computation (known ``psi``: the sum of the per-exposure
coefficients; see :func:`true_psi`). :func:`bench_wqs` and
:func:`bench_qgcomp` time one analysis each for ``make bench``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from osteometals.stats.glm import Family
from osteometals.stats.quantiles import quantile_breaks, quantile_scores

__all__ = ["bench_qgcomp", "bench_wqs", "simulate_mixture", "true_psi"]


def simulate_mixture(
    n: int = 1500,
    weights: Sequence[float] = (0.5, 0.3, 0.2, 0.0, 0.0),
    beta1: float = 0.8,
    negative: Sequence[float] | None = None,
    beta1_neg: float = 0.0,
    rho: float = 0.4,
    n_covariates: int = 3,
    family: Family = "binomial",
    seed: int = 1,
) -> pd.DataFrame:
    """Simulate correlated exposures, covariates and an outcome driven by a WQS index.

    The exposures are log-normal with pairwise correlation ``rho`` of their
    logs; the true linear predictor is
    ``-1 + beta1 * sum_j weights_j q_j + beta1_neg * sum_j negative_j q_j +
    covariate effects``, with ``q_j`` the quartile scores (0..3) of exposure
    ``j`` in the simulated sample.

    Parameters
    ----------
    n : int
        Sample size.
    weights : sequence of float
        True positive-index weights, one per exposure (sum 1).
    beta1 : float
        True positive-index coefficient.
    negative : sequence of float, optional
        True weights of a second, negative-acting index.
    beta1_neg : float
        Its coefficient (negative for a protective index).
    rho : float
        Correlation of the log exposures.
    n_covariates : int
        Number of covariates: a 3-level categorical ``group`` plus
        ``n_covariates - 1`` standard-normal columns ``z1, z2, ...``.
    family : {"binomial", "gaussian"}
        Outcome model (gaussian: unit residual variance).
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``x1..xk`` (exposures), ``group``, ``z1..``, ``y``.
    """
    rng = np.random.default_rng(seed)
    k = len(weights)
    cov = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    logx = rng.multivariate_normal(np.zeros(k), cov, size=n)
    scores = np.column_stack(
        [quantile_scores(logx[:, j], quantile_breaks(logx[:, j], 4)) for j in range(k)]
    )
    eta = -1.0 + beta1 * scores @ np.asarray(weights, dtype=float)
    if negative is not None:
        eta += beta1_neg * scores @ np.asarray(negative, dtype=float)
    frame = pd.DataFrame(np.exp(logx), columns=[f"x{j + 1}" for j in range(k)])
    if n_covariates >= 1:
        group = rng.integers(0, 3, n)
        frame["group"] = pd.Categorical.from_codes(group, ["a", "b", "c"])
        eta += np.array([0.0, 0.3, -0.3])[group]
    for c in range(1, max(n_covariates, 1)):
        z = rng.standard_normal(n)
        frame[f"z{c}"] = z
        eta += 0.2 * z
    if family == "binomial":
        frame["y"] = rng.binomial(1, special.expit(eta)).astype(float)
    else:
        frame["y"] = eta + rng.standard_normal(n)
    return frame


def bench_wqs(
    n: int = 900,
    b: int = 100,
    n_covariates: int = 10,
    n_jobs: int = 2,
    seed: int = 2025,
) -> float:
    """Seconds for one WQS analysis in both directions on simulated data.

    Five exposures and ``n_covariates`` covariates (one 3-level categorical,
    the rest numeric: ``n_covariates + 1`` design columns with the
    intercept), logistic outcome, ``q = 4``, ``validation = 0.6``, ``b``
    bootstraps, positive and negative direction.

    Parameters
    ----------
    n : int
        Sample size (the paper's cohort has 905 women).
    b : int
        Bootstrap samples.
    n_covariates : int
        Number of covariates.
    n_jobs : int
        Parallel workers.
    seed : int
        Seed of the simulation and of the fit.

    Returns
    -------
    float
        Wall-clock seconds of :func:`osteometals.stats.wqs.wqs_regression` (including any worker
        start-up).
    """
    data = simulate_mixture(n=n, weights=(0.5, 0.3, 0.2, 0.0, 0.0), beta1=0.5,
                            negative=(0, 0, 0, 0.5, 0.5), beta1_neg=-0.3,
                            n_covariates=n_covariates, seed=seed)
    from osteometals.stats.wqs import wqs_regression

    covs = ["group", *[f"z{c}" for c in range(1, n_covariates)]]
    t0 = time.perf_counter()
    wqs_regression(data, [f"x{j}" for j in range(1, 6)], "y", covs, b=b, seed=seed,
                   n_jobs=n_jobs, progress=False)
    return time.perf_counter() - t0


def true_psi(weights: Sequence[float] = (0.5, 0.3, 0.2, 0.0, 0.0), beta1: float = 0.8,
             negative: Sequence[float] | None = None, beta1_neg: float = 0.0) -> float:
    """The conditional ``psi`` of :func:`simulate_mixture`'s model.

    Raising every exposure by one quartile changes the linear predictor by
    ``beta1 * sum(weights) + beta1_neg * sum(negative)``: the quantile
    g-computation estimand (Keil et al. 2020) on the link scale.
    """
    psi = beta1 * float(np.sum(weights))
    if negative is not None:
        psi += beta1_neg * float(np.sum(negative))
    return psi


def bench_qgcomp(
    data: pd.DataFrame | None = None,
    exposures: Sequence[str] | None = None,
    outcome: str = "y",
    covariates: Sequence[str] | None = None,
    B: int = 200,
    n_jobs: int = 2,
    seed: int = 2025,
) -> dict[str, float]:
    """Seconds of quantile g-computation: conditional, and marginal with ``B`` bootstraps.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Data with a binary ``outcome``; default: :func:`simulate_mixture` with
        n = 900, five exposures and ten covariates.
    exposures, outcome, covariates
        Columns of ``data`` (defaults for the simulated data).
    B : int
        Bootstrap replicates of the marginal estimator.
    n_jobs : int
        Parallel workers of the bootstrap.
    seed : int
        Seed of the simulation and of the bootstrap.

    Returns
    -------
    dict
        ``noboot`` and ``boot`` (wall-clock seconds, including worker start-up).
    """
    from osteometals.stats.qgcomp import qgcomp_boot, qgcomp_noboot

    if data is None:
        data = simulate_mixture(n=900, beta1=0.5, negative=(0, 0, 0, 0.5, 0.5), beta1_neg=-0.3,
                                n_covariates=10, seed=seed)
        exposures = [f"x{j}" for j in range(1, 6)]
        covariates = ["group", *[f"z{c}" for c in range(1, 10)]]
    t0 = time.perf_counter()
    qgcomp_noboot(data, exposures, outcome, covariates)
    t1 = time.perf_counter()
    qgcomp_boot(data, exposures, outcome, covariates, B=B, n_jobs=n_jobs, seed=seed,
                progress=False)
    return {"noboot": t1 - t0, "boot": time.perf_counter() - t1}
