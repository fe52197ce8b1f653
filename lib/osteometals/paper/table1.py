"""Table 1: characteristics of the cohort by osteoporosis status.

Two versions side by side:

* **Unweighted**, as the paper: categorical rows as n (%) with Pearson's
  chi-square test (no continuity correction, as SPSS's "Pearson
  Chi-Square"); continuous rows as mean (SD) with Student's t-test (equal
  variances) or median (IQR) with the Mann-Whitney U test.
* **Survey-weighted**: weighted % / weighted mean (SD) or weighted median
  (Q1-Q3), with design-based p-values from :func:`osteometals.stats.survey.svyglm`
  on one :class:`~osteometals.stats.survey.SurveyDesign` of the cohort (Taylor
  linearisation, strata and PSUs of the pooled design):

  - categorical: adjusted Wald F test of the variable in a survey logistic
    regression ``op ~ variable`` (R: ``regTermTest(svyglm(op ~ x,
    family=quasibinomial), ~x)``), a design-based test of association;
  - mean (SD): Wald t test of ``op`` in a survey linear regression
    ``x ~ op`` (R's ``svyttest``);
  - median (IQR): the same on weighted mid-ranks (R's
    ``svyranktest(test="wilcoxon")`` uses this construction).

  Simplification, stated in the chapter: the cohort itself is taken as the
  design (rows outside the cohort are not carried as an empty domain), so
  degrees of freedom count only strata and PSUs with cohort members. The
  denominator degrees of freedom follow the design's ``df`` convention
  (R's ``"r_survey"`` by default; ``"psu_minus_strata"`` as SUDAAN, SAS and
  Stata).

Public API: :func:`table1` returning :class:`Table1` (tidy ``cells`` and
``tests`` plus a display-ready ``display`` frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.nhanes.variables import BMD_SITES, CATEGORIES, LABELS, METALS
from osteometals.stats import survey
from osteometals.stats.coding import dummy_code
from osteometals.stats.weighted import weighted_mean_sd, weighted_midrank, weighted_quantile

#: Categorical rows, in the paper's order.
CATEGORICAL: tuple[str, ...] = tuple(LABELS)

#: Continuous rows (cohort column -> label), in the paper's order.
CONTINUOUS: dict[str, str] = {
    **{m.key: f"Blood {m.name} ({m.unit})" for m in METALS},
    **{column: f"{site[0]} BMD (g/cm²)" for column, site in BMD_SITES.items()},
}

#: Group labels for ``op`` = 0 / 1.
GROUPS: dict[int, str] = {0: "No osteoporosis", 1: "Osteoporosis"}

SUMMARIES = ("mean_sd", "median_iqr")


@dataclass
class Table1:
    """Table 1 in tidy and display form.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per number: ``variable, label, level, op, group, weighted,
        statistic, value``; ``statistic`` in ``n, pct, mean, sd, median, q1,
        q3`` (weighted rows have no ``n``).
    tests : pandas.DataFrame
        One row per variable and version: ``variable, weighted, test,
        statistic, df, p``.
    display : pandas.DataFrame
        Formatted strings: ``Variable, Level, <group> ..., P, <group>
        (weighted) ..., P (design-based)``.
    summary : str
        ``"mean_sd"`` or ``"median_iqr"`` for the continuous rows.
    """

    cells: pd.DataFrame
    tests: pd.DataFrame
    display: pd.DataFrame
    summary: str

    def tidy(self) -> pd.DataFrame:
        """Cells with their variable's p-value attached (for CSV export)."""
        return self.cells.merge(self.tests, on=["variable", "weighted"], how="left")


# --------------------------------------------------------------------------
# tests


def _design_test_categorical(design: survey.SurveyDesign, var: str
                             ) -> tuple[float, float, float]:
    d = design.data
    present = d[var].cat.remove_unused_categories().to_frame()
    X = pd.concat([pd.DataFrame({"Intercept": 1.0}, index=d.index),
                   dummy_code(present, [var])], axis=1)
    fit = survey.svyglm((d["op"].astype(float), X), design, family="binomial")
    wt = fit.wald_test([c for c in X.columns if c != "Intercept"])
    return wt.statistic, wt.ddf, wt.p


def _design_test_continuous(design: survey.SurveyDesign, y: np.ndarray
                            ) -> tuple[float, float, float]:
    """Slope of ``y ~ op`` (``y`` aligned with the design's rows, NaN where missing)."""
    d = design.data
    X = pd.DataFrame({"Intercept": 1.0, "op": d["op"].astype(float)}, index=d.index)
    fit = survey.svyglm((pd.Series(y, index=d.index), X), design, family="gaussian")
    return float(fit.tvalues["op"]), float(fit.df_resid), float(fit.pvalues["op"])


# --------------------------------------------------------------------------
# the table


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt_num(v: float) -> str:
    return f"{v:.2f}"


def table1(
    data: pd.DataFrame,
    summary: str = "mean_sd",
    categorical: Sequence[str] = CATEGORICAL,
    continuous: Sequence[str] | None = None,
    weighted: bool = True,
    df: survey.DesignDF = "r_survey",
) -> Table1:
    """Build Table 1 by osteoporosis status (``op``).

    Parameters
    ----------
    data : pandas.DataFrame
        The cohort (``Cohort.data``): needs ``op``, ``weight``, ``stratum``,
        ``psu`` and the variables of the rows, without missing values in
        ``op``.
    summary : {"mean_sd", "median_iqr"}
        Continuous rows as mean (SD) with Student's t-test, or median (IQR)
        with the Mann-Whitney U test. The paper's continuous values exceed
        the overall medians implied by its Table 2 quartile cut-offs, so it
        most likely printed means (SD): the default.
    categorical : sequence of str
        Categorical columns (pandas Categoricals).
    continuous : sequence of str, optional
        Continuous columns; default the keys of :data:`CONTINUOUS`.
    weighted : bool
        Also compute the survey-weighted version.
    df : {"r_survey", "psu_minus_strata"}
        Denominator degrees of freedom of the design-based tests
        (:mod:`osteometals.stats.design`).

    Returns
    -------
    Table1

    Raises
    ------
    ValueError
        Unknown ``summary`` or ``df``, or missing ``op``.
    """
    if summary not in SUMMARIES:
        raise ValueError(f"unknown summary {summary!r}; allowed: {list(SUMMARIES)}")
    if data["op"].isna().any():
        raise ValueError("op must not be missing")
    continuous = list(CONTINUOUS) if continuous is None else list(continuous)
    d = data.copy()
    d["op"] = d["op"].astype(int)
    w = d["weight"].to_numpy(dtype=float)
    # the cohort as the design; a stratum left with one PSU contributes no variance
    design = survey.SurveyDesign(d, lonely_psu="certainty", df=df) if weighted else None
    cells: list[dict] = []
    tests: list[dict] = []

    def cell(var, level, op, wtd, stat, value):
        cells.append({"variable": var, "label": LABELS.get(var, CONTINUOUS.get(var, var)),
                      "level": level, "op": op, "group": GROUPS[op], "weighted": wtd,
                      "statistic": stat, "value": float(value)})

    # group sizes
    for op in (0, 1):
        m = (d["op"] == op).to_numpy()
        cell("op", "", op, False, "n", m.sum())
        cell("op", "", op, False, "pct", 100 * m.mean())
        if weighted:
            cell("op", "", op, True, "pct", 100 * w[m].sum() / w.sum())

    for var in categorical:
        levels = list(CATEGORIES[var]) if var in CATEGORIES else list(d[var].cat.categories)
        tab = pd.crosstab(d[var], d["op"]).reindex(index=levels, columns=[0, 1], fill_value=0)
        for op in (0, 1):
            col = tab[op]
            for lv in levels:
                cell(var, lv, op, False, "n", col[lv])
                cell(var, lv, op, False, "pct", 100 * col[lv] / col.sum() if col.sum() else np.nan)
            if weighted:
                m = (d["op"] == op).to_numpy()
                wsum = pd.Series(w[m]).groupby(d[var].to_numpy()[m]).sum()
                for lv in levels:
                    cell(var, lv, op, True, "pct", 100 * wsum.get(lv, 0.0) / w[m].sum())
        nonempty = tab[(tab.sum(axis=1) > 0)]
        chi2, p, dof, _ = stats.chi2_contingency(nonempty.to_numpy(), correction=False)
        tests.append({"variable": var, "weighted": False, "test": "Pearson chi-square",
                      "statistic": chi2, "df": float(dof), "p": p})
        if weighted:
            f, ddf, p = _design_test_categorical(design, var)
            tests.append({"variable": var, "weighted": True,
                          "test": "design-based Wald F (survey logistic op ~ variable)",
                          "statistic": f, "df": ddf, "p": p})

    for var in continuous:
        x = d[var].to_numpy(dtype=float)
        ok = np.isfinite(x)
        for op in (0, 1):
            m = ok & (d["op"] == op).to_numpy()
            if summary == "mean_sd":
                cell(var, "", op, False, "mean", x[m].mean())
                cell(var, "", op, False, "sd", x[m].std(ddof=1))
                if weighted:
                    mean, sd = weighted_mean_sd(x[m], w[m])
                    cell(var, "", op, True, "mean", mean)
                    cell(var, "", op, True, "sd", sd)
            else:
                q1, med, q3 = np.percentile(x[m], [25, 50, 75])
                for stat, v in (("median", med), ("q1", q1), ("q3", q3)):
                    cell(var, "", op, False, stat, v)
                if weighted:
                    q1, med, q3 = weighted_quantile(x[m], w[m], [0.25, 0.5, 0.75])
                    for stat, v in (("median", med), ("q1", q1), ("q3", q3)):
                        cell(var, "", op, True, stat, v)
        g0 = x[ok & (d["op"] == 0).to_numpy()]
        g1 = x[ok & (d["op"] == 1).to_numpy()]
        if summary == "mean_sd":
            res = stats.ttest_ind(g0, g1, equal_var=True)
            tests.append({"variable": var, "weighted": False, "test": "Student t-test",
                          "statistic": float(res.statistic), "df": float(len(g0) + len(g1) - 2),
                          "p": float(res.pvalue)})
        else:
            res = stats.mannwhitneyu(g0, g1, alternative="two-sided")
            tests.append({"variable": var, "weighted": False, "test": "Mann-Whitney U",
                          "statistic": float(res.statistic), "df": np.nan,
                          "p": float(res.pvalue)})
        if weighted:
            y = np.full(len(d), np.nan)
            y[ok] = x[ok] if summary == "mean_sd" else weighted_midrank(x[ok], w[ok])
            t, ddf, p = _design_test_continuous(design, y)
            name = ("design-based t (survey linear x ~ op)" if summary == "mean_sd"
                    else "design-based rank test (survey linear midrank ~ op)")
            tests.append({"variable": var, "weighted": True, "test": name,
                          "statistic": t, "df": ddf, "p": p})

    cells_df = pd.DataFrame(cells)
    tests_df = pd.DataFrame(tests)
    return Table1(cells_df, tests_df, _display(cells_df, tests_df, summary, weighted), summary)


def _display(cells: pd.DataFrame, tests: pd.DataFrame, summary: str, weighted: bool
             ) -> pd.DataFrame:
    """Formatted, display-ready Table 1."""
    versions = [False, True] if weighted else [False]
    p_of = {(r.variable, r.weighted): r.p for r in tests.itertuples()}
    c = cells.set_index(["variable", "level", "op", "weighted", "statistic"])["value"]

    def get(var, lv, op, wtd, stat):
        return c.get((var, lv, op, wtd, stat), np.nan)

    def fmt(var, lv, op, wtd, kind):
        if kind == "cat":
            pct = get(var, lv, op, wtd, "pct")
            if wtd:
                return f"{pct:.1f}%"
            return f"{int(get(var, lv, op, wtd, 'n'))} ({pct:.1f})"
        def num(stat):
            return _fmt_num(get(var, lv, op, wtd, stat))

        if summary == "mean_sd":
            return f"{num('mean')} ({num('sd')})"
        return f"{num('median')} ({num('q1')}-{num('q3')})"

    def colname(op, wtd):
        return GROUPS[op] + (" (weighted)" if wtd else "")

    rows = []
    first = {"Variable": "Number, n (%)", "Level": ""}
    for wtd in versions:
        for op in (0, 1):
            pct = get("op", "", op, wtd, "pct")
            first[colname(op, wtd)] = (f"{pct:.1f}%" if wtd else
                                       f"{int(get('op', '', op, False, 'n'))} ({pct:.2f}%)")
        first["P (design-based)" if wtd else "P"] = ""
    rows.append(first)
    order = list(dict.fromkeys(cells["variable"]))
    for var in order:
        if var == "op":
            continue
        sub = cells[cells["variable"] == var]
        label = sub["label"].iloc[0]
        is_cat = (sub["level"] != "").any()
        levels = list(dict.fromkeys(sub["level"])) if is_cat else [""]
        for i, lv in enumerate(levels):
            if is_cat:
                row = {"Variable": f"{label}, n (%)" if i == 0 else "", "Level": lv}
            else:
                stat = "mean (SD)" if summary == "mean_sd" else "median (Q1-Q3)"
                row = {"Variable": f"{label}, {stat}", "Level": ""}
            for wtd in versions:
                for op in (0, 1):
                    row[colname(op, wtd)] = fmt(var, lv, op, wtd, "cat" if is_cat else "cont")
                row["P (design-based)" if wtd else "P"] = (
                    _fmt_p(p_of.get((var, wtd), np.nan)) if i == 0 else "")
            rows.append(row)
    cols = ["Variable", "Level", colname(0, False), colname(1, False), "P"]
    if weighted:
        cols += [colname(0, True), colname(1, True), "P (design-based)"]
    return pd.DataFrame(rows)[cols]
