"""Cohort options as data (osteometals.nhanes.options.CohortOptions): validated once,
normalised, hashable, serialisable, and the same fields in every chapter that builds
a cohort."""

import json
import subprocess
import sys
import typing

import pytest

from osteometals.book.chapters import find_chapter
from osteometals.nhanes import options as opt
from osteometals.nhanes.options import CohortOptions


def test_defaults_are_the_papers_cohort():
    o = CohortOptions()
    assert o.cycles == ("H", "P") and o.min_age == 50
    assert o.required_sites == ("femur", "neck", "spine")
    assert o.spine_rule == "all_four"
    assert not (o.exclude_op_treatment or o.exclude_hormone_therapy or o.exclude_menstruating)
    assert o.changes() == {} and str(o) == "default cohort options"


def test_equal_choices_make_equal_options_whatever_their_spelling():
    a = CohortOptions(cycles="P+H", required_sites="spine+femur+neck")
    b = CohortOptions(cycles=["H", "P"], required_sites=("femur", "neck", "spine"))
    c = CohortOptions(cycles="H,P")
    assert a == b == c == CohortOptions()
    assert hash(a) == hash(b)
    assert len({a, b, c, CohortOptions(spine_rule="iscd_two_or_more")}) == 2


def test_options_round_trip_through_json():
    o = CohortOptions(cycles="H", spine_rule="iscd_two_or_more", exclude_menstruating=True,
                      min_age=55)
    text = json.dumps(o.to_dict())
    assert CohortOptions.from_dict(json.loads(text)) == o
    assert o.changes() == {"cycles": ["H"], "min_age": 55, "spine_rule": "iscd_two_or_more",
                           "exclude_menstruating": True}


def test_the_key_is_stable_across_processes_and_follows_every_field():
    o = CohortOptions(spine_rule="iscd_two_or_more")
    code = ("from osteometals.nhanes.options import CohortOptions; "
            "print(CohortOptions(spine_rule='iscd_two_or_more').key())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "123"}).stdout.strip()
    assert other == o.key() and len(o.key()) == 16
    changed = {
        "cycles": "H", "min_age": 60, "required_sites": "femur+neck",
        "spine_reference": "hologic", "neck_reference": "xue2021",
        "spine_rule": "iscd_two_or_more", "require_complete_covariates": False,
        "diabetes_borderline": "yes", "parent_op_definition": "osq150_or_hip_fracture",
        "fracture_definition": "any", "exclude_op_treatment": True,
        "exclude_hormone_therapy": True, "exclude_menstruating": True,
    }
    keys = {CohortOptions(**{name: value}).key() for name, value in changed.items()}
    assert len(keys) == len(changed) and CohortOptions().key() not in keys
    # femur_reference has a single allowed value: every other field is covered above
    assert set(changed) | {"femur_reference"} == set(CohortOptions.field_names())


def test_the_key_follows_the_schema_version(monkeypatch):
    before = CohortOptions().key()
    monkeypatch.setattr(opt, "SCHEMA_VERSION", opt.SCHEMA_VERSION + 1)
    assert CohortOptions().key() != before


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("cycles", ("H", "Q"), "['H', 'P']"),
        ("cycles", ("H", "H"), "distinct"),
        ("cycles", (), "distinct"),
        ("required_sites", "femur+hip", "['femur', 'neck', 'spine']"),
        ("spine_reference", "nhanes3", "['xue2021', 'hologic']"),
        ("femur_reference", "x", "['looker1998']"),
        ("neck_reference", "hologic", "['looker1998', 'xue2021']"),
        ("spine_rule", "iscd", "['all_four', 'iscd_two_or_more']"),
        ("diabetes_borderline", "maybe", "['no', 'yes', 'missing']"),
        ("parent_op_definition", "mother", "osq150_or_hip_fracture"),
        ("fracture_definition", "hip", "hip_wrist_spine"),
        ("require_complete_covariates", "yes", "True or False"),
        ("exclude_op_treatment", 1, "True or False"),
        ("exclude_hormone_therapy", "true", "True or False"),
        ("exclude_menstruating", None, "True or False"),
        ("min_age", 5, "between 20 and 80"),
        ("min_age", 50.5, "whole number"),
        ("min_age", True, "whole number"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_the_allowed_values(field, value, named):
    with pytest.raises(ValueError) as err:
        CohortOptions(**{field: value})
    assert field in str(err.value) and named in str(err.value)


def test_an_unknown_field_is_refused_naming_the_fields():
    with pytest.raises(ValueError, match="spine_rule"):
        CohortOptions.from_dict({"spine": "hologic"})
    with pytest.raises(ValueError, match="unknown cohort option"):
        CohortOptions().replace(spine="hologic")


def test_replace_validates_again():
    with pytest.raises(ValueError, match="spine_rule"):
        CohortOptions().replace(spine_rule="any")
    assert CohortOptions().replace(min_age=60).min_age == 60


def test_options_from_a_chapters_parameters_ignore_other_names():
    names = {"spine_rule": "iscd_two_or_more", "output_dir": "results", "summary": "mean_sd",
             "seed": 1}
    assert CohortOptions.from_parameters(names) == CohortOptions(spine_rule="iscd_two_or_more")


def test_as_options_accepts_an_object_a_mapping_or_fields():
    o = CohortOptions(cycles="H")
    assert opt.as_options(o) is o
    assert opt.as_options({"cycles": "H"}) == o == opt.as_options(cycles="H")
    assert opt.as_options(o, spine_rule="iscd_two_or_more").spine_rule == "iscd_two_or_more"
    with pytest.raises(TypeError):
        opt.as_options("H")


def test_combinations_span_a_small_specification_space():
    space = opt.combinations(spine_rule=opt.CHOICES["spine_rule"],
                             exclude_menstruating=(False, True), cycles=("H+P", "P+H"))
    assert len(space) == 4  # "H+P" and "P+H" are the same option
    assert CohortOptions() in space


# ----------------------------------------------------------------- chapters


@pytest.mark.parametrize("chapter", ["01", "02"])
def test_chapter_parameters_are_cohort_fields_with_the_same_choices_and_defaults(chapter):
    params = {p.name: p for p in find_chapter(chapter).parameters}
    fields = [f for f in CohortOptions.field_names() if f in params]
    assert {"spine_rule", "exclude_op_treatment", "exclude_hormone_therapy",
            "exclude_menstruating", "spine_reference"} <= set(fields)
    defaults = CohortOptions().to_dict()
    allowed = opt.allowed_values()
    for name in fields:
        p = params[name]
        assert CohortOptions.from_parameters({name: p.default}) == CohortOptions(), name
        if name in ("cycles", "required_sites"):
            # "+"-joined subsets: every choice must be a valid option value
            for choice in p.choices:
                CohortOptions(**{name: choice})
        elif p.type == "bool":
            assert isinstance(defaults[name], bool)
        elif name in allowed:
            assert tuple(p.choices) == tuple(allowed[name]), name


def test_every_cohort_field_is_a_parameter_of_chapter_1():
    params = {p.name for p in find_chapter("01").parameters}
    assert set(CohortOptions.field_names()) <= params
    hints = typing.get_type_hints(CohortOptions)
    assert set(hints) == set(CohortOptions.field_names())


def test_the_option_cycles_are_the_cohorts_cycles():
    from osteometals.nhanes import cohort as co

    assert opt.CYCLE_KEYS == tuple(co.CYCLES)
    assert opt.CHOICES["required_sites"] == tuple(co.BONE_SITES)
