"""Quantile g-computation: the joint effect of a mixture (Keil et al. 2020).

Keil AP, Buckley JP, O'Brien KM, Ferguson KK, Zhao S, White AJ (2020). *A
quantile-based g-computation approach to addressing the effects of exposure
mixtures.* Environ Health Perspect 128(4):047004, doi:10.1289/EHP5838. The
algorithms follow R ``qgcomp`` 2.18.10 (``qgcomp.glm.noboot``,
``qgcomp.glm.boot``), read from its sources and checked against it
(tests/reference/qgcomp_fixture.R, tests/test_qgcomp.py).

The estimand
------------
Every exposure is cut into ``q`` quantile groups scored ``0 .. q-1``
(:mod:`osteometals.stats.quantiles`, the same scores as WQS), and ``psi`` is
the change in the outcome (on the link scale) when **all** exposures rise by
one quantile at the same time. Unlike WQS, no direction is imposed: an
exposure that lowers the risk subtracts from ``psi``.

:func:`qgcomp_noboot`, the conditional estimator
    One GLM ``g(E[Y | S, Z]) = b0 + sum_j b_j S_j + eta' Z``; ``psi = sum_j
    b_j``, with variance ``1' V 1`` from the exposure block ``V`` of the
    coefficients' covariance (a linear combination). For a binary outcome
    ``exp(psi)`` is a *conditional* odds ratio (given the covariates).
    Partial effects: the coefficients split by sign; ``pos.psi`` / ``neg.psi``
    are their sums and the weights their shares within each sign (qgcomp's
    "scaled effect sizes"; data-adaptive, without valid inference, and a
    coefficient of exactly 0 counts as negative, as qgcomp).
:func:`qgcomp_boot`, the marginal estimator
    g-computation of a marginal structural model (MSM): fit the conditional
    model (which may contain squared exposure terms), predict every
    person's outcome with all exposures set to ``a`` for ``a = 0 .. q-1``,
    and fit the MSM ``h(E[Y^a]) = psi0 + psi1 a (+ psi2 a^2)`` to the
    predictions. Because the MSM's design depends only on ``a``, qgcomp's
    fit to the stacked ``n q`` predictions solves the same score equations
    as a fit to the ``q`` (weighted) means of the predictions, which is what
    is fitted here. ``h`` is the logit (marginal odds ratio), the log
    (``rr=True``: marginal risk ratio, binomial only) or the identity. The
    standard error is the standard deviation of ``B`` bootstrap replicates
    (rows resampled with replacement; the cut-points are *not* recomputed,
    as qgcomp), and the interval ``psi +/- z se`` (qgcomp's, not a percentile
    interval). Replicates run in parallel (:mod:`osteometals.stats.parallel`).

Differences from R qgcomp, on purpose
-------------------------------------
* ``rr=False`` is our default for binomial outcomes: ``exp(psi)`` is then a
  marginal **odds ratio**, comparable with the conditional estimator and
  with the odds ratios of logistic regression. R's ``qgcomp.boot`` defaults
  to ``rr=TRUE`` (a marginal *risk* ratio); pass ``rr=True`` for that.
* Intervals and p-values use one reference distribution per fit: the
  normal for binomial and bootstrap fits, t on the residual degrees of
  freedom ``n - p`` for the conditional gaussian fit (R qgcomp uses the
  normal quantile for that interval and a t p-value on ``n - 1 - (number of
  exposures)``, ignoring the covariates).
* Cut-points are computed on the rows analysed (complete cases); R's
  ``quantize`` uses every row given to it, which differs only when rows are
  later dropped for missing covariates.

Survey weights (``design=``)
----------------------------
R qgcomp has no survey design: its ``weights`` are prior weights (and its
noboot standard errors are then invalid for sampling weights, as its
vignette says). Here a :class:`~osteometals.stats.design.SurveyDesign` gives
a design-based analysis: the conditional estimator is
:func:`~osteometals.stats.glm.svyglm` with ``psi`` and its linearisation
variance as a linear combination (``svycontrast``), and the marginal
estimator weights the conditional fit and the g-computation means by the
sampling weights, with the Rao-Wu rescaling bootstrap of the design
(:meth:`~osteometals.stats.design.SurveyDesign.bootstrap_weights`) in place
of row resampling. Both use t on the design's denominator degrees of
freedom for the conditional model (R's ``degf + 1 - p`` by default,
``df="psu_minus_strata"`` for ``degf``). The quantiles stay unweighted (as
qgcomp and WQS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from osteometals.stats.coding import dummy_code
from osteometals.stats.design import SurveyDesign, analysis_rows
from osteometals.stats.glm import Family, check_family, fit_arrays, fit_rows
from osteometals.stats.parallel import run_replicates
from osteometals.stats.qgcomp_results import QGCompResult
from osteometals.stats.quantiles import quantize

__all__ = ["QGCompResult", "qgcomp_boot", "qgcomp_noboot"]

INTERCEPT = "(Intercept)"


@dataclass
class _Prepared:
    y: np.ndarray
    X: np.ndarray  # intercept, exposure scores, squared scores, covariates
    names: list[str]
    exposures: list[str]
    squared: list[str]
    rows: np.ndarray  # positions of the analysis rows in data / the design
    design: SurveyDesign | None
    breaks: dict[str, np.ndarray]
    levels: np.ndarray
    notes: list[str]

    @property
    def weights(self) -> np.ndarray | None:
        return None if self.design is None else self.design.weights[self.rows]


def _prepare(data, exposures, outcome, covariates, family, q, breaks, squared, design):
    check_family(family)
    exposures, covariates, squared = list(exposures), list(covariates), list(squared)
    if len(exposures) < 1:
        raise ValueError("give at least one exposure")
    unknown = [s for s in squared if s not in exposures]
    if unknown:
        raise ValueError(f"squared terms must be exposures, got {unknown}")
    keep, notes = analysis_rows(data, [outcome, *exposures, *covariates], design)
    frame = data.loc[keep]
    y = frame[outcome].to_numpy(dtype=float)
    if family == "binomial" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"binomial outcome {outcome!r} must be 0/1")
    scores, cuts = quantize(frame, exposures, q, breaks)
    n_levels = {len(c) + 1 for c in cuts.values()} if breaks is not None else {int(q)}
    if len(n_levels) != 1:
        raise ValueError("user breaks must give every exposure the same number of groups")
    levels = np.arange(n_levels.pop(), dtype=float)
    for x, c in cuts.items():
        if len(c) + 1 < len(levels):
            notes.append(f"{x}: ties leave {len(c) + 1} quantile groups, fewer than "
                         f"{len(levels)}; its linear term is extrapolated to the top level")
    cov = dummy_code(frame, covariates)
    X = np.column_stack([np.ones(len(frame)), scores.to_numpy(),
                         scores[squared].to_numpy() ** 2, cov.to_numpy(dtype=float)])
    names = [INTERCEPT, *exposures, *[f"{s}^2" for s in squared], *cov.columns]
    return _Prepared(y, X, names, exposures, squared, np.flatnonzero(keep), design, cuts,
                     levels, notes)


def _conditional_fit(prep: _Prepared, family: Family):
    """The GLM of the outcome on the quantized exposures (design-based with a design)."""
    return fit_rows(prep.y, prep.X, prep.names, prep.rows, family, prep.design)


def _check_exposures_estimable(fit, exposures):
    aliased = [x for x in exposures if not np.isfinite(fit.params[x])]
    if aliased:
        raise ValueError(f"exposure coefficients not estimable (aliased): {aliased}; "
                         "try fewer quantiles (q)")


def _scale(family: str, rr: bool) -> str:
    if family == "gaussian":
        return "difference"
    return "log RR" if rr else "log OR"


def _settings(prep, family, q, **more):
    return {"family": family, "q": q, "exposures": prep.exposures,
            "levels": len(prep.levels), "weighted": prep.design is not None, **more}


def _design_notes(prep, fit):
    if prep.design is None:
        return ["unweighted: survey weights and design not used"]
    return [f"survey design: {fit.notes[0]}"]


def qgcomp_noboot(
    data: pd.DataFrame,
    exposures: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    family: Family = "binomial",
    q: int = 4,
    breaks: dict[str, np.ndarray] | None = None,
    design: SurveyDesign | None = None,
) -> QGCompResult:
    """The conditional quantile g-computation estimator (R ``qgcomp.noboot``).

    Quick start::

        res = qgcomp_noboot(data, ["pb", "cd", "hg", "se", "mn"], "op", ["age_group"])
        res.describe()        # exp(psi) with its CI and P
        res.weights           # partial (scaled) effects by direction

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person; rows with a missing value in a used column are
        dropped.
    exposures : sequence of str
        The mixture (raw or log scale: only ranks matter).
    outcome : str
        Outcome column (0/1 for ``binomial``).
    covariates : sequence of str
        Adjustment columns; categorical ones are dummy-coded against their
        first level.
    family : {"binomial", "gaussian"}
        Logistic or linear model.
    q : int
        Number of quantile groups (4: quartiles scored 0..3).
    breaks : dict, optional
        Interior cut-points per exposure instead of the sample quantiles.
    design : SurveyDesign, optional
        Survey design of ``data`` (same index) for a design-based fit
        (module notes). ``None``: unweighted, as R qgcomp without weights.

    Returns
    -------
    QGCompResult
        ``estimator="conditional"``, with ``weights`` and ``partial``.
    """
    prep = _prepare(data, exposures, outcome, covariates, family, q, breaks, (), design)
    fit = _conditional_fit(prep, family)
    _check_exposures_estimable(fit, prep.exposures)
    ex = prep.exposures
    psi = fit.lincom(dict.fromkeys(ex, 1.0))
    # columns: intercept first, then the exposures (_prepare)
    V = fit.cov_params().to_numpy()
    b0 = float(fit.params.iloc[0])
    c01 = V[0, 1:1 + len(ex)].sum()
    cov = np.array([[V[0, 0], c01], [c01, psi["se"] ** 2]])
    names = [INTERCEPT, "psi1"]
    coef = fit.params.iloc[1:1 + len(ex)]
    direction = np.where(coef > 0, "positive", "negative")
    weights = pd.DataFrame({"exposure": ex, "coefficient": coef.to_numpy(),
                            "direction": direction})
    size = weights.groupby("direction")["coefficient"].apply(lambda c: c.abs().sum())
    weights["weight"] = weights["coefficient"].abs() / weights["direction"].map(size)
    weights = weights.sort_values(["direction", "weight"], ascending=[False, False],
                                  ignore_index=True)
    partial = pd.DataFrame({
        "direction": ["positive", "negative"],
        "psi": [float(coef[coef > 0].sum()), float(coef[coef <= 0].sum())],
        "size": [float(coef[coef > 0].abs().sum()), float(coef[coef <= 0].abs().sum())],
    })
    notes = [*prep.notes, *_design_notes(prep, fit),
             "partial effects (weights) are data-adaptive: no valid inference (Keil et al. 2020)"]
    return QGCompResult(
        estimator="conditional", params=pd.Series([b0, psi["estimate"]], index=names),
        cov=pd.DataFrame(cov, index=names, columns=names), df=fit.df_resid, family=family,
        scale=_scale(family, False), weighted=design is not None, nobs=fit.nobs, fit=fit,
        breaks=prep.breaks, weights=weights, partial=partial,
        settings=_settings(prep, family, q), notes=notes)


# --------------------------------------------------------------------------- marginal


def _msm(means: np.ndarray, levels: np.ndarray, family: Family, rr: bool, degree: int):
    """MSM coefficients fitted to the g-computation means, and its fitted values."""
    A = np.column_stack([levels ** k for k in range(degree + 1)])
    if family == "gaussian":
        coef, *_ = np.linalg.lstsq(A, means, rcond=None)
        return coef, A @ coef
    if np.any((means <= 0) | (means >= 1)):
        return np.full(degree + 1, np.nan), np.full(len(levels), np.nan)
    target = np.log(means) if rr else special.logit(means)
    start, *_ = np.linalg.lstsq(A, target, rcond=None)
    f = fit_arrays(means, A, "binomial", link="log" if rr else "canonical", start=start)
    return f.params, f.mu


def _gcomp(beta, X, w, prep: _Prepared, family: Family, rr: bool, degree: int):
    """Full g-computation on one sample: means E[Y^a] and MSM coefficients."""
    b = np.nan_to_num(beta)
    k, s = len(prep.exposures), len(prep.squared)
    expo = slice(1, 1 + k)
    sq = slice(1 + k, 1 + k + s)
    eta0 = X[:, 0] * b[0] + X[:, 1 + k + s:] @ b[1 + k + s:]
    slope, curve = b[expo].sum(), b[sq].sum()
    eta = eta0[:, None] + prep.levels * slope + prep.levels ** 2 * curve
    mu = special.expit(eta) if family == "binomial" else eta
    w = np.ones(len(X)) if w is None else w
    means = w @ mu / w.sum()
    coef, fitted = _msm(means, prep.levels, family, rr, degree)
    return coef, means, fitted


def _boot_chunk(seeds, prep: _Prepared, family, rr, degree, start):
    """Bootstrap replicates: rows resampled, or Rao-Wu weights of the design."""
    out = []
    n = len(prep.y)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        if prep.design is None:
            idx = rng.integers(0, n, n)
            y, X, w = prep.y[idx], prep.X[idx], None
        else:
            wrep = prep.design.bootstrap_weights(rng)[prep.rows]
            pos = wrep > 0
            y, X, w = prep.y[pos], prep.X[pos], wrep[pos]
        fit = fit_arrays(y, X, family, w, start=np.nan_to_num(start))
        coef, _, _ = _gcomp(fit.params, X, w, prep, family, rr, degree)
        out.append(coef if fit.converged else np.full(degree + 1, np.nan))
    return out


def qgcomp_boot(
    data: pd.DataFrame,
    exposures: Sequence[str],
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    family: Family = "binomial",
    q: int = 4,
    breaks: dict[str, np.ndarray] | None = None,
    B: int = 200,
    degree: int = 1,
    rr: bool = False,
    squared: Sequence[str] = (),
    design: SurveyDesign | None = None,
    seed: int = 2025,
    n_jobs: int = 1,
    progress: bool = True,
) -> QGCompResult:
    """The marginal quantile g-computation estimator (R ``qgcomp.boot``).

    Parameters
    ----------
    data, exposures, outcome, covariates, family, q, breaks
        As :func:`qgcomp_noboot`.
    B : int
        Bootstrap replicates (qgcomp's default 200).
    degree : {1, 2}
        Degree of the MSM in the intervention level ``a``: 2 adds ``psi2 a^2``
        for a non-linear overall effect (then the effect of going from ``a``
        to ``a + 1`` is ``psi1 + psi2 (2a + 1)``).
    rr : bool
        Binomial only: a log-binomial MSM, so ``exp(psi)`` is a marginal risk
        ratio (R's default). False (ours): a logistic MSM, a marginal odds
        ratio.
    squared : sequence of str
        Exposures whose squared score also enters the conditional model
        (qgcomp's ``I(x^2)`` terms), so the g-computation can be non-linear.
    design : SurveyDesign, optional
        Survey design of ``data`` (module notes).
    seed : int
        Seed of the replicates (one :class:`numpy.random.SeedSequence` child
        each): results do not depend on ``n_jobs``.
    n_jobs : int
        Parallel workers (joblib).
    progress : bool
        Show a progress bar.

    Returns
    -------
    QGCompResult
        ``estimator="marginal"``, with ``expected`` and ``bootstraps``.
    """
    if degree not in (1, 2):
        raise ValueError(f"degree must be 1 or 2, got {degree!r}")
    if B < 2:
        raise ValueError("B must be at least 2 (the standard error is their SD)")
    if rr and family != "binomial":
        raise ValueError("rr=True needs family='binomial'")
    prep = _prepare(data, exposures, outcome, covariates, family, q, breaks, squared, design)
    if len(prep.levels) <= degree:
        raise ValueError(f"degree {degree} needs more than {degree} quantile levels")
    fit = _conditional_fit(prep, family)
    _check_exposures_estimable(fit, prep.exposures)
    beta = fit.params.to_numpy()
    coef, means, fitted = _gcomp(beta, prep.X, prep.weights, prep, family, rr, degree)
    seeds = np.random.SeedSequence(seed).spawn(B)
    reps = np.array(run_replicates(_boot_chunk, seeds, (prep, family, rr, degree, beta),
                                   n_jobs=n_jobs, progress=progress, desc="qgcomp bootstrap"))
    names = [INTERCEPT, *[f"psi{k}" for k in range(1, degree + 1)]]
    boots = pd.DataFrame(reps, columns=names)
    ok = boots.notna().all(axis=1)
    notes = [*prep.notes, *_design_notes(prep, fit)]
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} of {B} replicates failed and were left out")
    cov = boots[ok].cov(ddof=1)
    df = np.inf if design is None else fit.df_resid
    how = "Rao-Wu bootstrap of the design" if design is not None else "rows resampled"
    notes.append(f"SE: SD over {int(ok.sum())} bootstrap replicates ({how}); CI estimate "
                 f"+/- {'z' if np.isinf(df) else 't'} SE, as qgcomp; cut-points fixed")
    if family == "binomial":
        notes.append("psi is a marginal log risk ratio (rr=True)" if rr
                     else "psi is a marginal log odds ratio (rr=False; R qgcomp.boot "
                          "defaults to rr=TRUE, a risk ratio)")
    expected = pd.DataFrame({"level": prep.levels, "mean": means, "msm": fitted})
    return QGCompResult(
        estimator="marginal", params=pd.Series(coef, index=names), cov=cov, df=df,
        family=family, scale=_scale(family, rr), weighted=design is not None, nobs=fit.nobs,
        fit=fit, breaks=prep.breaks, expected=expected, bootstraps=boots,
        settings=_settings(prep, family, q, B=B, degree=degree, rr=rr, squared=prep.squared,
                           seed=seed), notes=notes)
