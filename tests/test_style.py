"""The book's plotting style (osteometals.book.style): one place, legible on the page."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from osteometals.book import style  # noqa: E402


def test_tick_labels_are_at_least_9_points_on_the_page():
    assert style.rendered_pt(style.TICK_PT) >= style.MIN_PT
    # a figure twice the default width is shrunk to the column: its ticks fall below 9 pt
    assert style.rendered_pt(style.TICK_PT, style.PX_PER_INCH / 2) < style.MIN_PT


def test_use_sets_the_palette_and_sizes_for_every_later_figure():
    style.use()
    try:
        assert plt.rcParams["xtick.labelsize"] == style.TICK_PT
        assert tuple(plt.rcParams["figure.figsize"]) == (style.WIDTH_IN, style.WIDTH_IN * 0.6)
        first = matplotlib.colors.to_hex(plt.rcParams["axes.prop_cycle"].by_key()["color"][0])
        assert first == matplotlib.colors.to_hex(sns.color_palette("colorblind")[0])
    finally:
        matplotlib.rcdefaults()


def test_five_panels_are_laid_out_two_a_row_so_each_is_300_px_wide():
    assert style.panel_columns(5) == 2
    ok, _ = plt.subplots(3, style.panel_columns(5), figsize=(style.WIDTH_IN, 8),
                         layout="constrained")
    ok.canvas.draw()
    assert style.narrow_panels(ok) == []
    one_row, _ = plt.subplots(1, 5, figsize=(15, 3))  # shrunk to the column: 5 panels in 720 px
    assert len(style.narrow_panels(one_row)) == 5
    plt.close("all")
