"""Names shared by every part of the book: metals, covariates, model sets.

The analysis cohort (:func:`osteometals.nhanes.cohort.build_cohort`) returns one
row per woman with the columns named here. Chapters and models refer to
these names only, never to raw NHANES variable names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metal:
    """A blood metal measured in the PBCD laboratory tables."""

    key: str  #: column name in the cohort, e.g. ``"cd"``
    symbol: str  #: chemical symbol, e.g. ``"Cd"``
    name: str  #: English name, e.g. ``"cadmium"``
    unit: str  #: unit of the NHANES variable
    nhanes: str  #: NHANES variable in PBCD_H / P_PBCD


#: The five metals, in the order of the paper's tables.
METALS: tuple[Metal, ...] = (
    Metal("pb", "Pb", "lead", "µg/dL", "LBXBPB"),
    Metal("cd", "Cd", "cadmium", "µg/L", "LBXBCD"),
    Metal("hg", "Hg", "mercury", "µg/L", "LBXTHG"),
    Metal("se", "Se", "selenium", "µg/L", "LBXBSE"),
    Metal("mn", "Mn", "manganese", "µg/L", "LBXBMN"),
)
METAL_KEYS: tuple[str, ...] = tuple(m.key for m in METALS)

@dataclass(frozen=True)
class BoneSite:
    """A skeletal site measured by DXA: the one place its names are defined."""

    key: str  #: short key used in options and T-score columns, e.g. ``"neck"``
    column: str  #: BMD column of the cohort, e.g. ``"bmd_neck"``
    label: str  #: table label, as the paper prints it, e.g. ``"Femoral neck"``
    name: str  #: name in running prose, e.g. ``"femoral neck"``
    nhanes: str  #: NHANES BMD variable, e.g. ``"DXXNKBMD"``
    table: str  #: NHANES component holding it, e.g. ``"DXXFEM"``


#: The three BMD sites, keyed by :attr:`BoneSite.key`, in the paper's order.
BONE_SITES: dict[str, BoneSite] = {
    "femur": BoneSite("femur", "bmd_femur", "Total femur", "total femur", "DXXOFBMD", "DXXFEM"),
    "neck": BoneSite("neck", "bmd_neck", "Femoral neck", "femoral neck", "DXXNKBMD", "DXXFEM"),
    "spine": BoneSite("spine", "bmd_spine", "Total spine", "lumbar spine", "DXXOSBMD",
                      "DXXSPN"),
}

#: BMD sites by cohort column -> (label, NHANES variable, table), a view of
#: :data:`BONE_SITES` kept for the chapters that index by column.
BMD_SITES: dict[str, tuple[str, str, str]] = {
    s.column: (s.label, s.nhanes, s.table) for s in BONE_SITES.values()
}
#: Cohort column -> table label (what ``paper.published.SITE_LABELS`` holds).
SITE_LABELS: dict[str, str] = {s.column: s.label for s in BONE_SITES.values()}

#: Categorical covariates and their levels, first level = reference.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "age_group": ("50-60", "60-70", ">70"),
    "bmi_group": ("<25", "25-30", ">30"),
    "race": (
        "Mexican American",
        "Other Hispanic",
        "Non-Hispanic White",
        "Non-Hispanic Black",
        "Other race",
    ),
    "education": (
        "Less than 9th grade",
        "9-11th grade",
        "High school",
        "Some college",
        "College graduate",
    ),
    "marital": (
        "Married or living with partner",
        "Widowed, divorced or separated",
        "Never married",
    ),
    "smoking": ("No", "Yes"),
    "hypertension": ("No", "Yes"),
    "diabetes": ("No", "Yes"),
    "parent_op": ("No", "Yes"),
    "fracture": ("No", "Yes"),
    "bone_status": ("Normal", "Osteopenia", "Osteoporosis"),
}

#: Human labels for covariates (Table 1 row headers).
LABELS: dict[str, str] = {
    "age_group": "Age (years)",
    "bmi_group": "BMI (kg/m²)",
    "race": "Race",
    "education": "Education",
    "marital": "Marital status",
    "smoking": "History of smoking",
    "hypertension": "History of hypertension",
    "diabetes": "History of diabetes",
    "parent_op": "History of osteoporosis in parents",
    "fracture": "History of previous fractures",
}
