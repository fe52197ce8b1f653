"""The paper's single-metal regression models (Tables 2, 3 and 4).

Each metal is cut into quartiles at the 25th, 50th and 75th percentiles of
the analysis cohort (unweighted, as the paper's cut-points read; a value equal
to a cut-point falls in the lower quartile, as the paper's "Q1 <= 0.25,
Q2 0.26-0.38"). Quartile 1 is the reference. For each metal and adjustment
set the module fits

* the quartile model: ``outcome ~ Q2 + Q3 + Q4 + covariates``;
* the trend model: the median of each quartile entered as one continuous
  term (``P for trend`` is the p-value of that term);
* optionally, the per-SD model: ``ln(metal)`` standardised over the cohort
  (estimate per one SD of ln metal).

Logistic regression (osteoporosis, ``op``) reports odds ratios, linear
regression (BMD) coefficients. Fits are design-based
(:func:`osteometals.stats.survey.svyglm`) by default, or unweighted. Subgroups are
domains of the whole design (``domain=``), never rows dropped.

How age and BMI enter the adjustment is not stated in the paper; by default
as the groups of Table 1 (``age_group``, ``bmi_group``), or as continuous
``age`` and ``bmi`` with ``age_bmi="continuous"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import METAL_KEYS
from osteometals.paper.models import LINEAR_MODELS, LOGISTIC_MODELS
from osteometals.stats import survey
from osteometals.stats.glm import Family
from osteometals.stats.weighted import weighted_quantile

__all__ = [
    "QUARTILES",
    "add_quartiles",
    "adjustment_set",
    "comparison_table",
    "format_p",
    "fit",
    "interaction_test",
    "per_sd_models",
    "quartile_cutpoints",
    "quartile_models",
    "table2",
    "table3",
]

QUARTILES: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")
AgeBmi = Literal["groups", "continuous"]
Mask = pd.Series | np.ndarray | None

_CONTINUOUS = {"age_group": "age", "bmi_group": "bmi"}
TIDY_COLUMNS = [
    "metal", "quartile", "model", "outcome", "estimate", "ci_lower", "ci_upper", "p",
    "p_trend", "n", "weighted",
]


# --------------------------------------------------------------------------- quartiles


def quartile_cutpoints(
    data: pd.DataFrame,
    metals: Sequence[str] = METAL_KEYS,
    weighted: bool = False,
    weight: str = "weight",
) -> pd.DataFrame:
    """Quartile cut-points and the median of each quartile, as a tidy frame.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    metals : sequence of str
        Metal columns.
    weighted : bool
        Survey-weighted percentiles (inverse of the weighted distribution
        function) instead of the unweighted ones (numpy's default linear
        interpolation, R's ``quantile`` type 7).
    weight : str
        Weight column, used when ``weighted``.

    Returns
    -------
    pandas.DataFrame
        One row per metal and quartile: ``metal, quartile, lower, upper,
        median, n, weighted``. ``lower`` is the previous cut-point (exclusive;
        NaN for Q1), ``upper`` the cut-point (inclusive; NaN for Q4);
        ``median`` is the (unweighted) median of the metal in the quartile,
        the score of the trend test; ``n`` the women in the quartile.
    """
    rows = []
    for m in metals:
        x = data[m].to_numpy(dtype=float)
        ok = np.isfinite(x)
        if weighted:
            w = data[weight].to_numpy(dtype=float)
            cuts = [float(c) for c in weighted_quantile(x[ok], w[ok], [0.25, 0.5, 0.75])]
        else:
            cuts = list(np.quantile(x[ok], [0.25, 0.5, 0.75]))
        q = _cut(data[m], cuts)
        bounds = [np.nan, *cuts, np.nan]
        for i, label in enumerate(QUARTILES):
            inside = x[(q == label).to_numpy()]
            rows.append(
                {
                    "metal": m,
                    "quartile": label,
                    "lower": bounds[i],
                    "upper": bounds[i + 1],
                    "median": float(np.median(inside)) if len(inside) else np.nan,
                    "n": int(len(inside)),
                    "weighted": weighted,
                }
            )
    return pd.DataFrame(rows)


def _cut(x: pd.Series, cuts: Sequence[float]) -> pd.Series:
    if len(set(cuts)) < 3:
        raise ValueError(f"cut-points {cuts} of {x.name} are not distinct; quartiles undefined")
    return pd.cut(x, [-np.inf, *cuts, np.inf], right=True, labels=list(QUARTILES))


def add_quartiles(
    data: pd.DataFrame,
    metals: Sequence[str] = METAL_KEYS,
    cutpoints: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Add quartile, trend-score and per-SD columns for each metal.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    metals : sequence of str
        Metal columns.
    cutpoints : pandas.DataFrame, optional
        From :func:`quartile_cutpoints`; default: unweighted cut-points of
        ``data`` itself.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, per metal ``m``: ``m_q`` (Categorical Q1-Q4,
        Q1 reference), ``m_qmed`` (median of the woman's quartile, the trend
        score) and ``m_lnsd`` (ln metal standardised to mean 0, SD 1 over
        ``data``).
    """
    if cutpoints is None:
        cutpoints = quartile_cutpoints(data, metals)
    out = data.copy()
    for m in metals:
        cp = cutpoints[cutpoints["metal"] == m].set_index("quartile")
        q = _cut(out[m], cp.loc[["Q1", "Q2", "Q3"], "upper"].tolist())
        out[f"{m}_q"] = pd.Categorical(q.astype(object), categories=list(QUARTILES))
        out[f"{m}_qmed"] = q.astype(object).map(cp["median"].to_dict()).astype(float)
        ln = np.log(out[m].astype(float))
        out[f"{m}_lnsd"] = (ln - ln.mean()) / ln.std(ddof=1)
    return out


# --------------------------------------------------------------------------- models


def adjustment_set(
    covariates: Iterable[str], age_bmi: AgeBmi = "groups", drop: Iterable[str] = ()
) -> list[str]:
    """The covariates of one model after the age/BMI choice and removals.

    Parameters
    ----------
    covariates : iterable of str
        An adjustment set from :mod:`osteometals.nhanes.variables`.
    age_bmi : {"groups", "continuous"}
        Keep ``age_group`` / ``bmi_group`` or replace them by ``age`` / ``bmi``.
    drop : iterable of str
        Covariates to remove (e.g. the stratifier of a subgroup analysis);
        ``"age_group"`` also removes ``"age"`` and vice versa, likewise BMI.

    Returns
    -------
    list of str
    """
    if age_bmi not in ("groups", "continuous"):
        raise ValueError(f"age_bmi must be 'groups' or 'continuous', got {age_bmi!r}")
    dropped = set(drop)
    for group, cont in _CONTINUOUS.items():
        if group in dropped or cont in dropped:
            dropped |= {group, cont}
    out = []
    for c in covariates:
        if c in dropped:
            continue
        out.append(_CONTINUOUS.get(c, c) if age_bmi == "continuous" else c)
    return out


def fit(
    data: pd.DataFrame,
    outcome: str,
    exposure: str | Sequence[str],
    covariates: Sequence[str] = (),
    family: Family = "binomial",
    weighted: bool = True,
    domain: Mask = None,
    **design: str,
) -> survey.GLMResult:
    """Fit ``outcome ~ exposure + covariates``, design-based or unweighted.

    Parameters
    ----------
    data : pandas.DataFrame
        The whole cohort (with the design columns).
    outcome : str
        Response column.
    exposure : str or sequence of str
        Exposure term(s), e.g. ``"cd_q"`` or ``"cd_q * age_group"``.
    covariates : sequence of str
        Adjustment terms.
    family : {"binomial", "gaussian"}
        Logistic or linear regression.
    weighted : bool
        Design-based (:func:`~osteometals.stats.survey.svyglm`) or ordinary GLM.
    domain : boolean mask, optional
        Subpopulation; the design stays whole.
    **design : str
        ``weight``, ``stratum``, ``psu``, ``lonely_psu`` for :func:`svyglm`.

    Returns
    -------
    osteometals.stats.survey.GLMResult
    """
    terms = [exposure] if isinstance(exposure, str) else list(exposure)
    formula = f"{outcome} ~ " + " + ".join([*terms, *covariates])
    if weighted:
        return survey.svyglm(formula, data, family, domain=domain, **design)
    return survey.glm(formula, data, family, domain=domain)


def _prepare(data: pd.DataFrame, metals: Sequence[str]) -> pd.DataFrame:
    missing = [m for m in metals if f"{m}_q" not in data.columns]
    return add_quartiles(data, missing) if missing else data


def _models_and_metals(
    models: Mapping[str, Sequence[str]],
    metals: Sequence[str],
    age_bmi: AgeBmi,
    drop: Iterable[str],
) -> Iterator[tuple[str, list[str], str]]:
    """Each model with its adjustment set, crossed with each metal.

    Parameters
    ----------
    models : mapping
        Model name -> adjustment set.
    metals : sequence of str
        Metal columns.
    age_bmi, drop
        As :func:`adjustment_set`.

    Yields
    ------
    tuple of (str, list of str, str)
        ``(model, covariates, metal)``, models in the outer loop.
    """
    for model, covs in models.items():
        adj = adjustment_set(covs, age_bmi, drop)
        for m in metals:
            yield model, adj, m


def _tidy_row(
    metal: str,
    quartile: str,
    model: str,
    coef: Mapping[str, float],
    p_trend: float,
    n: int,
) -> dict[str, object]:
    """One row of the tidy model output, without ``outcome`` and ``weighted``.

    Parameters
    ----------
    metal, quartile, model : str
        Labels of the row.
    coef : mapping
        ``estimate``, ``ci_lower``, ``ci_upper`` and ``p`` of the term (a row
        of :meth:`osteometals.stats.survey.GLMResult.frame`, or the reference quartile's values).
    p_trend : float
        P for trend of the metal in this model.
    n : int
        Observations used by the fit.

    Returns
    -------
    dict
    """
    return {"metal": metal, "quartile": quartile, "model": model,
            "estimate": coef["estimate"], "ci_lower": coef["ci_lower"],
            "ci_upper": coef["ci_upper"], "p": coef["p"], "p_trend": p_trend, "n": n}


def _tidy_frame(rows: list[dict[str, object]], outcome: str, weighted: bool) -> pd.DataFrame:
    """Rows of :func:`_tidy_row` as a frame with the columns :data:`TIDY_COLUMNS`.

    Parameters
    ----------
    rows : list of dict
        From :func:`_tidy_row`.
    outcome : str
        Response column, written to every row.
    weighted : bool
        Whether the fits were design-based, written to every row.

    Returns
    -------
    pandas.DataFrame
    """
    out = pd.DataFrame(rows)
    out["outcome"] = outcome
    out["weighted"] = weighted
    return out[TIDY_COLUMNS]


def quartile_models(
    data: pd.DataFrame,
    outcome: str,
    family: Family,
    models: Mapping[str, Sequence[str]],
    metals: Sequence[str] = METAL_KEYS,
    weighted: bool = True,
    domain: Mask = None,
    drop: Iterable[str] = (),
    age_bmi: AgeBmi = "groups",
    alpha: float = 0.05,
    **design: str,
) -> pd.DataFrame:
    """Quartile estimates (Q1 reference) and P for trend, one metal at a time.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort; quartile columns are added (cut-points from
        ``data``, not from the domain) unless already present
        (:func:`add_quartiles`).
    outcome : str
        ``"op"`` (with ``family="binomial"``) or a BMD column.
    family : {"binomial", "gaussian"}
        Logistic (estimates are odds ratios) or linear (betas).
    models : mapping
        Model name -> adjustment set, e.g. :data:`models.LOGISTIC_MODELS`.
    metals : sequence of str
        Metal columns.
    weighted : bool
        Design-based (default) or unweighted fits.
    domain : boolean mask, optional
        Subgroup (Table 4); the design stays whole.
    drop : iterable of str
        Covariates removed from every adjustment set (see :func:`adjustment_set`).
    age_bmi : {"groups", "continuous"}
        How age and BMI enter the adjustment.
    alpha : float
        One minus the confidence level.
    **design : str
        Design column names / ``lonely_psu`` for :func:`svyglm`.

    Returns
    -------
    pandas.DataFrame
        Columns ``metal, quartile, model, outcome, estimate, ci_lower,
        ci_upper, p, p_trend, n, weighted``; one row per metal, model and
        quartile, Q1 included as the reference (estimate 1 or 0, no CI).
    """
    d = _prepare(data, metals)
    ratio = family == "binomial"
    reference = {"estimate": 1.0 if ratio else 0.0, "ci_lower": np.nan, "ci_upper": np.nan,
                 "p": np.nan}
    rows = []
    for model, adj, m in _models_and_metals(models, metals, age_bmi, drop):
        res = fit(d, outcome, f"{m}_q", adj, family, weighted, domain, **design)
        trend = fit(d, outcome, f"{m}_qmed", adj, family, weighted, domain, **design)
        p_trend = float(trend.pvalues[f"{m}_qmed"])
        tab = res.frame(alpha, exponentiate=ratio).set_index("term")
        rows.append(_tidy_row(m, "Q1", model, reference, p_trend, res.nobs))
        for q in QUARTILES[1:]:
            rows.append(_tidy_row(m, q, model, tab.loc[f"{m}_q[T.{q}]"], p_trend, res.nobs))
    return _tidy_frame(rows, outcome, weighted)


def per_sd_models(
    data: pd.DataFrame,
    outcome: str,
    family: Family,
    models: Mapping[str, Sequence[str]],
    metals: Sequence[str] = METAL_KEYS,
    weighted: bool = True,
    domain: Mask = None,
    drop: Iterable[str] = (),
    age_bmi: AgeBmi = "groups",
    alpha: float = 0.05,
    **design: str,
) -> pd.DataFrame:
    """Estimate per one-SD increase of ln(metal) (SD over ``data``).

    Parameters are those of :func:`quartile_models`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`quartile_models` with ``quartile = "per SD"``
        and ``p_trend`` equal to ``p`` (the continuous term is the trend).
    """
    d = _prepare(data, metals)
    ratio = family == "binomial"
    rows = []
    for model, adj, m in _models_and_metals(models, metals, age_bmi, drop):
        res = fit(d, outcome, f"{m}_lnsd", adj, family, weighted, domain, **design)
        r = res.frame(alpha, exponentiate=ratio).set_index("term").loc[f"{m}_lnsd"]
        rows.append(_tidy_row(m, "per SD", model, r, r["p"], res.nobs))
    return _tidy_frame(rows, outcome, weighted)


def interaction_test(
    data: pd.DataFrame,
    metal: str,
    by: str,
    outcome: str = "op",
    family: Family = "binomial",
    covariates: Sequence[str] = LOGISTIC_MODELS["Model 3"],
    exposure: Literal["quartile", "trend"] = "quartile",
    weighted: bool = True,
    age_bmi: AgeBmi = "groups",
    **design: str,
) -> survey.WaldTest:
    """Wald test of the metal x subgroup interaction (P for interaction).

    Fits ``outcome ~ exposure * by + covariates`` (``by`` removed from the
    covariates) on the whole cohort and tests all interaction coefficients
    jointly (design-based F test, as ``regTermTest``).

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    metal : str
        Metal column.
    by : str
        Categorical stratifier, e.g. ``"age_group"``.
    outcome, family, covariates, weighted, age_bmi, **design
        As :func:`quartile_models`.
    exposure : {"quartile", "trend"}
        Quartiles as categories (3 x (levels-1) df) or the trend score (levels-1 df).

    Returns
    -------
    osteometals.stats.survey.WaldTest
    """
    d = _prepare(data, [metal])
    x = f"{metal}_q" if exposure == "quartile" else f"{metal}_qmed"
    adj = adjustment_set(covariates, age_bmi, drop=(by,))
    res = fit(d, outcome, f"{x} * {by}", adj, family, weighted, **design)
    term = next(t for t in res.terms if set(t.split(":")) == {x, by})
    return res.wald_test(term)


def table2(data: pd.DataFrame, weighted: bool = True, age_bmi: AgeBmi = "groups",
           **kwargs) -> pd.DataFrame:
    """Table 2: odds ratios of osteoporosis by metal quartile, Models 1-3.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    weighted : bool
        Design-based (default) or unweighted.
    age_bmi : {"groups", "continuous"}
        How age and BMI enter the adjustment.
    **kwargs
        Passed to :func:`quartile_models`.

    Returns
    -------
    pandas.DataFrame
        Tidy, as :func:`quartile_models`.
    """
    return quartile_models(data, "op", "binomial", LOGISTIC_MODELS, weighted=weighted,
                           age_bmi=age_bmi, **kwargs)


def table3(data: pd.DataFrame, weighted: bool = True, age_bmi: AgeBmi = "groups",
           outcomes: Sequence[str] = ("bmd_femur", "bmd_neck", "bmd_spine"),
           **kwargs) -> pd.DataFrame:
    """Table 3: BMD differences (beta) by metal quartile, Models 1-2, three sites.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort.
    weighted : bool
        Design-based (default) or unweighted.
    age_bmi : {"groups", "continuous"}
        How age and BMI enter the adjustment.
    outcomes : sequence of str
        BMD columns.
    **kwargs
        Passed to :func:`quartile_models`.

    Returns
    -------
    pandas.DataFrame
        Tidy, as :func:`quartile_models`, all outcomes stacked.
    """
    return pd.concat(
        [quartile_models(data, o, "gaussian", LINEAR_MODELS, weighted=weighted,
                         age_bmi=age_bmi, **kwargs) for o in outcomes],
        ignore_index=True,
    )


# --------------------------------------------------------------------------- display


def format_p(p: float) -> str:
    """A P-value as printed in the tables: three decimals, ``<0.001`` below that."""
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.0005 else f"{p:.3f}"


def _cell(r: pd.Series, ratio: bool, digits: int) -> str:
    if not np.isfinite(r["estimate"]):
        return ""
    if r["quartile"] == "Q1":
        return "Reference"
    if ratio:
        ci = (f" ({r['ci_lower']:.{digits}f}, {r['ci_upper']:.{digits}f})"
              if np.isfinite(r["ci_lower"]) else "")
        return f"{r['estimate']:.{digits}f}{ci}; p={format_p(r['p'])}"
    return f"{r['estimate']:.{digits}f} ({format_p(r['p'])})"


def comparison_table(
    ours: pd.DataFrame,
    published: pd.DataFrame,
    columns: Sequence[str] = ("model",),
    ratio: bool = True,
    digits: int = 3,
) -> pd.DataFrame:
    """The paper's table layout with our estimates beside the published ones.

    Parameters
    ----------
    ours : pandas.DataFrame
        Tidy output of :func:`quartile_models` (Q1 rows included).
    published : pandas.DataFrame
        :func:`osteometals.paper.published.table2` or ``table3`` (no Q1 rows).
    columns : sequence of str
        Columns of the tidy frames that become table columns, e.g.
        ``("model",)`` for Table 2 or ``("outcome", "model")`` for Table 3.
    ratio : bool
        Cells "OR (CI); p" (True) or "beta (p)" (False).
    digits : int
        Decimals of estimates.

    Returns
    -------
    pandas.DataFrame
        Rows (metal, quartile) with a "P for trend" row per metal; columns
        (*columns, source) with source "ours" / "paper"; string cells.
    """
    cols = list(columns)
    pub = published.copy()
    q1 = pub.drop_duplicates(["metal", *cols]).assign(quartile="Q1")
    pub = pd.concat([pub, q1], ignore_index=True)
    frames = []
    for source, frame in (("ours", ours), ("paper", pub)):
        f = frame.copy()
        f["cell"] = [_cell(r, ratio, digits) for _, r in f.iterrows()]
        trend = f.drop_duplicates(["metal", *cols]).assign(
            quartile="P for trend", cell=lambda x: x["p_trend"].map(format_p))
        f = pd.concat([f, trend], ignore_index=True)
        f["source"] = source
        frames.append(f[["metal", "quartile", *cols, "source", "cell"]])
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(index=["metal", "quartile"], columns=[*cols, "source"],
                            values="cell", aggfunc="first")
    metal_order = [m for m in METAL_KEYS if m in set(long["metal"])]
    order = pd.MultiIndex.from_product([metal_order, [*QUARTILES, "P for trend"]])
    return wide.reindex(order).fillna("")
