"""Specification of osteometals.paper.regression on synthetic cohorts (no NHANES needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes.variables import CATEGORIES, METAL_KEYS
from osteometals.paper import regression as reg
from osteometals.paper.models import LINEAR_MODELS, LOGISTIC_MODELS
from osteometals.stats import survey


def synthetic_cohort(n: int = 1200, seed: int = 1) -> pd.DataFrame:
    """A cohort-shaped frame: design, five metals, outcomes and covariates.

    Cadmium raises the odds of osteoporosis (log-OR 1.2 per ln unit) and
    lowers BMD at every site (-0.05 g/cm² per ln unit); the other metals do nothing.
    """
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "stratum": rng.integers(1, 41, n),  # 40 strata x 2 PSUs, like the cohort
        "psu": rng.integers(1, 3, n),
        "weight": rng.lognormal(9, 0.5, n),
        "age": rng.uniform(50, 80, n),
        "bmi": rng.normal(28, 5, n),
    })
    for key, mu in zip(METAL_KEYS, [0.1, -1.0, -0.3, 5.2, 2.2], strict=True):
        d[key] = np.round(np.exp(rng.normal(mu, 0.5, n)), 3)
    for cov, levels in CATEGORIES.items():
        if cov in ("age_group", "bmi_group", "bone_status"):
            continue
        d[cov] = pd.Categorical(rng.choice(levels, n), categories=levels)
    d["age_group"] = pd.Categorical(
        pd.cut(d["age"], [0, 60, 70, np.inf], labels=list(CATEGORIES["age_group"])).astype(str),
        categories=CATEGORIES["age_group"])
    d["bmi_group"] = pd.Categorical(
        pd.cut(d["bmi"], [0, 25, 30, np.inf], labels=list(CATEGORIES["bmi_group"])).astype(str),
        categories=CATEGORIES["bmi_group"])
    eta = -1.5 + 1.2 * np.log(d["cd"] / 0.37) + 0.03 * (d["age"] - 65)
    d["op"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    for site in ("bmd_femur", "bmd_neck", "bmd_spine"):
        d[site] = 0.85 - 0.05 * np.log(d["cd"] / 0.37) + rng.normal(0, 0.12, n)
    return d


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return synthetic_cohort()


def test_quartile_cutpoints_are_the_unweighted_percentiles(cohort):
    cp = reg.quartile_cutpoints(cohort, ["cd"])
    expected = np.quantile(cohort["cd"], [0.25, 0.5, 0.75])  # R quantile() type 7
    np.testing.assert_allclose(cp["upper"].iloc[:3], expected)
    assert cp["quartile"].tolist() == ["Q1", "Q2", "Q3", "Q4"]
    assert cp["n"].sum() == len(cohort)


def test_a_value_equal_to_a_cutpoint_falls_in_the_lower_quartile():
    d = pd.DataFrame({"cd": np.arange(1.0, 10.0)})  # quartiles cut at 3, 5, 7
    q = reg.add_quartiles(d, ["cd"])["cd_q"]
    assert q[d["cd"] == 3].item() == "Q1"
    assert q[d["cd"] == 3.0 + 1].item() == "Q2"
    assert q[d["cd"] == 7].item() == "Q3"


def test_weighted_cutpoints_are_the_inverse_weighted_ecdf():
    """Smallest x whose weighted ECDF reaches q (R svyquantile, qrule = "math")."""
    d = pd.DataFrame({"cd": np.arange(1.0, 101.0), "weight": 1.0})
    equal = reg.quartile_cutpoints(d, ["cd"], weighted=True)
    assert equal["upper"].iloc[:3].tolist() == [25.0, 50.0, 75.0]  # inverse ECDF
    heavy_top = d.assign(weight=np.where(d["cd"] > 50, 3.0, 1.0))
    shifted = reg.quartile_cutpoints(heavy_top, ["cd"], weighted=True)
    # by hand: total weight 50 + 150 = 200. 25% = 50 is reached at x = 50; 50% = 100
    # needs 50 more from the weight-3 values, reached at x = 50 + 17 = 67 (cumulative
    # 101); 75% = 150 needs 100 more, reached at x = 50 + 34 = 84 (cumulative 152)
    assert shifted["upper"].iloc[:3].tolist() == [50.0, 67.0, 84.0]


def test_trend_score_is_the_median_of_the_womans_quartile(cohort):
    d = reg.add_quartiles(cohort, ["cd"])
    medians = d.groupby("cd_q", observed=True)["cd"].median()
    np.testing.assert_allclose(d["cd_qmed"], d["cd_q"].map(medians).astype(float))


def test_per_sd_exposure_is_standardised_ln_metal(cohort):
    z = reg.add_quartiles(cohort, ["se"])["se_lnsd"]
    ln = np.log(cohort["se"])
    np.testing.assert_allclose(z, (ln - ln.mean()) / ln.std(ddof=1), rtol=1e-12)
    # rounding only: 1200 values of order 1
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


def test_adjustment_set_age_bmi_and_drop():
    m3 = LOGISTIC_MODELS["Model 3"]
    assert reg.adjustment_set(m3) == list(m3)
    cont = reg.adjustment_set(m3, "continuous")
    assert "age" in cont and "bmi" in cont and "age_group" not in cont
    assert "age" not in reg.adjustment_set(m3, "continuous", drop=["age_group"])
    assert "bmi_group" not in reg.adjustment_set(m3, drop=["bmi"])
    with pytest.raises(ValueError):
        reg.adjustment_set(m3, "splines")


def test_quartile_models_tidy_layout(cohort):
    out = reg.quartile_models(cohort, "op", "binomial", LOGISTIC_MODELS, metals=["cd", "se"])
    assert list(out.columns) == reg.TIDY_COLUMNS
    assert len(out) == 2 * 3 * 4  # metals x models x quartiles
    q1 = out[out["quartile"] == "Q1"]
    assert (q1["estimate"] == 1.0).all() and q1["ci_lower"].isna().all()
    assert out["weighted"].all() and (out["outcome"] == "op").all()
    assert (out.groupby(["metal", "model"])["p_trend"].nunique() == 1).all()


def test_odds_ratios_and_trend_are_those_of_the_design_based_fits(cohort):
    out = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes", "age_group"]},
                              metals=["cd"]).set_index("quartile")
    d = reg.add_quartiles(cohort, ["cd"])
    direct = survey.svyglm("op ~ cd_q + diabetes + age_group", d, "binomial")
    trend = survey.svyglm("op ~ cd_qmed + diabetes + age_group", d, "binomial")
    np.testing.assert_allclose(out.loc["Q4", "estimate"], np.exp(direct.params["cd_q[T.Q4]"]))
    np.testing.assert_allclose(out.loc["Q4", "p"], direct.pvalues["cd_q[T.Q4]"])
    np.testing.assert_allclose(out.loc["Q4", "p_trend"], trend.pvalues["cd_qmed"])
    assert out.loc["Q4", "n"] == len(cohort)


def test_a_real_effect_is_found_and_a_null_one_is_not(cohort):
    """Cd's true OR for Q4 vs Q1 in ``synthetic_cohort`` is about exp(1.2 x 1.27) = 4.6
    (ln Cd is normal with SD 0.5, and the top and bottom quartile means of a normal
    are 2.54 SD apart): P for trend far below 0.001. The four null metals must not
    reach 0.001 (a chance failure of at most 4 x 0.001 for a new seed)."""
    out = reg.table2(cohort)
    m1 = out[(out["model"] == "Model 1") & (out["quartile"] == "Q4")].set_index("metal")
    assert m1.loc["cd", "ci_lower"] > 1 and m1.loc["cd", "p_trend"] < 0.001
    assert (m1.drop(index="cd")["p_trend"] > 0.001).all()


def test_linear_models_report_betas_for_three_sites(cohort):
    out = reg.table3(cohort, metals=["cd"])
    assert set(out["outcome"]) == {"bmd_femur", "bmd_neck", "bmd_spine"}
    assert set(out["model"]) == set(LINEAR_MODELS)
    q1 = out[out["quartile"] == "Q1"]
    assert (q1["estimate"] == 0.0).all()
    q4 = out[out["quartile"] == "Q4"]
    assert (q4["estimate"] < 0).all() and (q4["p_trend"] < 0.01).all()


def test_unweighted_path_is_the_ordinary_glm(cohort):
    out = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"],
                              weighted=False).set_index("quartile")
    d = reg.add_quartiles(cohort, ["cd"])
    direct = survey.glm("op ~ cd_q + diabetes", d, "binomial")
    assert not out["weighted"].any()
    np.testing.assert_allclose(out.loc["Q2", "estimate"], np.exp(direct.params["cd_q[T.Q2]"]))


def test_domain_keeps_cutpoints_and_design_of_the_whole_cohort(cohort):
    young = cohort["age_group"] == "50-60"
    out = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"],
                              domain=young).set_index("quartile")
    d = reg.add_quartiles(cohort, ["cd"])  # cut-points from the whole cohort
    direct = survey.svyglm("op ~ cd_q + diabetes", d, "binomial", domain=young)
    assert out.loc["Q1", "n"] == young.sum()
    np.testing.assert_allclose(out.loc["Q3", "estimate"], np.exp(direct.params["cd_q[T.Q3]"]))
    np.testing.assert_allclose(out.loc["Q3", "p"], direct.pvalues["cd_q[T.Q3]"])


def test_drop_removes_the_stratifier_from_every_model(cohort):
    young = cohort["age_group"] == "50-60"
    kept = reg.quartile_models(cohort, "op", "binomial", {"M": ["age_group", "diabetes"]},
                               metals=["cd"], domain=young)
    dropped = reg.quartile_models(cohort, "op", "binomial", {"M": ["age_group", "diabetes"]},
                                  metals=["cd"], domain=young, drop=["age_group"])
    # age_group is constant in the domain: aliased when kept, so same ORs
    np.testing.assert_allclose(kept["estimate"], dropped["estimate"], rtol=1e-8)


def test_per_sd_model_reports_one_row_per_metal_and_model(cohort):
    out = reg.per_sd_models(cohort, "op", "binomial", LOGISTIC_MODELS)
    assert len(out) == len(METAL_KEYS) * 3
    assert (out["quartile"] == "per SD").all()
    cd = out[(out["metal"] == "cd") & (out["model"] == "Model 1")].iloc[0]
    assert cd["estimate"] > 1 and cd["p"] < 0.001


def test_interaction_test_tests_all_product_terms(cohort):
    test = reg.interaction_test(cohort, "cd", "age_group")
    assert test.method == "F" and test.ndf == 3 * 2
    trend = reg.interaction_test(cohort, "cd", "age_group", exposure="trend")
    assert trend.ndf == 2
    # the same joint Wald test as a direct svyglm fit of the product model
    # (Model 3 covariates, age_group moved out of them into the interaction)
    d = reg.add_quartiles(cohort, ["cd"])
    adj = " + ".join(reg.adjustment_set(LOGISTIC_MODELS["Model 3"], drop=["age_group"]))
    direct = survey.svyglm(f"op ~ cd_q * age_group + {adj}", d, "binomial")
    ref = direct.wald_test("cd_q:age_group")
    assert (test.ndf, test.ddf) == (ref.ndf, ref.ddf)
    np.testing.assert_allclose([test.statistic, test.p], [ref.statistic, ref.p], rtol=1e-10)


# ----------------------------------------------------------------------------- conventions


def test_the_three_trend_scores(cohort):
    d = reg.add_quartiles(cohort, ["cd"])
    np.testing.assert_allclose(d["cd_qlnmed"], np.log(d["cd_qmed"]))
    assert d.groupby("cd_q", observed=True)["cd_qrank"].first().tolist() == [0, 1, 2, 3]
    assert reg.trend_column("cd", "ln_median") == "cd_qlnmed"
    with pytest.raises(ValueError, match="trend_score must be one of 'median', 'ln_median', "
                                         "'rank'; got 'mean'"):
        reg.trend_column("cd", "mean")


@pytest.mark.parametrize("score", ["median", "ln_median", "rank"])
def test_p_for_trend_is_that_of_the_chosen_score(cohort, score):
    out = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["hg"],
                              trend_score=score)
    d = reg.add_quartiles(cohort, ["hg"])
    col = reg.trend_column("hg", score)
    direct = survey.svyglm(f"op ~ {col} + diabetes", d, "binomial")
    np.testing.assert_allclose(out["p_trend"].iloc[0], direct.pvalues[col], rtol=1e-12)


def test_trend_scores_differ_only_in_the_trend(cohort):
    a = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"])
    b = reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"],
                            trend_score="rank")
    pd.testing.assert_frame_equal(a.drop(columns="p_trend"), b.drop(columns="p_trend"))
    assert a["p_trend"].iloc[0] != b["p_trend"].iloc[0]


def test_cycle_term_adds_the_cycle_to_every_adjustment_set(cohort):
    assert reg.adjustment_set(["diabetes"], cycle_term=True) == ["diabetes", "cycle"]
    assert reg.adjustment_set(["diabetes"], cycle_term=True, drop=["cycle"]) == ["diabetes"]
    d = cohort.assign(cycle=np.where(np.arange(len(cohort)) % 3 == 0, "2013-2014",
                                     "2017-2020"))
    out = reg.quartile_models(d, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"],
                              cycle_term=True).set_index("quartile")
    direct = survey.svyglm("op ~ cd_q + diabetes + cycle", reg.add_quartiles(d, ["cd"]),
                           "binomial")
    np.testing.assert_allclose(out.loc["Q4", "estimate"], np.exp(direct.params["cd_q[T.Q4]"]))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("trend_score", "mean", "trend_score must be one of"),
    ("age_bmi", "splines", "age_bmi must be one of"),
    ("weighted", "yes", "weighted must be True or False"),
    ("cycle_term", 1, "cycle_term must be True or False"),
    ("alpha", 1.5, r"alpha must lie in \(0, 1\)"),
    ("lonely_psu", "drop", "lonely_psu must be one of"),
    ("design_df", "sas", "design_df must be one of"),
])
def test_an_unknown_convention_is_refused_before_any_fit(field, value, message):
    with pytest.raises(ValueError, match=message):
        reg.ModelOptions(**{field: value})


def test_design_df_reaches_the_design_based_fit(cohort):
    """``psu_minus_strata`` keeps the design's df whatever the model (stats.design), so
    the trend P and the CIs of the same estimates widen or narrow with it; unweighted
    fits have no design df and ignore the option."""
    r, s = (reg.quartile_models(cohort, "op", "binomial", {"M": ["diabetes"]}, metals=["cd"],
                                design_df=df) for df in ("r_survey", "psu_minus_strata"))
    np.testing.assert_allclose(r["estimate"], s["estimate"], rtol=1e-12)
    q4r, q4s = r[r.quartile == "Q4"].iloc[0], s[s.quartile == "Q4"].iloc[0]
    # more df -> smaller t quantile -> narrower CI (PSUs - strata > PSUs - strata - p + 1)
    assert (q4s.ci_upper - q4s.ci_lower) < (q4r.ci_upper - q4r.ci_lower)
    assert reg.ModelOptions(weighted=False, design_df="psu_minus_strata").design == {}


def test_an_unknown_option_name_is_refused(cohort):
    with pytest.raises(TypeError, match="unknown model option.*trend"):
        reg.table2(cohort, trend="rank")


def test_options_and_keywords_are_the_same_thing(cohort):
    opts = reg.ModelOptions(weighted=False, trend_score="rank")
    a = reg.table2(cohort, options=opts, metals=["cd"])
    b = reg.table2(cohort, weighted=False, trend_score="rank", metals=["cd"])
    pd.testing.assert_frame_equal(a, b)


# ----------------------------------------------------------------------------- standardised


@pytest.mark.parametrize("weighted", [True, False])
def test_linear_models_carry_standardised_coefficients(cohort, weighted):
    """Beta = B x sd(Q4 indicator) / sd(BMD) over the fit's rows, weighted SDs for the
    design-based fit (osteometals.stats.standardise)."""
    out = reg.quartile_models(cohort, "bmd_femur", "gaussian", {"M": ["diabetes"]},
                              metals=["cd"], weighted=weighted).set_index("quartile")
    assert list(out.columns) == [c for c in reg.TIDY_COLUMNS if c != "quartile"] + \
        reg.STANDARDISED_COLUMNS
    d = reg.add_quartiles(cohort, ["cd"])
    w = d["weight"].to_numpy() if weighted else np.ones(len(d))
    x = (d["cd_q"] == "Q4").to_numpy(dtype=float)

    def sd(v):
        return np.sqrt(np.average((v - np.average(v, weights=w)) ** 2, weights=w))

    factor = sd(x) / sd(d["bmd_femur"].to_numpy())
    np.testing.assert_allclose(out.loc["Q4", "std_estimate"], out.loc["Q4", "estimate"] * factor,
                               rtol=1e-12)
    np.testing.assert_allclose(out.loc["Q4", "std_se"], out.loc["Q4", "se"] * factor, rtol=1e-12)
    assert out.loc["Q1", "std_estimate"] == 0.0


def test_logistic_models_have_no_standardised_columns(cohort):
    out = reg.table2(cohort, metals=["cd"])
    assert not set(reg.STANDARDISED_COLUMNS) & set(out.columns)
