"""Figures shared by chapters (matplotlib only).

Functions take tidy frames and return a :class:`matplotlib.figure.Figure`;
chapters display them. Others may append functions here.

Every figure is at most :data:`WIDTH_IN` inches wide (the text column of the
book, :mod:`osteometals.book.style`), so that the page never shrinks it and
its text, sized by the book's style (no font below :data:`MIN_FONT_PT`
points), stays legible; a figure of several panels lays them out in a grid
of at most two columns (:func:`_grid`).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

_BOX = {"boxstyle": "round,pad=0.02", "linewidth": 1.0}

#: Widest figure, inches: the text column of the book (``osteometals.book.style.WIDTH_IN``;
#: repeated here because ``paper`` may not import ``book``, and tested to be equal).
WIDTH_IN = 6.72
#: The same width under the name the BKMR figures use.
PAGE_WIDTH_IN = WIDTH_IN
#: Smallest font of a figure, points: 9 pt on the page once the figure fills the column.
MIN_FONT_PT = 9.0
#: Most panels side by side (each about 300 px wide at the column's 672 px).
MAX_COLUMNS = 2
#: Most panels side by side in a BKMR figure (its univariate curves, five metals).
BKMR_COLUMNS = 3



def _grid(n: int, row_height: float, width: float = WIDTH_IN, **kwargs):
    """A grid of ``n`` panels, at most :data:`MAX_COLUMNS` a row; unused cells hidden.

    Returns
    -------
    (Figure, numpy.ndarray of Axes)
        The axes flattened, the first ``n`` being the panels.
    """
    ncols = max(1, min(n, MAX_COLUMNS))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, row_height * nrows), squeeze=False,
                             **kwargs)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat


def _box(ax, x, y, w, h, text, face="#eef3f8", edge="#34495e", size=MIN_FONT_PT + 0.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, facecolor=face,
                                edgecolor=edge, **_BOX))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "color": "#34495e", "lw": 1.0})


def _despine(*axes) -> None:
    """Hide the top and right spines of each axes (the house style of every figure).

    Parameters
    ----------
    *axes : matplotlib.axes.Axes
    """
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)


def _finish(fig: Figure, *axes, rect: tuple[float, float, float, float] | None = None) -> Figure:
    """Despine ``axes``, tighten the layout (inside ``rect`` if given) and return ``fig``."""
    _despine(*axes)
    if rect is None:
        fig.tight_layout()
    else:
        fig.tight_layout(rect=rect)
    return fig


def _label(labels: dict[str, str] | None, key: str) -> str:
    """Display name of ``key`` from an optional ``labels`` mapping (default: ``key`` itself).

    Parameters
    ----------
    labels : dict or None
        Key -> display name.
    key : str

    Returns
    -------
    str
    """
    return (labels or {}).get(key, key)


def flow_diagram(
    flow: pd.DataFrame,
    final_note: str | None = None,
    published: str | None = None,
    width: float = WIDTH_IN,
) -> Figure:
    """Participant flow (the paper's Figure 1) drawn from a flow table.

    Parameters
    ----------
    flow : pandas.DataFrame
        ``Cohort.flow``: ``step, n_in, n_excluded, n_out, reason``; the first
        row is the starting population.
    final_note : str, optional
        Extra line in the last box (e.g. the osteoporosis count).
    published : str, optional
        Text of a side box for the published numbers (shown beside the last box).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = flow.reset_index(drop=True)
    k = len(steps)
    step = 1.35
    height = step * k + 0.5
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, height)
    ax.axis("off")
    xm, bw, bh = 2.55, 4.9, 0.7
    xs, sw = 7.55, 4.8
    ys = [height - 0.6 - step * i for i in range(k)]
    for i, row in steps.iterrows():
        text = f"{row['step']}\nn = {int(row['n_out']):,}"
        last = i == k - 1
        if last and final_note:
            text += f"\n{final_note}"
        _box(ax, xm, ys[i], bw, bh + (0.25 if last and final_note else 0), text,
             face="#d5f5e3" if last else "#eef3f8")
        if i > 0:
            _arrow(ax, xm, ys[i - 1] - bh / 2, xm, ys[i] + bh / 2)
            ymid = (ys[i - 1] + ys[i]) / 2
            reason = "\n".join(textwrap.wrap(f"Excluded: {row['reason']}", 40)[:3])
            lines = reason.count("\n") + 2
            _box(ax, xs, ymid, sw, 0.15 + 0.17 * lines,
                 f"n = {int(row['n_excluded']):,}\n{reason}", face="#fdf2e9",
                 edge="#ba4a00", size=MIN_FONT_PT)
            ax.plot([xm, xs - sw / 2], [ymid, ymid], color="#ba4a00", lw=0.8)
    if published:
        ax.text(xs, ys[-1] - 0.1, published, ha="center", va="top", fontsize=MIN_FONT_PT,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "grey",
                      "linestyle": "--"})
    fig.tight_layout()
    return fig


def multiverse_plot(
    mv: pd.DataFrame,
    published_pct: float | None = None,
    published_n: int | None = None,
    width: float = WIDTH_IN,
) -> Figure:
    """Cohort size and osteoporosis prevalence under alternative choices.

    Parameters
    ----------
    mv : pandas.DataFrame
        :func:`osteometals.nhanes.cohort.multiverse` output (``label, n, pct_op,
        weighted_pct_op``); the first row is the default.
    published_pct, published_n : optional
        The paper's prevalence (%) and n, drawn as dashed reference lines.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, one above the other (the choices' labels are long).
    """
    labels = mv["label"].tolist()
    y = np.arange(len(labels))[::-1]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(width, 2 * (0.3 * len(labels) + 1.0)),
                                 sharey=True)
    colors = ["#1f618d" if i == 0 else "#7f8c8d" for i in range(len(labels))]
    a1.barh(y, mv["n"], color=colors)
    for yi, n in zip(y, mv["n"], strict=True):
        a1.text(n, yi, f" {int(n):,}", va="center", fontsize=MIN_FONT_PT)
    a1.set_yticks(y, labels)
    a2.tick_params(labelleft=True)
    a1.margins(x=0.15)
    a1.set_xlabel("Women in cohort (n)")
    a2.scatter(mv["pct_op"], y, color=colors, label="unweighted", zorder=3)
    a2.scatter(mv["weighted_pct_op"], y, marker="x", color="#c0392b", label="survey-weighted",
               zorder=3)
    a2.set_xlabel("Osteoporosis prevalence (%)")
    if published_n is not None:
        a1.axvline(published_n, ls="--", color="grey", lw=1)
        a1.text(published_n, y.max() + 0.6, "paper", ha="center", fontsize=MIN_FONT_PT,
                color="grey")
    if published_pct is not None:
        a2.axvline(published_pct, ls="--", color="grey", lw=1)
        a2.text(published_pct, y.max() + 0.6, "paper", ha="center", fontsize=MIN_FONT_PT,
                color="grey")
    a2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    _despine(a1, a2)
    a1.set_ylim(-0.7, len(labels) - 0.1)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------
# Published vs reproduced (chapters 6 and 8; appended by the scorecard owner)

_OURS = "#1f618d"
_BY = {"age_group": "age", "bmi_group": "BMI"}
_PAPER = "#ba4a00"
_VERDICT_COLORS = {
    "agree": "#1e8449",
    "significance differs": "#d4ac0d",
    "opposite, both n.s.": "#a6acaf",
    "opposite": "#c0392b",
    "direction unknown": "#5d6d7e",
    "p only": "#5d6d7e",
    "difference": "#5d6d7e",
    "not compared": "#eaecee",
}


def subgroup_forest(
    ours: pd.DataFrame,
    published: pd.DataFrame | None = None,
    metals: list[str] | None = None,
    labels: dict[str, str] | None = None,
    width: float = WIDTH_IN,
) -> Figure:
    """Forest plot of Table 4: quartile ORs within age and BMI strata, ours beside the paper's.

    Parameters
    ----------
    ours : pandas.DataFrame
        ``metal, quartile, stratifier, stratum, estimate, ci_lower, ci_upper``
        (Q1 rows are ignored).
    published : pandas.DataFrame, optional
        :func:`osteometals.paper.published.table4` (cut-off cells are drawn as a
        point with the half interval that survives).
    metals : list of str, optional
        Metals to draw (rows of panels); default all in ``ours``.
    labels : dict, optional
        Metal key -> panel label.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One row of panels per metal, one column per stratifier (at most two
        are drawn side by side); x is the OR on a log scale.
    """
    ours = ours[ours["quartile"] != "Q1"]
    metals = metals or list(dict.fromkeys(ours["metal"]))
    stratifiers = list(dict.fromkeys(ours["stratifier"]))
    n_strata = max(ours.groupby("stratifier")["stratum"].nunique().max(), 1)
    fig, axes = plt.subplots(len(metals), len(stratifiers),
                             figsize=(width, (0.26 * 3 * n_strata + 0.9) * len(metals)),
                             sharex=True, squeeze=False)
    for i, metal in enumerate(metals):
        for j, by in enumerate(stratifiers):
            ax = axes[i, j]
            o = ours[(ours["metal"] == metal) & (ours["stratifier"] == by)]
            strata = list(dict.fromkeys(o["stratum"]))
            ticks, names = [], []
            y = 0.0
            for s in strata:
                for q in ("Q2", "Q3", "Q4"):
                    r = o[(o["stratum"] == s) & (o["quartile"] == q)]
                    if len(r):
                        r = r.iloc[0]
                        ax.plot([r["ci_lower"], r["ci_upper"]], [y + 0.15, y + 0.15],
                                color=_OURS, lw=1.4)
                        ax.plot(r["estimate"], y + 0.15, "o", color=_OURS, ms=4)
                    if published is not None:
                        p = published[(published["metal"] == metal)
                                      & (published["stratum"] == s)
                                      & (published["quartile"] == q)]
                        if len(p):
                            p = p.iloc[0]
                            hi = p["ci_upper"] if np.isfinite(p["ci_upper"]) else p["estimate"]
                            ax.plot([p["ci_lower"], hi], [y - 0.15, y - 0.15], color=_PAPER,
                                    lw=1.4, ls="-" if np.isfinite(p["ci_upper"]) else ":")
                            ax.plot(p["estimate"], y - 0.15, "D", color=_PAPER, ms=3.5,
                                    mfc="white")
                    ticks.append(y)
                    names.append(f"{s}  {q}")
                    y -= 1
                y -= 0.6
            ax.axvline(1, color="grey", lw=0.8)
            ax.set_xscale("log")
            ax.set_yticks(ticks, names, fontsize=MIN_FONT_PT)
            _despine(ax)
            title = _label(labels, metal)
            ax.set_title(f"{title} by {_BY.get(by, by)}", loc="left")
    for ax in axes[-1]:
        ax.set_xlabel("OR vs Q1 (log scale)")
    handles = [plt.Line2D([], [], color=_OURS, marker="o", label="this book"),
               plt.Line2D([], [], color=_PAPER, marker="D", mfc="white", label="paper")]
    fig.legend(handles=handles, loc="upper right", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    return fig


def scorecard_scatter(card: pd.DataFrame, beta_label: str = "β, g/cm²",
                      width: float = WIDTH_IN) -> Figure:
    """Published vs reproduced estimates, one panel per regression table.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`osteometals.paper.scorecard.scorecard` output; rows with quantity
        ``"OR"`` (Tables 2 and 4, log scales) and ``"beta"`` (Table 3,
        linear scales) are drawn, coloured by verdict.
    beta_label : str
        What Table 3's βs are (the scale they are judged on), for its title.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels in a two-column grid; the fourth cell holds the legend.
    """
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    panels = [("Table 2", "OR"), ("Table 3", "beta"), ("Table 4", "OR")]
    fig, flat = _grid(4, width / 2)
    axes, legend_ax = flat[:3], flat[3]
    seen: dict[str, object] = {}
    for ax, (table, quantity) in zip(axes, panels, strict=True):
        g = card[(card["table"] == table) & (card["quantity"] == quantity)]
        g = g[g["ours"].notna()]
        x, y = g["published"].astype(float), g["ours"].astype(float)
        for verdict, gg in g.groupby("verdict"):
            seen[verdict] = ax.scatter(gg["published"].astype(float), gg["ours"].astype(float),
                                       s=16, color=_VERDICT_COLORS.get(verdict, "black"),
                                       label=verdict, edgecolor="none", alpha=0.85)
        if not len(g):
            ax.text(0.5, 0.5, "no results of ours", ha="center", va="center",
                    transform=ax.transAxes, color="grey")
        else:
            lo = float(min(x.min(), y.min()))
            hi = float(max(x.max(), y.max()))
            if quantity == "OR":
                ax.set_xscale("log")
                ax.set_yscale("log")
                lo, hi = lo / 1.2, hi * 1.2
                null = 1.0
            else:
                pad = 0.1 * (hi - lo)
                lo, hi = lo - pad, hi + pad
                null = 0.0
            ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
            ax.axhline(null, color="grey", lw=0.6)
            ax.axvline(null, color="grey", lw=0.6)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            if quantity == "OR":
                for axis in (ax.xaxis, ax.yaxis):
                    axis.set_major_formatter(ScalarFormatter())
                    axis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{table} ({'OR' if quantity == 'OR' else beta_label}), n = {len(g)}")
        ax.set(xlabel="paper", ylabel="this book")
    legend_ax.set_visible(True)
    legend_ax.axis("off")
    if seen:
        legend_ax.legend(list(seen.values()), list(seen), loc="center", frameon=False,
                         title="verdict")
    return _finish(fig, *axes)


def verdict_bars(card: pd.DataFrame, width: float = WIDTH_IN) -> Figure:
    """Stacked bars: how many cells of each table and quantity got each verdict.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`osteometals.paper.scorecard.scorecard` output.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = (card.groupby(["table", "quantity", "verdict"], sort=False).size()
              .unstack(fill_value=0))
    counts = counts.reindex(pd.MultiIndex.from_frame(
        card[["table", "quantity"]].drop_duplicates()))
    order = [v for v in _VERDICT_COLORS if v in counts.columns]
    counts = counts[order]
    labels = [f"{t}: {q}" for t, q in counts.index]
    fig, ax = plt.subplots(figsize=(width, 0.32 * len(labels) + 0.35 * (len(order) + 1) / 2
                                    + 1.2))
    left = np.zeros(len(counts))
    ypos = np.arange(len(counts))[::-1]
    for v in order:
        ax.barh(ypos, counts[v].to_numpy(), left=left, color=_VERDICT_COLORS[v], label=v,
                edgecolor="white", lw=0.5)
        left += counts[v].to_numpy()
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("published numbers")
    ax.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.4, -0.5 / fig.get_figheight() - 0.1),
              frameon=False)
    return _finish(fig, ax)


# --------------------------------------------------------------------------
# quartile forest plot (chapters 3 and 4; appended by the regression engineer)

_SERIES_STYLE = (
    (_OURS, "o", "full"),
    ("#7f8c8d", "s", "full"),
    (_PAPER, "D", "none"),
    ("#27ae60", "^", "full"),
)


def quartile_forest(
    series: dict[str, pd.DataFrame],
    metals: list[str] | None = None,
    models: list[str] | None = None,
    labels: dict[str, str] | None = None,
    ratio: bool = True,
    xlabel: str | None = None,
    width: float = WIDTH_IN,
) -> Figure:
    """Forest plot of quartile estimates (Q2-Q4 vs Q1), several series side by side.

    Parameters
    ----------
    series : dict of str -> pandas.DataFrame
        Legend label -> tidy frame with ``metal, model, quartile, estimate,
        ci_lower, ci_upper`` (Q1 rows ignored; a missing interval draws the
        point alone, as for the paper's Table 3 betas).
    metals : list of str, optional
        One panel per metal, in this order; default the metals of the first series.
    models : list of str, optional
        Models to draw (grouped rows within a panel); default those of the first series.
    labels : dict, optional
        Metal key -> panel title.
    ratio : bool
        Odds ratios on a log axis with a reference line at 1 (True), or
        differences on a linear axis with a line at 0.
    xlabel : str, optional
        Axis label.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metal, two to a row.
    """
    first = next(iter(series.values()))
    metals = metals or list(dict.fromkeys(first["metal"]))
    models = models or list(dict.fromkeys(first["model"]))
    quartiles = ("Q2", "Q3", "Q4")
    k = len(series)
    row_height = 0.2 * len(models) * 3 * max(k, 2) / 2 + 1.0
    fig, flat = _grid(len(metals), row_height, width, sharey=True)
    ncols = min(len(metals), MAX_COLUMNS)
    ticks, names = [], []
    y = 0.0
    rows = {}
    for model in models:
        for q in quartiles:
            rows[(model, q)] = y
            ticks.append(y)
            names.append(f"{model}  {q}")
            y -= 1
        y -= 0.5
    offsets = np.linspace(0.25, -0.25, k) if k > 1 else np.zeros(1)
    for i, (ax, metal) in enumerate(zip(flat, metals, strict=False)):
        for (label, frame), off, style in zip(series.items(), offsets, _SERIES_STYLE,
                                              strict=False):
            color, marker, fill = style
            f = frame[(frame["metal"] == metal) & frame["quartile"].isin(quartiles)
                      & frame["model"].isin(models)]
            for _, r in f.iterrows():
                yy = rows[(r["model"], r["quartile"])] + off
                if np.isfinite(r["ci_lower"]) and np.isfinite(r["ci_upper"]):
                    ax.plot([r["ci_lower"], r["ci_upper"]], [yy, yy], color=color, lw=1.2)
                ax.plot(r["estimate"], yy, marker, color=color, ms=4,
                        mfc=color if fill == "full" else "white", label=label)
        ax.axvline(1.0 if ratio else 0.0, color="grey", lw=0.8)
        if ratio:
            ax.set_xscale("log")
            lo, hi = ax.get_xlim()
            ticks_x = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if lo <= t <= hi]
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
            ax.set_xticks(ticks_x, [f"{t:g}" for t in ticks_x])
        else:
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.set_title(_label(labels, metal))
        _despine(ax)
        if xlabel:
            ax.set_xlabel(xlabel)
        if i % ncols == 0:
            ax.set_yticks(ticks, names)
        ax.tick_params(labelleft=i % ncols == 0)
    handles = [plt.Line2D([], [], color=c, marker=m, mfc=c if f == "full" else "white",
                          label=lab)
               for lab, (c, m, f) in zip(series, _SERIES_STYLE, strict=False)]
    fig.legend(handles=handles, loc="upper center", ncol=min(k, 3), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return fig


def wqs_weight_bars(
    weights: pd.DataFrame,
    labels: dict[str, str] | None = None,
    intervals: pd.DataFrame | None = None,
    directions: tuple[str, ...] = ("positive", "negative"),
) -> Figure:
    """WQS weights as horizontal bars, one panel per direction, with the 1/c line.

    Parameters
    ----------
    weights : pandas.DataFrame
        Tidy weights with columns ``metal``, ``weight``, ``direction``
        (:attr:`osteometals.stats.wqs.WQSResult.weights`).
    labels : dict, optional
        Display name per metal (e.g. ``{"cd": "Cd"}``).
    intervals : pandas.DataFrame, optional
        Columns ``direction``, ``metal``, ``p2_5``, ``p97_5`` (e.g. the
        repeated hold-out spread); drawn as whiskers.
    directions : tuple of str
        Panels, in order.

    Returns
    -------
    matplotlib.figure.Figure
        Bars sorted by weight (largest on top); the dashed line marks
        ``1/c`` for ``c`` exposures, the weight of an exposure if all
        contributed equally (a common threshold for "important").
    """
    present = [d for d in directions if d in set(weights["direction"])]
    fig, axes = plt.subplots(1, len(present), figsize=(min(PAGE_WIDTH_IN, 4.2 * len(present)), 3.0),
                             sharex=True, squeeze=False)
    for ax, direction in zip(axes[0], present, strict=True):
        w = weights[weights["direction"] == direction].sort_values("weight")
        names = [_label(labels, m) for m in w["metal"]]
        ypos = np.arange(len(w))
        ax.barh(ypos, w["weight"], color="#4c72b0" if direction == "positive" else "#c44e52")
        if intervals is not None:
            iv = intervals[intervals["direction"] == direction].set_index("metal")
            iv = iv.reindex(w["metal"])
            lo = (w["weight"].to_numpy() - iv["p2_5"].to_numpy()).clip(min=0)
            hi = (iv["p97_5"].to_numpy() - w["weight"].to_numpy()).clip(min=0)
            ax.errorbar(w["weight"], ypos, xerr=[lo, hi], fmt="none", ecolor="black",
                        elinewidth=0.8, capsize=2)
        ax.axvline(1.0 / len(w), color="grey", ls="--", lw=1.0)
        ax.set_yticks(ypos, names)
        ax.set_xlim(0, 1)
        ax.set_xlabel("weight")
        ax.set_title(f"{direction.capitalize()} direction", fontsize=10)
        _despine(ax)
    fig.tight_layout()
    return fig


def bkmr_univariate(
    curves: pd.DataFrame,
    labels: dict[str, str] | None = None,
    compare: pd.DataFrame | None = None,
    compare_label: str = "approximation",
    label: str = "exact",
) -> Figure:
    """BKMR univariate exposure-response curves with credible bands (Figure 3A).

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns ``exposure``, ``z``, ``est``, ``lower``, ``upper``
        (:meth:`osteometals.stats.bkmr.BKMRFit.univariate`), drawn as a light band;
        if present, ``lower_vs_median`` and ``upper_vs_median`` are drawn as
        a darker inner band.
    labels : dict, optional
        Display name per exposure.
    compare : pandas.DataFrame, optional
        A second set of curves (same columns), drawn as dashed lines.
    compare_label : str
        Legend label of ``compare``.
    label : str
        Legend label of ``curves``.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per exposure, :data:`BKMR_COLUMNS` to a row, x: z-score of
        the ln concentration, y: h on the probit scale (shifted to mean zero
        over the grid, as in bkmr); a spare cell holds the key to the bands.
    """
    names = list(dict.fromkeys(curves["exposure"]))
    nc = min(BKMR_COLUMNS, len(names))
    nr = -(-len(names) // nc)
    fig, axes = plt.subplots(nr, nc, figsize=(PAGE_WIDTH_IN, 2.3 * nr + 0.4), sharey=True,
                             sharex=True, squeeze=False)
    blue = "#4c72b0"
    for ax, name in zip(axes.flat, names, strict=False):
        c = curves[curves["exposure"] == name]
        ax.fill_between(c["z"], c["lower"], c["upper"], color=blue, alpha=0.18, lw=0,
                        label="95% band of h (bkmr)")
        if "lower_vs_median" in c:
            ax.fill_between(c["z"], c["lower_vs_median"], c["upper_vs_median"],
                            color=blue, alpha=0.3, lw=0, label="95% band against the median")
        ax.plot(c["z"], c["est"], color=blue, lw=1.5, label=f"posterior mean ({label})")
        if compare is not None:
            k = compare[compare["exposure"] == name]
            ax.plot(k["z"], k["est"], color="#dd8452", lw=1.2, ls="--", label=compare_label)
            ax.plot(k["z"], k["lower"], color="#dd8452", lw=0.6, ls=":")
            ax.plot(k["z"], k["upper"], color="#dd8452", lw=0.6, ls=":")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(_label(labels, name))
        ax.tick_params(labelbottom=True)
    for ax in axes[-1]:
        ax.set_xlabel("z of ln metal")
    for ax in axes[:, 0]:
        ax.set_ylabel("h(z), probit")
    spare = list(axes.flat)[len(names):]
    for ax in spare:
        ax.axis("off")
    handles, texts = axes[0, 0].get_legend_handles_labels()
    where = spare[0] if spare else axes[0, -1]
    where.legend(handles, [textwrap.fill(t, 18) for t in texts], loc="center", frameon=False)
    return _finish(fig, *axes.flat)


def bkmr_overall(overall: pd.DataFrame, *, compare: pd.DataFrame | None = None,
                 compare_label: str = "approximation", label: str = "exact") -> Figure:
    """BKMR overall mixture effect against all metals at their medians (Figure 3B).

    Parameters
    ----------
    overall : pandas.DataFrame
        Columns ``quantile``, ``est``, ``lower``, ``upper``
        (:meth:`osteometals.stats.bkmr.BKMRFit.overall`).
    compare, compare_label, label
        A second estimate (same columns, drawn offset to the right) and the
        legend labels of both, as in :func:`bkmr_univariate`.

    Returns
    -------
    matplotlib.figure.Figure
        Point estimates with 95% credible intervals per quantile.
    """
    fig, ax = plt.subplots(figsize=(min(5.0, PAGE_WIDTH_IN), 3.2))
    q = overall["quantile"].to_numpy()
    est = overall["est"].to_numpy()
    ax.errorbar(q, est, yerr=[est - overall["lower"], overall["upper"] - est], fmt="o",
                color="#4c72b0", ms=4, capsize=2, label=label)
    if compare is not None:
        e2 = compare["est"].to_numpy()
        ax.errorbar(compare["quantile"] + 0.012, e2,
                    yerr=[e2 - compare["lower"], compare["upper"] - e2], fmt="s",
                    color="#dd8452", ms=3, capsize=2, label=compare_label)
        ax.legend(frameon=False)
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("quantile of all five metals")
    ax.set_ylabel("h(q) - h(median)\n(probit scale)")
    return _finish(fig, ax)


def bkmr_traces(traces: pd.DataFrame) -> Figure:
    """Trace plots of BKMR chains, one panel per quantity, one colour per chain.

    Parameters
    ----------
    traces : pandas.DataFrame
        Columns ``chain``, ``draw``, ``quantity``, ``value``
        (:meth:`osteometals.stats.bkmr.BKMRFit.traces`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(dict.fromkeys(traces["quantity"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(7.0, 1.5 * len(names)), sharex=True,
                             squeeze=False)
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
    for ax, name in zip(axes[:, 0], names, strict=True):
        t = traces[traces["quantity"] == name]
        for c, g in t.groupby("chain"):
            ax.plot(g["draw"], g["value"], lw=0.5, color=colours[int(c) % len(colours)],
                    alpha=0.8, label=f"chain {int(c) + 1}")
        ax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        _despine(ax)
    axes[0, 0].legend(fontsize=7, frameon=False, ncol=4, loc="upper right")
    axes[-1, 0].set_xlabel("retained draw (after warm-up and thinning)")
    fig.tight_layout()
    return fig


#: Colours of the three percentile levels in the BKMR summary figures (bkmr's vignette
#: draws them as three hues of one legend).
_LEVEL_COLOURS = ("#4c72b0", "#55a868", "#c44e52")


def bkmr_single_variable(
    risks: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    labels: dict[str, str] | None = None,
) -> Figure:
    """Single-exposure effects and their interaction summaries (bkmr's vignette, Figure 3C-D style).

    Parameters
    ----------
    risks : pandas.DataFrame
        ``exposure``, ``q_fixed``, ``est``, ``lower``, ``upper``
        (:func:`osteometals.stats.bkmr.summaries.single_variable_risks`): the
        change of ``h`` when one exposure moves from its 25th to its 75th
        percentile, the others held at ``q_fixed``.
    interactions : pandas.DataFrame, optional
        ``exposure``, ``est``, ``lower``, ``upper``
        (:func:`~osteometals.stats.bkmr.summaries.single_variable_interactions`),
        drawn in a second panel.
    labels : dict, optional
        Display name per exposure.

    Returns
    -------
    matplotlib.figure.Figure
        One row per exposure; points with 95% credible intervals; a dashed
        line at 0; the legend of the levels under the panels.
    """
    names = list(dict.fromkeys(risks["exposure"]))
    levels = sorted(risks["q_fixed"].unique())
    ncol = 2 if interactions is not None else 1
    fig, axes = plt.subplots(1, ncol, figsize=(PAGE_WIDTH_IN if ncol == 2 else 4.5,
                                               0.55 * len(names) + 2.0),
                             sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": [3, 2][:ncol]})
    ax = axes[0, 0]
    ypos = np.arange(len(names))[::-1]
    for k, q in enumerate(levels):
        d = risks[risks["q_fixed"] == q].set_index("exposure").loc[names]
        off = (k - (len(levels) - 1) / 2) * 0.22
        ax.errorbar(d["est"], ypos + off, xerr=[d["est"] - d["lower"], d["upper"] - d["est"]],
                    fmt="o", ms=4, capsize=2, color=_LEVEL_COLOURS[k % 3],
                    label=f"others at {100 * q:.0f}th pct")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos, [_label(labels, n) for n in names])
    ax.set_xlabel("h(75th pct) - h(25th pct)\n(probit scale)")
    ax.set_title("Single-exposure effect")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=len(levels),
               frameon=False)
    if interactions is not None:
        ax = axes[0, 1]
        d = interactions.set_index("exposure").loc[names]
        ax.errorbar(d["est"], ypos, xerr=[d["est"] - d["lower"], d["upper"] - d["est"]],
                    fmt="o", ms=4, capsize=2, color="#8172b3")
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("effect, others at 75th\nminus at 25th pct")
        ax.set_title("Interaction")
    return _finish(fig, *axes.flat, rect=(0, 0.09, 1, 1))


def bkmr_sections(
    sections: pd.DataFrame,
    labels: dict[str, str] | None = None,
    pairs: list[tuple[str, str]] | None = None,
    ncols: int = BKMR_COLUMNS,
) -> Figure:
    """Bivariate exposure-response sections (bkmr ``PredictorResponseBivarLevels``).

    Parameters
    ----------
    sections : pandas.DataFrame
        ``exposure`` (along the x axis), ``by`` (held), ``level``, ``z``,
        ``est``, ``lower``, ``upper``
        (:func:`osteometals.stats.bkmr.summaries.bivariate_sections`).
    labels : dict, optional
        Display name per exposure.
    pairs : list of (exposure, by), optional
        Panels to draw, in order; default every pair once, the first
        exposure along x and the later one held (bkmr draws both orders;
        the other order is in the frame).
    ncols : int
        Panels per row (at most :data:`BKMR_COLUMNS`, so that each stays
        readable at the page width).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per pair: ``h`` against the all-median profile along one
        exposure, one line (with a light 95% band) per percentile of the held
        exposure. Parallel lines: no interaction.
    """
    levels = sorted(sections["level"].unique())
    if pairs is None:
        names = list(dict.fromkeys(sections["exposure"]))
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    nc = max(1, min(ncols, BKMR_COLUMNS, len(pairs)))
    nr = -(-len(pairs) // nc)
    fig, axes = plt.subplots(nr, nc, figsize=(PAGE_WIDTH_IN, 2.25 * nr + 0.7), sharey=True,
                             squeeze=False)
    for ax, (a, b) in zip(axes.flat, pairs, strict=False):
        d = sections[(sections["exposure"] == a) & (sections["by"] == b)]
        for k, lev in enumerate(levels):
            c = d[d["level"] == lev]
            col = _LEVEL_COLOURS[k % 3]
            ax.fill_between(c["z"], c["lower"], c["upper"], color=col, alpha=0.08, lw=0)
            ax.plot(c["z"], c["est"], color=col, lw=1.3,
                    label=f"held metal at {100 * lev:.0f}th pct")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(f"{_label(labels, a)}, {_label(labels, b)} held")
        ax.set_xlabel(f"z of ln {_label(labels, a)}")
    for ax in list(axes.flat)[len(pairs):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("h - h(median)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center",
               ncol=len(levels), frameon=False)
    return _finish(fig, *axes.flat, rect=(0, 0.5 / (2.25 * nr + 0.7), 1, 1))


#: Line styles of the five metals when their curves share a panel (colour and dash,
#: so that they survive a black-and-white print).
_METAL_STYLES = (("#0072B2", "-"), ("#D55E00", "--"), ("#009E73", "-."), ("#CC79A7", ":"),
                 ("#E69F00", (0, (5, 1, 1, 1))))


def bkmr_regions(
    curves: dict[str, pd.DataFrame],
    overall: dict[str, pd.DataFrame],
    labels: dict[str, str] | None = None,
) -> Figure:
    """Figure 3 (univariate curves and overall effect) of several fits, one row each.

    Parameters
    ----------
    curves : dict
        Row title -> :meth:`osteometals.stats.bkmr.BKMRFit.univariate` frame.
    overall : dict
        Row title -> :meth:`osteometals.stats.bkmr.BKMRFit.overall` frame (same keys).
    labels : dict, optional
        Display name per exposure.

    Returns
    -------
    matplotlib.figure.Figure
        Per row two panels: the posterior mean curves of all exposures, each
        against its value at the median (Figure 3A in one panel), and the
        overall effect with 95% intervals (Figure 3B); each column shares its
        y axis across rows, so the rows compare.
    """
    titles = list(curves)
    names = list(dict.fromkeys(next(iter(curves.values()))["exposure"]))
    fig, axes = plt.subplots(len(titles), 2, figsize=(PAGE_WIDTH_IN, 2.4 * len(titles) + 0.8),
                             sharey="col", sharex="col", squeeze=False)
    for i, t in enumerate(titles):
        ax = axes[i, 0]
        for j, name in enumerate(names):
            c = curves[t][curves[t]["exposure"] == name]
            mid = float(np.interp(0.0, c["z"], c["est"]))  # ln metal at its mean (z = 0)
            colour, dash = _METAL_STYLES[j % len(_METAL_STYLES)]
            ax.plot(c["z"], c["est"] - mid, color=colour, ls=dash, lw=1.5,
                    label=_label(labels, name))
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_ylabel("h(z) - h(0)")
        ax.set_title(textwrap.fill(t, 34))
        ax = axes[i, 1]
        o = overall[t]
        e = o["est"].to_numpy()
        ax.errorbar(o["quantile"], e, yerr=[e - o["lower"], o["upper"] - e], fmt="o", ms=3,
                    capsize=1.5, color="#c44e52")
        ax.axhline(0, color="grey", lw=0.6, ls="--")
        ax.set_ylabel("overall effect")
    axes[-1, 0].set_xlabel("z of ln metal")
    axes[-1, 1].set_xlabel("quantile of all five metals")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=len(names),
               frameon=False)
    return _finish(fig, *axes.flat, rect=(0, 0.45 / (2.4 * len(titles) + 0.8), 1, 1))


def bkmr_arviz(idata, var_names: list[str], kind: str = "trace") -> Figure:
    """Trace or rank plots of BKMR draws, drawn by ArviZ.

    Parameters
    ----------
    idata : arviz.InferenceData
        :func:`osteometals.stats.bkmr.to_inference_data` of a fit.
    var_names : list of str
        Posterior variables (e.g. ``["lambda", "n_included", "overall"]``).
    kind : {"trace", "rank"}
        ``arviz.plot_trace`` (values by draw, one line per chain, with
        densities) or ``arviz.plot_rank`` (rank histograms per chain: flat
        when the chains sample the same distribution).

    Returns
    -------
    matplotlib.figure.Figure
        At the page width, two panels to a row (ArviZ's layout), with the
        text at the book's sizes (ArviZ scales its own fonts with the figure).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        # a quantity constant in a chain (a metal never dropped) has no density to draw
        warnings.filterwarnings("ignore", "Your data appears to have a single value")
        import arviz as az

        if kind == "trace":
            axes = az.plot_trace(idata, var_names=var_names, compact=True,
                                 backend_kwargs={"figsize": (PAGE_WIDTH_IN, 2.0 * len(var_names)),
                                                 "layout": "constrained"})
        elif kind == "rank":
            axes = az.plot_rank(idata, var_names=var_names,
                                backend_kwargs={"figsize": (PAGE_WIDTH_IN,
                                                            2.0 * len(var_names) + 0.5),
                                                "layout": "constrained"})
        else:
            raise ValueError(f"kind must be 'trace' or 'rank', got {kind!r}")
    fig = np.asarray(axes).flat[0].figure
    for ax in fig.axes:  # ArviZ shrinks its text with the panel count
        ax.tick_params(labelsize=plt.rcParams["xtick.labelsize"])
        ax.title.set_fontsize(max(MIN_FONT_PT, ax.title.get_fontsize()))
        for lab in (ax.xaxis.label, ax.yaxis.label):
            lab.set_fontsize(max(MIN_FONT_PT, lab.get_fontsize()))
    return fig


# --------------------------------------------------------------------------
# Table 3's scale (chapter 4)

_SCALE_TITLES = {"unstandardised": "our B (g/cm²)", "standardised": "our standardised Beta"}


def beta_scale_plot(evidence: pd.DataFrame, n_published: int,
                    width: float = WIDTH_IN) -> Figure:
    """The SE each published (β, P) implies against our SE of the same cell, per scale.

    Parameters
    ----------
    evidence : pandas.DataFrame
        :func:`osteometals.paper.beta_scale.evidence` output (one or both fits).
    n_published : int
        The paper's sample size: the dashed line is where the paper's SE
        would lie if its βs were on the panel's scale (ours times
        ``sqrt(n / n_published)``).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per scale, log axes; points coloured by fit.
    """
    scales = [s for s in _SCALE_TITLES if s in set(evidence["scale"])]
    fig, flat = _grid(len(scales), width / 2 + 0.9, width, sharey=True)
    axes = flat[: len(scales)].reshape(1, -1)
    fits = {True: ("design-based", _OURS), False: ("unweighted", "#7f8c8d")}
    lo = float(min(evidence["ours_se"].min(), evidence["published_se"].min())) / 1.5
    hi = float(max(evidence["ours_se"].max(), evidence["published_se"].max())) * 1.5
    for ax, scale in zip(axes[0], scales, strict=True):
        e = evidence[evidence["scale"] == scale]
        for weighted, g in e.groupby("weighted", dropna=False):
            name, color = fits.get(weighted, ("ours", _OURS))
            ax.scatter(g["ours_se"], g["published_se"], s=12, color=color, alpha=0.7,
                       edgecolor="none", label=name)
        factor = float(np.sqrt(e["n"].median() / n_published))
        ax.plot([lo, hi], [lo * factor, hi * factor], color=_PAPER, ls="--", lw=1,
                label="paper = ours × √(n ours / n paper)")
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
               xlabel=f"SE of {_SCALE_TITLES[scale]}", title=scale)
        ax.legend(frameon=False, loc="upper left", fontsize=MIN_FONT_PT)
    axes[0, 0].set_ylabel("SE implied by the paper's β and P")
    return _finish(fig, *axes[0])


def qgcomp_partial_bars(
    weights: pd.DataFrame,
    labels: dict[str, str] | None = None,
    psi: float | None = None,
    xlabel: str = "coefficient per quartile (log OR)",
) -> Figure:
    """Quantile g-computation partial effects: each exposure's coefficient as a bar.

    Parameters
    ----------
    weights : pandas.DataFrame
        Columns ``exposure``, ``coefficient``, ``direction``, ``weight``
        (:attr:`osteometals.stats.qgcomp.QGCompResult.weights`).
    labels : dict, optional
        Display name per exposure.
    psi : float, optional
        The overall effect (the sum of the bars), drawn as a dashed line.
    xlabel : str
        Axis label (the scale of the coefficients).

    Returns
    -------
    matplotlib.figure.Figure
        Bars sorted by coefficient, positive ones blue and negative ones red,
        each annotated with its scaled weight within its direction.
    """
    w = weights.sort_values("coefficient")
    fig, ax = plt.subplots(figsize=(5.6, 0.45 * len(w) + 1.2))
    ypos = np.arange(len(w))
    colours = np.where(w["direction"] == "positive", "#4c72b0", "#c44e52")
    ax.barh(ypos, w["coefficient"], color=colours)
    for y, (c, share) in enumerate(zip(w["coefficient"], w["weight"], strict=True)):
        ax.annotate(f"w = {share:.2f}", (c, y), xytext=(4 if c >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha="left" if c >= 0 else "right",
                    fontsize=MIN_FONT_PT)
    ax.axvline(0, color="black", lw=0.8)
    if psi is not None:
        ax.axvline(psi, color="grey", ls="--", lw=1.0, label=f"ψ = {psi:.2f}")
        ax.legend(frameon=False, loc="lower right")
    ax.set_yticks(ypos, [_label(labels, m) for m in w["exposure"]])
    span = max(float(np.abs(w["coefficient"]).max()), abs(psi or 0.0)) or 1.0
    ax.set_xlim(-1.6 * span, 1.6 * span)
    ax.set_xlabel(xlabel)
    _despine(ax)
    fig.tight_layout()
    return fig
