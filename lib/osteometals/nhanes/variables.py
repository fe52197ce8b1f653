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

#: BMD sites: cohort column -> (label, NHANES variable, table)
BMD_SITES: dict[str, tuple[str, str, str]] = {
    "bmd_femur": ("Total femur", "DXXOFBMD", "DXXFEM"),
    "bmd_neck": ("Femoral neck", "DXXNKBMD", "DXXFEM"),
    "bmd_spine": ("Total spine", "DXXOSBMD", "DXXSPN"),
}

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
