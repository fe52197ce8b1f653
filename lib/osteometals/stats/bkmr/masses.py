"""The posterior mass of each region: defensive importance sampling over ``(r, delta, lambda)``.

When chains stay in the region where they start, their occupancies say
nothing about which region holds the posterior mass. The mass of a region
``R`` of the hyper-parameters ``theta = (r, delta, lambda)`` is

.. math::

    Z_R = \\int_R p(y \\mid \\theta)\\, p(\\theta)\\, d\\theta ,
    \\qquad \\Pr(R \\mid y) = Z_R / \\sum_{R'} Z_{R'},

with ``h``, ``beta`` and ``z*`` integrated out of ``p(y | theta)``
(:func:`.evidence.log_marginal_likelihood` for the probit model, the exact
Gaussian likelihood in the known-truth test). :func:`region_masses`
estimates each ``Z_R`` by importance sampling (Owen and Zhou 2000, "Safe and
effective importance sampling", JASA 95:135) with the *defensive* mixture
proposal

.. math::

    q_R = \\alpha\\, p(\\theta \\mid R) + (1 - \\alpha)\\, \\hat p_{\\text{draws}}(\\theta),

where ``p(theta | R)`` is the prior restricted to the region (sampled
directly) and the second component a kernel density estimate on the chains'
own draws in the region, in ``(delta, log r, log lambda)``: pick a draw,
keep its ``delta``, and move its log relevances and ``log lambda`` by
normal steps of a per-coordinate bandwidth (Silverman's rule). The prior
component bounds every importance weight by ``P(R) p(y | theta) / alpha``, so
no draw can weigh more than its likelihood times the region's prior
probability allows, however badly the chains' draws cover the region; the
draws' component puts the effort where the chains found the likelihood.
Where the likelihood is narrow the estimate can still rest on a few draws:
the effective sample size says so, and :func:`resolve_regions` also asks
the bound. The estimator is unbiased for ``Z_R`` for
any proposal that covers ``R`` (the prior does); its standard error and the
importance-sampling effective sample size (Kish) are reported beside it.

Why not bridge sampling or thermodynamic integration over the tempered
draws: the levels of :mod:`.tempering` differ in the prior on ``lambda``, not
in a power of the likelihood, so they do not form the path thermodynamic
integration needs, and bridge sampling needs draws from each region's
posterior that mix within the region, which is what the chains cannot
promise. Importance sampling with the marginal likelihood needs neither.
No library fits: the estimator is a few lines once ``p(y | theta)`` is
available, and the proposal is specific to the spike-and-slab ``delta``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .evidence import ROUGH_R, classify
from .priors import BKMRPriors

__all__ = ["region_masses", "log_prior_mass_rough", "log_mass_without_exposures",
           "resolve_regions", "NEGLIGIBLE_SHARE"]

#: A region whose posterior share is below this is left out of the resolved posterior.
NEGLIGIBLE_SHARE = 1e-3

#: Share of the restricted prior in the defensive mixture.
DEFENSIVE_SHARE = 0.5

ProposalDraw = tuple  # (r: ndarray, delta: ndarray of bool, lam: float)


def log_prior_mass_rough(priors: BKMRPriors, n_exposures: int, rough_r: float = ROUGH_R) -> float:
    """Log prior probability of the rough region (every exposure in, every ``r_m >= rough_r``)."""
    a = priors.r_power
    top = min(priors.r_b**a, rough_r ** (-a))
    share = max(top - priors.r_a**a, 0.0) / priors._r_mass()
    if share <= 0:
        return -math.inf
    return priors.log_prior_delta(n_exposures, n_exposures) + n_exposures * math.log(share)


def log_mass_without_exposures(log_likelihood: Callable, priors: BKMRPriors, n_exposures: int,
                               lams=None, evaluate: Callable | None = None) -> float:
    """``log Z`` of the selection with no exposure in: a lower bound on the smooth region's mass.

    With every ``delta_m = 0`` the kernel is constant and only ``lambda``
    is left, so ``Z_0 = P(delta = 0) * integral of p(y | r = 0, lambda) p(lambda) d lambda``
    is a one-dimensional integral, done by the trapezoid rule in
    ``log lambda``. The state is in the smooth region, so ``Z_0 <= Z_smooth``.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(r, lam)`` as in :func:`region_masses`.
    priors : BKMRPriors
    n_exposures : int
    lams : sequence of float, optional
        Quadrature nodes (default: 13 points, log-spaced from 1e-3 to 300,
        which hold all but 1e-4 of bkmr's gamma prior; below 1e-3 the
        integrand is flat, so the error is smaller still).
    evaluate : callable, optional
        As in :func:`region_masses`.

    Returns
    -------
    float
    """
    lams = np.geomspace(1e-3, 300.0, 13) if lams is None else np.asarray(lams, dtype=float)
    run = evaluate or (lambda f, args: [f(*a) for a in args])
    zero = np.zeros(n_exposures)
    ll = np.array(run(log_likelihood, [(zero, float(v)) for v in lams]))
    t = np.log(lams)
    f = ll + np.array([priors.log_prior_lambda(float(v)) for v in lams]) + t
    w = np.full(len(t), 0.0)
    w[1:] += 0.5 * np.diff(t)
    w[:-1] += 0.5 * np.diff(t)
    return float(logsumexp(f + np.log(w))) + priors.log_prior_delta(0, n_exposures)


def _log_prior_log_coords(priors: BKMRPriors, r, delta, lam) -> float:
    """Log prior density in ``(log r_in, log lambda)`` coordinates (Jacobians included)."""
    v = priors.log_prior(r, delta, lam)
    if not np.isfinite(v):
        return -math.inf
    return v + float(np.log(r[delta]).sum()) + math.log(lam)


def _draw_prior(priors: BKMRPriors, M: int, rough: bool, rough_r: float,
                rng: np.random.Generator) -> ProposalDraw:
    """One draw of ``(r, delta, lambda)`` from the prior restricted to a region."""
    lam = rng.gamma(priors.lambda_shape, 1.0 / priors.lambda_rate)
    if rough:
        a = priors.r_power
        lo, hi = priors.r_a**a, min(priors.r_b**a, rough_r ** (-a))
        v = lo + (hi - lo) * (1.0 - rng.random(M))  # r^-a uniform on (lo, hi]
        return v ** (-1.0 / a), np.ones(M, dtype=bool), lam
    while True:
        delta = rng.random(M) < rng.beta(priors.pi_a, priors.pi_b)
        r = np.where(delta, [priors.draw_r(rng) for _ in range(M)], 0.0)
        if not classify(r, delta, rough_r):
            return r, delta, lam


class _DrawsKDE:
    """Kernel density on the chains' draws of one region, in ``(log r_in, log lambda)``."""

    def __init__(self, r: np.ndarray, delta: np.ndarray, lam: np.ndarray):
        self.r, self.delta, self.lam = r, delta.astype(bool), lam
        n, M = delta.shape
        self.log_r = np.log(np.where(self.delta, r, 1.0))
        factor = n ** (-1 / 5) * 1.06  # Silverman's rule
        self.h_r = np.empty(M)
        for m in range(M):
            x = self.log_r[self.delta[:, m], m]
            sd = x.std(ddof=1) if len(x) > 2 else 1.0
            self.h_r[m] = max(factor * sd, 0.05)
        self.h_l = max(factor * np.log(lam).std(ddof=1), 0.05) if n > 2 else 0.5
        self.codes = self.delta @ (1 << np.arange(M))

    def sample(self, rng: np.random.Generator) -> ProposalDraw:
        j = rng.integers(len(self.lam))
        delta = self.delta[j].copy()
        r = np.where(delta, np.exp(self.log_r[j] + self.h_r * rng.standard_normal(len(delta))),
                     0.0)
        lam = float(np.exp(np.log(self.lam[j]) + self.h_l * rng.standard_normal()))
        return r, delta, lam

    def log_density(self, r, delta, lam) -> float:
        """Log density in ``(log r_in, log lambda)`` coordinates of a draw with this ``delta``."""
        same = self.codes == int(delta @ (1 << np.arange(len(delta))))
        if not same.any():
            return -math.inf
        inc = np.flatnonzero(delta)
        u = (np.log(r[inc])[None, :] - self.log_r[same][:, inc]) / self.h_r[inc]
        v = (math.log(lam) - np.log(self.lam[same])) / self.h_l
        log_k = (-0.5 * (u**2).sum(1) - 0.5 * v**2 - (len(inc) + 1) * 0.5 * math.log(2 * math.pi)
                 - np.log(self.h_r[inc]).sum() - math.log(self.h_l))
        return float(logsumexp(log_k) - math.log(len(self.lam)))


def _proposals(region_draws, priors, M, rough, rough_r, n_draws, share, rng):
    """Draws of the defensive mixture and their log proposal densities."""
    kde = _DrawsKDE(*region_draws) if len(region_draws[2]) > 2 else None
    share = share if kde is not None else 1.0
    log_p_region = log_prior_mass_rough(priors, M, rough_r)
    log_p_region = log_p_region if rough else math.log1p(-math.exp(log_p_region))
    out = []
    for _ in range(n_draws):
        r, delta, lam = (_draw_prior(priors, M, rough, rough_r, rng) if rng.random() < share
                         else kde.sample(rng))
        lp = _log_prior_log_coords(priors, r, delta, lam)
        if not np.isfinite(lp) or bool(classify(r, delta, rough_r)) != rough:
            out.append((r, delta, lam, lp, -math.inf, False))
            continue
        terms = [math.log(share) + lp - log_p_region]
        if share < 1:
            terms.append(math.log1p(-share) + kde.log_density(r, delta, lam))
        out.append((r, delta, lam, lp, float(logsumexp(terms)), True))
    return out


def region_masses(r: np.ndarray, delta: np.ndarray, lam: np.ndarray, priors: BKMRPriors,
                  log_likelihood: Callable, n_draws: int = 32, rough_r: float = ROUGH_R,
                  seed: int = 0, defensive_share: float = DEFENSIVE_SHARE,
                  evaluate: Callable | None = None,
                  alternatives: dict[str, BKMRPriors] | None = None) -> pd.DataFrame:
    """Posterior mass of the rough and the smooth region, by defensive importance sampling.

    Parameters
    ----------
    r, delta, lam : ndarray
        Pooled draws of the chains (shapes (S, M), (S, M), (S,)): where the
        draws' component of the proposal puts its mass.
    priors : BKMRPriors
        The target's priors (temperature 1).
    log_likelihood : callable
        ``log_likelihood(r, lam) -> float``: ``log p(y | r, lambda)`` with
        ``r_m = 0`` for an excluded exposure.
    n_draws : int
        Proposal draws per region (each costs one ``log_likelihood``).
    rough_r : float
        The rough region's threshold (:func:`.evidence.classify`).
    seed : int
    defensive_share : float
        Share ``alpha`` of the restricted prior in the proposal, in (0, 1].
    evaluate : callable, optional
        ``evaluate(function, list_of_argument_tuples) -> list``, to run the
        likelihoods in parallel (default: one after the other).
    alternatives : dict of BKMRPriors, optional
        Other priors (e.g. other bounds of the ``r`` prior) under which to
        re-estimate the log masses from the same draws, by reweighting
        (``p'(theta) / q(theta)`` instead of ``p(theta) / q(theta)``). A
        reweighted mass is NaN where the alternative prior reaches values
        of ``r`` the proposal does not (``r`` below the target's lower bound
        ``1 / r_b``, in the smooth region).

    Returns
    -------
    DataFrame
        One row per region (``rough``, ``smooth``): ``log_mass`` (log of
        ``Z_R``), ``log_mass_se`` (standard error of ``Z_R`` relative to
        it), ``share`` (``Pr(R | y)``), ``ess`` (Kish effective sample size of
        the weights), ``n_draws``, ``log_prior_mass`` (``log P(R)``),
        ``max_log_likelihood`` (largest ``log p(y | theta)`` among the
        proposal draws in the region), ``log_bound`` (``log P(R)`` plus that
        largest likelihood: ``Z_R`` cannot exceed it unless some ``theta`` in
        the region has a larger likelihood than any tried), ``bound_share``
        (the largest share that bound allows the region against the other
        region's estimate) and ``chain_draws`` (draws of the chains in the
        region); with
        ``alternatives``, a column ``log_mass[<name>]`` for each.
    """
    if not 0 < defensive_share <= 1:
        raise ValueError(f"defensive_share must be in (0, 1], got {defensive_share}")
    delta = np.asarray(delta, dtype=bool)
    M = delta.shape[1]
    rng = np.random.default_rng(seed)
    in_rough = classify(r, delta, rough_r)
    props = {}
    for name, rough in (("rough", True), ("smooth", False)):
        mask = in_rough if rough else ~in_rough
        props[name] = _proposals((r[mask], delta[mask], lam[mask]), priors, M, rough, rough_r,
                                 n_draws, defensive_share, rng)
    jobs = [(p[0], p[2]) for name in props for p in props[name] if p[5]]
    run = evaluate or (lambda f, args: [f(*a) for a in args])
    lls = iter(run(log_likelihood, jobs))
    log_rough = log_prior_mass_rough(priors, M, rough_r)
    rows = []
    for name, rough in (("rough", True), ("smooth", False)):
        ll = np.array([next(lls) if p[5] else -math.inf for p in props[name]])
        lw = np.array([p[3] - p[4] if p[5] else -math.inf for p in props[name]]) + ll
        log_z = float(logsumexp(lw) - math.log(len(lw)))
        alt = {}
        for key, other in (alternatives or {}).items():
            if not rough and other.r_lower < priors.r_lower:
                alt[f"log_mass[{key}]"] = math.nan
                continue
            lw_alt = np.array([_log_prior_log_coords(other, p[0], p[1], p[2]) - p[4] if p[5]
                               else -math.inf for p in props[name]]) + ll
            alt[f"log_mass[{key}]"] = float(logsumexp(lw_alt) - math.log(len(lw)))
        w = np.exp(lw - lw.max())
        rel_se = float(w.std(ddof=1) / (w.mean() * math.sqrt(len(w))))
        rows.append({"region": name, "log_mass": log_z, "log_mass_se": rel_se,
                     "ess": float(w.sum() ** 2 / (w**2).sum()), "n_draws": len(lw),
                     "log_prior_mass": log_rough if rough else math.log1p(-math.exp(log_rough)),
                     "max_log_likelihood": float(ll.max()),
                     "chain_draws": int(in_rough.sum() if rough else (~in_rough).sum()),
                     **alt})
    out = pd.DataFrame(rows)
    out["log_bound"] = out["log_prior_mass"] + out["max_log_likelihood"]
    out["share"] = np.exp(out["log_mass"] - logsumexp(out["log_mass"]))
    other = out["log_mass"].to_numpy()[::-1]  # the other region's estimate
    out["bound_share"] = np.exp(out["log_bound"] - np.logaddexp(out["log_bound"], other))
    return out


def resolve_regions(fit, masses: pd.DataFrame, rough_r: float = ROUGH_R,
                    negligible: float = NEGLIGIBLE_SHARE):
    """The posterior with each region weighted by its mass: the draws of the region that holds it.

    The posterior is the mixture ``sum_R Pr(R | y) p(theta | y, R)``. When
    one region's share (from :func:`region_masses`) is below ``negligible``,
    the mixture is the other region's posterior, estimated by the draws of
    every chain in that region (:meth:`BKMRFit.in_region`); the draws in the
    negligible region are transients of chains started there. Both the
    estimate and the bound must say the region is negligible (the bound,
    ``log_bound``, when it is finite), so a poorly sampled estimate alone
    cannot drop a region.

    Parameters
    ----------
    fit : BKMRFit
    masses : DataFrame
        :func:`region_masses`' table (``share`` and ``bound_share`` are used).
    rough_r : float
    negligible : float

    Returns
    -------
    tuple
        ``(fit, region)``: the resolved fit and the region it keeps, or the
        fit unchanged and ``None`` when both regions carry mass (then the
        pooled draws are not weighted by it and the fit says so in a note).
    """
    m = masses.set_index("region")
    rough = classify(fit.draws["r"], fit.draws["delta"], rough_r)
    for small, big in (("rough", "smooth"), ("smooth", "rough")):
        bound_share = m.loc[small, "bound_share"]
        if m.loc[small, "share"] < negligible and bound_share < negligible:
            note = (f"resolved by region masses: the {small} region holds "
                    f"{m.loc[small, 'share']:.1e} of the posterior mass (bound "
                    f"{bound_share:.1e}), so the draws of the {big} region of every chain are "
                    "the posterior; draws in the other region are transients of chains "
                    "started there")
            return fit.in_region(rough if big == "rough" else ~rough, note=note), big
    out = replace(fit, notes=[*fit.notes, "both regions carry posterior mass (region_masses): "
                              "the pooled draws are not weighted by it"])
    return out, None
