"""The cohort's options as data: one frozen, validated, hashable :class:`CohortOptions`.

Every choice that decides who is in the analysis cohort, and how bone status
is read, is a field of :class:`CohortOptions`. It is validated once, when it
is made (an unknown value raises :class:`ValueError` naming the field and
its allowed values), and normalised so that equal choices make equal
objects (``CohortOptions(cycles="P+H") == CohortOptions(cycles=("H", "P"))``).
It is frozen and hashable, so a set of option sets (a specification space)
is a plain ``set`` or ``dict`` key, and it serialises to JSON and back
(:meth:`CohortOptions.to_dict`, :meth:`CohortOptions.from_dict`).

:func:`osteometals.nhanes.cohort.get_cohort`, the ``osteometals cohort``
command and the chapters all build the cohort from one of these; the disk
cache key is :meth:`CohortOptions.key` (the fields plus
:data:`SCHEMA_VERSION`) together with the sha256 of the NHANES files.

Defaults reproduce the paper's cohort as this book reads it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from osteometals.nhanes import tscore
from osteometals.nhanes.spine import SPINE_RULES
from osteometals.nhanes.variables import BONE_SITES

#: Version of the cohort schema: bump it whenever the cohort logic, the
#: ``Cohort`` fields or the meaning of an option changes (the cache key
#: hashes this number, never the source code).
SCHEMA_VERSION = 4

#: NHANES cycles a cohort can draw on: H = 2013-2014, P = 2017-March 2020.
CYCLE_KEYS: tuple[str, ...] = ("H", "P")

#: Fields with a fixed set of values (bool fields accept False and True).
CHOICES: dict[str, tuple] = {
    "cycles": CYCLE_KEYS,
    "required_sites": tuple(BONE_SITES),
    "spine_reference": tuple(tscore.REFERENCES["spine"]),
    "femur_reference": tuple(tscore.REFERENCES["femur"]),
    "neck_reference": tuple(tscore.REFERENCES["neck"]),
    "spine_rule": SPINE_RULES,
    "diabetes_borderline": ("no", "yes", "missing"),
    "parent_op_definition": ("osq150", "osq150_or_hip_fracture"),
    "fracture_definition": ("hip_wrist_spine", "any"),
}

#: Inclusive range of ``min_age`` (NHANES top-codes age at 80).
MIN_AGE_RANGE: tuple[int, int] = (20, 80)

_BOOL_FIELDS = ("require_complete_covariates", "exclude_op_treatment",
                "exclude_hormone_therapy", "exclude_menstruating")


def _split(value: Any) -> tuple:
    """``"H+P"`` -> ``("H", "P")``; an iterable -> a tuple."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.replace(",", "+").split("+"))
    return tuple(value)


def _subset(field: str, value: Any) -> tuple[str, ...]:
    """Validate a non-empty set of distinct choices; return it in canonical order."""
    allowed = CHOICES[field]
    try:
        items = _split(value)
    except TypeError:
        items = (value,)
    bad = [v for v in items if v not in allowed]
    if bad or not items or len(set(items)) != len(items):
        raise ValueError(
            f"{field} must be distinct values of {list(allowed)} (joined by '+' in a "
            f"chapter parameter), got {value!r}"
        )
    return tuple(v for v in allowed if v in items)


@dataclass(frozen=True)
class CohortOptions:
    """Every choice that defines the analysis cohort, validated when made.

    Parameters
    ----------
    cycles : tuple of {"H", "P"} or str
        NHANES cycles (``"H+P"`` accepted): H = 2013-2014, P = 2017-March 2020
        pre-pandemic.
    min_age : int
        Minimum age in years, 20-80 (the paper's postmenopausal proxy is 50).
    required_sites : tuple of {"femur", "neck", "spine"} or str
        Sites whose BMD must be present (``"femur+neck+spine"`` accepted); the
        lowest T-score, and so osteoporosis, is taken over exactly these.
    spine_reference, femur_reference, neck_reference : str
        T-score references (:data:`osteometals.nhanes.tscore.REFERENCES`).
    spine_rule : {"all_four", "iscd_two_or_more"}
        Which spine BMD is valid (:mod:`osteometals.nhanes.spine`): the
        released L1-L4 total, valid only when all four vertebrae are, or the
        ISCD rule, recomputed from two or more valid vertebrae.
    require_complete_covariates : bool
        Drop women with any missing covariate.
    diabetes_borderline : {"no", "yes", "missing"}
        How DIQ010 = 3 "borderline" is coded.
    parent_op_definition : {"osq150", "osq150_or_hip_fracture"}
        Parental osteoporosis (see ``cohort.derive_covariates``).
    fracture_definition : {"hip_wrist_spine", "any"}
        Previous fractures (see ``cohort.derive_covariates``).
    exclude_op_treatment, exclude_hormone_therapy, exclude_menstruating : bool
        Optional exclusions (:mod:`osteometals.nhanes.exclusions`): women told
        to take an osteoporosis medicine (OSQ072), women who ever used female
        hormones (RHQ540), women with a period in the past 12 months (RHQ031).

    Raises
    ------
    ValueError
        For any unknown value, naming the field and its allowed values.

    Examples
    --------
    >>> opts = CohortOptions(spine_rule="iscd_two_or_more")
    >>> opts.changes()
    {'spine_rule': 'iscd_two_or_more'}
    >>> opts == CohortOptions.from_dict(opts.to_dict())
    True
    """

    cycles: tuple[str, ...] = CYCLE_KEYS
    min_age: int = 50
    required_sites: tuple[str, ...] = ("femur", "neck", "spine")
    spine_reference: str = tscore.DEFAULT_REFERENCES["spine"]
    femur_reference: str = tscore.DEFAULT_REFERENCES["femur"]
    neck_reference: str = tscore.DEFAULT_REFERENCES["neck"]
    spine_rule: str = "all_four"
    require_complete_covariates: bool = True
    diabetes_borderline: str = "no"
    parent_op_definition: str = "osq150"
    fracture_definition: str = "hip_wrist_spine"
    exclude_op_treatment: bool = False
    exclude_hormone_therapy: bool = False
    exclude_menstruating: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "cycles", _subset("cycles", self.cycles))
        set_(self, "required_sites", _subset("required_sites", self.required_sites))
        for name in ("spine_reference", "femur_reference", "neck_reference", "spine_rule",
                     "diabetes_borderline", "parent_op_definition", "fracture_definition"):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in CHOICES[name]:
                raise ValueError(f"unknown {name} {value!r}; allowed: {list(CHOICES[name])}")
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {value!r}")
            set_(self, name, bool(value))
        age, (lo, hi) = self.min_age, MIN_AGE_RANGE
        if (isinstance(age, bool) or not isinstance(age, int | float | np.integer)
                or not lo <= age <= hi or not float(age).is_integer()):
            raise ValueError(f"min_age must be a whole number of years between {lo} and "
                             f"{hi}, got {age!r}")
        set_(self, "min_age", int(age))

    # ---------------------------------------------------------------- building

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of the fields, in order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CohortOptions:
        """Options from a mapping of field names (e.g. :meth:`to_dict` output).

        Raises
        ------
        ValueError
            If a key is not a field; the message lists the fields.
        """
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown cohort option(s) {unknown}; allowed: "
                             f"{list(cls.field_names())}")
        return cls(**dict(values))

    @classmethod
    def from_parameters(cls, namespace: Mapping[str, Any]) -> CohortOptions:
        """Options from a chapter's parameters: every field found in ``namespace``.

        Names in ``namespace`` that are not fields (``output_dir``, ``seed``,
        ...) are ignored; fields missing from it keep their defaults.
        """
        return cls(**{k: namespace[k] for k in cls.field_names() if k in namespace})

    def replace(self, **changes: Any) -> CohortOptions:
        """A copy with some fields changed (validated again)."""
        return CohortOptions.from_dict({**self.to_dict(), **changes})

    # ---------------------------------------------------------------- reading

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    def key(self) -> str:
        """A stable 16-hex-digit key of the fields and :data:`SCHEMA_VERSION`.

        Equal options give equal keys in every process and on every machine
        (it hashes sorted JSON, not Python's ``hash``).
        """
        payload = json.dumps({"options": self.to_dict(), "schema": SCHEMA_VERSION},
                             sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def changes(self, base: CohortOptions | None = None) -> dict[str, Any]:
        """Fields that differ from ``base`` (default: the default options), JSON-ready."""
        ref = (base or CohortOptions()).to_dict()
        return {k: v for k, v in self.to_dict().items() if ref[k] != v}

    def __str__(self) -> str:
        diff = self.changes()
        if not diff:
            return "default cohort options"
        return ", ".join(f"{k}={'+'.join(v) if isinstance(v, list) else v}"
                         for k, v in diff.items())


def allowed_values() -> dict[str, tuple]:
    """Allowed values of every field with a finite set (bools: ``(False, True)``)."""
    return {**CHOICES, **{name: (False, True) for name in _BOOL_FIELDS}}


def as_options(options: CohortOptions | Mapping[str, Any] | None = None,
               **fields: Any) -> CohortOptions:
    """Coerce ``options`` (or keyword fields) to :class:`CohortOptions`.

    Parameters
    ----------
    options : CohortOptions, mapping or None
        A ready object, a mapping of fields, or None for the defaults.
    **fields
        Fields that override ``options``.

    Returns
    -------
    CohortOptions
    """
    if options is None:
        base: dict[str, Any] = {}
    elif isinstance(options, CohortOptions):
        if not fields:
            return options
        base = options.to_dict()
    elif isinstance(options, Mapping):
        base = dict(options)
    else:
        raise TypeError(f"options must be CohortOptions, a mapping or None, got "
                        f"{type(options).__name__}")
    return CohortOptions.from_dict({**base, **fields})


def combinations(**choices: Iterable[Any]) -> list[CohortOptions]:
    """Every combination of some fields' values (a small specification space).

    Parameters
    ----------
    **choices
        Field name -> values to try, e.g. ``spine_rule=SPINE_RULES``.

    Returns
    -------
    list of CohortOptions
        In the order of the product of the values, duplicates removed.

    Examples
    --------
    >>> len(combinations(spine_rule=SPINE_RULES, exclude_menstruating=(False, True)))
    4
    """
    import itertools

    names = list(choices)
    seen: dict[CohortOptions, None] = {}
    for values in itertools.product(*(tuple(choices[n]) for n in names)):
        seen[CohortOptions.from_dict(dict(zip(names, values, strict=True)))] = None
    return list(seen)
