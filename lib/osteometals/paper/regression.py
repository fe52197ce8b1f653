"""The paper's single-metal regression models (Tables 2, 3 and 4).

Each metal is cut into quartiles at the 25th, 50th and 75th percentiles of
the analysis cohort (unweighted, as the paper's cut-points read; a value equal
to a cut-point falls in the lower quartile, as the paper's "Q1 <= 0.25,
Q2 0.26-0.38"). Quartile 1 is the reference. For each metal and adjustment
set the module fits

* the quartile model: ``outcome ~ Q2 + Q3 + Q4 + covariates``;
* the trend model: a score of each quartile entered as one continuous term
  (``P for trend`` is the p-value of that term; the score is a convention,
  :attr:`ModelOptions.trend_score`);
* optionally, the per-SD model: ``ln(metal)`` standardised over the cohort
  (estimate per one SD of ln metal).

Logistic regression (osteoporosis, ``op``) reports odds ratios, linear
regression (BMD) coefficients in the outcome's unit and, beside them, the
standardised coefficients (SPSS's "Beta", :mod:`osteometals.stats.standardise`).
Fits are design-based (:func:`osteometals.stats.survey.svyglm`) by default, or
unweighted. Subgroups are domains of the whole design (``domain=``), never
rows dropped.

The paper leaves several conventions open; each is a field of
:class:`ModelOptions` with a default, and every model function takes either
``options=ModelOptions(...)`` or the fields as keywords
(``quartile_models(..., weighted=False, trend_score="rank")``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import METAL_KEYS
from osteometals.paper.models import LINEAR_MODELS, LOGISTIC_MODELS
from osteometals.stats import survey
from osteometals.stats.glm import Family
from osteometals.stats.standardise import standardised_coefficients
from osteometals.stats.weighted import weighted_quantile

__all__ = [
    "CYCLE",
    "QUARTILES",
    "STANDARDISED_COLUMNS",
    "TIDY_COLUMNS",
    "TREND_SCORES",
    "ModelOptions",
    "add_quartiles",
    "adjustment_set",
    "comparison_table",
    "fit",
    "format_p",
    "interaction_test",
    "per_sd_models",
    "quartile_cutpoints",
    "quartile_models",
    "table2",
    "table3",
    "trend_column",
]

QUARTILES: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")
AgeBmi = Literal["groups", "continuous"]
TrendScore = Literal["median", "ln_median", "rank"]
Mask = pd.Series | np.ndarray | None

#: Trend score -> suffix of its column in :func:`add_quartiles` (``cd_qmed`` ...).
TREND_SCORES: dict[str, str] = {"median": "qmed", "ln_median": "qlnmed", "rank": "qrank"}
#: The cohort column with the NHANES cycle, the covariate added by ``cycle_term``.
CYCLE = "cycle"

_CONTINUOUS = {"age_group": "age", "bmi_group": "bmi"}
TIDY_COLUMNS = [
    "metal", "quartile", "model", "outcome", "estimate", "ci_lower", "ci_upper", "p",
    "p_trend", "n", "weighted", "se",
]
#: Columns linear models add: the standardised coefficient, its SE and interval.
STANDARDISED_COLUMNS = ["std_estimate", "std_se", "std_ci_lower", "std_ci_upper"]


def _choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


@dataclass(frozen=True)
class ModelOptions:
    """The conventions of the paper's regression models, each with its default.

    Attributes
    ----------
    weighted : bool, default True
        Design-based fits (weights, strata and PSUs; the paper: estimates
        "obtained through data weighting ... examined through layering and
        clustering") or ordinary, unweighted GLMs.
    age_bmi : {"groups", "continuous"}, default "groups"
        Age and BMI in the adjustment as the groups of the paper's Table 1
        (the paper does not say; our reading) or as continuous ``age`` and ``bmi``.
    trend_score : {"median", "ln_median", "rank"}, default "median"
        The score each woman's quartile gets in the P-for-trend model
        (category scores entered as one continuous term; Greenland 1995,
        Epidemiology 6:356, discusses the choice). ``"median"``: the median of
        the metal in the quartile, on its raw scale, the usual choice in
        NHANES papers and the book's reading of the paper. ``"ln_median"``:
        the natural log of that median, since the paper's Methods state that
        "all the exposures were ln-transformed before analysis"; with
        right-skewed metals (Hg, Cd) it keeps the top quartile from
        dominating the test. ``"rank"``: 0, 1, 2, 3, the equally spaced scores
        of the Cochran-Armitage trend test (Armitage 1955, Biometrics 11:375).
    cycle_term : bool, default False
        Add the NHANES cycle (2013-2014 or 2017-2020, column ``cycle``) to
        every adjustment set. The paper pools two cycles with no such term
        (its Methods list the covariates); pooling assumes the outcome's level
        is the same in both, and blood Se and Pb do differ between them.
    alpha : float, default 0.05
        One minus the confidence level of the intervals.
    lonely_psu : {"fail", "certainty", "remove", "adjust"}, default "fail"
        Passed to :func:`osteometals.stats.survey.svyglm`.
    design_df : {"r_survey", "psu_minus_strata"}, default "r_survey"
        Degrees of freedom of the design-based t intervals and tests
        (:mod:`osteometals.stats.design`): R ``survey``'s ``svyglm`` (PSUs
        minus strata, minus the number of coefficients, plus one; the book's
        reading) or PSUs minus strata whatever the model, as SUDAAN, SAS and
        Stata's ``svy`` do and the NCHS analytic guidelines describe.
    """

    weighted: bool = True
    age_bmi: AgeBmi = "groups"
    trend_score: TrendScore = "median"
    cycle_term: bool = False
    alpha: float = 0.05
    lonely_psu: survey.LonelyPSU = "fail"
    design_df: survey.DesignDF = "r_survey"

    def __post_init__(self) -> None:
        _choice("age_bmi", self.age_bmi, ("groups", "continuous"))
        _choice("trend_score", self.trend_score, TREND_SCORES)
        _choice("lonely_psu", self.lonely_psu, ("fail", "certainty", "remove", "adjust"))
        _choice("design_df", self.design_df, survey.DESIGN_DF)
        for name in ("weighted", "cycle_term"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1); got {self.alpha!r}")

    @classmethod
    def of(cls, options: ModelOptions | None = None, **fields: Any) -> ModelOptions:
        """``options`` (default: the defaults) with some fields replaced.

        Raises
        ------
        TypeError
            If a keyword is not a field (the message lists the fields).
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(f"unknown model option(s) {sorted(unknown)}; the options are "
                            f"{sorted(known)}")
        return dataclasses.replace(options or cls(), **fields)

    @property
    def design(self) -> dict[str, Any]:
        """Keywords for :func:`fit` beyond ``weighted``."""
        if not self.weighted:
            return {}
        return {"lonely_psu": self.lonely_psu, "df": self.design_df}


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
        the basis of the trend scores; ``n`` the women in the quartile.
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
            rows.append({"metal": m, "quartile": label, "lower": bounds[i],
                         "upper": bounds[i + 1],
                         "median": float(np.median(inside)) if len(inside) else np.nan,
                         "n": int(len(inside)), "weighted": weighted})
    return pd.DataFrame(rows)


def _cut(x: pd.Series, cuts: Sequence[float]) -> pd.Series:
    if len(set(cuts)) < 3:
        raise ValueError(f"cut-points {cuts} of {x.name} are not distinct; quartiles undefined")
    return pd.cut(x, [-np.inf, *cuts, np.inf], right=True, labels=list(QUARTILES))


def trend_column(metal: str, trend_score: TrendScore = "median") -> str:
    """The column of :func:`add_quartiles` holding ``metal``'s trend score.

    Raises
    ------
    ValueError
        If ``trend_score`` is not one of :data:`TREND_SCORES`.
    """
    _choice("trend_score", trend_score, TREND_SCORES)
    return f"{metal}_{TREND_SCORES[trend_score]}"


def add_quartiles(data: pd.DataFrame, metals: Sequence[str] = METAL_KEYS,
                  cutpoints: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add quartile, trend-score and per-SD columns for each metal.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis cohort, with a column per metal of ``metals``.
    metals : sequence of str
        The metals to cut into quartiles.
    cutpoints : pandas.DataFrame, optional
        From :func:`quartile_cutpoints`; default: unweighted cut-points of
        ``data`` itself.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, per metal ``m``: ``m_q`` (Categorical Q1-Q4,
        Q1 reference); the three trend scores of :class:`ModelOptions`
        (``m_qmed``, the median of the woman's quartile; ``m_qlnmed``, its
        natural log; ``m_qrank``, 0-3); and ``m_lnsd`` (ln metal standardised
        to mean 0, SD 1 over ``data``).
    """
    if cutpoints is None:
        cutpoints = quartile_cutpoints(data, metals)
    out = data.copy()
    for m in metals:
        cp = cutpoints[cutpoints["metal"] == m].set_index("quartile")
        q = _cut(out[m], cp.loc[["Q1", "Q2", "Q3"], "upper"].tolist())
        out[f"{m}_q"] = pd.Categorical(q.astype(object), categories=list(QUARTILES))
        median = q.astype(object).map(cp["median"].to_dict()).astype(float)
        out[trend_column(m, "median")] = median
        out[trend_column(m, "ln_median")] = np.log(median)
        out[trend_column(m, "rank")] = out[f"{m}_q"].cat.codes.where(q.notna()).astype(float)
        ln = np.log(out[m].astype(float))
        out[f"{m}_lnsd"] = (ln - ln.mean()) / ln.std(ddof=1)
    return out


# --------------------------------------------------------------------------- models


def adjustment_set(
    covariates: Iterable[str],
    age_bmi: AgeBmi = "groups",
    drop: Iterable[str] = (),
    cycle_term: bool = False,
) -> list[str]:
    """The covariates of one model after the age/BMI choice, the cycle term and removals.

    Parameters
    ----------
    covariates : iterable of str
        An adjustment set from :mod:`osteometals.paper.models`.
    age_bmi : {"groups", "continuous"}
        Keep ``age_group`` / ``bmi_group`` or replace them by ``age`` / ``bmi``.
    drop : iterable of str
        Covariates to remove (e.g. the stratifier of a subgroup analysis);
        ``"age_group"`` also removes ``"age"`` and vice versa, likewise BMI.
    cycle_term : bool
        Append the NHANES cycle (:data:`CYCLE`) unless it is dropped.

    Returns
    -------
    list of str
    """
    _choice("age_bmi", age_bmi, ("groups", "continuous"))
    dropped = set(drop)
    for group, cont in _CONTINUOUS.items():
        if group in dropped or cont in dropped:
            dropped |= {group, cont}
    out = [_CONTINUOUS.get(c, c) if age_bmi == "continuous" else c
           for c in covariates if c not in dropped]
    if cycle_term and CYCLE not in dropped and CYCLE not in out:
        out.append(CYCLE)
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
        ``weight``, ``stratum``, ``psu``, ``lonely_psu``, ``df`` for :func:`svyglm`.

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


def _fits(
    d: pd.DataFrame,
    outcome: str,
    family: Family,
    models: Mapping[str, Sequence[str]],
    metals: Sequence[str],
    exposure: str,
    domain: Mask,
    drop: Iterable[str],
    opts: ModelOptions,
) -> Iterator[tuple[str, str, list[str], survey.GLMResult]]:
    """Fit ``outcome ~ <metal><exposure> + covariates`` for every model and metal.

    Yields
    ------
    tuple of (str, str, list of str, GLMResult)
        ``(model, metal, covariates, fit)``, models in the outer loop.
    """
    for model, covs in models.items():
        adj = adjustment_set(covs, opts.age_bmi, drop, opts.cycle_term)
        for m in metals:
            yield model, m, adj, fit(d, outcome, f"{m}{exposure}", adj, family, opts.weighted,
                                     domain, **opts.design)


def _used_rows(d: pd.DataFrame, columns: Sequence[str], domain: Mask,
               weighted: bool) -> np.ndarray:
    """Rows a fit uses: complete in ``columns``, inside the domain, positive weight."""
    used = d[list(columns)].notna().all(axis=1).to_numpy()
    if domain is not None:
        used = used & np.asarray(domain, dtype=bool)
    if weighted:
        used = used & (d["weight"].to_numpy(dtype=float) > 0)
    return used


def _standardised(d: pd.DataFrame, res: survey.GLMResult, outcome: str, exposure: str,
                  covariates: Sequence[str], domain: Mask, opts: ModelOptions) -> pd.DataFrame:
    """Standardised coefficients of the exposure's columns (weighted SDs if design-based)."""
    used = _used_rows(d, [outcome, exposure, *covariates], domain, opts.weighted)
    if used.sum() != res.nobs:
        raise RuntimeError(f"standardising over {used.sum()} rows, the fit used {res.nobs}")
    x = d.loc[used, exposure]
    if isinstance(x.dtype, pd.CategoricalDtype):
        X = pd.DataFrame({f"{exposure}[T.{lev}]": (x == lev).astype(float)
                          for lev in x.cat.categories[1:]})
    else:
        X = x.astype(float).to_frame(exposure)
    w = d.loc[used, "weight"] if opts.weighted else None
    std = standardised_coefficients(res, X, d.loc[used, outcome], w, opts.alpha)
    return std.rename(columns=lambda c: f"std_{c}")


def _tidy_row(metal: str, quartile: str, model: str, coef: Mapping[str, float],
              p_trend: float, n: int) -> dict[str, object]:
    """One row of the tidy output, without ``outcome`` and ``weighted``.

    ``coef`` holds ``estimate``, ``ci_lower``, ``ci_upper``, ``p``, ``se`` and,
    for linear models, the :data:`STANDARDISED_COLUMNS`.
    """
    out = {"metal": metal, "quartile": quartile, "model": model, "p_trend": p_trend, "n": n}
    out.update({k: coef[k] for k in ("estimate", "ci_lower", "ci_upper", "p", "se")})
    out.update({k: coef[k] for k in STANDARDISED_COLUMNS if k in coef})
    return out


def _tidy_frame(rows: list[dict[str, object]], outcome: str, family: Family,
                weighted: bool) -> pd.DataFrame:
    """Rows of :func:`_tidy_row` with the columns :data:`TIDY_COLUMNS` (+ standardised)."""
    out = pd.DataFrame(rows)
    out["outcome"] = outcome
    out["weighted"] = weighted
    extra = STANDARDISED_COLUMNS if family == "gaussian" else []
    return out[TIDY_COLUMNS + extra]


def _coefficients(d: pd.DataFrame, res: survey.GLMResult, outcome: str, family: Family,
                  exposure: str, covariates: Sequence[str], domain: Mask,
                  opts: ModelOptions) -> pd.DataFrame:
    """Tidy coefficient table of one fit, with standardised columns for linear models."""
    tab = res.frame(opts.alpha, exponentiate=family == "binomial").set_index("term")
    if family == "gaussian":
        tab = tab.join(_standardised(d, res, outcome, exposure, covariates, domain, opts))
    return tab


def _single_metal_models(
    data: pd.DataFrame,
    outcome: str,
    family: Family,
    models: Mapping[str, Sequence[str]],
    metals: Sequence[str],
    exposure: Literal["quartile", "per SD"],
    domain: Mask = None,
    drop: Iterable[str] = (),
    options: ModelOptions | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """The loop behind :func:`quartile_models` and :func:`per_sd_models`."""
    opts = ModelOptions.of(options, **settings)
    d = _prepare(data, metals)
    suffix = "_q" if exposure == "quartile" else "_lnsd"
    reference = {"estimate": 1.0 if family == "binomial" else 0.0, "ci_lower": np.nan,
                 "ci_upper": np.nan, "p": np.nan, "se": np.nan, "std_estimate": 0.0,
                 "std_se": np.nan, "std_ci_lower": np.nan, "std_ci_upper": np.nan}
    rows = []
    for model, m, adj, res in _fits(d, outcome, family, models, metals, suffix, domain, drop,
                                    opts):
        tab = _coefficients(d, res, outcome, family, f"{m}{suffix}", adj, domain, opts)
        if exposure == "per SD":
            r = tab.loc[f"{m}_lnsd"]
            rows.append(_tidy_row(m, "per SD", model, r, r["p"], res.nobs))
            continue
        score = trend_column(m, opts.trend_score)
        trend = fit(d, outcome, score, adj, family, opts.weighted, domain, **opts.design)
        p_trend = float(trend.pvalues[score])
        rows.append(_tidy_row(m, "Q1", model, reference, p_trend, res.nobs))
        for q in QUARTILES[1:]:
            rows.append(_tidy_row(m, q, model, tab.loc[f"{m}_q[T.{q}]"], p_trend, res.nobs))
    return _tidy_frame(rows, outcome, family, opts.weighted)


def quartile_models(data: pd.DataFrame, outcome: str, family: Family,
                    models: Mapping[str, Sequence[str]], metals: Sequence[str] = METAL_KEYS,
                    **kwargs: Any) -> pd.DataFrame:
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
    **kwargs
        Keyword only: ``domain`` (boolean mask of a subgroup, Table 4; the
        design stays whole), ``drop`` (covariates removed from every
        adjustment set, see :func:`adjustment_set`), ``options`` (a
        :class:`ModelOptions`, default the defaults) and any field of
        :class:`ModelOptions` replacing that of ``options``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIDY_COLUMNS` (``se`` on the link scale), plus
        :data:`STANDARDISED_COLUMNS` for linear models; one row per metal,
        model and quartile, Q1 included as the reference (estimate 1 or 0,
        no CI).
    """
    return _single_metal_models(data, outcome, family, models, metals, "quartile", **kwargs)


def per_sd_models(data: pd.DataFrame, outcome: str, family: Family,
                  models: Mapping[str, Sequence[str]], metals: Sequence[str] = METAL_KEYS,
                  **kwargs: Any) -> pd.DataFrame:
    """Estimate per one-SD increase of ln(metal) (SD over ``data``).

    Parameters are those of :func:`quartile_models`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`quartile_models` with ``quartile = "per SD"``
        and ``p_trend`` equal to ``p`` (the continuous term is the trend).
    """
    return _single_metal_models(data, outcome, family, models, metals, "per SD", **kwargs)


def interaction_test(
    data: pd.DataFrame,
    metal: str,
    by: str,
    outcome: str = "op",
    family: Family = "binomial",
    covariates: Sequence[str] = LOGISTIC_MODELS["Model 3"],
    exposure: Literal["quartile", "trend"] = "quartile",
    *,
    options: ModelOptions | None = None,
    **settings: Any,
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
    outcome, family, covariates
        As :func:`quartile_models`.
    exposure : {"quartile", "trend"}
        Quartiles as categories (3 x (levels-1) df) or the trend score of
        ``options.trend_score`` (levels-1 df).
    options, **settings
        As :func:`quartile_models`.

    Returns
    -------
    osteometals.stats.survey.WaldTest
    """
    _choice("exposure", exposure, ("quartile", "trend"))
    opts = ModelOptions.of(options, **settings)
    d = _prepare(data, [metal])
    x = f"{metal}_q" if exposure == "quartile" else trend_column(metal, opts.trend_score)
    adj = adjustment_set(covariates, opts.age_bmi, (by,), opts.cycle_term)
    res = fit(d, outcome, f"{x} * {by}", adj, family, opts.weighted, **opts.design)
    term = next(t for t in res.terms if set(t.split(":")) == {x, by})
    return res.wald_test(term)


def table2(data: pd.DataFrame, *, options: ModelOptions | None = None,
           **settings: Any) -> pd.DataFrame:
    """Table 2: odds ratios of osteoporosis by metal quartile, Models 1-3.

    ``options`` and ``settings`` as :func:`quartile_models` (``metals=`` too).
    """
    metals = settings.pop("metals", METAL_KEYS)
    return quartile_models(data, "op", "binomial", LOGISTIC_MODELS, metals, options=options,
                           **settings)


def table3(data: pd.DataFrame, outcomes: Sequence[str] = ("bmd_femur", "bmd_neck", "bmd_spine"),
           *, options: ModelOptions | None = None, **settings: Any) -> pd.DataFrame:
    """Table 3: BMD differences (B, and standardised Beta) by metal quartile, Models 1-2.

    ``options`` and ``settings`` as :func:`quartile_models` (``metals=`` too);
    the outcomes are stacked.
    """
    metals = settings.pop("metals", METAL_KEYS)
    return pd.concat(
        [quartile_models(data, o, "gaussian", LINEAR_MODELS, metals, options=options,
                         **settings) for o in outcomes],
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
