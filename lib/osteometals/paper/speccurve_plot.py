"""The specification-curve figure (Simonsohn, Simmons and Nelson 2020), with matplotlib.

Top panel: one point per specification, sorted by its estimate, with its
confidence interval, coloured by whether it is significant in the paper's
direction, the other way, or neither; the no-effect line and the paper's
value. Bottom panel: which level of each varying dimension every point used.

The figure takes the width of the book's column (``figure.figsize`` of
:mod:`osteometals.book.style`, set before every page runs) and the book's
font sizes, so that its labels stay legible on the page.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from osteometals.paper import specs
from osteometals.paper.claims import CLAIMS
from osteometals.stats.speccurve import NA

#: Colours (Okabe and Ito): significant in the paper's direction, the other way, neither.
COLOURS = {"paper": "#0072B2", "other": "#D55E00", "none": "#8C8C8C", "value": "#E69F00"}
_YLABEL = {"ratio": "odds ratio (log scale)", "beta": "standardised beta",
           "t": "t statistic"}

#: Short names of the dimensions for the indicator panel.
SHORT = {"cycles": "cycles", "required_sites": "sites", "spine_rule": "spine rule",
         "spine_reference": "spine ref.", "neck_reference": "neck ref.",
         "missing_data": "missing", "exclude_op_treatment": "excl. treated",
         "exclude_hormone_therapy": "excl. hormones", "exclude_menstruating": "excl. periods",
         "weighting": "weights", "design_df": "design df", "adjustment": "adjustment",
         "age_bmi": "age, BMI", "cycle_term": "cycle term", "trend_score": "trend score",
         "coding": "coding"}


def _dims(frame: pd.DataFrame) -> list[str]:
    return [d for d in specs.SPACE.names
            if d in frame and frame.loc[frame[d] != NA, d].nunique() > 1]


def _limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Axis limits around the estimates (intervals beyond them are cut at the edge)."""
    v = np.log(values) if log else values
    lo, hi = np.nanmin(v), np.nanmax(v)
    pad = max(hi - lo, 0.2 if log else 0.05) * 0.3
    lo, hi = lo - pad, hi + pad
    return (float(np.exp(lo)), float(np.exp(hi))) if log else (float(lo), float(hi))


def specification_curve(results: pd.DataFrame, claim: str, alpha: float = 0.05) -> Figure:
    """The specification curve of one claim.

    Parameters
    ----------
    results : pandas.DataFrame
        :func:`osteometals.paper.robustness.run` output (rows of several
        claims allowed).
    claim : str
        Claim name.
    alpha : float
        Significance level of the colours (intervals are those of ``results``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = CLAIMS[claim]
    f = results[(results["claim"] == claim) & (results["error"].fillna("") == "")]
    f = f.sort_values("b", kind="mergesort").reset_index(drop=True)
    rows = [(d, lv) for d in _dims(f) for lv in specs.SPACE.levels(d) if (f[d] == lv).any()]
    width = plt.rcParams["figure.figsize"][0]
    # constrained layout keeps the level labels and the legend inside the figure, and
    # w_pad leaves room for the 0.1 in pad of a tight crop (the notebook's PNG), so the
    # image is no wider than the column and its text is not shrunk
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(width, 3.3 + 0.2 * len(rows)), sharex=True, layout="constrained",
        gridspec_kw={"height_ratios": [3.0, max(0.2 * len(rows), 0.6)]})
    fig.get_layout_engine().set(w_pad=0.13, h_pad=0.02, hspace=0.0)
    x = np.arange(len(f))
    side = np.sign(f["b"].to_numpy()) == c.paper.direction
    sig = f["p"].to_numpy() < alpha
    colour = np.where(sig & side, COLOURS["paper"],
                      np.where(sig, COLOURS["other"], COLOURS["none"]))
    top.vlines(x, f["ci_lower"], f["ci_upper"], colors=colour, linewidth=0.8, alpha=0.6)
    top.scatter(x, f["estimate"], c=colour, s=12, zorder=3, linewidths=0)
    handles = [Line2D([], [], marker="o", ls="", color=COLOURS["paper"],
                      label="significant, paper's sign"),
               Line2D([], [], marker="o", ls="", color=COLOURS["other"],
                      label="significant, other sign"),
               Line2D([], [], marker="o", ls="", color=COLOURS["none"], label="not significant")]
    if c.kind == "wqs" and "top" in f:
        other = (f["top"] != c.metal).to_numpy()
        top.scatter(x[other], f["estimate"][other], s=36, facecolors="none",
                    edgecolors="black", linewidths=0.7, zorder=4)
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none",
                              markeredgecolor="black", label="largest weight not Cd"))
    null = 1.0 if c.scale == "ratio" else 0.0
    top.axhline(null, color="black", linewidth=0.9)
    marks = [null, *f["estimate"]]
    if c.paper.value is not None:
        top.axhline(c.paper.value, color=COLOURS["value"], linestyle="--", linewidth=1.4)
        handles.append(Line2D([], [], color=COLOURS["value"], ls="--",
                              label=f"the paper: {c.paper.value:g}"))
        marks.append(c.paper.value)
    log = c.scale == "ratio"
    if log:
        top.set_yscale("log")
        top.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        top.yaxis.set_minor_formatter(NullFormatter())
    top.set_ylim(*_limits(np.asarray(marks, dtype=float), log))
    top.set_ylabel(_YLABEL[c.scale])
    top.grid(axis="x", visible=False)  # vertical grid lines would read as intervals
    fig.legend(handles=handles, loc="outside upper left", ncol=2, frameon=False)
    for i, (d, lv) in enumerate(rows):
        used = (f[d] == lv).to_numpy()
        bottom.scatter(x[used], np.full(used.sum(), i), marker="|", s=30, color="#34495e",
                       linewidths=1.0)
    bottom.set_yticks(range(len(rows)))
    bottom.set_yticklabels([f"{SHORT.get(d, d)}: {lv}" for d, lv in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlim(-1, len(f))
    bottom.grid(False)
    bottom.set_xlabel(f"{len(f)} specifications, sorted by estimate")
    return fig
