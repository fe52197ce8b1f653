"""Fitting: chains from their starts, in parallel, cached by a key of their inputs.

:func:`fit_bkmr` runs ``chains`` chains (plain or tempered, see
:mod:`.tempering`) from the starts of :mod:`.starts`, in parallel processes
with joblib (``n_jobs``; any joblib back end works, e.g. Dask through
``joblib.parallel_config(backend="dask")``), each chain with one BLAS thread
(threadpoolctl), and gathers them into a :class:`.results.BKMRFit`.

With ``cache_dir``, each chain's draws are stored under a SHA-256 key of
everything that determines them (data, grid, knots, priors, tuning,
iterations, temperatures, start, seed, and :data:`CACHE_VERSION`, bumped
whenever the sampler's arithmetic changes), so an unchanged rerun reads them
back instead of sampling, and a run with more chains only samples the new
ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .chains import ChainResult, ChainSpec, Start, run_chain
from .data import MixtureData, kmeans_knots, make_grid
from .diagnostics import fit_notes
from .priors import BKMRPriors, BKMRTuning
from .results import BKMRFit
from .starts import chain_starts, start_of_kind
from .tempering import HOT_R_POWER, geometric_ladder

__all__ = ["fit_bkmr", "fit_mixture", "CACHE_VERSION", "DEFAULT_LADDER", "SAMPLERS"]

#: Bump when a change of the sampler changes its draws for the same inputs.
CACHE_VERSION = "bkmr-2"
#: The samplers.
SAMPLERS: tuple[str, ...] = ("tempered", "plain")
#: Default ladder of the tempered sampler: (levels, hottest temperature).
DEFAULT_LADDER: tuple[int, float] = (4, 30.0)


def _chain_key(spec: ChainSpec, start: Start, seed: np.random.SeedSequence) -> str:
    h = hashlib.sha256()
    for a in (spec.y, spec.Z, spec.X, spec.Znew, spec.knots, spec.surrogate_knots):
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    meta = {
        "version": CACHE_VERSION, "priors": asdict(spec.priors), "tuning": asdict(spec.tuning),
        "varsel": spec.varsel, "n_warmup": spec.n_warmup, "n_draws": spec.n_draws,
        "thin": spec.thin, "temperatures": list(spec.temperatures),
        "adapt_ladder": spec.adapt_ladder, "hot_r_power": spec.hot_r_power,
        "keep_resid": spec.keep_resid, "probit": spec.probit,
        "start": [np.asarray(start.r).tolist(), np.asarray(start.delta).tolist(),
                  float(start.lam), start.label],
        "seed": [int(seed.entropy), list(seed.spawn_key)],
    }
    h.update(json.dumps(meta, sort_keys=True).encode())
    return h.hexdigest()[:32]


def _save(path: Path, res: ChainResult) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, info=np.array(json.dumps(res.info)), **res.draws)
    os.replace(tmp, path)


def _load(path: Path) -> ChainResult:
    with np.load(path) as f:
        info = json.loads(str(f["info"]))
        draws = {k: f[k] for k in f.files if k != "info"}
    info["temperatures"] = tuple(info["temperatures"])
    return ChainResult(draws=draws, info=info)


def _run_one(spec: ChainSpec, start: Start, seed, path: Path | None) -> ChainResult:
    with threadpool_limits(limits=1, user_api="blas"):
        res = run_chain(spec, start, seed)
    if path is not None:
        _save(path, res)
    return res


def _run_chains(spec, starts, seeds, n_jobs, cache_dir) -> list[ChainResult]:
    paths = [None] * len(starts)
    done: dict[int, ChainResult] = {}
    if cache_dir is not None:
        folder = Path(cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for c, (st, ss) in enumerate(zip(starts, seeds, strict=True)):
            paths[c] = folder / f"chain-{_chain_key(spec, st, ss)}.npz"
            if paths[c].is_file():
                done[c] = _load(paths[c])
    todo = [c for c in range(len(starts)) if c not in done]
    if n_jobs > 1 and len(todo) > 1:
        from joblib import Parallel, delayed

        res = Parallel(n_jobs=min(n_jobs, len(todo)))(
            delayed(_run_one)(spec, starts[c], seeds[c], paths[c]) for c in todo)
    else:
        res = [_run_one(spec, starts[c], seeds[c], paths[c]) for c in todo]
    done.update(zip(todo, res, strict=True))
    out = [done[c] for c in range(len(starts))]
    for c, r in enumerate(out):
        r.info["cached"] = c not in todo
    return out


def fit_bkmr(
    y: np.ndarray,
    Z: np.ndarray,
    X: np.ndarray | None = None,
    *,
    n_warmup: int = 500,
    n_draws: int = 1000,
    thin: int = 1,
    chains: int = 4,
    seed: int = 2025,
    starts: str | Sequence[Start] = "dispersed",
    sampler: str = "tempered",
    temperatures: Sequence[float] | None = None,
    hot_r_power: float = HOT_R_POWER,
    knots: int | np.ndarray | None = None,
    grid=None,
    priors: BKMRPriors | None = None,
    tuning: BKMRTuning | None = None,
    varsel: bool = True,
    surrogate_knots: int | None = 100,
    n_jobs: int = 1,
    exposure_names: Sequence[str] | None = None,
    covariate_names: Sequence[str] | None = None,
    keep_resid: bool = True,
    cache_dir: str | Path | None = None,
    family: str = "probit",
) -> BKMRFit:
    """Fit probit BKMR with component-wise variable selection by MCMC.

    Parameters
    ----------
    y : array, shape (n,)
        0/1 outcome (``family="probit"``), or a continuous outcome with unit
        residual variance (``family="gaussian"``, for validation).
    Z : ndarray, shape (n, M)
        Exposures (already transformed and scaled).
    X : ndarray, shape (n, p), optional
        Covariates without an intercept (as in bkmr, ``h`` carries the level).
    n_warmup, n_draws : int
        Warm-up iterations (discarded) and retained iterations per chain.
    thin : int
        Keep every ``thin``-th retained iteration.
    chains : int
        Number of chains; chain ``c`` uses the ``c``-th child of
        ``numpy.random.SeedSequence(seed)``.
    seed : int
    starts : {"dispersed", "bkmr_default", "small_r"} or sequence
        Where the chains begin (see :mod:`.starts`); or one start per chain,
        each a kind of :data:`~.starts.DISPERSED_KINDS` or an explicit
        :class:`~.chains.Start`.
    sampler : {"tempered", "plain"}
        Parallel tempering over ``temperatures`` (see :mod:`.tempering`),
        or one plain chain per start.
    temperatures : sequence of float, optional
        The ladder of the tempered sampler, starting at 1; default
        :func:`~.tempering.geometric_ladder` of :data:`DEFAULT_LADDER`
        (respaced during warm-up, see :mod:`.tempering`).
    hot_r_power : float
        Exponent of the ``r`` prior at the hottest temperature (see
        :mod:`.tempering`).
    knots : int or ndarray, optional
        None for the exact sampler; an int ``k`` for the predictive process
        at ``kmeans_knots(Z, k, seed)``; or an explicit ``(k, M)`` array.
    grid : PredictionGrid, optional
        Profiles at which ``h`` is drawn; default ``make_grid(Z, names)``.
    priors : BKMRPriors, optional
    tuning : BKMRTuning, optional
    varsel : bool
        Component-wise variable selection (bkmr ``varsel = TRUE``). If
        false all ``delta_m = 1`` and only random-walk ``r`` moves are made.
    surrogate_knots : int or None
        Exact sampler only: knots of the predictive-process surrogate used
        for delayed acceptance (the posterior is unchanged). None or 0
        computes the exact likelihood for every proposal.
    n_jobs : int
        Chains run in parallel processes when > 1 (joblib). On a Dask
        cluster: open a ``dask.distributed.Client`` and call inside
        ``joblib.parallel_config(backend="dask")`` (tested on a loopback
        ``LocalCluster``); the draws are the same.
    exposure_names, covariate_names : sequence of str, optional
    keep_resid : bool
        Keep the latent residuals of every draw (needed by the summaries of
        :mod:`.summaries`).
    cache_dir : str or Path, optional
        Folder for the per-chain draw cache (see the module docstring).
    family : {"probit", "gaussian"}

    Returns
    -------
    BKMRFit

    Raises
    ------
    ValueError
        For an unknown ``sampler``, ``starts`` or ``family``, a ladder not
        starting at 1, or a non-binary ``y`` with the probit family.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if family not in ("probit", "gaussian"):
        raise ValueError(f"family must be 'probit' or 'gaussian', got {family!r}")
    if chains < 1 or n_draws < 1 or thin < 1 or n_warmup < 0:
        raise ValueError("need chains >= 1, n_draws >= 1, thin >= 1 and n_warmup >= 0")
    Z = np.ascontiguousarray(Z, dtype=float)
    n, M = Z.shape
    y = np.asarray(y, dtype=int if family == "probit" else float)
    if family == "probit" and set(np.unique(y)) - {0, 1}:
        raise ValueError("y must be 0/1")
    X = np.empty((n, 0)) if X is None else np.ascontiguousarray(X, dtype=float)
    temps = (1.0,)
    if sampler == "tempered":
        temps = tuple(float(t) for t in (temperatures or geometric_ladder(*DEFAULT_LADDER)))
        if temps[0] != 1.0 or any(b <= a for a, b in zip(temps, temps[1:], strict=False)):
            raise ValueError("temperatures must start at 1 and increase")
    names = tuple(exposure_names or [f"z{m + 1}" for m in range(M)])
    cnames = tuple(covariate_names or [f"x{j + 1}" for j in range(X.shape[1])])
    grid = grid or make_grid(Z, names)
    if knots is not None and np.ndim(knots) == 0:
        knots = kmeans_knots(Z, int(knots), seed=seed)
    sur_knots = None
    if knots is None and surrogate_knots:
        sur_knots = kmeans_knots(Z, min(int(surrogate_knots), n // 2), seed=seed)
    spec = ChainSpec(y=y, Z=Z, X=X, Znew=grid.Znew, knots=knots, surrogate_knots=sur_knots,
                     priors=priors or BKMRPriors(), tuning=tuning or BKMRTuning(),
                     varsel=varsel, n_warmup=n_warmup, n_draws=n_draws, thin=thin,
                     temperatures=temps, keep_resid=keep_resid, probit=family == "probit",
                     hot_r_power=hot_r_power if len(temps) > 1 else 1.0)
    seeds = np.random.SeedSequence(seed).spawn(chains)
    if isinstance(starts, str):
        start_label = starts
        start_list = chain_starts(starts, chains, M, seeds)
    else:
        start_list = list(starts)
        start_label = "given"
        if len(start_list) != chains:
            raise ValueError(f"{len(start_list)} starts given for {chains} chains")
        start_list = [start_of_kind(s, M, seeds[c]) if isinstance(s, str) else s
                      for c, s in enumerate(start_list)]
    if not varsel:
        start_list = [replace(s, delta=np.ones(M, dtype=bool)) for s in start_list]
    res = _run_chains(spec, start_list, seeds, n_jobs, cache_dir)
    draws = {k: np.stack([r.draws[k] for r in res]) for k in res[0].draws}
    settings = {
        "n_warmup": n_warmup, "n_draws": n_draws, "thin": thin, "chains": chains,
        "seed": seed, "starts": start_label, "sampler": sampler, "temperatures": temps,
        "method": "exact" if knots is None else "knots",
        "n_knots": 0 if knots is None else len(knots),
        "surrogate_knots": 0 if sur_knots is None else len(sur_knots),
        "varsel": varsel, "n": n, "family": family,
    }
    fit = BKMRFit(draws=draws, grid=grid, exposure_names=names, covariate_names=cnames,
                  info=[r.info for r in res], settings=settings, Z=Z)
    fit.notes = fit_notes(fit)
    return fit


def fit_mixture(data: MixtureData, **kwargs) -> BKMRFit:
    """Fit :func:`fit_bkmr` to a :class:`~.data.MixtureData` (names and units carried over).

    Parameters
    ----------
    data : MixtureData
    **kwargs
        Passed to :func:`fit_bkmr`.

    Returns
    -------
    BKMRFit
    """
    fit = fit_bkmr(data.y, data.Z, data.X, exposure_names=data.exposure_names,
                   covariate_names=data.covariate_names, **kwargs)
    fit.log_mean = np.asarray(data.log_mean)
    fit.log_sd = np.asarray(data.log_sd)
    return fit
