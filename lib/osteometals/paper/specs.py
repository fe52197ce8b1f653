"""The specification space of the robustness chapter, declared in one place.

Every choice a referee could question, with every defensible level and the
sentence that defends it. The first level of each dimension is the book's
reading of the paper. Levels whose code belongs to another part of the book
and does not exist yet are declared with ``available=False`` and what they
wait for: they are listed, never computed, and never replaced by a stand-in.

:data:`SPACE` is a :class:`osteometals.stats.speccurve.Space`; its
``cohort`` dimensions become options of
:func:`osteometals.nhanes.cohort.get_cohort` (:func:`cohort_options`), so a
cohort is built once per cohort specification and cached there.

Selections of levels come from a parameter string (:func:`parse_levels`,
``"cycles=H+P,H; weighting=design"``) or a TOML / JSON file
(:func:`load_spec_file`); both are validated against :data:`SPACE` before
any work, naming an unknown dimension or level and listing the valid ones.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from osteometals.stats.speccurve import NA, Dimension, Level, Space, SpaceError

__all__ = ["COHORT_DIMENSIONS", "SPACE", "T_SCORE_DIMENSIONS", "SpecFile", "cohort_options",
           "cohort_spec", "load_spec_file", "parse_levels"]

_SPINE = (("required_sites", ("femur+neck+spine",)),)


def _exclusion(name: str, title: str, keep: str, drop: str) -> Dimension:
    """A yes/no cohort exclusion: ``keep`` says why not to exclude, ``drop`` why to."""
    return Dimension(name, "cohort", title, (Level("no", keep), Level("yes", drop)))


SPACE = Space((
    # ---------------------------------------------------------------- cohort
    Dimension("cycles", "cohort", "NHANES cycles", (
        Level("H+P", "The paper pools 2013-2014 and 2017-March 2020 with combined weights."),
        Level("H", "2013-2014 alone: one survey protocol, metals measured in a random "
              "half-sample with its own weights."),
        Level("P", "2017-March 2020 alone: the larger, more recent cycle, whose selenium "
              "and lead levels differ from 2013-2014."),
    )),
    Dimension("required_sites", "cohort", "BMD sites required", (
        Level("femur+neck+spine", "The paper diagnoses osteoporosis from the lowest "
              "T-score of the total femur, femoral neck and lumbar spine."),
        Level("femur+neck", "Hip only: spine BMD is raised by osteophytes and aortic "
              "calcification in older women, and requiring it drops many of them."),
    )),
    Dimension("spine_rule", "cohort", "Valid lumbar spine", (
        Level("all_four", "NHANES's total spine BMD, valid only when all of L1-L4 are."),
        Level("iscd_two_or_more", "The ISCD rule: spine BMD from at least two valid "
              "vertebrae, which keeps most women the all-four rule drops."),
    ), only_if=_SPINE),
    Dimension("spine_reference", "cohort", "Spine T-score reference", (
        Level("xue2021", "An NHANES 2005-2014 young-adult reference measured on the same "
              "Hologic fan-beam scanners (the paper names none for the spine)."),
        Level("hologic", "The manufacturer's L1-L4 reference most NHANES papers quote "
              "(values not verified against a primary source)."),
    ), only_if=_SPINE),
    Dimension("neck_reference", "cohort", "Femoral-neck T-score reference", (
        Level("looker1998", "NHANES III white women aged 20-29, the reference the paper "
              "cites."),
        Level("xue2021", "The updated NHANES 2005-2014 reference, on current scanners."),
    )),
    Dimension("missing_data", "cohort", "Missing covariates", (
        Level("complete_case", "The paper analyses women with every covariate known."),
        Level("mi", "Multiple imputation by chained equations keeps the women with a "
              "missing or don't-know covariate (most of them for parental osteoporosis), "
              "which complete cases bias if they are not missing completely at random."),
    )),
    _exclusion("exclude_op_treatment", "Exclude treated osteoporosis",
               "The paper keeps every woman, treated or not.",
               "Osteoporosis drugs raise BMD, so treated women carry a diagnosis their "
               "T-score no longer shows."),
    _exclusion("exclude_hormone_therapy", "Exclude hormone therapy",
               "The paper keeps women using hormones.",
               "Hormone therapy protects bone and may track metal exposure, a confounder "
               "the covariates do not hold."),
    _exclusion("exclude_menstruating", "Exclude women still menstruating",
               "The paper takes age 50 or over as postmenopausal.",
               "Women with periods in the past year are not postmenopausal, the population "
               "the paper names."),
    # ---------------------------------------------------------------- model
    Dimension("weighting", "model", "Weights and design", (
        Level("design", "NHANES is a stratified cluster sample with unequal weights; "
              "design-based fits estimate the population association and its SE."),
        Level("unweighted", "The paper does not say that Tables 2-4 are weighted, and an "
              "unweighted fit is efficient if the model is right."),
    )),
    Dimension("design_df", "model", "Design degrees of freedom", (
        Level("r_survey", "R survey's residual df (PSUs - strata - p + 1)."),
        Level("psu_minus_strata", "PSUs - strata, as SUDAAN, SAS and Stata, which many "
              "NHANES papers report."),
    ), only_if=(("weighting", ("design",)),)),
    Dimension("adjustment", "model", "Adjustment set", (
        Level("Model 1", "The paper's first model, the one its abstract quotes."),
        Level("Model 2", "Adds race, education and age (Table 3: all covariates)."),
        Level("Model 3", "All covariates (logistic models only)."),
    )),
    Dimension("age_bmi", "model", "Age and BMI", (
        Level("groups", "The groups of Table 1, our reading of the paper."),
        Level("continuous", "Age and BMI as numbers keep the information the three "
              "groups throw away."),
    )),
    Dimension("cycle_term", "model", "Term for the NHANES cycle", (
        Level("no", "The paper has no cycle term; the pooled weights already combine the "
              "two cycles."),
        Level("yes", "Selenium and lead differ between cycles, and so may the DXA "
              "scanners: a cycle term removes that confounding."),
    ), only_if=(("cycles", ("H+P",)),)),
    Dimension("trend_score", "model", "Score of the trend test", (
        Level("median", "The median of each group, the usual NHANES P for trend."),
        Level("ln_median", "The ln of the group medians: the paper says its exposures "
              "were ln-transformed, and the raw medians let the long right tail dominate."),
        Level("rank", "Group ranks 0, 1, 2, ...: a test of order, not of dose."),
    )),
    # ---------------------------------------------------------------- exposure
    Dimension("coding", "exposure", "Exposure coding", (
        Level("quartiles", "The paper's quartiles, the lowest the reference."),
        Level("tertiles", "Tertiles put more women in each group, and no cut is the "
              "natural one."),
        Level("ln_sd", "ln(metal) per SD uses all of the exposure's information; it is "
              "the coding of the per-SD claims."),
    )),
))

#: The dimensions that define a cohort (one get_cohort call, and one imputation, each).
COHORT_DIMENSIONS: tuple[str, ...] = tuple(d.name for d in SPACE.dimensions
                                           if d.group == "cohort")

#: Cohort dimensions that change only the T-scores, hence osteoporosis, never who is in
#: the cohort: a BMD claim ignores them, and one imputation serves all their levels.
T_SCORE_DIMENSIONS: tuple[str, ...] = ("spine_reference", "neck_reference")


def cohort_spec(spec: Mapping[str, str]) -> dict[str, str]:
    """The cohort dimensions of a specification."""
    return {k: spec[k] for k in COHORT_DIMENSIONS if k in spec}


def cohort_options(spec: Mapping[str, str]) -> dict[str, Any]:
    """Keyword options of :func:`osteometals.nhanes.cohort.get_cohort` for a specification.

    Dimensions at n/a are left at get_cohort's defaults (the fields of
    :class:`osteometals.nhanes.options.CohortOptions`); the missing-data level
    maps to ``require_complete_covariates``, the exclusions to booleans.

    Raises
    ------
    SpaceError
        For a level not available yet (it has no get_cohort option).
    """
    spec = cohort_spec(spec)
    for name, value in spec.items():
        if value != NA and not SPACE[name].level(value).available:
            raise SpaceError(f"level {value!r} of {name!r} is not available yet")
    out: dict[str, Any] = {
        "cycles": tuple(spec.get("cycles", "H+P").split("+")),
        "required_sites": tuple(spec.get("required_sites", "femur+neck+spine").split("+")),
        "require_complete_covariates": spec.get("missing_data", "complete_case")
        == "complete_case",
    }
    for name in ("spine_reference", "neck_reference", "spine_rule"):
        if spec.get(name, NA) != NA:
            out[name] = spec[name]
    for name in ("exclude_op_treatment", "exclude_hormone_therapy", "exclude_menstruating"):
        if spec.get(name, NA) != NA:
            out[name] = spec[name] == "yes"
    return out


def parse_levels(text: str) -> dict[str, tuple[str, ...]]:
    """Read ``"dim=level,level; dim=level"`` into a validated selection.

    ``dim:level`` is read like ``dim=level`` (a chapter's help text may not
    contain ``=``). An empty string selects nothing (every available level).

    Raises
    ------
    SpaceError
        Malformed text, an unknown dimension or level, or one not available yet.
    """
    selection: dict[str, list[str]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        sep = "=" if "=" in part else ":"
        if sep not in part:
            raise SpaceError(f"expected 'dimension=level,level', got {part!r}; "
                             f"valid dimensions: {', '.join(SPACE.names)}")
        name, values = (s.strip() for s in part.split(sep, 1))
        selection.setdefault(name, []).extend(v.strip() for v in values.split(",")
                                              if v.strip())
    return SPACE.validate(selection)


class SpecFile(dict):
    """A validated specification file: ``levels``, and optionally ``claims``,
    ``max_specs`` and ``seed``."""


def load_spec_file(path: str | Path, claim_names: tuple[str, ...] = ()) -> SpecFile:
    """Read and validate a TOML or JSON specification file.

    The file has a table ``levels`` (dimension -> list of levels) and may
    have ``claims`` (list of claim names), ``max_specs`` and ``seed``::

        claims = ["cd_q4_op"]
        max_specs = 500
        [levels]
        cycles = ["H+P", "H"]
        weighting = ["design"]

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` or ``.json`` file.
    claim_names : tuple of str
        Valid claim names (to check ``claims``).

    Raises
    ------
    SpaceError
        An unreadable file, an unknown key, dimension, level or claim (each
        named with the valid values), or a level not available yet.
    """
    path = Path(path)
    try:
        text = path.read_text()
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except FileNotFoundError:
        raise SpaceError(f"specification file {path} does not exist") from None
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise SpaceError(f"cannot read specification file {path}: {exc}") from None
    allowed = {"levels", "claims", "max_specs", "seed"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpaceError(f"unknown key(s) {unknown} in {path}; valid keys: {sorted(allowed)}")
    levels = raw.get("levels", {})
    if not isinstance(levels, dict):
        raise SpaceError(f"'levels' in {path} must be a table of dimension = [levels]")
    out = SpecFile(levels=SPACE.validate({k: [v] if isinstance(v, str) else v
                                          for k, v in levels.items()}))
    if "claims" in raw:
        bad = [c for c in raw["claims"] if c not in claim_names]
        if bad:
            raise SpaceError(f"unknown claim(s) {bad} in {path}; valid claims: "
                             f"{', '.join(claim_names)}")
        out["claims"] = tuple(raw["claims"])
    for key in ("max_specs", "seed"):
        if key in raw:
            low = 1 if key == "max_specs" else 0
            if not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] < low:
                raise SpaceError(f"{key} in {path} must be an integer of at least {low}")
            out[key] = raw[key]
    return out
