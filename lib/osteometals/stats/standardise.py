"""Standardised regression coefficients ("beta weights"), plain or survey-weighted.

A linear-regression coefficient ``b_j`` is in units of the outcome per unit of
the regressor. Its standardised version, the one SPSS prints as "Beta" beside
the unstandardised "B", is

    beta_j = b_j * sd(x_j) / sd(y),

the change in the outcome, in outcome SDs, per one-SD change of the regressor
(Hays 1994, *Statistics*, 5th ed., sect. 15.15; SPSS *Statistics Algorithms*,
"REGRESSION", the standardised coefficient). For a 0/1 indicator ``sd(x_j)``
is ``sqrt(p (1 - p))`` with ``p`` its share of the estimation sample, so the
same difference of means is about three times larger as a Beta when the
outcome's SD is a third of the unit (BMD: SD about 0.14 g/cm²).

For a design-based fit the SDs are the weighted ones over the rows the fit
used (the population SDs the weights estimate), as ``svyvar`` would give them.
The factor ``sd(x_j) / sd(y)`` is the same whether both SDs divide by ``n``,
``n - 1`` or the sum of the weights, so no degrees-of-freedom convention
enters. The factor is treated as a constant: standard errors and interval
limits are rescaled by it, test statistics and P-values are unchanged (as in
SPSS, whose Beta shares the t test of B).

statsmodels has no standardised coefficients for weighted or design-based
fits, hence this small module.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

__all__ = ["standardising_factors", "standardised_coefficients", "weighted_sd"]


class _Fit(Protocol):
    params: pd.Series

    @property
    def bse(self) -> pd.Series: ...

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame: ...


def weighted_sd(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Standard deviation, weighted by ``weights`` if given (divisor: the sum of weights).

    Parameters
    ----------
    x : numpy.ndarray
        Values, no missing values.
    weights : numpy.ndarray, optional
        Non-negative weights of the same length; default equal weights.

    Returns
    -------
    float
        ``sqrt(sum(w (x - m)^2) / sum(w))`` with ``m`` the weighted mean.
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.shape != w.shape:
        raise ValueError("x and weights must have the same length")
    if not np.isfinite(x).all() or not np.isfinite(w).all():
        raise ValueError("x and weights must not contain missing values")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    m = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - m) ** 2, weights=w)))


def standardising_factors(
    X: pd.DataFrame, y: np.ndarray | pd.Series, weights: np.ndarray | pd.Series | None = None
) -> pd.Series:
    """``sd(x_j) / sd(y)`` for each column of ``X`` over the rows of the fit.

    Parameters
    ----------
    X : pandas.DataFrame
        Regressors of the rows the fit used (dummy columns 0/1, numeric
        columns as entered); an intercept column, constant, gets NaN.
    y : array-like
        Outcome on the same rows.
    weights : array-like, optional
        Sampling weights on the same rows (design-based fit); None for an
        unweighted fit.

    Returns
    -------
    pandas.Series
        One factor per column of ``X``.

    Raises
    ------
    ValueError
        If the lengths differ, values are missing or ``y`` is constant.
    """
    y = np.asarray(y, dtype=float)
    if len(y) != len(X):
        raise ValueError("X and y must have the same number of rows")
    w = None if weights is None else np.asarray(weights, dtype=float)
    sd_y = weighted_sd(y, w)
    if sd_y == 0:
        raise ValueError("the outcome is constant: no standardised coefficient exists")
    factors = {}
    for col in X.columns:
        sd_x = weighted_sd(X[col].to_numpy(dtype=float), w)
        factors[col] = sd_x / sd_y if sd_x > 0 else np.nan
    return pd.Series(factors, dtype=float)


def standardised_coefficients(
    fit: _Fit,
    X: pd.DataFrame,
    y: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Standardised coefficients of a linear fit, with rescaled SEs and intervals.

    Parameters
    ----------
    fit : results object
        Anything with ``params``, ``bse`` and ``conf_int(alpha)`` indexed by
        the columns of the design matrix (e.g.
        :class:`osteometals.stats.survey.GLMResult` of a gaussian fit).
    X : pandas.DataFrame
        The regressors of the rows the fit used; only columns in
        ``fit.params`` are standardised.
    y, weights
        As :func:`standardising_factors`. Pass the weights for a
        design-based fit, None for an unweighted one.
    alpha : float
        One minus the confidence level of the rescaled intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by term: ``factor``, ``estimate``, ``se``, ``ci_lower``,
        ``ci_upper`` on the standardised scale (NaN for the intercept and for
        terms not in ``X``).
    """
    factors = standardising_factors(X, y, weights).reindex(fit.params.index)
    ci = fit.conf_int(alpha)
    return pd.DataFrame({
        "factor": factors,
        "estimate": fit.params * factors,
        "se": fit.bse * factors,
        "ci_lower": ci["lower"] * factors,
        "ci_upper": ci["upper"] * factors,
    })
