"""Weighted quantile sum (WQS) regression.

WQS regression (Carrico, Gennings, Wheeler and Factor-Litvak 2015, *J Agric
Biol Environ Stat* 20:100-120) summarises a mixture of correlated exposures
in one index,

.. math::

    \\mathrm{WQS}_i = \\sum_{j=1}^{c} w_j q_{ij}, \\qquad w_j \\ge 0, \\quad
    \\sum_j w_j = 1,

where :math:`q_{ij} \\in \\{0, \\dots, q-1\\}` is the quantile score of
exposure *j* for person *i*, and fits
:math:`g(\\mu_i) = \\beta_0 + \\beta_1 \\mathrm{WQS}_i + z_i^\\top \\gamma`.
This module follows R ``gWQS::gwqs()`` (versions 2.0.0 and 3.0.x, read
from their sources) step by step:

1. **Scores.** Each exposure is cut at its sample quantiles
   (R ``quantile`` type 7, probabilities ``0, 1/q, ..., 1``; duplicated
   cut-points dropped, the outer ones replaced by -inf / +inf) into
   right-closed intervals scored ``0 .. q-1``. gWQS computes the cut-points
   on the **whole** analysis data set, *before* the training/validation
   split (``gwqs_rank(dtf, ...)`` / ``quantile_f(dtf, ...)`` run before
   ``create_rindex``). That is the default here (``quantile_from="all"``);
   ``quantile_from="train"`` computes them on the training rows and applies
   them to the validation rows, a stricter hold-out.
2. **Split.** ``round(n * validation)`` rows drawn at random form the
   validation set, the rest the training set (``validation = 0`` uses all
   rows for both).
3. **Bootstrap.** ``b`` samples with replacement of the training rows. In
   each, the weights and the regression coefficients are estimated by
   constrained maximum likelihood: ``w >= 0``, ``sum(w) = 1`` and, with
   ``b1_constr=True``, ``beta1`` restricted to the chosen direction.
4. **Signal.** The model with the estimated weights is refitted as an
   ordinary GLM on the bootstrap sample; the Wald statistic of ``beta1``
   gives the bootstrap's signal. The final weights are the signal-weighted
   mean of the weights over the bootstraps whose ``beta1`` has the chosen
   sign. gWQS 3.x's default signal is the squared statistic
   (``signal = "t2"``); gWQS 2.0.0 used its absolute value (``"abst"``).
5. **Validation.** ``WQS = Q w`` is computed in the validation rows and its
   coefficient (odds ratio for a binary outcome) estimated by an ordinary
   GLM with the covariates.

The constrained fit uses an exact reparametrisation: with
``theta_j = beta1 * w_j`` the constraints become ``theta_j >= 0`` (positive
direction) or ``theta_j <= 0`` (negative direction), and the model is an
ordinary GLM in ``(gamma, theta)`` with sign bounds on ``theta``. Its
negative log-likelihood is convex (logistic and gaussian), so the bounded
quasi-Newton solver L-BFGS-B with an analytic gradient reaches the global
optimum; ``beta1 = sum(theta)`` and ``w = theta / beta1`` are recovered
afterwards. With ``b1_constr=False`` (the gWQS default) the sign of
``beta1`` is free: both sign orthants are fitted and the better likelihood
kept, which is the global optimum of gWQS's unconstrained-direction problem.

Observation weights (e.g. survey weights) enter the likelihood as case
weights, rescaled to mean 1 in the rows used. Point estimates are then
survey-weighted pseudo-likelihood estimates; the index's confidence
interval uses a linearisation (sandwich) variance, with strata and PSUs
when given. WQS itself has no design-based theory for the weights: the
weighted fit is a sensitivity analysis, not a design-based WQS.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from osteometals.stats.coding import dummy_code

Family = Literal["binomial", "gaussian"]
Direction = Literal["positive", "negative"]

#: Signal functions of gWQS (argument ``signal``), applied to the Wald
#: statistic of ``beta1`` in each bootstrap.
SIGNALS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "t2": np.square,
    "abst": np.abs,
    "one": np.ones_like,
    "expt": np.exp,
}

_SIGN = {"positive": 1.0, "negative": -1.0}


# ---------------------------------------------------------------------------
# Quantile scores
# ---------------------------------------------------------------------------


def quantile_breaks(x: np.ndarray, q: int) -> np.ndarray:
    """Interior cut-points that score ``x`` into ``q`` quantile groups, as gWQS.

    Parameters
    ----------
    x : array_like
        One exposure (missing values ignored).
    q : int
        Number of groups (4 for quartiles).

    Returns
    -------
    numpy.ndarray
        Increasing interior cut-points: the distinct sample quantiles at
        ``1/q, ..., (q-1)/q`` (R type 7, numpy's ``"linear"``) that remain after
        duplicates among all ``q + 1`` quantiles are removed and the smallest
        and largest are replaced by -inf and +inf. Ties can leave fewer than
        ``q - 1`` cut-points (and so fewer than ``q`` scores).
    """
    if int(q) != q or q < 2:
        raise ValueError(f"q must be an integer >= 2, got {q!r}")
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError("cannot compute quantiles of an empty or all-missing variable")
    probs = np.linspace(0.0, 1.0, int(q) + 1)
    qs = np.unique(np.quantile(x, probs))
    return qs[1:-1] if qs.size > 1 else qs[:0]


def quantile_scores(x: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Score ``x`` against cut-points from :func:`quantile_breaks`.

    The groups are right-closed, ``(-inf, b1], (b1, b2], ..., (bm, inf)``,
    scored ``0, 1, ..., m`` (R ``cut(..., labels = FALSE) - 1``): a value equal
    to a cut-point falls in the lower group.

    Parameters
    ----------
    x : array_like
        Values to score.
    breaks : array_like
        Increasing interior cut-points.

    Returns
    -------
    numpy.ndarray
        Integer scores (as floats), ``nan`` where ``x`` is missing.
    """
    x = np.asarray(x, dtype=float)
    scores = np.searchsorted(np.asarray(breaks, dtype=float), x, side="left").astype(float)
    scores[np.isnan(x)] = np.nan
    return scores


# ---------------------------------------------------------------------------
# Design matrices
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# GLM pieces (logistic and gaussian), vectorised
# ---------------------------------------------------------------------------


def _check_family(family: str) -> None:
    if family not in ("binomial", "gaussian"):
        raise ValueError(f"family must be 'binomial' or 'gaussian', got {family!r}")


def _nll_and_score(eta: np.ndarray, y: np.ndarray, wt: np.ndarray, family: str):
    """Negative log-likelihood (half deviance) and its derivative in ``eta``."""
    if family == "binomial":
        f = np.sum(wt * (np.logaddexp(0.0, eta) - y * eta))
        r = wt * (special.expit(eta) - y)
    else:
        res = y - eta
        f = 0.5 * np.sum(wt * res * res)
        r = -wt * res
    return f, r


@dataclass
class GLMFit:
    """An ordinary GLM fit (used for the refits and the validation model).

    Attributes
    ----------
    params : numpy.ndarray
        Coefficients, in the order of the design's columns.
    cov : numpy.ndarray
        Model-based covariance matrix (gaussian: scaled by the residual
        variance, as R ``summary.glm``).
    df_resid : int
        Residual degrees of freedom (``n`` minus the rank of the design).
    converged : bool
        Whether Newton's method met its tolerance.
    """

    params: np.ndarray
    cov: np.ndarray
    df_resid: int
    converged: bool


def fit_glm(
    y: np.ndarray,
    Z: np.ndarray,
    family: Family = "binomial",
    wt: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> GLMFit:
    """Maximum-likelihood GLM by Newton's method (logistic) or least squares.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome (0/1 for ``binomial``).
    Z : numpy.ndarray
        Design matrix including the intercept column.
    family : {"binomial", "gaussian"}
        Logistic regression or the linear model.
    wt : numpy.ndarray, optional
        Case weights (prior weights of R ``glm``).
    start : numpy.ndarray, optional
        Starting coefficients for Newton's method.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        Convergence tolerance on the largest absolute Newton step.

    Returns
    -------
    GLMFit
        Coefficients and their model-based covariance. Aliased designs are
        handled with a pseudo-inverse (aliased directions get zero variance
        in no coefficient; R would report ``NA`` for them).
    """
    _check_family(family)
    n, p = Z.shape
    wt = np.ones(n) if wt is None else np.asarray(wt, dtype=float)
    rank = np.linalg.matrix_rank(Z)
    if family == "gaussian":
        sw = np.sqrt(wt)
        beta, *_ = np.linalg.lstsq(Z * sw[:, None], y * sw, rcond=None)
        res = y - Z @ beta
        df = n - rank
        sigma2 = np.sum(wt * res * res) / df if df > 0 else np.nan
        cov = sigma2 * np.linalg.pinv((Z * wt[:, None]).T @ Z)
        return GLMFit(beta, cov, df, True)

    beta = np.zeros(p) if start is None else np.asarray(start, dtype=float).copy()
    eta = Z @ beta
    f, r = _nll_and_score(eta, y, wt, family)
    converged = False
    for _ in range(max_iter):
        mu = special.expit(eta)
        H = (Z * (wt * mu * (1.0 - mu))[:, None]).T @ Z
        g = Z.T @ r
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        if not np.all(np.isfinite(step)):
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        t = 1.0
        while True:
            cand = beta - t * step
            eta_c = Z @ cand
            f_c, r_c = _nll_and_score(eta_c, y, wt, family)
            if f_c <= f + 1e-12 * abs(f) or t < 1e-8:
                break
            t *= 0.5
        beta, eta, f, r = cand, eta_c, f_c, r_c
        if np.max(np.abs(t * step)) < tol:
            converged = True
            break
    mu = special.expit(eta)
    H = (Z * (wt * mu * (1.0 - mu))[:, None]).T @ Z
    return GLMFit(beta, np.linalg.pinv(H), n - rank, converged)


def _sandwich_cov(
    y: np.ndarray,
    Z: np.ndarray,
    beta: np.ndarray,
    family: str,
    wt: np.ndarray,
    stratum: np.ndarray | None,
    psu: np.ndarray | None,
) -> np.ndarray:
    """Linearisation (sandwich) covariance of a weighted GLM, as R ``svyglm``.

    Scores are totalled by PSU and centred within strata, with the
    ``n_h / (n_h - 1)`` factor; without PSUs every row is its own PSU, without
    strata there is one stratum.
    """
    eta = Z @ beta
    mu = special.expit(eta) if family == "binomial" else eta
    v = mu * (1.0 - mu) if family == "binomial" else np.ones_like(mu)
    bread = np.linalg.pinv((Z * (wt * v)[:, None]).T @ Z)
    scores = Z * (wt * (y - mu))[:, None]
    n = len(y)
    strata = np.zeros(n) if stratum is None else np.asarray(stratum)
    units = np.arange(n) if psu is None else np.asarray(psu)
    meat = np.zeros((Z.shape[1], Z.shape[1]))
    sdf = pd.DataFrame(scores)
    sdf["_h"] = strata
    sdf["_u"] = units
    totals = sdf.groupby(["_h", "_u"], sort=True).sum()
    for _, block in totals.groupby(level="_h"):
        m = len(block)
        if m < 2:
            continue
        d = block.to_numpy() - block.to_numpy().mean(axis=0)
        meat += m / (m - 1) * d.T @ d
    return bread @ meat @ bread


# ---------------------------------------------------------------------------
# One constrained WQS fit
# ---------------------------------------------------------------------------


@dataclass
class WQSFitOne:
    """The constrained WQS fit of one (bootstrap) sample.

    Attributes
    ----------
    w : numpy.ndarray
        Weights (non-negative, sum 1; equal weights when ``beta1 == 0``).
    beta1 : float
        Index coefficient of the refitted GLM (the gWQS ``b1``).
    se : float
        Its model-based standard error.
    stat : float
        ``beta1 / se`` (z for binomial, t for gaussian).
    params : numpy.ndarray
        Covariate coefficients (intercept first) of the constrained fit.
    nll : float
        Minimised negative log-likelihood (half the deviance).
    converged : bool
        Whether the optimiser reported success.
    """

    w: np.ndarray
    beta1: float
    se: float
    stat: float
    params: np.ndarray
    nll: float
    converged: bool


def _fit_orthant(y, X, Q, wt, family, sign, x0):
    """Minimise the negative log-likelihood with ``sign * theta >= 0``.

    Projected Newton (Bertsekas 1982): Newton steps on the free variables,
    bounded variables at zero with an outward gradient held fixed, and an
    Armijo back-tracking along the projection arc. The problem is convex and
    small, so this converges in a handful of iterations; L-BFGS-B is the
    fall-back if it does not.
    """
    p, k = X.shape[1], Q.shape[1]
    Z = np.column_stack([X, sign * Q])
    scale = 1.0 / np.sum(wt)
    lower = np.concatenate([np.full(p, -np.inf), np.zeros(k)])
    par = np.maximum(np.asarray(x0, dtype=float), lower)

    def value(par):
        f, r = _nll_and_score(Z @ par, y, wt, family)
        return f * scale, r

    f, r = value(par)
    for _ in range(100):
        grad = Z.T @ r * scale
        if np.max(np.abs(par - np.maximum(par - grad, lower))) < 1e-9:
            return par, f / scale, True
        eta = Z @ par
        v = special.expit(eta) * (1 - special.expit(eta)) if family == "binomial" else 1.0
        active = (par <= lower + 1e-10) & (grad > 0)
        free = ~active
        Zf = Z[:, free]
        H = (Zf * (wt * v * scale)[:, None]).T @ Zf
        try:
            step_f = np.linalg.solve(H, grad[free])
        except np.linalg.LinAlgError:
            step_f = np.linalg.lstsq(H, grad[free], rcond=None)[0]
        step = np.zeros_like(par)
        step[free] = step_f
        t = 1.0
        while t > 1e-10:
            cand = np.maximum(par - t * step, lower)
            f_c, r_c = value(cand)
            if f_c <= f + 1e-4 * grad @ (cand - par):
                break
            t *= 0.5
        else:
            break
        par, f, r = cand, f_c, r_c
    return _fit_orthant_lbfgsb(y, X, Q, wt, family, sign, par)


def _fit_orthant_lbfgsb(y, X, Q, wt, family, sign, x0):
    """Fall-back of :func:`_fit_orthant`: bounded quasi-Newton (L-BFGS-B)."""
    p, k = X.shape[1], Q.shape[1]
    scale = 1.0 / np.sum(wt)

    def fun(par):
        eta = X @ par[:p] + sign * (Q @ par[p:])
        f, r = _nll_and_score(eta, y, wt, family)
        return f * scale, np.concatenate([X.T @ r, sign * (Q.T @ r)]) * scale

    bounds = [(None, None)] * p + [(0.0, None)] * k
    res = optimize.minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
    )
    return res.x, res.fun / scale, bool(res.success)


def fit_wqs_sample(
    y: np.ndarray,
    X: np.ndarray,
    Q: np.ndarray,
    family: Family = "binomial",
    direction: Direction = "positive",
    wt: np.ndarray | None = None,
    b1_constr: bool = True,
    start: np.ndarray | None = None,
) -> WQSFitOne:
    """Fit the WQS model with weights and index coefficient estimated jointly.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome.
    X : numpy.ndarray
        Covariate design with the intercept as first column.
    Q : numpy.ndarray
        Quantile scores, one column per exposure.
    family : {"binomial", "gaussian"}
        Logistic or linear model.
    direction : {"positive", "negative"}
        Direction of ``beta1`` when ``b1_constr`` is true.
    wt : numpy.ndarray, optional
        Case weights.
    b1_constr : bool
        Constrain ``beta1`` to ``direction``. If false, the sign is free and
        the better of the two sign-constrained optima is returned.
    start : numpy.ndarray, optional
        Starting covariate coefficients (length ``X.shape[1]``).

    Returns
    -------
    WQSFitOne
        Weights, the refitted index coefficient and its Wald statistic.
    """
    _check_family(family)
    n, p = X.shape
    k = Q.shape[1]
    wt = np.ones(n) if wt is None else np.asarray(wt, dtype=float)
    a0 = np.zeros(p) if start is None else np.asarray(start, dtype=float)
    x0 = np.concatenate([a0, np.full(k, 1e-3)])
    signs = [_SIGN[direction]] if b1_constr else [1.0, -1.0]
    best = None
    for s in signs:
        par, nll, ok = _fit_orthant(y, X, Q, wt, family, s, x0)
        if best is None or nll < best[1] - 1e-12:
            best = (par, nll, ok, s)
    par, nll, ok, s = best
    theta = par[p:]
    total = theta.sum()
    w = theta / total if total > 0 else np.full(k, 1.0 / k)
    # gWQS: refit an ordinary GLM with the index fixed; its Wald statistic is the signal.
    Z = np.column_stack([X, Q @ w])
    refit = fit_glm(y, Z, family, wt, start=np.concatenate([par[:p], [s * total]]))
    beta1 = float(refit.params[-1])
    se = float(np.sqrt(max(refit.cov[-1, -1], 0.0)))
    stat = beta1 / se if se > 0 else 0.0
    return WQSFitOne(w, beta1, se, stat, par[:p], float(nll), ok and refit.converged)


def _boot_chunk(seeds, y, X, Q, wt, family, directions, b1_constr, start):
    """Fit a chunk of bootstrap samples; each sample drawn from its own seed."""
    n = len(y)
    out = []
    for seed in seeds:
        idx = np.random.default_rng(seed).integers(0, n, n)
        args = (y[idx], X[idx], Q[idx], family)
        if b1_constr:
            fits = {d: fit_wqs_sample(*args, d, wt[idx], True, start) for d in directions}
        else:
            one = fit_wqs_sample(*args, "positive", wt[idx], False, start)
            fits = dict.fromkeys(directions, one)
        out.append(fits)
    return out


def _run_bootstraps(seeds, y, X, Q, wt, family, directions, b1_constr, start, n_jobs, progress,
                    desc):
    """Run all bootstraps (in parallel chunks) and return them in seed order."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    b = len(seeds)
    n_chunks = 1 if n_jobs == 1 else max(1, min(b, 4 * n_jobs))
    chunks = [c for c in np.array_split(np.arange(b), n_chunks) if c.size]
    seed_chunks = [[seeds[i] for i in c] for c in chunks]
    bar = tqdm(total=b, desc=desc, disable=not progress, leave=False)
    results = []
    try:
        if n_jobs == 1:
            for sc in seed_chunks:
                for s in sc:
                    results.extend(
                        _boot_chunk([s], y, X, Q, wt, family, directions, b1_constr, start)
                    )
                    bar.update(1)
        else:
            gen = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_boot_chunk)(sc, y, X, Q, wt, family, directions, b1_constr, start)
                for sc in seed_chunks
            )
            for part in gen:
                results.extend(part)
                bar.update(len(part))
    finally:
        bar.close()
    return results


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class WQSResult:
    """Results of :func:`wqs_regression`.

    Attributes
    ----------
    weights : pandas.DataFrame
        Tidy final weights: ``metal``, ``weight``, ``direction``.
    index : pandas.DataFrame
        The index coefficient in the validation set, one row per direction:
        ``direction``, ``beta``, ``se``, ``or``, ``ci_lower``, ``ci_upper``,
        ``p``, ``n_train``, ``n_valid``, ``n_boot``, ``n_boot_used``. For
        ``binomial`` the interval is on the odds-ratio scale (per one-unit
        increase of the index, i.e. one quantile of every exposure); for
        ``gaussian`` ``or`` is missing and the interval is for ``beta``.
    bootstraps : pandas.DataFrame
        One row per bootstrap and direction: the weights, ``b1``, ``se``,
        ``stat``, ``converged`` and ``used`` (entered the average).
    breaks : dict
        Quantile cut-points per exposure.
    settings : dict
        The arguments of the fit (family, q, validation, b, signal, ...).
    notes : list of str
        Caveats, e.g. ``"unweighted"``.
    """

    weights: pd.DataFrame
    index: pd.DataFrame
    bootstraps: pd.DataFrame
    breaks: dict[str, np.ndarray]
    settings: dict
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"WQSResult(family={s['family']!r}, q={s['q']}, validation={s['validation']}, "
            f"b={s['b']}, directions={list(self.index['direction'])})\n"
            f"{self.weight_table().round(3)}\n{self.index.round(4).to_string(index=False)}"
        )

    def weight_table(self) -> pd.DataFrame:
        """Weights wide: one row per metal, one column per direction."""
        return self.weights.pivot(index="metal", columns="direction", values="weight")

    def to_csv(self, output_dir: str | Path, prefix: str = "wqs") -> dict[str, Path]:
        """Write ``<prefix>_weights.csv`` and ``<prefix>_index.csv``.

        Parameters
        ----------
        output_dir : str or pathlib.Path
            Folder (created if needed).
        prefix : str
            File-name prefix.

        Returns
        -------
        dict
            ``{"weights": path, "index": path}``.
        """
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"weights": out / f"{prefix}_weights.csv", "index": out / f"{prefix}_index.csv"}
        self.weights.to_csv(paths["weights"], index=False)
        self.index.to_csv(paths["index"], index=False)
        return paths

    def _repr_html_(self) -> str:
        s = self.settings
        head = (
            f"<p><b>WQS regression</b> ({s['family']}, q = {s['q']}, validation = "
            f"{s['validation']}, b = {s['b']}, signal = {s['signal']}, "
            f"b1_constr = {s['b1_constr']})</p>"
        )
        w = self.weight_table().round(3).to_html()
        idx = self.index.round(4).to_html(index=False)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"{head}{w}{idx}<ul>{notes}</ul>"


@dataclass
class WQSHoldoutResult:
    """Results of :func:`wqs_repeated_holdout`.

    Attributes
    ----------
    weights : pandas.DataFrame
        Per direction and metal, the distribution of the final weights over
        the repeated splits: ``mean``, ``median``, ``p2_5``, ``p97_5``.
    index : pandas.DataFrame
        Per direction, the distribution of the validation-set index
        coefficient: ``beta_mean``, ``or_median``, ``or_p2_5``, ``or_p97_5``
        (odds ratios for ``binomial``), ``share_p05`` (share of splits with
        ``p < 0.05``) and ``n_repeats``.
    repeats : pandas.DataFrame
        Long table: ``repeat``, ``direction``, ``metal``, ``weight``.
    repeat_index : pandas.DataFrame
        The :attr:`WQSResult.index` of every split, with a ``repeat`` column.
    settings : dict
        Arguments of the fit.
    notes : list of str
        Caveats.
    """

    weights: pd.DataFrame
    index: pd.DataFrame
    repeats: pd.DataFrame
    repeat_index: pd.DataFrame
    settings: dict
    notes: list[str] = field(default_factory=list)

    def to_csv(self, output_dir: str | Path, name: str = "wqs_holdout.csv") -> Path:
        """Write the weight distribution (with the index summary appended as rows).

        Parameters
        ----------
        output_dir : str or pathlib.Path
            Folder (created if needed).
        name : str
            File name.

        Returns
        -------
        pathlib.Path
            The written file: columns ``direction``, ``metal``, ``mean``,
            ``median``, ``p2_5``, ``p97_5``; the index odds ratio appears as
            metal ``"index OR"``.
        """
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        rows = self.index.rename(
            columns={"or_median": "median", "or_p2_5": "p2_5", "or_p97_5": "p97_5"}
        ).assign(metal="index OR", mean=np.exp(self.index["beta_mean"]))
        cols = ["direction", "metal", "mean", "median", "p2_5", "p97_5"]
        table = pd.concat([self.weights[cols], rows[cols]], ignore_index=True)
        path = out / name
        table.to_csv(path, index=False)
        return path

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"WQSHoldoutResult(rh={s['rh']}, b={s['b']}, q={s['q']}, "
            f"validation={s['validation']})\n{self.weights.round(3).to_string(index=False)}\n"
            f"{self.index.round(4).to_string(index=False)}"
        )

    def _repr_html_(self) -> str:
        s = self.settings
        head = (
            f"<p><b>WQS, repeated hold-out</b> (rh = {s['rh']}, b = {s['b']}, "
            f"q = {s['q']}, validation = {s['validation']})</p>"
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            head
            + self.weights.round(3).to_html(index=False)
            + self.index.round(4).to_html(index=False)
            + f"<ul>{notes}</ul>"
        )


# ---------------------------------------------------------------------------
# Main entry points
# ---------------------------------------------------------------------------


@dataclass
class _Prepared:
    y: np.ndarray
    X: np.ndarray
    raw: np.ndarray
    wt: np.ndarray | None
    stratum: np.ndarray | None
    psu: np.ndarray | None
    x_names: list[str]
    notes: list[str]


def _prepare(data, mixture, outcome, covariates, weight, stratum, psu, family):
    _check_family(family)
    mixture, covariates = list(mixture), list(covariates)
    if len(mixture) < 2:
        raise ValueError("a mixture needs at least two exposures")
    extra = [c for c in (weight, stratum, psu) if c is not None]
    used = list(dict.fromkeys([outcome, *mixture, *covariates, *extra]))
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    frame = data[used].dropna()
    notes = []
    if len(frame) < len(data):
        notes.append(f"{len(data) - len(frame)} rows with missing values dropped")
    cov = dummy_code(frame, covariates)
    X = np.column_stack([np.ones(len(frame)), cov.to_numpy(dtype=float)])
    y = frame[outcome].to_numpy(dtype=float)
    if family == "binomial" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"binomial outcome {outcome!r} must be 0/1")
    wt = None
    if weight is not None:
        wt = frame[weight].to_numpy(dtype=float)
        if np.any(wt < 0) or not np.any(wt > 0):
            raise ValueError("observation weights must be non-negative and not all zero")
    return _Prepared(
        y=y,
        X=X,
        raw=frame[mixture].to_numpy(dtype=float),
        wt=wt,
        stratum=None if stratum is None else frame[stratum].to_numpy(),
        psu=None if psu is None else frame[psu].to_numpy(),
        x_names=["(Intercept)", *cov.columns],
        notes=notes,
    )


def _validation_fit(y, X, index, family, wt, stratum, psu):
    """Ordinary GLM of the outcome on the index and covariates (validation set)."""
    Z = np.column_stack([X, index])
    fit = fit_glm(y, Z, family, wt)
    if wt is not None:
        cov = _sandwich_cov(y, Z, fit.params, family, wt, stratum, psu)
    else:
        cov = fit.cov
    beta = float(fit.params[-1])
    se = float(np.sqrt(max(cov[-1, -1], 0.0)))
    if family == "binomial":
        crit, p = stats.norm.ppf(0.975), 2 * stats.norm.sf(abs(beta / se))
        lo, hi = np.exp(beta - crit * se), np.exp(beta + crit * se)
        or_ = np.exp(beta)
    else:
        df = fit.df_resid
        crit, p = stats.t.ppf(0.975, df), 2 * stats.t.sf(abs(beta / se), df)
        lo, hi, or_ = beta - crit * se, beta + crit * se, np.nan
    return {"beta": beta, "se": se, "or": or_, "ci_lower": lo, "ci_upper": hi, "p": p}


def _split(n, validation, rng):
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be in [0, 1), got {validation!r}")
    if validation == 0:
        idx = np.arange(n)
        return idx, idx
    valid = np.zeros(n, dtype=bool)
    valid[rng.choice(n, size=int(np.round(n * validation)), replace=False)] = True
    return np.flatnonzero(~valid), np.flatnonzero(valid)


def _wqs_core(prep, mixture, *, family, q, validation, b, directions, b1_constr, signal,
              quantile_from, seed_seq, n_jobs, progress):
    """One WQS analysis on prepared arrays; ``seed_seq`` drives the split and bootstraps."""
    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {sorted(SIGNALS)}, got {signal!r}")
    if quantile_from not in ("all", "train"):
        raise ValueError("quantile_from must be 'all' or 'train'")
    for d in directions:
        if d not in _SIGN:
            raise ValueError(f"direction must be 'positive' or 'negative', got {d!r}")
    if b < 1:
        raise ValueError("b must be at least 1")
    split_seq, boot_seq = seed_seq.spawn(2)
    n = len(prep.y)
    it, iv = _split(n, validation, np.random.default_rng(split_seq))
    ref = prep.raw[it] if quantile_from == "train" else prep.raw
    breaks = {m: quantile_breaks(ref[:, j], q) for j, m in enumerate(mixture)}
    Q = np.column_stack([quantile_scores(prep.raw[:, j], breaks[m]) for j, m in enumerate(mixture)])

    def norm(w, rows):
        return None if w is None else w[rows] / w[rows].mean()

    wt_t = norm(prep.wt, it)
    y_t, X_t, Q_t = prep.y[it], prep.X[it], Q[it]
    wt_boot = np.ones(len(it)) if wt_t is None else wt_t
    start = fit_glm(y_t, X_t, family, wt_t).params
    seeds = boot_seq.spawn(b) if b > 1 else [None]
    if b == 1:  # gWQS: with b = 1 the training set itself is used
        fits = [
            {d: fit_wqs_sample(y_t, X_t, Q_t, family, d, wt_boot, b1_constr, start)
             for d in directions}
        ]
    else:
        fits = _run_bootstraps(seeds, y_t, X_t, Q_t, wt_boot, family, tuple(directions),
                               b1_constr, start, n_jobs, progress, "WQS bootstraps")
    sig = SIGNALS[signal]
    weight_rows, index_rows, boot_rows, failed = [], [], [], []
    wt_v = norm(prep.wt, iv)
    for d in directions:
        W = np.array([f[d].w for f in fits])
        b1 = np.array([f[d].beta1 for f in fits])
        st = np.array([f[d].stat for f in fits])
        conv = np.array([f[d].converged for f in fits])
        used = conv & (b1 > 0 if d == "positive" else b1 < 0)
        if not used.any():
            failed.append(d)
            continue
        s = sig(st[used])
        if not np.sum(s) > 0:
            s = np.ones(used.sum())
        w_final = s @ W[used] / np.sum(s)
        for m, w in zip(mixture, w_final, strict=True):
            weight_rows.append({"metal": m, "weight": float(w), "direction": d})
        bdf = pd.DataFrame(W, columns=list(mixture))
        bdf.insert(0, "boot", np.arange(len(fits)))
        bdf.insert(0, "direction", d)
        bdf = bdf.assign(b1=b1, se=[f[d].se for f in fits], stat=st, converged=conv, used=used)
        boot_rows.append(bdf)
        vfit = _validation_fit(prep.y[iv], prep.X[iv], Q[iv] @ w_final, family, wt_v,
                               None if prep.stratum is None else prep.stratum[iv],
                               None if prep.psu is None else prep.psu[iv])
        index_rows.append({"direction": d, **vfit, "n_train": len(it), "n_valid": len(iv),
                           "n_boot": len(fits), "n_boot_used": int(used.sum())})
    if len(failed) == len(directions):
        raise RuntimeError(f"There are no {' or '.join(failed)} b1 in the bootstrapped models")
    return (pd.DataFrame(weight_rows), pd.DataFrame(index_rows),
            pd.concat(boot_rows, ignore_index=True), breaks, failed)


def _notes(prep, b1_constr, quantile_from, signal):
    notes = list(prep.notes)
    if prep.wt is None:
        notes.append("unweighted: survey weights and design not used")
    else:
        notes.append(
            "survey weights as case weights in the likelihood (rescaled to mean 1); "
            "index CI from a linearisation variance"
            + (" with strata and PSUs" if prep.psu is not None else "")
        )
    if not b1_constr:
        notes.append("beta1 sign free in the fit (gWQS default b1_constr = FALSE)")
    if quantile_from == "train":
        notes.append("quantile cut-points from the training set (gWQS uses all rows)")
    if signal != "t2":
        notes.append(f"signal function {signal!r} (gWQS 3.x default is 't2')")
    return notes


def wqs_regression(
    data: pd.DataFrame,
    mixture: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    family: Family = "binomial",
    q: int = 4,
    validation: float = 0.6,
    b: int = 100,
    directions: Sequence[Direction] = ("positive", "negative"),
    b1_constr: bool = True,
    signal: str = "t2",
    quantile_from: Literal["all", "train"] = "all",
    weight: str | None = None,
    stratum: str | None = None,
    psu: str | None = None,
    seed: int = 2025,
    n_jobs: int = 2,
    progress: bool = True,
) -> WQSResult:
    """Weighted quantile sum regression, as R ``gWQS::gwqs()``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person. Rows with a missing value in any used column are
        dropped (``na.omit``).
    mixture : sequence of str
        Exposure columns (e.g. ln metal concentrations).
    outcome : str
        Outcome column (0/1 for ``binomial``).
    covariates : sequence of str
        Adjustment columns; categorical ones are dummy-coded against their
        first level (:func:`osteometals.stats.coding.dummy_code`).
    family : {"binomial", "gaussian"}
        Logistic or linear model.
    q : int
        Number of quantile groups (gWQS ``q``; 4 = quartiles scored 0..3).
    validation : float
        Share of rows held out for the validation model (gWQS
        ``validation``); 0 uses all rows for both steps.
    b : int
        Number of bootstrap samples of the training set.
    directions : sequence of {"positive", "negative"}
        Directions to fit (gWQS ``b1_pos = TRUE`` / ``FALSE``). Both share the
        split and the bootstrap samples, as two gWQS calls with one seed.
    b1_constr : bool
        Constrain ``beta1`` to the direction during the weight estimation
        (Carrico et al.; gWQS ``b1_constr = TRUE``). ``False`` is gWQS's
        default: the sign is free and only the averaging keeps the
        bootstraps of the chosen sign.
    signal : {"t2", "abst", "one", "expt"}
        Signal function for averaging the bootstrap weights (gWQS 3.x
        default ``"t2"``; gWQS 2.0.0 used ``"abst"``).
    quantile_from : {"all", "train"}
        Rows whose quantiles define the cut-points: all rows (gWQS) or the
        training rows only (applied to the validation rows).
    weight : str, optional
        Column of observation (survey) weights for the likelihood and the
        validation model. ``None``: unweighted, as the paper.
    stratum, psu : str, optional
        Design columns for the linearisation variance of the weighted
        validation model (used only with ``weight``).
    seed : int
        Seed of the split and of the bootstrap samples (via
        :class:`numpy.random.SeedSequence`); results do not depend on
        ``n_jobs``.
    n_jobs : int
        Parallel workers for the bootstraps (joblib).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    WQSResult
        Tidy weights and index estimates, per-bootstrap details and notes.

    Raises
    ------
    RuntimeError
        If no bootstrap gives ``beta1`` of the requested sign (gWQS: "There
        are no positive b1 in the bootstrapped models").
    """
    prep = _prepare(data, mixture, outcome, covariates, weight, stratum, psu, family)
    weights, index, boots, breaks, failed = _wqs_core(
        prep, list(mixture), family=family, q=q, validation=validation, b=b,
        directions=list(directions), b1_constr=b1_constr, signal=signal,
        quantile_from=quantile_from, seed_seq=np.random.SeedSequence(seed), n_jobs=n_jobs,
        progress=progress,
    )
    if failed:
        raise RuntimeError(f"There are no {' or '.join(failed)} b1 in the bootstrapped models")
    settings = {"family": family, "q": q, "validation": validation, "b": b,
                "b1_constr": b1_constr, "signal": signal, "quantile_from": quantile_from,
                "weight": weight, "seed": seed, "covariates": prep.x_names[1:]}
    return WQSResult(weights, index, boots, breaks, settings,
                     _notes(prep, b1_constr, quantile_from, signal))


def wqs_repeated_holdout(
    data: pd.DataFrame,
    mixture: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    rh: int = 20,
    family: Family = "binomial",
    q: int = 4,
    validation: float = 0.6,
    b: int = 100,
    directions: Sequence[Direction] = ("positive", "negative"),
    b1_constr: bool = True,
    signal: str = "t2",
    quantile_from: Literal["all", "train"] = "all",
    weight: str | None = None,
    stratum: str | None = None,
    psu: str | None = None,
    seed: int = 2025,
    n_jobs: int = 2,
    progress: bool = True,
) -> WQSHoldoutResult:
    """Repeated hold-out WQS (Tanner, Bornehag and Gennings 2019; gWQS ``gwqsrh``).

    The whole WQS analysis (:func:`wqs_regression`) is repeated on ``rh``
    random training/validation splits; the spread of the weights and of the
    index coefficient over the splits shows how much a single split's result
    depends on the luck of the split. gWQS reports the mean weight and the
    2.5 / 97.5 percentiles of the coefficient over the splits.

    Parameters
    ----------
    data, mixture, outcome, covariates
        As :func:`wqs_regression`.
    rh : int
        Number of repeated splits.
    family, q, validation, b, directions, b1_constr, signal, quantile_from
        As :func:`wqs_regression`.
    weight, stratum, psu
        As :func:`wqs_regression`.
    seed : int
        Seed; repeat ``r`` uses the ``r``-th child of
        ``SeedSequence(seed)``.
    n_jobs : int
        Parallel workers (over bootstraps within each split).
    progress : bool
        Show a progress bar over the splits.

    Returns
    -------
    WQSHoldoutResult
        Weight and coefficient distributions over the splits. Splits in which
        a direction finds no bootstrap of its sign are skipped for that
        direction (their count is in the notes).
    """
    from tqdm import tqdm

    if rh < 1:
        raise ValueError("rh must be at least 1")
    prep = _prepare(data, mixture, outcome, covariates, weight, stratum, psu, family)
    mixture = list(mixture)
    rep_rows, idx_rows = [], []
    skipped = dict.fromkeys(directions, 0)
    for r, child in enumerate(tqdm(np.random.SeedSequence(seed).spawn(rh), desc="WQS splits",
                                   disable=not progress, leave=False)):
        try:
            w, i, _, _, failed = _wqs_core(
                prep, mixture, family=family, q=q, validation=validation, b=b,
                directions=list(directions), b1_constr=b1_constr, signal=signal,
                quantile_from=quantile_from, seed_seq=child, n_jobs=n_jobs, progress=False,
            )
        except RuntimeError:
            failed = list(directions)
        for d in failed:
            skipped[d] += 1
        if len(failed) < len(directions):
            rep_rows.append(w.assign(repeat=r))
            idx_rows.append(i.assign(repeat=r))
    if not rep_rows:
        raise RuntimeError("no split gave bootstrap coefficients of the requested sign")
    repeats = pd.concat(rep_rows, ignore_index=True)[["repeat", "direction", "metal", "weight"]]
    repeat_index = pd.concat(idx_rows, ignore_index=True)
    wsum = (
        repeats.groupby(["direction", "metal"], sort=False)["weight"]
        .agg(mean="mean", median="median",
             p2_5=lambda s: s.quantile(0.025), p97_5=lambda s: s.quantile(0.975))
        .reset_index()
    )
    expo = np.exp if family == "binomial" else (lambda v: v)
    isum = (
        repeat_index.groupby("direction", sort=False)
        .agg(beta_mean=("beta", "mean"),
             or_median=("beta", lambda s: float(expo(s.median()))),
             or_p2_5=("beta", lambda s: float(expo(s.quantile(0.025)))),
             or_p97_5=("beta", lambda s: float(expo(s.quantile(0.975)))),
             share_p05=("p", lambda s: float((s < 0.05).mean())),
             n_repeats=("beta", "size"))
        .reset_index()
    )
    notes = _notes(prep, b1_constr, quantile_from, signal)
    for d, k in skipped.items():
        if k:
            notes.append(f"{k} of {rh} splits had no {d} bootstrap b1 and were skipped")
    if family != "binomial":
        notes.append("gaussian family: the or_* columns hold beta, not odds ratios")
    settings = {"family": family, "q": q, "validation": validation, "b": b, "rh": rh,
                "b1_constr": b1_constr, "signal": signal, "quantile_from": quantile_from,
                "weight": weight, "seed": seed}
    return WQSHoldoutResult(wsum, isum, repeats, repeat_index, settings, notes)


# ---------------------------------------------------------------------------
# Simulation and benchmark
# ---------------------------------------------------------------------------


def simulate_mixture(
    n: int = 1500,
    weights: Sequence[float] = (0.5, 0.3, 0.2, 0.0, 0.0),
    beta1: float = 0.8,
    negative: Sequence[float] | None = None,
    beta1_neg: float = 0.0,
    rho: float = 0.4,
    n_covariates: int = 3,
    family: Family = "binomial",
    seed: int = 1,
) -> pd.DataFrame:
    """Simulate correlated exposures, covariates and an outcome driven by a WQS index.

    The exposures are log-normal with pairwise correlation ``rho`` of their
    logs; the true linear predictor is
    ``-1 + beta1 * sum_j weights_j q_j + beta1_neg * sum_j negative_j q_j +
    covariate effects``, with ``q_j`` the quartile scores (0..3) of exposure
    ``j`` in the simulated sample.

    Parameters
    ----------
    n : int
        Sample size.
    weights : sequence of float
        True positive-index weights, one per exposure (sum 1).
    beta1 : float
        True positive-index coefficient.
    negative : sequence of float, optional
        True weights of a second, negative-acting index.
    beta1_neg : float
        Its coefficient (negative for a protective index).
    rho : float
        Correlation of the log exposures.
    n_covariates : int
        Number of covariates: a 3-level categorical ``group`` plus
        ``n_covariates - 1`` standard-normal columns ``z1, z2, ...``.
    family : {"binomial", "gaussian"}
        Outcome model (gaussian: unit residual variance).
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``x1..xk`` (exposures), ``group``, ``z1..``, ``y``.
    """
    rng = np.random.default_rng(seed)
    k = len(weights)
    cov = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    logx = rng.multivariate_normal(np.zeros(k), cov, size=n)
    scores = np.column_stack(
        [quantile_scores(logx[:, j], quantile_breaks(logx[:, j], 4)) for j in range(k)]
    )
    eta = -1.0 + beta1 * scores @ np.asarray(weights, dtype=float)
    if negative is not None:
        eta += beta1_neg * scores @ np.asarray(negative, dtype=float)
    frame = pd.DataFrame(np.exp(logx), columns=[f"x{j + 1}" for j in range(k)])
    if n_covariates >= 1:
        group = rng.integers(0, 3, n)
        frame["group"] = pd.Categorical.from_codes(group, ["a", "b", "c"])
        eta += np.array([0.0, 0.3, -0.3])[group]
    for c in range(1, max(n_covariates, 1)):
        z = rng.standard_normal(n)
        frame[f"z{c}"] = z
        eta += 0.2 * z
    if family == "binomial":
        frame["y"] = rng.binomial(1, special.expit(eta)).astype(float)
    else:
        frame["y"] = eta + rng.standard_normal(n)
    return frame


def bench_wqs(
    n: int = 900,
    b: int = 100,
    n_covariates: int = 10,
    n_jobs: int = 2,
    seed: int = 2025,
) -> float:
    """Seconds for one WQS analysis in both directions on simulated data.

    Five exposures and ``n_covariates`` covariates (one 3-level categorical,
    the rest numeric: ``n_covariates + 1`` design columns with the
    intercept), logistic outcome, ``q = 4``, ``validation = 0.6``, ``b``
    bootstraps, positive and negative direction.

    Parameters
    ----------
    n : int
        Sample size (the paper's cohort has 905 women).
    b : int
        Bootstrap samples.
    n_covariates : int
        Number of covariates.
    n_jobs : int
        Parallel workers.
    seed : int
        Seed of the simulation and of the fit.

    Returns
    -------
    float
        Wall-clock seconds of :func:`wqs_regression` (including any worker
        start-up).
    """
    data = simulate_mixture(n=n, weights=(0.5, 0.3, 0.2, 0.0, 0.0), beta1=0.5,
                            negative=(0, 0, 0, 0.5, 0.5), beta1_neg=-0.3,
                            n_covariates=n_covariates, seed=seed)
    covs = ["group", *[f"z{c}" for c in range(1, n_covariates)]]
    t0 = time.perf_counter()
    wqs_regression(data, [f"x{j}" for j in range(1, 6)], "y", covs, b=b, seed=seed,
                   n_jobs=n_jobs, progress=False)
    return time.perf_counter() - t0
