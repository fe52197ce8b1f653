"""The one plotting style of the book, set in one place.

The build runs :func:`use` in a hidden first cell of every page
(:func:`osteometals.book.build.execute_chapter`), so every figure of the
book, whichever module draws it, gets the same look: seaborn's
``whitegrid`` theme, its colour-blind-safe ``colorblind`` palette (after
Okabe and Ito), and sizes chosen for the page rather than for a screen.

Sizes, and why
--------------
At a 1280 px wide window the text column of a chapter is
:data:`COLUMN_PX` CSS pixels wide. A figure is :data:`WIDTH_IN` inches wide
by default, so that it fills the column at :data:`PX_PER_INCH` CSS pixels per
figure inch; it is saved at :data:`DPI` dots per inch (sharper on
high-density screens), and the browser shows it no wider than the column, so
it is never enlarged beyond its own pixels. A font of ``s`` points in the
figure is then ``s * PX_PER_INCH / 72`` CSS pixels on the page: tick labels
of :data:`TICK_PT` points come out at about 10.4 CSS points, above the 9
points the book asks for (:func:`rendered_pt`). A panel whose plotting
area is at least :data:`MIN_PANEL_PX` pixels wide (about 300 px) means at
most :func:`panel_columns` panels side by side (two at the default width).

A figure drawn wider than :data:`WIDTH_IN` is shrunk to the column and its
text with it: the browser test measures each image (its pixels, its dpi and
its width on the page) and fails if its tick labels would fall below 9 pt.
"""

from __future__ import annotations

import math
from typing import Any

#: Width of a chapter's text column at a 1280 px window (sphinx-book-theme), CSS px.
COLUMN_PX = 672
#: CSS pixels per inch of a figure that fills the column.
PX_PER_INCH = 100
#: Default figure width: the column.
WIDTH_IN = COLUMN_PX / PX_PER_INCH
#: Resolution of the saved PNG (dots per figure inch).
DPI = 150
#: Font sizes in points (of the figure).
TICK_PT = 10.0
LABEL_PT = 11.0
TITLE_PT = 11.5
#: Smallest size a reader should meet on the page, in CSS points.
MIN_PT = 9.0
#: Narrowest plotting area of a panel of a multi-panel figure, CSS px on the page:
#: "about 300 px", what is left of half the column once each panel has its axis labels.
MIN_PANEL_PX = 280
#: seaborn's colour-blind-safe palette.
PALETTE = "colorblind"


def rendered_pt(font_pt: float, px_per_inch: float = PX_PER_INCH) -> float:
    """CSS points on the page of a figure font of ``font_pt`` points.

    Parameters
    ----------
    font_pt : float
        Font size in the figure, points (1/72 inch of the figure).
    px_per_inch : float
        CSS pixels the page gives one inch of the figure.

    Returns
    -------
    float
        The size the reader sees, in CSS points (1 pt = 4/3 CSS px).

    Examples
    --------
    >>> round(rendered_pt(TICK_PT), 1)
    10.4
    """
    return font_pt / 72 * px_per_inch * 0.75


def panel_columns(n_panels: int, width_in: float = WIDTH_IN) -> int:
    """How many panels fit side by side, each at least :data:`MIN_PANEL_PX` wide.

    Examples
    --------
    >>> panel_columns(5), panel_columns(1)
    (2, 1)
    """
    fit = max(1, math.floor(width_in * PX_PER_INCH / MIN_PANEL_PX))
    return max(1, min(n_panels, fit))


def rc() -> dict[str, Any]:
    """The matplotlib settings of the book, on top of seaborn's theme."""
    return {
        "figure.figsize": (WIDTH_IN, WIDTH_IN * 0.6),
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": LABEL_PT,
        "axes.labelsize": LABEL_PT,
        "axes.titlesize": TITLE_PT,
        "xtick.labelsize": TICK_PT,
        "ytick.labelsize": TICK_PT,
        "legend.fontsize": TICK_PT,
        "legend.title_fontsize": LABEL_PT,
        "figure.titlesize": TITLE_PT,
        "axes.titlelocation": "left",
        "svg.fonttype": "none",
    }


def use() -> None:
    """Set the book's style for every figure drawn after it (seaborn theme, palette, sizes)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, rc=rc())


def narrow_panels(fig: Any, width_in: float = WIDTH_IN) -> list[str]:
    """Panels of ``fig`` narrower than :data:`MIN_PANEL_PX` once the figure fills the column.

    A figure wider than ``width_in`` is shrunk to the column, so its panels
    are measured at that scale.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    width_in : float
        The width the page gives the figure, inches at :data:`PX_PER_INCH`.

    Returns
    -------
    list of str
        One line per panel that is too narrow (empty when all are wide enough).
    """
    fig_w = fig.get_figwidth()
    scale = PX_PER_INCH * min(1.0, width_in / fig_w)
    found = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        px = ax.get_position().width * fig_w * scale
        if px < MIN_PANEL_PX:
            found.append(f"panel {i} ({ax.get_title() or 'untitled'}): {px:.0f} px")
    return found
