"""Display tables (osteometals.paper.tables) and the design comparisons
(osteometals.paper.design) of chapters 3 and 4, on the synthetic cohort of
test_regression. References are direct fits (osteometals.stats.survey) or numbers
worked out in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_regression import synthetic_cohort

from osteometals.paper import design, published, tables
from osteometals.paper import regression as reg
from osteometals.stats import survey


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return reg.add_quartiles(synthetic_cohort())


def test_cutpoint_ranges_and_the_gap_to_the_paper():
    cp = pd.DataFrame({"metal": "cd", "quartile": ["Q1", "Q2", "Q3", "Q4"],
                       "lower": [np.nan, 0.25, 0.40, 0.60],
                       "upper": [0.25, 0.40, 0.60, np.nan]})
    assert tables.cutpoint_ranges(cp).tolist() == ["≤0.25", "0.25-0.40", "0.40-0.60", ">0.60"]
    # the paper's Cd upper limits 0.25, 0.38, 0.61: gaps 0, 0.02/0.38, 0.01/0.61
    gap = tables.cutpoint_gap(cp, published.cutpoints().query("metal == 'cd'"))
    assert gap == pytest.approx(0.01 / 0.61)


def test_median_ci_width_is_on_the_log_scale_for_odds_ratios():
    f = pd.DataFrame({"quartile": ["Q1", "Q2", "Q3"], "ci_lower": [np.nan, 1.0, 0.5],
                      "ci_upper": [np.nan, np.e, 0.5 * np.e ** 3]})
    assert tables.median_ci_width(f) == pytest.approx(2.0)  # widths 1 and 3
    assert tables.median_ci_width(f.assign(ci_upper=[np.nan, 2.0, 1.0]), log=False) == 0.75


def test_fits_side_by_side_and_per_sd_tables(cohort):
    a = reg.table2(cohort, metals=["se", "cd"])
    b = reg.table2(cohort, metals=["se", "cd"], weighted=False)
    wide = tables.fits_side_by_side({"design-based": a, "unweighted": b}, ["model"])
    assert list(wide.index[:3]) == [("cd", "Q2"), ("cd", "Q3"), ("cd", "Q4")]  # paper's order
    r = a[(a.metal == "cd") & (a.quartile == "Q4") & (a.model == "Model 2")].iloc[0]
    assert wide.loc[("cd", "Q4"), ("Model 2", "design-based")] == (
        f"{r.estimate:.2f} ({r.ci_lower:.2f}, {r.ci_upper:.2f})")
    per_sd = reg.per_sd_models(cohort, "op", "binomial", {"M": ["diabetes"]}, ["se", "cd"])
    assert list(tables.per_sd_table(per_sd, ["model"]).index) == ["cd", "se"]


def test_standardised_beside_puts_b_beta_and_the_paper_in_one_cell_group(cohort):
    t3 = reg.table3(cohort, outcomes=["bmd_femur"], metals=["cd"])
    wide = tables.standardised_beside(t3, published.table3())
    cell = wide.loc[("cd", "Q4"), ("bmd_femur", "Model 1")]
    assert list(cell.index) == ["B", "Beta", "paper β"]
    assert cell["paper β"] == -0.112  # the paper's headline BMD cell
    ours = t3[(t3.quartile == "Q4") & (t3.model == "Model 1")].iloc[0]
    assert cell["Beta"] == round(ours.std_estimate, 3)


def test_se_decomposition_is_three_fits_of_one_coefficient(cohort):
    term = "cd_q[T.Q4]"
    demo = design.se_decomposition(cohort, "op", "cd_q", ["diabetes"], term).set_index("analysis")
    unw = survey.glm("op ~ cd_q + diabetes", cohort, "binomial")
    svy = survey.svyglm("op ~ cd_q + diabetes", cohort, "binomial")
    np.testing.assert_allclose(demo["log OR"], [unw.params[term], svy.params[term],
                                                svy.params[term]])
    np.testing.assert_allclose(demo.loc["weighted, strata and PSUs", "SE"], svy.bse[term])
    np.testing.assert_allclose(demo.loc["weighted, as if independent", "SE"],
                               np.sqrt(svy.naive_cov.loc[term, term]))
    facts = design.design_facts(cohort, svy, term)
    assert facts["design_df"] == facts["n_psu"] - facts["n_strata"]
    lin = design.se_decomposition(cohort, "bmd_femur", "cd_q", [], term, family="gaussian")
    assert "β" in lin.columns and "OR" not in lin.columns


def test_domain_vs_subset_agree_on_the_estimate(cohort):
    sub = design.domain_vs_subset(cohort, "op", "cd_q", ["diabetes"], "cd_q[T.Q4]",
                                  [("age_group", ">70")])
    inside = cohort.age_group == ">70"
    direct = survey.svyglm("op ~ cd_q + diabetes", cohort, "binomial", domain=inside)
    np.testing.assert_allclose(sub["OR"].iloc[0], np.exp(direct.params["cd_q[T.Q4]"]))
    np.testing.assert_allclose(sub["SE, domain"].iloc[0], direct.bse["cd_q[T.Q4]"])
    assert sub["women"].iloc[0] == int(inside.sum())


def test_n_columns_counts_levels_minus_one(cohort):
    # race 5 levels, diabetes 2, age continuous, a two-valued text column
    d = cohort.assign(cycle=["2013-2014", "2017-2020"] * (len(cohort) // 2))
    assert design.n_columns(d, ["race", "diabetes", "age", "cycle"]) == 4 + 1 + 1 + 1
