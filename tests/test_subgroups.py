"""Table 4 (osteometals.paper.subgroups) on the synthetic cohort of test_regression.

References are direct fits with osteometals.stats.survey (itself checked against
R's survey package in test_survey.py) and the paper's Table 1 and 4 values
(osteometals.paper.published).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_regression import synthetic_cohort

from osteometals.paper import published, subgroups
from osteometals.paper import regression as reg
from osteometals.paper.models import LOGISTIC_MODELS
from osteometals.stats import survey


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return synthetic_cohort()


def test_a_stratum_is_a_domain_of_the_whole_design_without_its_stratifier(cohort):
    t4 = subgroups.stratified_models(cohort, stratifiers=["age_group"], metals=["cd"])
    assert set(t4.stratum) == {"50-60", "60-70", ">70"}
    r = t4[(t4.stratum == ">70") & (t4.quartile == "Q4")].iloc[0]
    d = reg.add_quartiles(cohort, ["cd"])
    adj = " + ".join(reg.adjustment_set(LOGISTIC_MODELS["Model 3"], drop=["age_group"]))
    direct = survey.svyglm(f"op ~ cd_q + {adj}", d, "binomial", domain=d.age_group == ">70")
    np.testing.assert_allclose(r.estimate, np.exp(direct.params["cd_q[T.Q4]"]), rtol=1e-10)
    assert r.n == int((cohort.age_group == ">70").sum())


def test_conventions_reach_the_stratum_fits(cohort):
    base = subgroups.stratified_models(cohort, stratifiers=["bmi_group"], metals=["se"])
    rank = subgroups.stratified_models(cohort, stratifiers=["bmi_group"], metals=["se"],
                                       trend_score="rank")
    assert (base.estimate == rank.estimate).all() and (base.p_trend != rank.p_trend).any()
    unw = subgroups.stratified_models(cohort, stratifiers=["bmi_group"], metals=["se"],
                                      options=reg.ModelOptions(weighted=False))
    assert not unw.weighted.any()


def test_interaction_table_has_one_test_per_metal_and_stratifier(cohort):
    inter = subgroups.interaction_table(cohort, metals=["cd", "pb"])
    assert len(inter) == 4 and (inter.ndf == 6).all() and (inter.method == "F").all()
    trend = subgroups.interaction_table(cohort, metals=["cd"], exposure="trend",
                                        trend_score="ln_median")
    assert (trend.ndf == 2).all()


def test_an_unknown_adjustment_is_refused(cohort):
    with pytest.raises(ValueError, match="adjustment must be one of"):
        subgroups.stratified_models(cohort, adjustment="Model 4")


def test_stratum_sizes_sit_beside_the_papers_table1(cohort):
    sizes = subgroups.stratum_sizes(cohort, published.table1()).set_index("stratum")
    assert sizes.loc[">70", "women"] == int((cohort.age_group == ">70").sum())
    # the paper's Table 1: 140 non-OP + 57 OP women over 70
    assert (sizes.loc[">70", "paper_women"], sizes.loc[">70", "paper_op"]) == (197, 57)


def test_side_by_side_and_widths_use_the_papers_layout(cohort):
    t4 = subgroups.stratified_models(cohort, metals=["cd"])
    strata = [s for _, s in published.STRATA]
    pub = published.table4().query("metal == 'cd'")
    wide = subgroups.side_by_side(t4, pub, {"cd": "Cd"}, strata)
    assert wide.shape == (3, 12) and wide.index[0] == ("Cd", "Q2")
    # the paper's Cd Q4 at 50-60: 4.538 (1.309, 15.734), P 0.017
    assert wide.loc[("Cd", "Q4"), ("paper", "50-60")] == "4.54 (1.31, 15.73), 0.017"
    widths = subgroups.ci_widths(t4, pub, strata)
    assert list(widths.index) == strata and widths.notna().all().all()


def test_quiet_metals_have_an_interaction_but_no_cell_of_note():
    t4 = pd.DataFrame({"metal": ["cd", "hg"], "quartile": ["Q4", "Q4"], "p": [0.01, 0.5],
                       "ci_lower": [1.2, 0.5], "ci_upper": [3.0, 2.0]})
    inter = pd.DataFrame({"metal": ["cd", "hg", "mn"], "p_interaction": [0.001, 0.001, 0.3]})
    assert subgroups.quiet_metals(t4, inter) == ["hg"]
