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

__all__ = ["geometric_ladder", "swap_log_ratio", "Ladder"]


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


def swap_log_ratio(pj: BKMRPriors, pk: BKMRPriors, lam_j: float, lam_k: float) -> float:
    """Log acceptance ratio of exchanging the states of two temperatures.

    Parameters
    ----------
    pj, pk : BKMRPriors
        Priors of the two temperatures.
    lam_j, lam_k : float
        ``lambda`` of the states now at ``j`` and ``k``.

    Returns
    -------
    float
    """
    return (pj.log_prior_lambda(lam_k) + pk.log_prior_lambda(lam_j)
            - pj.log_prior_lambda(lam_j) - pk.log_prior_lambda(lam_k))


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

    def swap(self, iteration: int, lams: list[float], rng: np.random.Generator) -> None:
        """Propose the even or odd adjacent exchanges of one sweep (in place).

        Parameters
        ----------
        iteration : int
            Sweep number: even sweeps propose pairs (0, 1), (2, 3), ...; odd
            ones (1, 2), (3, 4), ...
        lams : list of float
            Current ``lambda`` of each replica (by replica index).
        rng : numpy Generator
        """
        L = self.n_levels
        for j in range(iteration % 2, L - 1, 2):
            a, b = self.at[j], self.at[j + 1]
            log_a = swap_log_ratio(self.priors[j], self.priors[j + 1], lams[a], lams[b])
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
