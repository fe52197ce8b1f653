"""Priors and proposal scales of probit BKMR (R bkmr's defaults).

Priors (R bkmr 0.2.2 ``kmbayes`` ``control.params``):

* ``r.prior = "invunif"``: :math:`1/\\tilde r_m \\sim U(r_a, r_b)` with
  ``r.a = 0``, ``r.b = 100``, so :math:`\\tilde r_m \\ge 0.01` with density
  :math:`\\propto \\tilde r_m^{-2}`;
* :math:`\\lambda \\sim` Gamma with mean ``mu.lambda = 10`` and standard
  deviation ``sigma.lambda = 10`` (shape 1, rate 0.1);
* :math:`\\delta_m \\mid \\pi \\sim` Bernoulli(:math:`\\pi`),
  :math:`\\pi \\sim` Beta(``a.p0 = 1``, ``b.p0 = 1``), :math:`\\pi`
  integrated out;
* a flat prior on :math:`\\beta`; the residual variance is fixed at 1
  (probit), so :math:`\\lambda` equals the kernel variance :math:`\\tau`.

**Departure from bkmr: the prior on** :math:`\\beta`. By default
:class:`BKMRPriors` puts a proper normal prior :math:`N(0, s^2 I)`, ``s = 1``,
on the probit coefficients (``beta_prior="normal"``, ``beta_sd=1``);
``beta_prior="flat"`` is bkmr's. Why: with a flat prior the probit scale is
weakly identified. A rough kernel (large ``r_m``) makes ``h`` nearly
independent latent noise of variance ``lambda``; the latent scale becomes
``sqrt(1 + lambda)``, the probit likelihood of ``beta / sqrt(1 + lambda)``
is scale-free and the flat prior rewards the larger scale by the volume
factor ``(1 + lambda)^(p/2)`` (``p`` covariate columns; a Lindley-type
effect of an improper prior). On the book's cohort (``p = 19``) the
expectation-propagation estimate of ``log p(y | r, lambda)`` at a rough
``r`` rises by about 19 nats per decade of ``lambda`` up to ``lambda =
1000``, so the flat-prior posterior is dominated by the tail of the
``lambda`` prior, at values (~30-250) no chain of a practical length reaches
(research notes of issue 15, reproduced in chapter 5). With
``N(0, 1)``, a weakly informative prior on the probit scale (a coefficient
of 2 is a 0.5 to 0.98 change of probability), the volume factor is gone and
the likelihood of the rough region peaks at ``lambda`` of 1-3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import betaln

__all__ = ["BKMRPriors", "BKMRTuning"]


@dataclass(frozen=True)
class BKMRPriors:
    """Prior hyper-parameters, named after R bkmr's ``control.params``.

    Parameters
    ----------
    r_a, r_b : float
        ``1 / r_m ~ Uniform(r_a, r_b)`` for an included exposure
        (bkmr ``r.prior = "invunif"``, ``r.a = 0``, ``r.b = 100``).
    lambda_mean, lambda_sd : float
        Mean and standard deviation of the gamma prior on ``lambda``
        (bkmr ``mu.lambda = sigma.lambda = 10``).
    pi_a, pi_b : float
        Beta prior on the inclusion probability ``pi``
        (bkmr ``a.p0 = b.p0 = 1``).
    r_power : float
        Exponent ``a`` of the density ``r^-(1 + a)`` of an included ``r_m`` on
        ``[1 / r_b, 1 / r_a]``. 1 is bkmr's ``invunif``; smaller values put
        more mass on large ``r_m`` (used only by the hot temperatures of
        :mod:`.tempering`, never by the target).
    beta_prior : {"normal", "flat"}
        Prior of the covariate coefficients: ``N(0, beta_sd^2)`` each
        (default; see the module docstring) or bkmr's flat prior.
    beta_sd : float
        Standard deviation of the normal prior on each coefficient.
    """

    r_a: float = 0.0
    r_b: float = 100.0
    lambda_mean: float = 10.0
    lambda_sd: float = 10.0
    pi_a: float = 1.0
    pi_b: float = 1.0
    r_power: float = 1.0
    beta_prior: str = "normal"
    beta_sd: float = 1.0

    def __post_init__(self):
        if not 0 <= self.r_a < self.r_b:
            raise ValueError(f"need 0 <= r_a < r_b, got r_a={self.r_a}, r_b={self.r_b}")
        if self.lambda_mean <= 0 or self.lambda_sd <= 0:
            raise ValueError("lambda_mean and lambda_sd must be positive")
        if self.pi_a <= 0 or self.pi_b <= 0:
            raise ValueError("pi_a and pi_b must be positive")
        if not 0 < self.r_power <= 1:
            raise ValueError(f"r_power must be in (0, 1], got {self.r_power}")
        if self.beta_prior not in ("normal", "flat"):
            raise ValueError(f"beta_prior must be 'normal' or 'flat', got {self.beta_prior!r}")
        if self.beta_sd <= 0:
            raise ValueError("beta_sd must be positive")

    @property
    def beta_precision(self) -> float:
        """Prior precision of each ``beta`` (0 for the flat prior)."""
        return 0.0 if self.beta_prior == "flat" else 1.0 / self.beta_sd**2

    @property
    def r_lower(self) -> float:
        """Smallest admissible ``r_m`` of an included exposure (``1 / r_b``)."""
        return 1.0 / self.r_b

    @property
    def r_upper(self) -> float:
        """Largest admissible ``r_m`` (``1 / r_a``; infinite when ``r_a = 0``)."""
        return math.inf if self.r_a == 0 else 1.0 / self.r_a

    @property
    def lambda_shape(self) -> float:
        """Shape of the gamma prior on ``lambda``."""
        return (self.lambda_mean / self.lambda_sd) ** 2

    @property
    def lambda_rate(self) -> float:
        """Rate of the gamma prior on ``lambda``."""
        return self.lambda_mean / self.lambda_sd**2

    def _r_mass(self) -> float:
        """``integral of r^-(1 + a)`` over the support, times ``a``: ``L^-a - U^-a``."""
        a = self.r_power
        return self.r_b**a - self.r_a**a

    def log_prior_r(self, r: float) -> float:
        """Log density of an included ``r_m``: ``a r^-(1 + a) / (r_b^a - r_a^a)``.

        With ``a = 1`` (bkmr's ``invunif``): ``-2 log r - log(r_b - r_a)``.
        """
        if not self.r_lower <= r <= self.r_upper:
            return -math.inf
        a = self.r_power
        return math.log(a) - (1.0 + a) * math.log(r) - math.log(self._r_mass())

    def draw_r(self, rng: np.random.Generator) -> float:
        """Draw an included ``r_m`` from its prior (inverse CDF).

        With ``a = 1``: ``1 / r = r_b - (r_b - r_a) U``, i.e. ``1 / r ~ U(r_a, r_b]``.
        """
        a = self.r_power
        u = self.r_b**a - self._r_mass() * rng.random()  # in (r_a^a, r_b^a]
        return u ** (-1.0 / a)

    def log_prior_lambda(self, lam: float) -> float:
        """Log gamma density of ``lambda`` (mean/sd parametrisation)."""
        return _gamma_logpdf(lam, self.lambda_shape, self.lambda_rate)

    def log_prior_delta(self, k: int, m: int) -> float:
        """Log prior of one selection vector with ``k`` of ``m`` included (pi integrated)."""
        return float(betaln(self.pi_a + k, self.pi_b + m - k) - betaln(self.pi_a, self.pi_b))

    def log_prior(self, r: np.ndarray, delta: np.ndarray, lam: float) -> float:
        """Log prior density of one state ``(r, delta, lambda)`` (``pi`` integrated).

        Parameters
        ----------
        r : ndarray, shape (M,)
            Relevances; only the included ones (``delta``) enter.
        delta : ndarray of bool, shape (M,)
        lam : float

        Returns
        -------
        float
        """
        delta = np.asarray(delta, dtype=bool)
        v = self.log_prior_lambda(lam) + self.log_prior_delta(int(delta.sum()), len(delta))
        for m in np.flatnonzero(delta):
            v += self.log_prior_r(float(r[m]))
        return v

    def tempered(self, tau: float, r_power: float = 1.0) -> BKMRPriors:
        """The priors at temperature ``tau`` (:mod:`.tempering`).

        Parameters
        ----------
        tau : float
            Temperature, at least 1.
        r_power : float
            Exponent of the ``r`` prior at this temperature (1 at ``tau = 1``).

        Returns
        -------
        BKMRPriors
            The same priors with the mean and standard deviation of
            ``lambda`` divided by ``tau`` (the gamma shape is unchanged and
            its rate multiplied by ``tau``) and the ``r`` prior's exponent
            ``r_power``.
        """
        if tau < 1:
            raise ValueError(f"temperatures are >= 1, got {tau}")
        return replace(self, lambda_mean=self.lambda_mean / tau, lambda_sd=self.lambda_sd / tau,
                       r_power=r_power)


@dataclass(frozen=True)
class BKMRTuning:
    """Proposal scales of the Metropolis-Hastings steps.

    Parameters
    ----------
    lambda_jump : float
        Standard deviation of the random walk on ``log(lambda)``.
    r_jump : float
        Standard deviation of the random walk on ``log(r_m)`` of an
        included exposure (proposals below ``1 / r_b`` are rejected by the
        prior).
    scale_jump : float
        Standard deviation of ``log c`` in the joint rescaling of the latent
        scores and ``lambda`` (probit only; 0, the default, switches the move
        off). Off by default: it costs one more factorisation per iteration
        and, in the research of issue 15, its adapted step stayed near
        ``log c ~ 0.01`` below ``lambda = 1``, where the book's posterior is.
    adapt : bool
        If true, the scales are adapted during warm-up only (every 50
        iterations, towards an acceptance rate of 0.3, within 0.01 to 2 on
        the log scale); after warm-up the kernel is fixed, so the retained
        chain is an ordinary Metropolis-within-Gibbs chain.

    Notes
    -----
    bkmr proposes ``lambda`` from a gamma distribution with mean the current
    value and sd ``lambda.jump = 10``, and ``r_m`` from a normal with sd
    ``r.jump2`` truncated to ``[1 / r_b, 1 / r_a]``, without adaptation.
    The same targets are sampled here with log-scale walks: with sd 10 the
    gamma proposal has shape ``(lambda / 10)^2`` and, once ``lambda`` is
    below about 1, proposes values indistinguishable from 0, so the chain
    stops moving; a fixed absolute sd for ``r_m`` is likewise far too small
    for large ``r_m`` and too large near the lower bound.
    """

    lambda_jump: float = 0.5
    r_jump: float = 0.5
    scale_jump: float = 0.0
    adapt: bool = True


def _gamma_logpdf(x: float, shape: float, rate: float) -> float:
    if x <= 0 or shape <= 0 or rate <= 0:
        return -math.inf
    return shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(x) - rate * x
