"""The MCMC sampler of probit BKMR: chain state, step methods, one sweep.

One sweep (bkmr's move types; ``h`` and ``beta`` are integrated out wherever
bkmr integrates ``h`` out, and ``beta`` is also collapsed in the
Metropolis-Hastings ratios, which leaves the posterior unchanged and mixes
better):

1. :class:`LambdaStep`: :math:`\\lambda \\mid z^*, r` by Metropolis-Hastings
   (random walk on :math:`\\log\\lambda`), using the marginal likelihood
   :math:`z^* \\sim N(C\\beta, I + \\lambda K)` with :math:`\\beta` integrated
   out (flat prior);
2. :class:`RDeltaStep`: one :math:`(r, \\delta)` move of bkmr's component-wise
   selection (``rdelta.comp.update``): with probability 1/2 (1 if no
   exposure is in the model) toggle :math:`\\delta_m` of a randomly chosen
   exposure, a new :math:`\\tilde r_m` being drawn from its prior; otherwise
   a random walk on :math:`\\log \\tilde r_m` of a randomly chosen included
   exposure;
3. :class:`ScaleStep` (probit): :math:`z^*` and :math:`\\lambda` rescaled
   together, a group move that lets :math:`\\lambda` travel (data
   augmentation alone ties the scale of :math:`z^*` to :math:`\\lambda`);
4. :class:`LatentStep`: :math:`\\beta \\mid z^*, \\lambda, r` (Gaussian, ``h``
   integrated out), then :math:`h \\mid z^*, \\beta, \\lambda, r` (Gaussian,
   Matheron's rule), then :math:`z^* \\mid h, \\beta` (independent truncated
   normals; Albert and Chib 1993).

Each step follows the step-method convention of PyMC (``astep(q0) -> (q,
stats)``): it takes a :class:`ChainState` and returns the next one with a
:class:`StepStats`; proposal scales live in the step, so a tempered ladder
has one set of steps per temperature.

Delayed acceptance (Christen and Fox 2005; ``surrogate``): each proposal is
first screened with the likelihood of the predictive-process approximation
at 100 k-means knots, which costs :math:`O(n k^2)`; only proposals that
pass get the exact factorisation and a second accept/reject step that
corrects for the surrogate. The stationary distribution is the exact
posterior whatever the surrogate; with a good one most rejected proposals
never reach the exact stage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import ndtri_exp

from .kernels import Factor, collapsed_loglik, truncated_normal_latent
from .priors import BKMRPriors

__all__ = ["Acceptance", "ChainState", "StepStats", "LambdaStep", "RDeltaStep", "ScaleStep",
           "LatentStep", "Sweep", "initial_state"]


@dataclass
class ChainState:
    """Everything one chain carries from one sweep to the next.

    Attributes
    ----------
    delta : ndarray of bool, shape (M,)
        Inclusion indicators.
    r : ndarray, shape (M,)
        Relevances; ``r[m]`` of an excluded exposure is kept (it is not used)
        so that ``rfull`` gives ``delta * r``.
    lam : float
        Kernel variance.
    z : ndarray, shape (n,)
        Probit latent scores.
    beta : ndarray, shape (p,)
    s : ndarray, shape (n,)
        ``z - C beta`` of the last latent step (the input of ``h`` draws).
    h_extra : object
        Back-end detail of the last ``h`` draw (knot values), for prediction.
    fac, sfac : Factor
        Exact (or knots) factor of ``V`` and, with delayed acceptance, the
        surrogate's factor, both for the current ``(r, lambda)``.
    ll, sll : float
        Collapsed log-likelihood of ``z`` under ``fac`` and ``sfac``.
    c : ndarray or None
        Whitened GLS estimate that goes with ``ll`` (see
        :func:`.kernels.collapsed_loglik`).
    backend, surrogate : object
        The back ends whose buffers hold ``fac`` and ``sfac``.
    """

    delta: np.ndarray
    r: np.ndarray
    lam: float
    z: np.ndarray
    beta: np.ndarray
    s: np.ndarray
    fac: Factor
    ll: float
    c: np.ndarray | None
    backend: Any
    surrogate: Any = None
    sfac: Factor | None = None
    sll: float = 0.0
    h_extra: Any = None

    @property
    def rfull(self) -> np.ndarray:
        """``r`` with excluded exposures at 0."""
        return np.where(self.delta, self.r, 0.0)


@dataclass
class Acceptance:
    """Accepted and attempted proposals of one move type."""

    accepted: int = 0
    attempted: int = 0

    def add(self, accepted: bool) -> None:
        """Count one proposal."""
        self.accepted += bool(accepted)
        self.attempted += 1

    @property
    def rate(self) -> float:
        """Acceptance rate (NaN before any proposal)."""
        return self.accepted / self.attempted if self.attempted else float("nan")


@dataclass(frozen=True)
class StepStats:
    """What one step did.

    Attributes
    ----------
    move : str
        ``"lambda"``, ``"r_walk"``, ``"r_toggle"`` or ``"latent"``.
    accepted : bool
    exact_factorisations : int
        Exact factorisations of ``V`` spent (delayed acceptance saves some).
    """

    move: str
    accepted: bool = True
    exact_factorisations: int = 0


def _refresh(state: ChainState) -> ChainState:
    """The state with ``ll``, ``c`` and ``sll`` recomputed for its ``z``."""
    ll, c = collapsed_loglik(state.backend, state.fac, state.z)
    sll = (collapsed_loglik(state.surrogate, state.sfac, state.z)[0]
           if state.surrogate is not None else 0.0)
    return replace(state, ll=ll, c=c, sll=sll)


def _metropolis(
    rng: np.random.Generator,
    state: ChainState,
    log_prior_ratio: float,
    exact_factor: Callable[[], Factor | None],
    surrogate_factor: Callable[[], Factor | None] | None,
    z_star: np.ndarray | None = None,
):
    """One Metropolis-Hastings decision, with delayed acceptance if the state has a surrogate.

    Stage 1 screens the proposal with the surrogate likelihood (priors and
    proposal terms included); only if it passes is the exact likelihood
    computed, and the proposal is accepted with probability
    ``min(1, [L(new) / L(old)] / [L~(new) / L~(old)])`` (stage 2).
    ``z_star``: the proposal's latent scores when the move changes them.

    Returns
    -------
    tuple
        ``(accepted, factorisations, fac, ll, c, sfac, sll)`` with the
        proposal's factors and log-likelihoods when accepted.
    """
    z = state.z if z_star is None else z_star
    sf, sll_star = None, 0.0
    if state.surrogate is not None:
        sf = surrogate_factor()
        if sf is None:
            return False, 0, None, None, None, None, None
        sll_star = collapsed_loglik(state.surrogate, sf, z)[0]
        if not math.log(rng.random()) < sll_star - state.sll + log_prior_ratio:
            return False, 0, None, None, None, None, None
    f = exact_factor()
    if f is None:
        return False, 1, None, None, None, None, None
    ll_star, c_star = collapsed_loglik(state.backend, f, z)
    if state.surrogate is not None:
        log_a = (ll_star - state.ll) - (sll_star - state.sll)
    else:
        log_a = ll_star - state.ll + log_prior_ratio
    ok = math.log(rng.random()) < log_a
    return ok, 1, f, ll_star, c_star, sf, sll_star


def _propose(rng, state: ChainState, log_ratio: float, exact_factor, surrogate_factor,
             z_star: np.ndarray | None = None, **changes) -> tuple[ChainState, bool, int]:
    """Metropolis-Hastings on a proposal; the accepted state takes its factors and ``changes``.

    Returns
    -------
    tuple
        ``(state, accepted, exact factorisations)``: the proposal's state if
        accepted, else the current one.
    """
    ok, nf, f, ll, c, sf, sll = _metropolis(rng, state, log_ratio, exact_factor,
                                            surrogate_factor, z_star=z_star)
    if not ok:
        return state, False, nf
    if z_star is not None:
        changes["z"] = z_star
    sur = state.surrogate is not None
    return replace(state, fac=f, ll=ll, c=c, sfac=sf if sur else None, sll=sll if sur else 0.0,
                   **changes), True, nf


@dataclass
class LambdaStep:
    """Random-walk Metropolis-Hastings on ``log(lambda)`` given ``z`` and ``r``.

    Parameters
    ----------
    priors : BKMRPriors
    jump : float
        Standard deviation of the walk (adapted during warm-up).
    """

    priors: BKMRPriors
    jump: float = 0.5

    def astep(self, state: ChainState, rng: np.random.Generator) -> tuple[ChainState, StepStats]:
        """One proposal; returns the next state and what happened."""
        lam = state.lam
        lam_star = lam * math.exp(self.jump * rng.standard_normal())
        log_ratio = (self.priors.log_prior_lambda(lam_star) - self.priors.log_prior_lambda(lam)
                     + math.log(lam_star / lam))  # Jacobian of the log-scale walk
        be, sur = state.backend, state.surrogate
        state, ok, nf = _propose(
            rng, state, log_ratio,
            lambda: be.factor(state.fac.kern, lam_star, avoid=state.fac),
            (lambda: sur.factor(state.sfac.kern, lam_star)) if sur is not None else None,
            lam=lam_star)
        return state, StepStats("lambda", ok, nf)


@dataclass
class RDeltaStep:
    """One component-wise ``(r, delta)`` move (bkmr ``rdelta.comp.update``).

    Parameters
    ----------
    priors : BKMRPriors
    jump : float
        Standard deviation of the random walk on ``log(r_m)``.
    varsel : bool
        With variable selection, half the moves (all when nothing is
        included) toggle one ``delta_m``; without it every move is a walk.
    """

    priors: BKMRPriors
    jump: float = 0.5
    varsel: bool = True

    def astep(self, state: ChainState, rng: np.random.Generator) -> tuple[ChainState, StepStats]:
        """One proposal; returns the next state and what happened."""
        pri, delta = self.priors, state.delta
        M = len(delta)
        k_in = int(delta.sum())
        if self.varsel and (k_in == 0 or rng.random() < 0.5):
            move = "r_toggle"
            m = int(rng.integers(M))
            d_star = delta.copy()
            d_star[m] = not delta[m]
            r_new = pri.draw_r(rng) if d_star[m] else 0.0
            mp = 1.0 if k_in == 0 else 0.5
            mp_star = 1.0 if not d_star.any() else 0.5
            log_ratio = (pri.log_prior_delta(int(d_star.sum()), M) - pri.log_prior_delta(k_in, M)
                         + math.log(mp_star) - math.log(mp))
        else:
            move = "r_walk"
            inc = np.flatnonzero(delta)
            m = int(inc[rng.integers(len(inc))])
            d_star = delta
            cur = state.r[m]
            r_new = cur * math.exp(self.jump * rng.standard_normal())
            log_ratio = (pri.log_prior_r(r_new) - pri.log_prior_r(cur)
                         + math.log(r_new / cur))  # Jacobian of the log-scale walk
        if log_ratio == -math.inf:
            return state, StepStats(move, False, 0)
        be, sur, lam = state.backend, state.surrogate, state.lam
        r = state.r.copy()
        if d_star[m]:
            r[m] = r_new
        state, ok, nf = _propose(
            rng, state, log_ratio,
            lambda: be.factor(be.kern_update(state.fac.kern, m, r_new), lam, avoid=state.fac),
            (lambda: sur.factor(sur.kern_update(state.sfac.kern, m, r_new), lam))
            if sur is not None else None,
            delta=d_star.copy(), r=r)
        return state, StepStats(move, ok, nf)


@dataclass
class ScaleStep:
    """Joint rescaling of the latent scores and ``lambda`` (probit only).

    The move ``z -> c z``, ``lambda -> c^2 lambda`` (``r`` fixed, ``h`` and
    ``beta`` integrated out) with ``log c ~ N(0, jump^2)`` is a group move
    (Liu and Sabatti 2000; parameter expansion, Liu and Wu 1999): it keeps
    the orthant of ``z`` and is accepted with
    ``pi(c z, c^2 lambda) c^(n + 2) / pi(z, lambda)``, ``c^(n + 2)`` being
    its Jacobian. In data augmentation the scale of ``z`` is tied to
    ``lambda``, so ``lambda`` alone moves slowly (a rough kernel makes ``h``
    nearly independent latent noise whose variance ``lambda`` only the
    scale of ``z`` can follow); this move changes both together.

    Parameters
    ----------
    priors : BKMRPriors
    jump : float
        Standard deviation of ``log c`` (adapted during warm-up).
    """

    priors: BKMRPriors
    jump: float = 0.05

    def astep(self, state: ChainState, rng: np.random.Generator) -> tuple[ChainState, StepStats]:
        """One proposal; returns the next state and what happened."""
        lc = self.jump * rng.standard_normal()
        c = math.exp(lc)
        lam_star = state.lam * c * c
        log_ratio = (self.priors.log_prior_lambda(lam_star)
                     - self.priors.log_prior_lambda(state.lam) + (len(state.z) + 2) * lc)
        if log_ratio == -math.inf:
            return state, StepStats("scale", False, 0)
        be, sur = state.backend, state.surrogate
        state, ok, nf = _propose(
            rng, state, log_ratio,
            lambda: be.factor(state.fac.kern, lam_star, avoid=state.fac),
            (lambda: sur.factor(state.sfac.kern, lam_star)) if sur is not None else None,
            z_star=state.z * c, lam=lam_star)
        return state, StepStats("scale", ok, nf)


@dataclass
class LatentStep:
    """Gibbs updates of ``beta``, ``h`` and the latent ``z`` given ``(r, lambda)``.

    Parameters
    ----------
    y : ndarray of 0/1, shape (n,)
    X : ndarray, shape (n, p)
    probit : bool
        False for a Gaussian outcome with unit residual variance: ``z = y``
        stays fixed and only ``beta`` and ``h`` are drawn.
    """

    y: np.ndarray
    X: np.ndarray
    probit: bool = True

    def astep(self, state: ChainState, rng: np.random.Generator) -> tuple[ChainState, StepStats]:
        """Draw ``beta | z``, ``h | z, beta``, ``z | h, beta``."""
        fac, z = state.fac, state.z
        p = self.X.shape[1]
        if p:
            beta = solve_triangular(fac.C, state.c + rng.standard_normal(p), lower=True,
                                    trans="T")
            s = z - self.X @ beta
        else:
            beta, s = np.empty(0), z
        if not self.probit:  # z = y is fixed; h is needed only for knots predictions
            extra = state.backend.draw_h(fac, s, rng)[1] if state.fac.kern.extra else None
            return replace(state, beta=beta, s=s, h_extra=extra), StepStats("latent")
        h, extra = state.backend.draw_h(fac, s, rng)
        z_new = truncated_normal_latent(h + (z - s), self.y, rng)
        state = _refresh(replace(state, z=z_new, beta=beta, s=s, h_extra=extra))
        return state, StepStats("latent")


@dataclass
class Sweep:
    """One iteration at one temperature: the lambda, (r, delta), scale and latent steps.

    Parameters
    ----------
    lam_step : LambdaStep
    r_step : RDeltaStep
    latent_step : LatentStep
    scale_step : ScaleStep or None
        Probit only (see :class:`ScaleStep`).
    """

    lam_step: LambdaStep
    r_step: RDeltaStep
    latent_step: LatentStep
    scale_step: ScaleStep | None = None
    #: acceptance counts of the current adaptation batch, per adapted move
    batch: dict[str, Acceptance] = field(
        default_factory=lambda: {"lambda": Acceptance(), "r_walk": Acceptance(),
                                 "scale": Acceptance()})

    @property
    def priors(self) -> BKMRPriors:
        """The priors of this temperature."""
        return self.lam_step.priors

    def set_priors(self, priors: BKMRPriors) -> None:
        """Use other priors (when the ladder moves this temperature)."""
        for step in (self.lam_step, self.r_step, self.scale_step):
            if step is not None:
                step.priors = priors

    def __call__(self, state: ChainState, rng: np.random.Generator):
        """Run the steps; returns the new state and their stats."""
        stats = []
        steps = (self.lam_step, self.r_step, self.scale_step, self.latent_step)
        for step in (st for st in steps if st is not None):
            state, st = step.astep(state, rng)
            stats.append(st)
            if st.move in self.batch:
                self.batch[st.move].add(st.accepted)
        return state, stats

    def adapt(self, target: float = 0.3) -> None:
        """Move both proposal scales towards acceptance ``target`` (warm-up only).

        Every call uses the batch since the last call: the scale is
        multiplied by ``exp(2 * clip(rate - target, -0.5, 0.5))`` and kept in
        [0.01, 2].
        """
        for key, step in (("lambda", self.lam_step), ("r_walk", self.r_step),
                          ("scale", self.scale_step)):
            batch = self.batch[key]
            if step is None:
                continue
            if batch.attempted:
                f = math.exp(min(max(batch.rate - target, -0.5), 0.5) * 2.0)
                step.jump = min(max(step.jump * f, 0.01), 2.0)
            self.batch[key] = Acceptance()


def initial_state(
    y: np.ndarray,
    X: np.ndarray,
    backend,
    surrogate,
    r: np.ndarray,
    delta: np.ndarray,
    lam: float,
    rng: np.random.Generator,
    probit: bool = True,
) -> ChainState:
    """A chain's first state: the given ``(r, delta, lambda)``, latent scores around the base rate.

    ``z`` starts as truncated-normal draws around ``Phi^-1(mean(y))`` (the
    probit of the prevalence) and ``beta`` at 0; both are redrawn from their
    conditionals in the first sweep. Without ``probit``, ``z = y``.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``V`` cannot be factorised at the start.
    """
    n = len(y)
    delta = np.asarray(delta, dtype=bool)
    r = np.asarray(r, dtype=float).copy()
    rfull = np.where(delta, r, 0.0)
    fac = backend.factor(backend.kern_full(rfull), lam)
    if fac is None:
        raise np.linalg.LinAlgError("cannot factorise the starting covariance")
    sfac = None
    if surrogate is not None:
        sfac = surrogate.factor(surrogate.kern_full(rfull), lam)
        if sfac is None:
            surrogate = None
    if probit:
        ybar = min(max(float(np.mean(y)), 0.01), 0.99)
        z = truncated_normal_latent(np.full(n, float(ndtri_exp(np.log(ybar)))), y, rng)
    else:
        z = np.asarray(y, dtype=float).copy()
    state = ChainState(delta=delta, r=r, lam=float(lam), z=z, beta=np.zeros(X.shape[1]),
                       s=z.copy(), fac=fac, ll=0.0, c=None, backend=backend,
                       surrogate=surrogate, sfac=sfac)
    return _refresh(state)
