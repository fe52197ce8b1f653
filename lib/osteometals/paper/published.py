"""The numbers printed in Peng et al. (2025), as data.

These are the paper's numbers, for comparison only; never use them as results.

Source: Peng S, Zhang G, Wang D, He Z (2025). *The impact of heavy metals on
osteoporosis in postmenopausal women.* Front. Environ. Health 4:1468404,
doi:10.3389/fenvh.2025.1468404, Tables 1-4, abstract and Results text,
transcribed from the text extracted from the published PDF
(``../shared/paper/peng2025-heavy-metals-osteoporosis.txt`` beside the repository).

The transcription is data: one CSV file per table in the folder ``peng2025/``
beside this module (``cutpoints.csv``, ``table1.csv`` ... ``table4.csv``,
``interactions.csv``, ``text_numbers.csv``, ``findings.csv``), one printed number, or one
printed estimate with its interval and P-value, per row. The functions here
read them and return tidy frames. Names follow
:mod:`osteometals.nhanes.variables`: metals by key (``"pb"`` ...), covariates
and their levels as in :data:`~osteometals.nhanes.variables.CATEGORIES`, BMD
outcomes as the cohort columns (``"bmd_femur"``, ``"bmd_neck"``,
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

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.nhanes.variables import BMD_SITES, CATEGORIES

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

#: Cohort column of each BMD outcome -> label printed in Tables 1 and 3 (the
#: labels of :data:`osteometals.nhanes.variables.BMD_SITES`, the one place they are defined).
SITE_LABELS: dict[str, str] = {column: site[0] for column, site in BMD_SITES.items()}

#: Table 4 strata: (stratifier, stratum) in column order.
STRATA: tuple[tuple[str, str], ...] = tuple(
    [("age_group", level) for level in CATEGORIES["age_group"]]
    + [("bmi_group", level) for level in CATEGORIES["bmi_group"]]
)

#: The folder of the transcribed tables.
DATA_DIR = Path(__file__).with_name("peng2025")

_TEXT = ["metal", "quartile", "model", "outcome", "stratifier", "stratum", "variable", "level",
         "group", "summary", "p_relation", "reading", "note", "label", "key", "source",
         "matches_table", "id", "table", "location", "kind", "description", "printed",
         "expected", "quote"]


@functools.cache
def _read(name: str) -> pd.DataFrame:
    """One transcribed table: text columns as str ("" where empty), the rest numbers."""
    path = DATA_DIR / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"the transcribed table {path} is missing: reinstall osteometals")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        if col in _TEXT:
            out[col] = raw[col].astype(str)
        else:
            out[col] = pd.to_numeric(raw[col].replace("", np.nan))
    return out


def _table(name: str, label: str) -> pd.DataFrame:
    """A copy of a transcribed table with the ``table`` column first."""
    out = _read(name).copy()
    out.insert(0, "table", pd.Series([label] * len(out), index=out.index, dtype=str))
    return out


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
    return _read("cutpoints").copy()


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
    out = _table("table1", "Table 1")
    out["op"] = out["op"].astype(int)
    out["n"] = out["n"].astype("Int64")
    return out


def table2() -> pd.DataFrame:
    """Table 2: odds ratios of osteoporosis by metal quartile (Q1 = reference).

    Returns
    -------
    pandas.DataFrame
        45 rows (5 metals x Q2-Q4 x Models 1-3), columns ``table``,
        ``metal``, ``quartile``, ``model``, ``estimate`` (OR), ``ci_lower``,
        ``ci_upper`` (95 % CI), ``p``, ``p_trend`` (the metal x model P for
        trend, repeated on its three rows), ``reading`` and ``note``.
        Adjustment sets are :data:`osteometals.paper.models.LOGISTIC_MODELS`.
    """
    return _table("table2", "Table 2")


def table3() -> pd.DataFrame:
    """Table 3: linear-regression β of BMD by metal quartile (Q1 = reference).

    The paper prints no unit; its βs are most probably standardised
    coefficients (SPSS "Beta"), see :mod:`osteometals.paper.beta_scale`.

    Returns
    -------
    pandas.DataFrame
        90 rows (5 metals x Q2-Q4 x 3 sites x Models 1-2), columns
        ``table``, ``metal``, ``quartile``, ``outcome`` (``"bmd_femur"``,
        ``"bmd_neck"``, ``"bmd_spine"``), ``site`` (printed label),
        ``model``, ``estimate`` (β), ``ci_lower`` / ``ci_upper`` (NaN: the
        paper prints no CI), ``p``, ``p_trend``, ``reading`` and ``note``.
        Adjustment sets are :data:`osteometals.paper.models.LINEAR_MODELS`.
    """
    out = _table("table3", "Table 3")
    out.insert(out.columns.get_loc("outcome") + 1, "site",
               out["outcome"].map(SITE_LABELS).astype(str))
    return out


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
    out = _table("table4", "Table 4")
    p_int = _read("interactions").set_index(["metal", "stratifier"])["p_interaction"]
    keys = pd.MultiIndex.from_frame(out[["metal", "stratifier"]].astype(object))
    out.insert(out.columns.get_loc("p_trend") + 1, "p_interaction",
               p_int.reindex(keys).to_numpy())
    return out


def interactions() -> pd.DataFrame:
    """P for interaction of Table 4, one row per metal and stratifier (10 rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``metal``, ``stratifier``, ``p_interaction``.
    """
    return _table("interactions", "Table 4")


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


def text_numbers() -> pd.DataFrame:
    """Numbers the abstract and Results text quote, with where they come from.

    Returns
    -------
    pandas.DataFrame
        Columns ``key`` (short name), ``value``, ``source`` (abstract /
        Results section) and ``matches_table`` (the table cell it should
        equal, or empty).
    """
    return _read("text_numbers").copy()


def findings() -> pd.DataFrame:
    """The paper's qualitative findings that print no number (``findings.csv``).

    Directions the paper states in words (it prints no per-SD or WQS index
    estimate), each with the sentence it comes from.

    Returns
    -------
    pandas.DataFrame
        Columns ``key``, ``direction`` (+1 raises the odds of osteoporosis,
        -1 lowers them), ``metal`` (the metal the finding is about; for the
        WQS index, the metal with the largest weight), ``source`` and
        ``quote``.
    """
    return _read("findings").copy()


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
    t2 = table2()
    values = {
        "se_implied": se_from_beta_p(0.027, 0.679),
        "t2_width": float((np.log(t2.ci_upper) - np.log(t2.ci_lower)).median()),
        "width_text": ", ".join(f"{s} (n={n_strata[s]}): {t4_width[s]:.2f}" for _, s in STRATA),
        "t4_width_gt70": t4_width[">70"],
    }
    out = _read("inconsistencies").copy()
    for col in ("description", "printed"):
        out[col] = [text.format(**values) for text in out[col]]
    hypotheses = pd.DataFrame(_covariate_hypotheses(), columns=out.columns)
    return pd.concat([out, hypotheses], ignore_index=True)


def _covariate_hypotheses() -> list[tuple[str, str, str, str, str, str, str]]:
    """Rows of :func:`inconsistencies` of kind ``"hypothesis"``, printed values from Table 1."""
    t1 = table1()

    def printed(var: str, level: str) -> str:
        rows = t1[(t1.variable == var) & (t1.level == level)].set_index("op")
        non, op = rows.loc[0], rows.loc[1]
        return (f"{level}: {non.n} ({non.percent:g}%) non-OP, "
                f"{op.n} ({op.percent:g}%) OP")

    return [
        ("hyp_hypertension_variable", "Table 1", "History of hypertension", "hypothesis",
         "The paper's prevalence of hypertension is far below 'ever told you had high blood "
         "pressure' (BPQ020) and below every other blood-pressure definition the "
         "questionnaire allows; among the candidates only BPQ100D, 'now taking prescribed "
         "medicine' for cholesterol, which follows the blood-pressure questions in the same "
         "BPQ file, comes near it: a possible variable mix-up. Chapter 2 computes every "
         "candidate from the raw files; the cohort keeps BPQ020.",
         printed("hypertension", "Yes"), "hypothesis: BPQ100D used for hypertension"),
        ("hyp_marital_slip", "Table 1", "Marital status", "hypothesis",
         "The never-married count is too small for the cohort under the codebook coding. "
         "Reading 2017-2020's DMDMARTZ (1 married or living with partner, 2 widowed, "
         "divorced or separated, 3 never married) with 2013-2014's DMDMARTL codes "
         "(5 = never married) would leave only 2013-2014 women never married. Chapter 2 "
         "tests it by the ratio of the paper's counts to ours under each coding; the "
         "cohort keeps the codebook coding.",
         printed("marital", "Never married"),
         "hypothesis: DMDMARTZ read with the DMDMARTL codes"),
    ]
