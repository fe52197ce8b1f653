"""Generalised linear models: design-based (as R's ``svyglm``) and model-based.

NHANES is a stratified, clustered, unequally weighted sample. A regression
that ignores this gets the point estimates wrong (no weights) and the
standard errors wrong (no strata, no clustering). :func:`svyglm` fits
logistic and linear regression the way R's ``survey`` package does, so that
the book's numbers can be checked against R to many digits
(``tests/test_survey.py``); :func:`glm` is the ordinary, unweighted fit.

What is ours and what is statsmodels'
--------------------------------------
As R's ``svyglm`` calls ``glm()`` for the point estimates and replaces only
the covariance, the coefficients here come from ``statsmodels``' GLM (IRLS,
weights rescaled to mean 1 as prior weights: ``svyglm``'s ``rescale=TRUE``;
converged to R's criterion ``|dev - dev_old| < 1e-12 (|dev| + 0.1)``), and only
the design-based variance is our own. Two things stay ours as well:

* **Aliasing.** statsmodels solves a rank-deficient design with a
  pseudo-inverse and returns a minimum-norm estimate for every column; R's
  ``glm`` drops the later of linearly dependent columns (pivoting QR,
  ``dqrdc2``) and reports ``NA``. A covariate level absent from a domain is
  common in subgroup analyses, so :func:`_non_aliased` drops such columns
  left to right first, as R does, and they are reported as ``NaN``.
* **The bread** ``A^-1 = (X' W X)^-1`` (``W``: weights times working
  weights at the estimate), shared by the design-based and the model-based
  variance (:func:`model_cov`).

The design-based variance
-------------------------
Coefficients solve the weighted score equations ``sum_i w_i x_i (y_i -
mu_i) = 0``. Their variance is the Taylor-linearised sandwich of Binder
(1983), ``V = A^-1 B A^-1``, where ``B`` is the design's between-PSU
covariance of score totals (:meth:`osteometals.stats.design.SurveyDesign.variance`,
the one variance routine). Inference uses a t distribution on the design's
denominator degrees of freedom (:meth:`~osteometals.stats.design.SurveyDesign.residual_df`:
R's ``degf + 1 - p`` by default, or ``degf`` with ``df="psu_minus_strata"``).
Confidence intervals are ``b +/- t_{df, 1-alpha/2} se`` (``confint.svyglm``);
the joint Wald test is ``regTermTest``'s default, ``F = b' V^-1 b / q`` on
``(q, df)``.

Domains (subpopulations) are domains of the design
(:meth:`~osteometals.stats.design.SurveyDesign.subset`): rows outside them stay in
the design with a score of zero. Rows with a missing value in a model
variable are treated like rows outside the domain, as ``svyglm``'s
``na.action``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.stats.design import DesignDF, LonelyPSU, SurveyDesign, domain_mask
from osteometals.stats.results import TIDY_COLUMNS, Summary, tidy_frame

#: The response families of :mod:`osteometals.stats` (canonical links: logit,
#: identity). The one definition; every module imports it from here.
Family = Literal["binomial", "gaussian"]
FAMILIES: tuple[str, ...] = ("binomial", "gaussian")

__all__ = [
    "FAMILIES",
    "Family",
    "GLMFit",
    "GLMResult",
    "WaldTest",
    "check_family",
    "fit_arrays",
    "glm",
    "model_cov",
    "svyglm",
]

_ALIAS_TOL = 1e-9
#: R's glm.control(epsilon=) used by the reference fixtures.
_EPSILON = 1e-12


def check_family(family: str) -> None:
    """Refuse a family other than ``"binomial"`` or ``"gaussian"``.

    Raises
    ------
    ValueError
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: 'binomial', 'gaussian'")


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test that a set of coefficients is zero.

    Attributes
    ----------
    columns : tuple of str
        Coefficients tested.
    statistic : float
        ``F = b' V^-1 b / q`` when ``ddf`` is finite, else ``chi2 = b' V^-1 b``.
    ndf : int
        Number of coefficients tested (``q``).
    ddf : float
        Denominator degrees of freedom (``inf`` for a chi-square test).
    p : float
        Upper-tail p-value.
    """

    columns: tuple[str, ...]
    statistic: float
    ndf: int
    ddf: float
    p: float

    @property
    def method(self) -> str:
        """``"F"`` (design-based, finite df) or ``"chi2"``."""
        return "F" if np.isfinite(self.ddf) else "chi2"


def _t_or_normal(df: float):
    """The reference distribution of a Wald statistic on ``df`` degrees of freedom."""
    return stats.norm if np.isinf(df) else stats.t(df)


@dataclass
class GLMResult:
    """A fitted GLM: design-based (:func:`svyglm`) or model-based (:func:`glm`).

    Follows the results protocol of :mod:`osteometals.stats.results`.

    Attributes
    ----------
    params : pandas.Series
        Coefficients on the link scale; ``NaN`` for aliased columns.
    cov : pandas.DataFrame
        Variance-covariance matrix (``NaN`` rows and columns for aliased
        coefficients); also :meth:`cov_params`.
    df_resid : float
        Degrees of freedom of the t reference distribution; ``inf`` means the
        normal (model-based logistic regression, as R's ``summary.glm``).
    family : {"binomial", "gaussian"}
        Response family with its canonical link (logit, identity).
    weighted : bool
        True for the design-based fit.
    nobs : int
        Observations used in the fit (inside the domain, complete).
    design_df : int or None
        ``degf`` of the fitted design (design-based fits only).
    df_convention : str or None
        The design's ``df`` option (design-based fits only).
    terms : dict
        Model term -> its columns, for :meth:`wald_test` by term.
    naive_cov : pandas.DataFrame or None
        Weighted model-based covariance used for the design effect.
    converged : bool
        Whether IRLS met its tolerance.
    notes : list of str
        Caveats (e.g. ``"unweighted: ..."``).
    """

    params: pd.Series
    cov: pd.DataFrame
    df_resid: float
    family: Family
    weighted: bool
    nobs: int
    design_df: int | None = None
    df_convention: str | None = None
    terms: dict[str, list[str]] = field(default_factory=dict)
    naive_cov: pd.DataFrame | None = None
    converged: bool = True
    notes: list[str] = field(default_factory=list)

    def cov_params(self) -> pd.DataFrame:
        """Variance-covariance matrix of :attr:`params`."""
        return self.cov

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the coefficients."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        """Wald statistics ``params / bse``."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values: t on ``df_resid`` (normal if infinite), NaN if df <= 0."""
        t = self.tvalues.to_numpy()
        if self.df_resid <= 0:
            p = np.full_like(t, np.nan)
        else:
            p = 2 * _t_or_normal(self.df_resid).sf(np.abs(t))
        return pd.Series(p, index=self.params.index)

    def _quantile(self, alpha: float) -> float:
        if self.df_resid <= 0:
            return np.nan
        return float(_t_or_normal(self.df_resid).ppf(1 - alpha / 2))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals, as ``confint.svyglm`` / ``confint.default``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per coefficient, on the
            link scale.
        """
        half = self._quantile(alpha) * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """Tidy coefficient table (:data:`~osteometals.stats.results.TIDY_COLUMNS` first).

        Parameters
        ----------
        alpha : float
            One minus the confidence level of ``ci_lower`` / ``ci_upper``.
        exponentiate : bool
            Report ``exp(estimate)`` and exponentiated limits (odds ratios for
            logistic regression); ``se`` stays on the link scale.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, estimate, se, statistic, p, ci_lower, ci_upper,
            df, n, weighted``.
        """
        ci = self.conf_int(alpha)
        est, lo, hi = self.params, ci["lower"], ci["upper"]
        if exponentiate:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        rows = pd.DataFrame({
            "term": self.params.index,
            "estimate": est.to_numpy(),
            "se": self.bse.to_numpy(),
            "statistic": self.tvalues.to_numpy(),
            "p": self.pvalues.to_numpy(),
            "ci_lower": lo.to_numpy(),
            "ci_upper": hi.to_numpy(),
            "df": self.df_resid,
            "n": self.nobs,
            "weighted": self.weighted,
        })
        return tidy_frame(rows, extra=["df", "n", "weighted"])

    def frame(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """The same table as :meth:`tidy` (the older name, kept for callers)."""
        return self.tidy(alpha, exponentiate)

    def summary(self, alpha: float = 0.05) -> Summary:
        """Title, facts of the fit, the coefficient table and the notes."""
        kind = "logistic" if self.family == "binomial" else "linear"
        title = (f"Design-based {kind} regression" if self.weighted
                 else f"{kind.capitalize()} regression (unweighted)")
        info: dict = {"n": self.nobs, "df": self.df_resid}
        if self.weighted:
            info |= {"design df": self.design_df, "df convention": self.df_convention}
        table = self.tidy(alpha).set_index("term")[list(TIDY_COLUMNS[1:])]
        return Summary(title, info, table, list(self.notes))

    def lincom(self, coefficients: Mapping[str, float], alpha: float = 0.05) -> dict:
        """A linear combination ``sum_k c_k b_k`` with its Wald inference.

        As R's ``svycontrast``: variance ``c' V c``, the fit's reference
        distribution (t on ``df_resid`` or normal).

        Parameters
        ----------
        coefficients : mapping
            Coefficient name -> multiplier.
        alpha : float
            One minus the confidence level.

        Returns
        -------
        dict
            ``estimate, se, statistic, p, ci_lower, ci_upper, df``.
        """
        names = list(coefficients)
        c = np.array([coefficients[k] for k in names], dtype=float)
        est = float(c @ self.params[names].to_numpy())
        se = float(np.sqrt(c @ self.cov.loc[names, names].to_numpy() @ c))
        dist = _t_or_normal(self.df_resid)
        q = float(dist.ppf(1 - alpha / 2))
        return {"estimate": est, "se": se, "statistic": est / se,
                "p": float(2 * dist.sf(abs(est / se))), "ci_lower": est - q * se,
                "ci_upper": est + q * se, "df": self.df_resid}

    def wald_test(self, terms: str | Sequence[str]) -> WaldTest:
        """Joint Wald test that the coefficients of some terms or columns are zero.

        As R's ``regTermTest(model, ~terms)`` with its default
        ``method="Wald"``: an F test on ``(q, df_resid)`` degrees of freedom
        when ``df_resid`` is finite, otherwise a chi-square test on ``q``.

        Parameters
        ----------
        terms : str or sequence of str
            Model terms (e.g. ``"g"`` or ``"x:g"``, expanded to all their
            columns) or individual column names. Aliased columns are skipped.

        Returns
        -------
        WaldTest
        """
        if isinstance(terms, str):
            terms = [terms]
        cols: list[str] = []
        for t in terms:
            if t in self.terms:
                cols.extend(self.terms[t])
            elif t in self.params.index:
                cols.append(t)
            else:
                raise KeyError(f"{t!r} is neither a model term nor a coefficient")
        cols = [c for c in dict.fromkeys(cols) if np.isfinite(self.params[c])]
        if not cols:
            raise ValueError("no estimable coefficient to test")
        b = self.params[cols].to_numpy()
        v = self.cov.loc[cols, cols].to_numpy()
        chisq = float(b @ np.linalg.solve(v, b))
        q = len(cols)
        if np.isfinite(self.df_resid):
            f = chisq / q
            p = float(stats.f.sf(f, q, self.df_resid)) if self.df_resid > 0 else np.nan
            return WaldTest(tuple(cols), f, q, float(self.df_resid), p)
        return WaldTest(tuple(cols), chisq, q, np.inf, float(stats.chi2.sf(chisq, q)))

    def design_effect(self) -> pd.Series:
        """Design effect of each coefficient: design variance / weighted SRS variance.

        Same definition as ``svyglm(..., deff = TRUE)``: the denominator is the
        model-based variance of the *weighted* fit (weights scaled to mean 1),
        so the ratio isolates what strata and clustering do to the variance.

        Returns
        -------
        pandas.Series
        """
        if self.naive_cov is None:
            raise ValueError("design effects exist only for design-based fits")
        return pd.Series(
            np.diag(self.cov.to_numpy()) / np.diag(self.naive_cov.to_numpy()),
            index=self.params.index,
        )


# --------------------------------------------------------------------------- inputs


@dataclass
class _Model:
    y: np.ndarray  # (n,) float, NaN where unusable
    X: pd.DataFrame  # (n, p) aligned with data, NaN rows where unusable
    complete: np.ndarray  # (n,) bool
    terms: dict[str, list[str]]


def _model_arrays(
    formula: str | tuple[pd.Series | np.ndarray, pd.DataFrame], data: pd.DataFrame
) -> _Model:
    """Response and design matrix aligned with ``data``'s rows (incomplete rows flagged)."""
    if isinstance(formula, str):
        from formulaic import model_matrix

        mm = model_matrix(formula, data, na_action="drop")
        lhs, rhs = mm.lhs, mm.rhs
        if lhs.shape[1] != 1:
            raise ValueError("the formula must have exactly one response")
        spec = rhs.model_spec
        names = list(rhs.columns)
        terms = {str(t): [names[i] for i in idx] for t, idx in spec.term_indices.items()}
        pos = data.index.get_indexer(rhs.index)
        if data.index.has_duplicates or (pos < 0).any():
            raise ValueError("data must have a unique index")
        complete = np.zeros(len(data), dtype=bool)
        complete[pos] = True
        X = pd.DataFrame(np.nan, index=data.index, columns=names)
        X.iloc[pos, :] = rhs.to_numpy(dtype=float)
        y = np.full(len(data), np.nan)
        y[pos] = lhs.iloc[:, 0].to_numpy(dtype=float)
        return _Model(y, X, complete, terms)
    y_in, X_in = formula
    X = pd.DataFrame(X_in).astype(float)
    if len(X) != len(data):
        raise ValueError("X must have one row per row of data")
    X.index = data.index
    y = np.asarray(y_in, dtype=float)
    complete = np.isfinite(y) & np.isfinite(X.to_numpy()).all(axis=1)
    return _Model(y, X, complete, {c: [c] for c in X.columns})


# --------------------------------------------------------------------------- fitting


def _non_aliased(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Columns kept by a left-to-right rank check, as R's pivoting QR (dqrdc2)."""
    Z = X * np.sqrt(w)[:, None]
    keep: list[int] = []
    Q = np.zeros((Z.shape[0], 0))
    for j in range(Z.shape[1]):
        col = Z[:, j]
        norm = np.linalg.norm(col)
        if norm == 0:
            continue
        resid = col - Q @ (Q.T @ col)
        if np.linalg.norm(resid) > _ALIAS_TOL * norm:
            keep.append(j)
            Q = np.column_stack([Q, resid / np.linalg.norm(resid)])
    return np.array(keep, dtype=int)


@dataclass
class GLMFit:
    """Point estimates of one GLM fit on arrays (:func:`fit_arrays`).

    Attributes
    ----------
    params : numpy.ndarray
        Coefficients, one per column of ``X``; ``NaN`` for aliased columns.
    keep : numpy.ndarray
        Indices of the non-aliased columns.
    mu : numpy.ndarray
        Fitted means on the response scale.
    converged : bool
        Whether IRLS met R's criterion.
    warnings : list of str
        Warnings statsmodels raised (e.g. perfect separation).
    """

    params: np.ndarray
    keep: np.ndarray
    mu: np.ndarray
    converged: bool
    warnings: list[str] = field(default_factory=list)


def fit_arrays(
    y: np.ndarray,
    X: np.ndarray,
    family: Family = "binomial",
    weights: np.ndarray | None = None,
    *,
    link: Literal["canonical", "log"] = "canonical",
    start: np.ndarray | None = None,
    max_iter: int = 100,
) -> GLMFit:
    """Maximum-likelihood GLM on arrays: statsmodels' IRLS after R's aliasing check.

    Parameters
    ----------
    y : numpy.ndarray
        Response (in [0, 1] for ``binomial``; fractions are allowed, as the
        quasi-binomial score equations).
    X : numpy.ndarray
        Design matrix including any intercept column.
    family : {"binomial", "gaussian"}
    weights : numpy.ndarray, optional
        Prior (case) weights; rescaled to mean 1 (estimates do not depend on
        their scale).
    link : {"canonical", "log"}
        ``"log"`` (binomial only) fits a log-binomial model, the risk-ratio
        model of quantile g-computation's ``rr = TRUE``.
    start : numpy.ndarray, optional
        Starting coefficients, one per column of ``X`` (the entries of
        aliased columns are ignored).
    max_iter : int
        IRLS iterations.

    Returns
    -------
    GLMFit
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import DomainWarning

    check_family(family)
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.mean()
    if family == "binomial" and np.any((y < 0) | (y > 1)):
        raise ValueError("binomial response must lie in [0, 1]")
    keep = _non_aliased(X, w)
    Xk = X[:, keep]
    if family == "gaussian":
        fam = sm.families.Gaussian()
    elif link == "log":
        fam = sm.families.Binomial(link=sm.families.links.Log())
    else:
        fam = sm.families.Binomial()
    sp = None if start is None else np.asarray(start, dtype=float)[keep]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DomainWarning)
        res = sm.GLM(y, Xk, family=fam, var_weights=w).fit(
            start_params=sp, maxiter=max_iter, tol=0.1 * _EPSILON, rtol=_EPSILON)
    params = np.full(X.shape[1], np.nan)
    params[keep] = res.params
    mu = np.asarray(res.fittedvalues, dtype=float)
    seen = list(dict.fromkeys(str(c.message) for c in caught))
    return GLMFit(params, keep, mu, bool(res.converged) or family == "gaussian", seen)


def model_cov(X: np.ndarray, mu: np.ndarray, family: Family, weights: np.ndarray | None = None,
              dispersion: float = 1.0) -> np.ndarray:
    """Model-based covariance ``dispersion (X' W X)^-1`` of a canonical-link GLM.

    ``W`` is the weights times the working weights (``mu (1 - mu)`` for the
    logit link, 1 for the identity). With ``dispersion = 1`` this is the
    bread ``A^-1`` of the sandwich.
    """
    w = np.ones(len(mu)) if weights is None else np.asarray(weights, dtype=float)
    ww = w * (mu * (1 - mu) if family == "binomial" else 1.0)
    return dispersion * np.linalg.inv(X.T @ (X * ww[:, None]))


def _assemble(
    names: list[str], keep: np.ndarray, beta: np.ndarray, cov: np.ndarray
) -> tuple[pd.Series, pd.DataFrame]:
    p = len(names)
    full_v = np.full((p, p), np.nan)
    full_v[np.ix_(keep, keep)] = cov
    return pd.Series(beta, index=names), pd.DataFrame(full_v, index=names, columns=names)


def _fit_notes(fit: GLMFit) -> list[str]:
    notes = [] if fit.converged else ["IRLS did not converge"]
    return notes + [f"statsmodels: {m}" for m in fit.warnings]


def svyglm(
    formula: str | tuple[pd.Series | np.ndarray, pd.DataFrame],
    design: SurveyDesign | pd.DataFrame,
    family: Family = "binomial",
    *,
    domain: str | pd.Series | np.ndarray | None = None,
    df: DesignDF | None = None,
    lonely_psu: LonelyPSU | None = None,
    weight: str | None = None,
    stratum: str | None = None,
    psu: str | None = None,
) -> GLMResult:
    """Fit a design-based GLM (R: ``svyglm(formula, design, family)``).

    Parameters
    ----------
    formula : str or (y, X)
        A formula such as ``"op ~ C(cd_q) + age_group"`` (``formulaic``
        syntax; pandas Categoricals get treatment contrasts with their first
        level as reference, as R factors), or a pair of a response and a
        design matrix (including any intercept column) aligned with the
        design's rows.
    design : SurveyDesign or pandas.DataFrame
        The survey design (its domain, lonely-PSU rule and df convention
        included). A DataFrame is a shortcut for
        ``SurveyDesign(data, weight, stratum, psu, lonely_psu, df)`` with the
        columns ``"weight"``, ``"stratum"``, ``"psu"`` unless named.
    family : {"binomial", "gaussian"}
        Logistic (logit link) or linear (identity link) regression.
    domain : str, boolean array-like or None
        Subpopulation to analyse, as ``design.subset(domain)``.
    df : {"r_survey", "psu_minus_strata"}, optional
        Override the design's degrees-of-freedom convention
        (:mod:`osteometals.stats.design`).
    lonely_psu : {"fail", "certainty", "remove", "adjust"}, optional
        Override the design's lonely-PSU rule.
    weight, stratum, psu : str, optional
        Design columns, only with a DataFrame.

    Returns
    -------
    GLMResult
        With ``weighted=True``; ``design_effect()`` is available.

    Raises
    ------
    LonelyPSUError
        A stratum has one PSU and ``lonely_psu="fail"``.
    ValueError
        Missing or negative design variables, malformed domain, an unknown
        option, or no observation left to fit.
    """
    check_family(family)
    if isinstance(design, SurveyDesign):
        if (weight, stratum, psu) != (None, None, None):
            raise ValueError("a SurveyDesign carries its own weight, stratum and psu columns")
        design = design.with_options(lonely_psu=lonely_psu, df=df)
    else:
        design = SurveyDesign(design, weight or "weight", stratum or "stratum", psu or "psu",
                              lonely_psu or "fail", df or "r_survey")
    if domain is not None:
        design = design.subset(domain)
    data = design.data
    model = _model_arrays(formula, data)
    used = design.used(model.complete)
    if not used.any():
        raise ValueError("no observation with positive weight in the domain")
    names = list(model.X.columns)
    X = model.X.to_numpy()[used]
    y = model.y[used]
    w = design.weights[used]
    fit = fit_arrays(y, X, family, w)
    keep, mu = fit.keep, fit.mu
    Xk = X[:, keep]
    Ainv = model_cov(Xk, mu, family, w)
    influence = (Xk * (w * (y - mu))[:, None]) @ Ainv
    V = design.variance(influence, used)
    # model-based variance of the weighted fit, weights scaled to mean 1 over the
    # domain (svyglm's rescale=TRUE), as the denominator of deff
    m = design.weights[design.domain].mean()
    if family == "binomial":
        naive = Ainv * m
    else:
        naive = Ainv * np.sum(w * (y - mu) ** 2) / (len(y) - len(keep))
    params, cov = _assemble(names, keep, fit.params, V)
    _, naive_cov = _assemble(names, keep, fit.params, naive)
    df_resid = design.residual_df(len(keep), used)
    notes = [f"design-based (Taylor linearisation) variance; t on {df_resid:g} df "
             f"(df convention {design.df!r})", *_fit_notes(fit)]
    return GLMResult(
        params=params, cov=cov, df_resid=df_resid, family=family, weighted=True,
        nobs=int(used.sum()), design_df=design.degf(used), df_convention=design.df,
        terms=model.terms, naive_cov=naive_cov, converged=fit.converged, notes=notes,
    )


def glm(
    formula: str | tuple[pd.Series | np.ndarray, pd.DataFrame],
    data: pd.DataFrame,
    family: Family = "binomial",
    *,
    domain: str | pd.Series | np.ndarray | None = None,
) -> GLMResult:
    """Fit an ordinary (unweighted, model-based) GLM, as R's ``glm``.

    Standard errors are model-based: ``(X'WX)^-1`` for logistic regression
    with normal-theory p-values and intervals (``df_resid = inf``), and
    ``s^2 (X'X)^-1`` for linear regression with t on ``n - p`` df.

    Parameters
    ----------
    formula : str or (y, X)
        As :func:`svyglm`.
    data : pandas.DataFrame
        One row per person.
    family : {"binomial", "gaussian"}
        Logistic or linear regression.
    domain : str, boolean array-like or None
        Rows to use (for an unweighted model a domain is just a row filter).

    Returns
    -------
    GLMResult
        With ``weighted=False``.
    """
    check_family(family)
    model = _model_arrays(formula, data)
    used = domain_mask(domain, data) & model.complete
    names = list(model.X.columns)
    X = model.X.to_numpy()[used]
    y = model.y[used]
    fit = fit_arrays(y, X, family)
    Xk = X[:, fit.keep]
    if family == "binomial":
        df, dispersion = np.inf, 1.0
    else:
        df = len(y) - len(fit.keep)
        dispersion = np.sum((y - fit.mu) ** 2) / df
    cov = model_cov(Xk, fit.mu, family, dispersion=dispersion)
    params, cov_df = _assemble(names, fit.keep, fit.params, cov)
    notes = ["unweighted: model-based variance; survey weights and design not used",
             *_fit_notes(fit)]
    return GLMResult(
        params=params, cov=cov_df, df_resid=float(df), family=family, weighted=False,
        nobs=int(used.sum()), terms=model.terms, converged=fit.converged, notes=notes,
    )
