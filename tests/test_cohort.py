"""The analysis cohort (osteometals.nhanes.cohort): unit tests on synthetic NHANES tables,
integration tests (marker ``mirror``) on the real files."""

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes import cohort as co
from osteometals.nhanes.files import load_table
from osteometals.nhanes.variables import CATEGORIES, METALS

# --------------------------------------------------------------------------
# synthetic NHANES tables
#
# H cycle (2013-2014)                      P cycle (2017-2020)
#  1 man, 60            -> not a woman      8 woman 80, complete  -> IN
#  2 woman 45           -> too young        9 woman 52, DIQ010=3  -> IN (borderline = No)
#  3 woman 77, complete -> IN              10 woman 58, marital 77 -> covariate missing
#  4 woman 55, no metals (not in subsample) 11 woman 66, MEC weight 0 -> no metal weight
#  5 woman 65, no spine BMD
#  6 woman 70, education 9 (don't know)
#  7 woman 60, osteoporotic femur, living with partner -> IN
# Expected flow: 11 -> 10 -> 9 -> 7 -> 6 -> 4.

_H = {
    "SEQN": [1, 2, 3, 4, 5, 6, 7],
    "RIAGENDR": [1, 2, 2, 2, 2, 2, 2],
    "RIDAGEYR": [60, 45, 77, 55, 65, 70, 60],
    "DMDMARTL": [1, 1, 3, 1, 5, 1, 6],
    "DMDEDUC2": [3, 3, 5, 3, 2, 9, 1],
    "WTSH2YR": [1e4, 1e4, 3e4, np.nan, 2e4, 2e4, 5e4],
    "WTMEC2YR": [9e4] * 7,
    "DXXOFBMD": [1.0, 1.0, 0.95, 0.9, 0.9, 0.9, 0.55],
    "DXXOSBMD": [1.0, 1.0, 1.05, 1.0, np.nan, 1.0, 0.9],
}
_P = {
    "SEQN": [108, 109, 110, 111],
    "RIAGENDR": [2, 2, 2, 2],
    "RIDAGEYR": [80, 52, 58, 66],
    "DMDMARTZ": [2, 3, 77, 1],
    "DMDEDUC2": [4, 2, 3, 3],
    "WTMECPRP": [5.2e4, 1e4, 1e4, 0.0],
    "DXXOFBMD": [0.9, 0.85, 0.9, 0.9],
    "DXXOSBMD": [1.0, 0.95, 1.0, 1.0],
}


def _tables():
    tables = {}
    for cyc, src, name in (("H", _H, "{}_H"), ("P", _P, "P_{}")):
        n = len(src["SEQN"])
        seqn = src["SEQN"]
        demo = {k: src[k] for k in ("SEQN", "RIAGENDR", "RIDAGEYR", "DMDEDUC2")}
        demo |= {"RIDRETH1": [3] * n, "SDMVSTRA": [100 + i % 2 for i in range(n)],
                 "SDMVPSU": [1 + i % 3 // 2 for i in range(n)]}
        for k in ("DMDMARTL", "DMDMARTZ", "WTMEC2YR", "WTMECPRP"):
            if k in src:
                demo[k] = src[k]
        metals = {m.nhanes: [1.0] * n for m in METALS}
        if cyc == "H":
            metals["WTSH2YR"] = src["WTSH2YR"]
            for m in METALS:  # person 4 was not in the metal subsample
                metals[m.nhanes][3] = np.nan
        tables[name.format("DEMO")] = pd.DataFrame(demo)
        tables[name.format("PBCD")] = pd.DataFrame({"SEQN": seqn, **metals})
        tables[name.format("DXXFEM")] = pd.DataFrame(
            {"SEQN": seqn, "DXXOFBMD": src["DXXOFBMD"],
             "DXXNKBMD": [0.8] * n})
        tables[name.format("DXXSPN")] = pd.DataFrame({"SEQN": seqn, "DXXOSBMD": src["DXXOSBMD"]})
        tables[name.format("BMX")] = pd.DataFrame({"SEQN": seqn, "BMXBMI": [27.0] * n})
        tables[name.format("BPQ")] = pd.DataFrame({"SEQN": seqn, "BPQ020": [2] * n})
        diq = [2] * n
        if cyc == "P":
            diq[1] = 3
        tables[name.format("DIQ")] = pd.DataFrame({"SEQN": seqn, "DIQ010": diq})
        tables[name.format("SMQ")] = pd.DataFrame({"SEQN": seqn, "SMQ020": [1] * n})
        osq = {v: [2] * n for v in ("OSQ010A", "OSQ010B", "OSQ010C", "OSQ080", "OSQ150",
                                    "OSQ170", "OSQ200")}
        tables[name.format("OSQ")] = pd.DataFrame({"SEQN": seqn, **osq})
        tables[name.format("RHQ")] = pd.DataFrame(
            {"SEQN": seqn, "RHQ031": [2] * n, "RHD043": [7] * n})
    return {k: v.astype({c: float for c in v.columns if c != "SEQN"}) for k, v in tables.items()}


@pytest.fixture(scope="module")
def synthetic():
    tables = _tables()
    return co.build_cohort(loader=lambda name: tables[name].copy())


# --------------------------------------------------------------------------
# special codes


def test_refused_and_dont_know_codes_become_missing_per_variable():
    raw = pd.DataFrame({"DMDEDUC2": [1, 7, 9, 5], "DMDMARTZ": [1, 77, 99, 3],
                        "OSQ150": [1, 2, 7, 9]})
    out = co.recode_special(raw)
    assert out["DMDEDUC2"].isna().tolist() == [False, True, True, False]
    assert out["DMDMARTZ"].isna().tolist() == [False, True, True, False]
    assert out["OSQ150"].isna().tolist() == [False, False, True, True]


def test_real_values_that_look_like_codes_are_kept():
    raw = pd.DataFrame({"RIDAGEYR": [77.0, 79.0, 80.0], "RHD043": [7.0, 9.0, 77.0],
                        "BMXBMI": [77.0, 99.0, 30.0]})
    out = co.recode_special(raw)
    assert out["RIDAGEYR"].tolist() == [77.0, 79.0, 80.0]
    assert out["BMXBMI"].tolist() == [77.0, 99.0, 30.0]
    assert out["RHD043"].iloc[:2].tolist() == [7.0, 9.0]  # menopause, other
    assert np.isnan(out["RHD043"].iloc[2])


def test_a_variable_without_a_codebook_entry_is_an_error():
    with pytest.raises(KeyError, match="codebook"):
        co.recode_special(pd.DataFrame({"XYZ999": [9]}), variables=["XYZ999"])


def test_every_raw_covariate_read_has_a_special_code_entry():
    read = {"RIAGENDR", "RIDAGEYR", "RIDRETH1", "DMDEDUC2", "DMDMARTL", "DMDMARTZ", "BMXBMI",
            "BPQ020", "DIQ010", "SMQ020", "OSQ010A", "OSQ010B", "OSQ010C", "OSQ080", "OSQ150",
            "OSQ170", "OSQ200", "RHQ031", "RHD043"}
    assert read <= set(co.SPECIAL_CODES)


# --------------------------------------------------------------------------
# weights


def test_pooled_weights_scale_each_cycle_by_its_share_of_5_2_years():
    assert co.pooled_weight(5.2, "H") == pytest.approx(2.0)
    assert co.pooled_weight(5.2, "P") == pytest.approx(3.2)
    assert co.pooled_weight(1.0, "H") + co.pooled_weight(1.0, "P") == pytest.approx(1.0)


def test_the_metal_weight_is_the_subsample_weight_in_h_and_the_mec_weight_in_p():
    assert co.METAL_WEIGHT["H"] == ("PBCD", "WTSH2YR")
    assert co.METAL_WEIGHT["P"] == ("DEMO", "WTMECPRP")


def test_cohort_weights_come_from_the_right_variable_per_cycle(synthetic):
    w = synthetic.data.set_index("seqn")["weight"]
    assert w[3] == pytest.approx(3e4 * 2 / 5.2)  # WTSH2YR, not WTMEC2YR (9e4)
    assert w[108] == pytest.approx(5.2e4 * 3.2 / 5.2)  # WTMECPRP


# --------------------------------------------------------------------------
# categorisation


@pytest.mark.parametrize(("age", "group"), [(50, "50-60"), (59, "50-60"), (60, "60-70"),
                                            (69, "60-70"), (70, ">70"), (80, ">70")])
def test_age_groups_are_half_open_decades(age, group):
    assert co.age_group(pd.Series([float(age)])).iloc[0] == group


def test_age_below_50_has_no_group():
    assert pd.isna(co.age_group(pd.Series([49.0])).iloc[0])


@pytest.mark.parametrize(("bmi", "group"), [(18.0, "<25"), (24.99, "<25"), (25.0, "25-30"),
                                            (29.99, "25-30"), (30.0, ">30"), (45.0, ">30")])
def test_bmi_groups_use_the_who_cut_offs(bmi, group):
    assert co.bmi_group(pd.Series([bmi])).iloc[0] == group


def _raw(**cols):
    base = {"RIDAGEYR": 60.0, "BMXBMI": 27.0, "RIDRETH1": 3.0, "DMDEDUC2": 3.0,
            "DMDMARTL": np.nan, "DMDMARTZ": np.nan, "SMQ020": 2.0, "BPQ020": 2.0,
            "DIQ010": 2.0, "OSQ150": 2.0, "OSQ170": 2.0, "OSQ200": 2.0, "OSQ010A": 2.0,
            "OSQ010B": 2.0, "OSQ010C": 2.0, "OSQ080": 2.0}
    n = max(len(v) for v in cols.values())
    frame = pd.DataFrame({k: [v] * n for k, v in base.items()})
    for k, v in cols.items():
        frame[k] = [float(x) if x is not None else np.nan for x in v]
    return frame


def test_marital_status_is_harmonised_across_cycles():
    h = co.derive_covariates(_raw(DMDMARTL=[1, 6, 2, 3, 4, 5]))["marital"].tolist()
    m, w, n = CATEGORIES["marital"]
    assert h == [m, m, w, w, w, n]
    p = co.derive_covariates(_raw(DMDMARTZ=[1, 2, 3]))["marital"].tolist()
    assert p == [m, w, n]


def test_borderline_diabetes_follows_the_option():
    raw = _raw(DIQ010=[1, 2, 3])
    assert co.derive_covariates(raw)["diabetes"].tolist() == ["Yes", "No", "No"]
    yes = co.derive_covariates(raw, diabetes_borderline="yes")["diabetes"].tolist()
    assert yes == ["Yes", "No", "Yes"]
    miss = co.derive_covariates(raw, diabetes_borderline="missing")["diabetes"]
    assert miss.isna().tolist() == [False, False, True]


def test_fracture_is_any_of_hip_wrist_spine_and_missing_only_if_undecided():
    raw = _raw(OSQ010A=[2, 1, 2, None], OSQ010B=[2, 2, None, None], OSQ010C=[2, 2, 2, 1])
    out = co.derive_covariates(raw)["fracture"]
    assert out.iloc[0] == "No" and out.iloc[1] == "Yes" and out.iloc[3] == "Yes"
    assert pd.isna(out.iloc[2])  # no 'Yes' and one answer missing


def test_parental_osteoporosis_definitions():
    raw = _raw(OSQ150=[2, 2, 1], OSQ170=[2, 1, 2])
    assert co.derive_covariates(raw)["parent_op"].tolist() == ["No", "No", "Yes"]
    wide = co.derive_covariates(raw, parent_op_definition="osq150_or_hip_fracture")
    assert wide["parent_op"].tolist() == ["No", "Yes", "Yes"]


def test_menopause_status_from_rhq():
    s = co.menopause_status(pd.Series([1.0, 2, 2, 2, np.nan]),
                            pd.Series([np.nan, 7.0, 3, 9, np.nan]))
    assert s.tolist() == ["Regular periods", "Menopause", "Hysterectomy", "Other reason",
                          "Unknown"]


# --------------------------------------------------------------------------
# options


def _never(name):
    raise AssertionError("a table was read before the options were checked")


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("cycles", ("H", "Q"), "P"),
        ("spine_reference", "nhanes3", "xue2021"),
        ("femur_reference", "x", "looker1998"),
        ("required_sites", ("femur", "hip"), "spine"),
        ("diabetes_borderline", "maybe", "missing"),
        ("parent_op_definition", "mother", "osq150"),
        ("fracture_definition", "hip", "hip_wrist_spine"),
        ("min_age", 5, "between"),
    ],
)
def test_unknown_options_fail_before_any_work_naming_allowed_values(option, value, allowed):
    with pytest.raises(ValueError, match=allowed):
        co.build_cohort(loader=_never, **{option: value})


def test_get_cohort_rejects_unknown_option_names():
    with pytest.raises(ValueError, match="allowed"):
        co.get_cohort(spine="hologic")


# --------------------------------------------------------------------------
# the synthetic build


def test_flow_follows_each_exclusion(synthetic):
    flow = synthetic.flow
    assert flow["n_out"].tolist() == [11, 10, 9, 7, 6, 4]
    assert flow["n_excluded"].tolist() == [0, 1, 1, 2, 1, 2]


def test_flow_bookkeeping_is_consistent(synthetic):
    flow = synthetic.flow
    assert list(flow.columns) == ["step", "n_in", "n_excluded", "n_out", "reason"]
    assert (flow["n_in"] - flow["n_excluded"] == flow["n_out"]).all()
    assert (flow["n_out"].iloc[:-1].to_numpy() == flow["n_in"].iloc[1:].to_numpy()).all()
    assert flow["n_out"].iloc[-1] == len(synthetic.data)


def test_included_women_and_their_values(synthetic):
    d = synthetic.data.set_index("seqn")
    assert sorted(d.index) == [3, 7, 108, 109]
    assert d.loc[3, "age"] == 77  # age 77 is an age, not a code
    assert d.loc[7, "marital"] == CATEGORIES["marital"][0]  # living with partner
    assert d.loc[109, "diabetes"] == "No"  # borderline
    assert d.loc[7, "op"] == 1 and d.loc[3, "op"] == 0
    assert d.loc[108, "cycle"] == "2017-2020" and d.loc[3, "cycle"] == "2013-2014"


def test_columns_are_exactly_the_contract(synthetic):
    assert tuple(synthetic.data.columns) == co.COLUMNS
    for var in co.COVARIATES:
        assert list(synthetic.data[var].cat.categories) == list(CATEGORIES[var])


def test_covariates_may_stay_missing_when_not_required():
    tables = _tables()
    c = co.build_cohort(loader=lambda n: tables[n].copy(), require_complete_covariates=False)
    assert len(c.data) == 6 and len(c.flow) == 5
    assert c.data["education"].isna().sum() == 1


def test_single_cycle_cohort_reads_only_that_cycle():
    tables = _tables()
    seen = []

    def loader(name):
        seen.append(name)
        return tables[name].copy()

    c = co.build_cohort(cycles=("P",), loader=loader)
    assert all(name.startswith("P_") for name in seen)
    assert set(c.data["cycle"]) == {"2017-2020"}


@pytest.mark.mirror
def test_cache_key_depends_on_options():
    a = co._normalise_options(("H", "P"), "xue2021", "looker1998", "looker1998",
                              ("femur", "neck", "spine"), True, 50, "no", "osq150",
                              "hip_wrist_spine")
    b = dict(a, spine_reference="hologic")
    c = co._normalise_options(("P", "H"), "xue2021", "looker1998", "looker1998",
                              ("spine", "neck", "femur"), True, 50, "no", "osq150",
                              "hip_wrist_spine")
    assert co.cache_key(a) != co.cache_key(b)
    assert co.cache_key(a) == co.cache_key(c)  # order of cycles/sites does not matter


@pytest.mark.mirror
def test_cache_key_depends_on_the_files_content_not_on_where_they_were_found(monkeypatch):
    options = co._normalise_options(("H", "P"), "xue2021", "looker1998", "looker1998",
                                    ("femur", "neck", "spine"), True, 50, "no", "osq150",
                                    "hip_wrist_spine")
    with_mirror = co.cache_key(options)  # copies the mirror's files into the cache
    monkeypatch.delenv("NHANES_MIRROR")
    assert co.cache_key(options) == with_mirror  # the same files, now from the cache


# --------------------------------------------------------------------------
# the real mirror


@pytest.fixture(scope="module")
def real(nhanes_mirror):
    """The default cohort built from the mirror (``nhanes_mirror`` skips without one;
    ``tests/conftest.py`` has already pointed NHANES_MIRROR at it)."""
    return co.build_cohort()


@pytest.fixture(scope="module")
def real_demo(nhanes_mirror):
    """SEQN, sex and age of every participant of both cycles, straight from DEMO."""
    cols = ["SEQN", "RIAGENDR", "RIDAGEYR"]
    return pd.concat([load_table("DEMO_H")[cols], load_table("P_DEMO")[cols]])


@pytest.mark.mirror
def test_real_cohort_has_no_missing_model_values(real):
    model_cols = [c for c in co.COLUMNS if c != "bmd_spine" or "spine" in
                  real.options["required_sites"]]
    assert not real.data[model_cols].isna().any().any()


@pytest.mark.mirror
def test_real_flow_is_consistent(real):
    flow = real.flow
    assert (flow["n_in"] - flow["n_excluded"] == flow["n_out"]).all()
    assert (flow["n_out"].iloc[:-1].to_numpy() == flow["n_in"].iloc[1:].to_numpy()).all()
    assert flow["n_out"].iloc[-1] == len(real.data)
    # DEMO_H has 10,175 and P_DEMO 15,560 participants: the CDC's counts for the two
    # cycles, as recorded for these files in the mirror's SOURCES.md
    assert flow["n_in"].iloc[0] == 10175 + 15560


@pytest.mark.mirror
def test_real_flow_counts_women_and_age_as_the_demo_files_do(real, real_demo):
    """The first two exclusions recounted directly from DEMO (RIAGENDR 2 = female)."""
    women = real_demo[real_demo["RIAGENDR"] == 2]
    flow = real.flow
    assert flow["n_in"].iloc[0] == len(real_demo)
    assert flow["n_out"].iloc[1] == len(women)
    assert flow["n_out"].iloc[2] == (women["RIDAGEYR"] >= 50).sum()


@pytest.mark.mirror
def test_real_cohort_is_women_50_plus_with_positive_weights(real, real_demo):
    d = real.data
    sex = real_demo.set_index("SEQN").loc[d["seqn"], "RIAGENDR"]
    assert (sex == 2).all()  # NHANES codebook: RIAGENDR 2 = female
    assert (d["weight"] > 0).all()
    assert (d["age"] >= 50).all()
    assert d["seqn"].is_unique
    assert set(d["cycle"]) == {"2013-2014", "2017-2020"}
    assert d.groupby(["stratum"])["psu"].nunique().min() >= 2


@pytest.mark.mirror
def test_real_osteoporosis_prevalence_and_size_are_plausible(real):
    """Loose bounds, not a reproduction check (chapter 1 compares with the paper).

    Sources: the paper has 161 of 905 women with osteoporosis, 17.8% (Peng et al.
    2025, Table 1; ``published.N_OP``, ``published.N_TOTAL``); NCHS Data Brief 405
    (Sarafrazi et al. 2021) gives 19.6% for US women 50+ in NHANES 2017-2018
    (femoral neck or lumbar spine). Our references and sites differ from both, and
    our exclusion flow differs from the paper's (``published.inconsistencies()``,
    ``flow_counts``), hence bounds of about half and twice those values.
    """
    prevalence = real.data["op"].mean()
    assert 0.08 < prevalence < 0.35
    assert 500 < len(real.data) < 3000
