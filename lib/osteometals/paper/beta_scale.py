"""On which scale are the paper's Table 3 βs? The evidence, and our results on either scale.

The paper prints a β and a P for each quartile of each metal at three BMD
sites, with no unit and no interval, and names SPSS 24 as its software, whose
linear regression prints both the unstandardised coefficient "B" (here
g/cm²) and the standardised "Beta" (:mod:`osteometals.stats.standardise`).
A (β, P) pair implies the standard error ``|β| / z(P/2)``
(:func:`osteometals.paper.published.se_from_beta_p`). Our fits give the
standard error of the same quartile coefficient on both scales, so the
scale on which the paper's implied standard errors match ours is the scale
its βs are on. Sample size enters: the paper's SEs should exceed ours by
``sqrt(n_ours / n_paper)`` on the right scale, and the comparison is made
after that factor.

Scales are named ``"unstandardised"`` (B, g/cm²) and ``"standardised"``
(Beta, SDs of BMD per SD of the quartile indicator). Test statistics and
P-values are the same on both, so only the size of an estimate, and whether
the paper's β lies inside our interval, depend on the scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osteometals.paper import published

__all__ = ["SCALES", "evidence", "on_scale", "summary", "supported_scale"]

#: The two scales, and our tidy columns that hold estimate, SE and interval on each.
SCALES: dict[str, dict[str, str]] = {
    "unstandardised": {"estimate": "estimate", "se": "se", "ci_lower": "ci_lower",
                       "ci_upper": "ci_upper"},
    "standardised": {"estimate": "std_estimate", "se": "std_se", "ci_lower": "std_ci_lower",
                     "ci_upper": "std_ci_upper"},
}
_KEYS = ["metal", "quartile", "outcome", "model"]


def _check(scale: str) -> dict[str, str]:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(repr, SCALES))}; got {scale!r}")
    return SCALES[scale]


def on_scale(ours: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Our Table 3 with ``estimate``, ``se``, ``ci_lower``, ``ci_upper`` on ``scale``.

    Parameters
    ----------
    ours : pandas.DataFrame
        Tidy Table 3 (:func:`osteometals.paper.regression.table3`, or its CSV).
    scale : {"unstandardised", "standardised"}

    Returns
    -------
    pandas.DataFrame
        A copy; for ``"standardised"`` the standardised columns replace the
        unstandardised ones (P and P for trend are the same on both scales;
        ``se`` is carried where present).

    Raises
    ------
    ValueError
        If ``scale`` is unknown.
    KeyError
        If ``ours`` lacks the columns of the scale (results written before
        the standardised columns existed).
    """
    cols = _check(scale)
    missing = [c for t, c in cols.items() if c not in ours.columns and t != "se"]
    if missing:
        raise KeyError(f"our Table 3 has no {missing} columns: rerun chapter 4 to write them")
    out = ours.copy()
    for target, source in cols.items():
        if source in ours.columns:
            out[target] = ours[source]
    return out


def evidence(ours: pd.DataFrame, n_published: int = published.N_TOTAL) -> pd.DataFrame:
    """Per Table 3 cell and scale: the SE the paper's (β, P) implies against ours.

    Parameters
    ----------
    ours : pandas.DataFrame
        Tidy Table 3 with both scales' columns and ``n``; may hold both fits
        (a ``weighted`` column), which are kept apart.
    n_published : int
        The paper's sample size.

    Returns
    -------
    pandas.DataFrame
        One row per cell, fit and scale: the keys, ``weighted``, ``scale``,
        ``published`` (β), ``published_p``, ``published_se`` (implied),
        ``ours`` (estimate on the scale), ``ours_se``, ``n``, ``se_ratio``
        (published SE / ours) and ``se_ratio_n`` (the same divided by
        ``sqrt(n / n_published)``, 1 when the scales and the data agree).
    """
    pub = published.table3()
    pub = pub.assign(published_se=published.se_from_beta_p(pub["estimate"], pub["p"]))
    pub = pub.rename(columns={"estimate": "published", "p": "published_p"})[
        [*_KEYS, "published", "published_p", "published_se"]]
    o = ours[ours["quartile"] != "Q1"]
    need = [c for cols in SCALES.values() for c in (cols["estimate"], cols["se"])] + ["n"]
    if any(c not in o.columns for c in need):
        raise KeyError(f"our Table 3 needs the columns {need}: rerun chapter 4 to write them")
    if "weighted" not in o.columns:
        o = o.assign(weighted=pd.NA)
    parts = []
    for scale in SCALES:
        s = on_scale(o, scale)[[*_KEYS, "weighted", "estimate", "se", "n"]]
        parts.append(pub.merge(s.rename(columns={"estimate": "ours", "se": "ours_se"}),
                               on=_KEYS, how="inner").assign(scale=scale))
    ev = pd.concat(parts, ignore_index=True)
    ev["se_ratio"] = ev["published_se"] / ev["ours_se"]
    ev["se_ratio_n"] = ev["se_ratio"] / np.sqrt(ev["n"] / n_published)
    return ev[[*_KEYS, "weighted", "scale", "published", "published_p", "published_se", "ours",
               "ours_se", "n", "se_ratio", "se_ratio_n"]]


def summary(ev: pd.DataFrame) -> pd.DataFrame:
    """The evidence per fit and scale: median SE ratios and estimate differences.

    Parameters
    ----------
    ev : pandas.DataFrame
        Output of :func:`evidence`.

    Returns
    -------
    pandas.DataFrame
        One row per ``weighted`` and ``scale``: ``cells``, ``median_published_se``,
        ``median_ours_se``, ``median_se_ratio``, ``median_se_ratio_n`` and
        ``median_abs_difference`` (|paper β - ours|, on the scale).
    """
    rows = []
    for (weighted, scale), g in ev.groupby(["weighted", "scale"], sort=False, dropna=False):
        rows.append({
            "weighted": weighted, "scale": scale, "cells": len(g),
            "median_published_se": float(g["published_se"].median()),
            "median_ours_se": float(g["ours_se"].median()),
            "median_se_ratio": float(g["se_ratio"].median()),
            "median_se_ratio_n": float(g["se_ratio_n"].median()),
            "median_abs_difference": float((g["published"] - g["ours"]).abs().median()),
        })
    return pd.DataFrame(rows)


def supported_scale(ev: pd.DataFrame) -> str:
    """The scale whose implied SEs match ours best: smallest ``|log median se_ratio_n|``.

    All fits in ``ev`` vote together (the median is taken over every cell of
    every fit on a scale).

    Raises
    ------
    ValueError
        If ``ev`` is empty.
    """
    if ev.empty:
        raise ValueError("no Table 3 cells to weigh the evidence on")
    off = ev.groupby("scale")["se_ratio_n"].median().map(lambda r: abs(np.log(r)))
    return str(off.idxmin())
