"""Weighted descriptive statistics: quantiles, mean and SD, mid-ranks.

Used for survey-weighted summaries (Table 1) and survey-weighted quantile
cut-points; the definitions follow R's ``survey`` package where it has one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Weighted quantile by inverting the weighted empirical CDF.

    The ``q`` quantile is the smallest ``x`` whose cumulative weight share is
    at least ``q`` (R ``svyquantile(..., qrule="math")``).

    Parameters
    ----------
    x, w : numpy.ndarray
        Values and non-negative weights (same length, no missing values).
    q : float or sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        One value per probability.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    order = np.argsort(x, kind="mergesort")
    x, w = x[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    q = np.atleast_1d(np.asarray(q, dtype=float))
    idx = np.searchsorted(cdf, q - 1e-12, side="left")
    return x[np.minimum(idx, len(x) - 1)]


def weighted_mean_sd(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and (population) standard deviation.

    Returns
    -------
    (float, float)
        ``sum(w x) / sum(w)`` and ``sqrt(sum(w (x - mean)^2) / sum(w))``.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    m = float(np.average(x, weights=w))
    return m, float(np.sqrt(np.average((x - m) ** 2, weights=w)))


def weighted_midrank(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mid-rank on [0, 1]: weight share below ``x`` plus half the share at ``x``."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float) / np.sum(w)
    s = pd.Series(w).groupby(x).sum().sort_index()
    below = s.cumsum() - s
    mid = below + s / 2
    return mid.reindex(x).to_numpy()
