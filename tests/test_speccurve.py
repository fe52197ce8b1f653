"""Specification spaces and their summaries (osteometals.stats.speccurve), and the
book's declared space (osteometals.paper.specs).

Reference values are computed by hand from the small frames built here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import specs
from osteometals.stats.speccurve import (
    NA,
    Dimension,
    Level,
    Space,
    SpaceError,
    curve_summary,
    dimension_importance,
    spec_key,
)


def _space() -> Space:
    return Space((
        Dimension("site", "cohort", "Site", (Level("hip", "why"), Level("spine", "why"))),
        Dimension("ref", "cohort", "Spine reference", (
            Level("a", "why"), Level("b", "why"), Level("c", "why", False, "waits for X"),
        ), only_if=(("site", ("spine",)),)),
        Dimension("model", "model", "Model", tuple(Level(str(i), "why") for i in range(3))),
    ))


def test_factorial_collapses_dimensions_that_do_not_apply():
    every = _space().factorial()
    # hip: ref n/a (1) x 3 models; spine: 2 available refs x 3 models
    assert len(every) == 3 + 6
    assert {s["ref"] for s in every if s["site"] == "hip"} == {NA}
    assert "c" not in {s["ref"] for s in every}  # not available: declared, never enumerated


def test_sample_is_seeded_and_without_replacement():
    space = _space()
    a, b = space.specifications(4, seed=3), space.specifications(4, seed=3)
    assert a == b and len(a) == 4
    assert len({tuple(s.items()) for s in a}) == 4
    assert space.specifications(100) == space.factorial()  # small spaces: all of it
    assert space.specifications(4, seed=4) != a


@pytest.mark.parametrize("selection, match", [
    ({"colour": ["red"]}, "unknown dimension 'colour'; valid dimensions: site, ref, model"),
    ({"site": ["knee"]}, "unknown level 'knee' of dimension 'site'; valid levels: hip, spine"),
    ({"ref": ["c"]}, "not available yet \\(waits for X\\); available levels: a, b"),
    ({"model": []}, "no level selected"),
])
def test_bad_selection_names_the_problem_and_the_valid_values(selection, match):
    with pytest.raises(SpaceError, match=match):
        _space().restrict(selection)


def test_restrict_keeps_only_selected_levels():
    every = _space().restrict({"site": ["spine"], "model": ["0", "2"]}).factorial()
    assert len(every) == 2 * 2
    assert {s["model"] for s in every} == {"0", "2"}


def test_spec_key_depends_on_fields_and_version_only():
    assert spec_key({"a": "1", "b": "2"}, "v1") == spec_key({"b": "2", "a": "1"}, "v1")
    assert spec_key({"a": "1"}, "v1") != spec_key({"a": "1"}, "v2")
    assert spec_key({"a": "1"}, "v1") != spec_key({"a": "2"}, "v1")


def test_curve_summary_counts_sign_and_significance():
    f = pd.DataFrame({"b": [0.5, 0.2, -0.1, 0.3, np.nan], "p": [0.01, 0.30, 0.02, 0.04, 0.5]})
    s = curve_summary(f, direction=1)
    assert s["n"] == 4
    assert s["share_sign"] == pytest.approx(3 / 4)
    assert s["share_significant"] == pytest.approx(2 / 4)  # 0.5 and 0.3
    assert s["share_opposite_significant"] == pytest.approx(1 / 4)
    assert s["median_b"] == pytest.approx(0.25)


def test_dimension_importance_finds_the_dimension_that_moves_the_estimate():
    rng = np.random.default_rng(0)
    rows = [{"big": big, "small": small, "b": 1.0 * (big == "y") + 0.1 * (small == "y")
             + rng.normal(0, 0.01)} for big in "ny" for small in "ny" for _ in range(5)]
    imp, by_level = dimension_importance(pd.DataFrame(rows), ["small", "big"])
    assert list(imp["dimension"]) == ["big", "small"]
    # balanced design: one-way shares of the two effects are 1 : 0.01 of the total
    assert imp.loc[0, "share_variance"] == pytest.approx(1 / 1.01, abs=0.01)
    med = by_level.set_index(["dimension", "level"])["median"]
    assert med[("big", "y")] - med[("big", "n")] == pytest.approx(1.0, abs=0.1)



def test_a_nested_dimension_does_not_take_the_effect_of_its_parent():
    """The design df applies only to design-based fits (n/a when unweighted): weighting
    moves the estimate, the df does not, and must not be credited with it."""
    rng = np.random.default_rng(1)
    rows = [{"weighting": w, "design_df": d if w == "design" else "n/a",
             "b": 1.0 * (w == "design") + rng.normal(0, 0.01)}
            for w in ("design", "unweighted") for d in ("r_survey", "psu_minus_strata")
            for _ in range(5)]
    imp, by_level = dimension_importance(pd.DataFrame(rows), ["design_df", "weighting"])
    share = imp.set_index("dimension")["share_variance"]
    assert share["weighting"] == pytest.approx(1.0, abs=0.01)
    assert share["design_df"] < 0.01
    assert "n/a" not in set(by_level["level"])


# --------------------------------------------------------------------------- the book's space


def test_every_level_of_the_books_space_says_why():
    table = specs.SPACE.table()
    assert (table["why"].str.len() > 20).all()
    assert (table.loc[~table["available"], "missing"].str.len() > 0).all()
    groups = set(table["group"])
    assert groups == {"cohort", "model", "exposure"}


def test_the_books_space_declares_the_issues_dimensions():
    wanted = {"cycles", "required_sites", "spine_rule", "spine_reference", "neck_reference",
              "missing_data", "exclude_op_treatment", "exclude_hormone_therapy",
              "exclude_menstruating", "weighting", "adjustment", "age_bmi", "cycle_term",
              "trend_score", "design_df", "coding"}
    assert wanted <= set(specs.SPACE.names)
    assert set(specs.SPACE["coding"].values) == {"quartiles", "tertiles", "ln_sd"}
    assert "mi" in specs.SPACE["missing_data"].available


def test_cohort_options_map_levels_to_get_cohort():
    spec = dict(cycles="H", required_sites="femur+neck", spine_reference=NA,
                neck_reference="xue2021", missing_data="mi", weighting="design")
    assert specs.cohort_options(spec) == {
        "cycles": ("H",), "required_sites": ("femur", "neck"),
        "require_complete_covariates": False, "neck_reference": "xue2021"}


def test_parse_levels_and_its_errors():
    assert specs.parse_levels("cycles=H+P,H; weighting = design") == {
        "cycles": ("H+P", "H"), "weighting": ("design",)}
    assert specs.parse_levels("") == {}
    with pytest.raises(SpaceError, match="unknown dimension 'cycle'; valid dimensions: cycles"):
        specs.parse_levels("cycle=H")
    with pytest.raises(SpaceError, match="valid levels: H\\+P, H, P"):
        specs.parse_levels("cycles=Q")
    with pytest.raises(SpaceError, match="expected 'dimension=level"):
        specs.parse_levels("cycles")


def test_spec_file(tmp_path):
    good = tmp_path / "space.toml"
    good.write_text('claims = ["cd_q4_op"]\nmax_specs = 10\n[levels]\ncycles = ["H+P"]\n')
    out = specs.load_spec_file(good, ("cd_q4_op",))
    assert out == {"levels": {"cycles": ("H+P",)}, "claims": ("cd_q4_op",), "max_specs": 10}
    bad = tmp_path / "bad.json"
    bad.write_text('{"levels": {"weighting": ["design", "bayes"]}}')
    with pytest.raises(SpaceError, match="unknown level 'bayes'.*design, unweighted"):
        specs.load_spec_file(bad)
    with pytest.raises(SpaceError, match="unknown key"):
        good.write_text("levles = 1\n")
        specs.load_spec_file(good)
    with pytest.raises(SpaceError, match="does not exist"):
        specs.load_spec_file(tmp_path / "none.toml")
