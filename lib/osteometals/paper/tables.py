"""Display tables of the regression chapters (string cells), built from tidy results.

The tidy frames of :mod:`osteometals.paper.regression` are what the chapters
save; these functions shape them for reading: quartile ranges beside the
paper's, two fits side by side, per-SD estimates, unstandardised beside
standardised βs. None fits a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import METAL_KEYS
from osteometals.paper.prose import interval_text
from osteometals.paper.regression import format_p

__all__ = [
    "by_site",
    "cutpoint_gap",
    "cutpoint_ranges",
    "cutpoint_table",
    "fits_side_by_side",
    "median_ci_width",
    "per_sd_table",
    "standardised_beside",
]


def cutpoint_ranges(cp: pd.DataFrame) -> pd.Series:
    """Quartile ranges as text (``"≤0.25"``, ``"0.25-0.38"``, ``">0.61"``), by (metal, quartile).

    Parameters
    ----------
    cp : pandas.DataFrame
        :func:`osteometals.paper.regression.quartile_cutpoints` output.
    """
    def label(r: pd.Series) -> str:
        if r["quartile"] == "Q1":
            return f"≤{r['upper']:.2f}"
        if r["quartile"] == "Q4":
            return f">{r['lower']:.2f}"
        return f"{r['lower']:.2f}-{r['upper']:.2f}"

    return pd.Series([label(r) for _, r in cp.iterrows()],
                     index=pd.MultiIndex.from_frame(cp[["metal", "quartile"]]), name="label")


def cutpoint_table(cuts: pd.DataFrame, weighted_cuts: pd.DataFrame,
                   paper: pd.DataFrame) -> pd.DataFrame:
    """Our quartile ranges (unweighted and weighted percentiles) beside the paper's.

    Parameters
    ----------
    cuts : pandas.DataFrame
        The cut-points in use (:func:`~osteometals.paper.regression.quartile_cutpoints`).
    weighted_cuts : pandas.DataFrame
        The survey-weighted cut-points.
    paper : pandas.DataFrame
        :func:`osteometals.paper.published.cutpoints`.

    Returns
    -------
    pandas.DataFrame
        By (metal, quartile): ``ours``, ``ours, weighted percentiles``,
        ``paper``, ``women`` and ``median (trend score)``.
    """
    c = cuts.set_index(["metal", "quartile"])
    return pd.DataFrame({
        "ours": cutpoint_ranges(cuts),
        "ours, weighted percentiles": cutpoint_ranges(weighted_cuts),
        "paper": paper.set_index(["metal", "quartile"])["label"],
        "women": c["n"],
        "median (trend score)": c["median"].round(3),
    })


def cutpoint_gap(cp: pd.DataFrame, paper: pd.DataFrame) -> float:
    """Median relative gap between our Q1-Q3 upper limits and the paper's."""
    ours = cp.set_index(["metal", "quartile"])["upper"]
    pub = paper.set_index(["metal", "quartile"])["upper"].dropna()
    return float(((ours.reindex(pub.index) - pub).abs() / pub).median())


def median_ci_width(frame: pd.DataFrame, log: bool = True) -> float:
    """Median width of the intervals of Q2-Q4 (of the log odds ratio if ``log``)."""
    f = frame[frame["quartile"] != "Q1"]
    width = np.log(f["ci_upper"] / f["ci_lower"]) if log else f["ci_upper"] - f["ci_lower"]
    return float(np.median(width))


def fits_side_by_side(fits: Mapping[str, pd.DataFrame], columns: Sequence[str],
                      digits: int = 2, interval: bool = True) -> pd.DataFrame:
    """Several fits of the same table side by side, e.g. design-based and unweighted.

    Parameters
    ----------
    fits : mapping
        Label -> tidy frame of :func:`osteometals.paper.regression.quartile_models`.
    columns : sequence of str
        Tidy columns that become table columns before the fit label
        (``["model"]``, ``["outcome", "model"]``).
    digits : int
        Decimals.
    interval : bool
        Cells "estimate (lower, upper)" (True) or "estimate (P)".

    Returns
    -------
    pandas.DataFrame
        Rows (metal, quartile) for Q2-Q4 in table order, columns
        (*columns, fit).
    """
    long = pd.concat([f.assign(fit=label) for label, f in fits.items()])
    long = long[long["quartile"] != "Q1"]
    if interval:
        cells = [interval_text(r.estimate, r.ci_lower, r.ci_upper, digits=digits)
                 for r in long.itertuples()]
    else:
        cells = [f"{r.estimate:.{digits}f} ({format_p(r.p)})" for r in long.itertuples()]
    wide = long.assign(cell=cells).pivot_table(index=["metal", "quartile"],
                                               columns=[*columns, "fit"], values="cell",
                                               aggfunc="first", sort=False)
    order = [(m, q) for m in METAL_KEYS for q in ("Q2", "Q3", "Q4") if (m, q) in wide.index]
    return wide.reindex(pd.MultiIndex.from_tuples(order, names=["metal", "quartile"]))


def per_sd_table(per_sd: pd.DataFrame, columns: Sequence[str], digits: int = 2,
                 with_p: bool = True) -> pd.DataFrame:
    """Per-SD estimates as "estimate (lower, upper); p=..." by metal and ``columns``."""
    def cell(r) -> str:
        text = interval_text(r.estimate, r.ci_lower, r.ci_upper, digits=digits)
        return f"{text}; p={format_p(r.p)}" if with_p else text

    wide = per_sd.assign(cell=[cell(r) for r in per_sd.itertuples()]).pivot_table(
        index="metal", columns=list(columns), values="cell", aggfunc="first")
    return wide.reindex([m for m in METAL_KEYS if m in wide.index])


def by_site(frame: pd.DataFrame, sites: Mapping[str, str]) -> pd.DataFrame:
    """Table 3 with ``model`` relabelled "<site> · <model>", for one forest plot of all sites."""
    return frame.assign(model=frame["outcome"].map(sites) + " · " + frame["model"])


def standardised_beside(ours: pd.DataFrame, paper: pd.DataFrame,
                        digits: int = 3) -> pd.DataFrame:
    """Our B (g/cm²) and standardised Beta beside the paper's β, cell by cell.

    Parameters
    ----------
    ours : pandas.DataFrame
        Tidy Table 3 with the standardised columns
        (:func:`osteometals.paper.regression.table3`).
    paper : pandas.DataFrame
        :func:`osteometals.paper.published.table3`.
    digits : int
        Decimals.

    Returns
    -------
    pandas.DataFrame
        Rows (metal, quartile) for Q2-Q4, columns (outcome, model, value)
        with value ``"B"``, ``"Beta"`` and ``"paper β"``; numbers.
    """
    keys = ["metal", "quartile", "outcome", "model"]
    o = ours[ours["quartile"] != "Q1"].set_index(keys)
    p = paper.set_index(keys)["estimate"]
    long = pd.DataFrame({"B": o["estimate"], "Beta": o["std_estimate"],
                         "paper β": p.reindex(o.index)}).round(digits)
    wide = long.stack().unstack(["outcome", "model", -1])
    wide.columns.names = ["outcome", "model", "value"]
    order = [(m, q) for m in METAL_KEYS for q in ("Q2", "Q3", "Q4") if (m, q) in wide.index]
    return wide.reindex(pd.MultiIndex.from_tuples(order, names=["metal", "quartile"]))
