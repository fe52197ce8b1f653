"""One chain of probit BKMR, plain or tempered: from a start to stored draws.

A chain is a ladder of temperatures (:mod:`.tempering`); the plain sampler
is the ladder with one temperature. Each temperature has its own
:class:`.sampler.Sweep` (its priors and proposal scales) and each replica its
own state and back-end buffers; after every sweep of all replicas, adjacent
temperatures propose to exchange their states. Only the draws at
temperature 1 are kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .kernels import ExactBackend, KnotsBackend
from .priors import BKMRPriors, BKMRTuning
from .sampler import (
    Acceptance,
    LambdaStep,
    LatentStep,
    RDeltaStep,
    ScaleStep,
    Sweep,
    initial_state,
)
from .tempering import Ladder, r_powers

__all__ = ["ChainSpec", "Start", "ChainResult", "run_chain"]

MOVES = ("lambda", "r_walk", "r_toggle", "scale")
#: During warm-up the ladder is respaced every this many iterations (from iteration 100 on).
LADDER_EVERY = 100


@dataclass(frozen=True)
class Start:
    """Starting values of one chain.

    Attributes
    ----------
    r : ndarray, shape (M,)
        Relevances of the included exposures (entries where ``delta`` is
        false are ignored).
    delta : ndarray of bool, shape (M,)
    lam : float
        ``lambda`` at temperature 1 (temperature ``tau`` starts at ``lam / tau``).
    label : str
        What kind of start this is (``"bkmr_default"``, ``"small_r"``, ...).
    """

    r: np.ndarray
    delta: np.ndarray
    lam: float
    label: str = ""


@dataclass(frozen=True, eq=False)
class ChainSpec:
    """Everything a chain needs besides its start and seed.

    Attributes
    ----------
    y : ndarray of 0/1, shape (n,)
    Z : ndarray, shape (n, M)
    X : ndarray, shape (n, p)
    Znew : ndarray, shape (q, M) or None
        Profiles at which ``h`` is drawn at every kept draw.
    knots : ndarray, shape (k, M) or None
        None for the exact sampler, else the knots of the predictive process.
    surrogate_knots : ndarray or None
        Exact sampler only: knots of the delayed-acceptance surrogate.
    priors : BKMRPriors
    tuning : BKMRTuning
    varsel : bool
    n_warmup, n_draws, thin : int
    temperatures : tuple of float
        The ladder, starting at 1; ``(1.0,)`` is the plain sampler.
    adapt_ladder : bool
        Respace the temperatures between 1 and the hottest during warm-up
        (see :mod:`.tempering`).
    hot_r_power : float
        Exponent of the ``r`` prior at the hottest temperature (1: the ``r``
        prior is not tempered; see :func:`.tempering.r_powers`).
    keep_resid : bool
        Keep ``z - C beta`` of every kept draw (needed by the summaries of
        :mod:`.summaries`; ``n`` numbers per draw).
    probit : bool
        True for the probit model; False treats ``y`` as a Gaussian outcome
        with unit residual variance (``z = y`` is never redrawn), a model
        whose marginal likelihood is closed-form (for validation).
    """

    y: np.ndarray
    Z: np.ndarray
    X: np.ndarray
    Znew: np.ndarray | None
    knots: np.ndarray | None
    surrogate_knots: np.ndarray | None
    priors: BKMRPriors = field(default_factory=BKMRPriors)
    tuning: BKMRTuning = field(default_factory=BKMRTuning)
    varsel: bool = True
    n_warmup: int = 500
    n_draws: int = 1000
    thin: int = 1
    temperatures: tuple[float, ...] = (1.0,)
    adapt_ladder: bool = True
    hot_r_power: float = 1.0
    keep_resid: bool = True
    probit: bool = True

    def backends(self, count: int) -> list:
        """Back ends for ``count`` replicas (shared distances, own buffers)."""
        bp = self.priors.beta_precision
        if self.knots is None:
            first = ExactBackend(self.Z, self.X, self.Znew, bp)
        else:
            first = KnotsBackend(self.Z, self.X, self.Znew, self.knots, bp)
        return [first] + [first.clone() for _ in range(count - 1)]

    def surrogate(self):
        """The delayed-acceptance surrogate (shared by the replicas), or None."""
        if self.knots is not None or self.surrogate_knots is None:
            return None
        return KnotsBackend(self.Z, self.X, None, self.surrogate_knots,
                            self.priors.beta_precision)


@dataclass
class ChainResult:
    """Draws and bookkeeping of one chain.

    Attributes
    ----------
    draws : dict of ndarray
        Per kept draw at temperature 1: ``lambda`` (S,), ``r`` and ``delta``
        (S, M), ``beta`` (S, p), ``loglik`` (collapsed log-likelihood of the
        latent scores), ``logprior`` (log prior of ``(r, delta, lambda)``),
        ``replica`` (which replica was at temperature 1), ``hnew`` (S, q)
        and ``resid`` (S, n) when kept.
    info : dict
        ``seconds``, ``iterations``, ``temperatures``, ``start``,
        ``acceptance`` (rates at temperature 1), ``acceptance_by_level``,
        ``lambda_jump``, ``r_jump`` (final scales at temperature 1),
        ``exact_factorisations_per_iteration`` (all temperatures),
        ``swap_acceptance`` (per adjacent pair), ``round_trips``,
        ``delayed_acceptance``.
    """

    draws: dict
    info: dict


def _level_priors(spec: ChainSpec, temperatures) -> list:
    powers = r_powers(temperatures, spec.hot_r_power)
    return [spec.priors.tempered(t, a) for t, a in zip(temperatures, powers, strict=True)]


def _sweeps(spec: ChainSpec) -> list[Sweep]:
    latent = LatentStep(spec.y, spec.X, spec.probit)
    tun = spec.tuning
    out = []
    for pri in _level_priors(spec, spec.temperatures):
        scale = ScaleStep(pri, tun.scale_jump) if spec.probit and tun.scale_jump > 0 else None
        out.append(Sweep(LambdaStep(pri, tun.lambda_jump), RDeltaStep(pri, tun.r_jump, spec.varsel),
                         latent, scale))
    return out


def _storage(spec: ChainSpec, n_keep: int) -> dict:
    n, M = spec.Z.shape
    out = {
        "lambda": np.empty(n_keep),
        "r": np.empty((n_keep, M)),
        "delta": np.empty((n_keep, M), dtype=bool),
        "beta": np.empty((n_keep, spec.X.shape[1])),
        "loglik": np.empty(n_keep),
        "logprior": np.empty(n_keep),
        "replica": np.empty(n_keep, dtype=np.int16),
    }
    if spec.Znew is not None:
        out["hnew"] = np.empty((n_keep, len(spec.Znew)))
    if spec.keep_resid:
        out["resid"] = np.empty((n_keep, n))
    return out


def run_chain(spec: ChainSpec, start: Start, seed) -> ChainResult:
    """Run one chain (all its temperatures) and keep the draws at temperature 1.

    Parameters
    ----------
    spec : ChainSpec
    start : Start
    seed : int or numpy.random.SeedSequence

    Returns
    -------
    ChainResult
    """
    rng = np.random.default_rng(seed)
    sweeps = _sweeps(spec)
    ladder = Ladder([s.priors for s in sweeps])
    temps = tuple(spec.temperatures)
    L = len(sweeps)
    sur = spec.surrogate()
    states = [initial_state(spec.y, spec.X, be, sur, start.r, start.delta, start.lam / tau, rng,
                            spec.probit)
              for be, tau in zip(spec.backends(L), temps, strict=True)]
    counts = [{m: Acceptance() for m in MOVES} for _ in range(L)]
    n_fact = 0
    n_iter = spec.n_warmup + spec.n_draws
    n_keep = spec.n_draws // spec.thin
    out = _storage(spec, n_keep)
    keep = 0
    t0 = time.perf_counter()
    for it in range(n_iter):
        for j, sweep in enumerate(sweeps):
            i = ladder.at[j]
            states[i], stats = sweep(states[i], rng)
            for st in stats:
                if st.move in counts[j]:
                    counts[j][st.move].add(st.accepted)
                n_fact += st.exact_factorisations
        if L > 1:
            ladder.swap(it, [(s.r, s.delta, s.lam) for s in states], rng)
        if it < spec.n_warmup:
            if spec.tuning.adapt and (it + 1) % 50 == 0:
                for sweep in sweeps:
                    sweep.adapt()
            if (spec.adapt_ladder and L > 2 and (it + 1) % LADDER_EVERY == 0
                    and it + 1 < spec.n_warmup):
                temps = ladder.respaced(temps)
                for sweep, pri in zip(sweeps, _level_priors(spec, temps), strict=True):
                    sweep.set_priors(pri)
                ladder.priors = [s.priors for s in sweeps]
                ladder.reset_counts()
            if it == spec.n_warmup - 1:
                counts = [{m: Acceptance() for m in MOVES} for _ in range(L)]
                ladder.reset_counts()
                n_fact = 0
            continue
        if (it - spec.n_warmup + 1) % spec.thin or keep >= n_keep:
            continue
        cold = states[ladder.at[0]]
        out["lambda"][keep] = cold.lam
        out["r"][keep] = cold.rfull
        out["delta"][keep] = cold.delta
        out["beta"][keep] = cold.beta
        out["loglik"][keep] = cold.ll
        out["logprior"][keep] = spec.priors.log_prior(cold.r, cold.delta, cold.lam)
        out["replica"][keep] = ladder.at[0]
        if "hnew" in out:
            out["hnew"][keep] = cold.backend.predict(cold.fac, cold.s, cold.h_extra, rng)
        if "resid" in out:
            out["resid"][keep] = cold.s
        keep += 1
    seconds = time.perf_counter() - t0
    rates = [{m: c.rate for m, c in lv.items()} for lv in counts]
    info = {
        "seconds": seconds,
        "iterations": n_iter,
        "temperatures": temps,
        "r_powers": r_powers(temps, spec.hot_r_power),
        "start": start.label,
        "acceptance": rates[0],
        "acceptance_by_level": rates,
        "lambda_jump": sweeps[0].lam_step.jump,
        "r_jump": sweeps[0].r_step.jump,
        "exact_factorisations_per_iteration": n_fact / max(spec.n_draws, 1),
        "swap_acceptance": [s.rate for s in ladder.swaps],
        "round_trips": ladder.round_trips,
        "delayed_acceptance": states[0].surrogate is not None,
    }
    return ChainResult(draws=out, info=info)
