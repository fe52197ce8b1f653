"""The specification-curve figure (Simonsohn, Simmons and Nelson 2020), with matplotlib.

Top panel: one point per specification, sorted by its estimate, with its
confidence interval, coloured by whether it is significant in the paper's
direction, the other way, or neither; the no-effect line and the paper's
value. Bottom panel: which level of each varying dimension every point used.
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

#: Colours: significant in the paper's direction, the other way, not significant.
COLOURS = {"paper": "#1f5f9e", "other": "#c0392b", "none": "#9aa5b1"}
_YLABEL = {"ratio": "odds ratio (log scale)", "beta": "standardised beta",
           "t": "t statistic"}


def _dims(frame: pd.DataFrame) -> list[str]:
    return [d for d in specs.SPACE.names
            if d in frame and frame.loc[frame[d] != NA, d].nunique() > 1]


def _limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Axis limits around the estimates (intervals beyond them are cut at the edge)."""
    v = np.log(values) if log else values
    lo, hi = np.nanmin(v), np.nanmax(v)
    pad = max(hi - lo, 0.2 if log else 0.05) * 0.35
    lo, hi = lo - pad, hi + pad
    return (float(np.exp(lo)), float(np.exp(hi))) if log else (float(lo), float(hi))


def specification_curve(results: pd.DataFrame, claim: str, alpha: float = 0.05,
                        width: float = 9.0) -> Figure:
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
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = CLAIMS[claim]
    f = results[(results["claim"] == claim) & (results["error"].fillna("") == "")]
    f = f.sort_values("b", kind="mergesort").reset_index(drop=True)
    dims = _dims(f)
    rows = [(d, lv) for d in dims for lv in specs.SPACE.levels(d) if (f[d] == lv).any()]
    height = 2.8 + 0.16 * len(rows)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(width, height), sharex=True,
        gridspec_kw={"height_ratios": [2.8, max(0.16 * len(rows), 0.5)], "hspace": 0.05})
    x = np.arange(len(f))
    side = np.sign(f["b"].to_numpy()) == c.paper.direction
    sig = f["p"].to_numpy() < alpha
    colour = np.where(sig & side, COLOURS["paper"],
                      np.where(sig, COLOURS["other"], COLOURS["none"]))
    top.vlines(x, f["ci_lower"], f["ci_upper"], colors=colour, linewidth=0.6, alpha=0.5)
    top.scatter(x, f["estimate"], c=colour, s=9, zorder=3, linewidths=0)
    if c.kind == "wqs" and "top" in f:
        other = (f["top"] != c.metal).to_numpy()
        top.scatter(x[other], f["estimate"][other], s=30, facecolors="none",
                    edgecolors="black", linewidths=0.6, zorder=4)
    null = 1.0 if c.scale == "ratio" else 0.0
    top.axhline(null, color="black", linewidth=0.8)
    handles = [Line2D([], [], marker="o", ls="", color=COLOURS["paper"],
                      label="significant, paper's direction"),
               Line2D([], [], marker="o", ls="", color=COLOURS["other"],
                      label="significant, opposite"),
               Line2D([], [], marker="o", ls="", color=COLOURS["none"],
                      label="not significant")]
    if c.paper.value is not None:
        top.axhline(c.paper.value, color="#e67e22", linestyle="--", linewidth=1.2)
        handles.append(Line2D([], [], color="#e67e22", ls="--",
                              label=f"paper: {c.paper.value:g} ({c.paper.source})"))
    if c.kind == "wqs":
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none",
                              markeredgecolor="black", label="top weight not Cd"))
    log = c.scale == "ratio"
    marks = [null, *f["estimate"]] + ([c.paper.value] if c.paper.value is not None else [])
    if log:
        top.set_yscale("log")
        top.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        top.yaxis.set_minor_formatter(NullFormatter())
    top.set_ylim(*_limits(np.asarray(marks, dtype=float), log))
    top.set_ylabel(_YLABEL[c.scale])
    top.set_title(c.estimand, fontsize=11, loc="left")
    top.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
               frameon=False)
    top.spines[["top", "right"]].set_visible(False)
    labels = {d.name: d.label for d in specs.SPACE.dimensions}
    for i, (d, lv) in enumerate(rows):
        used = (f[d] == lv).to_numpy()
        bottom.scatter(x[used], np.full(used.sum(), i), marker="|", s=14, color="#34495e",
                       linewidths=0.7)
    bottom.set_yticks(range(len(rows)))
    bottom.set_yticklabels([f"{labels[d]}: {lv}" for d, lv in rows], fontsize=7)
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlim(-1, len(f))
    bottom.set_xlabel(f"{len(f)} specifications, sorted by estimate")
    bottom.spines[["top", "right"]].set_visible(False)
    return fig
