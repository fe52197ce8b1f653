"""The numbers printed in Peng et al. (2025), as data.

These are the paper's numbers, for comparison only; never use them as results.

Source: Peng S, Zhang G, Wang D, He Z (2025). *The impact of heavy metals on
osteoporosis in postmenopausal women.* Front. Environ. Health 4:1468404,
doi:10.3389/fenvh.2025.1468404, Tables 1-4, abstract and Results text,
transcribed from the text extracted from the published PDF
(``/work/shared/paper/peng2025-heavy-metals-osteoporosis.txt``).

Every frame is tidy (one printed number, or one printed estimate with its
interval and P-value, per row) and built from literal tuples in this file.
Names follow :mod:`osteometals.nhanes.variables`: metals by key (``"pb"`` ...),
covariates and their levels as in :data:`~osteometals.nhanes.variables.CATEGORIES`,
BMD outcomes as the cohort columns (``"bmd_femur"``, ``"bmd_neck"``,
``"bmd_spine"``), models as ``"Model 1"`` ... and quartiles as ``"Q2"`` ...
(``"Q1"`` is the reference and has no row).

How each cell was read is recorded in two columns:

``reading``
    ``"as printed"`` (read directly), ``"repaired"`` (obvious extraction
    noise fixed, e.g. ``"0, 028"`` read as 0.028), ``"from text"`` (the table
    cell is cut off but the Results text gives the number),
    ``"reconstructed"`` (the extracted digits are garbled; the value chosen
    is the reading that is consistent with the printed CI and P-value, see
    ``note``) or ``"cut off"`` (not recoverable; NaN).
``note``
    Free text: what the extraction showed and why the value was read so.

Internal inconsistencies of the paper (duplicated values, text that cites
the wrong numbers, P-values that do not fit their estimates) are data too:
:func:`inconsistencies`. Helpers :func:`wald_p_from_ci` and
:func:`se_from_beta_p` re-derive P-values and standard errors so such
checks can be repeated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.nhanes.variables import CATEGORIES

__all__ = [
    "CITATION",
    "DOI",
    "N_NON_OP",
    "N_OP",
    "N_TOTAL",
    "PCT_OP",
    "QUARTILES",
    "SITE_LABELS",
    "STRATA",
    "cutpoints",
    "findings",
    "inconsistencies",
    "interactions",
    "se_from_beta_p",
    "table1",
    "table2",
    "table3",
    "table4",
    "text_numbers",
    "trends",
    "wald_p_from_ci",
]

#: Reference of the paper.
CITATION = (
    "Peng S, Zhang G, Wang D, He Z (2025). The impact of heavy metals on osteoporosis "
    "in postmenopausal women. Front. Environ. Health 4:1468404."
)
DOI = "10.3389/fenvh.2025.1468404"

#: Women analysed (abstract, Results, Table 1).
N_TOTAL = 905
#: Women with osteoporosis (abstract, Results, Table 1).
N_OP = 161
#: Women without osteoporosis (Results, Table 1).
N_NON_OP = 744
#: Percentage with osteoporosis as printed ("161 (17.80%)"); 161/905 is 17.79 %.
PCT_OP = 17.80

#: Non-reference quartiles, in table order.
QUARTILES: tuple[str, ...] = ("Q2", "Q3", "Q4")

#: Cohort column of each BMD outcome -> label printed in Tables 1 and 3.
SITE_LABELS: dict[str, str] = {
    "bmd_femur": "Total femur",
    "bmd_neck": "Femoral neck",
    "bmd_spine": "Total spine",
}

#: Table 4 strata: (stratifier, stratum) in column order.
STRATA: tuple[tuple[str, str], ...] = tuple(
    [("age_group", level) for level in CATEGORIES["age_group"]]
    + [("bmi_group", level) for level in CATEGORIES["bmi_group"]]
)

_METAL_ORDER = ("pb", "cd", "hg", "se", "mn")
_NAN = float("nan")

# --------------------------------------------------------------------------
# Quartile cut-points (Tables 2, 3 and 4 print the same ones)
# --------------------------------------------------------------------------

# metal: (Q1 upper, (Q2 lower, Q2 upper), (Q3 lower, Q3 upper), Q4 lower)
_CUTS: dict[str, tuple[float, tuple[float, float], tuple[float, float], float]] = {
    "pb": (0.77, (0.78, 1.16), (1.17, 1.66), 1.67),
    "cd": (0.25, (0.26, 0.38), (0.39, 0.61), 0.62),
    "hg": (0.39, (0.40, 0.83), (0.84, 1.70), 1.71),
    "se": (172.07, (172.08, 185.67), (185.68, 201.84), 201.85),
    "mn": (7.49, (7.50, 9.30), (9.31, 11.41), 11.42),
}


def cutpoints() -> pd.DataFrame:
    """Quartile boundaries of each metal as printed in Tables 2-4.

    Returns
    -------
    pandas.DataFrame
        One row per metal and quartile (20 rows) with columns ``metal``,
        ``quartile`` (``"Q1"`` ... ``"Q4"``), ``lower`` and ``upper`` (both
        inclusive, NaN where open: Q1 has no lower, Q4 no upper bound) and
        ``label`` (the printed text, e.g. ``"≤0.77"``, ``"0.78-1.16"``).
        Units are those of :data:`osteometals.nhanes.variables.METALS` (Pb µg/dL,
        the others µg/L).
    """
    rows = []
    for metal in _METAL_ORDER:
        q1, q2, q3, q4 = _CUTS[metal]
        rows += [
            (metal, "Q1", _NAN, q1, f"≤{q1:g}"),
            (metal, "Q2", q2[0], q2[1], f"{q2[0]:.2f}-{q2[1]:.2f}"),
            (metal, "Q3", q3[0], q3[1], f"{q3[0]:.2f}-{q3[1]:.2f}"),
            (metal, "Q4", q4, _NAN, f"≥{q4:g}"),
        ]
    out = pd.DataFrame(rows, columns=["metal", "quartile", "lower", "upper", "label"])
    # print Q1/Q4 with the paper's two decimals
    out.loc[out.quartile == "Q1", "label"] = [f"≤{_CUTS[m][0]:.2f}" for m in _METAL_ORDER]
    out.loc[out.quartile == "Q4", "label"] = [f"≥{_CUTS[m][3]:.2f}" for m in _METAL_ORDER]
    return out


# --------------------------------------------------------------------------
# Table 1
# --------------------------------------------------------------------------

# variable: (p, p_relation, [(level, n non-OP, % non-OP, n OP, % OP), ...], note)
_T1_CATEGORICAL: dict[str, tuple[float, str, list[tuple[str, int, float, int, float]], str]] = {
    "age_group": (0.001, "<", [
        ("50-60", 335, 45.0, 44, 27.3),
        ("60-70", 269, 36.2, 60, 37.3),
        (">70", 140, 18.8, 57, 35.4),
    ], ""),
    "bmi_group": (0.001, "<", [
        ("<25", 171, 23.0, 88, 54.7),
        ("25-30", 263, 35.3, 50, 31.1),
        (">30", 310, 41.7, 23, 14.3),
    ], "level '<25' extracted as '225'; '310 (41 7)' and '23 (14 3)' read as 41.7 and 14.3; "
       "P '<0.001' extracted twice"),
    "race": (0.001, "<", [
        ("Mexican American", 65, 8.7, 16, 9.9),
        ("Other Hispanic", 94, 12.6, 22, 13.7),
        ("Non-Hispanic White", 278, 37.4, 63, 39.1),
        ("Non-Hispanic Black", 200, 26.9, 16, 9.9),
        ("Other race", 107, 14.4, 44, 27.3),
    ], "'65 (87)' read as 8.7, '22 (137)' as 13.7; P '<0.001' extracted twice"),
    "education": (0.003, "=", [
        ("Less than 9th grade", 54, 7.3, 19, 11.8),
        ("9-11th grade", 59, 7.9, 21, 13.0),
        ("High school", 185, 24.9, 47, 29.2),
        ("Some college", 262, 35.2, 34, 21.1),
        ("College graduate", 184, 24.7, 40, 24.8),
    ], ""),
    "marital": (0.619, "=", [
        ("Married or living with partner", 389, 52.3, 85, 52.8),
        ("Widowed, divorced or separated", 341, 45.8, 71, 44.1),
        ("Never married", 14, 1.9, 5, 3.1),
    ], ""),
    "smoking": (0.581, "=", [("No", 498, 66.9, 104, 64.6), ("Yes", 246, 33.1, 57, 35.4)], ""),
    "hypertension": (0.351, "=", [
        ("No", 514, 69.1, 105, 65.2),
        ("Yes", 230, 30.9, 56, 34.8),
    ], "'514 (69 1)' read as 69.1; a stray '0.001' in the 'Yes' row is extraction noise"),
    "diabetes": (0.309, "=", [("No", 607, 81.6, 137, 85.1), ("Yes", 137, 18.4, 24, 14.9)],
                 "cells shuffled in extraction; counts sum to 744 and 161"),
    "parent_op": (0.011, "=", [("No", 597, 80.2, 114, 70.8), ("Yes", 147, 19.8, 47, 29.2)], ""),
    "fracture": (0.093, "=", [("No", 669, 89.9, 137, 85.1), ("Yes", 75, 10.1, 24, 14.9)], ""),
}

# variable: (center non-OP, spread non-OP, center OP, spread OP, p, p_relation, summary, note)
_T1_CONTINUOUS: dict[str, tuple[float, float, float, float, float, str, str, str]] = {
    "pb": (1.35, 0.86, 1.30, 0.71, 0.488, "=", "unstated",
           "mean (SD) or median (IQR) not stated; both values exceed the overall median "
           "(1.16-1.17, Table 2 cut-points), so they are most likely means (SDs)"),
    "cd": (0.51, 0.46, 0.65, 0.78, 0.022, "=", "unstated",
           "summary not stated; both values exceed the overall median (0.38-0.39)"),
    "hg": (1.50, 2.10, 1.49, 1.93, 0.962, "=", "unstated",
           "summary not stated; both values exceed the overall median (0.83-0.84)"),
    "se": (189.11, 33.70, 187.14, 32.20, 0.499, "=", "unstated",
           "summary not stated; both values exceed the overall median (185.67-185.68)"),
    "mn": (9.61, 3.22, 10.16, 3.40, 0.052, "=", "unstated",
           "summary not stated; both values exceed the overall median (9.30-9.31)"),
    "bmd_femur": (0.89, 0.12, 0.68, 0.10, 0.001, "<", "mean (SD)", "unit g/cm²"),
    "bmd_neck": (0.75, 0.12, 0.56, 0.08, 0.001, "<", "mean (SD)", "unit g/cm²"),
    "bmd_spine": (0.98, 0.14, 0.75, 0.11, 0.001, "<", "mean (SD)", "unit g/cm²"),
}

_T1_COLUMNS = [
    "table", "variable", "level", "op", "group", "n", "percent", "center", "spread",
    "summary", "p", "p_relation", "reading", "note",
]


def table1() -> pd.DataFrame:
    """Table 1 (characteristics by osteoporosis status), one row per printed cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``table`` (``"Table 1"``), ``variable`` (cohort column, or
        ``"op"`` for the group sizes), ``level`` (category level as in
        :data:`~osteometals.nhanes.variables.CATEGORIES`; empty for continuous
        rows), ``op`` (0 = no osteoporosis, 1 = osteoporosis), ``group``
        (``"Non-OP"`` / ``"OP"``), ``n`` and ``percent`` (categorical rows),
        ``center`` and ``spread`` (continuous rows), ``summary``
        (``"n (%)"``, ``"mean (SD)"`` or ``"unstated"``), ``p`` (between-group
        test, repeated on every row of the variable), ``p_relation``
        (``"<"`` where printed as ``<0.001``, else ``"="``), ``reading`` and
        ``note``.

    Notes
    -----
    The paper's footnote says normally distributed variables are means (SD)
    and skewed ones medians (IQR), without saying which is which. The metal
    rows are recorded as ``"unstated"``; see their ``note``.
    """
    rows = [
        ("Table 1", "op", "", 0, "Non-OP", N_NON_OP, 82.20, _NAN, _NAN, "n (%)", _NAN, "=",
         "as printed", "printed 82.20%; 744/905 is 82.21%"),
        ("Table 1", "op", "", 1, "OP", N_OP, 17.80, _NAN, _NAN, "n (%)", _NAN, "=",
         "as printed", "printed 17.80%; 161/905 is 17.79%"),
    ]
    for var, (p, rel, levels, note) in _T1_CATEGORICAL.items():
        reading = "repaired" if note and "read as" in note else "as printed"
        for level, n0, pct0, n1, pct1 in levels:
            rows.append(("Table 1", var, level, 0, "Non-OP", n0, pct0, _NAN, _NAN, "n (%)",
                         p, rel, reading, note))
            rows.append(("Table 1", var, level, 1, "OP", n1, pct1, _NAN, _NAN, "n (%)",
                         p, rel, reading, note))
    for var, (c0, s0, c1, s1, p, rel, summary, note) in _T1_CONTINUOUS.items():
        rows.append(("Table 1", var, "", 0, "Non-OP", pd.NA, _NAN, c0, s0, summary, p, rel,
                     "as printed", note))
        rows.append(("Table 1", var, "", 1, "OP", pd.NA, _NAN, c1, s1, summary, p, rel,
                     "as printed", note))
    out = pd.DataFrame(rows, columns=_T1_COLUMNS)
    out["n"] = out["n"].astype("Int64")
    return out


# --------------------------------------------------------------------------
# Table 2: logistic regression, OP ~ metal quartiles
# --------------------------------------------------------------------------

# metal: {model: ([(OR, lower, upper, p) for Q2, Q3, Q4], P for trend)}
_T2: dict[str, dict[str, tuple[list[tuple[float, float, float, float]], float]]] = {
    "pb": {
        "Model 1": ([(0.792, 0.487, 1.289, 0.348), (0.880, 0.542, 1.429, 0.606),
                     (0.909, 0.561, 1.475, 0.700)], 0.883),
        "Model 2": ([(0.841, 0.501, 1.412, 0.513), (0.869, 0.516, 1.464, 0.599),
                     (0.894, 0.530, 1.507, 0.673)], 0.779),
        "Model 3": ([(0.714, 0.414, 1.232, 0.226), (0.736, 0.423, 1.278, 0.276),
                     (0.716, 0.410, 1.251, 0.241)], 0.352),
    },
    "cd": {
        "Model 1": ([(1.578, 0.928, 2.681, 0.092), (1.815, 1.076, 3.061, 0.025),
                     (2.180, 1.309, 3.631, 0.003)], 0.006),
        "Model 2": ([(1.447, 0.830, 2.524, 0.193), (1.361, 0.780, 2.373, 0.278),
                     (1.804, 1.037, 3.137, 0.037)], 0.059),
        "Model 3": ([(1.482, 0.831, 2.643, 0.183), (1.301, 0.725, 2.335, 0.377),
                     (1.485, 0.813, 2.712, 0.198)], 0.352),
    },
    "hg": {
        "Model 1": ([(0.697, 0.419, 1.158, 0.164), (1.023, 0.636, 1.644, 0.926),
                     (1.020, 0.633, 1.642, 0.936)], 0.518),
        "Model 2": ([(0.717, 0.422, 1.219, 0.219), (1.069, 0.646, 1.769, 0.796),
                     (0.935, 0.554, 1.579, 0.802)], 0.877),
        "Model 3": ([(0.679, 0.389, 1.185, 0.173), (1.144, 0.673, 1.945, 0.620),
                     (0.803, 0.462, 1.395, 0.436)], 0.675),
    },
    "se": {
        "Model 1": ([(0.570, 0.356, 0.914, 0.020), (0.454, 0.276, 0.747, 0.002),
                     (0.689, 0.433, 1.097, 0.116)], 0.071),
        "Model 2": ([(0.519, 0.314, 0.857, 0.010), (0.415, 0.245, 0.704, 0.001),
                     (0.558, 0.339, 0.917, 0.021)], 0.015),
        "Model 3": ([(0.507, 0.299, 0.862, 0.012), (0.401, 0.231, 0.696, 0.001),
                     (0.515, 0.306, 0.866, 0.012)], 0.009),
    },
    "mn": {
        "Model 1": ([(0.905, 0.541, 1.513, 0.704), (1.007, 0.609, 1.666, 0.978),
                     (1.525, 0.946, 2.456, 0.083)], 0.045),
        "Model 2": ([(0.757, 0.438, 1.310, 0.320), (0.776, 0.449, 1.342, 0.365),
                     (0.950, 0.547, 1.653, 0.857)], 0.941),
        "Model 3": ([(0.834, 0.470, 1.480, 0.535), (0.898, 0.505, 1.597, 0.715),
                     (1.071, 0.601, 1.909, 0.815)], 0.655),
    },
}

_T2_NOTES: dict[tuple[str, str], str] = {
    ("cd", "Model 3"): "P for trend 0.352 is identical to Pb Model 3 (see inconsistencies())",
}


def table2() -> pd.DataFrame:
    """Table 2: odds ratios of osteoporosis by metal quartile (Q1 = reference).

    Returns
    -------
    pandas.DataFrame
        45 rows (5 metals x Q2-Q4 x Models 1-3), columns ``table``,
        ``metal``, ``quartile``, ``model``, ``estimate`` (OR), ``ci_lower``,
        ``ci_upper`` (95 % CI), ``p``, ``p_trend`` (the metal x model P for
        trend, repeated on its three rows), ``reading`` and ``note``.
        Adjustment sets are :data:`osteometals.nhanes.models.LOGISTIC_MODELS`.
    """
    rows = []
    for metal in _METAL_ORDER:
        for model, (cells, p_trend) in _T2[metal].items():
            note = _T2_NOTES.get((metal, model), "")
            for quartile, (est, lo, hi, p) in zip(QUARTILES, cells, strict=True):
                rows.append(("Table 2", metal, quartile, model, est, lo, hi, p, p_trend,
                             "as printed", note))
    return pd.DataFrame(rows, columns=[
        "table", "metal", "quartile", "model", "estimate", "ci_lower", "ci_upper", "p",
        "p_trend", "reading", "note",
    ])


# --------------------------------------------------------------------------
# Table 3: linear regression, BMD ~ metal quartiles
# --------------------------------------------------------------------------

_T3_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bmd_femur", "Model 1"), ("bmd_femur", "Model 2"),
    ("bmd_neck", "Model 1"), ("bmd_neck", "Model 2"),
    ("bmd_spine", "Model 1"), ("bmd_spine", "Model 2"),
)

# metal: ({quartile: [(beta, p) x 6 columns]}, [P for trend x 6 columns])
_T3: dict[str, tuple[dict[str, list[tuple[float, float]]], list[float]]] = {
    "pb": ({
        "Q2": [(0.027, 0.679), (0.046, 0.186), (0.031, 0.443), (0.040, 0.267),
               (0.053, 0.195), (0.071, 0.052)],
        "Q3": [(-0.002, 0.952), (0.027, 0.438), (0.028, 0.493), (0.043, 0.232),
               (0.025, 0.546), (0.046, 0.211)],
        "Q4": [(-0.051, 0.217), (0.006, 0.859), (-0.040, 0.332), (-0.001, 0.968),
               (0.023, 0.573), (0.044, 0.240)],
    }, [0.116, 0.830, 0.224, 0.749, 0.830, 0.490]),
    "cd": ({
        "Q2": [(-0.012, 0.761), (0.027, 0.434), (0.018, 0.663), (0.049, 0.169),
               (0.016, 0.694), (0.022, 0.530)],
        "Q3": [(-0.056, 0.162), (0.024, 0.486), (-0.047, 0.245), (0.027, 0.448),
               (-0.052, 0.195), (0.017, 0.649)],
        "Q4": [(-0.112, 0.007), (-0.005, 0.895), (-0.074, 0.073), (0.013, 0.733),
               (-0.065, 0.119), (0.028, 0.461)],
    }, [0.003, 0.661, 0.029, 0.914, 0.057, 0.546]),
    "hg": ({
        "Q2": [(0.070, 0.081), (0.072, 0.033), (0.082, 0.040), (0.082, 0.020),
               (0.065, 0.107), (0.055, 0.118)],
        "Q3": [(0.026, 0.512), (0.027, 0.434), (0.002, 0.961), (-0.005, 0.885),
               (-0.016, 0.689), (-0.037, 0.304)],
        "Q4": [(-0.012, 0.766), (0.036, 0.299), (-0.006, 0.881), (0.029, 0.427),
               (-0.044, 0.275), (-0.005, 0.898)],
    }, [0.266, 0.266, 0.753, 0.978, 0.058, 0.501]),
    "se": ({
        "Q2": [(0.043, 0.289), (0.030, 0.384), (0.026, 0.528), (0.022, 0.540),
               (0.015, 0.717), (0.024, 0.510)],
        "Q3": [(0.040, 0.325), (0.030, 0.381), (0.025, 0.532), (0.026, 0.471),
               (0.007, 0.865), (0.025, 0.491)],
        "Q4": [(0.022, 0.593), (0.046, 0.179), (0.025, 0.782), (0.041, 0.248),
               (-0.065, 0.110), (-0.012, 0.733)],
    }, [0.638, 0.197, 0.803, 0.255, 0.104, 0.730]),
    "mn": ({
        "Q2": [(0.019, 0.632), (0.027, 0.436), (-0.009, 0.832), (0.019, 0.590),
               (0.025, 0.531), (0.060, 0.098)],
        "Q3": [(0.012, 0.774), (0.019, 0.598), (-0.009, 0.821), (0.023, 0.531),
               (-0.032, 0.423), (0.011, 0.758)],
        "Q4": [(-0.071, 0.080), (-0.013, 0.734), (-0.106, 0.009), (-0.023, 0.562),
               (-0.098, 0.015), (0.034, 0.391)],
    }, [0.056, 0.622, 0.007, 0.515, 0.005, 0.660]),
}

# (metal, outcome, model) -> (reading of the P for trend, note)
_T3_TREND_NOTES: dict[tuple[str, str, str], tuple[str, str]] = {
    ("cd", "bmd_neck", "Model 1"): (
        "repaired", "femoral-neck cells merged in extraction ('0.029 0.914' in one cell, "
        "the next empty); read in order as Model 1 = 0.029, Model 2 = 0.914"),
    ("cd", "bmd_neck", "Model 2"): (
        "repaired", "femoral-neck cells merged in extraction; read as 0.914"),
    ("hg", "bmd_femur", "Model 2"): (
        "repaired", "extracted row '0.266 | 0.266 0.753 | (empty) | 0.978 | 0.058 | 0.501'; "
        "read in order. The text instead gives P for trend 0.753 for the Model 2 "
        "total-femur cell (attributing it to Mn)"),
    ("hg", "bmd_neck", "Model 1"): (
        "repaired", "merged cell read in order as 0.753; the text gives P for trend = 0.310 "
        "for Hg femoral neck Model 1, a number printed nowhere in Table 3"),
}


def table3() -> pd.DataFrame:
    """Table 3: linear-regression β of BMD (g/cm²) by metal quartile (Q1 = reference).

    Returns
    -------
    pandas.DataFrame
        90 rows (5 metals x Q2-Q4 x 3 sites x Models 1-2), columns
        ``table``, ``metal``, ``quartile``, ``outcome`` (``"bmd_femur"``,
        ``"bmd_neck"``, ``"bmd_spine"``), ``site`` (printed label),
        ``model``, ``estimate`` (β), ``ci_lower`` / ``ci_upper`` (NaN: the
        paper prints no CI), ``p``, ``p_trend``, ``reading`` and ``note``.
        Adjustment sets are :data:`osteometals.nhanes.models.LINEAR_MODELS`.
    """
    rows = []
    for metal in _METAL_ORDER:
        cells, trends_ = _T3[metal]
        for j, (outcome, model) in enumerate(_T3_COLUMNS):
            trend_reading, trend_note = _T3_TREND_NOTES.get(
                (metal, outcome, model), ("as printed", ""))
            for quartile in QUARTILES:
                beta, p = cells[quartile][j]
                note = f"P for trend: {trend_note}" if trend_note else ""
                if (metal, quartile, outcome, model) == ("se", "Q4", "bmd_neck", "Model 1"):
                    note = ("p 0.782 does not fit β 0.025 (Q3 has β 0.025 with p 0.532); "
                            "see inconsistencies()")
                rows.append(("Table 3", metal, quartile, outcome, SITE_LABELS[outcome], model,
                             beta, _NAN, _NAN, p, trends_[j],
                             trend_reading if trend_note else "as printed", note))
    return pd.DataFrame(rows, columns=[
        "table", "metal", "quartile", "outcome", "site", "model", "estimate", "ci_lower",
        "ci_upper", "p", "p_trend", "reading", "note",
    ])


# --------------------------------------------------------------------------
# Table 4: logistic regression within age and BMI strata
# --------------------------------------------------------------------------

_Cell = tuple[float, float, float, float]  # OR, lower, upper, p (NaN = cut off)
_X = _NAN

# metal: {quartile: [cell x 6 strata in STRATA order]}
_T4: dict[str, dict[str, list[_Cell]]] = {
    "pb": {
        "Q2": [(1.621, 0.504, 5.214, 0.418), (0.555, 0.249, 1.235, 0.149),
               (0.782, 0.469, 1.302, 0.344), (0.933, 0.399, 2.182, 0.873),
               (0.773, 0.320, 1.867, 0.567), (0.103, 0.011, 0.981, 0.048)],
        "Q3": [(2.073, 0.666, 6.458, 0.209), (0.712, 0.311, 1.630, 0.421),
               (0.839, 0.503, 1.401, 0.503), (0.559, 0.235, 1.330, 0.188),
               (0.892, 0.352, 2.260, 0.810), (1.505, 0.474, 4.781, 0.488)],
        "Q4": [(1.892, 0.594, 6.028, 0.281), (0.417, 0.160, 1.091, 0.075),
               (0.858, 0.512, 1.437, 0.561), (0.620, 0.265, 1.451, 0.271),
               (0.687, 0.255, 1.855, 0.459), (0.908, 0.275, 2.993, 0.874)],
    },
    "cd": {
        "Q2": [(1.410, 0.328, 6.061, 0.644), (0.994, 0.423, 2.338, 0.989),
               (1.614, 0.952, 2.829, 0.074), (1.847, 0.720, 4.736, 0.202),
               (1.795, 0.654, 4.925, 0.256), (1.473, 0.458, 4.734, 0.515)],
        "Q3": [(2.707, 0.783, 9.358, 0.116), (1.010, 0.424, 2.402, 0.982),
               (1.468, 0.848, 2.540, 0.170), (2.271, 0.902, 5.722, 0.082),
               (1.477, 0.516, 4.232, 0.468), (0.519, 0.130, 2.080, 0.355)],
        "Q4": [(4.538, 1.309, 15.734, 0.017), (1.035, 0.416, 2.579, 0.940),
               (1.716, 0.976, 3.018, 0.061), (0.916, 0.362, 2.321, 0.854),
               (3.756, 1.311, 10.763, 0.014), (0.564, 0.114, 2.793, 0.483)],
    },
    "hg": {
        "Q2": [(0.710, 0.251, 2.012, 0.520), (0.614, 0.258, 1.460, 0.270),
               (0.720, 0.427, 1.215, 0.219), (0.755, 0.331, 1.724, 0.505),
               (0.935, 0.345, 2.534, 0.895), (0.520, 0.144, 1.880, 0.319)],
        "Q3": [(1.260, 0.444, 3.576, 0.664), (1.003, 0.445, 2.258, 0.995),
               (1.180, 0.718, 1.938, 0.514), (0.718, 0.305, 1.691, 0.449),
               (2.379, 0.964, 5.872, 0.060), (0.716, 0.220, 2.328, 0.579)],
        "Q4": [(1.069, 0.422, _X, _X), (0.778, 0.315, _X, _X),
               (0.940, 0.563, _X, _X), (0.720, 0.331, _X, _X),
               (1.318, 0.473, 3.668, 0.597), (0.459, 0.101, 2.076, 0.312)],
    },
    "se": {
        "Q2": [(0.594, 0.218, 1.620, 0.309), (0.679, 0.306, 1.505, 0.340),
               (0.495, 0.300, 0.808, 0.005), (0.785, 0.357, 1.725, 0.547),
               (0.310, 0.122, 0.786, 0.014), (0.308, 0.088, 1.072, 0.064)],
        "Q3": [(0.437, 0.152, 1.254, 0.124), (0.404, 0.172, 0.949, 0.038),
               (0.404, 0.241, 0.678, 0.001), (0.404, 0.177, 0.954, 0.038),
               (0.367, 0.147, 0.915, 0.031), (0.298, 0.082, 1.090, 0.067)],
        "Q4": [(1.135, 0.447, 2.877, 0.790), (0.362, 0.155, 0.849, _X),
               (0.561, 0.344, _X, _X), (0.769, 0.372, _X, _X),
               (0.348, 0.137, _X, _X), (0.228, 0.055, _X, _X)],
    },
    "mn": {
        "Q2": [(0.402, 0.130, 1.242, 0.113), (0.485, 0.189, 1.244, 0.132),
               (0.728, 0.426, 1.246, 0.248), (0.745, 0.326, 1.703, 0.485),
               (1.357, 0.514, 3.582, 0.538), (0.718, 0.152, 3.384, 0.675)],
        "Q3": [(0.503, 0.175, 1.448, 0.203), (0.462, 0.175, 1.219, 0.119),
               (0.765, 0.448, 1.305, 0.325), (1.026, 0.446, 2.362, 0.951),
               (0.612, 0.204, 1.831, 0.380), (1.950, 0.505, 7.537, 0.333)],
        "Q4": [(0.471, 0.169, 1.318, 0.152), (0.777, 0.299, 2.023, 0.606),
               (0.879, 0.521, 1.510, 0.641), (0.849, 0.366, 1.970, 0.703),
               (1.899, 0.708, 5.096, 0.203), (0.717, 0.150, 3.437, 0.678)],
    },
}

# metal: [P for trend x 6 strata]
_T4_TREND: dict[str, list[float]] = {
    "pb": [0.356, 0.121, 0.719, 0.211, 0.530, 0.702],
    "cd": [0.009, 0.930, 0.158, 0.219, 0.013, 0.284],
    "hg": [0.710, 0.801, 0.888, 0.554, 0.642, 0.391],
    "se": [0.777, 0.010, 0.015, 0.399, 0.039, 0.028],
    "mn": [0.275, 0.998, 0.847, 0.833, 0.252, 0.884],
}

# metal: (P for interaction with age group, with BMI group)
_T4_INTERACTION: dict[str, tuple[float, float]] = {
    "pb": (0.016, 0.001),
    "cd": (0.001, 0.001),
    "hg": (0.001, 0.001),
    "se": (0.431, 0.001),
    "mn": (0.001, 0.001),
}

_CUT = "cell cut off at the column edge in the PDF; upper CI and P not recoverable"

# (metal, quartile, stratum) -> (reading, note). Stratum labels as in STRATA.
_T4_NOTES: dict[tuple[str, str, str], tuple[str, str]] = {
    **{("hg", "Q4", s): ("cut off", _CUT) for s in ("50-60", "60-70", ">70", "<25")},
    **{("se", "Q4", s): ("cut off", _CUT) for s in (">70", "<25", "25-30", ">30")},
    ("se", "Q4", "60-70"): (
        "from text", "upper CI 0.849 from the Results text; P cut off (about 0.019 "
        "from the CI)"),
    ("se", "Q2", "50-60"): (
        "reconstructed", "OCR reads '0.504 (0.218'; 0.594 is the CI midpoint and "
        "reproduces P = 0.309 (0.504 would give P = 0.18)"),
    ("se", "Q2", "60-70"): (
        "reconstructed", "OCR reads '0.670 (0.306'; 0.679 is the CI midpoint and "
        "reproduces P = 0.340 (0.670 gives 0.324)"),
    ("se", "Q2", ">70"): (
        "reconstructed", "extracted as '0.495 (0.500, 0.808)' (OR below its lower limit) "
        "and by OCR as '0.402 (0.200'; lower limit read as 0.300, which makes 0.495 the CI "
        "midpoint and reproduces P = 0.005"),
    ("se", "Q2", "25-30"): (
        "reconstructed", "OCR reads '0.210 (0.122'; 0.310 is the CI midpoint and "
        "reproduces P = 0.014 (0.210 would give P = 0.001)"),
    ("se", "Q2", ">30"): (
        "reconstructed", "OCR reads '0.209 (0.099'; '0.308 (0.088' is a reading with "
        "OR at the CI midpoint that reproduces P = 0.064; third digits uncertain"),
    ("mn", "Q2", "25-30"): ("repaired", "extracted as '1 357 (0 514'"),
    ("pb", "Q2", ">30"): (
        "as printed", "P = 0.048 contradicts the text ('In the Pb, Hg and Mn sections, "
        "all subgroups exhibited no significance')"),
}

_T4_TREND_NOTES: dict[tuple[str, str], str] = {
    ("se", "50-60"): "extracted as '0 777'",
    ("se", "<25"): "extracted as '0 399'",
    ("se", ">30"): "extracted as '0, 028'",
}


def table4() -> pd.DataFrame:
    """Table 4: odds ratios of osteoporosis by metal quartile within age and BMI strata.

    Returns
    -------
    pandas.DataFrame
        90 rows (5 metals x Q2-Q4 x 6 strata), columns ``table``, ``metal``,
        ``quartile``, ``stratifier`` (``"age_group"`` / ``"bmi_group"``),
        ``stratum`` (level as in :data:`~osteometals.nhanes.variables.CATEGORIES`),
        ``estimate`` (OR), ``ci_lower``, ``ci_upper``, ``p``, ``p_trend``
        (per metal x stratum), ``p_interaction`` (per metal x stratifier),
        ``reading`` and ``note``. Cells cut off in the PDF are NaN with
        ``reading == "cut off"``.

    Notes
    -----
    The paper does not say which model Table 4 uses. Its footnote is copied
    from an earlier paper by the same authors ("Model 1 ... adjusted for body
    mass index, age, race, marital status, history of osteoporosis in parents
    and history of previous fractures"); the book fits Model 3 without the
    stratifying variable.
    """
    rows = []
    for metal in _METAL_ORDER:
        p_int = dict(zip(("age_group", "bmi_group"), _T4_INTERACTION[metal], strict=True))
        for quartile in QUARTILES:
            for j, (stratifier, stratum) in enumerate(STRATA):
                est, lo, hi, p = _T4[metal][quartile][j]
                reading, note = _T4_NOTES.get((metal, quartile, stratum), ("as printed", ""))
                trend_note = _T4_TREND_NOTES.get((metal, stratum))
                if trend_note:
                    note = "; ".join(x for x in (note, f"P for trend {trend_note}") if x)
                    if reading == "as printed":
                        reading = "repaired"
                rows.append(("Table 4", metal, quartile, stratifier, stratum, est, lo, hi, p,
                             _T4_TREND[metal][j], p_int[stratifier], reading, note))
    return pd.DataFrame(rows, columns=[
        "table", "metal", "quartile", "stratifier", "stratum", "estimate", "ci_lower",
        "ci_upper", "p", "p_trend", "p_interaction", "reading", "note",
    ])


def interactions() -> pd.DataFrame:
    """P for interaction of Table 4, one row per metal and stratifier (10 rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``metal``, ``stratifier``, ``p_interaction``.
    """
    rows = [
        ("Table 4", metal, stratifier, p)
        for metal in _METAL_ORDER
        for stratifier, p in zip(("age_group", "bmi_group"), _T4_INTERACTION[metal],
                                 strict=True)
    ]
    return pd.DataFrame(rows, columns=["table", "metal", "stratifier", "p_interaction"])


def trends() -> pd.DataFrame:
    """Every printed P for trend, one row per cell (75 rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``metal``, ``model`` (Tables 2-3; empty for
        Table 4), ``outcome`` (``"op"`` for Tables 2 and 4, the BMD column
        for Table 3), ``stratifier`` and ``stratum`` (Table 4 only, else
        empty) and ``p_trend``.
    """
    cols = ["table", "metal", "model", "outcome", "stratifier", "stratum", "p_trend"]
    t2 = table2().drop_duplicates(["metal", "model"]).assign(
        outcome="op", stratifier="", stratum="")
    t3 = table3().drop_duplicates(["metal", "outcome", "model"]).assign(
        stratifier="", stratum="")
    t4 = table4().drop_duplicates(["metal", "stratum"]).assign(model="", outcome="op")
    return pd.concat([t2[cols], t3[cols], t4[cols]], ignore_index=True)


# --------------------------------------------------------------------------
# Numbers quoted in the abstract and the Results text
# --------------------------------------------------------------------------


def text_numbers() -> pd.DataFrame:
    """Numbers the abstract and Results text quote, with where they come from.

    Returns
    -------
    pandas.DataFrame
        Columns ``key`` (short name), ``value``, ``source`` (abstract /
        Results section) and ``matches_table`` (the table cell it should
        equal, or empty).
    """
    rows = [
        ("n_total", 905, "abstract; Results 'Patient features'", "Table 1"),
        ("n_op", 161, "abstract; Results 'Patient features'", "Table 1"),
        ("n_non_op", 744, "Results 'Patient features'", "Table 1"),
        ("pct_op", 17.80, "abstract", "Table 1"),
        ("p_cd_table1", 0.022, "Results 'Patient features'", "Table 1 cd p"),
        ("or_cd_q3_model1", 1.815, "abstract; Results", "Table 2 cd Q3 Model 1"),
        ("or_cd_q4_model1", 2.180, "abstract; Results", "Table 2 cd Q4 Model 1"),
        ("p_trend_cd_model1", 0.006, "abstract; Results", "Table 2 cd Model 1"),
        ("or_cd_q4_model2", 1.804, "Results", "Table 2 cd Q4 Model 2"),
        ("p_trend_cd_model2", 0.059, "Results", "Table 2 cd Model 2"),
        ("p_trend_se_model1", 0.071, "abstract; Results", "Table 2 se Model 1"),
        ("p_trend_se_model2", 0.015, "Results", "Table 2 se Model 2"),
        ("p_trend_se_model3", 0.009, "Results", "Table 2 se Model 3"),
        ("beta_cd_q4_femur_model1", -0.112, "abstract; Results", "Table 3 cd Q4 femur M1"),
        ("p_cd_q4_femur_model1", 0.007, "abstract; Results", "Table 3 cd Q4 femur M1"),
        ("p_trend_cd_femur_model1", 0.003, "abstract; Results", "Table 3 cd femur M1"),
        ("beta_hg_q2_neck_model1", 0.082, "Results", "Table 3 hg Q2 neck M1"),
        ("p_hg_q2_neck_model1", 0.040, "Results", "Table 3 hg Q2 neck M1"),
        ("p_trend_hg_neck_model1", 0.310, "Results", "Table 3 hg neck M1 (prints 0.753)"),
        ("or_cd_q4_age50_60", 4.538, "Results", "Table 4 cd Q4 50-60"),
        ("p_trend_cd_age50_60", 0.009, "Results", "Table 4 cd 50-60"),
        ("p_interaction_cd_age", 0.001, "Results", "Table 4 cd age"),
        ("or_se_q3_age60_70", 0.404, "Results", "Table 4 se Q3 60-70"),
        ("or_se_q4_age60_70", 0.362, "Results", "Table 4 se Q4 60-70"),
        ("ci_upper_se_q4_age60_70", 0.849, "Results", "Table 4 se Q4 60-70 (cut off)"),
        ("p_trend_se_age60_70", 0.010, "Results", "Table 4 se 60-70"),
        ("p_interaction_se_age", 0.431, "Results", "Table 4 se age"),
        ("p_interaction_se_bmi", 0.001, "Results", "Table 4 se BMI"),
    ]
    return pd.DataFrame(rows, columns=["key", "value", "source", "matches_table"])


def findings() -> pd.DataFrame:
    """The paper's qualitative findings that print no number, as data.

    Directions the paper states in words (for the per-SD and mixture
    results it prints no estimate), each with the sentence it comes from.

    Returns
    -------
    pandas.DataFrame
        Columns ``key``, ``direction`` (+1 raises the odds of osteoporosis,
        -1 lowers them), ``value`` (text, e.g. the top-weighted metal, or
        empty), ``source`` and ``quote``.
    """
    rows = [
        ("cd_op", 1, "", "Discussion, strengths",
         "Our findings showed that Se might prevent OP occurrence, while Cd promoted OP "
         "occurrence."),
        ("se_op", -1, "", "Discussion, strengths",
         "Our findings showed that Se might prevent OP occurrence, while Cd promoted OP "
         "occurrence."),
        ("wqs_positive_index", 1, "cd", "Results, WQS and BKMR; Figure 2A",
         "Based on WQS under the positive directional mode, Cd was positively associated "
         "with the increased OP risk, whereas Se displayed the negative relation with an "
         "increased OP risk (Figure 2)."),
    ]
    return pd.DataFrame(rows, columns=["key", "direction", "value", "source", "quote"])


# --------------------------------------------------------------------------
# Consistency helpers and the paper's inconsistencies
# --------------------------------------------------------------------------


def wald_p_from_ci(estimate, ci_lower, ci_upper, level: float = 0.95):
    """Two-sided Wald P-value implied by an odds ratio and its CI.

    Parameters
    ----------
    estimate, ci_lower, ci_upper : float or array-like
        Odds ratio and its confidence limits (all > 0).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    numpy.ndarray or float
        ``2 * (1 - Phi(|log OR| / SE))`` with ``SE = (log U - log L) / (2 z)``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    se = (np.log(ci_upper) - np.log(ci_lower)) / (2 * z)
    return 2 * stats.norm.sf(np.abs(np.log(estimate)) / se)


def se_from_beta_p(beta, p):
    """Standard error implied by a coefficient and its two-sided normal P-value.

    Parameters
    ----------
    beta, p : float or array-like
        Coefficient and P-value (0 < p < 1).

    Returns
    -------
    numpy.ndarray or float
        ``|beta| / Phi^-1(1 - p / 2)``.
    """
    return np.abs(beta) / stats.norm.isf(np.asarray(p, dtype=float) / 2)


def _stratum_ci_width() -> dict[str, float]:
    """Median log-CI width of Table 4 cells per stratum (helper for the notes)."""
    t4 = table4().dropna(subset=["ci_upper"])
    width = np.log(t4.ci_upper) - np.log(t4.ci_lower)
    return width.groupby(t4.stratum).median().to_dict()


def inconsistencies() -> pd.DataFrame:
    """Internal inconsistencies and textual errors of the paper, as data.

    Returns
    -------
    pandas.DataFrame
        One row per finding with columns ``id`` (short key), ``table``
        (``"Table 1"`` ... or ``"Text"``), ``location``, ``kind``
        (``"duplicate value"``, ``"estimate vs P"``, ``"text vs table"``,
        ``"implausible"``, ``"wrong label"``, ``"missing"``), ``description``,
        ``printed`` (the printed value(s), as text) and ``expected`` (what
        the rest of the paper implies, as text; empty if nothing).

    Notes
    -----
    The findings come from reading the paper against itself: the P-value a
    printed CI implies (:func:`wald_p_from_ci`), the standard error a β and
    P imply (:func:`se_from_beta_p`), counts and percentages, and the text
    against the tables. The CI-width finding for Table 4 is computed from
    :func:`table4` when this function is called.
    """
    t4_width = _stratum_ci_width()
    t1 = table1()
    n_strata = t1[t1.variable.isin(["age_group", "bmi_group"])].groupby("level")["n"].sum()
    width_text = ", ".join(
        f"{s} (n={n_strata[s]}): {t4_width[s]:.2f}" for _, s in STRATA)
    t2 = table2()
    t2_width = float((np.log(t2.ci_upper) - np.log(t2.ci_lower)).median())
    se_implied = se_from_beta_p(0.027, 0.679)
    rows = [
        ("t2_cd_trend_dup", "Table 2", "Cd, Model 3, P for trend", "duplicate value",
         "Cd Model 3 P for trend equals Pb Model 3 P for trend exactly, although Pb and Cd "
         "Model 3 ORs differ in direction (Pb all < 1, Cd all > 1); probably copied.",
         "0.352 (Cd) = 0.352 (Pb)", ""),
        ("t2_abstract_se_model1", "Text", "Abstract, Se Model 1", "text vs table",
         "The abstract says Se was 'related to OP in the adjusted model 1' quoting Q4 OR "
         "0.689 (0.433, 1.097) and P for trend 0.071, neither significant.",
         "0.689 (0.433, 1.097); P for trend 0.071", ""),
        ("t3_se_q4_neck_p", "Table 3", "Se Q4, femoral neck, Model 1", "estimate vs P",
         "β 0.025 with p 0.782, while Se Q3 in the same column has β 0.025 with p 0.532 "
         "(same-size quartile groups, so similar SEs): the p implies SE 0.090, about twice "
         "that of neighbouring cells.",
         "0.025 (0.782)", "p about 0.53"),
        ("t3_pb_q2_femur_p", "Table 3", "Pb Q2, total femur, Model 1", "estimate vs P",
         f"β 0.027 with p 0.679 implies SE {se_implied:.3f}; other total-femur Model 1 "
         "cells imply SE about 0.04 (e.g. Hg Q2 0.070, p 0.081).",
         "0.027 (0.679)", "p about 0.5"),
        ("t3_hg_trend_merge", "Table 3", "Hg, P for trend row", "text vs table",
         "The Hg P-for-trend row has a repeated 0.266 and a merged cell; read in order it "
         "gives femur 0.266/0.266, neck 0.753/0.978. The text quotes P for trend = 0.310 for "
         "Hg femoral neck Model 1 (not printed anywhere) and 0.753 and 0.978 as Model 2 "
         "femur and neck values.",
         "0.266, 0.266, 0.753, 0.978, 0.058, 0.501", "text: neck Model 1 = 0.310"),
        ("text_mn_is_hg", "Text", "Results, 'Correlation between blood heavy metals and BMD'",
         "text vs table",
         "'After adjusting for all covariates, Mn level was also significantly positively "
         "related to total femoral and femoral neck BMD (β = 0.072, P = 0.033 ...; β = 0.082, "
         "P = 0.020 ...)': these are the Hg Q2 Model 2 cells; Mn has no significant Model 2 "
         "cell in Table 3.",
         "Mn: β 0.072 (0.033), 0.082 (0.020)", "Hg Q2 Model 2: 0.072 (0.033), 0.082 (0.020)"),
        ("text_hg_highest_q2", "Text", "Results, Hg and femoral neck", "wrong label",
         "'patients having highest quartile (Q2)' — Q2 is not the highest quartile.",
         "highest quartile (Q2)", "second quartile (Q2)"),
        ("text_dkd_results", "Text", "Results, end of the Table 2 paragraph", "wrong label",
         "'blood Pb, Hg, and Mn levels were not associated with DKD' — DKD (diabetic kidney "
         "disease) where osteoporosis is meant.", "DKD", "OP"),
        ("text_dkd_discussion", "Text", "Discussion, first paragraph", "wrong label",
         "'blood Cd and Se exposure were related to DKD' — again DKD for osteoporosis.",
         "DKD", "OP"),
        ("t4_title_copied", "Table 4", "title and footnote", "wrong label",
         "Title 'Association between selenium intake levels and osteoporosis by sex' and the "
         "'Model 1' footnote (adjusted for BMI, age, race, marital status, parental OP, "
         "fractures) match Table 5 of the authors' 2023 paper on dietary selenium "
         "(Peng, Zhang, Wang 2023, Front Endocrinol 14:1251838, the paper's ref. 28). Table 4 "
         "stratifies five blood metals by age and BMI in women only, and an adjustment set "
         "containing age and BMI cannot be the one used within age or BMI strata.",
         "selenium intake ... by sex; Model 1", "blood metals ... by age and BMI; model unstated"),
        ("methods_sex_subgroup", "Text", "Methods, Statistical analysis", "wrong label",
         "'Subgroup analysis stratified by sex was also conducted' in an all-female sample; "
         "the Results stratify by age and BMI.", "sex", "age and BMI"),
        ("t4_text_pb_significant", "Table 4", "Pb Q2, BMI >30", "text vs table",
         "The text says 'In the Pb, Hg and Mn sections, all subgroups exhibited no "
         "significance', but Pb Q2 in BMI >30 is 0.103 (0.011, 0.981), P = 0.048.",
         "0.103 (0.011, 0.981), 0.048", ""),
        ("t4_over70_ci_width", "Table 4", "age >70 column", "implausible",
         "The >70 stratum is the smallest age stratum (197 women by Table 1) but has the "
         "narrowest CIs, about as narrow as the full-sample Table 2 (median log-CI width "
         f"{t2_width:.2f}). Median log-CI width by stratum: {width_text}. The >70 column "
         "looks like a full-sample fit.",
         f">70: {t4_width['>70']:.2f}", "wider than 50-60 and 60-70"),
        ("t4_interaction_001", "Table 4", "P for interaction", "implausible",
         "Eight of the ten P for interaction are 0.001 (all five BMI ones and three of the "
         "five age ones), including metals with no significant stratum (Hg, Mn); the method "
         "is not described.", "0.001 x 8", ""),
        ("t4_cut_cells", "Table 4", "Hg Q4 and Se Q4", "missing",
         "Nine cells are cut off at the column edge of the PDF (Hg Q4 in 50-60, 60-70, >70, "
         "<25; Se Q4 in 60-70, >70, <25, 25-30, >30): upper CI and P are lost; the text "
         "gives one upper limit (Se Q4 60-70 = 0.849), so eight stay unrecoverable.", "", ""),
        ("t4_se_q3_lt25", "Table 4", "Se Q3, BMI <25", "duplicate value",
         "0.404 (0.177, 0.954), P 0.038 nearly repeats the 60-70 cell 0.404 (0.172, 0.949), "
         "P 0.038; the OR is not the CI midpoint (0.411).", "0.404 (0.177, 0.954), 0.038", ""),
        ("t1_metal_summaries", "Table 1", "blood metals", "implausible",
         "The footnote says skewed variables are medians (IQR), but every metal's summary "
         "is above the overall median implied by the quartile cut-points in both groups "
         "(e.g. Pb 1.35 and 1.30 vs overall median 1.16-1.17), which medians cannot be: "
         "they are probably means (SD).", "Pb 1.35 / 1.30", "medians on both sides of 1.165"),
        ("t1_pct_op", "Table 1", "Number, n (%)", "implausible",
         "161/905 = 17.79% and 744/905 = 82.21%, printed as 17.80% and 82.20%.",
         "17.80%, 82.20%", "17.79%, 82.21%"),
        ("flow_counts", "Text", "Figure 1", "missing",
         "The participant flow (Figure 1) is referenced but its counts are not in the text.",
         "", ""),
        ("spine_reference", "Text", "Methods, OP diagnosis", "missing",
         "T-scores use NHANES III white women aged 20-29 for the hip; the lumbar-spine "
         "reference means and SDs are not stated.", "", ""),
        ("weighting_unstated", "Text", "Methods and limitations", "missing",
         "The paper weights its descriptive analysis but states that WQS and BKMR cannot "
         "use the weights; whether Tables 2-4 are weighted is not stated.", "", ""),
    ]
    return pd.DataFrame(rows, columns=[
        "id", "table", "location", "kind", "description", "printed", "expected",
    ])
