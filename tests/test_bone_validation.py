"""External validation of the bone pipeline (osteometals.nhanes.bone_validation).

Reference values: tests/reference/svyciprop_fixture.R (R 4.2.2, survey 4.1.1, header of
its CSV) run on the synthetic data of svyglm_fixture.R: svyciprop(method = "logit") for the
CI, svymean for the SE, on the whole design and on a domain through subset(). Published
values: osteometals.nhanes.nchs_published (Looker et al. 2017, Table 3).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes import bone_validation as bv
from osteometals.nhanes import nchs_published

REF = Path(__file__).parent / "reference"
#: Relative tolerance against R. R's svyglm stops IRLS when the deviance changes by less
#: than epsilon = 1e-8 (glm.control default), so its intercept can stop short of the
#: closed-form logit of the weighted mean that our fit reaches. Observed: 2e-15 on the
#: fixture, 2e-8 on the real 2013-2014 data; 1e-6 as tests/test_survey.py, same reason.
RTOL = 1e-6


@pytest.fixture(scope="module")
def fixture() -> pd.DataFrame:
    return pd.read_csv(REF / "svyglm_fixture_data.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF / "svyciprop_fixture_results.csv", comment="#").set_index("case")


@pytest.mark.parametrize("case", ["all", "domain"])
def test_prevalence_and_ci_equal_r_svyciprop_logit(case, fixture, reference):
    dom = pd.Series(True, index=fixture.index) if case == "all" else fixture["dom"] == 1
    ours = bv.prevalence(fixture, fixture["y"].astype(float), dom)
    r = reference.loc[case]
    assert ours["percent"] == pytest.approx(100 * r["estimate"], rel=RTOL)
    assert ours["ci_lower"] == pytest.approx(100 * r["ci_lower"], rel=RTOL)
    assert ours["ci_upper"] == pytest.approx(100 * r["ci_upper"], rel=RTOL)
    assert ours["se"] == pytest.approx(100 * r["se"], rel=RTOL)  # the svymean SE
    assert ours["df"] == r["df"]


def test_the_domain_keeps_every_psu_in_the_design(fixture, reference):
    """The fixture's domain leaves PSU 1 of stratum 3 without members. As a domain, that
    PSU still counts (R's subset() answer, above); dropping the rows instead leaves
    stratum 3 with one PSU, a different design that the survey GLM refuses."""
    from osteometals.stats.survey import LonelyPSUError

    dom = fixture["dom"] == 1
    ours = bv.prevalence(fixture, fixture["y"].astype(float), dom)
    assert ours["se"] == pytest.approx(100 * reference.loc["domain", "se"], rel=RTOL)
    kept = fixture[dom].reset_index(drop=True)
    with pytest.raises(LonelyPSUError):
        bv.prevalence(kept, kept["y"].astype(float), pd.Series(True, index=kept.index))


@pytest.mark.r
def test_the_r_fixture_script_reproduces_its_committed_output(tmp_path):
    """Rerun the R script on a copy of its input; its output must equal the committed one."""
    for name in ("svyciprop_fixture.R", "svyglm_fixture_data.csv"):
        (tmp_path / name).write_bytes((REF / name).read_bytes())
    subprocess.run(["Rscript", str(tmp_path / "svyciprop_fixture.R")], check=True,
                   capture_output=True)
    fresh = pd.read_csv(tmp_path / "svyciprop_fixture_results.csv", comment="#")
    committed = pd.read_csv(REF / "svyciprop_fixture_results.csv", comment="#")
    pd.testing.assert_frame_equal(fresh, committed)


@pytest.mark.parametrize(
    ("t", "osteoporosis", "low"),
    [(-3.0, 1, 0), (-2.5, 1, 0), (-2.49, 0, 1), (-1.0, 0, 1), (-0.99, 0, 0), (np.nan, None, None)],
)
def test_categories_follow_the_who_thresholds_of_tscore(t, osteoporosis, low):
    s = pd.Series([t])
    op, lbm = bv.category(s, "osteoporosis").iloc[0], bv.category(s, "low_bone_mass").iloc[0]
    if osteoporosis is None:
        assert np.isnan(op) and np.isnan(lbm)
    else:
        assert (op, lbm) == (osteoporosis, low)


@pytest.mark.parametrize(
    ("difference", "se", "comparable", "expected"),
    [(0.9, 1.0, True, "agrees"), (-1.0, 1.0, True, "agrees"), (1.5, 1.0, True, "close"),
     (2.5, 1.0, True, "differs"), (0.1, None, True, "no published SE"),
     (0.0, 1.0, False, "not comparable")],
)
def test_verdicts_are_measured_in_published_standard_errors(difference, se, comparable,
                                                            expected):
    assert bv.verdict(difference, se, comparable) == expected


def test_published_values_carry_their_sources():
    table = nchs_published.estimates()
    assert table["id"].is_unique and set(table["source"]) <= set(nchs_published.SOURCES)
    fn = nchs_published.get("looker2017_fn_op")
    assert (fn.percent, fn.se, fn.n, fn.cycle) == (9.8, 1.1, 1029, "H")  # Looker 2017 T3
    assert table.loc[table["survey"] == "2017-2018", "cycle"].isna().all()
    with pytest.raises(KeyError, match="looker2017_fn_op"):
        nchs_published.get("nope")


def _synthetic_tables():
    """A survey of 8 people per stratum and PSU in 4 strata, for the sample builder."""
    rng = np.random.default_rng(20250101)
    n = 64
    seqn = np.arange(1, n + 1)
    demo = pd.DataFrame({"SEQN": seqn, "RIAGENDR": np.tile([1.0, 2.0], n // 2),
                         "RIDAGEYR": rng.integers(40, 81, n).astype(float),
                         "WTMEC2YR": rng.uniform(1e3, 5e3, n),
                         "SDMVSTRA": np.repeat([1, 2, 3, 4], n // 4).astype(float),
                         "SDMVPSU": np.tile(np.repeat([1.0, 2.0], 8), 4)})
    fem = pd.DataFrame({"SEQN": seqn, "DXXNKBMD": rng.normal(0.7, 0.12, n)})
    total = rng.normal(0.95, 0.15, n)
    spn = {"SEQN": seqn, "DXXOSBMD": total}
    for v in ("L1", "L2", "L3", "L4"):
        spn |= {f"DXX{v}BMC": total * 15, f"DXX{v}A": np.full(n, 15.0),
                f"DXX{v}BMD": total, f"DXX{v}BCC": np.zeros(n)}
    return {"DEMO_H": demo, "DXXFEM_H": fem, "DXXSPN_H": pd.DataFrame(spn)}


def test_the_sample_is_every_participant_and_the_domain_selects_women_50_plus():
    tables = _synthetic_tables()
    sample = bv.dxa_sample("H", loader=lambda name: tables[name].copy())
    assert len(sample) == 64
    dom = bv.domain(sample)
    assert (sample.loc[dom, "sex"] == 2).all() and (sample.loc[dom, "age"] >= 50).all()
    assert dom.sum() == int(((sample["sex"] == 2) & (sample["age"] >= 50)).sum())
    t = bv.t_scores(sample)
    assert (t["neck_or_spine"] == t[["neck", "spine"]].min(axis=1)).all()


# ------------------------------------------------------------------ the real files


@pytest.fixture(scope="module")
def validation(nhanes_mirror):
    return bv.validation_table()


@pytest.mark.mirror
def test_real_sample_of_the_iscd_rule_is_nchs_sample_to_the_count(nhanes_mirror):
    """Looker et al. 2017 Table 3 prints n = 1,029 women and 972 men aged 50+ in 2013-2014:
    exactly those with a valid femoral neck and a spine from two or more valid vertebrae."""
    table = bv.sample_sizes()
    sizes = table.set_index(["sex", "sites", "spine_rule"])["n"]
    assert sizes[("female", "neck and spine", "iscd_two_or_more")] == 1029
    assert sizes[("male", "neck and spine", "iscd_two_or_more")] == 972
    assert "The ISCD counts equal NCHS's for both sexes" in bv.sample_sentence(table)


@pytest.mark.mirror
def test_real_femoral_neck_agrees_with_nchs_within_one_published_se(validation):
    neck = validation[validation["site"] == "Femoral neck"]
    assert len(neck) == 2 and (neck["verdict"] == "agrees").all()
    assert (neck["n"] == 1029).all()


@pytest.mark.mirror
def test_real_2017_2018_estimates_are_context_only(validation):
    later = validation[validation["survey"] == "2017-2018"]
    assert (later["verdict"] == "not comparable").all()
    assert (later["our_survey"] == "2017-March 2020").all()


@pytest.mark.mirror
@pytest.mark.r
def test_real_prevalence_equals_live_r_svyciprop(tmp_path, nhanes_mirror):
    """Femoral-neck osteoporosis in women 50+, 2013-2014: our estimate, SE and CI against
    svyciprop / svymean on the same design, R run live on a temporary CSV (no participant
    row is kept)."""
    sample = bv.dxa_sample("H")
    dom = bv.domain(sample)
    y = bv.category(bv.t_scores(sample)["neck"], "osteoporosis")
    ours = bv.prevalence(sample, y, dom)
    csv, out = tmp_path / "d.csv", tmp_path / "r.csv"
    sample.assign(y=y.fillna(0), dom=dom.astype(int))[
        ["y", "dom", "weight", "stratum", "psu"]].to_csv(csv, index=False)
    script = tmp_path / "live.R"
    script.write_text(
        "suppressMessages(library(survey)); a <- commandArgs(TRUE)\n"
        "d <- read.csv(a[1]); d <- d[d$weight > 0, ]\n"
        "des <- svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE, data=d)\n"
        "s <- subset(des, dom == 1); p <- svyciprop(~y, s, method='logit')\n"
        "ci <- attr(p, 'ci'); m <- svymean(~y, s)\n"
        "write.csv(data.frame(p=as.numeric(p), se=as.numeric(SE(m)), lo=ci[[1]], hi=ci[[2]]),"
        " a[2], row.names=FALSE)\n")
    subprocess.run(["Rscript", str(script), str(csv), str(out)], check=True)
    r = pd.read_csv(out).iloc[0]
    assert ours["percent"] == pytest.approx(100 * r["p"], rel=RTOL)
    assert ours["se"] == pytest.approx(100 * r["se"], rel=RTOL)
    assert ours["ci_lower"] == pytest.approx(100 * r["lo"], rel=RTOL)
    assert ours["ci_upper"] == pytest.approx(100 * r["hi"], rel=RTOL)


def _sizes(women_iscd):
    return pd.DataFrame([
        {"sex": "female", "sites": "neck and spine", "spine_rule": "iscd_two_or_more",
         "n": women_iscd},
        {"sex": "female", "sites": "neck and spine", "spine_rule": "all_four", "n": 600},
        {"sex": "male", "sites": "neck and spine", "spine_rule": "iscd_two_or_more",
         "n": 972},
        {"sex": "male", "sites": "neck and spine", "spine_rule": "all_four", "n": 500},
    ])


def test_the_sample_sentence_claims_a_match_only_when_both_counts_match():
    assert "equal NCHS's for both sexes" in bv.sample_sentence(_sizes(1029))
    text = bv.sample_sentence(_sizes(1030))
    assert "1,030 women under the ISCD rule" in text and "do not match exactly" in text


def _validation(neck_verdicts, spine):
    rows = [{"our_survey": "2013-2014", "site": "Femoral neck", "measure": m, "percent": 9.0,
             "nchs_percent": 9.8, "verdict": v, "spine_reference": "", "difference": -0.8,
             "nchs_se": 1.1} for m, v in zip(("osteoporosis", "low bone mass"), neck_verdicts,
                                              strict=True)]
    rows += [{"our_survey": "2013-2014", "site": "Lumbar spine", "measure": "osteoporosis",
              "percent": 11.6 + d, "nchs_percent": 11.6, "verdict": "x", "spine_reference": ref,
              "difference": d, "nchs_se": 1.0} for ref, d in spine]
    return pd.DataFrame(rows)


def test_validation_sentences_follow_the_verdicts():
    good = bv.validation_sentences(_validation(["agrees", "agrees"],
                                               [("hologic", 0.5), ("xue2021", -1.5)]))
    assert good["neck"].endswith("reproduces NCHS.")
    assert "The hologic reference fits NCHS best" in good["spine"]
    assert good["spine"].endswith("its values are themselves unverified.")
    bad = bv.validation_sentences(_validation(["agrees", "differs"],
                                              [("hologic", 2.0), ("xue2021", 0.2)]))
    assert bad["neck"].endswith("does not fully reproduce NCHS.")
    assert "The xue2021 reference fits NCHS best" in bad["spine"]
    assert bad["spine"].endswith("not proof.")  # Xue 2021 was checked against its abstract


def test_every_reference_has_its_era_for_the_sensitivity_table():
    from osteometals.nhanes import tscore

    names = {name for refs in tscore.REFERENCES.values() for name in refs}
    assert names <= set(bv.REFERENCE_ERA)
