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
  common in subgroup analyses, so :func:`non_aliased` drops such columns
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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from osteometals.stats.design import DesignDF, LonelyPSU, SurveyDesign, domain_mask
from osteometals.stats.glm_results import FAMILIES, Family, GLMResult, WaldTest, check_family

__all__ = [
    "FAMILIES",
    "Family",
    "GLMFit",
    "GLMResult",
    "WaldTest",
    "check_family",
    "fit_arrays",
    "fit_rows",
    "glm",
    "model_cov",
    "non_aliased",
    "svyglm",
]

_ALIAS_TOL = 1e-9
#: R's glm.control(epsilon=) used by the reference fixtures.
_EPSILON = 1e-12


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


def non_aliased(X: np.ndarray, w: np.ndarray) -> np.ndarray:
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
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import DomainWarning

    check_family(family)
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.mean()
    if family == "binomial" and np.any((y < 0) | (y > 1)):
        raise ValueError("binomial response must lie in [0, 1]")
    keep = non_aliased(X, w)
    Xk = X[:, keep]
    if family == "gaussian":
        fam = families.Gaussian()
    elif link == "log":
        fam = families.Binomial(link=families.links.Log())
    else:
        fam = families.Binomial()
    sp = None if start is None else np.asarray(start, dtype=float)[keep]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DomainWarning)
        res = GLM(y, Xk, family=fam, var_weights=w).fit(
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


def fit_rows(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    rows: np.ndarray,
    family: Family,
    design: SurveyDesign | None = None,
) -> GLMResult:
    """A GLM of arrays that belong to some rows of a data set (or of a design).

    Without a design: :func:`glm` of ``y`` on ``X``. With one: :func:`svyglm`
    on ``design.subset(rows)``, the arrays placed at their rows of the whole
    design, so the design's other rows keep their place in the variance.

    Parameters
    ----------
    y, X : numpy.ndarray
        Response and design matrix (with any intercept column) of the rows.
    names : list of str
        Column names of ``X``.
    rows : numpy.ndarray
        Positions of those rows in ``design.data``.
    family : {"binomial", "gaussian"}
    design : SurveyDesign, optional

    Returns
    -------
    GLMResult
    """
    if design is None:
        frame = pd.DataFrame(X, columns=names)
        return glm((y, frame), frame, family)
    n = len(design.data)
    full = pd.DataFrame(np.nan, index=design.data.index, columns=names)
    full.iloc[rows] = X
    y_full = np.full(n, np.nan)
    y_full[rows] = y
    inside = np.zeros(n, dtype=bool)
    inside[rows] = True
    return svyglm((y_full, full), design.subset(inside), family)
