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

1. **Scores.** Each exposure is cut at its sample quantiles into
   right-closed intervals scored ``0 .. q-1``
   (:mod:`osteometals.stats.quantiles`, shared with quantile
   g-computation). gWQS computes the cut-points on the **whole** analysis
   data set, *before* the training/validation split (``gwqs_rank(dtf, ...)``
   / ``quantile_f(dtf, ...)`` run before ``create_rindex``). That is the
   default here (``quantile_from="all"``); ``quantile_from="train"``
   computes them on the training rows and applies them to the validation
   rows, a stricter hold-out.
2. **Split.** ``round(n * validation)`` rows drawn at random form the
   validation set, the rest the training set (``validation = 0`` uses all
   rows for both).
3. **Bootstrap.** ``b`` samples with replacement of the training rows. In
   each, the weights and the regression coefficients are estimated by
   constrained maximum likelihood: ``w >= 0``, ``sum(w) = 1`` and, with
   ``b1_constr=True``, ``beta1`` restricted to the chosen direction
   (:mod:`osteometals.stats.wqs_fit`). With ``b1_constr=False`` (the gWQS
   default) the sign of ``beta1`` is free: both sign orthants are fitted
   and the better likelihood kept.
4. **Signal.** The Wald statistic of ``beta1`` in the GLM with the
   estimated weights gives the bootstrap's signal. The final weights are
   the signal-weighted mean of the weights over the bootstraps whose
   ``beta1`` has the chosen sign. gWQS 3.x's default signal is the squared
   statistic (``signal = "t2"``); gWQS 2.0.0 used its absolute value
   (``"abst"``).
5. **Validation.** ``WQS = Q w`` is computed in the validation rows and its
   coefficient (odds ratio for a binary outcome) estimated by an ordinary
   GLM with the covariates (:func:`osteometals.stats.glm.glm`).

Survey weights (``design=``)
----------------------------
With a :class:`~osteometals.stats.design.SurveyDesign`, the weights enter
the bootstrap likelihoods as case weights (rescaled to mean 1 in the rows
used), and the validation model is the design-based GLM
:func:`~osteometals.stats.glm.svyglm` on ``design.subset(validation
rows)``: the whole design is kept for the variance (training rows and rows
outside the analysis have zero scores), the interval uses t on the design's
denominator degrees of freedom, and a stratum with one PSU fails unless the
design says otherwise. The weighted WQS index estimate and CI therefore
*equal* ``svyglm`` of the outcome on the index and covariates in the
validation domain (tests/test_wqs.py). WQS itself has no design-based theory
for the weights: the split and the bootstrap ignore the design, so the
weighted fit is a sensitivity analysis, not a design-based WQS.

Results follow :mod:`osteometals.stats.results`
(:class:`~osteometals.stats.wqs_results.WQSResult`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from osteometals.stats.coding import dummy_code
from osteometals.stats.design import SurveyDesign, analysis_rows
from osteometals.stats.glm import Family, check_family, fit_arrays, fit_rows
from osteometals.stats.mixture_sim import bench_wqs, simulate_mixture
from osteometals.stats.parallel import run_replicates
from osteometals.stats.quantiles import quantile_breaks, quantile_scores
from osteometals.stats.wqs_fit import SIGN, Direction, WQSFitOne, boot_chunk, fit_wqs_sample
from osteometals.stats.wqs_results import INDEX_TERM, WQSHoldoutResult, WQSResult

__all__ = [
    "SIGNALS",
    "WQSFitOne",
    "WQSHoldoutResult",
    "WQSResult",
    "bench_wqs",
    "fit_wqs_sample",
    "quantile_breaks",
    "quantile_scores",
    "simulate_mixture",
    "wqs_regression",
    "wqs_repeated_holdout",
]

#: Signal functions of gWQS (argument ``signal``), applied to the Wald
#: statistic of ``beta1`` in each bootstrap.
SIGNALS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "t2": np.square,
    "abst": np.abs,
    "one": np.ones_like,
    "expt": np.exp,
}


@dataclass
class _Prepared:
    y: np.ndarray
    X: np.ndarray
    raw: np.ndarray
    wt: np.ndarray | None
    rows: np.ndarray  # positions of the analysis rows in data (and in the design)
    design: SurveyDesign | None
    x_names: list[str]
    notes: list[str]


def _prepare(data, mixture, outcome, covariates, design, family):
    check_family(family)
    mixture, covariates = list(mixture), list(covariates)
    if len(mixture) < 2:
        raise ValueError("a mixture needs at least two exposures")
    used = list(dict.fromkeys([outcome, *mixture, *covariates]))
    keep, notes = analysis_rows(data, used, design)
    frame = data.loc[keep, used]
    cov = dummy_code(frame, covariates)
    X = np.column_stack([np.ones(len(frame)), cov.to_numpy(dtype=float)])
    y = frame[outcome].to_numpy(dtype=float)
    if family == "binomial" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"binomial outcome {outcome!r} must be 0/1")
    wt = None if design is None else design.weights[keep]
    return _Prepared(y=y, X=X, raw=frame[mixture].to_numpy(dtype=float), wt=wt,
                     rows=np.flatnonzero(keep), design=design,
                     x_names=["(Intercept)", *cov.columns], notes=notes)


def _validation_fit(prep: _Prepared, iv: np.ndarray, index: np.ndarray, family: Family):
    """GLM of the outcome on the covariates and the index in the validation rows.

    Unweighted: an ordinary GLM of the validation rows. Weighted: ``svyglm``
    on the design restricted to the validation rows (the whole design kept).
    """
    return fit_rows(prep.y[iv], np.column_stack([prep.X[iv], index]),
                    [*prep.x_names, INDEX_TERM], prep.rows[iv], family, prep.design)


def _estimate_row(fit, family: Family) -> dict:
    r = fit.tidy(0.05).set_index("term").loc[INDEX_TERM]
    if family == "binomial":
        return {"beta": r["estimate"], "se": r["se"], "or": float(np.exp(r["estimate"])),
                "ci_lower": float(np.exp(r["ci_lower"])),
                "ci_upper": float(np.exp(r["ci_upper"])), "p": r["p"]}
    return {"beta": r["estimate"], "se": r["se"], "or": np.nan, "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"], "p": r["p"]}


def _split(n, validation, rng):
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be in [0, 1), got {validation!r}")
    if validation == 0:
        idx = np.arange(n)
        return idx, idx
    valid = np.zeros(n, dtype=bool)
    valid[rng.choice(n, size=int(np.round(n * validation)), replace=False)] = True
    return np.flatnonzero(~valid), np.flatnonzero(valid)


def _check_options(signal, quantile_from, directions, b):
    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {sorted(SIGNALS)}, got {signal!r}")
    if quantile_from not in ("all", "train"):
        raise ValueError("quantile_from must be 'all' or 'train'")
    for d in directions:
        if d not in SIGN:
            raise ValueError(f"direction must be 'positive' or 'negative', got {d!r}")
    if b < 1:
        raise ValueError("b must be at least 1")


def _wqs_core(prep, mixture, *, family, q, validation, b, directions, b1_constr, signal,
              quantile_from, seed_seq, n_jobs, progress):
    """One WQS analysis on prepared arrays; ``seed_seq`` drives the split and bootstraps."""
    _check_options(signal, quantile_from, directions, b)
    split_seq, boot_seq = seed_seq.spawn(2)
    n = len(prep.y)
    it, iv = _split(n, validation, np.random.default_rng(split_seq))
    ref = prep.raw[it] if quantile_from == "train" else prep.raw
    breaks = {m: quantile_breaks(ref[:, j], q) for j, m in enumerate(mixture)}
    Q = np.column_stack([quantile_scores(prep.raw[:, j], breaks[m]) for j, m in enumerate(mixture)])
    wt_t = None if prep.wt is None else prep.wt[it] / prep.wt[it].mean()
    y_t, X_t, Q_t = prep.y[it], prep.X[it], Q[it]
    wt_boot = np.ones(len(it)) if wt_t is None else wt_t
    start = np.nan_to_num(fit_arrays(y_t, X_t, family, wt_t).params)
    # gWQS: with b = 1 the training set itself is used (seed None: no resampling)
    seeds = boot_seq.spawn(b) if b > 1 else [None]
    fits = run_replicates(boot_chunk, seeds, (y_t, X_t, Q_t, wt_boot, family, tuple(directions),
                                              b1_constr, start),
                          n_jobs=1 if b == 1 else n_jobs, progress=progress and b > 1,
                          desc="WQS bootstraps")
    sig = SIGNALS[signal]
    weight_rows, estimate_rows, boot_rows, failed, vfits = [], [], [], [], {}
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
        bdf = bdf.assign(b1=b1, b1_se=[f[d].se for f in fits], stat=st, converged=conv,
                         used=used)
        boot_rows.append(bdf)
        vfits[d] = _validation_fit(prep, iv, Q[iv] @ w_final, family)
        estimate_rows.append({"direction": d, **_estimate_row(vfits[d], family),
                              "n_train": len(it), "n_valid": len(iv), "n_boot": len(fits),
                              "n_boot_used": int(used.sum())})
    if len(failed) == len(directions):
        raise RuntimeError(f"There are no {' or '.join(failed)} b1 in the bootstrapped models")
    return (pd.DataFrame(weight_rows), pd.DataFrame(estimate_rows),
            pd.concat(boot_rows, ignore_index=True), breaks, failed, vfits)


def _notes(prep, b1_constr, quantile_from, signal):
    notes = list(prep.notes)
    if prep.design is None:
        notes.append("unweighted: survey weights and design not used")
    else:
        d = prep.design
        notes.append(
            "survey weights as case weights in the bootstrap likelihoods (rescaled to mean 1); "
            "index estimate and CI from svyglm on the validation domain of the whole design "
            f"(t on the design's df, convention {d.df!r})")
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
    design: SurveyDesign | None = None,
    seed: int = 2025,
    n_jobs: int = 2,
    progress: bool = True,
) -> WQSResult:
    """Weighted quantile sum regression, as R ``gWQS::gwqs()``.

    Quick start::

        res = wqs_regression(data, ["pb", "cd", "hg", "se", "mn"], "op", ["age_group", "bmi"])
        res.summary()          # index ORs with the weights of every exposure
        res.tidy(exponentiate=True)

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
    design : SurveyDesign, optional
        Survey design of ``data`` (same index): its weights enter the
        likelihoods and the validation model is ``svyglm`` on the validation
        domain of the whole design (module notes); its domain, if any,
        restricts the analysis. ``None``: unweighted, as the paper.
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
        Tidy weights and index estimates (``estimates``), the validation
        fits, per-bootstrap details and notes.

    Raises
    ------
    RuntimeError
        If no bootstrap gives ``beta1`` of the requested sign (gWQS: "There
        are no positive b1 in the bootstrapped models").
    """
    prep = _prepare(data, mixture, outcome, covariates, design, family)
    weights, estimates, boots, breaks, failed, fits = _wqs_core(
        prep, list(mixture), family=family, q=q, validation=validation, b=b,
        directions=list(directions), b1_constr=b1_constr, signal=signal,
        quantile_from=quantile_from, seed_seq=np.random.SeedSequence(seed), n_jobs=n_jobs,
        progress=progress,
    )
    if failed:
        raise RuntimeError(f"There are no {' or '.join(failed)} b1 in the bootstrapped models")
    settings = {"family": family, "q": q, "validation": validation, "b": b,
                "b1_constr": b1_constr, "signal": signal, "quantile_from": quantile_from,
                "weighted": design is not None, "seed": seed, "covariates": prep.x_names[1:]}
    return WQSResult(weights, estimates, boots, breaks, settings,
                     _notes(prep, b1_constr, quantile_from, signal), fits)


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
    design: SurveyDesign | None = None,
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
    design
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
    prep = _prepare(data, mixture, outcome, covariates, design, family)
    mixture = list(mixture)
    rep_rows, idx_rows = [], []
    skipped = dict.fromkeys(directions, 0)
    for r, child in enumerate(tqdm(np.random.SeedSequence(seed).spawn(rh), desc="WQS splits",
                                   disable=not progress, leave=False)):
        try:
            w, i, _, _, failed, _ = _wqs_core(
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
    repeat_estimates = pd.concat(idx_rows, ignore_index=True)
    wsum = (
        repeats.groupby(["direction", "metal"], sort=False)["weight"]
        .agg(mean="mean", median="median",
             p2_5=lambda s: s.quantile(0.025), p97_5=lambda s: s.quantile(0.975))
        .reset_index()
    )
    expo = np.exp if family == "binomial" else (lambda v: v)
    isum = (
        repeat_estimates.groupby("direction", sort=False)
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
                "weighted": design is not None, "seed": seed}
    return WQSHoldoutResult(wsum, isum, repeats, repeat_estimates, settings, notes)


# ---------------------------------------------------------------------------
# Simulation and benchmark
# ---------------------------------------------------------------------------
