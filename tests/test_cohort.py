"""The analysis cohort (osteometals.nhanes.cohort): unit tests on synthetic NHANES tables,
integration tests (marker ``mirror``) on the real files."""

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes import cohort as co
from osteometals.nhanes import spine
from osteometals.nhanes.files import load_table
from osteometals.nhanes.options import CohortOptions
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
#
# Optional steps (off by default):
#  spine_rule="iscd_two_or_more": woman 5 has L1-L3 valid (L4 code 6)   -> IN
#  exclude_op_treatment: 3 told to take an OP medicine, 7 "don't know"  -> OUT
#  exclude_hormone_therapy: 108 ever used hormones, 109 refused          -> OUT
#  exclude_menstruating: 109 had a period in the past year, 7 "don't know" -> OUT

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


def _vertebrae(src):
    """L1-L4 of each person: all valid where a total was released, else L1-L3 valid."""
    cols = {}
    for v in spine.VERTEBRAE:
        c = spine.vertebra_columns(v)
        area = [15.0] * len(src["SEQN"])
        bmd = [t if not np.isnan(t) else (0.7 if v != "L4" else np.nan)
               for t in src["DXXOSBMD"]]
        cols[c["area"]] = [a if not np.isnan(b) else np.nan for a, b in zip(area, bmd,
                                                                              strict=True)]
        cols[c["bmc"]] = [a * b for a, b in zip(area, bmd, strict=True)]
        cols[c["bmd"]] = bmd
        cols[c["code"]] = [0.0 if not np.isnan(b) else 6.0 for b in bmd]
    return cols


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
        tables[name.format("DXXSPN")] = pd.DataFrame(
            {"SEQN": seqn, "DXXOSBMD": src["DXXOSBMD"], **_vertebrae(src)})
        tables[name.format("BMX")] = pd.DataFrame({"SEQN": seqn, "BMXBMI": [27.0] * n})
        tables[name.format("BPQ")] = pd.DataFrame({"SEQN": seqn, "BPQ020": [2] * n})
        diq = [2] * n
        if cyc == "P":
            diq[1] = 3
        tables[name.format("DIQ")] = pd.DataFrame({"SEQN": seqn, "DIQ010": diq})
        tables[name.format("SMQ")] = pd.DataFrame({"SEQN": seqn, "SMQ020": [1] * n})
        osq = {v: [2] * n for v in ("OSQ010A", "OSQ010B", "OSQ010C", "OSQ080", "OSQ150",
                                    "OSQ170", "OSQ200", "OSQ060")}
        osq["OSQ072"] = [np.nan] * n  # asked only if OSQ060 = 1
        rhq = {"RHQ031": [2] * n, "RHD043": [7] * n, "RHQ540": [2] * n}
        for i, person in enumerate(seqn):
            if person in (3, 7):  # ever told osteoporosis; 3 treated, 7 don't know
                osq["OSQ060"][i], osq["OSQ072"][i] = 1, 1 if person == 3 else 9
            if person in (108, 109):  # 108 used hormones, 109 refused to say
                rhq["RHQ540"][i] = 1 if person == 108 else 7
            if person in (109, 7):  # 109 still menstruating, 7 don't know
                rhq["RHQ031"][i] = 1 if person == 109 else 9
        tables[name.format("OSQ")] = pd.DataFrame({"SEQN": seqn, **osq})
        tables[name.format("RHQ")] = pd.DataFrame({"SEQN": seqn, **rhq})
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


def test_every_raw_variable_read_has_a_special_code_entry():
    from osteometals.nhanes.covariate_definitions import DEFINITIONS
    from osteometals.nhanes.exclusions import EXCLUSIONS

    read = {"RIAGENDR", "RIDAGEYR", "RIDRETH1", "DMDEDUC2", "DMDMARTL", "DMDMARTZ", "BMXBMI",
            "BPQ020", "DIQ010", "SMQ020", "OSQ010A", "OSQ010B", "OSQ010C", "OSQ080", "OSQ150",
            "OSQ170", "OSQ200", "RHQ031", "RHD043", "DXXOSBMD", *spine.VERTEBRA_VARIABLES}
    read |= {v for e in EXCLUSIONS for v in e.variables}
    read |= {v for d in DEFINITIONS for v in d.variables}
    assert read <= set(co.SPECIAL_CODES)


def test_refused_and_dont_know_of_the_exclusion_questions_become_missing():
    """OSQ_H / P_OSQ and RHQ_H / P_RHQ codebooks: OSQ060, OSQ072, RHQ031 and RHQ540 use
    7 = refused and 9 = don't know."""
    raw = pd.DataFrame({v: [1, 2, 7, 9] for v in ("OSQ060", "OSQ072", "RHQ031", "RHQ540")})
    out = co.recode_special(raw)
    assert out.isna().sum().tolist() == [2, 2, 2, 2]
    assert out.iloc[:2].notna().all().all()


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


def _build(**fields):
    tables = _tables()
    return co.build_cohort(loader=lambda name: tables[name].copy(), **fields)


def test_build_cohort_takes_an_options_object_or_its_fields():
    tables = _tables()
    a = co.build_cohort(CohortOptions(cycles="P"), loader=lambda n: tables[n].copy())
    b = co.build_cohort(cycles="P", loader=lambda n: tables[n].copy())
    assert a.options == b.options == CohortOptions(cycles="P")
    pd.testing.assert_frame_equal(a.data, b.data)


def test_the_iscd_spine_rule_adds_women_with_two_or_three_valid_vertebrae(synthetic):
    iscd = _build(spine_rule="iscd_two_or_more")
    assert sorted(iscd.data["seqn"]) == [3, 5, 7, 108, 109]
    woman_5 = iscd.data.set_index("seqn").loc[5]
    assert woman_5["bmd_spine"] == pytest.approx(0.7)  # (3 x 15 x 0.7) / (3 x 15)
    step = iscd.flow.set_index("step").loc["BMD measured"]
    assert step["n_out"] == 7 and "fewer than 2 valid vertebrae" in step["reason"]
    # the women with a released total keep it
    both = synthetic.data.set_index("seqn")["bmd_spine"]
    assert (iscd.data.set_index("seqn").loc[both.index, "bmd_spine"] == both).all()


@pytest.mark.parametrize(
    ("option", "step", "kept", "n_yes", "n_unknown"),
    [
        ("exclude_op_treatment", "Not treated for osteoporosis", [108, 109], 1, 1),
        ("exclude_hormone_therapy", "Never used hormone therapy", [3, 7], 1, 1),
        ("exclude_menstruating", "Not menstruating", [3, 108], 1, 1),
    ],
)
def test_each_exclusion_is_a_flow_step_that_counts_yes_and_unknown_apart(
        option, step, kept, n_yes, n_unknown):
    c = _build(**{option: True})
    assert sorted(c.data["seqn"]) == kept
    row = c.flow.set_index("step").loc[step]
    assert row["n_excluded"] == n_yes + n_unknown
    assert row["reason"].endswith(f": {n_yes}; unknown (refused, don't know or not "
                                  f"answered): {n_unknown}")
    assert list(c.flow["step"]).index(step) == len(c.flow) - 2  # before the covariates


def test_exclusions_are_off_by_default(synthetic):
    steps = set(synthetic.flow["step"])
    assert not steps & {"Not treated for osteoporosis", "Never used hormone therapy",
                        "Not menstruating"}


def test_get_cohort_refuses_a_bad_value_before_reading_anything(monkeypatch):
    from osteometals.nhanes import files

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was looked up before the options were checked")

    monkeypatch.setattr(files, "locate_table", no_reading)
    monkeypatch.setattr(files, "load_table", no_reading)
    with pytest.raises(ValueError, match="iscd_two_or_more"):
        co.get_cohort(spine_rule="iscd")
    with pytest.raises(ValueError, match="exclude_menstruating"):
        co.get_cohort(CohortOptions(), exclude_menstruating="yes")


@pytest.mark.mirror
def test_cache_key_depends_on_options():
    a = CohortOptions()
    b = CohortOptions(spine_reference="hologic")
    c = CohortOptions(cycles=("P", "H"), required_sites=("spine", "neck", "femur"))
    assert co.cache_key(a) != co.cache_key(b)
    assert co.cache_key(a) == co.cache_key(c)  # order of cycles/sites does not matter
    assert co.cache_key(CohortOptions(spine_rule="iscd_two_or_more")) != co.cache_key(a)


@pytest.mark.mirror
def test_cache_key_depends_on_the_files_content_not_on_where_they_were_found(monkeypatch):
    options = CohortOptions()
    with_mirror = co.cache_key(options)  # copies the mirror's files into the cache
    monkeypatch.delenv("NHANES_MIRROR")
    assert co.cache_key(options) == with_mirror  # the same files, now from the cache


@pytest.mark.mirror
def test_get_cohort_is_the_same_for_an_object_and_for_fields():
    a = co.get_cohort(CohortOptions(exclude_menstruating=True))
    b = co.get_cohort(exclude_menstruating=True)
    assert a.options == b.options
    pd.testing.assert_frame_equal(a.data, b.data)


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
                  real.options.required_sites]
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


@pytest.mark.mirror
def test_real_default_cohort_is_the_one_the_book_has_always_used(real):
    """Regression: the defaults give the cohort of every earlier version of the book
    (1,198 women, 199 with osteoporosis; CohortOptions only changed how options are
    passed). A change here must be deliberate and explained in chapter 1."""
    assert real.n == 1198 and real.n_op == 199
    assert real.options == CohortOptions()


@pytest.mark.mirror
def test_real_spine_rule_keeps_the_women_the_released_total_drops(nhanes_mirror):
    """Counted from the files (issue 11): of the 2,160 women with metals and a valid hip,
    858 have no released spine total (all four vertebrae valid), 721 of them at least two
    valid vertebrae; the women without a released total are older."""
    vert = co.vertebrae_of_hip_sample()
    table = co.spine_rule_summary(vert).set_index("group")
    assert len(vert) == 2160
    assert table.loc["all four valid", "n"] == 2160 - 858
    assert table.loc["two or three valid", "n"] == 721
    assert vert.loc[~vert["released"], "age"].mean() > vert.loc[vert["released"], "age"].mean()
    iscd = co.get_cohort(spine_rule="iscd_two_or_more")
    step = iscd.flow.set_index("step").loc["BMD measured"]
    assert step["n_out"] == 2160 - 137  # everyone but those with fewer than two
