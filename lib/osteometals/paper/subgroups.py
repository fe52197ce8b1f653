"""Table 4: quartile odds ratios within age and BMI subgroups, and P for interaction.

Built on :mod:`osteometals.paper.regression` (no survey code here):

* **Stratum estimates.** For each stratifier (``age_group``, ``bmi_group``)
  and each of its levels, :func:`osteometals.paper.regression.quartile_models` is
  fitted with the level as a *domain* of the whole design (design-based
  domain estimation, as ``svyglm(..., subset(design, level))``) and the
  stratifier dropped from the adjustment set (it is constant inside the
  stratum). Quartile cut-points are those of the whole cohort, as the
  paper's Table 4 prints the same cut-points as Table 2.
* **P for interaction.** :func:`osteometals.paper.regression.interaction_test`:
  ``op ~ quartile * stratifier + covariates`` on the whole cohort, joint
  design-based Wald F test of the quartile x stratifier product terms
  (3 x 2 = 6 numerator df).

The paper does not say which adjustment set Table 4 uses; its footnote,
copied from the authors' earlier paper, names "Model 1 ... body mass index,
age, race, marital status, history of osteoporosis in parents and history of
previous fractures". :data:`ADJUSTMENTS` offers Model 3 (the default, the
brief's reading) and that footnote set. The other conventions (weighting,
age/BMI, trend score, cycle term) are those of
:class:`osteometals.paper.regression.ModelOptions`.

The display helpers at the end shape the chapter's tables: stratum sizes
beside the paper's, our cells beside the paper's, interval widths, and the
P for interaction beside the paper's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import CATEGORIES, METAL_KEYS
from osteometals.paper import regression
from osteometals.paper.models import LOGISTIC_MODELS
from osteometals.paper.prose import interval_text
from osteometals.paper.regression import ModelOptions

__all__ = [
    "ADJUSTMENTS",
    "STRATIFIERS",
    "ci_widths",
    "interaction_table",
    "interactions_beside_paper",
    "quiet_metals",
    "side_by_side",
    "stratified_models",
    "stratum_sizes",
]

#: The two stratifiers of Table 4, in its column order.
STRATIFIERS: tuple[str, ...] = ("age_group", "bmi_group")

#: Adjustment sets for Table 4 (the stratifier is always removed).
ADJUSTMENTS: dict[str, tuple[str, ...]] = {
    **LOGISTIC_MODELS,
    "footnote": ("bmi_group", "age_group", "race", "marital", "parent_op", "fracture"),
}

Adjustment = Literal["Model 1", "Model 2", "Model 3", "footnote"]


def _covariates(adjustment: str) -> tuple[str, ...]:
    if adjustment not in ADJUSTMENTS:
        raise ValueError(f"adjustment must be one of {', '.join(map(repr, ADJUSTMENTS))}; "
                         f"got {adjustment!r}")
    return ADJUSTMENTS[adjustment]


def stratified_models(
    data: pd.DataFrame,
    stratifiers: Sequence[str] = STRATIFIERS,
    adjustment: Adjustment = "Model 3",
    metals: Sequence[str] = METAL_KEYS,
    *,
    options: ModelOptions | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Quartile odds ratios of osteoporosis within each subgroup (Table 4).

    Parameters
    ----------
    data : pandas.DataFrame
        The whole analysis cohort with its design columns; subgroups are
        domains, never dropped rows.
    stratifiers : sequence of str
        Categorical columns with levels in
        :data:`~osteometals.nhanes.variables.CATEGORIES`.
    adjustment : {"Model 1", "Model 2", "Model 3", "footnote"}
        Adjustment set (:data:`ADJUSTMENTS`), the stratifier removed.
    metals : sequence of str
        Metal columns.
    options, **settings
        Conventions, as :func:`osteometals.paper.regression.quartile_models`.

    Returns
    -------
    pandas.DataFrame
        Columns of :func:`osteometals.paper.regression.quartile_models` plus
        ``stratifier``, ``stratum`` and ``adjustment``; Q1 rows are the
        reference. ``n`` is the number of women in the stratum used by the fit.
    """
    covariates = _covariates(adjustment)
    opts = ModelOptions.of(options, **settings)
    d = regression.add_quartiles(data, metals)  # whole-cohort cut-points
    parts = []
    for stratifier in stratifiers:
        for level in CATEGORIES[stratifier]:
            domain = (d[stratifier] == level).to_numpy()
            res = regression.quartile_models(
                d, "op", "binomial", {adjustment: covariates}, metals, domain=domain,
                drop=(stratifier,), options=opts)
            parts.append(res.assign(stratifier=stratifier, stratum=level,
                                    adjustment=adjustment))
    out = pd.concat(parts, ignore_index=True)
    first = ["metal", "quartile", "stratifier", "stratum"]
    return out[first + [c for c in out.columns if c not in first]]


def interaction_table(
    data: pd.DataFrame,
    stratifiers: Sequence[str] = STRATIFIERS,
    adjustment: Adjustment = "Model 3",
    metals: Sequence[str] = METAL_KEYS,
    exposure: Literal["quartile", "trend"] = "quartile",
    *,
    options: ModelOptions | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """P for interaction of each metal with each stratifier.

    Parameters
    ----------
    data, stratifiers, adjustment, metals
        As :func:`stratified_models`.
    exposure : {"quartile", "trend"}
        Product terms of the quartile indicators (6 df) or of the trend
        score (2 df).
    options, **settings
        Conventions; unweighted fits give model-based chi-square tests.

    Returns
    -------
    pandas.DataFrame
        Columns ``metal, stratifier, p_interaction, statistic, ndf, ddf,
        method, exposure, adjustment, weighted``.
    """
    covariates = _covariates(adjustment)
    opts = ModelOptions.of(options, **settings)
    d = regression.add_quartiles(data, metals)
    rows = []
    for metal in metals:
        for by in stratifiers:
            test = regression.interaction_test(d, metal, by, covariates=covariates,
                                               exposure=exposure, options=opts)
            rows.append({
                "metal": metal, "stratifier": by, "p_interaction": test.p,
                "statistic": test.statistic, "ndf": test.ndf, "ddf": test.ddf,
                "method": test.method, "exposure": exposure, "adjustment": adjustment,
                "weighted": opts.weighted,
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- display


def stratum_sizes(data: pd.DataFrame, paper_table1: pd.DataFrame,
                  stratifiers: Sequence[str] = STRATIFIERS) -> pd.DataFrame:
    """Women and cases per stratum, ours beside the paper's (from its Table 1).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    paper_table1 : pandas.DataFrame
        :func:`osteometals.paper.published.table1`.
    stratifiers : sequence of str
        Stratifying columns.

    Returns
    -------
    pandas.DataFrame
        ``stratifier, stratum, women, osteoporosis, osteoporosis (%),
        paper_women, paper_op``.
    """
    rows = [{"stratifier": by, "stratum": level, "women": len(g),
             "osteoporosis": int(g["op"].sum()),
             "osteoporosis (%)": round(100 * g["op"].mean(), 1)}
            for by in stratifiers for level, g in data.groupby(by, observed=True)]
    t1 = paper_table1[paper_table1["variable"].isin(stratifiers)]
    paper = (t1.assign(cases=t1["n"].where(t1["op"] == 1, 0))
             .groupby(["variable", "level"], sort=False)
             .agg(paper_women=("n", "sum"), paper_op=("cases", "sum")).reset_index()
             .rename(columns={"variable": "stratifier", "level": "stratum"}))
    return pd.DataFrame(rows).merge(paper, on=["stratifier", "stratum"], how="left")


def side_by_side(ours: pd.DataFrame, paper: pd.DataFrame, labels: dict[str, str],
                 strata: Sequence[str]) -> pd.DataFrame:
    """Table 4 as printed: (metal, quartile) rows, (stratum, this book / paper) columns.

    Parameters
    ----------
    ours : pandas.DataFrame
        :func:`stratified_models` output.
    paper : pandas.DataFrame
        :func:`osteometals.paper.published.table4`.
    labels : dict
        Metal key -> row label, in row order.
    strata : sequence of str
        Column order.

    Returns
    -------
    pandas.DataFrame
        String cells "OR (lower, upper), P" (``…`` for a cut-off limit).
    """
    keys = ["metal", "quartile", "stratum"]
    o = ours[ours["quartile"] != "Q1"].set_index(keys)
    p = paper.set_index(keys)

    def cells(frame: pd.DataFrame) -> list[str]:
        return [interval_text(r.estimate, r.ci_lower, r.ci_upper, r.p, digits=2, p_label="",
                              missing="") for r in frame.reindex(p.index).itertuples()]

    side = pd.DataFrame({"this book": cells(o), "paper": cells(p)}, index=p.index)
    wide = side.unstack("stratum")[[(c, s) for s in strata for c in ("this book", "paper")]]
    wide = wide.reindex(pd.MultiIndex.from_product([list(labels), ["Q2", "Q3", "Q4"]]))
    wide.index = pd.MultiIndex.from_tuples([(labels[m], q) for m, q in wide.index],
                                           names=["metal", "quartile"])
    return wide


def ci_widths(ours: pd.DataFrame, paper: pd.DataFrame, strata: Sequence[str]) -> pd.DataFrame:
    """Median width of the log-OR 95% intervals per stratum, ours and the paper's."""
    def width(f: pd.DataFrame) -> pd.Series:
        return (np.log(f["ci_upper"]) - np.log(f["ci_lower"])).groupby(f["stratum"]).median()

    out = pd.DataFrame({"this book": width(ours), "paper": width(paper)}).loc[list(strata)]
    out.index.name = "median width of log-OR 95% CI"
    return out.round(2)


def interactions_beside_paper(ours: pd.DataFrame, paper: pd.DataFrame,
                              symbols: dict[str, str]) -> pd.DataFrame:
    """Our P for interaction (with the test) beside the paper's, metals as symbols."""
    pi = ours.merge(paper, on=["metal", "stratifier"], suffixes=("", "_paper"))
    pi = pi.assign(metal=pi["metal"].map(symbols))
    cols = ["metal", "stratifier", "statistic", "ndf", "ddf", "p_interaction",
            "p_interaction_paper"]
    return pi[cols].round({"statistic": 2, "ddf": 0, "p_interaction": 3})


def quiet_metals(paper_table4: pd.DataFrame, paper_interactions: pd.DataFrame,
                 alpha: float = 0.05) -> list[str]:
    """Metals with a significant published interaction but no stratum cell of note.

    A cell is of note when its P is below ``alpha`` or its interval excludes 1.

    Returns
    -------
    list of str
        Metal keys, in the paper's order.
    """
    t4 = paper_table4[paper_table4["quartile"] != "Q1"]
    noted = (t4["p"] < alpha) | (t4["ci_lower"] > 1) | (t4["ci_upper"] < 1)
    noted_metals = set(t4.loc[noted, "metal"])
    sig = set(paper_interactions.loc[paper_interactions["p_interaction"] < alpha, "metal"])
    return [m for m in METAL_KEYS if m in sig and m not in noted_metals]
