"""Parallel tempering for probit BKMR: the temperature ladder and the swaps.

Why: on real data the posterior of probit BKMR with variable selection can
have separated regions (for example a rough kernel with every exposure in
and a large ``lambda``, against few exposures and a flat ``h``), and the
component-wise moves change one of ``lambda``, ``r_m``, ``delta_m`` at a time,
so a single chain stays in the region where it starts (see
:func:`.simulation.bimodal` for a small case with known masses).

The tempered family. Temperature ``tau >= 1`` is the probit model with latent
noise variance ``tau`` instead of 1:
``z = h + C beta + sqrt(tau) eps``, ``h ~ N(0, lambda K)``. Dividing ``z``,
``h`` and ``beta`` by ``sqrt(tau)`` maps it one-to-one onto the ordinary
model with kernel variance ``lambda / tau``, so temperature ``tau`` is the
ordinary BKMR posterior with the gamma prior of ``lambda`` rescaled: mean and
sd divided by ``tau`` (:meth:`.priors.BKMRPriors.tempered`); the priors of
``r`` and ``delta``, the flat prior of ``beta`` and every move are unchanged.
As ``tau`` grows, ``lambda`` is pushed towards 0, ``V = I + lambda K`` towards
``I``, and the ``(r, delta)`` marginal towards its prior, where the moves
travel freely between the regions.

Why not raise the likelihood ``N(z; C beta, V)`` to a power ``1 / T``, as in
textbook tempering? Because the latent ``z`` is confined to an orthant, a
cone: substituting ``z = u sqrt(T)`` shows that the ``(r, delta, lambda)``
marginal of that target is ``p(theta) p(y | theta) (|V| |C'V^-1 C|)^((1 - 1/T) / 2)``:
the data term is not flattened at all, only tilted towards rough kernels.

Swaps. All temperatures share the likelihood and differ only in the prior
of ``lambda``, so exchanging the states of temperatures ``j`` and ``k`` is
accepted with

    log alpha = log p_j(lambda_k) + log p_k(lambda_j) - log p_j(lambda_j) - log p_k(lambda_k)
              = (rate_k - rate_j) (lambda_k - lambda_j)      (common gamma shape),

which needs no factorisation. Adjacent pairs are proposed in the
deterministic even-odd scheme (Okabe et al. 2001; Syed et al. 2022): even
pairs after even sweeps, odd pairs after odd sweeps.

The ladder. Where the posterior changes quickly with the temperature,
adjacent temperatures rarely exchange, and a state needs many swaps to
travel. During warm-up only, the temperatures between 1 and the hottest
are moved so that every adjacent pair rejects about equally often (the
schedule update of Syed, Bouchard-Cote, Deligiannidis and Doucet 2022: the
cumulative rejection rate, interpolated in ``log tau``, is split into equal
parts); after warm-up the ladder is fixed.

Exactness at ``tau = 1``: every within-temperature move leaves its
temperature's posterior invariant and every swap is a Metropolis-Hastings
move on the product of the temperatures' posteriors, so the draws at
``tau = 1`` have the exact posterior as their stationary distribution
(Geyer 1991; Earl and Deem 2005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .priors import BKMRPriors
from .sampler import Acceptance

__all__ = ["geometric_ladder", "r_powers", "swap_log_ratio", "Ladder", "HOT_R_POWER"]

#: Exponent of the ``r`` prior at the hottest temperature (see the module docstring).
HOT_R_POWER = 1.0


def geometric_ladder(n_levels: int, tau_max: float) -> tuple[float, ...]:
    """Temperatures ``tau_max ** (j / (n_levels - 1))``, ``j = 0 .. n_levels - 1``.

    Parameters
    ----------
    n_levels : int
        Number of temperatures (1: the plain sampler).
    tau_max : float
        Hottest temperature.

    Returns
    -------
    tuple of float
        Starting at 1.
    """
    if n_levels < 1:
        raise ValueError("n_levels must be at least 1")
    if n_levels == 1:
        return (1.0,)
    if tau_max <= 1:
        raise ValueError("tau_max must exceed 1 for more than one temperature")
    return tuple(float(tau_max ** (j / (n_levels - 1))) for j in range(n_levels))


def r_powers(temperatures, hot_r_power: float) -> tuple[float, ...]:
    """Exponent of the ``r`` prior at each temperature: ``hot ** (log tau / log tau_max)``.

    Parameters
    ----------
    temperatures : sequence of float
        The ladder, starting at 1.
    hot_r_power : float
        Exponent at the hottest temperature (1: the ``r`` prior is not tempered).

    Returns
    -------
    tuple of float
        1 at ``tau = 1``.
    """
    t = np.asarray(temperatures, dtype=float)
    if len(t) == 1 or hot_r_power == 1:
        return tuple(1.0 for _ in t)
    return tuple(float(hot_r_power ** (math.log(v) / math.log(t[-1]))) for v in t)


def swap_log_ratio(pj: BKMRPriors, pk: BKMRPriors, xj: tuple, xk: tuple) -> float:
    """Log acceptance ratio of exchanging the states of two temperatures.

    The likelihood is the same function at every temperature and cancels;
    what remains are the priors of ``(r, delta, lambda)``.

    Parameters
    ----------
    pj, pk : BKMRPriors
        Priors of the two temperatures.
    xj, xk : tuple
        ``(r, delta, lambda)`` of the states now at ``j`` and ``k``.

    Returns
    -------
    float
    """
    return (pj.log_prior(*xk) + pk.log_prior(*xj) - pj.log_prior(*xj) - pk.log_prior(*xk))


@dataclass
class Ladder:
    """Which replica sits at which temperature, with swap and round-trip counts.

    Parameters
    ----------
    priors : list of BKMRPriors
        Priors per temperature, coldest (the target) first.

    Attributes
    ----------
    at : list of int
        ``at[j]`` is the replica at temperature ``j``.
    swaps : list of Acceptance
        Per adjacent pair ``(j, j + 1)``.
    round_trips : int
        Replicas that went from the coldest to the hottest temperature and
        back (a measure of how often the ladder carries a state across).
    """

    priors: list
    at: list = field(default_factory=list)
    swaps: list = field(default_factory=list)
    round_trips: int = 0
    _last_end: list = field(default_factory=list)

    def __post_init__(self):
        L = len(self.priors)
        self.at = list(range(L))
        self.swaps = [Acceptance() for _ in range(L - 1)]
        self._last_end = [0] + [-1] * (L - 1)  # replica 0 starts at the cold end

    @property
    def n_levels(self) -> int:
        """Number of temperatures."""
        return len(self.priors)

    def swap(self, iteration: int, states: list[tuple], rng: np.random.Generator) -> None:
        """Propose the even or odd adjacent exchanges of one sweep (in place).

        Parameters
        ----------
        iteration : int
            Sweep number: even sweeps propose pairs (0, 1), (2, 3), ...; odd
            ones (1, 2), (3, 4), ...
        states : list of tuple
            Current ``(r, delta, lambda)`` of each replica (by replica index).
        rng : numpy Generator
        """
        L = self.n_levels
        for j in range(iteration % 2, L - 1, 2):
            a, b = self.at[j], self.at[j + 1]
            log_a = swap_log_ratio(self.priors[j], self.priors[j + 1], states[a], states[b])
            ok = math.log(rng.random()) < log_a
            self.swaps[j].add(ok)
            if ok:
                self.at[j], self.at[j + 1] = b, a
        if L > 1:
            cold, hot = self.at[0], self.at[L - 1]
            if self._last_end[cold] == L - 1:
                self.round_trips += 1
            self._last_end[cold] = 0
            self._last_end[hot] = L - 1

    def reset_counts(self) -> None:
        """Forget the swap and round-trip counts (end of warm-up)."""
        self.swaps = [Acceptance() for _ in self.swaps]
        self.round_trips = 0

    def respaced(self, temperatures: tuple[float, ...]) -> tuple[float, ...]:
        """Temperatures that equalise the rejection rates seen since the last reset.

        The rejection rate of pair ``j`` (floored at 0.01, so that a pair
        never seen to reject keeps some width) is the width of the step from
        ``log tau_j`` to ``log tau_(j+1)`` in a cumulative "barrier"; the new
        temperatures cut the barrier into ``L - 1`` equal parts, inverting
        the piecewise-linear barrier. The coldest (1) and hottest stay.

        Parameters
        ----------
        temperatures : tuple of float
            The current ladder.

        Returns
        -------
        tuple of float
        """
        L = self.n_levels
        if L < 3 or any(s.attempted == 0 for s in self.swaps):
            return tuple(temperatures)
        x = np.log(np.asarray(temperatures, dtype=float))
        rej = np.array([max(1.0 - s.rate, 0.01) for s in self.swaps])
        barrier = np.concatenate([[0.0], np.cumsum(rej)])
        targets = np.linspace(0.0, barrier[-1], L)
        new = np.exp(np.interp(targets, barrier, x))
        new[0], new[-1] = temperatures[0], temperatures[-1]
        return tuple(float(t) for t in new)
