"""Multiple imputation: chained equations and Rubin's rules with Barnard-Rubin df.

Chained equations
-----------------
:func:`mice` follows the fully conditional specification of van Buuren and
Groothuis-Oudshoorn (2011, *J Stat Softw* 45(3), the R package ``mice``).
Each of the ``m`` imputations is its own chain:

1. every missing value starts as a random draw from its variable's observed
   values;
2. for ``iterations`` sweeps, each incomplete variable in turn gets an
   imputation model fitted on the rows where it is observed, with every other
   variable (the current imputations included) and the complete
   ``predictors`` as regressors, and its missing values are redrawn from that
   model.

The model is fitted on a **bootstrap sample** of the observed rows, so the
draws carry the uncertainty of the model's parameters and the imputations
are *proper* in Rubin's sense (Rubin 1987, ch. 4; the ``.boot`` methods of
``mice``). By the kind of the variable:

numeric
    predictive mean matching (Little 1988; ``mice``'s ``pmm``, type-1
    matching): a ridge-stabilised linear regression; each missing row's
    prediction under the bootstrap coefficients is matched to the
    predictions of the observed rows under the observed-data coefficients,
    and one of the ``donors`` nearest observed values is drawn. Imputed
    values are always values that occur in the data.
categorical (a pandas Categorical, two or more levels)
    multinomial logistic regression (logistic for two levels) with a small
    ridge penalty, as ``mice``'s ``polyreg`` (``nnet`` weight decay) keeps
    the fit finite under separation; the level is drawn from the predicted
    probabilities.

Why our own: ``statsmodels.imputation.mice`` imputes every variable by
predictive mean matching on a linear model (nothing for unordered
categories) and pools with normal-theory intervals; we need both a
categorical model and the small-sample degrees of freedom below for
design-based fits with about 20 residual degrees of freedom.

Rubin's rules
-------------
For ``m`` completed-data estimates ``q_l`` with variances ``u_l``
(Rubin 1987): ``qbar = mean(q_l)``, ``ubar = mean(u_l)``, between-imputation
variance ``b = var(q_l)`` (``m - 1`` divisor), total variance
``t = ubar + (1 + 1/m) b``. With ``lambda = (1 + 1/m) b / t`` and the
complete-data degrees of freedom ``nu_com`` (for a design-based fit, its
residual design df), the Barnard and Rubin (1999, *Biometrika* 86:948-955)
degrees of freedom are::

    nu_old = (m - 1) / lambda^2
    nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)
    nu     = 1 / (1 / nu_old + 1 / nu_obs)

as ``mice::pool`` (R ``mitools::MIcombine(df.complete=)`` omits the 1 + 1/m in
nu_obs; ``tests/reference/mi_rubin_fixture.R``). Intervals
are ``qbar +/- t_{nu, 1-alpha/2} sqrt(t)``. ``tests/test_mi.py`` checks
:func:`rubin` against ``mitools`` and the coverage of the whole procedure
on simulated data with values missing at random.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.stats.results import Summary, tidy_frame

__all__ = ["MIResult", "fit_imputed", "mice", "pool", "rubin"]

#: Ridge of the linear imputation model, relative to diag(X'X) (mice: 1e-5).
LINEAR_RIDGE = 1e-5
#: Ridge (absolute, on standardised regressors) of the multinomial model.
MULTINOMIAL_RIDGE = 1e-3


# --------------------------------------------------------------------------- variables


@dataclass
class _Variable:
    """One column in the chain: its values as float (numeric) or integer codes."""

    name: str
    categories: tuple | None  # None for numeric
    values: np.ndarray  # float; categorical: codes as float; in a chain: filled
    missing: np.ndarray  # bool: missing in the data
    center: float = 0.0
    scale: float = 1.0

    @property
    def categorical(self) -> bool:
        return self.categories is not None

    def encode(self) -> np.ndarray:
        """Regressor columns: standardised value, or indicators of levels 2..k."""
        if not self.categorical:
            return ((self.values - self.center) / self.scale)[:, None]
        k = len(self.categories)
        codes = self.values.astype(int)
        return (codes[:, None] == np.arange(1, k)[None, :]).astype(float)


def _variable(name: str, column: pd.Series) -> _Variable:
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        cats = tuple(column.cat.categories)
        if len(cats) < 2:
            raise ValueError(f"categorical {name!r} needs at least two levels, has {cats}")
        return _Variable(name, cats, codes, np.isnan(codes))
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        raise TypeError(
            f"column {name!r} must be numeric or a pandas Categorical, not {column.dtype}"
        )
    values = column.to_numpy(dtype=float)
    miss = ~np.isfinite(values)
    obs = values[~miss]
    sd = float(obs.std()) if len(obs) > 1 else 1.0
    return _Variable(name, None, values, miss, float(obs.mean()) if len(obs) else 0.0,
                     sd if sd > 0 else 1.0)


# --------------------------------------------------------------------------- models


def _ridge_ls(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares with a ridge of LINEAR_RIDGE x diag(X'X) (as mice's norm/pmm)."""
    xtx = X.T @ X
    xtx[np.diag_indices_from(xtx)] *= 1 + LINEAR_RIDGE
    return np.linalg.solve(xtx + 1e-12 * np.eye(len(xtx)), X.T @ y)


def _logsumexp(eta: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp (numpy only: scipy's version costs more than the fit here)."""
    top = eta.max(axis=1)
    return top + np.log(np.exp(eta - top[:, None]).sum(axis=1))


def _multinomial_nll(X: np.ndarray, Y: np.ndarray, beta: np.ndarray, pen: np.ndarray) -> float:
    eta = X @ beta
    return float(np.sum(_logsumexp(eta)) - np.sum(Y * eta)
                 + 0.5 * np.sum(pen * beta[:, 1:] ** 2))


def _fit_multinomial(X: np.ndarray, codes: np.ndarray, k: int,
                     start: np.ndarray | None = None, tol: float = 1e-8,
                     max_iter: int = 50) -> np.ndarray:
    """Ridge-penalised multinomial logit by Newton's method with step halving.

    Returns the (p, k) coefficients, those of level 0 fixed at zero; ``start``
    (e.g. the previous sweep's fit) only speeds convergence.
    """
    n, p = X.shape
    Y = np.zeros((n, k))
    Y[np.arange(n), codes] = 1.0
    pen = np.full((p, k - 1), MULTINOMIAL_RIDGE)
    pen[0] = 0.0  # intercepts unpenalised
    beta = np.zeros((p, k)) if start is None else start.copy()
    nll = _multinomial_nll(X, Y, beta, pen)
    for _ in range(max_iter):
        eta = X @ beta
        prob = np.exp(eta - _logsumexp(eta)[:, None])[:, 1:]
        grad = (X.T @ (prob - Y[:, 1:]) + pen * beta[:, 1:]).ravel(order="F")
        blocks = [[None] * (k - 1) for _ in range(k - 1)]
        for a in range(k - 1):
            for b in range(a, k - 1):
                w = prob[:, a] * ((a == b) - prob[:, b])
                blocks[a][b] = X.T @ (X * w[:, None])
                blocks[b][a] = blocks[a][b]
        hess = np.block(blocks) + np.diag(pen.ravel(order="F"))
        hess[np.diag_indices_from(hess)] += 1e-10
        step = np.linalg.solve(hess, grad).reshape((p, k - 1), order="F")
        t = 1.0
        while True:
            trial = beta.copy()
            trial[:, 1:] -= t * step
            new = _multinomial_nll(X, Y, trial, pen)
            if new <= nll or t < 1e-4:
                break
            t /= 2
        beta, done = trial, abs(nll - new) < tol * (abs(nll) + 1)
        nll = new
        if done:
            break
    return beta


def _draw_categorical(X: np.ndarray, beta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    eta = X @ beta
    prob = np.exp(eta - _logsumexp(eta)[:, None])
    u = rng.random(len(X))[:, None]
    return np.minimum((prob.cumsum(axis=1) < u).sum(axis=1), beta.shape[1] - 1)


def _pmm(yhat_obs: np.ndarray, y_obs: np.ndarray, yhat_mis: np.ndarray, donors: int,
         rng: np.random.Generator) -> np.ndarray:
    """For each missing row, one of the ``donors`` observed values with the nearest prediction."""
    d = min(donors, len(y_obs))
    dist = np.abs(yhat_mis[:, None] - yhat_obs[None, :])
    nearest = np.argpartition(dist, d - 1, axis=1)[:, :d]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, d, len(yhat_mis))]
    return y_obs[pick]


def _impute_one(target: _Variable, X: np.ndarray, donors: int, rng: np.random.Generator,
                warm: dict[str, np.ndarray]) -> np.ndarray:
    """New draws for the missing values of ``target`` given regressors ``X``.

    ``warm`` keeps the last multinomial fit per variable as the next start.
    """
    obs = ~target.missing
    Xo, yo = X[obs], target.values[obs]
    boot = rng.integers(0, len(yo), len(yo))
    Xm = X[target.missing]
    if target.categorical:
        k = len(target.categories)
        beta = _fit_multinomial(Xo[boot], yo[boot].astype(int), k, warm.get(target.name))
        warm[target.name] = beta
        return _draw_categorical(Xm, beta, rng).astype(float)
    beta_hat = _ridge_ls(Xo, yo)
    beta_boot = _ridge_ls(Xo[boot], yo[boot])
    return _pmm(Xo @ beta_hat, yo, Xm @ beta_boot, donors, rng)


# --------------------------------------------------------------------------- the chain


def _chain(variables: list[_Variable], fixed: np.ndarray, iterations: int, donors: int,
           rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One chain: start from random observed values, then ``iterations`` sweeps."""
    work = [replace(v, values=v.values.copy()) for v in variables]
    for v in work:
        if v.missing.any():
            v.values[v.missing] = rng.choice(v.values[~v.missing], int(v.missing.sum()))
    incomplete = [v for v in work if v.missing.any()]
    warm: dict[str, np.ndarray] = {}
    for _ in range(iterations):
        for target in incomplete:
            X = np.column_stack([fixed] + [o.encode() for o in work if o is not target])
            target.values[target.missing] = _impute_one(target, X, donors, rng, warm)
    return {v.name: v.values for v in work}


def mice(
    data: pd.DataFrame,
    columns: Sequence[str],
    predictors: Sequence[str] = (),
    *,
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    seed: int = 2025,
) -> list[pd.DataFrame]:
    """Impute missing values by chained equations; ``m`` completed copies of ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit.
    columns : sequence of str
        Variables of the chain: the incomplete ones are imputed, the complete
        ones act as regressors. Numeric columns are imputed by predictive
        mean matching, pandas Categoricals by (multinomial) logistic
        regression (see the module notes). Include the analysis outcome and
        exposures, so that the imputation model is as rich as the analysis.
    predictors : sequence of str
        Further complete numeric or categorical regressors (e.g. design
        variables); never imputed.
    m : int
        Number of imputations (independent chains).
    iterations : int
        Sweeps through the incomplete variables per chain.
    donors : int
        Candidate donors of predictive mean matching.
    seed : int
        Seed; chain ``l`` uses the ``l``-th child of ``SeedSequence(seed)``,
        so a chain does not depend on ``m``.

    Returns
    -------
    list of pandas.DataFrame
        ``m`` copies of ``data`` with the missing values of ``columns``
        filled (dtypes and categories kept).

    Raises
    ------
    ValueError
        An unknown column, a predictor with missing values, a variable with
        no observed value, or ``m`` / ``iterations`` below 1.
    """
    columns, predictors = list(columns), list(predictors)
    unknown = [c for c in columns + predictors if c not in data.columns]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}")
    if m < 1 or iterations < 1 or donors < 1:
        raise ValueError("m, iterations and donors must be at least 1")
    variables = [_variable(c, data[c]) for c in columns]
    empty = [v.name for v in variables if v.missing.all()]
    if empty:
        raise ValueError(f"column(s) {empty} have no observed value to impute from")
    fixed_vars = [_variable(c, data[c]) for c in predictors]
    gaps = [v.name for v in fixed_vars if v.missing.any()]
    if gaps:
        raise ValueError(f"predictor(s) {gaps} have missing values; add them to columns")
    fixed = np.column_stack([np.ones(len(data))] + [v.encode() for v in fixed_vars])
    seeds = np.random.SeedSequence(seed).spawn(m)
    out = []
    for ss in seeds:
        filled = _chain(variables, fixed, iterations, donors, np.random.default_rng(ss))
        copy = data.copy()
        for v in variables:
            if not v.missing.any():
                continue
            if v.categorical:
                copy[v.name] = pd.Categorical.from_codes(
                    filled[v.name].astype(int), categories=list(v.categories),
                    ordered=data[v.name].cat.ordered)
                copy[v.name].index = data.index
            else:
                copy[v.name] = filled[v.name]
        out.append(copy)
    return out


# --------------------------------------------------------------------------- Rubin's rules


def rubin(
    estimates: np.ndarray | Sequence[Sequence[float]],
    variances: np.ndarray | Sequence[Sequence[float]],
    df_complete: float = np.inf,
) -> pd.DataFrame:
    """Combine ``m`` completed-data estimates by Rubin's rules (Barnard-Rubin df).

    Parameters
    ----------
    estimates, variances : array-like, shape (m, p) or (m,)
        Estimate and squared standard error of each of ``p`` quantities in
        each of ``m`` completed data sets.
    df_complete : float
        Complete-data degrees of freedom ``nu_com`` (``inf``: the large-sample
        ``nu_old`` of Rubin 1987).

    Returns
    -------
    pandas.DataFrame
        One row per quantity: ``estimate`` (qbar), ``ubar``, ``b``, ``t``
        (total variance), ``se`` (sqrt t), ``df`` (Barnard-Rubin), ``riv``
        (relative increase in variance), ``lambda`` (share of the variance
        due to missingness), ``fmi`` (fraction of missing information) and
        ``m``.
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float).T).T
    u = np.atleast_2d(np.asarray(variances, dtype=float).T).T
    if q.ndim == 1 or q.shape != u.shape:
        raise ValueError(f"estimates {q.shape} and variances {u.shape} must have one shape")
    m = q.shape[0]
    if m < 2:
        raise ValueError("Rubin's rules need at least two imputations")
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(t > 0, (1 + 1 / m) * b / t, 0.0)
        riv = np.where(ubar > 0, (1 + 1 / m) * b / ubar, np.inf)
        nu_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if np.isfinite(df_complete):
            nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
            nu = 1 / (1 / nu_old + 1 / nu_obs)
        else:
            nu = nu_old
        fmi = (riv + 2 / (nu + 3)) / (riv + 1)
    return pd.DataFrame({"estimate": qbar, "ubar": ubar, "b": b, "t": t, "se": np.sqrt(t),
                         "df": nu, "riv": riv, "lambda": lam, "fmi": fmi, "m": m})


def _cov(result: Any) -> pd.DataFrame:
    cp = result.cov_params
    return cp() if callable(cp) else cp


@dataclass
class MIResult:
    """Estimates pooled over imputations (the results protocol of :mod:`osteometals.stats`).

    Attributes
    ----------
    params : pandas.Series
        Pooled estimates (qbar), by term.
    pooled : pandas.DataFrame
        :func:`rubin`'s table, indexed by term.
    total_cov : pandas.DataFrame
        ``Ubar + (1 + 1/m) B`` for all terms (B the between-imputation covariance).
    m : int
        Number of imputations.
    df_complete : float
        Complete-data degrees of freedom used.
    notes : list of str
        Caveats.
    """

    params: pd.Series
    pooled: pd.DataFrame
    total_cov: pd.DataFrame
    m: int
    df_complete: float
    notes: list[str] = field(default_factory=list)

    @property
    def bse(self) -> pd.Series:
        """Pooled standard errors."""
        return self.pooled["se"]

    @property
    def df(self) -> pd.Series:
        """Barnard-Rubin degrees of freedom per term."""
        return self.pooled["df"]

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values, t on the Barnard-Rubin df."""
        tval = self.params / self.bse
        return pd.Series(2 * stats.t.sf(np.abs(tval), self.df), index=self.params.index)

    def cov_params(self) -> pd.DataFrame:
        """Total covariance matrix of the pooled estimates."""
        return self.total_cov

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Intervals ``qbar +/- t_{df, 1-alpha/2} se``; columns ``lower``, ``upper``."""
        half = stats.t.ppf(1 - alpha / 2, self.df) * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """Tidy table: the protocol's columns, then ``df``, ``riv``, ``fmi``, ``m``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level.
        exponentiate : bool
            Report ``exp`` of the estimate and limits (odds ratios); ``se``
            stays on the model scale.
        """
        ci = self.conf_int(alpha)
        est, lo, hi = self.params, ci["lower"], ci["upper"]
        if exponentiate:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        frame = pd.DataFrame({
            "term": self.params.index, "estimate": est.to_numpy(), "se": self.bse.to_numpy(),
            "statistic": (self.params / self.bse).to_numpy(), "p": self.pvalues.to_numpy(),
            "ci_lower": lo.to_numpy(), "ci_upper": hi.to_numpy(),
            "df": self.df.to_numpy(), "riv": self.pooled["riv"].to_numpy(),
            "fmi": self.pooled["fmi"].to_numpy(), "m": self.m,
        })
        return tidy_frame(frame, extra=("df", "riv", "fmi", "m"))

    def summary(self, alpha: float = 0.05) -> Summary:
        """Printable summary of the pooled fit."""
        return Summary(
            "Multiple imputation, Rubin's rules (Barnard-Rubin df)",
            {"m": self.m, "complete-data df": self.df_complete},
            self.tidy(alpha).set_index("term"), list(self.notes),
        )


def pool(results: Sequence[Any], df_complete: float | None = None) -> MIResult:
    """Pool fitted models (one per imputed data set) by Rubin's rules.

    Parameters
    ----------
    results : sequence of results objects
        Each with ``params`` (Series) and ``cov_params`` (a DataFrame or a
        method returning one), e.g. :class:`osteometals.stats.survey.GLMResult`.
        All must have the same terms.
    df_complete : float, optional
        Complete-data degrees of freedom; default the smallest ``df_resid``
        of the results (the residual design df of a design-based fit), or
        ``inf`` if they have none.

    Returns
    -------
    MIResult
    """
    results = list(results)
    if len(results) < 2:
        raise ValueError("pool needs the fits of at least two imputed data sets")
    terms = results[0].params.index
    if any(not r.params.index.equals(terms) for r in results):
        raise ValueError("every fit must have the same terms")
    if df_complete is None:
        dfs = [float(getattr(r, "df_resid", np.inf)) for r in results]
        df_complete = min(dfs)
    q = np.vstack([r.params.to_numpy(dtype=float) for r in results])
    covs = np.stack([_cov(r).loc[terms, terms].to_numpy(dtype=float) for r in results])
    u = np.diagonal(covs, axis1=1, axis2=2)
    table = rubin(q, u, df_complete)
    table.index = terms
    m = len(results)
    between = np.cov(q, rowvar=False, ddof=1).reshape(len(terms), len(terms))
    total = covs.mean(axis=0) + (1 + 1 / m) * between
    notes = [f"{m} imputations pooled by Rubin's rules; df of Barnard and Rubin (1999) "
             f"with complete-data df {df_complete:g}"]
    return MIResult(table["estimate"], table, pd.DataFrame(total, index=terms, columns=terms),
                    m, float(df_complete), notes)


def fit_imputed(fit: Callable[[pd.DataFrame], Any], datasets: Iterable[pd.DataFrame],
                df_complete: float | None = None) -> MIResult:
    """Fit ``fit(data)`` on every imputed data set and pool the fits (:func:`pool`)."""
    return pool([fit(d) for d in datasets], df_complete)
