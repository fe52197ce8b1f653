"""The BKMR figures fit the book's page: no wider than the column, text of 9 pt or more,
at most three panels side by side (osteometals.book.style sets the sizes; the browser
test measures the rendered pages, this one every BKMR figure as drawn)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from osteometals.book import style  # noqa: E402
from osteometals.paper import plots  # noqa: E402
from osteometals.stats import bkmr  # noqa: E402
from osteometals.stats.bkmr.summaries import bkmr_summaries  # noqa: E402


@pytest.fixture(scope="module")
def fit():
    data, _ = bkmr.simulate(n=60, seed=3)
    return bkmr.fit_mixture(data, n_warmup=20, n_draws=40, chains=2, seed=4,
                            temperatures=(1.0, 3.0))


def _figures(fit):
    summ = bkmr_summaries(fit, n_samples=10, ngrid=5)
    return {
        "univariate": plots.bkmr_univariate(fit.univariate()),
        "overall": plots.bkmr_overall(fit.overall()),
        "single": plots.bkmr_single_variable(summ["risk"], summ["interaction"]),
        "sections": plots.bkmr_sections(summ["section"]),
        "cd-se": plots.bkmr_sections(summ["section"], pairs=[("z1", "z2"), ("z2", "z1")]),
        "regions": plots.bkmr_regions({"a": fit.univariate(), "b": fit.univariate()},
                                      {"a": fit.overall(), "b": fit.overall()}),
        "trace": plots.bkmr_arviz(bkmr.to_inference_data(fit), ["lambda", "n_included"]),
        "rank": plots.bkmr_arviz(bkmr.to_inference_data(fit), ["lambda"], kind="rank"),
    }


def _columns(fig) -> int:
    """Most visible panels whose vertical extents overlap (panels in one row)."""
    boxes = [ax.get_position() for ax in fig.axes if ax.get_visible() and ax.axison]
    return max(sum(1 for o in boxes if o.y0 < b.y1 and b.y0 < o.y1) for b in boxes)


def test_page_width_is_the_books_column():
    assert plots.PAGE_WIDTH_IN == pytest.approx(style.WIDTH_IN)
    assert style.rendered_pt(plots.MIN_FONT_PT) >= style.MIN_PT


def test_bkmr_figures_fit_the_page(fit):
    with plt.rc_context(style.rc()):
        figs = _figures(fit)
        for name, fig in figs.items():
            fig.canvas.draw()
            assert fig.get_figwidth() <= style.WIDTH_IN + 1e-9, name
            sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
                     if t.get_visible() and t.get_text().strip()]
            assert min(sizes) >= plots.MIN_FONT_PT, (name, min(sizes))
            assert _columns(fig) <= plots.BKMR_COLUMNS, name
            plt.close(fig)
    assert np.isfinite(fit.overall()["est"]).all()
