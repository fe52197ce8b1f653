"""Timings of the mixture models: BKMR (ours and kernelmix), WQS and qgcomp.

``osteometals bench`` (``make bench``) prints, in one run:

* iterations per second of our exact probit BKMR sampler (with delayed
  acceptance, and with every proposal factorised) on the analysis
  cohort (``cohort.get_cohort()``; simulated data of the paper's size if the
  NHANES files are unavailable), and of ``kernelmix`` on the same data,
  with the speed-up;
* the same for our predictive-process (knots) sampler;
* our exact sampler on simulated data with n = 1000;
* seconds of one WQS analysis with 100 bootstraps in both directions
  (``osteometals.stats.wqs.bench_wqs``, if present);
* quantile g-computation on the analysis cohort (five metals, Model 3
  covariates, osteoporosis): the conditional estimator and the marginal one
  with 200 bootstraps on two workers (chapter 5's defaults), beside one WQS
  analysis (100 bootstraps, both directions) on the same data.

All BKMR timings use one chain, component-wise variable selection, five
exposures, and count warm-up and retained iterations alike (our sampler
draws ``h`` at the 262 profiles of Figure 3 every fourth iteration, as in
the chapter). kernelmix runs only a few iterations, enough to measure its
rate. The machine is shared, so timings vary between runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Sequence

from osteometals.nhanes.variables import METAL_KEYS
from osteometals.paper.models import MIXTURE_COVARIATES
from osteometals.stats import bkmr

#: Iterations used per timing (ours exact, ours knots, kernelmix).
DEFAULTS = {"exact": 200, "knots": 2000, "kernelmix": 25, "n_knots": 100, "sim_n": 1000}


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


def time_ours(
    data: bkmr.MixtureData,
    iterations: int,
    knots: int | None = None,
    seed: int = 1,
    delayed: bool = True,
) -> float:
    """Iterations per second of our sampler (one chain, single-threaded BLAS).

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

    Returns
    -------
    float
    """
    warm = iterations // 4
    fit = bkmr.fit_mixture(
        data, n_warmup=warm, n_draws=iterations - warm, thin=4, chains=1, seed=seed,
        knots=knots, surrogate_knots=100 if delayed else None,
    )
    return fit.iterations_per_second


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

    Returns
    -------
    dict
        ``ours_exact``, ``ours_exact_plain``, ``ours_knots``, ``kernelmix``, ``speedup``,
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
    res["ours_exact"] = time_ours(data, exact)
    echo(f"  ours, exact (delayed acceptance)  : {res['ours_exact']:8.1f} it/s  "
         f"({exact} iterations)")
    res["ours_exact_plain"] = time_ours(data, exact, delayed=False)
    echo(f"  ours, exact (every proposal exact): {res['ours_exact_plain']:8.1f} it/s  "
         f"({exact} iterations)")
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
    p.add_argument("--no-wqs", action="store_true")
    p.add_argument("--no-qgcomp", action="store_true")
    a = p.parse_args([] if argv is None else list(argv))
    return run(exact=a.exact, knots=a.knots, kernelmix_iterations=a.kernelmix,
               n_knots=a.n_knots, wqs=not a.no_wqs, qgcomp=not a.no_qgcomp)


if __name__ == "__main__":  # pragma: no cover
    main()
