"""Quantile scores of exposures, shared by WQS and quantile g-computation.

Both R ``gWQS`` (``gwqs_rank`` / ``quantile_f``) and R ``qgcomp``
(``quantize``) score an exposure the same way, and so do we, in one
implementation:

1. the sample quantiles at probabilities ``0, 1/q, ..., 1`` (R ``quantile``
   type 7, linear interpolation between order statistics; numpy's
   ``"linear"``), missing values ignored, unweighted;
2. duplicated values removed (``unique``), then the smallest and the largest
   remaining value replaced by -inf and +inf (qgcomp writes -1e64 / +1e64,
   which scores every finite value alike);
3. right-closed intervals ``(b_k, b_{k+1}]`` scored ``0, 1, ...``
   (``cut(..., right = TRUE, include.lowest = TRUE)`` minus 1): a value equal
   to an interior cut-point falls in the *lower* group.

Ties can delete cut-points: when many values are tied at the minimum (a
limit of detection), the lower quantiles coincide, ``unique`` merges them
and the cut-point at the tied value is the one overwritten by -inf, so the
tied block shares score 0 with everything up to the next distinct quantile
and fewer than ``q`` scores remain. Sources read: gWQS 2.0.0 and 3.0.x
(``gwqs_rank``), qgcomp 2.18.10 (``quantize``); the scores are checked
against qgcomp's own ``quantize`` in tests/test_qgcomp.py (fixture
tests/reference/qgcomp_fixture.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["quantile_breaks", "quantile_scores", "quantize"]


def quantile_breaks(x: np.ndarray, q: int) -> np.ndarray:
    """Interior cut-points that score ``x`` into ``q`` quantile groups.

    Parameters
    ----------
    x : array_like
        One exposure (missing values ignored).
    q : int
        Number of groups (4 for quartiles).

    Returns
    -------
    numpy.ndarray
        Increasing interior cut-points: the distinct sample quantiles at
        ``1/q, ..., (q-1)/q`` (R type 7) that remain after duplicates among
        all ``q + 1`` quantiles are removed and the smallest and largest are
        replaced by -inf and +inf. Ties can leave fewer than ``q - 1``
        cut-points (and so fewer than ``q`` scores).
    """
    if int(q) != q or q < 2:
        raise ValueError(f"q must be an integer >= 2, got {q!r}")
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError("cannot compute quantiles of an empty or all-missing variable")
    probs = np.linspace(0.0, 1.0, int(q) + 1)
    qs = np.unique(np.quantile(x, probs))
    return qs[1:-1] if qs.size > 1 else qs[:0]


def quantile_scores(x: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Score ``x`` against interior cut-points from :func:`quantile_breaks`.

    The groups are right-closed, ``(-inf, b1], (b1, b2], ..., (bm, inf)``,
    scored ``0, 1, ..., m``: a value equal to a cut-point falls in the lower
    group.

    Parameters
    ----------
    x : array_like
        Values to score.
    breaks : array_like
        Increasing interior cut-points.

    Returns
    -------
    numpy.ndarray
        Integer scores (as floats), ``nan`` where ``x`` is missing.
    """
    x = np.asarray(x, dtype=float)
    scores = np.searchsorted(np.asarray(breaks, dtype=float), x, side="left").astype(float)
    scores[np.isnan(x)] = np.nan
    return scores


def quantize(
    data: pd.DataFrame,
    columns: Sequence[str],
    q: int = 4,
    breaks: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Quantile scores of several exposures (R ``qgcomp::quantize``).

    Parameters
    ----------
    data : pandas.DataFrame
        Rows whose values define the cut-points (and are scored).
    columns : sequence of str
        Exposure columns.
    q : int
        Number of quantile groups.
    breaks : mapping, optional
        Interior cut-points per exposure, used instead of the data's
        quantiles (e.g. cut-points from a training set).

    Returns
    -------
    (pandas.DataFrame, dict)
        The scores (same index and column names as ``data[columns]``) and
        the interior cut-points of each exposure.
    """
    cuts = {c: np.asarray(breaks[c], dtype=float) if breaks is not None
            else quantile_breaks(data[c].to_numpy(dtype=float), q) for c in columns}
    scores = pd.DataFrame({c: quantile_scores(data[c].to_numpy(dtype=float), cuts[c])
                           for c in columns}, index=data.index)
    return scores, cuts
