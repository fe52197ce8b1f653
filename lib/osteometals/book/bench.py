"""Timings of the mixture models: BKMR (ours and kernelmix), WQS and qgcomp.

``osteometals bench`` (``make bench``) prints, in one run:

* the floor: seconds of one ``n x n`` Cholesky factorisation
  (``scipy.linalg.cholesky``, one BLAS thread) at the cohort's ``n``, and the
  rate of one factorisation per iteration it allows;
* iterations per second of our exact probit BKMR sampler on the analysis
  cohort (``cohort.get_cohort()``; simulated data of the paper's size if the
  NHANES files are unavailable): plain (with delayed acceptance, and with
  every proposal factorised) and tempered (a tempered iteration sweeps every
  temperature), each also as a fraction of the floor, with the tempered
  sampler's swap acceptance; and ``kernelmix`` on the same data, with the
  speed-up;
* the seconds of the bkmr summaries (single-variable risks and
  interactions, bivariate sections: ``osteometals.stats.bkmr.summaries``)
  against the seconds of the fit they summarise;
* our predictive-process (knots) sampler, and the exact sampler on
  simulated data with n = 1000;
* seconds of one WQS analysis with 100 bootstraps in both directions
  (``osteometals.stats.wqs.bench_wqs``, if present);
* quantile g-computation on the analysis cohort (five metals, Model 3
  covariates, osteoporosis): the conditional estimator and the marginal one
  with 200 bootstraps on two workers (chapter 5's defaults), beside one WQS
  analysis (100 bootstraps, both directions) on the same data;
* the robustness budget (:func:`run_robustness`): design-based logistic fits
  per second per core on the cohort, and where a fit's time goes;
  specifications per second on a sample of the whole space with one and two
  local processes and with two Dask workers; the size of the full space and
  its time extrapolated from measured per-task costs; and the robustness
  chapter at its defaults from a cold cache.

All BKMR timings use one chain, component-wise variable selection, five
exposures, the book's prior (``BKMRPriors()``), and count warm-up and
retained iterations alike (our sampler draws ``h`` at the 262 profiles of
Figure 3 every fourth iteration, as in the chapter). kernelmix runs only a
few iterations, enough to measure its rate. The machine is shared, so
timings vary between runs; ratios in one run are comparable.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Sequence

import numpy as np

from osteometals.nhanes.variables import METAL_KEYS
from osteometals.paper.models import MIXTURE_COVARIATES
from osteometals.stats import bkmr

#: Iterations used per timing (ours exact, ours knots, kernelmix, tempered levels).
DEFAULTS = {"exact": 200, "knots": 2000, "kernelmix": 25, "n_knots": 100, "sim_n": 1000,
            "levels": 4, "summary_draws": 100}


def _cohort_data(use_cohort: bool = True) -> tuple[bkmr.MixtureData, str]:
    """Mixture data of the analysis cohort, or simulated data of the paper's size."""
    try:
        if not use_cohort:
            raise LookupError("not requested")
        from osteometals.nhanes import cohort

        c = cohort.get_cohort()
        return (bkmr.mixture_data(c.data, METAL_KEYS, MIXTURE_COVARIATES, "op"),
                f"analysis cohort (n = {c.n})")
    except Exception as exc:  # noqa: BLE001 - data missing or cohort not built yet
        data, _ = bkmr.simulate(n=905, seed=1, n_covariates=19)
        reason = type(exc).__name__
        return data, f"simulated, n = 905, 19 covariates (cohort unavailable: {reason})"


def fit_ours(
    data: bkmr.MixtureData,
    iterations: int,
    knots: int | None = None,
    seed: int = 1,
    delayed: bool = True,
    levels: int = 1,
    start: str = "small_r",
) -> bkmr.BKMRFit:
    """One chain of our sampler (single-threaded BLAS).

    Parameters
    ----------
    data : MixtureData
    iterations : int
        Total iterations (a quarter of them warm-up).
    knots : int, optional
        Number of knots; None for the exact sampler.
    seed : int
    delayed : bool
        Exact sampler: screen proposals with the knots surrogate (delayed
        acceptance, the default); False factorises every proposal.
    levels : int
        1 for the plain sampler, else the temperatures of the tempered one
        (the chapter's ladder, :data:`osteometals.stats.bkmr.DEFAULT_LADDER`'s
        hottest temperature).
    start : str
        ``"small_r"`` (the region that holds the posterior mass of the book's
        model) or ``"bkmr_default"`` (R bkmr's start: every exposure in at
        ``r = 1``; rough kernels cost more exact factorisations).

    Returns
    -------
    BKMRFit
    """
    warm = iterations // 4
    temps = None if levels == 1 else bkmr.geometric_ladder(levels, bkmr.DEFAULT_LADDER[1])
    return bkmr.fit_mixture(
        data, n_warmup=warm, n_draws=iterations - warm, thin=4, chains=1, seed=seed,
        knots=knots, surrogate_knots=100 if delayed else None, starts=start,
        sampler="plain" if levels == 1 else "tempered", temperatures=temps)


def time_ours(data: bkmr.MixtureData, iterations: int, **kwargs) -> float:
    """Iterations per second of :func:`fit_ours` (keywords passed on)."""
    return fit_ours(data, iterations, **kwargs).iterations_per_second


def floor_seconds(n: int, repeats: int = 9, seed: int = 0) -> float:
    """Median seconds of one ``n x n`` Cholesky factorisation (scipy, one BLAS thread).

    The matrix is ``I + 5 K`` for a Gaussian kernel of random exposures, like
    the sampler's ``V``; ``scipy.linalg.cholesky`` includes its copy and checks.

    Parameters
    ----------
    n : int
    repeats : int
    seed : int

    Returns
    -------
    float
    """
    from scipy.linalg import cholesky
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 5))
    V = np.eye(n) + 5.0 * np.exp(-0.3 * ((Z[:, None, :] - Z[None]) ** 2).sum(-1))
    times = []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):
            t0 = time.perf_counter()
            cholesky(V, lower=True)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_summaries(fit: bkmr.BKMRFit, n_samples: int) -> float:
    """Seconds of the chapter's bkmr summaries (all three, one process) of ``fit``."""
    from osteometals.stats.bkmr.summaries import bkmr_summaries

    t0 = time.perf_counter()
    bkmr_summaries(fit, n_samples=n_samples)
    return time.perf_counter() - t0


def time_kernelmix(data: bkmr.MixtureData, iterations: int, seed: int = 1) -> float | None:
    """Iterations per second of ``kernelmix.fit`` (probit, component selection).

    kernelmix is run with its own defaults for threading; the exposures are
    passed already standardised (``standardize=False``) and without an
    intercept, as in our model.

    Parameters
    ----------
    data : MixtureData
    iterations : int
        Total iterations (warm-up plus draws).
    seed : int

    Returns
    -------
    float or None
        None if kernelmix is not installed.
    """
    try:
        import kernelmix
    except ImportError:
        return None
    warm = iterations // 2
    t0 = time.perf_counter()
    kernelmix.fit(
        data.y, data.Z, data.X, family="binomial", selection="component",
        draws=iterations - warm, warmup=warm, chains=1, seed=seed,
        standardize=False, intercept=False,
    )
    return iterations / (time.perf_counter() - t0)


def time_wqs() -> float | None:
    """Seconds of one WQS analysis, 100 bootstraps, both directions (None if absent)."""
    try:
        from osteometals.stats.wqs import bench_wqs
    except ImportError:
        return None
    return bench_wqs(b=100)


def time_qgcomp(use_cohort: bool = True, B: int = 200, wqs_b: int = 100) -> dict:
    """Quantile g-computation (and WQS, for the ratio) on the cohort, in seconds.

    ``B`` bootstraps for qgcomp.boot and ``wqs_b`` for WQS (chapter 5's defaults).

    Returns
    -------
    dict
        ``noboot``, ``boot`` and ``wqs`` seconds and ``data`` (a description);
        simulated data of the cohort's size if the cohort is unavailable.
    """
    from osteometals.stats.mixture_sim import bench_qgcomp, simulate_mixture
    from osteometals.stats.wqs import wqs_regression

    try:
        if not use_cohort:
            raise LookupError("not requested")
        from osteometals.nhanes import cohort

        c = cohort.get_cohort()
        data, ex, y, covs = c.data, list(METAL_KEYS), "op", list(MIXTURE_COVARIATES)
        label = f"analysis cohort (n = {c.n})"
    except Exception as exc:  # noqa: BLE001 - data missing or cohort not built yet
        data = simulate_mixture(n=905, negative=(0, 0, 0, 0.5, 0.5), beta1_neg=-0.8,
                                n_covariates=10, seed=1)
        ex, y = [f"x{j}" for j in range(1, 6)], "y"
        covs = ["group", *[f"z{k}" for k in range(1, 10)]]
        label = f"simulated, n = 905 (cohort unavailable: {type(exc).__name__})"
    res = bench_qgcomp(data, ex, y, covs, B=B, n_jobs=2)
    t0 = time.perf_counter()
    wqs_regression(data, ex, y, covs, b=wqs_b, n_jobs=2, progress=False)
    return {**res, "wqs": time.perf_counter() - t0, "data": label}


def run(
    exact: int = DEFAULTS["exact"],
    knots: int = DEFAULTS["knots"],
    kernelmix_iterations: int = DEFAULTS["kernelmix"],
    n_knots: int = DEFAULTS["n_knots"],
    sim_n: int = DEFAULTS["sim_n"],
    wqs: bool = True,
    qgcomp: bool | None = None,
    use_cohort: bool = True,
    echo=print,
    levels: int = DEFAULTS["levels"],
    summary_draws: int = DEFAULTS["summary_draws"],
) -> dict:
    """Run all timings and print them as they finish.

    Parameters
    ----------
    exact, knots, kernelmix_iterations : int
        Iterations of each BKMR timing.
    n_knots : int
        Knots of the approximate sampler.
    sim_n : int
        Sample size of the simulated-data timing.
    wqs : bool
        Also time WQS.
    qgcomp : bool, optional
        Also time quantile g-computation (beside WQS on the same data);
        default: as ``wqs``.
    use_cohort : bool
        Time on the analysis cohort (else on simulated data of its size).
    echo : callable
        Printer.
    levels : int
        Temperatures of the tempered timing.
    summary_draws : int
        Posterior draws of the summaries timing.

    Returns
    -------
    dict
        ``floor_seconds``, ``floor_it_s``, ``ours_exact``, ``ours_exact_plain``,
        ``ours_exact_rough``, ``ours_tempered``, ``swap_acceptance``, ``summary_seconds``,
        ``fit_seconds``, ``ours_knots``, ``kernelmix``, ``speedup``,
        ``ours_sim``, ``wqs_seconds``, ``qgcomp`` (a dict of seconds; iterations
        per second or seconds; None where unavailable) and ``data`` (a
        description).
    """
    res: dict = {}
    data, label = _cohort_data(use_cohort)
    res["data"] = label
    echo(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load "
         f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min; shared, timings vary)")
    echo(f"BKMR data: {label}; {data.Z.shape[1]} exposures, {data.X.shape[1]} covariate columns")
    res["floor_seconds"] = floor_seconds(data.n)
    floor = 1.0 / res["floor_seconds"]
    res["floor_it_s"] = floor
    echo(f"  floor: one {data.n} x {data.n} Cholesky (scipy, 1 thread) "
         f"{1e3 * res['floor_seconds']:.1f} ms = {floor:.1f} factorisations/s")
    plain = fit_ours(data, exact)
    res["ours_exact"] = plain.iterations_per_second
    echo(f"  ours, plain, exact (delayed acceptance): {res['ours_exact']:8.1f} it/s  "
         f"({exact} iterations; {res['ours_exact'] / floor:.0%} of the floor)")
    res["ours_exact_plain"] = time_ours(data, exact, delayed=False)
    echo(f"  ours, plain, every proposal exact       : {res['ours_exact_plain']:8.1f} it/s  "
         f"({res['ours_exact_plain'] / floor:.0%} of the floor)")
    res["ours_exact_rough"] = time_ours(data, exact, start="bkmr_default")
    echo(f"  ours, plain, from bkmr's default start  : {res['ours_exact_rough']:8.1f} it/s  "
         f"({res['ours_exact_rough'] / floor:.0%} of the floor; rough kernels)")
    temp = fit_ours(data, exact, levels=levels)
    res["ours_tempered"] = temp.iterations_per_second
    res["swap_acceptance"] = temp.info[0]["swap_acceptance"]
    sweeps = levels * res["ours_tempered"]
    echo(f"  ours, tempered, {levels} temperatures       : {res['ours_tempered']:8.1f} it/s  "
         f"({sweeps:.1f} sweeps/s, {sweeps / floor:.0%} of the floor; swap acceptance "
         f"{', '.join(f'{a:.2f}' for a in res['swap_acceptance'])})")
    res["summary_seconds"] = time_summaries(plain, summary_draws)
    res["fit_seconds"] = plain.info[0]["seconds"]
    echo(f"  bkmr summaries ({summary_draws} draws): {res['summary_seconds']:.1f} s against "
         f"{res['fit_seconds']:.1f} s for the {exact}-iteration plain fit "
         f"(x{res['summary_seconds'] / res['fit_seconds']:.2f})")
    res["ours_knots"] = time_ours(data, knots, knots=n_knots)
    echo(f"  ours, {n_knots} knots (approximate): {res['ours_knots']:8.1f} it/s  "
         f"({knots} iterations)")
    res["kernelmix"] = (
        time_kernelmix(data, kernelmix_iterations) if kernelmix_iterations > 0 else None
    )
    if res["kernelmix"] is None:
        echo("  kernelmix               : not installed or not run")
        res["speedup"] = None
    else:
        res["speedup"] = res["ours_exact"] / res["kernelmix"]
        echo(f"  kernelmix, dense, exact          : {res['kernelmix']:8.2f} it/s  "
             f"({kernelmix_iterations} iterations)")
        echo(f"  speed-up of ours (exact) over kernelmix: {res['speedup']:.0f}x "
             f"(every proposal exact: {res['ours_exact_plain'] / res['kernelmix']:.0f}x)")
    sim, _ = bkmr.simulate(n=sim_n, seed=2, n_covariates=10)
    res["ours_sim"] = time_ours(sim, exact)
    echo(f"BKMR simulated n = {sim_n}, 5 exposures, 10 covariates:")
    echo(f"  ours, exact (delayed acceptance)  : {res['ours_sim']:8.1f} it/s  "
         f"({exact} iterations)")
    res["wqs_seconds"] = time_wqs() if wqs else None
    if not wqs:
        echo("WQS: not run")
    elif res["wqs_seconds"] is None:
        echo("WQS: osteometals.stats.wqs.bench_wqs unavailable")
    else:
        echo(f"WQS, 100 bootstraps, both directions: {res['wqs_seconds']:.1f} s")
    res["qgcomp"] = time_qgcomp(use_cohort) if (wqs if qgcomp is None else qgcomp) else None
    if res["qgcomp"] is not None:
        q = res["qgcomp"]
        echo(f"qgcomp on the {q['data']}, five metals, Model 3 covariates:")
        echo(f"  conditional (noboot)               : {q['noboot']:8.2f} s")
        echo(f"  marginal (boot), 200 bootstraps    : {q['boot']:8.2f} s  (2 workers)")
        echo(f"  WQS, 100 bootstraps, same data     : {q['wqs']:8.2f} s  "
             f"(qgcomp.boot / WQS = {q['boot'] / q['wqs']:.2f})")
    return res


def main(argv: Sequence[str] | None = None) -> dict:
    """Command-line entry point (``osteometals bench``).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments; by default none (all defaults), so the CLI may call
        ``main()`` directly.

    Returns
    -------
    dict
        As :func:`run`.
    """
    p = argparse.ArgumentParser(prog="osteometals bench", description=__doc__.splitlines()[0])
    p.add_argument("--exact", type=int, default=DEFAULTS["exact"])
    p.add_argument("--knots", type=int, default=DEFAULTS["knots"])
    p.add_argument("--kernelmix", type=int, default=DEFAULTS["kernelmix"])
    p.add_argument("--n-knots", type=int, default=DEFAULTS["n_knots"])
    p.add_argument("--levels", type=int, default=DEFAULTS["levels"])
    p.add_argument("--summary-draws", type=int, default=DEFAULTS["summary_draws"])
    p.add_argument("--no-wqs", action="store_true")
    p.add_argument("--no-qgcomp", action="store_true")
    p.add_argument("--no-robustness", action="store_true")
    p.add_argument("--robustness-only", action="store_true")
    p.add_argument("--no-chapter", action="store_true",
                   help="robustness: skip the cold-cache run of the chapter")
    a = p.parse_args([] if argv is None else list(argv))
    if a.robustness_only:
        return run_robustness(chapter=not a.no_chapter)
    res = run(exact=a.exact, knots=a.knots, kernelmix_iterations=a.kernelmix,
              n_knots=a.n_knots, wqs=not a.no_wqs, qgcomp=not a.no_qgcomp, levels=a.levels,
              summary_draws=a.summary_draws)
    if not a.no_robustness:
        res["robustness"] = run_robustness(chapter=not a.no_chapter)
    return res


# --------------------------------------------------------------------------- robustness


def time_fits(n: int = 40) -> dict:
    """Design-based logistic fits per second on one core, on the analysis cohort.

    Model 3 with Cd quartiles (the largest logistic model), single-threaded
    BLAS, after one warm-up fit: through the formula interface
    (:func:`osteometals.paper.regression.fit`) and through the design-matrix
    interface the robustness claims use. A profile of the matrix path gives the
    share of its time in the design variance (``SurveyDesign.variance``), the
    point estimates (``fit_arrays``, statsmodels' IRLS), the model-based
    covariance, the model arrays and the rest.

    Returns
    -------
    dict
        ``formula_per_s``, ``matrix_per_s`` (per second of wall time),
        ``formula_per_cpu_s``, ``matrix_per_cpu_s`` (per second of this
        process's CPU time: the rate of one core of its own, which the wall
        time of a shared machine understates), ``formula_share`` (share of a
        formula fit spent building the model matrix) and ``profile`` (share
        by part of a matrix fit).
    """
    import cProfile
    import pstats

    import pandas as pd
    from threadpoolctl import threadpool_limits

    from osteometals.nhanes import cohort
    from osteometals.paper import regression
    from osteometals.paper.models import LOGISTIC_MODELS
    from osteometals.stats import survey
    from osteometals.stats.coding import dummy_code

    d = regression.add_quartiles(cohort.get_cohort().data)
    covs = list(LOGISTIC_MODELS["Model 3"])
    X = pd.concat([pd.DataFrame({"Intercept": 1.0}, index=d.index),
                   dummy_code(d, ["cd_q", *covs])], axis=1)
    y, design = d["op"].astype(float), d[["weight", "stratum", "psu"]]
    out = {}
    with threadpool_limits(1):
        for name, call in (("formula", lambda: regression.fit(d, "op", "cd_q", covs)),
                           ("matrix", lambda: survey.svyglm((y, X), design, "binomial"))):
            call()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                call()
            out[f"{name}_per_s"] = n / (time.perf_counter() - t0)
            out[f"{name}_per_cpu_s"] = n / (time.process_time() - c0)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(10):
            regression.fit(d, "op", "cd_q", covs)
        prof.disable()
        st = pstats.Stats(prof).stats
        total = sum(v[3] for k, v in st.items() if k[2] == "svyglm")
        mm = sum(v[3] for k, v in st.items() if k[2] == "model_matrix")
        out["formula_share"] = mm / total if total else float("nan")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            survey.svyglm((y, X), design, "binomial")
        prof.disable()
        st = pstats.Stats(prof).stats
        total = sum(v[3] for k, v in st.items() if k[2] == "svyglm")
        parts = {p: sum(v[3] for k, v in st.items() if k[2] == p)
                 for p in ("variance", "fit_arrays", "model_cov", "_model_arrays")}
        out["profile"] = {**{k: v / total for k, v in parts.items()},
                          "rest": 1 - sum(parts.values()) / total}
    return out


def _timed_tasks(tasks) -> dict:
    """Seconds of each task run in this process (cohorts already prepared)."""
    from osteometals.paper import robustness as rb

    seconds = {}
    for t in tasks:
        t0 = time.perf_counter()
        rb.evaluate(t)
        seconds[t.key] = time.perf_counter() - t0
    return seconds


def time_specifications(per_claim: int = 4, seed: int = 7) -> dict:
    """Specifications per second on a random sample of the whole space.

    ``per_claim`` specifications per claim are drawn from the whole declared
    space (every available level, all cycles); their cohorts and imputations
    are built first (not timed), then the same tasks run three times into
    empty result caches: one local process, two local processes (joblib),
    and two Dask workers of a ``LocalCluster`` on this machine.

    Returns
    -------
    dict
        ``n`` tasks, ``per_s`` by runner (``local1``, ``local2``, ``dask2``),
        ``speedup_local2``, ``speedup_dask2`` (over one process),
        ``seconds`` per task by claim and missing-data level (for
        :func:`full_space`).
    """
    import tempfile

    from dask.distributed import LocalCluster

    from osteometals.paper import robustness as rb
    from osteometals.stats.tasks import ResultCache

    tasks = rb.plan(None, {}, per_claim, seed, fingerprint=rb.data_fingerprint())
    for cohort_, settings in {t.cohort: (t.cohort, t.settings) for t in tasks}.values():
        rb.prepare((cohort_, settings))
    seconds = _timed_tasks(tasks)  # one process, warm: per-task costs
    frame = rb.tasks_frame(tasks).assign(seconds=lambda f: f["key"].map(seconds))
    per_task = frame.groupby(["claim", "missing_data"])["seconds"].mean()
    out = {"n": len(tasks), "per_s": {}, "seconds": per_task}
    with tempfile.TemporaryDirectory() as tmp:
        for name, kwargs in (("local1", {"n_jobs": 1}), ("local2", {"n_jobs": 2})):
            t0 = time.perf_counter()
            rb.run(None, {}, per_claim, seed, cache=ResultCache(f"{tmp}/{name}"),
                   progress=False, **kwargs)
            out["per_s"][name] = len(tasks) / (time.perf_counter() - t0)
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            rb.run(None, {}, per_claim, seed, cache=ResultCache(f"{tmp}/dask"),
                   scheduler=cluster.scheduler_address, progress=False)
            out["per_s"]["dask2"] = len(tasks) / (time.perf_counter() - t0)
    out["speedup_local2"] = out["per_s"]["local2"] / out["per_s"]["local1"]
    out["speedup_dask2"] = out["per_s"]["dask2"] / out["per_s"]["local1"]
    return out


def full_space(seconds_per_task, cohort_seconds: float, impute_seconds: float) -> dict:
    """Size of the full space and its time, extrapolated from measured per-task costs.

    Parameters
    ----------
    seconds_per_task : pandas.Series
        Mean seconds by (claim, missing-data level), from :func:`time_specifications`.
    cohort_seconds, impute_seconds : float
        Seconds to build one cohort and to impute one (measured).

    Returns
    -------
    dict
        ``today`` (every available level) and ``declared`` (the declared
        levels, as if all were available): the number of claim-specifications,
        of cohorts and of imputations (one per imputed cohort population, shared
        by its T-score references), and the extrapolated core-hours.
    """
    from dataclasses import replace

    from osteometals.paper import robustness as rb
    from osteometals.paper import specs
    from osteometals.paper.claims import CLAIMS
    from osteometals.stats.speccurve import Space

    declared = Space(tuple(replace(d, levels=tuple(replace(lv, available=True)
                                                   for lv in d.levels))
                           for d in specs.SPACE.dimensions))
    out = {}
    for label, space in (("today", specs.SPACE), ("declared", declared)):
        every = space.factorial()
        n, core_s, cohorts = 0, 0.0, set()
        for name, claim in CLAIMS.items():
            for item in rb.claim_space(claim, every):
                spec = dict(item)
                n += 1
                cohorts.add(tuple((k, spec[k]) for k in specs.COHORT_DIMENSIONS))
                key = (name, spec["missing_data"])
                core_s += float(seconds_per_task.get(key, seconds_per_task.mean()))
        # one imputation serves every T-score reference (robustness.impute_cohort)
        n_mi = len({tuple(kv for kv in c if kv[0] not in specs.T_SCORE_DIMENSIONS)
                    for c in cohorts if dict(c)["missing_data"] == "mi"})
        core_s += len(cohorts) * cohort_seconds + n_mi * impute_seconds
        out[label] = {"specifications": n, "cohorts": len(cohorts), "imputed": n_mi,
                      "core_hours": core_s / 3600}
    return out


def time_cohort_and_imputation() -> tuple[float, float]:
    """Seconds to build one cohort (no cache) and to impute one (m = 20)."""
    from osteometals.nhanes import cohort
    from osteometals.paper import robustness as rb
    from osteometals.paper.claims import DEFAULT_SETTINGS

    t0 = time.perf_counter()
    data = cohort.build_cohort(require_complete_covariates=False).data
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    rb.impute_cohort(data, DEFAULT_SETTINGS)
    return build, time.perf_counter() - t0


def time_chapter_cold() -> tuple[float, float] | None:
    """Wall and CPU seconds of ``osteometals run 07_robustness`` at its defaults, cold cache.

    The run gets an empty ``OSTEOMETALS_CACHE`` (the NHANES files are copied
    from the mirror, and every cohort, imputation and result is computed) and
    runs with the chapter's default two worker processes. The CPU seconds are
    those of the run and all its (finished) child processes: on a machine
    whose two cores are not shared, the wall time is at least half of them.
    None if the mirror is missing or the run fails.
    """
    import resource
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    if not os.environ.get("NHANES_MIRROR"):
        return None
    exe = Path(sys.executable).parent / "osteometals"

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OSTEOMETALS_CACHE": f"{tmp}/nhanes"}
        t0, c0 = time.perf_counter(), cpu()
        done = subprocess.run([str(exe), "run", "07_robustness"], env=env,
                              capture_output=True, text=True)
        wall, used = time.perf_counter() - t0, cpu() - c0
    return (wall, used) if done.returncode == 0 else None


def run_robustness(chapter: bool = True, echo=print) -> dict:
    """Print the robustness budget (see the module notes) and return it."""
    res: dict = {}
    echo("Robustness (specification curves):")
    fits = time_fits()
    res["fits"] = fits
    echo(f"  design-based logistic fits per second per core (Model 3, target >= 20): "
         f"formula {fits['formula_per_cpu_s']:.1f}, design matrix "
         f"{fits['matrix_per_cpu_s']:.1f} per CPU second (per wall second on this shared "
         f"machine: {fits['formula_per_s']:.1f} and {fits['matrix_per_s']:.1f})")
    echo(f"    formula path: {fits['formula_share']:.0%} of a fit builds the model matrix "
         f"(formulaic); matrix path: " + ", ".join(
             f"{k.strip('_')} {v:.0%}" for k, v in fits["profile"].items()))
    build, impute = time_cohort_and_imputation()
    res["cohort_seconds"], res["impute_seconds"] = build, impute
    echo(f"  one cohort from the raw files: {build:.1f} s; its imputation (m = 20): "
         f"{impute:.1f} s")
    specs_ = time_specifications()
    res["specifications"] = specs_
    per_s = specs_["per_s"]
    echo(f"  specifications per second, sample of {specs_['n']} from the whole space: "
         f"1 process {per_s['local1']:.2f}, 2 processes {per_s['local2']:.2f} "
         f"(x{specs_['speedup_local2']:.2f}), 2 Dask workers {per_s['dask2']:.2f} "
         f"(x{specs_['speedup_dask2']:.2f} over 1 process, "
         f"x{per_s['dask2'] / per_s['local2']:.2f} over 2 processes)")
    full = full_space(specs_["seconds"], build, impute)
    res["full_space"] = full
    for label, f in full.items():
        echo(f"  full space ({label}): {f['specifications']:,} claim-specifications, "
             f"{f['cohorts']:,} cohorts ({f['imputed']:,} imputed): about "
             f"{f['core_hours']:.1f} core-hours, {f['core_hours'] / 2:.1f} h on 2 cores "
             "(extrapolated from the measured per-task costs)")
    if chapter:
        res["chapter_seconds"] = timing = time_chapter_cold()
        text = ("failed or unavailable" if timing is None else
                f"{timing[0]:.0f} s wall on this (shared) machine; {timing[1]:.0f} CPU s, "
                f"i.e. {timing[1] / 2:.0f} s on 2 unshared cores if both stay busy "
                "(budget 180 s)")
        echo(f"  chapter 07 at its defaults, cold cache, 2 processes: {text}")
    return res


if __name__ == "__main__":  # pragma: no cover
    main()
