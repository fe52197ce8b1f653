"""T-scores and WHO categories (osteometals.nhanes.tscore).

Reference values, as cited in ``osteometals.nhanes.tscore.REFERENCES``:

* total femur 0.942 (SD 0.122) and femoral neck 0.858 (0.120) g/cm²: Looker et al.
  1998, Osteoporos Int 8:468-89, NHANES III non-Hispanic white women 20-29 (the
  paper's ref. 26, used by the paper for both sites);
* lumbar spine 1.065 (0.122): Xue et al. 2021, J Clin Endocrinol Metab (abstract);
* lumbar spine 1.047 (0.110): the Hologic reference as commonly quoted, marked
  unverified in the module.

WHO categories: T <= -2.5 osteoporosis, -2.5 < T <= -1 osteopenia, T > -1 normal.
Both thresholds in the lower class: the WHO wording ("2.5 SD or more below the
young adult mean") settles -2.5; for T = -1 exactly, ``bone_status`` follows the
paper (its docstring), which the test pins so that a change is deliberate.
"""

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes import tscore


def test_t_score_is_distance_from_reference_mean_in_reference_sds():
    # by hand with the Looker femur reference: (0.942 - 0.942) / 0.122 = 0, etc.
    assert tscore.t_score(0.942, 0.942, 0.122) == pytest.approx(0.0)
    assert tscore.t_score(0.942 - 2.5 * 0.122, 0.942, 0.122) == pytest.approx(-2.5)
    assert tscore.t_score(1.064, 0.942, 0.122) == pytest.approx(1.0)


def test_t_score_keeps_missing_values_missing():
    out = tscore.t_score(pd.Series([0.9, np.nan]), 0.858, 0.120)
    assert np.isnan(out.iloc[1]) and np.isfinite(out.iloc[0])


def test_t_score_refuses_a_non_positive_sd():
    with pytest.raises(ValueError, match="positive"):
        tscore.t_score(0.9, 0.9, 0.0)


def test_default_references_are_the_papers_femur_and_neck_values():
    # Looker 1998 (the paper's ref. 26), see the module docstring
    assert tscore.DEFAULT_REFERENCES["femur"] == tscore.DEFAULT_REFERENCES["neck"] == (
        "looker1998")
    femur = tscore.get_reference("femur", tscore.DEFAULT_REFERENCES["femur"])
    neck = tscore.get_reference("neck", tscore.DEFAULT_REFERENCES["neck"])
    assert (femur.mean, femur.sd) == (0.942, 0.122)
    assert (neck.mean, neck.sd) == (0.858, 0.120)


def test_every_reference_cites_a_source_and_unverified_ones_say_so():
    table = tscore.reference_table()
    assert table["citation"].str.len().gt(20).all()  # more than a bare name
    hologic = table[(table.site == "spine") & (table.name == "hologic")].iloc[0]
    assert not hologic["verified"]
    assert "not" in hologic["citation"].lower()
    assert table.groupby("site")["default"].sum().eq(1).all()


def test_unknown_reference_names_the_allowed_ones():
    with pytest.raises(ValueError, match="hologic"):
        tscore.get_reference("spine", "nhanes3")
    with pytest.raises(ValueError, match="femur"):
        tscore.get_reference("hip", "looker1998")


@pytest.mark.parametrize(
    ("t", "status"),
    [
        (-3.0, "Osteoporosis"),
        (-2.5, "Osteoporosis"),  # threshold belongs to osteoporosis
        (-2.4999, "Osteopenia"),
        (-1.0, "Osteopenia"),  # threshold belongs to osteopenia
        (-0.9999, "Normal"),
        (1.5, "Normal"),
    ],
)
def test_who_categories_put_each_threshold_in_the_lower_class(t, status):
    assert tscore.bone_status([t])[0] == status


def test_bone_status_of_missing_t_is_missing():
    assert pd.isna(tscore.bone_status([np.nan])[0])


def _bmd_at(t_femur, t_neck, t_spine):
    f = tscore.get_reference("femur", "looker1998")
    n = tscore.get_reference("neck", "looker1998")
    s = tscore.get_reference("spine", "xue2021")
    return pd.DataFrame({
        "bmd_femur": [f.mean + t_femur * f.sd],
        "bmd_neck": [n.mean + t_neck * n.sd],
        "bmd_spine": [s.mean + t_spine * s.sd],
    })


def test_lowest_t_score_over_sites_defines_osteoporosis():
    out = tscore.add_t_scores(_bmd_at(0.0, -1.2, -2.6))
    assert out[["t_femur", "t_neck", "t_spine"]].iloc[0].tolist() == pytest.approx(
        [0.0, -1.2, -2.6])
    assert out["t_min"].iloc[0] == pytest.approx(-2.6)
    assert out["bone_status"].iloc[0] == "Osteoporosis"
    assert out["op"].iloc[0] == 1


def test_only_the_chosen_sites_enter_the_lowest_t_score():
    out = tscore.add_t_scores(_bmd_at(0.0, -1.2, -2.6), sites=("femur", "neck"))
    assert out["t_min"].iloc[0] == pytest.approx(-1.2)
    assert out["op"].iloc[0] == 0
    assert out["t_spine"].iloc[0] == pytest.approx(-2.6)  # still computed


def test_the_spine_reference_changes_the_spine_t_score():
    frame = pd.DataFrame({"bmd_femur": [0.9], "bmd_neck": [0.8], "bmd_spine": [0.80]})
    xue = tscore.add_t_scores(frame, spine="xue2021")["t_spine"].iloc[0]
    hol = tscore.add_t_scores(frame, spine="hologic")["t_spine"].iloc[0]
    # by hand from the two references of the module docstring
    assert xue == pytest.approx((0.80 - 1.065) / 0.122)
    assert hol == pytest.approx((0.80 - 1.047) / 0.110)


def test_sites_are_a_view_of_the_one_site_table():
    from osteometals.nhanes.variables import BMD_SITES, BONE_SITES, SITE_LABELS

    assert tscore.SITES == {"femur": "bmd_femur", "neck": "bmd_neck", "spine": "bmd_spine"}
    assert {s.column for s in BONE_SITES.values()} == set(BMD_SITES) == set(SITE_LABELS)
    # NHANES variables from the DXXFEM / DXXSPN codebooks
    assert {k: s.nhanes for k, s in BONE_SITES.items()} == {
        "femur": "DXXOFBMD", "neck": "DXXNKBMD", "spine": "DXXOSBMD"}
    assert BMD_SITES["bmd_neck"] == ("Femoral neck", "DXXNKBMD", "DXXFEM")


def test_the_papers_site_labels_are_the_nhanes_layers():
    from osteometals.nhanes.variables import SITE_LABELS
    from osteometals.paper import published

    assert published.SITE_LABELS == SITE_LABELS
