"""The chapter figures fit the text column with legible text (osteometals.paper.plots).

Each figure drawn with the book's style (:func:`osteometals.book.style.use`, as the
build does) must be at most the column's width (so the page never shrinks it and its
text), have no visible text below 9 points, and put at most two panels side by side.
The frames are small simulated ones: only their shape matters here.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from osteometals.book import style  # noqa: E402
from osteometals.paper import plots  # noqa: E402

METALS = ["pb", "cd", "hg", "mn", "se"]
rng = np.random.default_rng(0)


def _quartiles(models=("Model 1", "Model 2", "Model 3")):
    rows = [{"metal": m, "model": mo, "quartile": q, "estimate": e, "ci_lower": e / 1.5,
             "ci_upper": e * 1.5}
            for m in METALS for mo in models for q, e in
            zip(("Q1", "Q2", "Q3", "Q4"), (1.0, *rng.uniform(0.6, 1.8, 3)), strict=True)]
    return pd.DataFrame(rows)


def _subgroups():
    rows = [{"metal": m, "quartile": q, "stratifier": by, "stratum": s, "estimate": 1.2,
             "ci_lower": 0.8, "ci_upper": 1.8}
            for m in METALS for by, strata in (("age_group", ("50-59", "60-69", "70+")),
                                               ("bmi_group", ("<25", "25-30", "30+")))
            for s in strata for q in ("Q1", "Q2", "Q3", "Q4")]
    return pd.DataFrame(rows)


def _card():
    rows = []
    for table, quantity in (("Table 2", "OR"), ("Table 3", "beta"), ("Table 4", "OR"),
                            ("Table 1", "n")):
        for i in range(12):
            value = rng.uniform(0.5, 2.0) if quantity == "OR" else rng.normal(0, 0.02)
            rows.append({"table": table, "quantity": quantity, "published": value,
                         "ours": value * rng.uniform(0.8, 1.2),
                         "verdict": ("agree", "significance differs", "opposite")[i % 3]})
    return pd.DataFrame(rows)


def _flow():
    return pd.DataFrame({
        "step": ["NHANES participants", "Women aged 50 or older", "Blood metals measured",
                 "BMD measured", "Complete covariates"],
        "n_in": [20000, 20000, 3000, 2500, 2000], "n_out": [20000, 3000, 2500, 2000, 1800],
        "n_excluded": [0, 17000, 500, 500, 200],
        "reason": ["", "men or women under 50", "no blood metal measurement of all five",
                   "no valid DXA at every required site (femur, femoral neck, lumbar spine)",
                   "a missing covariate (education, income, smoking, BMI, diabetes, ...)"],
    })


def _multiverse():
    labels = ["this chapter's parameters", "cycles = H", "cycles = P", "min_age = 60",
              "spine_reference = hologic", "exclude_hormone_therapy = True"]
    return pd.DataFrame({"label": labels, "n": rng.integers(800, 2000, len(labels)),
                         "pct_op": rng.uniform(8, 20, len(labels)),
                         "weighted_pct_op": rng.uniform(8, 20, len(labels))})


def _evidence():
    scales = list(plots._SCALE_TITLES)
    return pd.DataFrame([{"scale": s, "weighted": w, "ours_se": se, "published_se": se * 2,
                          "n": 1800}
                         for s in scales for w in (True, False)
                         for se in rng.uniform(0.001, 0.05, 10)])


FIGURES = {
    "flow_diagram": lambda: plots.flow_diagram(_flow(), final_note="Osteoporosis n = 200",
                                               published="Paper: n = 1,000"),
    "multiverse_plot": lambda: plots.multiverse_plot(_multiverse(), published_pct=12.0,
                                                     published_n=1500),
    "subgroup_forest": lambda: plots.subgroup_forest(_subgroups()),
    "scorecard_scatter": lambda: plots.scorecard_scatter(_card()),
    "verdict_bars": lambda: plots.verdict_bars(_card()),
    "quartile_forest": lambda: plots.quartile_forest(
        {"design-based": _quartiles(), "unweighted": _quartiles(), "paper": _quartiles()}),
    "beta_scale_plot": lambda: plots.beta_scale_plot(_evidence(), 1000),
}


@pytest.fixture(autouse=True)
def book_style():
    style.use()
    yield
    plt.close("all")
    matplotlib.rcdefaults()


def test_the_width_limit_is_the_book_column():
    assert plots.WIDTH_IN == pytest.approx(style.WIDTH_IN)
    assert style.rendered_pt(plots.MIN_FONT_PT) >= style.MIN_PT


@pytest.mark.parametrize("name", FIGURES)
def test_a_chapter_figure_is_no_wider_than_the_column(name):
    fig = FIGURES[name]()
    assert fig.get_figwidth() <= style.WIDTH_IN + 1e-9


@pytest.mark.parametrize("name", FIGURES)
def test_a_chapter_figure_has_no_text_below_9_points(name):
    fig = FIGURES[name]()
    fig.canvas.draw()
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 9]
    assert small == []


@pytest.mark.parametrize("name", FIGURES)
def test_a_chapter_figure_puts_at_most_two_panels_side_by_side(name):
    fig = FIGURES[name]()
    lefts = {round(ax.get_position().x0, 2) for ax in fig.axes
             if ax.get_visible() and ax.axison}
    assert len(lefts) <= 2


def test_a_wider_figure_can_be_asked_for():
    assert plots.quartile_forest({"ours": _quartiles()}, width=9.0).get_figwidth() == 9.0
