"""The paper's claims as data (osteometals.paper.claims).

The paper's values must come from osteometals.paper.published, and each
claim, computed at the book's default specification, must equal the number
the book's own table code gives (paper/regression.py and paper/subgroups.py,
which are checked against R survey elsewhere): the claims fit the same
models through the design-matrix interface of svyglm instead of formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import claims, published
from osteometals.paper.claims import CLAIMS, Prepared, quantile_groups
from osteometals.stats.speccurve import NA

DEFAULT = {"weighting": "design", "design_df": "r_survey", "adjustment": "Model 1",
           "age_bmi": "groups", "cycle_term": "no", "trend_score": "median",
           "coding": "quartiles"}


def test_required_claims_exist_and_carry_the_glances_keys():
    from osteometals.book import glance

    assert {"cd_q4_op", "se_q3_op", "cd_q4_femur", "cd_sd_op", "se_sd_op", "wqs_pos_op",
            "cd_q4_op_50_60"} <= set(CLAIMS)
    assert {c.key for c in glance.CLAIMS} <= set(CLAIMS)


def test_paper_values_come_from_published():
    t2 = published.table2().set_index(["metal", "quartile", "model"])
    assert CLAIMS["cd_q4_op"].paper.value == t2.loc[("cd", "Q4", "Model 1"), "estimate"]
    assert CLAIMS["se_q3_op"].paper.value == t2.loc[("se", "Q3", "Model 1"), "estimate"]
    t3 = published.table3().set_index(["metal", "quartile", "outcome", "model"])
    assert CLAIMS["cd_q4_femur"].paper.value == t3.loc[
        ("cd", "Q4", "bmd_femur", "Model 1"), "estimate"]
    t4 = published.table4().set_index(["metal", "quartile", "stratum"])
    assert CLAIMS["cd_q4_op_50_60"].paper.value == t4.loc[("cd", "Q4", "50-60"), "estimate"]
    # the paper prints no per-SD or WQS number: direction only, from its text
    finding = published.findings().set_index("key")
    assert CLAIMS["cd_sd_op"].paper.value is None
    assert CLAIMS["cd_sd_op"].paper.direction == finding.loc["cd_op", "direction"] == 1
    assert CLAIMS["se_sd_op"].paper.direction == finding.loc["se_op", "direction"] == -1
    assert CLAIMS["wqs_pos_op"].metal == finding.loc["wqs_positive_index", "metal"] == "cd"
    assert CLAIMS["cd_q4_femur"].paper.direction == -1
    assert CLAIMS["se_q3_op"].paper.direction == -1


def test_claims_are_defined_only_where_they_make_sense():
    c = CLAIMS["cd_q4_femur"]
    assert not c.supports({**DEFAULT, "adjustment": "Model 3"})  # Table 3 has two models
    assert not CLAIMS["cd_q4_op"].supports({**DEFAULT, "coding": "ln_sd"})
    assert CLAIMS["cd_sd_op"].supports({**DEFAULT, "coding": "quartiles"})
    assert CLAIMS["cd_sd_op"].project({**DEFAULT})["coding"] == NA
    assert c.project({**DEFAULT, "neck_reference": "xue2021"})["neck_reference"] == NA
    with pytest.raises(ValueError, match="valid claims"):
        claims.get_claim("nope")


def test_quartile_groups_match_the_tables_quartiles():
    from osteometals.paper import regression

    rng = np.random.default_rng(0)
    d = pd.DataFrame({"cd": np.round(rng.lognormal(-1, 0.6, 500), 2)})
    ours = quantile_groups(d["cd"], 4)
    theirs = regression.add_quartiles(d.assign(pb=1.0), ["cd"])["cd_q"]
    assert ours.astype(str).tolist() == theirs.astype(str).tolist()
    tert = quantile_groups(d["cd"], 3)
    assert list(tert.cat.categories) == ["T1", "T2", "T3"]
    assert tert.value_counts().min() > 150


# --------------------------------------------------------------------------- real cohort


@pytest.fixture(scope="module")
def cohort(nhanes_mirror):
    from osteometals.nhanes.cohort import get_cohort

    return get_cohort().data


@pytest.mark.mirror
def test_contrast_claims_equal_table2(cohort):
    from osteometals.paper import regression

    t2 = regression.table2(cohort, metals=["cd", "se"]).set_index(["metal", "quartile",
                                                                   "model"])
    for name, metal, q in (("cd_q4_op", "cd", "Q4"), ("se_q3_op", "se", "Q3")):
        for model in ("Model 1", "Model 3"):
            for weighting in ("design", "unweighted"):
                spec = {**DEFAULT, "adjustment": model, "weighting": weighting}
                out = CLAIMS[name].compute(Prepared(cohort), spec)
                ref = t2 if weighting == "design" else regression.table2(
                    cohort, weighted=False, metals=[metal]).set_index(
                        ["metal", "quartile", "model"])
                # the same fit through two interfaces: equal to rounding
                assert np.exp(out["b"]) == pytest.approx(ref.loc[(metal, q, model),
                                                                 "estimate"], rel=1e-8)


@pytest.mark.mirror
@pytest.mark.parametrize("score", ["median", "ln_median", "rank"])
def test_trend_claim_equals_the_tables_p_for_trend(cohort, score):
    from scipy import stats

    from osteometals.paper import regression

    t2 = regression.table2(cohort, metals=["cd"], trend_score=score).set_index(
        ["metal", "quartile", "model"])
    out = CLAIMS["cd_trend_op"].compute(Prepared(cohort), {**DEFAULT, "trend_score": score})
    p = 2 * stats.t.sf(abs(out["b"]), out["df"])
    assert p == pytest.approx(t2.loc[("cd", "Q4", "Model 1"), "p_trend"], rel=1e-8)


@pytest.mark.mirror
def test_per_sd_and_cycle_term_claims_equal_the_tables(cohort):
    from osteometals.paper import regression
    from osteometals.paper.models import LOGISTIC_MODELS

    for cycle_term in (False, True):
        sd = regression.per_sd_models(cohort, "op", "binomial", LOGISTIC_MODELS,
                                      metals=["cd", "se"], cycle_term=cycle_term)
        sd = sd.set_index(["metal", "model"])
        spec = {**DEFAULT, "adjustment": "Model 2", "cycle_term": "yes" if cycle_term else "no"}
        for name, metal in (("cd_sd_op", "cd"), ("se_sd_op", "se")):
            out = CLAIMS[name].compute(Prepared(cohort), spec)
            assert np.exp(out["b"]) == pytest.approx(sd.loc[(metal, "Model 2"), "estimate"],
                                                     rel=1e-8)


@pytest.mark.mirror
@pytest.mark.parametrize("name, metal, q, stratum", [("cd_q4_op_50_60", "cd", "Q4", "50-60"),
                                                     ("se_q4_op_60_70", "se", "Q4", "60-70")])
def test_stratum_claims_equal_table4(cohort, name, metal, q, stratum):
    from osteometals.paper import subgroups

    t4 = subgroups.stratified_models(cohort, stratifiers=("age_group",), metals=[metal])
    ref = t4.set_index(["quartile", "stratum"]).loc[(q, stratum), "estimate"]
    out = CLAIMS[name].compute(Prepared(cohort), {**DEFAULT, "adjustment": "Model 3"})
    assert np.exp(out["b"]) == pytest.approx(ref, rel=1e-8)
    assert out["n"] == int((cohort["age_group"] == stratum).sum())


@pytest.mark.mirror
@pytest.mark.parametrize("weighting", ["design", "unweighted"])
def test_bmd_claim_is_the_standardised_table3_beta(cohort, weighting):
    from osteometals.paper import regression

    t3 = regression.table3(cohort, outcomes=["bmd_femur"], metals=["cd"],
                           weighted=weighting == "design")
    ref = t3.set_index(["quartile", "model"]).loc[("Q4", "Model 1")]
    out = CLAIMS["cd_q4_femur"].compute(Prepared(cohort), {**DEFAULT, "weighting": weighting})
    assert out["b"] == pytest.approx(ref["std_estimate"], rel=1e-8)
    assert out["se"] == pytest.approx(ref["std_se"], rel=1e-8)


@pytest.mark.mirror
def test_wqs_claim_reports_the_positive_index_and_the_top_weight(cohort):
    out = CLAIMS["wqs_pos_op"].compute(Prepared(cohort), {**DEFAULT, "adjustment": "Model 3",
                                                          "weighting": "unweighted"},
                                       claims.ClaimSettings(wqs_b=10))
    assert out["df"] == np.inf and out["m"] == 1
    assert out["top"] in {"pb", "cd", "hg", "se", "mn"} and 0 <= out["weight"] <= 1


@pytest.mark.mirror
def test_a_stratum_left_with_one_psu_is_a_certainty_psu(cohort):
    """An exclusion can leave a stratum with one PSU: the fit still has an estimate, the
    one R survey gives with options(survey.lonely.psu = "certainty")."""
    from osteometals.paper import regression

    stratum = cohort["stratum"].iloc[0]
    psu = cohort.loc[cohort["stratum"] == stratum, "psu"].min()
    some = cohort[~((cohort["stratum"] == stratum) & (cohort["psu"] == psu))]
    assert some.loc[some["stratum"] == stratum, "psu"].nunique() == 1
    out = CLAIMS["cd_q4_op"].compute(Prepared(some), DEFAULT)
    from osteometals.paper.models import LOGISTIC_MODELS

    ref = regression.fit(regression.add_quartiles(some), "op", "cd_q",
                         LOGISTIC_MODELS["Model 1"], lonely_psu="certainty")
    assert out["b"] == pytest.approx(ref.params["cd_q[T.Q4]"], rel=1e-8)
    assert out["se"] == pytest.approx(ref.bse["cd_q[T.Q4]"], rel=1e-8)


@pytest.mark.mirror
def test_design_df_convention_changes_only_the_df(cohort):
    """psu_minus_strata (SUDAAN, SAS, Stata): the same estimate and SE on PSUs - strata df,
    as the book's table code with the same option."""
    from osteometals.paper import regression
    from osteometals.paper.models import LOGISTIC_MODELS

    r = CLAIMS["cd_q4_op"].compute(Prepared(cohort), DEFAULT)
    s = CLAIMS["cd_q4_op"].compute(Prepared(cohort), {**DEFAULT, "design_df": "psu_minus_strata"})
    ref = regression.fit(regression.add_quartiles(cohort), "op", "cd_q",
                         LOGISTIC_MODELS["Model 1"], df="psu_minus_strata")
    assert (s["b"], s["se"]) == pytest.approx((r["b"], r["se"]), rel=1e-12)
    n_psu = len(cohort[["stratum", "psu"]].drop_duplicates())
    assert s["df"] == ref.df_resid == n_psu - cohort["stratum"].nunique()
    assert s["df"] > r["df"]  # R's residual df also subtracts the model's parameters
