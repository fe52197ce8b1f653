"""The paper's headline claims as data: the estimand, the paper's finding, how to compute it.

A :class:`Claim` names one quantity (its *estimand*), carries the paper's
direction and, where the paper prints one, its value (read from
:mod:`osteometals.paper.published`, never typed here), and computes the
quantity from a cohort under one specification (a mapping of the
dimensions of :mod:`osteometals.paper.specs` to levels): which rows, which
adjustment set, weighted or not, how the exposure is coded.

Every estimate is returned on the scale where no effect is zero and effects
add (``b``: a log odds ratio, a standardised beta, or a t statistic), with
its standard error ``se`` and degrees of freedom ``df``, so the curve, the
shares and the variance decomposition treat all claims alike.

Computation notes:

* Fits use :func:`osteometals.stats.survey.svyglm` (design-based) or
  :func:`~osteometals.stats.survey.glm` (unweighted) on a design matrix
  built once per fit with :func:`osteometals.stats.coding.dummy_code`, the
  same columns the formula interface gives (``tests/test_claims.py``), but
  without parsing a formula for each of thousands of fits.
* Quantile groups are cut at the unweighted sample quantiles of the cohort,
  a value on a cut-point falling in the lower group, as
  :func:`osteometals.paper.regression.quartile_cutpoints`; tertiles likewise.
* The BMD claim is reported as a standardised coefficient,
  ``beta * SD(x) / SD(y)`` over the rows of the fit (weighted SDs for a
  design-based fit): the paper's Table 3 betas have the size of SPSS's
  standardised "Beta", not of g/cm² differences (chapter 4).
* An exclusion can leave a stratum of a cohort with one PSU; design-based
  fits then treat it as a certainty PSU (:data:`LONELY_PSU`, R's
  ``options(survey.lonely.psu = "certainty")``, as
  :mod:`osteometals.paper.design` does), which changes nothing where every
  stratum keeps two PSUs or more.
* Under multiple imputation the claim is computed in every imputed data set
  and combined by Rubin's rules with the Barnard-Rubin degrees of freedom
  (:mod:`osteometals.stats.mi`); the WQS weights are averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.nhanes.variables import METAL_KEYS, METALS
from osteometals.paper import published
from osteometals.paper.models import LINEAR_MODELS, LOGISTIC_MODELS
from osteometals.paper.regression import TREND_SCORES, adjustment_set
from osteometals.paper.specs import T_SCORE_DIMENSIONS
from osteometals.stats import mi, survey, wqs
from osteometals.stats.coding import dummy_code
from osteometals.stats.speccurve import NA
from osteometals.stats.standardise import standardising_factors

__all__ = ["CLAIMS", "DEFAULT_SETTINGS", "Claim", "ClaimSettings", "PaperValue", "Prepared",
           "get_claim", "quantile_groups", "trend_scores"]

Kind = Literal["contrast", "per_sd", "trend", "wqs"]
Scale = Literal["ratio", "beta", "t"]

#: Lonely-PSU rule of the design-based fits (see the module notes).
LONELY_PSU = "certainty"

#: Number of groups of each quantile coding.
GROUPS: dict[str, int] = {"quartiles": 4, "tertiles": 3}
_PREFIX = {4: "Q", 3: "T"}


@dataclass(frozen=True)
class PaperValue:
    """What the paper reports for a claim.

    Attributes
    ----------
    direction : {1, -1}
        The sign the paper finds (1: raises the odds / the outcome).
    value : float or None
        On the claim's reporting scale (odds ratio, beta, t statistic); None
        when the paper prints no number.
    ci_lower, ci_upper, p : float or None
        As printed, where printed.
    source : str
        Where in the paper.
    """

    direction: int
    value: float | None
    ci_lower: float | None = None
    ci_upper: float | None = None
    p: float | None = None
    source: str = ""


@dataclass(frozen=True)
class ClaimSettings:
    """Settings shared by every claim of a run (part of each result's cache key).

    Attributes
    ----------
    mi_m : int
        Imputations for the multiple-imputation level.
    mi_iterations : int
        Sweeps of each chained-equations chain.
    wqs_b : int
        WQS bootstrap samples.
    seed : int
        Seed of the imputations and of WQS's split and bootstraps.
    """

    mi_m: int = 20
    mi_iterations: int = 5
    wqs_b: int = 100
    seed: int = 2025

    def as_dict(self) -> dict[str, int]:
        """The settings as a plain dict."""
        return {"mi_m": self.mi_m, "mi_iterations": self.mi_iterations,
                "wqs_b": self.wqs_b, "seed": self.seed}


#: The settings of the book's runs.
DEFAULT_SETTINGS = ClaimSettings()


@dataclass
class Prepared:
    """A cohort ready for the claims: its rows and, for multiple imputation, the fills.

    Attributes
    ----------
    data : pandas.DataFrame
        The cohort (:attr:`osteometals.nhanes.cohort.Cohort.data`).
    imputations : list of pandas.DataFrame or None
        For multiple imputation, one frame per imputed data set holding the
        imputed covariate columns (same index as ``data``); else None.
    """

    data: pd.DataFrame
    imputations: list[pd.DataFrame] | None = None
    _coded: dict = field(default_factory=dict, repr=False)

    @property
    def datasets(self) -> list[pd.DataFrame]:
        """The data sets a claim is computed in: ``data``, or ``data`` completed by each fill."""
        if not self.imputations:
            return [self.data]
        if "datasets" not in self._coded:
            self._coded["datasets"] = [self.data.assign(**{c: f[c] for c in f.columns})
                                       for f in self.imputations]
        return self._coded["datasets"]

    @property
    def design(self) -> pd.DataFrame:
        """The design columns only (``weight``, ``stratum``, ``psu``): a lean frame to fit on."""
        if "design" not in self._coded:
            self._coded["design"] = self.data[["weight", "stratum", "psu"]].copy()
        return self._coded["design"]

    def covariates(self, i: int, columns: Sequence[str]) -> pd.DataFrame:
        """Dummy-coded covariates of data set ``i`` (memoised per column: many fits reuse them)."""
        parts = []
        for c in columns:
            if (i, c) not in self._coded:
                self._coded[(i, c)] = dummy_code(self.datasets[i], [c])
            parts.append(self._coded[(i, c)])
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=self.data.index)


def trend_scores(x: pd.Series, groups: pd.Series, score: str) -> pd.Series:
    """Each row's trend score, the scores of :class:`osteometals.paper.regression.ModelOptions`.

    ``"median"``: the median of ``x`` in the row's group; ``"ln_median"``: its
    natural log; ``"rank"``: the group's position 0, 1, 2, ... (as
    :func:`osteometals.paper.regression.add_quartiles` scores quartiles, here
    for any number of groups).
    """
    if score not in TREND_SCORES:
        raise ValueError(f"unknown trend score {score!r}; allowed: {list(TREND_SCORES)}")
    if score == "rank":
        return groups.cat.codes.where(groups.notna()).astype(float)
    median = groups.astype(object).map(x.groupby(groups, observed=True).median().to_dict())
    median = median.astype(float)
    return np.log(median) if score == "ln_median" else median


def quantile_groups(x: pd.Series, k: int) -> pd.Series:
    """Cut ``x`` into ``k`` groups at its unweighted sample quantiles (right-closed).

    Parameters
    ----------
    x : pandas.Series
        Values (missing values stay missing).
    k : int
        Number of groups (4: quartiles ``Q1..Q4``; 3: tertiles ``T1..T3``).

    Returns
    -------
    pandas.Series
        Categorical with levels ``Q1..Q4`` or ``T1..Tk``, the first the reference.
    """
    labels = [f"{_PREFIX.get(k, 'G')}{i + 1}" for i in range(k)]
    v = x.to_numpy(dtype=float)
    cuts = np.quantile(v[np.isfinite(v)], np.arange(1, k) / k)
    if len(set(cuts)) < k - 1:
        raise ValueError(f"cut-points {cuts} of {x.name} are not distinct")
    cut = pd.cut(x, [-np.inf, *cuts, np.inf], right=True, labels=labels)
    return pd.Series(pd.Categorical(cut.astype(object), categories=labels), index=x.index)


@dataclass(frozen=True)
class Claim:
    """One headline claim of the paper.

    Attributes
    ----------
    name : str
        Key, e.g. ``"cd_q4_op"``.
    estimand : str
        What is estimated, in words.
    kind : {"contrast", "per_sd", "trend", "wqs"}
        A quantile group against the lowest, a per-SD ln-metal effect, a
        trend across quantile groups (reported as its t statistic), or the
        positive WQS index.
    metal : str
        Metal key (for WQS the metal whose weight is tracked).
    outcome : str
        ``"op"`` or a BMD column.
    scale : {"ratio", "beta", "t"}
        Reporting scale of ``exp(b)``, ``b`` or ``b``.
    paper : PaperValue
        The paper's direction and value.
    groups : mapping
        For contrasts: coding -> the compared group (``{"quartiles": "Q4"}``).
    codings : tuple of str
        Exposure codings the claim is defined for.
    models : mapping
        Adjustment sets by level of the ``adjustment`` dimension.
    domain : tuple of (str, str) or None
        ``(column, level)``: a subgroup analysed as a domain of the design.
    ignores : frozenset of str
        Dimensions that cannot change this claim (set to n/a in its specifications).
    """

    name: str
    estimand: str
    kind: Kind
    metal: str
    outcome: str
    scale: Scale
    paper: PaperValue
    groups: Mapping[str, str] = field(default_factory=dict)
    codings: tuple[str, ...] = ("quartiles", "tertiles")
    models: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: LOGISTIC_MODELS)
    domain: tuple[str, str] | None = None
    ignores: frozenset[str] = frozenset()

    @property
    def family(self) -> str:
        """``"binomial"`` for osteoporosis, ``"gaussian"`` for BMD."""
        return "binomial" if self.outcome == "op" else "gaussian"

    def supports(self, spec: Mapping[str, str]) -> bool:
        """Whether the claim is defined under ``spec`` (its coding and model exist)."""
        coding_ok = "coding" in self.ignores or spec.get("coding") in self.codings
        return coding_ok and spec.get("adjustment") in self.models

    def project(self, spec: Mapping[str, str]) -> dict[str, str]:
        """``spec`` with the dimensions this claim ignores set to n/a."""
        return {k: (NA if k in self.ignores else v) for k, v in spec.items()}

    def paper_b(self) -> float | None:
        """The paper's value on the ``b`` scale (log for ratios), or None."""
        v = self.paper.value
        if v is None:
            return None
        return float(np.log(v)) if self.scale == "ratio" else float(v)

    # ------------------------------------------------------------------ compute

    def compute(self, prepared: Prepared, spec: Mapping[str, str],
                settings: ClaimSettings = DEFAULT_SETTINGS) -> dict[str, Any]:
        """The claim's estimate under one specification.

        Parameters
        ----------
        prepared : Prepared
            The cohort of the specification's cohort dimensions (with the
            imputed copies for multiple imputation).
        spec : mapping
            Levels of the model and exposure dimensions (``weighting``,
            ``adjustment``, ``age_bmi``, ``coding``, ...).
        settings : ClaimSettings
            WQS bootstraps and seed.

        Returns
        -------
        dict
            ``b``, ``se``, ``df`` (inf for normal theory), ``n`` (rows used),
            ``m`` (data sets pooled), and for WQS ``weight`` (the tracked
            metal's weight) and ``top`` (the metal with the largest weight).
        """
        if not self.supports(spec):
            raise ValueError(f"claim {self.name!r} is not defined under {dict(spec)}")
        for dim, implemented in _IMPLEMENTED.items():
            if spec.get(dim, NA) not in (*implemented, NA):
                raise ValueError(f"{dim} = {spec[dim]!r} is not implemented yet")
        if self.kind == "wqs":
            return self._compute_wqs(prepared, spec, settings)
        base = prepared.data
        exposure = self._exposure(base, spec)
        weighted = spec["weighting"] == "design"
        domain = None
        if self.domain is not None:
            col, level = self.domain
            domain = (base[col] == level).to_numpy()
        covs = adjustment_set(self.models[spec["adjustment"]], spec["age_bmi"],
                              drop=(self.domain[0],) if self.domain else (),
                              cycle_term=spec.get("cycle_term") == "yes")
        fits = []
        design = prepared.design
        y = base[self.outcome].astype(float)
        for i in range(len(prepared.datasets)):
            X = pd.concat([pd.DataFrame({"Intercept": 1.0}, index=base.index), exposure,
                           prepared.covariates(i, covs)], axis=1)
            fit = (survey.svyglm((y, X), design, self.family, domain=domain,
                                 lonely_psu=LONELY_PSU, df=spec.get("design_df", "r_survey"))
                   if weighted
                   else survey.glm((y, X), design, self.family, domain=domain))
            fits.append(fit)
        column = (f"{self.metal}[{self.groups[spec['coding']]}]" if self.kind == "contrast"
                  else exposure.columns[0])
        out = self._combine(fits, column)
        if self.scale == "beta":
            factor = self._standardiser(base, exposure[column], weighted, domain)
            out["b"], out["se"] = out["b"] * factor, out["se"] * factor
        if self.kind == "trend":
            out["b"], out["se"] = out["b"] / out["se"], 1.0
        out["n"] = int(fits[0].nobs)
        return out

    def _exposure(self, data: pd.DataFrame, spec: Mapping[str, str]) -> pd.DataFrame:
        x = data[self.metal].astype(float)
        if self.kind == "per_sd":
            ln = np.log(x)
            return pd.DataFrame({f"{self.metal}_lnsd": (ln - ln.mean()) / ln.std(ddof=1)})
        k = GROUPS[spec["coding"]]
        g = quantile_groups(x.rename(self.metal), k)
        if self.kind == "trend":
            return pd.DataFrame({f"{self.metal}_score": trend_scores(x, g, spec["trend_score"])})
        return dummy_code(pd.DataFrame({self.metal: g}), [self.metal])

    @staticmethod
    def _combine(fits: Sequence[survey.GLMResult], column: str) -> dict[str, Any]:
        if len(fits) == 1:
            f = fits[0]
            return {"b": float(f.params[column]), "se": float(f.bse[column]),
                    "df": float(f.df_resid), "m": 1}
        pooled = mi.pool(fits)
        return {"b": float(pooled.params[column]), "se": float(pooled.bse[column]),
                "df": float(pooled.df[column]), "m": len(fits)}

    def _standardiser(self, data: pd.DataFrame, x: pd.Series, weighted: bool,
                      domain: np.ndarray | None) -> float:
        """``sd(x) / sd(y)`` over the rows of the fit (weighted SDs if design-based)."""
        y = data[self.outcome].astype(float)
        used = np.isfinite(y.to_numpy()) & np.isfinite(x.to_numpy())
        if domain is not None:
            used &= domain
        w = data["weight"].to_numpy(dtype=float)[used] if weighted else None
        factors = standardising_factors(x[used].to_frame(), y[used], w)
        return float(factors.iloc[0])

    def _compute_wqs(self, prepared: Prepared, spec: Mapping[str, str],
                     settings: ClaimSettings) -> dict[str, Any]:
        weighted = spec["weighting"] == "design"
        covs = adjustment_set(self.models[spec["adjustment"]], spec["age_bmi"],
                              cycle_term=spec.get("cycle_term") == "yes")
        design = None
        betas, ses, weights, n = [], [], [], 0
        for d in prepared.datasets:
            mix = d.assign(**{m: np.log(d[m]) for m in METAL_KEYS})
            if weighted:
                design = survey.SurveyDesign(mix, lonely_psu=LONELY_PSU)
            res = wqs.wqs_regression(mix, METAL_KEYS, self.outcome, covs,
                                     q=GROUPS[spec["coding"]], b=settings.wqs_b,
                                     directions=("positive",), seed=settings.seed, n_jobs=1,
                                     progress=False, design=design)
            row = res.estimates.iloc[0]
            betas.append(float(row["beta"]))
            ses.append(float(row["se"]))
            weights.append(res.weights.set_index("metal")["weight"])
            n = int(row["n_valid"])
        w = pd.concat(weights, axis=1).mean(axis=1)
        if len(betas) == 1:
            b, se, df = betas[0], ses[0], np.inf
        else:
            r = mi.rubin(np.array(betas)[:, None], np.array(ses)[:, None] ** 2).iloc[0]
            b, se, df = float(r["estimate"]), float(r["se"]), float(r["df"])
        return {"b": b, "se": se, "df": float(df), "m": len(betas), "n": n,
                "weight": float(w[self.metal]), "top": str(w.idxmax())}


# --------------------------------------------------------------------------- the claims


def _table2(metal: str, quartile: str, model: str = "Model 1") -> PaperValue:
    r = published.table2().query("metal == @metal and quartile == @quartile and model == @model")
    r = r.iloc[0]
    return PaperValue(int(np.sign(np.log(r["estimate"]))), float(r["estimate"]),
                      float(r["ci_lower"]), float(r["ci_upper"]), float(r["p"]),
                      f"Table 2, {_symbol(metal)} {quartile} vs Q1, {model} (abstract)")


def _table3(metal: str, quartile: str, outcome: str, model: str = "Model 1") -> PaperValue:
    r = published.table3().query("metal == @metal and quartile == @quartile and "
                                 "outcome == @outcome and model == @model").iloc[0]
    return PaperValue(int(np.sign(r["estimate"])), float(r["estimate"]), None, None,
                      float(r["p"]), f"Table 3, {_symbol(metal)} {quartile} vs Q1, "
                      f"{published.SITE_LABELS[outcome].lower()}, {model} (abstract)")


def _table4(metal: str, quartile: str, stratum: str) -> PaperValue:
    r = published.table4().query("metal == @metal and quartile == @quartile and "
                                 "stratum == @stratum").iloc[0]
    return PaperValue(int(np.sign(np.log(r["estimate"]))), float(r["estimate"]),
                      float(r["ci_lower"]), float(r["ci_upper"]), float(r["p"]),
                      f"Table 4, {_symbol(metal)} {quartile} vs Q1, age {stratum} (Results)")


def _trend(metal: str, model: str = "Model 1") -> PaperValue:
    p = float(published.table2().query("metal == @metal and model == @model")["p_trend"].iloc[0])
    sign = _finding(f"{metal}_op")[0]
    return PaperValue(sign, sign * float(stats.norm.isf(p / 2)), None, None, p,
                      f"Table 2, {_symbol(metal)} P for trend {model}, as the normal "
                      "quantile of the printed P")


def _finding(key: str) -> tuple[int, str, str]:
    r = published.findings().set_index("key").loc[key]
    return int(r["direction"]), str(r["metal"]), str(r["source"])


def _words(key: str) -> PaperValue:
    direction, _, source = _finding(key)
    return PaperValue(direction, None, source=f"{source} (no number printed)")


def _symbol(metal: str) -> str:
    return {m.key: m.symbol for m in METALS}[metal]


#: Levels of model dimensions this module computes today (others wait for their options).
_IMPLEMENTED: dict[str, tuple[str, ...]] = {
    "design_df": tuple(survey.DESIGN_DF), "cycle_term": ("no", "yes"),
    "trend_score": tuple(TREND_SCORES),
}

#: Dimensions that change only the osteoporosis outcome (T-scores), not who is in the cohort.
_OP_ONLY = frozenset(T_SCORE_DIMENSIONS)


def _build() -> dict[str, Claim]:
    wqs_direction, wqs_top, wqs_source = _finding("wqs_positive_index")
    claims = [
        Claim("cd_q4_op", "Cd Q4 vs Q1 odds ratio of osteoporosis", "contrast", "cd", "op",
              "ratio", _table2("cd", "Q4"), {"quartiles": "Q4", "tertiles": "T3"},
              ignores=frozenset({"trend_score"})),
        Claim("se_q3_op", "Se Q3 vs Q1 odds ratio of osteoporosis", "contrast", "se", "op",
              "ratio", _table2("se", "Q3"), {"quartiles": "Q3", "tertiles": "T2"},
              ignores=frozenset({"trend_score"})),
        Claim("cd_q4_femur", "Cd Q4 vs Q1 total-femur BMD, standardised beta", "contrast",
              "cd", "bmd_femur", "beta", _table3("cd", "Q4", "bmd_femur"),
              {"quartiles": "Q4", "tertiles": "T3"}, models=LINEAR_MODELS,
              ignores=_OP_ONLY | {"trend_score"}),
        Claim("cd_sd_op", "odds ratio of osteoporosis per SD of ln(Cd)", "per_sd", "cd", "op",
              "ratio", _words("cd_op"), codings=(),
              ignores=frozenset({"coding", "trend_score"})),
        Claim("se_sd_op", "odds ratio of osteoporosis per SD of ln(Se)", "per_sd", "se", "op",
              "ratio", _words("se_op"), codings=(),
              ignores=frozenset({"coding", "trend_score"})),
        Claim("cd_trend_op", "Cd trend across quantile groups (t statistic), osteoporosis",
              "trend", "cd", "op", "t", _trend("cd")),
        Claim("wqs_pos_op", f"positive WQS index odds ratio, {_symbol(wqs_top)} the top weight",
              "wqs", wqs_top, "op", "ratio",
              PaperValue(wqs_direction, None, source=f"{wqs_source} (no number printed)"),
              ignores=frozenset({"trend_score", "design_df"})),
        Claim("cd_q4_op_50_60", "Cd Q4 vs Q1 odds ratio of osteoporosis, age 50-60",
              "contrast", "cd", "op", "ratio", _table4("cd", "Q4", "50-60"),
              {"quartiles": "Q4", "tertiles": "T3"}, domain=("age_group", "50-60"),
              ignores=frozenset({"trend_score"})),
        Claim("se_q4_op_60_70", "Se Q4 vs Q1 odds ratio of osteoporosis, age 60-70",
              "contrast", "se", "op", "ratio", _table4("se", "Q4", "60-70"),
              {"quartiles": "Q4", "tertiles": "T3"}, domain=("age_group", "60-70"),
              ignores=frozenset({"trend_score"})),
    ]
    return {c.name: c for c in claims}


#: The claims, by name, in the order the chapter shows them.
CLAIMS: dict[str, Claim] = _build()


def get_claim(name: str) -> Claim:
    """The claim called ``name`` (ValueError listing the valid names)."""
    if name not in CLAIMS:
        raise ValueError(f"unknown claim {name!r}; valid claims: {', '.join(CLAIMS)}")
    return CLAIMS[name]
