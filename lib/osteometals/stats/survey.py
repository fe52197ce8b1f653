"""Design-based generalised linear models, as R's ``survey::svyglm``.

NHANES is a stratified, clustered, unequally weighted sample. A regression
that ignores this gets the point estimates wrong (no weights) and the
standard errors wrong (no strata, no clustering). This module fits logistic
and linear regression the way R's ``survey`` package does, so that the book's
numbers can be checked against R to many digits (``tests/test_survey.py``).

The estimator
-------------
Coefficients solve the weighted score equations
``sum_i w_i x_i (y_i - mu_i) = 0`` (iteratively reweighted least squares, as
``glm`` with prior weights ``w``). Their variance is the Taylor-linearised
sandwich of Binder (1983)::

    V = A^-1  B  A^-1,     A = X' W X  (W: weights times GLM working weights)
    B = sum_h n_h / (n_h - 1) sum_i (t_hi - tbar_h)(t_hi - tbar_h)'

where ``t_hi`` is the total of the score vectors ``w x (y - mu)`` over PSU
``i`` of stratum ``h``, ``tbar_h`` their mean over the ``n_h`` PSUs of the
stratum, and sampling is taken to be with replacement (no finite population
correction), exactly as ``svydesign(ids=~psu, strata=~stratum,
weights=~weight, nest=TRUE)``. PSU numbers are nested in strata: a PSU is the
pair (stratum, psu).

Inference uses a t distribution on the residual design degrees of freedom of
``svyglm``: ``df = degf(design) + 1 - p`` with ``degf`` the number of PSUs
minus the number of strata that contain at least one observation used by the
fit (positive weight, inside the domain, no missing values) and ``p`` the
number of estimated (non-aliased) coefficients. Confidence intervals are
``b +/- t_{df, 1-alpha/2} se`` (``confint.svyglm``); the joint Wald test is
``regTermTest``'s default: ``F = b' V^-1 b / q`` on ``(q, df)``.

Domains (subpopulations)
------------------------
``domain=`` reproduces ``svyglm(..., design = subset(design, domain))``: the
observations outside the domain stay in the design with a score of zero, so
every PSU still counts in ``n_h`` and in the centring. Dropping the rows
before building the design is a different (and, for subgroups, wrong)
variance estimator; :func:`svyglm` never does it. Rows with a missing value
in a model variable are treated like rows outside the domain, which is what
``svyglm``'s ``na.action`` does.

Lonely PSUs
-----------
A stratum with one PSU in the design has no between-PSU variance. As R's
``options(survey.lonely.psu=)``:

``"fail"`` (default, as R)
    raise :class:`LonelyPSUError` if such a stratum holds observations used by
    the fit. NHANES strata have two PSUs, so this never fires on NHANES.
``"certainty"`` / ``"remove"``
    the stratum contributes no variance (in ``survey`` 4.x both give the same
    Taylor variance).
``"adjust"``
    the stratum's single PSU total is taken as a deviation from zero, the
    overall mean of the score totals (a conservative choice).

A stratum that has two or more PSUs in the design but only one inside the
domain is *not* lonely: the empty PSU contributes a zero total, as in R with
the default ``options(survey.adjust.domain.lonely = FALSE)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

Family = Literal["binomial", "gaussian"]
LonelyPSU = Literal["fail", "certainty", "remove", "adjust"]

__all__ = [
    "GLMResult",
    "LonelyPSUError",
    "WaldTest",
    "glm",
    "svyglm",
]

_ALIAS_TOL = 1e-9


class LonelyPSUError(ValueError):
    """A stratum has a single PSU and ``lonely_psu="fail"``."""


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


@dataclass
class GLMResult:
    """A fitted GLM: design-based (:func:`svyglm`) or model-based (:func:`glm`).

    Attributes
    ----------
    params : pandas.Series
        Coefficients on the link scale; ``NaN`` for aliased columns.
    cov_params : pandas.DataFrame
        Variance-covariance matrix of the coefficients (``NaN`` rows and
        columns for aliased coefficients).
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
        ``degf(design)`` of the fitted design (design-based fits only).
    terms : dict
        Model term -> its columns, for :meth:`wald_test` by term.
    naive_cov : pandas.DataFrame or None
        Weighted model-based covariance used for the design effect.
    converged : bool
        Whether IRLS met its tolerance.
    """

    params: pd.Series
    cov_params: pd.DataFrame
    df_resid: float
    family: Family
    weighted: bool
    nobs: int
    design_df: int | None = None
    terms: dict[str, list[str]] = field(default_factory=dict)
    naive_cov: pd.DataFrame | None = None
    converged: bool = True

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the coefficients."""
        return pd.Series(np.sqrt(np.diag(self.cov_params.to_numpy())), index=self.params.index)

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
        elif np.isinf(self.df_resid):
            p = 2 * stats.norm.sf(np.abs(t))
        else:
            p = 2 * stats.t.sf(np.abs(t), self.df_resid)
        return pd.Series(p, index=self.params.index)

    def _quantile(self, alpha: float) -> float:
        if self.df_resid <= 0:
            return np.nan
        if np.isinf(self.df_resid):
            return float(stats.norm.ppf(1 - alpha / 2))
        return float(stats.t.ppf(1 - alpha / 2, self.df_resid))

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
        q = self._quantile(alpha)
        half = q * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def frame(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """Tidy coefficient table.

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
        return pd.DataFrame(
            {
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
            }
        )

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
        v = self.cov_params.loc[cols, cols].to_numpy()
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
            np.diag(self.cov_params.to_numpy()) / np.diag(self.naive_cov.to_numpy()),
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


def _domain_mask(domain, data: pd.DataFrame) -> np.ndarray:
    if domain is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(domain, str):
        domain = data[domain]
    if isinstance(domain, pd.Series):
        if not domain.index.equals(data.index):
            raise ValueError("the domain Series must share the data's index")
        if domain.isna().any():
            raise ValueError("domain must not contain missing values")
        domain = domain.to_numpy()
    mask = np.asarray(domain)
    if mask.shape != (len(data),):
        raise ValueError("domain must have one value per row of data")
    if mask.dtype != bool:
        if not np.isin(mask, [0, 1]).all():
            raise ValueError("domain must be boolean (or 0/1)")
        mask = mask.astype(bool)
    return mask


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


def _wls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares through the normal equations (columns are non-aliased)."""
    Xw = X * w[:, None]
    return np.linalg.solve(X.T @ Xw, Xw.T @ y)


def _irls(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, family: Family, tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Weighted maximum likelihood. Returns (beta, mu, converged)."""
    if family == "gaussian":
        beta = _wls(X, y, w)
        return beta, X @ beta, True
    if family != "binomial":
        raise ValueError(f"unknown family {family!r}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("binomial response must lie in [0, 1]")
    # R's binomial mustart with weights scaled to mean 1 (svyglm's rescale=TRUE)
    wr = w / w.mean()
    mu = (wr * y + 0.5) / (wr + 1)
    eta = np.log(mu / (1 - mu))
    beta = np.zeros(X.shape[1])
    dev_old = np.inf
    converged = False

    def deviance(eta: np.ndarray) -> float:
        # -2 log-likelihood, computed stably on the logit scale
        return float(2 * np.sum(w * (np.logaddexp(0, eta) - y * eta)))

    for _ in range(max_iter):
        var = mu * (1 - mu)
        z = eta + (y - mu) / var
        new = _wls(X, z, w * var)
        dev = deviance(X @ new)
        halvings = 0
        while not np.isfinite(dev) or (dev > dev_old and halvings < 30):
            new = (new + beta) / 2  # step halving, as glm.fit
            dev = deviance(X @ new)
            halvings += 1
        beta = new
        eta = X @ beta
        mu = np.clip(special.expit(eta), 1e-15, 1 - 1e-15)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    return beta, mu, converged


def _bread(X: np.ndarray, w: np.ndarray, mu: np.ndarray, family: Family) -> np.ndarray:
    """Inverse information ``(X' W X)^-1`` with W the weighted working weights."""
    ww = w * (mu * (1 - mu) if family == "binomial" else 1.0)
    return np.linalg.inv(X.T @ (X * ww[:, None]))


def _between_psu(
    u: np.ndarray, strata: np.ndarray, psus: np.ndarray, used: np.ndarray, lonely_psu: LonelyPSU
) -> np.ndarray:
    """Stratified between-PSU covariance of score totals (with replacement).

    ``u`` has a row per observation of the *whole* design (zero outside the
    fit); PSU counts ``n_h`` come from the whole design.
    """
    p = u.shape[1]
    frame = pd.DataFrame({"h": strata, "i": psus})
    psu_id = frame.groupby(["h", "i"], sort=True, observed=True).ngroup().to_numpy()
    n_psu = psu_id.max() + 1
    totals = np.zeros((n_psu, p))
    np.add.at(totals, psu_id, u)
    psu_stratum = np.empty(n_psu, dtype=object)
    psu_stratum[psu_id] = strata
    h_codes, h_of_psu = np.unique(psu_stratum.astype(str), return_inverse=True)
    used_strata = set(np.unique(h_of_psu[psu_id[used]]))
    B = np.zeros((p, p))
    for h in range(len(h_codes)):
        t = totals[h_of_psu == h]
        n_h = t.shape[0]
        if n_h > 1:
            d = t - t.mean(axis=0)
            B += n_h / (n_h - 1) * d.T @ d
        elif h in used_strata:
            if lonely_psu == "fail":
                raise LonelyPSUError(
                    f"stratum {h_codes[h]} has only one PSU; choose lonely_psu="
                    "'adjust', 'certainty' or 'remove'"
                )
            if lonely_psu == "adjust":
                B += t.T @ t
            elif lonely_psu not in ("certainty", "remove"):
                raise ValueError(f"unknown lonely_psu {lonely_psu!r}")
    return B


def _assemble(
    names: list[str], keep: np.ndarray, beta: np.ndarray, cov: np.ndarray
) -> tuple[pd.Series, pd.DataFrame]:
    p = len(names)
    full_b = np.full(p, np.nan)
    full_b[keep] = beta
    full_v = np.full((p, p), np.nan)
    full_v[np.ix_(keep, keep)] = cov
    return pd.Series(full_b, index=names), pd.DataFrame(full_v, index=names, columns=names)


def svyglm(
    formula: str | tuple[pd.Series | np.ndarray, pd.DataFrame],
    data: pd.DataFrame,
    family: Family = "binomial",
    *,
    weight: str = "weight",
    stratum: str = "stratum",
    psu: str = "psu",
    domain: str | pd.Series | np.ndarray | None = None,
    lonely_psu: LonelyPSU = "fail",
) -> GLMResult:
    """Fit a design-based GLM (R: ``svyglm(formula, subset(design, domain), family)``).

    Parameters
    ----------
    formula : str or (y, X)
        A formula such as ``"op ~ C(cd_q) + age_group"`` (``formulaic``
        syntax; pandas Categoricals get treatment contrasts with their first
        level as reference, as R factors), or a pair of a response and a
        design matrix (including any intercept column) aligned with ``data``.
    data : pandas.DataFrame
        The whole sample the design describes, one row per person. Do not
        drop rows to analyse a subgroup: pass ``domain`` instead.
    family : {"binomial", "gaussian"}
        Logistic (logit link) or linear (identity link) regression.
    weight, stratum, psu : str
        Columns with the sampling weight, the stratum and the PSU (PSU
        numbers are nested in strata).
    domain : str, boolean array-like or None
        Subpopulation to analyse (a column name or a mask aligned with
        ``data``). Rows outside it keep their place in the design.
    lonely_psu : {"fail", "certainty", "remove", "adjust"}
        What to do with a stratum that has a single PSU (see module notes).

    Returns
    -------
    GLMResult
        With ``weighted=True``; ``design_effect()`` is available.

    Raises
    ------
    LonelyPSUError
        A stratum has one PSU and ``lonely_psu="fail"``.
    ValueError
        Missing or negative design variables, malformed domain, or no
        residual design degrees of freedom left to estimate anything.
    """
    design = data[[weight, stratum, psu]]
    if design.isna().any().any():
        raise ValueError("weight, stratum and psu must not contain missing values")
    w_all = design[weight].to_numpy(dtype=float)
    if (w_all < 0).any():
        raise ValueError("weights must be non-negative")
    model = _model_arrays(formula, data)
    in_domain = _domain_mask(domain, data)
    used = in_domain & model.complete & (w_all > 0)
    if not used.any():
        raise ValueError("no observation with positive weight in the domain")
    names = list(model.X.columns)
    X = model.X.to_numpy()[used]
    y = model.y[used]
    w = w_all[used]
    keep = _non_aliased(X, w)
    Xk = X[:, keep]
    beta, mu, converged = _irls(Xk, y, w, family)
    Ainv = _bread(Xk, w, mu, family)
    scores = np.zeros((len(data), len(keep)))
    scores[used] = Xk * (w * (y - mu))[:, None]
    B = _between_psu(
        scores @ Ainv, design[stratum].to_numpy(), design[psu].to_numpy(), used, lonely_psu
    )
    # R: degf counts PSUs and strata holding observations the fit uses
    used_design = design.loc[used, [stratum, psu]]
    degf = len(used_design.drop_duplicates()) - used_design[stratum].nunique()
    # model-based variance of the weighted fit, weights scaled to mean 1 over the
    # domain (svyglm's rescale=TRUE), as the denominator of deff
    m = w_all[in_domain].mean()
    if family == "binomial":
        naive = Ainv * m
    else:
        naive = Ainv * np.sum(w * (y - mu) ** 2) / (len(y) - len(keep))
    params, cov = _assemble(names, keep, beta, B)
    _, naive_cov = _assemble(names, keep, beta, naive)
    return GLMResult(
        params=params,
        cov_params=cov,
        df_resid=float(degf + 1 - len(keep)),
        family=family,
        weighted=True,
        nobs=int(used.sum()),
        design_df=int(degf),
        terms=model.terms,
        naive_cov=naive_cov,
        converged=converged,
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
    model = _model_arrays(formula, data)
    used = _domain_mask(domain, data) & model.complete
    names = list(model.X.columns)
    X = model.X.to_numpy()[used]
    y = model.y[used]
    w = np.ones(len(y))
    keep = _non_aliased(X, w)
    Xk = X[:, keep]
    beta, mu, converged = _irls(Xk, y, w, family)
    Ainv = _bread(Xk, w, mu, family)
    if family == "binomial":
        cov, df = Ainv, np.inf
    else:
        df = len(y) - len(keep)
        cov = Ainv * np.sum((y - mu) ** 2) / df
    params, cov_df = _assemble(names, keep, beta, cov)
    return GLMResult(
        params=params,
        cov_params=cov_df,
        df_resid=float(df),
        family=family,
        weighted=False,
        nobs=int(used.sum()),
        terms=model.terms,
        converged=converged,
    )
