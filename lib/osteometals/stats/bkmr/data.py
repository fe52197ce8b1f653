"""Inputs of a BKMR fit: the data, the profiles where ``h`` is kept, the knots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from osteometals.stats.coding import dummy_code

__all__ = ["MixtureData", "mixture_data", "PredictionGrid", "make_grid", "kmeans_knots",
           "DEFAULT_QUANTILES"]

#: Quantiles of the overall-effect summary (bkmr ``OverallRiskSummaries``).
DEFAULT_QUANTILES: tuple[float, ...] = tuple(np.round(np.arange(0.25, 0.751, 0.05), 2))


@dataclass(frozen=True)
class MixtureData:
    """Outcome, exposures and covariates of a mixture model.

    Attributes
    ----------
    y : ndarray of int, shape (n,)
        Binary outcome.
    Z : ndarray, shape (n, M)
        Exposures: z-scored natural-log concentrations.
    X : ndarray, shape (n, p)
        Covariates (dummy-coded, reference level dropped); no intercept.
    exposure_names, covariate_names : tuple of str
    log_mean, log_sd : ndarray, shape (M,)
        Mean and standard deviation of the log concentrations, to map a
        z-score back to a concentration: ``exp(log_mean + z * log_sd)``.
    """

    y: np.ndarray
    Z: np.ndarray
    X: np.ndarray
    exposure_names: tuple[str, ...]
    covariate_names: tuple[str, ...]
    log_mean: np.ndarray
    log_sd: np.ndarray

    @property
    def n(self) -> int:
        """Number of observations."""
        return len(self.y)


def mixture_data(
    df: pd.DataFrame,
    exposures: Sequence[str],
    covariates: Sequence[str],
    outcome: str,
) -> MixtureData:
    """Build BKMR inputs from a data frame with one row per person.

    Rows with a missing outcome, exposure or covariate are dropped. Each
    exposure is log-transformed and z-scored (sample standard deviation);
    categorical covariates are dummy-coded with their first level as the
    reference, numeric covariates enter as they are.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    exposures : sequence of str
        Exposure columns (positive concentrations).
    covariates : sequence of str
        Adjustment covariates.
    outcome : str
        0/1 outcome column.

    Returns
    -------
    MixtureData

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If an exposure is not positive or the outcome is not 0/1.
    """
    cols = [outcome, *exposures, *covariates]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"mixture_data: columns {missing} are not in the data")
    d = df[cols].dropna()
    raw = d[list(exposures)].to_numpy(dtype=float)
    if np.any(raw <= 0):
        raise ValueError("mixture_data: exposures must be positive (they are log-transformed)")
    if set(np.unique(d[outcome])) - {0, 1}:
        raise ValueError(f"mixture_data: the outcome {outcome!r} must be 0/1")
    logs = np.log(raw)
    mu, sd = logs.mean(axis=0), logs.std(axis=0, ddof=1)
    Z = (logs - mu) / sd
    coded = dummy_code(d, covariates)
    coded = coded.loc[:, coded.std(axis=0) > 0]  # drop levels absent from the data
    X = coded.to_numpy(dtype=float).reshape(len(d), -1)
    return MixtureData(
        y=d[outcome].to_numpy(dtype=int),
        Z=Z,
        X=np.ascontiguousarray(X),
        exposure_names=tuple(exposures),
        covariate_names=tuple(coded.columns),
        log_mean=mu,
        log_sd=sd,
    )


@dataclass(frozen=True)
class PredictionGrid:
    """Exposure profiles at which posterior draws of ``h`` are kept.

    Attributes
    ----------
    Znew : ndarray, shape (q, M)
        All profiles: the univariate grids, then the overall-effect profiles,
        then the reference profile (every exposure at ``q_fixed``).
    univariate : DataFrame
        ``exposure``, ``z``, ``row`` for the univariate curves (one exposure
        over ``ngrid`` equally spaced values from its minimum to maximum,
        the others at their ``q_fixed`` quantile; bkmr ``PredictorResponseUnivar``).
    overall : DataFrame
        ``quantile``, ``row``: every exposure at the same quantile
        (bkmr ``OverallRiskSummaries``); a quantile whose profile is the
        reference profile points to ``reference_row``.
    reference_row : int
        Row of the reference profile.
    """

    Znew: np.ndarray
    univariate: pd.DataFrame
    overall: pd.DataFrame
    reference_row: int


def make_grid(
    Z: np.ndarray,
    exposure_names: Sequence[str],
    ngrid: int = 50,
    q_fixed: float = 0.5,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> PredictionGrid:
    """Build the univariate and overall-effect profiles (Figure 3A and 3B).

    Parameters
    ----------
    Z : ndarray, shape (n, M)
        Exposures of the fit.
    exposure_names : sequence of str
    ngrid : int
        Points per univariate curve (bkmr default 50).
    q_fixed : float
        Quantile at which the other exposures are held (bkmr default 0.5).
    quantiles : sequence of float
        Quantiles of the overall effect (default 0.25 to 0.75 by 0.05).

    Returns
    -------
    PredictionGrid
    """
    Z = np.asarray(Z, dtype=float)
    M = Z.shape[1]
    fixed = np.quantile(Z, q_fixed, axis=0)
    rows, uni = [], []
    for m in range(M):
        for v in np.linspace(Z[:, m].min(), Z[:, m].max(), ngrid):
            p = fixed.copy()
            p[m] = v
            uni.append((exposure_names[m], v, len(rows)))
            rows.append(p)
    ov, pending = [], []
    for q in quantiles:
        prof = np.quantile(Z, q, axis=0)
        if np.array_equal(prof, fixed):
            pending.append(float(q))  # the reference itself: contrast exactly 0
            continue
        ov.append((float(q), len(rows)))
        rows.append(prof)
    ref = len(rows)
    rows.append(fixed)
    ov = sorted(ov + [(q, ref) for q in pending])
    return PredictionGrid(
        Znew=np.array(rows),
        univariate=pd.DataFrame(uni, columns=["exposure", "z", "row"]),
        overall=pd.DataFrame(ov, columns=["quantile", "row"]),
        reference_row=ref,
    )


def kmeans_knots(Z: np.ndarray, k: int = 50, seed: int = 0) -> np.ndarray:
    """Knots for the predictive process: k-means centres of the exposures.

    ``scipy.cluster.vq.kmeans2`` with a k-means++ start (Arthur and
    Vassilvitskii 2007) and up to 50 Lloyd iterations: a deterministic
    space-filling rule, the same ``Z``, ``k`` and ``seed`` always give the
    same knots.

    Parameters
    ----------
    Z : ndarray, shape (n, M)
    k : int
        Number of knots; ``k >= n`` returns the data themselves.
    seed : int
        Seed of the k-means++ start.

    Returns
    -------
    ndarray, shape (min(k, n), M)
        Cluster centres.
    """
    Z = np.asarray(Z, dtype=float)
    if k >= len(Z):
        return Z.copy()
    centres, _ = kmeans2(Z, int(k), iter=50, minit="++", missing="raise",
                         seed=np.random.default_rng(seed))
    return centres
