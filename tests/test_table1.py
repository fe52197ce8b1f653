"""Table 1 (osteometals.paper.table1) on a small synthetic cohort."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from osteometals.nhanes.variables import CATEGORIES
from osteometals.paper import table1 as t1
from osteometals.stats.weighted import weighted_quantile


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(7)
    n = 240
    op = np.r_[np.ones(60, int), np.zeros(180, int)]
    smoking = np.where(rng.random(n) < np.where(op == 1, 0.5, 0.3), "Yes", "No")
    frame = pd.DataFrame({
        "op": op,
        "weight": rng.uniform(500, 5000, n),
        "stratum": np.repeat(np.arange(6), 40),
        "psu": np.tile(np.repeat([1, 2], 20), 6),
        "smoking": pd.Categorical(smoking, categories=CATEGORIES["smoking"]),
        "cd": rng.lognormal(np.where(op == 1, -0.4, -0.8), 0.6),
    })
    return frame


@pytest.fixture(scope="module")
def table(cohort):
    return t1.table1(cohort, categorical=["smoking"], continuous=["cd"])


def _cell(table, var, level, op, weighted, stat):
    c = table.cells
    sel = c[(c.variable == var) & (c.level == level) & (c.op == op) & (c.weighted == weighted)
            & (c.statistic == stat)]
    assert len(sel) == 1
    return sel["value"].iloc[0]


def test_counts_and_column_percentages(cohort, table):
    for op in (0, 1):
        sub = cohort[cohort.op == op]
        n_yes = int((sub.smoking == "Yes").sum())
        assert _cell(table, "smoking", "Yes", op, False, "n") == n_yes
        assert _cell(table, "smoking", "Yes", op, False, "pct") == pytest.approx(
            100 * n_yes / len(sub))
    assert _cell(table, "op", "", 1, False, "n") == 60
    assert _cell(table, "op", "", 1, False, "pct") == pytest.approx(25.0)


def test_unweighted_chi_square_is_pearsons_without_correction(cohort, table):
    tab = pd.crosstab(cohort.smoking, cohort.op)
    expected = stats.chi2_contingency(tab.to_numpy(), correction=False)[1]
    got = table.tests.set_index(["variable", "weighted"]).loc[("smoking", False), "p"]
    assert got == pytest.approx(expected)


def test_unweighted_continuous_uses_mean_sd_and_student_t(cohort, table):
    g1 = cohort.loc[cohort.op == 1, "cd"]
    assert _cell(table, "cd", "", 1, False, "mean") == pytest.approx(g1.mean())
    assert _cell(table, "cd", "", 1, False, "sd") == pytest.approx(g1.std(ddof=1))
    expected = stats.ttest_ind(cohort.loc[cohort.op == 0, "cd"], g1).pvalue
    got = table.tests.set_index(["variable", "weighted"]).loc[("cd", False), "p"]
    assert got == pytest.approx(expected)


def test_median_iqr_version_uses_mann_whitney(cohort):
    tab = t1.table1(cohort, summary="median_iqr", categorical=[], continuous=["cd"],
                    weighted=False)
    g0 = cohort.loc[cohort.op == 0, "cd"]
    g1 = cohort.loc[cohort.op == 1, "cd"]
    assert _cell(tab, "cd", "", 0, False, "median") == pytest.approx(g0.median())
    assert tab.tests["p"].iloc[0] == pytest.approx(
        stats.mannwhitneyu(g0, g1, alternative="two-sided").pvalue)


def test_weighted_percentages_use_the_weights(cohort, table):
    sub = cohort[cohort.op == 1]
    expected = 100 * sub.loc[sub.smoking == "Yes", "weight"].sum() / sub.weight.sum()
    assert _cell(table, "smoking", "Yes", 1, True, "pct") == pytest.approx(expected)


def test_equal_weights_give_unweighted_percentages(cohort):
    tab = t1.table1(cohort.assign(weight=1.0), categorical=["smoking"], continuous=["cd"])
    for op in (0, 1):
        assert _cell(tab, "smoking", "No", op, True, "pct") == pytest.approx(
            _cell(tab, "smoking", "No", op, False, "pct"))


def test_design_based_tests_exist_for_every_row_on_residual_design_df(table):
    wt = table.tests[table.tests.weighted]
    assert set(wt.variable) == {"smoking", "cd"}
    assert wt["p"].between(0, 1).all()
    # by hand: 6 strata x 2 PSUs: design df 12 - 6 = 6, minus one for the slope (svyglm)
    assert (wt["df"] == 5).all()


def test_design_df_convention_can_be_psus_minus_strata(cohort):
    tab = t1.table1(cohort, categorical=["smoking"], continuous=["cd"], df="psu_minus_strata")
    wt = tab.tests[tab.tests.weighted]
    # SUDAAN / SAS / Stata: 12 PSUs - 6 strata, whatever the model
    assert (wt["df"] == 6).all()
    with pytest.raises(ValueError, match="psu_minus_strata"):
        t1.table1(cohort, categorical=["smoking"], continuous=["cd"], df="sas")


def test_a_missing_value_keeps_its_row_in_the_design(cohort):
    """As R's svyttest: a woman without a value leaves the fit, not the design."""
    gap = cohort.copy()
    gap.loc[gap.index[:3], "cd"] = np.nan
    tab = t1.table1(gap, categorical=[], continuous=["cd"])
    row = tab.tests.set_index(["variable", "weighted"]).loc[("cd", True)]
    assert np.isfinite(row["p"]) and row["df"] == 5


R_DESIGN_TESTS = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$smoking <- factor(d$smoking, levels = c("No", "Yes"))
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
ctrl <- glm.control(epsilon = 1e-12)
tt <- regTermTest(svyglm(op ~ smoking, design = des, family = quasibinomial(),
                         control = ctrl), ~smoking)
ts <- svyttest(cd ~ op, design = des)
rk <- svyranktest(cd ~ op, design = des, test = "wilcoxon")
fmt <- function(x) sprintf("%.17g", as.numeric(x))
out <- data.frame(
  test = c("smoking", "cd_mean", "cd_rank"),
  statistic = fmt(c(tt$Ftest, ts$statistic, rk$statistic)),
  df = fmt(c(tt$ddf, ts$parameter, rk$parameter)),
  p = fmt(c(tt$p, ts$p.value, rk$p.value)))
write.csv(out, args[2], row.names = FALSE)
"""


@pytest.mark.r
def test_design_based_tests_match_live_r_survey(cohort, table, tmp_path):
    """Reference: R's survey package run live (CI: R 4.2.2, survey 4.1.1, installed by
    .ci/run): regTermTest(svyglm(op ~ smoking, quasibinomial)), svyttest(cd ~ op) and
    svyranktest(cd ~ op, test = "wilcoxon"), on the synthetic cohort of this file.

    Tolerance: 1e-6 relative for the logistic Wald F (R's IRLS stops on a deviance
    change of 1e-12, leaving ~1e-7 in its variance; see test_survey.RTOL), 1e-10 for
    the two linear tests, where no iteration is involved.
    """
    csv, out = tmp_path / "cohort.csv", tmp_path / "r.csv"
    cohort.assign(smoking=cohort["smoking"].astype(str)).to_csv(csv, index=False)
    script = tmp_path / "design_tests.R"
    script.write_text(R_DESIGN_TESTS)
    subprocess.run(["Rscript", str(script), str(csv), str(out)], check=True)
    r = pd.read_csv(out).set_index("test")

    ranks = t1.table1(cohort, summary="median_iqr", categorical=[], continuous=["cd"])
    ours = {
        "smoking": (table.tests.set_index(["variable", "weighted"]).loc[("smoking", True)], 1e-6),
        "cd_mean": (table.tests.set_index(["variable", "weighted"]).loc[("cd", True)], 1e-10),
        "cd_rank": (ranks.tests.set_index(["variable", "weighted"]).loc[("cd", True)], 1e-10),
    }
    for name, (row, rtol) in ours.items():
        # svyttest's t is for group 1 minus group 0, as our x ~ op slope
        np.testing.assert_allclose(row["statistic"], r.loc[name, "statistic"], rtol=rtol,
                                   err_msg=name)
        assert row["df"] == r.loc[name, "df"], name
        np.testing.assert_allclose(row["p"], r.loc[name, "p"], rtol=rtol, err_msg=name)


def test_weighted_quantile_inverts_the_weighted_cdf():
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert weighted_quantile(x, np.ones(4), 0.5)[0] == 2.0
    assert weighted_quantile(x, np.array([5.0, 1, 1, 1]), 0.5)[0] == 4.0
    assert weighted_quantile(x, np.ones(4), [0.0, 1.0]).tolist() == [1.0, 4.0]


def test_weighted_mean_and_sd():
    m, sd = t1.weighted_mean_sd(np.array([0.0, 10.0]), np.array([3.0, 1.0]))
    assert m == pytest.approx(2.5)
    assert sd == pytest.approx(np.sqrt((3 * 2.5**2 + 7.5**2) / 4))


def test_display_frame_has_the_papers_layout_plus_weighted_columns(table):
    d = table.display
    assert list(d.columns) == ["Variable", "Level", "No osteoporosis", "Osteoporosis", "P",
                               "No osteoporosis (weighted)", "Osteoporosis (weighted)",
                               "P (design-based)"]
    assert d["Variable"].iloc[0].startswith("Number")
    assert len(d) == 1 + 2 + 1  # number row, two smoking levels, cadmium


def test_unknown_summary_is_refused(cohort):
    with pytest.raises(ValueError, match="median_iqr"):
        t1.table1(cohort, summary="mean")
