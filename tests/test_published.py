"""The paper's numbers (osteometals.paper.published): every cell there, and coherent.

Source of every value: Peng et al. (2025), Front. Environ. Health 4:1468404,
Tables 1-4 and the Results text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from osteometals.nhanes.variables import CATEGORIES, METAL_KEYS
from osteometals.paper import published as P
from osteometals.paper.models import LINEAR_MODELS, LOGISTIC_MODELS

READINGS = {"as printed", "repaired", "from text", "reconstructed", "cut off"}


# ---------------------------------------------------------------- headline


def test_headline_counts_are_the_papers():
    assert (P.N_TOTAL, P.N_OP, P.N_NON_OP) == (905, 161, 744)
    assert P.N_OP + P.N_NON_OP == P.N_TOTAL
    assert P.PCT_OP == pytest.approx(100 * P.N_OP / P.N_TOTAL, abs=0.05)


# ---------------------------------------------------------------- cut-points


def test_cutpoints_give_four_quartiles_per_metal_in_table_order():
    cuts = P.cutpoints()
    assert len(cuts) == 5 * 4
    assert tuple(cuts.metal.unique()) == METAL_KEYS
    assert (cuts.groupby("metal").quartile.apply(tuple) == ("Q1", "Q2", "Q3", "Q4")).all()


@pytest.mark.parametrize("metal", METAL_KEYS)
def test_cutpoints_increase_and_leave_no_gap(metal):
    c = P.cutpoints().query("metal == @metal").set_index("quartile")
    bounds = [c.upper["Q1"], c.lower["Q2"], c.upper["Q2"], c.lower["Q3"], c.upper["Q3"],
              c.lower["Q4"]]
    assert np.all(np.diff(bounds) > 0)
    # printed with two decimals: the next quartile starts 0.01 above the last one's end
    for q, nxt in (("Q1", "Q2"), ("Q2", "Q3"), ("Q3", "Q4")):
        assert c.lower[nxt] - c.upper[q] == pytest.approx(0.01)
    assert np.isnan(c.lower["Q1"]) and np.isnan(c.upper["Q4"])


def test_cutpoint_labels_are_printed_as_in_the_paper():
    c = P.cutpoints().set_index(["metal", "quartile"]).label
    assert c["pb", "Q1"] == "≤0.77"
    assert c["pb", "Q2"] == "0.78-1.16"
    assert c["se", "Q4"] == "≥201.85"
    assert c["mn", "Q3"] == "9.31-11.41"


# ---------------------------------------------------------------- Table 1


def test_table1_has_every_category_level_for_both_groups():
    t1 = P.table1()
    cat = t1[t1.summary == "n (%)"]
    for var in ("age_group", "bmi_group", "race", "education", "marital", "smoking",
                "hypertension", "diabetes", "parent_op", "fracture"):
        levels = tuple(cat.loc[(cat.variable == var) & (cat.op == 0), "level"])
        assert levels == CATEGORIES[var], var
        assert tuple(cat.loc[(cat.variable == var) & (cat.op == 1), "level"]) == levels


def test_table1_counts_sum_to_the_group_sizes():
    t1 = P.table1()
    cat = t1[(t1.summary == "n (%)") & (t1.variable != "op")]
    sums = cat.groupby(["variable", "op"]).n.sum().unstack()
    assert (sums[0] == P.N_NON_OP).all()
    assert (sums[1] == P.N_OP).all()


def test_table1_percentages_match_counts_within_rounding():
    t1 = P.table1()
    cat = t1[t1.summary == "n (%)"].copy()
    size = cat.op.map({0: P.N_NON_OP, 1: P.N_OP})
    computed = 100 * cat.n.astype(float) / np.where(cat.variable == "op", P.N_TOTAL, size)
    # one decimal printed -> 0.05 rounding; the paper's 17.80% for 17.79% is 0.01 off
    assert np.abs(computed - cat.percent).max() <= 0.05 + 1e-9


def test_table1_continuous_rows_and_p_values():
    t1 = P.table1()
    cont = t1[t1.summary != "n (%)"]
    assert set(cont.variable) == set(METAL_KEYS) | {"bmd_femur", "bmd_neck", "bmd_spine"}
    assert len(cont) == 2 * 8
    assert (cont.spread > 0).all() and (cont.center > 0).all()
    assert t1.p.dropna().between(0, 1).all()
    assert set(t1.p_relation) == {"=", "<"}
    cd = cont.set_index(["variable", "op"]).loc["cd"]
    assert cd.loc[0, "center"] == 0.51 and cd.loc[1, "center"] == 0.65
    assert cd.p.iloc[0] == 0.022
    # OP women have lower BMD at every site
    for site in ("bmd_femur", "bmd_neck", "bmd_spine"):
        s = cont.set_index(["variable", "op"]).center[site]
        assert s[1] < s[0]


# ---------------------------------------------------------------- Tables 2-4, shared checks


def _interval_checks(df: pd.DataFrame) -> None:
    full = df.dropna(subset=["estimate", "ci_lower", "ci_upper"])
    assert (full.ci_lower < full.ci_upper).all()
    assert ((full.ci_lower <= full.estimate) & (full.estimate <= full.ci_upper)).all()
    assert (df.estimate.dropna() > 0).all()
    for col in ("p", "p_trend"):
        assert df[col].dropna().between(0, 1).all()
    assert set(df.reading) <= READINGS


def _z_gap(df: pd.DataFrame) -> np.ndarray:
    """Distance, on the z scale, between the printed P and the P its CI implies.

    A printed 0.001 is read as "0.001 or less" (the paper prints no smaller P).
    """
    implied = P.wald_p_from_ci(df.estimate, df.ci_lower, df.ci_upper)
    z_implied = stats.norm.isf(implied / 2)
    z_printed = stats.norm.isf(df.p / 2)
    gap = np.abs(z_implied - z_printed)
    return np.where(df.p <= 0.001, np.maximum(0, z_printed - z_implied), gap)


def test_table2_has_every_cell():
    t2 = P.table2()
    assert len(t2) == 5 * 3 * 3
    assert not t2[["estimate", "ci_lower", "ci_upper", "p", "p_trend"]].isna().any().any()
    assert set(t2.model) == set(LOGISTIC_MODELS)
    assert not t2.duplicated(["metal", "quartile", "model"]).any()
    assert t2.groupby(["metal", "model"]).p_trend.nunique().eq(1).all()


#: Largest allowed z-scale gap between a printed P and the P its printed CI implies.
#: Bounds and P are printed to 3 decimals; on the narrowest CIs (e.g. 0.155-0.849)
#: that rounding moves the implied z by a few hundredths. Observed maxima with these
#: tables: 0.043 (Table 2), 0.064 (Table 4); 0.1 leaves room for rounding only.
Z_GAP_TOL = 0.1


def test_table2_intervals_and_p_values_are_coherent():
    t2 = P.table2()
    _interval_checks(t2)
    # every printed P fits its CI (Wald on the log scale) to rounding
    assert _z_gap(t2).max() < Z_GAP_TOL


def test_table2_numbers_quoted_in_the_text():
    t2 = P.table2().set_index(["metal", "quartile", "model"])
    assert tuple(t2.loc[("cd", "Q4", "Model 1"), ["estimate", "ci_lower", "ci_upper"]]) == (
        2.180, 1.309, 3.631)
    assert t2.loc[("cd", "Q4", "Model 1"), "p_trend"] == 0.006
    assert t2.loc[("se", "Q3", "Model 3"), "estimate"] == 0.401
    assert t2.loc[("se", "Q4", "Model 3"), "p_trend"] == 0.009


def test_table3_has_every_cell():
    t3 = P.table3()
    assert len(t3) == 5 * 3 * 3 * 2
    assert set(t3.outcome) == {"bmd_femur", "bmd_neck", "bmd_spine"}
    assert set(t3.model) == set(LINEAR_MODELS)
    assert not t3[["estimate", "p", "p_trend"]].isna().any().any()
    assert t3[["ci_lower", "ci_upper"]].isna().all().all()  # the paper prints no CIs
    assert not t3.duplicated(["metal", "quartile", "outcome", "model"]).any()
    assert t3.p.between(0, 1).all() and t3.p_trend.between(0, 1).all()
    assert set(t3.reading) <= READINGS


def test_table3_cells_quoted_in_the_text_and_merged_cells():
    t3 = P.table3().set_index(["metal", "quartile", "outcome", "model"])
    cd = t3.loc[("cd", "Q4", "bmd_femur", "Model 1")]
    assert (cd.estimate, cd.p, cd.p_trend) == (-0.112, 0.007, 0.003)
    mn = t3.loc[("mn", "Q4", "bmd_spine", "Model 1")]
    assert (mn.estimate, mn.p, mn.p_trend) == (-0.098, 0.015, 0.005)
    # the merged "0.029 0.914" cell is split in reading order and flagged
    assert t3.loc[("cd", "Q2", "bmd_neck", "Model 1"), "p_trend"] == 0.029
    assert t3.loc[("cd", "Q2", "bmd_neck", "Model 2"), "p_trend"] == 0.914
    assert t3.loc[("cd", "Q2", "bmd_neck", "Model 1"), "reading"] == "repaired"


def test_table4_has_every_cell_and_only_the_known_gaps():
    t4 = P.table4()
    assert len(t4) == 5 * 3 * 6
    assert tuple(dict.fromkeys(zip(t4.stratifier, t4.stratum, strict=True))) == P.STRATA
    assert not t4.duplicated(["metal", "quartile", "stratum"]).any()
    assert not t4[["estimate", "ci_lower", "p_trend", "p_interaction"]].isna().any().any()
    # 8 cells lost their upper CI and P; Se Q4 60-70 has its upper CI from the text
    missing_p = t4[t4.p.isna()]
    assert len(missing_p) == 9
    assert set(missing_p.metal) == {"hg", "se"} and set(missing_p.quartile) == {"Q4"}
    assert (t4.reading == "cut off").sum() == 8
    assert t4.ci_upper.isna().sum() == 8
    assert (t4.loc[t4.reading != "as printed", "note"] != "").all()


def test_table4_intervals_and_p_values_are_coherent():
    t4 = P.table4()
    _interval_checks(t4)
    full = t4.dropna(subset=["ci_upper", "p"])
    assert len(full) == 90 - 9  # all but the nine cells without a P
    assert _z_gap(full).max() < Z_GAP_TOL


def test_table4_numbers_quoted_in_the_text():
    t4 = P.table4().set_index(["metal", "quartile", "stratum"])
    cd = t4.loc[("cd", "Q4", "50-60")]
    assert (cd.estimate, cd.ci_lower, cd.ci_upper) == (4.538, 1.309, 15.734)
    assert (cd.p_trend, cd.p_interaction) == (0.009, 0.001)
    se = t4.loc[("se", "Q4", "60-70")]
    assert (se.estimate, se.ci_lower, se.ci_upper, se.p_trend) == (0.362, 0.155, 0.849, 0.010)
    assert se.p_interaction == 0.431
    assert t4.loc[("se", "Q2", ">30"), "p_trend"] == 0.028  # printed "0, 028"


def test_interactions_one_per_metal_and_stratifier():
    i = P.interactions()
    assert len(i) == 10
    assert i.p_interaction.between(0, 1).all()
    got = i.set_index(["metal", "stratifier"]).p_interaction
    assert got["pb", "age_group"] == 0.016 and got["se", "age_group"] == 0.431
    # consistent with the per-cell column of table4()
    t4 = P.table4().drop_duplicates(["metal", "stratifier"]).set_index(["metal", "stratifier"])
    assert (t4.p_interaction.loc[got.index] == got).all()


def test_trends_collects_every_p_for_trend():
    tr = P.trends()
    assert len(tr) == 15 + 30 + 30
    assert tr.groupby("table").size().to_dict() == {"Table 2": 15, "Table 3": 30, "Table 4": 30}
    assert tr.p_trend.between(0, 1).all()


# ---------------------------------------------------------------- text and inconsistencies


def test_text_numbers_equal_their_table_cells():
    txt = P.text_numbers().set_index("key").value
    t2 = P.table2().set_index(["metal", "quartile", "model"])
    assert txt["or_cd_q3_model1"] == t2.loc[("cd", "Q3", "Model 1"), "estimate"]
    assert txt["n_total"] == P.N_TOTAL and txt["n_op"] == P.N_OP


def test_inconsistencies_are_recorded_and_described():
    inc = P.inconsistencies()
    assert inc.id.is_unique
    assert {"t2_cd_trend_dup", "t3_se_q4_neck_p", "text_mn_is_hg", "text_dkd_results",
            "text_dkd_discussion", "t4_title_copied", "methods_sex_subgroup",
            "spine_reference", "flow_counts"} <= set(inc.id)
    assert (inc.description.str.len() > 20).all()
    assert set(inc.kind) <= {"duplicate value", "estimate vs P", "text vs table",
                             "implausible", "wrong label", "missing", "hypothesis"}


def test_recorded_inconsistencies_are_really_in_the_tables():
    t2 = P.table2().drop_duplicates(["metal", "model"]).set_index(["metal", "model"])
    assert t2.p_trend["cd", "Model 3"] == t2.p_trend["pb", "Model 3"]
    # Se Q4 femoral neck: the printed p implies an SE about twice that of its neighbours;
    # 1.5 x the median SE of the same outcome and model flags it and only one other cell
    t3 = P.table3()
    t3["se"] = P.se_from_beta_p(t3.estimate, t3.p)
    ratio = t3.se / t3.groupby(["outcome", "model"]).se.transform("median")
    flagged = t3.loc[ratio > 1.5, ["metal", "quartile", "outcome", "model"]]
    assert set(map(tuple, flagged.to_numpy())) == {
        ("se", "Q4", "bmd_neck", "Model 1"), ("pb", "Q2", "bmd_femur", "Model 1")}
    # Table 4: the >70 stratum has the narrowest intervals of the age strata
    t4 = P.table4().dropna(subset=["ci_upper"])
    width = (np.log(t4.ci_upper) - np.log(t4.ci_lower)).groupby(t4.stratum).median()
    assert width[">70"] < width["60-70"] < width["50-60"]


def test_wald_helpers_recover_known_values():
    # by hand: OR 1 has P 1; a CI touching 1 from above gives P 0.05, since
    # 1.959964 = qnorm(0.975) (R), so log CI (0, 2 x 1.959964) has SE 1 and z 1.959964
    assert P.wald_p_from_ci(1.0, 0.5, 2.0) == pytest.approx(1.0)
    assert P.wald_p_from_ci(np.exp(1.959964), 1.0, np.exp(2 * 1.959964)) == pytest.approx(
        0.05, abs=1e-6)
    assert P.se_from_beta_p(1.959964, 0.05) == pytest.approx(1.0, abs=1e-6)
