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
  analysis (100 bootstraps, both directions) on the same data.

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
    if res["wqs_seconds"] is None:
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
    a = p.parse_args([] if argv is None else list(argv))
    return run(exact=a.exact, knots=a.knots, kernelmix_iterations=a.kernelmix,
               n_knots=a.n_knots, wqs=not a.no_wqs, qgcomp=not a.no_qgcomp, levels=a.levels,
               summary_draws=a.summary_draws)


if __name__ == "__main__":  # pragma: no cover
    main()
