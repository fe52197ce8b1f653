"""Raw NHANES tables to the analysis cohort, with the exclusion flow as data.

Two cycles, as the paper: ``"H"`` = NHANES 2013-2014 (tables ``*_H``) and
``"P"`` = NHANES 2017-March 2020 pre-pandemic (tables ``P_*``). Per cycle we
merge DEMO, PBCD, DXXFEM, DXXSPN, BMX, BPQ, DIQ, OSQ, SMQ and RHQ on SEQN,
turn NHANES "refused" / "don't know" codes into missing from an explicit
per-variable table (:data:`SPECIAL_CODES`), derive the cohort columns named in
``CONTRIBUTING.md`` and apply the inclusion criteria one step at a time,
recording every step in ``Cohort.flow``.

Survey weights (NCHS analytic guidelines for combining cycles): the pooled
weight is the cycle's weight times the cycle's share of the 5.2 years covered,
``2/5.2`` for 2013-2014 and ``3.2/5.2`` for 2017-March 2020. The cycle weight
is the weight of the *blood-metal* sample, the smallest sample the analysis
needs:

* 2013-2014: the metals were measured in a random one-half subsample of
  participants aged 12+, so PBCD_H carries its own subsample weight
  ``WTSH2YR`` (PBCD_H codebook, "Subsample Weights").
* 2017-March 2020: P_PBCD covers all examined participants aged 1+ (P_PBCD
  codebook, "Eligible Sample") and has no weight of its own; the analytic
  notes point to the weights of the demographic file, i.e. the MEC exam
  weight ``WTMECPRP``.

The DXA and questionnaire components are answered by (nearly) everyone
examined in the age range, so no smaller weight is needed for them.

Every choice is a field of one validated, hashable
:class:`~osteometals.nhanes.options.CohortOptions` (re-exported here):
``get_cohort(CohortOptions(spine_rule="iscd_two_or_more"))`` or, the same,
``get_cohort(spine_rule="iscd_two_or_more")``.

Public API: :class:`CohortOptions`, :func:`build_cohort`, :func:`get_cohort`,
:class:`Cohort`, :func:`recode_special`, :func:`pooled_weight`,
:func:`multiverse`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from osteometals.nhanes import spine, tscore
from osteometals.nhanes.exclusions import EXCLUSIONS, exclusion_reason
from osteometals.nhanes.options import (
    CHOICES,
    SCHEMA_VERSION,
    CohortOptions,
    as_options,
)
from osteometals.nhanes.variables import BONE_SITES, CATEGORIES, METALS

__all__ = [
    "CHOICES", "COLUMNS", "COVARIATES", "Cohort", "CohortOptions", "SPECIAL_CODES",
    "build_cohort", "cache_key", "get_cohort", "multiverse", "pooled_weight", "recode_special",
    "summary",
]

Loader = Callable[[str], pd.DataFrame]

#: Cycle key -> (label used in the ``cycle`` column, table-name pattern).
CYCLES: dict[str, tuple[str, str]] = {
    "H": ("2013-2014", "{}_H"),
    "P": ("2017-2020", "P_{}"),
}

#: Years covered by each cycle, for pooled weights (NCHS: 2017-March 2020 = 3.2 y).
CYCLE_YEARS: dict[str, float] = {"H": 2.0, "P": 3.2}

#: Weight of the blood-metal sample per cycle: (table, variable).
METAL_WEIGHT: dict[str, tuple[str, str]] = {
    "H": ("PBCD", "WTSH2YR"),  # one-half subsample weight, in PBCD_H
    "P": ("DEMO", "WTMECPRP"),  # P_PBCD covers all examinees: MEC exam weight
}

#: The components merged per cycle (DEMO first; RHQ only for reporting).
COMPONENTS: tuple[str, ...] = (
    "DEMO", "PBCD", "DXXFEM", "DXXSPN", "BMX", "BPQ", "DIQ", "OSQ", "SMQ", "RHQ",
)

#: NHANES codes meaning "refused" / "don't know" per raw variable, from the
#: CDC codebooks (docs/<TABLE>.md; identical in the H and P tables unless
#: noted). Every raw variable the cohort reads is listed, with an empty set
#: when it has no such codes: a variable missing here is an error, so no
#: variable is cleaned by a blanket rule. Note RIDAGEYR 80 means "80 and
#: over" (kept), and RHD043 uses 7 = "Menopause" and 9 = "Other" as real
#: answers, its refused/don't know being 77/99. The spine files' invalidity
#: codes (DXXL<i>BCC: 0 valid, 1/3/4/5/6 reasons) are real codes, not
#: refusals, and their BMC / area / BMD are measurements: empty sets.
SPECIAL_CODES: dict[str, frozenset[int]] = {
    # DEMO
    "RIAGENDR": frozenset(),
    "RIDAGEYR": frozenset(),  # 0-79, 80 = 80 years and over
    "RIDRETH1": frozenset(),
    "DMDEDUC2": frozenset({7, 9}),
    "DMDMARTL": frozenset({77, 99}),  # H only
    "DMDMARTZ": frozenset({77, 99}),  # P only
    # BMX
    "BMXBMI": frozenset(),
    # BPQ (BPQ020 the cohort's; the rest for the candidate definitions of chapter 2)
    "BPQ020": frozenset({7, 9}),
    "BPQ030": frozenset({7, 9}),
    "BPQ040A": frozenset({7, 9}),
    "BPQ050A": frozenset({7, 9}),
    "BPQ080": frozenset({7, 9}),
    "BPQ060": frozenset({7, 9}),
    "BPQ090D": frozenset({7, 9}),
    "BPQ100D": frozenset({7, 9}),
    # DIQ (DIQ010 the cohort's; 3 = borderline is a real answer)
    "DIQ010": frozenset({7, 9}),
    "DIQ160": frozenset({7, 9}),
    "DIQ050": frozenset({7, 9}),
    "DIQ070": frozenset({7, 9}),
    # SMQ
    "SMQ020": frozenset({7, 9}),
    # DXXSPN: spine totals and vertebrae
    "DXXOSBMD": frozenset(),
    "DXXOSBMC": frozenset(),
    "DXXOSA": frozenset(),
    **{var: frozenset() for var in spine.VERTEBRA_VARIABLES},
    # OSQ
    "OSQ010A": frozenset({7, 9}),
    "OSQ010B": frozenset({7, 9}),
    "OSQ010C": frozenset({7, 9}),
    "OSQ060": frozenset({7, 9}),  # ever told osteoporosis (exclude_op_treatment)
    "OSQ072": frozenset({7, 9}),  # told to take an osteoporosis medicine
    "OSQ080": frozenset({7, 9}),
    "OSQ150": frozenset({7, 9}),
    "OSQ170": frozenset({7, 9}),
    "OSQ200": frozenset({7, 9}),
    # RHQ
    "RHQ031": frozenset({7, 9}),
    "RHD043": frozenset({77, 99}),  # 7 = menopause, 9 = other: real answers
    "RHQ540": frozenset({7, 9}),  # ever used female hormones (exclude_hormone_therapy)
}

#: Covariates that must be complete when ``require_complete_covariates``.
COVARIATES: tuple[str, ...] = (
    "age_group", "bmi_group", "race", "education", "marital", "smoking",
    "hypertension", "diabetes", "parent_op", "fracture",
)

#: Columns of ``Cohort.data``, in order (CONTRIBUTING.md).
COLUMNS: tuple[str, ...] = (
    "seqn", "cycle", "weight", "stratum", "psu",
    *(m.key for m in METALS),
    "bmd_femur", "bmd_neck", "bmd_spine", "t_femur", "t_neck", "t_spine", "t_min",
    "bone_status", "op",
    "age", "age_group", "bmi", "bmi_group", "race", "education", "marital",
    "smoking", "hypertension", "diabetes", "parent_op", "fracture",
)

#: Schema version of the cached cohorts (:data:`osteometals.nhanes.options.SCHEMA_VERSION`):
#: bump it there whenever the cohort logic or the ``Cohort`` fields change
#: (the cache key does not read the code).
CACHE_VERSION = SCHEMA_VERSION


@dataclass
class Cohort:
    """The analysis cohort.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per woman, columns :data:`COLUMNS` (see CONTRIBUTING.md).
    flow : pandas.DataFrame
        Exclusion steps: ``step, n_in, n_excluded, n_out, reason`` (one row
        per step; ``n_out`` of a step is ``n_in`` of the next; the last
        ``n_out`` equals ``len(data)``).
    options : CohortOptions
        The validated options the cohort was built with.
    menopause : pandas.DataFrame
        Counts of self-reported menstrual / menopausal status (RHQ) in the
        final cohort, by cycle: ``cycle, status, n`` (reported only; not an
        inclusion criterion, as in the paper).
    sources : pandas.DataFrame
        The NHANES files the cohort was built from: ``table, file, sha256,
        verified, origin`` (see :class:`osteometals.nhanes.files.Located`); empty when
        a custom loader supplied the tables.
    """

    data: pd.DataFrame
    flow: pd.DataFrame
    options: CohortOptions = field(default_factory=CohortOptions)
    menopause: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n(self) -> int:
        """Number of women in the cohort."""
        return len(self.data)

    @property
    def n_op(self) -> int:
        """Number of women with osteoporosis (``op == 1``)."""
        return int((self.data["op"] == 1).sum())


# --------------------------------------------------------------------------
# small building blocks (unit-tested on synthetic frames)


def recode_special(frame: pd.DataFrame, variables: Iterable[str] | None = None) -> pd.DataFrame:
    """Set NHANES refused / don't-know codes to missing, variable by variable.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw NHANES columns.
    variables : iterable of str, optional
        Variables to clean; default: every column of ``frame`` that is in
        :data:`SPECIAL_CODES`.

    Returns
    -------
    pandas.DataFrame
        A copy with the codes of :data:`SPECIAL_CODES` replaced by NaN in the
        named variables; other values (e.g. age 77, RHD043 = 7) untouched.

    Raises
    ------
    KeyError
        If a requested variable has no entry in :data:`SPECIAL_CODES` (add it,
        from the codebook, rather than guess).
    """
    out = frame.copy()
    if variables is None:
        variables = [c for c in out.columns if c in SPECIAL_CODES]
    for var in variables:
        if var not in SPECIAL_CODES:
            raise KeyError(f"{var!r} has no entry in SPECIAL_CODES; look it up in the codebook")
        codes = SPECIAL_CODES[var]
        if var in out.columns and codes:
            out[var] = out[var].astype(float).where(~out[var].isin(list(codes)))
    return out


def pooled_weight(weight: pd.Series | np.ndarray | float, cycle: str) -> Any:
    """Pooled survey weight: cycle weight times the cycle's share of 5.2 years.

    Parameters
    ----------
    weight : array-like or float
        The cycle's weight (``WTSH2YR`` for H, ``WTMECPRP`` for P).
    cycle : {"H", "P"}

    Returns
    -------
    Same type as ``weight``: ``weight * 2/5.2`` (H) or ``weight * 3.2/5.2`` (P).
    """
    if cycle not in CYCLES:
        raise ValueError(f"unknown cycle {cycle!r}; allowed: {list(CYCLES)}")
    total = sum(CYCLE_YEARS.values())
    return weight * CYCLE_YEARS[cycle] / total


def _categorical(codes: pd.Series, mapping: Mapping[float, str], variable: str) -> pd.Series:
    """Map numeric codes to the levels of ``CATEGORIES[variable]`` (unmapped -> NaN)."""
    levels = list(CATEGORIES[variable])
    bad = set(mapping.values()) - set(levels)
    if bad:  # pragma: no cover - programming error
        raise ValueError(f"labels {bad} are not levels of {variable}")
    return pd.Series(
        pd.Categorical(codes.map(dict(mapping)), categories=levels), index=codes.index
    )


def _yes_no(codes: pd.Series, variable: str) -> pd.Series:
    """NHANES 1 = Yes, 2 = No (anything else missing) to a No/Yes categorical."""
    return _categorical(codes, {1.0: "Yes", 2.0: "No"}, variable)


def age_group(age: pd.Series) -> pd.Series:
    """Age groups of the paper: 50-60, 60-70, >70.

    The paper's labels overlap at 60 and 70; we read them as half-open
    intervals on completed years: ``50-60`` = 50-59, ``60-70`` = 60-69,
    ``>70`` = 70 and over (NHANES top-codes age at 80). Ages below 50 get a
    missing group (they are excluded before).

    Parameters
    ----------
    age : pandas.Series
        Age in years (RIDAGEYR).

    Returns
    -------
    pandas.Series
        Categorical with the levels of ``CATEGORIES["age_group"]``.
    """
    levels = list(CATEGORIES["age_group"])
    cut = pd.cut(age, bins=[50, 60, 70, np.inf], right=False, labels=levels)
    return pd.Series(pd.Categorical(cut, categories=levels), index=age.index)


def bmi_group(bmi: pd.Series) -> pd.Series:
    """BMI groups of the paper: <25, 25-30, >30 kg/m².

    Read as the WHO cut-offs: ``<25`` below 25, ``25-30`` = 25 to below 30,
    ``>30`` = 30 and over.

    Parameters
    ----------
    bmi : pandas.Series
        Body mass index in kg/m² (BMXBMI).

    Returns
    -------
    pandas.Series
        Categorical with the levels of ``CATEGORIES["bmi_group"]``.
    """
    levels = list(CATEGORIES["bmi_group"])
    cut = pd.cut(bmi, bins=[-np.inf, 25, 30, np.inf], right=False, labels=levels)
    return pd.Series(pd.Categorical(cut, categories=levels), index=bmi.index)


def menopause_status(rhq031: pd.Series, rhd043: pd.Series) -> pd.Series:
    """Menstrual / menopausal status from RHQ (for reporting only).

    RHQ031 "Had regular periods in past 12 months" (1 Yes, 2 No) and RHD043
    "Reason not having regular periods" (3 Hysterectomy, 7 Menopause/change
    of life, 1/2/9 pregnancy/breast feeding/other). Special codes must be
    removed first (:func:`recode_special`).

    Returns
    -------
    pandas.Series of str
        ``"Menopause"``, ``"Hysterectomy"``, ``"Other reason"``, ``"Regular
        periods"`` or ``"Unknown"``.
    """
    status = pd.Series("Unknown", index=rhq031.index, dtype=object)
    status[rhq031 == 1] = "Regular periods"
    no = rhq031 == 2
    status[no & (rhd043 == 7)] = "Menopause"
    status[no & (rhd043 == 3)] = "Hysterectomy"
    status[no & rhd043.isin([1, 2, 9])] = "Other reason"
    return status


def derive_covariates(
    raw: pd.DataFrame,
    diabetes_borderline: str = "no",
    parent_op_definition: str = "osq150",
    fracture_definition: str = "hip_wrist_spine",
) -> pd.DataFrame:
    """Covariate columns of the cohort from cleaned raw NHANES variables.

    ``raw`` must already have special codes removed (:func:`recode_special`)
    and one marital variable per row: ``DMDMARTL`` (H) or ``DMDMARTZ`` (P).

    Definitions (codebooks in ``docs/``):

    * ``age`` = RIDAGEYR (80 = 80 and over); ``age_group`` see :func:`age_group`.
    * ``bmi`` = BMXBMI; ``bmi_group`` see :func:`bmi_group`.
    * ``race`` = RIDRETH1: 1 Mexican American, 2 Other Hispanic,
      3 Non-Hispanic White, 4 Non-Hispanic Black, 5 Other race (including
      multi-racial; RIDRETH1 exists in both cycles, unlike the Asian split of
      RIDRETH3, and has the paper's five levels).
    * ``education`` = DMDEDUC2 (adults 20+): 1 Less than 9th grade,
      2 9-11th grade, 3 High school graduate/GED, 4 Some college or AA
      degree, 5 College graduate or above; 7/9 missing.
    * ``marital``: H DMDMARTL 1 Married or 6 Living with partner ->
      "Married or living with partner"; 2 Widowed, 3 Divorced, 4 Separated ->
      "Widowed, divorced or separated"; 5 -> "Never married". P DMDMARTZ is
      already coded in these three groups (1, 2, 3). 77/99 missing.
    * ``smoking`` = SMQ020 "Smoked at least 100 cigarettes in life" 1 Yes / 2 No.
    * ``hypertension`` = BPQ020 "Ever told you had high blood pressure".
    * ``diabetes`` = DIQ010 "Doctor told you have diabetes" 1 Yes / 2 No;
      3 "Borderline" follows ``diabetes_borderline`` ("no": not a diagnosis
      of diabetes, our default; "yes"; "missing").
    * ``parent_op``: ``"osq150"`` (default) = OSQ150 "Parents ever told had
      osteoporosis?" 1 Yes / 2 No - the variable whose wording matches the
      paper's "history of osteoporosis in parents". ``"osq150_or_hip_fracture"``
      = Yes if OSQ150, OSQ170 (mother fractured hip) or OSQ200 (father
      fractured hip) is Yes, No if all three are No, otherwise missing.
    * ``fracture``: ``"hip_wrist_spine"`` (default) = Yes if any of OSQ010A/B/C
      (ever broken or fractured hip / wrist / spine) is Yes, No if all three
      are No, otherwise missing. ``"any"`` adds OSQ080 (doctor ever told any
      other fracture).

    Parameters
    ----------
    raw : pandas.DataFrame
        Cleaned raw variables.
    diabetes_borderline, parent_op_definition, fracture_definition : str
        See above.

    Returns
    -------
    pandas.DataFrame
        Columns ``age, age_group, bmi, bmi_group, race, education, marital,
        smoking, hypertension, diabetes, parent_op, fracture`` (same index).
    """
    out = pd.DataFrame(index=raw.index)
    out["age"] = raw["RIDAGEYR"].astype(float)
    out["age_group"] = age_group(out["age"])
    out["bmi"] = raw["BMXBMI"].astype(float)
    out["bmi_group"] = bmi_group(out["bmi"])
    races = CATEGORIES["race"]
    out["race"] = _categorical(raw["RIDRETH1"], {float(i + 1): r for i, r in enumerate(races)},
                               "race")
    edu = CATEGORIES["education"]
    out["education"] = _categorical(raw["DMDEDUC2"], {float(i + 1): e for i, e in enumerate(edu)},
                                    "education")
    mar = CATEGORIES["marital"]
    from_l = _categorical(
        raw.get("DMDMARTL", pd.Series(np.nan, index=raw.index)),
        {1.0: mar[0], 6.0: mar[0], 2.0: mar[1], 3.0: mar[1], 4.0: mar[1], 5.0: mar[2]},
        "marital",
    )
    from_z = _categorical(
        raw.get("DMDMARTZ", pd.Series(np.nan, index=raw.index)),
        {1.0: mar[0], 2.0: mar[1], 3.0: mar[2]},
        "marital",
    )
    out["marital"] = from_l.where(from_l.notna(), from_z)
    out["smoking"] = _yes_no(raw["SMQ020"], "smoking")
    out["hypertension"] = _yes_no(raw["BPQ020"], "hypertension")
    dia = {1.0: "Yes", 2.0: "No"}
    if diabetes_borderline in ("no", "yes"):
        dia[3.0] = "No" if diabetes_borderline == "no" else "Yes"
    out["diabetes"] = _categorical(raw["DIQ010"], dia, "diabetes")
    if parent_op_definition == "osq150":
        out["parent_op"] = _yes_no(raw["OSQ150"], "parent_op")
    else:
        out["parent_op"] = _any_yes(raw[["OSQ150", "OSQ170", "OSQ200"]], "parent_op")
    frac = ["OSQ010A", "OSQ010B", "OSQ010C"]
    if fracture_definition == "any":
        frac.append("OSQ080")
    out["fracture"] = _any_yes(raw[frac], "fracture")
    return out


def _any_yes(items: pd.DataFrame, variable: str) -> pd.Series:
    """Yes if any item is 1 (Yes); No if all items are 2 (No); otherwise missing."""
    any_yes = (items == 1).any(axis=1)
    all_no = (items == 2).all(axis=1)
    codes = pd.Series(np.where(any_yes, 1.0, np.where(all_no, 2.0, np.nan)), index=items.index)
    return _yes_no(codes, variable)


class FlowRecorder:
    """Apply inclusion criteria one at a time and record each as a flow step."""

    def __init__(self, frame: pd.DataFrame, start: str):
        self.frame = frame
        self.rows: list[dict] = [
            {"step": start, "n_in": len(frame), "n_excluded": 0, "n_out": len(frame),
             "reason": ""}
        ]

    def keep(self, mask: pd.Series, step: str, reason: str) -> None:
        """Keep rows where ``mask`` is True; record ``reason`` for the others."""
        mask = mask.fillna(False).astype(bool)
        n_in = len(self.frame)
        self.frame = self.frame[mask]
        self.rows.append(
            {"step": step, "n_in": n_in, "n_excluded": n_in - len(self.frame),
             "n_out": len(self.frame), "reason": reason}
        )

    def table(self) -> pd.DataFrame:
        """The recorded steps as a DataFrame."""
        return pd.DataFrame(self.rows, columns=["step", "n_in", "n_excluded", "n_out", "reason"])


# --------------------------------------------------------------------------
# the build


def _recording_loader(sources: list[dict]) -> Loader:
    """:func:`osteometals.nhanes.files.load_table`, noting each file read in ``sources``."""
    from osteometals.nhanes import files as data

    def load(name: str) -> pd.DataFrame:
        frame = data.load_table(name)
        found = data.locate_table(name, download=False)
        sources.append({"table": name, "file": found.path.name, "sha256": found.sha256,
                        "verified": found.verified, "origin": found.origin})
        return frame

    return load


def _merge_cycle(cycle: str, loader: Loader) -> pd.DataFrame:
    """All participants of one cycle (DEMO) with the other components left-joined."""
    label, pattern = CYCLES[cycle]
    merged = loader(pattern.format("DEMO")).copy()
    for comp in COMPONENTS[1:]:
        table = loader(pattern.format(comp))
        table = table.drop(columns=[c for c in table.columns if c in merged.columns and
                                    c != "SEQN"])
        merged = merged.merge(table, on="SEQN", how="left", validate="one_to_one")
    wt_table, wt_var = METAL_WEIGHT[cycle]
    merged["_weight"] = pooled_weight(merged[wt_var].astype(float), cycle)
    merged["_cycle"] = label
    return merged


def build_cohort(
    options: CohortOptions | Mapping[str, Any] | None = None,
    *,
    loader: Loader | None = None,
    **fields: Any,
) -> Cohort:
    """Build the analysis cohort from the raw NHANES tables.

    Inclusion, one flow step each: all participants of the chosen cycles ->
    women (RIAGENDR = 2) -> aged ``min_age`` or older (the paper's proxy for
    postmenopausal) -> all five blood metals measured and a positive metal
    weight -> BMD at every site in ``required_sites`` (the spine under
    ``spine_rule``) -> each optional exclusion that is on
    (:data:`osteometals.nhanes.exclusions.EXCLUSIONS`) -> (if
    ``require_complete_covariates``) no missing covariate.

    Parameters
    ----------
    options : CohortOptions or mapping, optional
        The choices (default: the defaults of :class:`CohortOptions`).
    loader : callable, optional
        ``loader(table_name) -> DataFrame``; default
        :func:`osteometals.nhanes.files.load_table`. Tests pass synthetic tables here.
    **fields
        Fields of :class:`CohortOptions` that override ``options``.

    Returns
    -------
    Cohort

    Raises
    ------
    ValueError
        For any unknown option name or value, before reading any table.
    """
    opts = as_options(options, **fields)
    sources: list[dict] = []
    if loader is None:
        loader = _recording_loader(sources)
    frames = [_merge_cycle(c, loader) for c in opts.cycles]
    raw = pd.concat(frames, ignore_index=True, sort=False)
    for var in ("DMDMARTL", "DMDMARTZ", "WTSH2YR", "WTMECPRP"):
        if var not in raw.columns:
            raw[var] = np.nan
    raw = recode_special(raw)
    raw["_bmd_spine"] = spine.spine_bmd(raw, opts.spine_rule)["bmd"]

    names = " and ".join(CYCLES[c][0] for c in opts.cycles)
    flow = FlowRecorder(raw, f"NHANES {names} participants")
    flow.keep(raw["RIAGENDR"] == 2, "Women", "men")
    age = opts.min_age
    flow.keep(flow.frame["RIDAGEYR"] >= age, f"Aged {age} or older", f"aged under {age}")
    metal_cols = [m.nhanes for m in METALS]
    has_metals = flow.frame[metal_cols].notna().all(axis=1) & (flow.frame["_weight"] > 0)
    flow.keep(has_metals, "Blood metals measured",
              "no blood metal data (not in the lab sample, no specimen, or any of Pb, Cd, "
              "Hg, Se, Mn missing)")
    req = opts.required_sites
    bmd_var = {k: "_bmd_spine" if k == "spine" else s.nhanes for k, s in BONE_SITES.items()}
    has_bmd = flow.frame[[bmd_var[s] for s in req]].notna().all(axis=1)
    reason = "missing valid BMD at " + ", ".join(BONE_SITES[s].name for s in req)
    if "spine" in req and opts.spine_rule != "all_four":
        reason += f" (spine: fewer than {spine.ISCD_MIN_VERTEBRAE} valid vertebrae)"
    flow.keep(has_bmd, "BMD measured", reason)
    for exclusion in EXCLUSIONS:
        if getattr(opts, exclusion.option):
            status = exclusion.status(flow.frame)
            flow.keep(status == 0, exclusion.step, exclusion_reason(exclusion, status))

    kept = flow.frame
    cov = derive_covariates(
        kept, opts.diabetes_borderline, opts.parent_op_definition, opts.fracture_definition,
    )
    if opts.require_complete_covariates:
        complete = cov[list(COVARIATES)].notna().all(axis=1)
        missing = cov.loc[~complete, list(COVARIATES)].isna().sum()
        detail = ", ".join(f"{k} {v}" for k, v in missing[missing > 0].items())
        flow.keep(complete, "Complete covariates",
                  "missing covariate(s)" + (f" ({detail})" if detail else ""))
        kept, cov = flow.frame, cov.loc[flow.frame.index]

    data = pd.DataFrame(index=kept.index)
    data["seqn"] = kept["SEQN"].astype("int64")
    data["cycle"] = kept["_cycle"].astype(str)
    data["weight"] = kept["_weight"].astype(float)
    data["stratum"] = kept["SDMVSTRA"].astype("int64")
    data["psu"] = kept["SDMVPSU"].astype("int64")
    for metal in METALS:
        data[metal.key] = kept[metal.nhanes].astype(float)
    for key, site in BONE_SITES.items():
        data[site.column] = kept[bmd_var[key]].astype(float)
    data = tscore.add_t_scores(
        data, femur=opts.femur_reference, neck=opts.neck_reference,
        spine=opts.spine_reference, sites=req,
    )
    data["op"] = data["op"].astype("int64")
    data = pd.concat([data, cov], axis=1)
    data = data[list(COLUMNS)].reset_index(drop=True)

    status = menopause_status(kept["RHQ031"], kept["RHD043"])
    meno = (
        pd.DataFrame({"cycle": kept["_cycle"].to_numpy(), "status": status.to_numpy()})
        .value_counts().rename("n").reset_index().sort_values(["cycle", "status"])
        .reset_index(drop=True)
    )
    return Cohort(data=data, flow=flow.table(), options=opts, menopause=meno,
                  sources=pd.DataFrame(sources, columns=["table", "file", "sha256", "verified",
                                                         "origin"]))


# --------------------------------------------------------------------------
# cache


def cache_dir() -> Path:
    """Folder of cached cohorts: ``cohort/`` beside the NHANES download cache.

    The download cache is :func:`osteometals.nhanes.files.cache_dir`
    (``$OSTEOMETALS_CACHE``, default ``<repo>/data/cache/nhanes``), so cohorts
    go to ``<repo>/data/cache/cohort`` by default (git-ignored).
    """
    from osteometals.nhanes import files as data

    return Path(data.cache_dir()).parent / "cohort"


def cache_key(options: CohortOptions) -> str:
    """Hash of the options, the content of the NHANES files and the schema version.

    The options enter by :meth:`CohortOptions.key` (their fields and
    :data:`SCHEMA_VERSION`, never the source code); the files by their
    sha256 (as found in the cache or mirror, see
    :func:`osteometals.nhanes.files.locate_table`), so the same data reached
    from the CDC, a mirror or the cache gives the same key, and changed data
    gives a new one.
    """
    from osteometals.nhanes import files as data

    opts = as_options(options)
    files = {}
    for cycle in opts.cycles:
        for comp in COMPONENTS:
            name = CYCLES[cycle][1].format(comp)
            files[name] = data.locate_table(name).sha256
    payload = json.dumps(
        {
            "options": opts.key(),
            "files": files,
            "version": CACHE_VERSION,
            "pandas": pd.__version__,  # pickles are read back by the same pandas
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def get_cohort(
    options: CohortOptions | Mapping[str, Any] | None = None,
    *,
    refresh: bool = False,
    **fields: Any,
) -> Cohort:
    """The cohort for ``options`` (as :func:`build_cohort`), cached on disk.

    The cache file is ``cache_dir()/<key>.pkl`` where the key (:func:`cache_key`)
    hashes the validated options, the sha256 of the NHANES files and the
    schema version, so a change to any of them rebuilds.

    Parameters
    ----------
    options : CohortOptions or mapping, optional
        The choices (default: the defaults of :class:`CohortOptions`).
    refresh : bool
        Rebuild even if cached.
    **fields
        Fields of :class:`CohortOptions` that override ``options``, e.g.
        ``get_cohort(spine_reference="hologic")``.

    Returns
    -------
    Cohort

    Raises
    ------
    ValueError
        For an unknown option name or value (before any file is read).
    """
    if "loader" in fields:
        raise ValueError("get_cohort does not take a loader; call build_cohort")
    opts = as_options(options, **fields)
    path = cache_dir() / f"{cache_key(opts)}.pkl"
    if path.exists() and not refresh:
        try:
            with path.open("rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, Cohort) and cached.options == opts:
                return cached
        except Exception:  # noqa: BLE001 - a corrupt cache is rebuilt
            pass
    cohort = build_cohort(opts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        pickle.dump(cohort, fh)
    tmp.replace(path)
    return cohort


# --------------------------------------------------------------------------
# the spine rule


def vertebrae_of_hip_sample(
    options: CohortOptions | Mapping[str, Any] | None = None,
    loader: Loader | None = None,
) -> pd.DataFrame:
    """Valid vertebrae of the women the spine rule decides about.

    These are the women of ``options`` up to the BMD step with a valid total
    femur and femoral neck (covariates not yet required): the spine is the
    only site left to decide whether they enter.

    Parameters
    ----------
    options : CohortOptions or mapping, optional
        Starting options; ``required_sites``, ``spine_rule`` and
        ``require_complete_covariates`` are overridden.
    loader : callable, optional
        Table loader for the spine files (default
        :func:`osteometals.nhanes.files.load_table`).

    Returns
    -------
    pandas.DataFrame
        One row per woman: ``seqn, cycle, age, n_vertebrae`` (valid vertebrae,
        0-4) and ``released`` (True if NCHS released a total spine BMD).
    """
    if loader is None:
        from osteometals.nhanes.files import load_table as loader
    opts = as_options(options).replace(required_sites=("femur", "neck"),
                                       spine_rule="all_four",
                                       require_complete_covariates=False)
    hip = get_cohort(opts).data[["seqn", "cycle", "age"]]
    tables = [recode_special(loader(CYCLES[c][1].format("DXXSPN"))) for c in opts.cycles]
    spn = pd.concat(tables, ignore_index=True)
    counts = spine.spine_bmd(spn, "iscd_two_or_more")
    spn = pd.DataFrame({"seqn": spn["SEQN"].astype("int64"),
                        "n_vertebrae": counts["n_vertebrae"],
                        "released": spn[spine.TOTAL_BMD].notna()})
    out = hip.merge(spn, on="seqn", how="left", validate="one_to_one")
    out["n_vertebrae"] = out["n_vertebrae"].fillna(0).astype("int64")
    out["released"] = out["released"].fillna(False).astype(bool)
    return out


def spine_rule_summary(vertebrae: pd.DataFrame) -> pd.DataFrame:
    """Who each spine rule keeps, from :func:`vertebrae_of_hip_sample`.

    Returns
    -------
    pandas.DataFrame
        One row per group (``"all four valid"``, ``"two or three valid"``,
        ``"fewer than two valid"``): ``group, n, mean_age, all_four``
        (kept by the released-total rule), ``iscd_two_or_more`` (kept by
        the ISCD rule).
    """
    n = vertebrae["n_vertebrae"]
    groups = np.select([vertebrae["released"], n >= spine.ISCD_MIN_VERTEBRAE],
                       ["all four valid", "two or three valid"], "fewer than two valid")
    rows = []
    for group in ("all four valid", "two or three valid", "fewer than two valid"):
        part = vertebrae[groups == group]
        rows.append({"group": group, "n": len(part), "mean_age": float(part["age"].mean()),
                     "all_four": group == "all four valid",
                     "iscd_two_or_more": group != "fewer than two valid"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# multiverse


def default_multiverse() -> dict[str, dict[str, Any]]:
    """Defensible alternative flows, as labelled option sets (changes from default)."""
    return {
        "Baseline (chosen options)": {},
        "Spine reference: Hologic (unverified values)": {"spine_reference": "hologic"},
        "Femoral neck reference: Xue 2021": {"neck_reference": "xue2021"},
        "Sites required: femur + neck (OP on hip only)": {"required_sites": ("femur", "neck")},
        "Sites required: spine only": {"required_sites": ("spine",)},
        "Spine: ISCD rule (2+ valid vertebrae)": {"spine_rule": "iscd_two_or_more"},
        "Covariates may be missing": {"require_complete_covariates": False},
        "Borderline diabetes = missing": {"diabetes_borderline": "missing"},
        "Parental OP incl. parental hip fracture": {
            "parent_op_definition": "osq150_or_hip_fracture"},
        "Fractures incl. other sites": {"fracture_definition": "any"},
        "Excluding women treated for OP": {"exclude_op_treatment": True},
        "Excluding hormone therapy users": {"exclude_hormone_therapy": True},
        "Excluding women still menstruating": {"exclude_menstruating": True},
        "Cycle 2013-2014 only": {"cycles": ("H",)},
        "Cycle 2017-2020 only": {"cycles": ("P",)},
    }


def multiverse(
    specs: Mapping[str, Mapping[str, Any]] | None = None,
    base: CohortOptions | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Cohort size and osteoporosis prevalence under alternative choices.

    Parameters
    ----------
    specs : mapping of label -> changes, optional
        Fields changed from ``base``; default :func:`default_multiverse`.
    base : CohortOptions or mapping, optional
        Options every spec starts from (e.g. a chapter's parameters).

    Returns
    -------
    pandas.DataFrame
        One row per spec: ``label, options (JSON of the changes), n, n_op,
        pct_op, weighted_pct_op`` (weighted with the pooled metal weights).
    """
    specs = specs if specs is not None else default_multiverse()
    base_opts = as_options(base)
    rows = []
    for label, changes in specs.items():
        cohort = get_cohort(base_opts.replace(**changes))
        d = cohort.data
        rows.append(
            {
                "label": label,
                "options": json.dumps({k: list(v) if isinstance(v, tuple) else v
                                       for k, v in changes.items()}, sort_keys=True),
                "n": len(d),
                "n_op": int(d["op"].sum()),
                "pct_op": 100 * float(d["op"].mean()) if len(d) else np.nan,
                "weighted_pct_op": 100 * float(np.average(d["op"], weights=d["weight"]))
                if len(d) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def summary(cohort: Cohort) -> pd.DataFrame:
    """Tidy one-line-per-quantity summary of a cohort (no participant rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity, cycle, value`` for n, n_op, pct_op and the
        weighted prevalence, overall (``cycle == "all"``) and per cycle.
    """
    rows = []
    d = cohort.data
    for cyc, part in [("all", d), *d.groupby("cycle", observed=True)]:
        rows += [
            {"quantity": "n", "cycle": cyc, "value": float(len(part))},
            {"quantity": "n_op", "cycle": cyc, "value": float(part["op"].sum())},
            {"quantity": "pct_op", "cycle": cyc, "value": 100 * float(part["op"].mean())},
            {"quantity": "weighted_pct_op", "cycle": cyc,
             "value": 100 * float(np.average(part["op"], weights=part["weight"]))},
            {"quantity": "sum_weight", "cycle": cyc, "value": float(part["weight"].sum())},
        ]
    return pd.DataFrame(rows)
