"""What the survey design does to one coefficient: the teaching tables of chapters 3 and 4.

Two comparisons, each for one term of one model:

* :func:`se_decomposition`: the same coefficient unweighted, weighted as if
  the women were independent, and design-based (weights, strata, PSUs), with
  the design effect and the degrees of freedom;
* :func:`domain_vs_subset`: a subgroup analysed as a domain of the whole
  design against the same subgroup with the other rows dropped first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from osteometals.paper.regression import fit
from osteometals.stats import survey
from osteometals.stats.survey import Family

__all__ = ["design_facts", "domain_vs_subset", "n_columns", "se_decomposition"]

_ESTIMATE = {"binomial": "log OR", "gaussian": "β"}


def se_decomposition(data: pd.DataFrame, outcome: str, exposure: str, covariates: Sequence[str],
                     term: str, family: Family = "binomial") -> pd.DataFrame:
    """One coefficient three ways: unweighted, weighted as if independent, design-based.

    Parameters
    ----------
    data : pandas.DataFrame
        The cohort with its design columns and the exposure column.
    outcome, exposure : str
        Response and exposure term (e.g. ``"op"``, ``"cd_q"``).
    covariates : sequence of str
        Adjustment set.
    term : str
        The coefficient, e.g. ``"cd_q[T.Q4]"``.
    family : {"binomial", "gaussian"}
        Logistic or linear model.

    Returns
    -------
    pandas.DataFrame
        Rows "unweighted, independent women", "weighted, as if independent",
        "weighted, strata and PSUs"; columns ``analysis``, the estimate
        (``log OR`` or ``β``), ``SE``, ``df`` (text: ``"∞ (normal)"`` where the
        normal is the reference) and, for a logistic model, ``OR``.
    """
    unw = fit(data, outcome, exposure, covariates, family, weighted=False)
    svy = fit(data, outcome, exposure, covariates, family, weighted=True)
    naive_se = float(np.sqrt(svy.naive_cov.loc[term, term]))

    def df_text(res: survey.GLMResult) -> str:
        return "∞ (normal)" if np.isinf(res.df_resid) else f"{res.df_resid:.0f}"

    out = pd.DataFrame({
        "analysis": ["unweighted, independent women", "weighted, as if independent",
                     "weighted, strata and PSUs"],
        _ESTIMATE[family]: [unw.params[term], svy.params[term], svy.params[term]],
        "SE": [unw.bse[term], naive_se, svy.bse[term]],
        "df": [df_text(unw), "∞ (normal)" if family == "binomial" else "-", df_text(svy)],
    })
    if family == "binomial":
        out["OR"] = np.exp(out["log OR"])
    return out


def design_facts(data: pd.DataFrame, res: survey.GLMResult, term: str) -> dict[str, float]:
    """Numbers the chapters quote about a design-based fit and the cohort's design.

    Returns
    -------
    dict
        ``deff`` (design effect of ``term``), ``deff_min`` / ``deff_max``
        (over the model's coefficients), ``naive_se``, ``se``, ``n_psu``,
        ``n_strata``, ``design_df`` (PSUs minus strata of the fit) and
        ``df_resid`` (the t tests' degrees of freedom).
    """
    deff = res.design_effect()
    return {
        "deff": float(deff[term]), "deff_min": float(deff.min()), "deff_max": float(deff.max()),
        "naive_se": float(np.sqrt(res.naive_cov.loc[term, term])), "se": float(res.bse[term]),
        "n_psu": len(data[["stratum", "psu"]].drop_duplicates()),
        "n_strata": int(data["stratum"].nunique()),
        "design_df": int(res.design_df), "df_resid": float(res.df_resid),
    }


def domain_vs_subset(data: pd.DataFrame, outcome: str, exposure: str,
                     covariates: Sequence[str], term: str,
                     subgroups: Sequence[tuple[str, str]],
                     family: Family = "binomial") -> pd.DataFrame:
    """A coefficient in subgroups: the whole design kept (domain) or the rows dropped.

    Parameters
    ----------
    data : pandas.DataFrame
        The cohort with its design columns and the exposure column.
    outcome, exposure, covariates, term, family
        As :func:`se_decomposition`.
    subgroups : sequence of (column, level)
        E.g. ``[("age_group", ">70"), ("race", "Mexican American")]``.

    Returns
    -------
    pandas.DataFrame
        One row per subgroup: ``subgroup``, ``women``, ``PSUs without
        members``, the estimate (``OR`` of a logistic model, else ``β``),
        ``SE, domain``, ``SE, rows dropped`` (of the log OR or β) and
        ``dropping rows`` (the subset fit falls back to
        ``lonely_psu="certainty"`` when dropping rows leaves a stratum with
        one PSU).
    """
    n_psu = len(data[["stratum", "psu"]].drop_duplicates())
    rows = []
    for column, level in subgroups:
        inside = data[column] == level
        dom = fit(data, outcome, exposure, covariates, family, domain=inside)
        try:
            dropped = fit(data[inside], outcome, exposure, covariates, family)
            note = "-"
        except survey.LonelyPSUError:
            dropped = fit(data[inside], outcome, exposure, covariates, family,
                          lonely_psu="certainty")
            note = "lonely PSUs (refitted as certainty)"
        rows.append({
            "subgroup": f"{column} = {level}", "women": int(inside.sum()),
            "PSUs without members": n_psu - len(data.loc[inside, ["stratum", "psu"]]
                                                .drop_duplicates()),
            ("OR" if family == "binomial" else "β"): (
                np.exp(dom.params[term]) if family == "binomial" else dom.params[term]),
            "SE, domain": dom.bse[term], "SE, rows dropped": dropped.bse[term],
            "dropping rows": note,
        })
    return pd.DataFrame(rows)


def n_columns(data: pd.DataFrame, covariates: Sequence[str]) -> int:
    """Model columns (degrees of freedom) the covariates take: levels - 1 per categorical.

    Raises
    ------
    KeyError
        If a covariate is not a column of ``data``.
    """
    total = 0
    for c in covariates:
        col = data[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            total += len(col.cat.categories) - 1
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            total += 1
        else:
            total += col.nunique() - 1
    return total
