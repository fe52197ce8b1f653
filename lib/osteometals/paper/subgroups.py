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
brief's reading) and that footnote set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from osteometals.nhanes.variables import CATEGORIES, METAL_KEYS
from osteometals.paper import regression
from osteometals.paper.models import LOGISTIC_MODELS

__all__ = ["ADJUSTMENTS", "STRATIFIERS", "interaction_table", "stratified_models"]

#: The two stratifiers of Table 4, in its column order.
STRATIFIERS: tuple[str, ...] = ("age_group", "bmi_group")

#: Adjustment sets for Table 4 (the stratifier is always removed).
ADJUSTMENTS: dict[str, tuple[str, ...]] = {
    **LOGISTIC_MODELS,
    "footnote": ("bmi_group", "age_group", "race", "marital", "parent_op", "fracture"),
}

Adjustment = Literal["Model 1", "Model 2", "Model 3", "footnote"]


def stratified_models(
    data: pd.DataFrame,
    stratifiers: Sequence[str] = STRATIFIERS,
    adjustment: Adjustment = "Model 3",
    metals: Sequence[str] = METAL_KEYS,
    weighted: bool = True,
    age_bmi: regression.AgeBmi = "groups",
    **design: str,
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
    weighted : bool
        Design-based (default) or unweighted fits.
    age_bmi : {"groups", "continuous"}
        How age and BMI enter the adjustment (the one stratified on is
        removed in either form).
    **design : str
        Passed to :func:`osteometals.stats.survey.svyglm` (``lonely_psu`` etc.).

    Returns
    -------
    pandas.DataFrame
        Columns of :func:`osteometals.paper.regression.quartile_models` plus
        ``stratifier``, ``stratum`` and ``adjustment``; Q1 rows are the
        reference. ``n`` is the number of women in the stratum used by the fit.
    """
    d = regression.add_quartiles(data, metals)  # whole-cohort cut-points
    covariates = ADJUSTMENTS[adjustment]
    parts = []
    for stratifier in stratifiers:
        for level in CATEGORIES[stratifier]:
            domain = (d[stratifier] == level).to_numpy()
            res = regression.quartile_models(
                d, "op", "binomial", {adjustment: covariates}, metals=metals,
                weighted=weighted, domain=domain, drop=(stratifier,), age_bmi=age_bmi,
                **design)
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
    weighted: bool = True,
    exposure: Literal["quartile", "trend"] = "quartile",
    age_bmi: regression.AgeBmi = "groups",
    **design: str,
) -> pd.DataFrame:
    """P for interaction of each metal with each stratifier.

    Parameters
    ----------
    data : pandas.DataFrame
        The whole analysis cohort.
    stratifiers : sequence of str
        Categorical columns.
    adjustment : {"Model 1", "Model 2", "Model 3", "footnote"}
        Adjustment set, the stratifier removed.
    metals : sequence of str
        Metal columns.
    weighted : bool
        Design-based F test (default) or model-based chi-square test.
    exposure : {"quartile", "trend"}
        Product terms of the quartile indicators (6 df) or of the trend
        score (2 df).
    age_bmi : {"groups", "continuous"}
        How age and BMI enter the adjustment.
    **design : str
        Passed to :func:`osteometals.stats.survey.svyglm`.

    Returns
    -------
    pandas.DataFrame
        Columns ``metal, stratifier, p_interaction, statistic, ndf, ddf,
        method, exposure, adjustment, weighted``.
    """
    d = regression.add_quartiles(data, metals)
    rows = []
    for metal in metals:
        for by in stratifiers:
            test = regression.interaction_test(
                d, metal, by, covariates=ADJUSTMENTS[adjustment], exposure=exposure,
                weighted=weighted, age_bmi=age_bmi, **design)
            rows.append({
                "metal": metal, "stratifier": by, "p_interaction": test.p,
                "statistic": test.statistic, "ndf": test.ndf, "ddf": test.ddf,
                "method": test.method, "exposure": exposure, "adjustment": adjustment,
                "weighted": weighted,
            })
    return pd.DataFrame(rows)
