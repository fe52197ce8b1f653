"""Probit Bayesian kernel machine regression (BKMR) with variable selection.

The model is that of Bobb et al. (2015, Biostatistics 16:493) with the
probit link of Bobb et al. (2018, Environ Health 17:67), as fitted by R
``bkmr::kmbayes(family = "binomial", varsel = TRUE)``:

.. math::

    y_i = 1\\{z^*_i > 0\\}, \\qquad
    z^*_i = h(x_i) + \\beta' c_i + \\varepsilon_i, \\qquad
    \\varepsilon_i \\sim N(0, 1),

with :math:`h \\sim N(0, \\lambda K)` on the observed exposure profiles and
the Gaussian kernel :math:`K(x, x') = \\exp(-\\sum_m r_m (x_m - x'_m)^2)`.
Component-wise selection writes :math:`r_m = \\delta_m \\tilde r_m`.

Priors (R bkmr defaults, ``control.params`` of ``kmbayes``; see
``jenfb/bkmr``, ``R/bkmr_main_functions.R``):

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

Sampler (one iteration; ``h`` and ``beta`` are integrated out wherever
bkmr integrates ``h`` out, and ``beta`` is additionally collapsed in the
Metropolis-Hastings ratios, which leaves the posterior unchanged and
mixes better):

1. :math:`\\lambda \\mid z^*, r` by Metropolis-Hastings (random walk on
   :math:`\\log\\lambda`; see :class:`BKMRTuning` for why not bkmr's gamma
   proposal), using the marginal likelihood :math:`z^* \\sim N(C\\beta, I + \\lambda K)`
   with :math:`\\beta` integrated out (flat prior).
2. one :math:`(r, \\delta)` move of bkmr's component-wise selection
   (``rdelta.comp.update``): with probability 1/2 (1 if no exposure is in
   the model) toggle :math:`\\delta_m` of a randomly chosen exposure, a new
   :math:`\\tilde r_m` being drawn from its prior; otherwise a random walk
   on :math:`\\log \\tilde r_m` of a randomly chosen included exposure.
3. :math:`\\beta \\mid z^*, \\lambda, r` (Gaussian, ``h`` integrated out).
4. :math:`h \\mid z^*, \\beta, \\lambda, r` (Gaussian), drawn with Matheron's
   rule from one prior draw, using the Cholesky factor of
   :math:`V = I + \\lambda K` already computed in steps 1-2.
5. :math:`z^* \\mid h, \\beta` (independent truncated normals; Albert and
   Chib 1993), vectorised with log-scale inverse CDFs.

Everything is computed from Cholesky factors and log-determinants
(:math:`\\log|V| = 2 \\sum \\log L_{ii}`), never from ``det()``. Each
Metropolis-Hastings proposal costs one Cholesky factorisation of an
:math:`n \\times n` matrix; after an accepted :math:`r` move only, one more
factorisation (of :math:`K + 10^{-8} I`) serves the prior draw of step 4.
The kernel's squared distances are cached per exposure, so a proposal that
changes one :math:`r_m` updates :math:`\\log K` by one scaled array and takes
one elementwise ``exp``.

Delayed acceptance (Christen and Fox 2005; ``surrogate_knots``): each
proposal is first screened with the likelihood of the predictive-process
approximation at 100 k-means knots, which costs :math:`O(n k^2)`; only
proposals that pass get the exact factorisation and a second accept/reject
step that corrects for the surrogate. The stationary distribution is the
exact posterior whatever the surrogate; with a good one most rejected
proposals never reach the exact stage, so an iteration needs about 0.6
instead of 2 exact factorisations. Trade-off against bkmr: the move types
are bkmr's (one component-wise :math:`(r, \\delta)` move and one
:math:`\\lambda` move per iteration), not a joint update of all
:math:`r_m`, which would need fewer factorisations per sweep but accepts
rarely once several exposures are in the model.

The Gaussian predictive-process approximation (Banerjee et al. 2008; bkmr's
``knots=``) replaces :math:`h` by :math:`K_{nk} Q^{-1} h_k` with
:math:`h_k \\sim N(0, \\lambda Q)`, :math:`Q = K_{kk} + 0.001 I` at
:math:`k` knots; all work is then :math:`O(n k^2)` through the Woodbury
identity.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd
from scipy.linalg import lapack, solve_triangular
from scipy.special import betaln, log_ndtr, ndtri_exp

from osteometals.stats.coding import dummy_code

__all__ = [
    "BKMRPriors",
    "BKMRTuning",
    "MixtureData",
    "PredictionGrid",
    "BKMRFit",
    "mixture_data",
    "make_grid",
    "kmeans_knots",
    "fit_bkmr",
    "simulate",
    "split_rhat",
    "ess",
    "truncated_normal_latent",
    "gaussian_loglik",
    "DEFAULT_QUANTILES",
    "blas_threads",
    "fit_mixture",
    "ess_tail",
]

#: Quantiles of the overall-effect summary (bkmr ``OverallRiskSummaries``).
DEFAULT_QUANTILES: tuple[float, ...] = tuple(np.round(np.arange(0.25, 0.751, 0.05), 2))

_JITTER = 1e-8  # added to K before its Cholesky root (prior draw of h only)
_KNOT_NUGGET = 1e-3  # bkmr's nugget on K at the knots
# log K is floored at -200 before exponentiating: kernel entries below
# exp(-200) ~ 1e-87 become 1e-87. That changes K by far less than one
# rounding unit of its unit diagonal, and it keeps subnormal numbers (which
# slow floating-point arithmetic a hundredfold) out of every factorisation.
_LOGK_FLOOR = -200.0


def _openblas_libs() -> list:
    """The OpenBLAS libraries loaded by numpy and scipy, with their setters (Linux)."""
    import ctypes
    import re

    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return []
    found = []
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None) or getattr(
                lib, f"openblas_get_num_threads{suffix}", None
            )
            set_ = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None) or getattr(
                lib, f"openblas_set_num_threads{suffix}", None
            )
            if get is not None and set_ is not None:
                found.append((get, set_))
                break
    return found


class blas_threads:
    """Context manager limiting OpenBLAS (numpy's and scipy's) to ``n`` threads.

    The sampler's matrices (n of a few hundred to a thousand) gain little
    from a second BLAS thread, and on a shared, oversubscribed machine
    multi-threaded OpenBLAS slows down several-fold; chains are therefore
    run single-threaded and in parallel processes instead. A no-op where the
    libraries cannot be found.

    Parameters
    ----------
    n : int
        Number of threads inside the block.
    """

    def __init__(self, n: int = 1):
        self.n = n
        self._saved: list = []

    def __enter__(self):
        self._saved = []
        for get, set_ in _openblas_libs():
            self._saved.append((set_, get()))
            set_(self.n)
        return self

    def __exit__(self, *exc):
        for set_, old in self._saved:
            set_(old)
        return False


def _kexp(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``exp(max(A, -200))``: kernel entries from log-kernel values."""
    out = np.maximum(A, _LOGK_FLOOR, out=out)
    return np.exp(out, out=out)


# --------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------


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
    """

    r_a: float = 0.0
    r_b: float = 100.0
    lambda_mean: float = 10.0
    lambda_sd: float = 10.0
    pi_a: float = 1.0
    pi_b: float = 1.0

    @property
    def r_lower(self) -> float:
        """Smallest admissible ``r_m`` of an included exposure (``1 / r_b``)."""
        return 1.0 / self.r_b

    @property
    def r_upper(self) -> float:
        """Largest admissible ``r_m`` (``1 / r_a``; infinite when ``r_a = 0``)."""
        return math.inf if self.r_a == 0 else 1.0 / self.r_a

    def log_prior_r(self, r: float) -> float:
        """Log density of an included ``r_m`` (``-2 log r - log(r_b - r_a)``)."""
        if not self.r_lower <= r <= self.r_upper:
            return -math.inf
        return -2.0 * math.log(r) - math.log(self.r_b - self.r_a)

    def draw_r(self, rng: np.random.Generator) -> float:
        """Draw an included ``r_m`` from its prior."""
        u = self.r_b - (self.r_b - self.r_a) * rng.random()  # in (r_a, r_b]
        return 1.0 / u

    def log_prior_lambda(self, lam: float) -> float:
        """Log gamma density of ``lambda`` (mean/sd parametrisation)."""
        shape = (self.lambda_mean / self.lambda_sd) ** 2
        rate = self.lambda_mean / self.lambda_sd**2
        return _gamma_logpdf(lam, shape, rate)

    def log_prior_delta(self, k: int, m: int) -> float:
        """Log prior of one selection vector with ``k`` of ``m`` included (pi integrated)."""
        return float(betaln(self.pi_a + k, self.pi_b + m - k) - betaln(self.pi_a, self.pi_b))


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
    adapt : bool
        If true, both scales are adapted during warm-up only (every 50
        iterations, towards an acceptance rate of 0.3, within 0.01 to 2 on
        the log scale); after warm-up the
        kernel is fixed, so the retained chain is an ordinary
        Metropolis-within-Gibbs chain.

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
    adapt: bool = True


def _gamma_logpdf(x: float, shape: float, rate: float) -> float:
    if x <= 0 or shape <= 0 or rate <= 0:
        return -math.inf
    return shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(x) - rate * x


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MixtureData:
    """Outcome, exposures and covariates of a mixture model.

    Attributes
    ----------
    y : ndarray of int, shape (n,)
        Binary outcome.
    Z : ndarray, shape (n, M)
        Exposures: z-scored natural-log concentrations.
    X : ndarray, shape (n, p)
        Covariates (dummy-coded, reference level dropped); no intercept.
    exposure_names, covariate_names : tuple of str
    log_mean, log_sd : ndarray, shape (M,)
        Mean and standard deviation of the log concentrations, to map a
        z-score back to a concentration: ``exp(log_mean + z * log_sd)``.
    """

    y: np.ndarray
    Z: np.ndarray
    X: np.ndarray
    exposure_names: tuple[str, ...]
    covariate_names: tuple[str, ...]
    log_mean: np.ndarray
    log_sd: np.ndarray

    @property
    def n(self) -> int:
        """Number of observations."""
        return len(self.y)


def mixture_data(
    df: pd.DataFrame,
    exposures: Sequence[str],
    covariates: Sequence[str],
    outcome: str,
) -> MixtureData:
    """Build BKMR inputs from a data frame with one row per person.

    Rows with a missing outcome, exposure or covariate are dropped. Each
    exposure is log-transformed and z-scored (sample standard deviation);
    categorical covariates are dummy-coded with their first level as the
    reference, numeric covariates enter as they are.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    exposures : sequence of str
        Exposure columns (positive concentrations).
    covariates : sequence of str
        Adjustment covariates.
    outcome : str
        0/1 outcome column.

    Returns
    -------
    MixtureData
    """
    cols = [outcome, *exposures, *covariates]
    d = df[cols].dropna()
    logs = np.log(d[list(exposures)].to_numpy(dtype=float))
    mu, sd = logs.mean(axis=0), logs.std(axis=0, ddof=1)
    Z = (logs - mu) / sd
    coded = dummy_code(d, covariates)
    coded = coded.loc[:, coded.std(axis=0) > 0]  # drop levels absent from the data
    X = coded.to_numpy(dtype=float).reshape(len(d), -1)
    names = list(coded.columns)
    return MixtureData(
        y=d[outcome].to_numpy(dtype=int),
        Z=Z,
        X=np.ascontiguousarray(X),
        exposure_names=tuple(exposures),
        covariate_names=tuple(names),
        log_mean=mu,
        log_sd=sd,
    )


def simulate(
    n: int = 300,
    seed: int = 1,
    n_exposures: int = 5,
    n_covariates: int = 2,
    rho: float = 0.3,
    active: Sequence[int] = (0, 1),
    effect: float = 1.0,
) -> tuple[MixtureData, Callable[[np.ndarray], np.ndarray]]:
    """Simulate a probit BKMR data set with a known exposure-response function.

    Exposures are equicorrelated standard normals (correlation ``rho``);
    ``h(x) = effect * (x_a0 + 0.75 * tanh(2 x_a1) ... )``: the first active
    exposure enters linearly, the second through ``tanh`` (a threshold-like
    curve), further active exposures linearly at half weight. Covariates are
    standard normal with coefficients 0.3 and the probit intercept is -0.5.

    Parameters
    ----------
    n, seed : int
        Sample size and random seed.
    n_exposures, n_covariates : int
    rho : float
        Correlation between exposures.
    active : sequence of int
        Exposures entering ``h``.
    effect : float
        Overall scale of ``h``.

    Returns
    -------
    data : MixtureData
    h : callable
        The true ``h``, mapping an ``(k, M)`` array of exposure profiles to
        ``(k,)`` values (without the intercept, which is in the outcome).
    """
    rng = np.random.default_rng(seed)
    cov = np.full((n_exposures, n_exposures), rho) + (1 - rho) * np.eye(n_exposures)
    Z = rng.multivariate_normal(np.zeros(n_exposures), cov, size=n)
    X = rng.normal(size=(n, n_covariates))
    active = tuple(active)

    def h(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        out = np.zeros(len(x))
        for j, a in enumerate(active):
            if j == 0:
                out += x[:, a]
            elif j == 1:
                out += 0.75 * np.tanh(2 * x[:, a])
            else:
                out += 0.5 * x[:, a]
        return effect * out

    latent = -0.5 + h(Z) + X @ np.full(n_covariates, 0.3) + rng.normal(size=n)
    data = MixtureData(
        y=(latent > 0).astype(int),
        Z=Z,
        X=X,
        exposure_names=tuple(f"z{m + 1}" for m in range(n_exposures)),
        covariate_names=tuple(f"c{j + 1}" for j in range(n_covariates)),
        log_mean=np.zeros(n_exposures),
        log_sd=np.ones(n_exposures),
    )
    return data, h


# --------------------------------------------------------------------------
# prediction grid
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictionGrid:
    """Exposure profiles at which posterior draws of ``h`` are kept.

    Attributes
    ----------
    Znew : ndarray, shape (q, M)
        All profiles: the univariate grids, then the overall-effect profiles,
        then the reference profile (every exposure at ``q_fixed``).
    univariate : DataFrame
        ``exposure``, ``z``, ``row`` for the univariate curves (one exposure
        over ``ngrid`` equally spaced values from its minimum to maximum,
        the others at their ``q_fixed`` quantile; bkmr ``PredictorResponseUnivar``).
    overall : DataFrame
        ``quantile``, ``row``: every exposure at the same quantile
        (bkmr ``OverallRiskSummaries``); a quantile whose profile is the
        reference profile points to ``reference_row``.
    reference_row : int
        Row of the reference profile.
    """

    Znew: np.ndarray
    univariate: pd.DataFrame
    overall: pd.DataFrame
    reference_row: int


def make_grid(
    Z: np.ndarray,
    exposure_names: Sequence[str],
    ngrid: int = 50,
    q_fixed: float = 0.5,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> PredictionGrid:
    """Build the univariate and overall-effect profiles (Figure 3A and 3B).

    Parameters
    ----------
    Z : ndarray, shape (n, M)
        Exposures of the fit.
    exposure_names : sequence of str
    ngrid : int
        Points per univariate curve (bkmr default 50).
    q_fixed : float
        Quantile at which the other exposures are held (bkmr default 0.5).
    quantiles : sequence of float
        Quantiles of the overall effect (default 0.25 to 0.75 by 0.05).

    Returns
    -------
    PredictionGrid
    """
    Z = np.asarray(Z, dtype=float)
    M = Z.shape[1]
    fixed = np.quantile(Z, q_fixed, axis=0)
    rows, uni = [], []
    for m in range(M):
        g = np.linspace(Z[:, m].min(), Z[:, m].max(), ngrid)
        for v in g:
            p = fixed.copy()
            p[m] = v
            uni.append((exposure_names[m], v, len(rows)))
            rows.append(p)
    ov, pending = [], []
    for q in quantiles:
        prof = np.quantile(Z, q, axis=0)
        if np.array_equal(prof, fixed):
            pending.append(float(q))  # the reference itself: contrast exactly 0
            continue
        ov.append((float(q), len(rows)))
        rows.append(prof)
    ref = len(rows)
    rows.append(fixed)
    ov = sorted(ov + [(q, ref) for q in pending])
    return PredictionGrid(
        Znew=np.array(rows),
        univariate=pd.DataFrame(uni, columns=["exposure", "z", "row"]),
        overall=pd.DataFrame(ov, columns=["quantile", "row"]),
        reference_row=ref,
    )


def kmeans_knots(Z: np.ndarray, k: int = 50, seed: int = 0, n_iter: int = 50) -> np.ndarray:
    """Choose knots by k-means (Lloyd's algorithm, k-means++ start).

    A deterministic space-filling rule for the predictive-process
    approximation: the same ``Z``, ``k`` and ``seed`` always give the same knots.

    Parameters
    ----------
    Z : ndarray, shape (n, M)
    k : int
        Number of knots (at most ``n``).
    seed : int
        Seed of the k-means++ start.
    n_iter : int
        Lloyd iterations.

    Returns
    -------
    ndarray, shape (k, M)
        Cluster centres.
    """
    Z = np.asarray(Z, dtype=float)
    n = len(Z)
    if k >= n:
        return Z.copy()
    rng = np.random.default_rng(seed)
    centres = [Z[rng.integers(n)]]
    d2 = ((Z - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        i = rng.choice(n, p=d2 / d2.sum())
        centres.append(Z[i])
        d2 = np.minimum(d2, ((Z - Z[i]) ** 2).sum(1))
    C = np.array(centres)
    for _ in range(n_iter):
        lab = (((Z[:, None, :] - C[None]) ** 2).sum(2)).argmin(1)
        newC = np.array([Z[lab == j].mean(0) if np.any(lab == j) else C[j] for j in range(k)])
        if np.allclose(newC, C):
            break
        C = newC
    return C


# --------------------------------------------------------------------------
# numerical building blocks
# --------------------------------------------------------------------------


def truncated_normal_latent(
    mean: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw the probit latent variables given their means (Albert-Chib step).

    ``z_i ~ N(mean_i, 1)`` truncated to ``(0, inf)`` if ``y_i = 1`` and to
    ``(-inf, 0]`` if ``y_i = 0``, by the inverse CDF on the log scale
    (``log_ndtr`` / ``ndtri_exp``), which stays exact far in the tails.

    Parameters
    ----------
    mean : ndarray, shape (n,)
    y : ndarray of 0/1, shape (n,)
    rng : numpy Generator

    Returns
    -------
    ndarray, shape (n,)
    """
    s = 2.0 * np.asarray(y, dtype=float) - 1.0
    logu = np.log1p(-rng.random(len(mean)))  # log of U(0, 1], never -inf
    x = -s * ndtri_exp(logu + log_ndtr(s * mean))
    return mean + x


def _chol(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Lower Cholesky factor of a symmetric C-ordered array, in place.

    Returns the factor as a Fortran-ordered view of the same memory (only
    its lower triangle is meaningful) and LAPACK's ``info``.
    """
    c, info = lapack.dpotrf(a.T, lower=1, clean=0, overwrite_a=1)
    return c, info


def _trsolve(L: np.ndarray, b: np.ndarray, trans: int = 0) -> np.ndarray:
    x, info = lapack.dtrtrs(L, b, lower=1, trans=trans)
    if info != 0:
        raise np.linalg.LinAlgError(f"dtrtrs failed ({info})")
    return x


def _logdet_from_chol(L: np.ndarray) -> float:
    return 2.0 * float(np.log(np.diagonal(L)).sum())


def gaussian_loglik(resid: np.ndarray, V: np.ndarray) -> float:
    """Gaussian log-likelihood ``log N(resid; 0, V)`` via Cholesky and log-determinant.

    Works where ``det(V)`` overflows or ``det(V^-1)`` underflows.

    Parameters
    ----------
    resid : ndarray, shape (n,)
    V : ndarray, shape (n, n), symmetric positive definite

    Returns
    -------
    float
    """
    L, info = _chol(np.array(V, dtype=float, order="C"))
    if info != 0:
        raise np.linalg.LinAlgError("V is not positive definite")
    u = _trsolve(L, np.asarray(resid, dtype=float))
    n = len(resid)
    return -0.5 * (n * math.log(2 * math.pi) + _logdet_from_chol(L) + float(u @ u))


def _sample_mvn_from_cov(mean: np.ndarray, cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of N(mean, cov) for a possibly near-singular covariance."""
    q = len(mean)
    scale = max(float(np.mean(np.diagonal(cov))), 1e-300)
    w = rng.standard_normal(q)
    for jit in (1e-10, 1e-8, 1e-6):
        a = cov.copy()
        a.reshape(-1)[:: q + 1] += jit * scale
        L, info = _chol(a)
        if info == 0:
            return mean + np.tril(L) @ w
    vals, vecs = np.linalg.eigh(cov)
    return mean + vecs @ (np.sqrt(np.clip(vals, 0, None)) * w)


# --------------------------------------------------------------------------
# exact and predictive-process back ends
# --------------------------------------------------------------------------


class _Kern:
    """Kernel state for one value of r: log-kernel, kernel, bookkeeping."""

    __slots__ = ("r", "A", "K", "buf", "n_incr", "extra")

    def __init__(self, r, A, K, buf, n_incr, extra=None):
        self.r = r
        self.A = A
        self.K = K
        self.buf = buf
        self.n_incr = n_incr
        self.extra = extra


class _Fac:
    """Factorised marginal covariance for one (r, lambda)."""

    __slots__ = ("kern", "lam", "L", "lbuf", "logdetV", "Xt", "C", "logdetG", "extra")

    def __init__(self, kern, lam):
        self.kern = kern
        self.lam = lam


class _ExactBackend:
    """Dense O(n^3) computations with cached squared distances and buffers."""

    def __init__(self, Z, X, Znew):
        n, M = Z.shape
        self.n, self.M = n, M
        self.X = np.asfortranarray(X)
        self.p = X.shape[1]
        self.D = np.empty((M, n, n))
        for m in range(M):
            np.subtract.outer(Z[:, m], Z[:, m], out=self.D[m])
            np.square(self.D[m], out=self.D[m])
        self.Znew = Znew
        if Znew is not None:
            self.Dn = np.stack([np.subtract.outer(Znew[:, m], Z[:, m]) ** 2 for m in range(M)])
            self.Dnn = np.stack([np.subtract.outer(Znew[:, m], Znew[:, m]) ** 2 for m in range(M)])
        self._Abuf = [np.empty((n, n)), np.empty((n, n))]
        self._Kbuf = [np.empty((n, n)), np.empty((n, n))]
        self._Vbuf = [np.empty((n, n)), np.empty((n, n))]
        self._LK = np.empty((n, n))
        self._LK_owner = None

    # kernel -----------------------------------------------------------
    def kern_full(self, r, buf=0):
        A = self._Abuf[buf]
        A.fill(0.0)
        for m in np.flatnonzero(r):
            A -= r[m] * self.D[m]
        K = _kexp(A, out=self._Kbuf[buf])
        return _Kern(r.copy(), A, K, buf, 0)

    def kern_update(self, cur, m, r_new):
        buf = 1 - cur.buf
        r = cur.r.copy()
        r[m] = r_new
        if cur.n_incr >= 50:
            return self.kern_full(r, buf)
        A = self._Abuf[buf]
        np.multiply(self.D[m], cur.r[m] - r_new, out=A)
        A += cur.A
        K = _kexp(A, out=self._Kbuf[buf])
        return _Kern(r, A, K, buf, cur.n_incr + 1)

    # factor -------------------------------------------------------------
    def factor(self, kern, lam, avoid=None):
        lbuf = 0 if avoid is None else 1 - avoid.lbuf
        V = self._Vbuf[lbuf]
        np.multiply(kern.K, lam, out=V)
        V.reshape(-1)[:: self.n + 1] += 1.0
        L, info = _chol(V)
        if info != 0:  # cannot happen in exact arithmetic (eigenvalues >= 1)
            return None
        f = _Fac(kern, lam)
        f.L, f.lbuf = L, lbuf
        f.logdetV = _logdet_from_chol(L)
        if self.p:
            f.Xt = _trsolve(L, self.X)
            G = f.Xt.T @ f.Xt
            f.C = np.linalg.cholesky(G)
            f.logdetG = _logdet_from_chol(f.C)
        else:
            f.Xt, f.C, f.logdetG = None, None, 0.0
        return f

    def gram(self, f, z):
        zt = _trsolve(f.L, z)
        b = f.Xt.T @ zt if self.p else None
        return b, float(zt @ zt)

    def vinv(self, f, v):
        return _trsolve(f.L, _trsolve(f.L, v), trans=1)

    # h ------------------------------------------------------------------
    def _root_K(self, kern):
        if self._LK_owner is not kern:
            LK = self._LK
            np.copyto(LK, kern.K)
            jit = _JITTER
            while True:
                LK.reshape(-1)[:: self.n + 1] += jit
                c, info = _chol(LK)
                if info == 0:
                    break
                np.copyto(LK, kern.K)  # numerically rank-deficient: more jitter
                jit *= 100
            self._LK_root = c
            self._LK_owner = kern
        return self._LK_root

    def draw_h(self, f, s, rng):
        """h | s ~ N(s - V^-1 s, I - V^-1) by Matheron's rule."""
        LK = self._root_K(f.kern)
        w = rng.standard_normal(self.n)
        h0 = math.sqrt(f.lam) * _trmv_lower(LK, w)
        e0 = rng.standard_normal(self.n)
        h = s - e0 - self.vinv(f, s - h0 - e0)
        return h, None

    def predict(self, f, s, h_extra, rng):
        r = f.kern.r
        idx = np.flatnonzero(r)
        q = len(self.Znew)
        if len(idx):
            An = np.tensordot(-r[idx], self.Dn[idx], axes=1)
            Ann = np.tensordot(-r[idx], self.Dnn[idx], axes=1)
            Kn, Knn = _kexp(An), _kexp(Ann)
        else:
            Kn, Knn = np.ones((q, self.n)), np.ones((q, q))
        T = _trsolve(f.L, np.asfortranarray(Kn.T))
        u = _trsolve(f.L, s)
        mean = f.lam * (T.T @ u)
        cov = f.lam * Knn - f.lam**2 * (T.T @ T)
        return _sample_mvn_from_cov(mean, cov, rng)


def _trmv_lower(L: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Multiply by the lower triangle of a (non-cleaned) Cholesky output."""
    from scipy.linalg.blas import dtrmv

    return dtrmv(L, w, lower=1)


class _KnotsBackend:
    """Gaussian predictive process at k knots (bkmr ``knots=``)."""

    def __init__(self, Z, X, Znew, knots):
        self.n, self.M = Z.shape
        self.k = len(knots)
        self.X = np.asarray(X, dtype=float)
        self.p = X.shape[1]
        self.XtX = self.X.T @ self.X
        M = self.M
        self.Dnk = np.stack([np.subtract.outer(Z[:, m], knots[:, m]) ** 2 for m in range(M)])
        self.Dkk = np.stack([np.subtract.outer(knots[:, m], knots[:, m]) ** 2 for m in range(M)])
        self.Znew = Znew
        if Znew is not None:
            self.Dqk = np.stack(
                [np.subtract.outer(Znew[:, m], knots[:, m]) ** 2 for m in range(M)]
            )

    def _kern(self, r):
        idx = np.flatnonzero(r)
        Ank = np.tensordot(-r[idx], self.Dnk[idx], axes=1) if len(idx) else np.zeros(
            (self.n, self.k)
        )
        Akk = np.tensordot(-r[idx], self.Dkk[idx], axes=1) if len(idx) else np.zeros(
            (self.k, self.k)
        )
        Knk = _kexp(Ank)
        Q = _kexp(Akk)
        Q.reshape(-1)[:: self.k + 1] += _KNOT_NUGGET
        LQ = np.linalg.cholesky(Q)
        extra = {
            "Knk": Knk,
            "Q": Q,
            "logdetQ": _logdet_from_chol(LQ),
            "KtK": Knk.T @ Knk,
            "KtX": Knk.T @ self.X if self.p else None,
        }
        return _Kern(r.copy(), None, None, 0, 0, extra)

    def kern_full(self, r, buf=0):
        return self._kern(np.asarray(r, dtype=float))

    def kern_update(self, cur, m, r_new):
        r = cur.r.copy()
        r[m] = r_new
        return self._kern(r)

    def factor(self, kern, lam, avoid=None):
        e = kern.extra
        R = e["Q"] + lam * e["KtK"]
        try:
            LR = np.linalg.cholesky(R)
        except np.linalg.LinAlgError:  # only for absurd lambda; proposal rejected
            return None
        f = _Fac(kern, lam)
        f.L = LR
        f.lbuf = 0
        f.logdetV = _logdet_from_chol(LR) - e["logdetQ"]
        if self.p:
            PX = solve_triangular(LR, e["KtX"], lower=True)
            G = self.XtX - lam * (PX.T @ PX)
            f.Xt = PX  # k x p
            try:
                f.C = np.linalg.cholesky(G)
            except np.linalg.LinAlgError:
                return None
            f.logdetG = _logdet_from_chol(f.C)
        else:
            f.Xt, f.C, f.logdetG = None, None, 0.0
        return f

    def gram(self, f, z):
        e = f.kern.extra
        Pz = solve_triangular(f.L, e["Knk"].T @ z, lower=True)
        zz = float(z @ z) - f.lam * float(Pz @ Pz)
        b = self.X.T @ z - f.lam * (f.Xt.T @ Pz) if self.p else None
        return b, zz

    def draw_h(self, f, s, rng):
        """h = K_nk u with u = lam R^-1 K_kn s + sqrt(lam) L_R^-T w."""
        e = f.kern.extra
        a = solve_triangular(f.L, e["Knk"].T @ s, lower=True)
        w = rng.standard_normal(self.k)
        u = solve_triangular(f.L, f.lam * a + math.sqrt(f.lam) * w, lower=True, trans="T")
        return e["Knk"] @ u, u

    def predict(self, f, s, u, rng):
        r = f.kern.r
        idx = np.flatnonzero(r)
        if len(idx):
            Kq = _kexp(np.tensordot(-r[idx], self.Dqk[idx], axes=1))
        else:
            Kq = np.ones((len(self.Znew), self.k))
        return Kq @ u


# --------------------------------------------------------------------------
# the sampler
# --------------------------------------------------------------------------


def _loglik(backend, f, z):
    """Log marginal likelihood of z given (r, lambda), beta integrated (flat prior)."""
    b, zz = backend.gram(f, z)
    if backend.p:
        c = solve_triangular(f.C, b, lower=True)
        quad = zz - float(c @ c)
    else:
        c, quad = None, zz
    return -0.5 * (f.logdetV + f.logdetG + quad), c


def _propose_r(backend, fac, m, r_new, lam, avoid):
    """Factor of the proposal that sets r_m to r_new (lambda unchanged)."""
    return backend.factor(backend.kern_update(fac.kern, m, r_new), lam, avoid=avoid)


def _mh_step(rng, backend, sur, z, ll, sll, log_prior_ratio, counter, exact_fac, sur_fac):
    """One Metropolis-Hastings decision, with delayed acceptance if ``sur`` is given.

    Delayed acceptance (Christen and Fox 2005): the proposal is first
    screened with the surrogate likelihood (stage 1, priors and proposal
    terms included); only if it passes is the exact likelihood computed,
    and it is accepted with probability
    ``min(1, [L(new) / L(old)] / [L~(new) / L~(old)])`` (stage 2). The
    chain keeps the exact posterior as its stationary distribution whatever
    the surrogate; a good surrogate only saves the exact factorisations of
    proposals that stage 1 rejects.

    Returns
    -------
    tuple
        ``(accepted, exact factor, loglik, c, surrogate factor, surrogate loglik)``.
    """
    fail = (False, None, None, None, None, None)
    sf, sll_star = None, 0.0
    if sur is not None:
        sf = sur_fac()
        if sf is None:
            return fail
        sll_star = _loglik(sur, sf, z)[0]
        if not math.log(rng.random()) < sll_star - sll + log_prior_ratio:
            return fail
    f = exact_fac()
    counter[0] += 1
    if f is None:
        return fail
    ll_star, c_star = _loglik(backend, f, z)
    if sur is not None:
        log_a = (ll_star - ll) - (sll_star - sll)
    else:
        log_a = ll_star - ll + log_prior_ratio
    ok = math.log(rng.random()) < log_a
    return ok, f, ll_star, c_star, sf, sll_star


def _run_chain(
    y,
    Z,
    X,
    Znew,
    knots,
    n_warmup,
    n_draws,
    thin,
    seed_seq,
    priors,
    tuning,
    varsel,
    init,
    surrogate_knots,
):
    rng = np.random.default_rng(seed_seq)
    n, M = Z.shape
    p = X.shape[1]
    backend = (
        _ExactBackend(Z, X, Znew) if knots is None else _KnotsBackend(Z, X, Znew, knots)
    )
    # dispersed starting values (per chain)
    delta = np.ones(M, dtype=bool)
    r = np.exp(rng.uniform(np.log(0.02), np.log(0.5), size=M))
    lam = float(init.get("lambda", 10.0 * math.exp(rng.uniform(-1, 1))))
    if "r" in init:
        r = np.asarray(init["r"], dtype=float).copy()
        delta = r > 0
    kern = backend.kern_full(np.where(delta, r, 0.0))
    fac = backend.factor(kern, lam)
    if fac is None:
        raise np.linalg.LinAlgError("cannot factorise the starting covariance")
    sur, sfac = None, None
    if knots is None and surrogate_knots is not None:
        sur = _KnotsBackend(Z, X, None, surrogate_knots)
        sfac = sur.factor(sur.kern_full(np.where(delta, r, 0.0)), lam)
        if sfac is None:
            sur = None
    ybar = min(max(y.mean(), 0.01), 0.99)
    mu0 = float(ndtri_exp(np.log(ybar)))
    zlat = truncated_normal_latent(np.full(n, mu0), y, rng)

    lam_jump, r_jump = tuning.lambda_jump, tuning.r_jump
    n_iter = n_warmup + n_draws
    n_keep = n_draws // thin
    out = {
        "lambda": np.empty(n_keep),
        "r": np.empty((n_keep, M)),
        "delta": np.empty((n_keep, M), dtype=bool),
        "beta": np.empty((n_keep, p)),
        "loglik": np.empty(n_keep),
        "hnew": None if Znew is None else np.empty((n_keep, len(Znew))),
    }
    acc = {"lambda": [0, 0], "r_walk": [0, 0], "r_toggle": [0, 0]}
    batch = {"lambda": [0, 0], "r_walk": [0, 0]}
    counter = [0]  # exact factorisations of proposals (delayed acceptance saves some)
    keep = 0
    beta = np.empty(0)
    t0 = time.perf_counter()
    for it in range(n_iter):
        ll, c = _loglik(backend, fac, zlat)
        sll = _loglik(sur, sfac, zlat)[0] if sur is not None else 0.0

        # 1. lambda | z: random walk on log(lambda)
        lam_star = lam * math.exp(lam_jump * rng.standard_normal())
        log_ratio = (
            priors.log_prior_lambda(lam_star)
            - priors.log_prior_lambda(lam)
            + math.log(lam_star / lam)  # Jacobian of the log-scale walk
        )
        ok, f_star, ll_star, c_star, sf_star, sll_star = _mh_step(
            rng, backend, sur, zlat, ll, sll, log_ratio, counter,
            partial(backend.factor, fac.kern, lam_star, avoid=fac),
            partial(sur.factor, sfac.kern, lam_star) if sur is not None else None,
        )
        acc["lambda"][0] += ok
        acc["lambda"][1] += 1
        batch["lambda"][0] += ok
        batch["lambda"][1] += 1
        if ok:
            fac, lam, ll, c = f_star, lam_star, ll_star, c_star
            if sur is not None:
                sfac, sll = sf_star, sll_star

        # 2. one (r, delta) move (bkmr rdelta.comp.update)
        k_in = int(delta.sum())
        if varsel and (k_in == 0 or rng.random() < 0.5):
            move = "r_toggle"
            m = int(rng.integers(M))
            d_star = delta.copy()
            d_star[m] = not delta[m]
            r_new = priors.draw_r(rng) if d_star[m] else 0.0
            mp = 1.0 if k_in == 0 else 0.5
            mp_star = 1.0 if not d_star.any() else 0.5
            log_ratio = (
                priors.log_prior_delta(int(d_star.sum()), M)
                - priors.log_prior_delta(k_in, M)
                + math.log(mp_star)
                - math.log(mp)
            )
        else:
            move = "r_walk"
            inc = np.flatnonzero(delta)
            m = int(inc[rng.integers(len(inc))])
            d_star = delta
            cur = r[m]
            r_new = cur * math.exp(r_jump * rng.standard_normal())
            log_ratio = (
                priors.log_prior_r(r_new)
                - priors.log_prior_r(cur)
                + math.log(r_new / cur)  # Jacobian of the log-scale walk
            )
        if log_ratio == -math.inf:
            ok = False
        else:
            ok, f_star, ll_star, c_star, sf_star, sll_star = _mh_step(
                rng, backend, sur, zlat, ll, sll, log_ratio, counter,
                partial(_propose_r, backend, fac, m, r_new, lam, fac),
                partial(_propose_r, sur, sfac, m, r_new, lam, None) if sur is not None else None,
            )
        acc[move][0] += ok
        acc[move][1] += 1
        if move in batch:
            batch[move][0] += ok
            batch[move][1] += 1
        if ok:
            fac, ll, c = f_star, ll_star, c_star
            if sur is not None:
                sfac, sll = sf_star, sll_star
            delta = d_star.copy()
            r = r.copy()
            r[m] = r_new if delta[m] else r[m]

        # 3. beta | z, lambda, r   (h integrated out)
        if p:
            beta = solve_triangular(fac.C, c + rng.standard_normal(p), lower=True, trans="T")
            s = zlat - X @ beta
        else:
            s = zlat
        # 4. h | z, beta, lambda, r
        h, extra = backend.draw_h(fac, s, rng)
        # 5. z | h, beta
        mean = h + (zlat - s)
        zlat = truncated_normal_latent(mean, y, rng)

        # adaptation during warm-up only
        if tuning.adapt and it < n_warmup and (it + 1) % 50 == 0:
            for key in ("lambda", "r_walk"):
                a, t = batch[key]
                if t:
                    fct = math.exp(min(max(a / t - 0.3, -0.5), 0.5) * 2.0)
                    if key == "lambda":
                        lam_jump = min(max(lam_jump * fct, 0.01), 2.0)
                    else:
                        r_jump = min(max(r_jump * fct, 0.01), 2.0)
                batch[key] = [0, 0]
        if it == n_warmup - 1:
            acc = {k: [0, 0] for k in acc}
            counter[0] = 0

        if it >= n_warmup and (it - n_warmup + 1) % thin == 0 and keep < n_keep:
            out["lambda"][keep] = lam
            out["r"][keep] = np.where(delta, fac.kern.r, 0.0)
            out["delta"][keep] = delta
            out["beta"][keep] = beta
            out["loglik"][keep] = ll
            if Znew is not None:
                out["hnew"][keep] = backend.predict(fac, s, extra, rng)
            keep += 1
    seconds = time.perf_counter() - t0
    rates = {k: (a / t if t else float("nan")) for k, (a, t) in acc.items()}
    info = {
        "seconds": seconds,
        "iterations": n_iter,
        "acceptance": rates,
        "lambda_jump": lam_jump,
        "r_jump": r_jump,
        "exact_factorisations_per_iteration": counter[0] / max(n_draws, 1),
        "delayed_acceptance": sur is not None,
    }
    return out, info


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------


@dataclass
class BKMRFit:
    """Posterior draws of a probit BKMR fit and their summaries.

    Attributes
    ----------
    draws : dict of ndarray
        ``lambda`` (chains, S), ``r`` and ``delta`` (chains, S, M), ``beta``
        (chains, S, p), ``loglik`` (chains, S) and ``hnew`` (chains, S, q):
        joint posterior draws of ``h`` at ``grid.Znew``.
    grid : PredictionGrid
    exposure_names, covariate_names : tuple of str
    info : list of dict
        Per chain: seconds, iterations, acceptance rates, final proposal scales.
    settings : dict
        Iterations, thinning, seed, whether exact or knots, number of knots.
    log_mean, log_sd : ndarray
        Log-scale centring of the exposures (for concentration units).
    """

    draws: dict
    grid: PredictionGrid
    exposure_names: tuple
    covariate_names: tuple
    info: list
    settings: dict
    log_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    log_sd: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def iterations_per_second(self) -> float:
        """Speed of one chain: iterations (warm-up included) per second of its run time.

        Computed as all chains' iterations over all chains' seconds, so chains
        run in parallel are not double-counted.
        """
        it = sum(i["iterations"] for i in self.info)
        sec = sum(i["seconds"] for i in self.info)
        return it / sec

    def pips(self) -> pd.DataFrame:
        """Posterior inclusion probabilities (posterior mean of ``delta_m``).

        Returns
        -------
        DataFrame
            ``exposure``, ``pip``, ``mc_se`` (Monte Carlo standard error from
            the effective sample size), ``ess``, ``rhat``.
        """
        d = self.draws["delta"].astype(float)
        rows = []
        for m, name in enumerate(self.exposure_names):
            x = d[:, :, m]
            e = ess(x)
            pip = float(x.mean())
            se = math.sqrt(pip * (1 - pip) / e) if e > 0 and np.isfinite(e) else float("nan")
            rows.append((name, pip, se, e, split_rhat(x)))
        return pd.DataFrame(rows, columns=["exposure", "pip", "mc_se", "ess", "rhat"])

    def univariate(self, probability: float = 0.95) -> pd.DataFrame:
        """Univariate exposure-response curves (Figure 3A).

        For each exposure, ``h`` over a grid of that exposure with the others
        at their medians. As in bkmr ``PredictorResponseUnivar(center=TRUE)``,
        each curve is shifted so that its posterior-mean values average zero
        over the grid; the band is the equal-tailed credible interval of ``h``
        shifted by the same constant.

        Parameters
        ----------
        probability : float
            Credible level of the band.

        Returns
        -------
        DataFrame
            ``exposure``, ``z`` (z-score of the log concentration),
            ``concentration``, ``est``, ``sd``, ``lower``, ``upper``, and
            ``lower_vs_median``, ``upper_vs_median``: the credible interval of
            ``h(z) - h(all at median)``, shifted by the same constant as
            ``est`` so that it can be drawn on the same axis. The bkmr band
            (``lower``, ``upper``) includes the uncertainty about the level of
            ``h`` (which carries the intercept); the band relative to the
            median profile does not, and is the one that shows whether the
            curve departs from flat.
        """
        H = self.draws["hnew"].reshape(-1, self.draws["hnew"].shape[-1])
        href = H[:, self.grid.reference_row]
        lo_q, hi_q = (1 - probability) / 2, 1 - (1 - probability) / 2
        parts = []
        for m, name in enumerate(self.exposure_names):
            g = self.grid.univariate[self.grid.univariate["exposure"] == name]
            hd = H[:, g["row"].to_numpy()]
            mean = hd.mean(0)
            shift = mean.mean()
            contrast = hd - href[:, None]
            back = href.mean() - shift  # puts h(z) - h(ref) on the centred scale
            conc = (
                np.exp(self.log_mean[m] + g["z"].to_numpy() * self.log_sd[m])
                if len(self.log_mean)
                else np.full(len(g), np.nan)
            )
            parts.append(
                pd.DataFrame(
                    {
                        "exposure": name,
                        "z": g["z"].to_numpy(),
                        "concentration": conc,
                        "est": mean - shift,
                        "sd": hd.std(0, ddof=1),
                        "lower": np.quantile(hd, lo_q, axis=0) - shift,
                        "upper": np.quantile(hd, hi_q, axis=0) - shift,
                        "lower_vs_median": np.quantile(contrast, lo_q, axis=0) + back,
                        "upper_vs_median": np.quantile(contrast, hi_q, axis=0) + back,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def curve_summary(self, probability: float = 0.95) -> pd.DataFrame:
        """One line per univariate curve: its rise over the range, and where it departs from flat.

        Parameters
        ----------
        probability : float

        Returns
        -------
        DataFrame
            ``exposure``; ``rise``, ``rise_lower``, ``rise_upper``: posterior
            mean and credible interval of ``h(highest) - h(lowest)`` with the
            other exposures at their medians; ``share_departs``: share of the
            grid where the interval of ``h(z) - h(all at median)`` excludes 0.
        """
        H = self.draws["hnew"].reshape(-1, self.draws["hnew"].shape[-1])
        href = H[:, self.grid.reference_row]
        lo_q, hi_q = (1 - probability) / 2, 1 - (1 - probability) / 2
        rows = []
        for name in self.exposure_names:
            g = self.grid.univariate[self.grid.univariate["exposure"] == name]
            hd = H[:, g["row"].to_numpy()]
            rise = hd[:, -1] - hd[:, 0]
            contrast = hd - href[:, None]
            lo, hi = np.quantile(contrast, lo_q, axis=0), np.quantile(contrast, hi_q, axis=0)
            rows.append((name, rise.mean(), np.quantile(rise, lo_q), np.quantile(rise, hi_q),
                         float(np.mean((lo > 0) | (hi < 0)))))
        return pd.DataFrame(
            rows, columns=["exposure", "rise", "rise_lower", "rise_upper", "share_departs"]
        )

    def overall(self, probability: float = 0.95) -> pd.DataFrame:
        """Overall mixture effect (Figure 3B).

        ``h(all exposures at quantile q) - h(all at their medians)`` for
        each quantile of the grid, with posterior mean, sd and equal-tailed
        credible interval.

        Parameters
        ----------
        probability : float

        Returns
        -------
        DataFrame
            ``quantile``, ``est``, ``sd``, ``lower``, ``upper``.
        """
        H = self.draws["hnew"].reshape(-1, self.draws["hnew"].shape[-1])
        ref = H[:, self.grid.reference_row]
        diff = H[:, self.grid.overall["row"].to_numpy()] - ref[:, None]
        lo_q, hi_q = (1 - probability) / 2, 1 - (1 - probability) / 2
        return pd.DataFrame(
            {
                "quantile": self.grid.overall["quantile"].to_numpy(),
                "est": diff.mean(0),
                "sd": diff.std(0, ddof=1),
                "lower": np.quantile(diff, lo_q, axis=0),
                "upper": np.quantile(diff, hi_q, axis=0),
            }
        )

    def diagnostics(self) -> pd.DataFrame:
        """Split R-hat and effective sample sizes of the reported quantities.

        Quantities: ``lambda``, each inclusion indicator ``delta[m]`` (its
        mean is the PIP), the overall effect at each quantile, and each point
        of the univariate curves (centred per draw by the reference profile).

        Returns
        -------
        DataFrame
            ``group``, ``quantity``, ``rhat`` (rank-normalised split R-hat),
            ``ess_bulk``, ``ess_tail``. Constant draws give NaN.
        """
        rows = []

        def add(group, name, x):
            rows.append((group, name, split_rhat(x), ess(x), ess_tail(x)))

        add("hyper", "lambda", self.draws["lambda"])
        for m, name in enumerate(self.exposure_names):
            add("pip", f"delta[{name}]", self.draws["delta"][:, :, m].astype(float))
        H = self.draws["hnew"]
        ref = H[:, :, self.grid.reference_row]
        for q, row in zip(self.grid.overall["quantile"], self.grid.overall["row"], strict=True):
            add("overall", f"overall[q={q:.2f}]", H[:, :, row] - ref)
        for name, z, row in self.grid.univariate.itertuples(index=False):
            add("univariate", f"h[{name}; z={z:+.3f}]", H[:, :, row] - ref)
        return pd.DataFrame(rows, columns=["group", "quantity", "rhat", "ess_bulk", "ess_tail"])

    def traces(self) -> pd.DataFrame:
        """Long table of traces for plotting: lambda, number included, overall at q=0.75.

        Returns
        -------
        DataFrame
            ``chain``, ``draw``, ``quantity``, ``value``.
        """
        C, S = self.draws["lambda"].shape
        H = self.draws["hnew"]
        ref = H[:, :, self.grid.reference_row]
        ov = self.grid.overall
        series = {
            "lambda": self.draws["lambda"],
            "included exposures": self.draws["delta"].sum(-1).astype(float),
            "log-likelihood": self.draws["loglik"],
        }
        for q in (0.25, 0.75):
            sel = ov[np.isclose(ov["quantile"], q)]
            if len(sel):
                series[f"overall effect q={q:.2f}"] = H[:, :, int(sel["row"].iloc[0])] - ref
        parts = []
        for name, arr in series.items():
            for c in range(C):
                parts.append(
                    pd.DataFrame(
                        {"chain": c, "draw": np.arange(S), "quantity": name, "value": arr[c]}
                    )
                )
        return pd.concat(parts, ignore_index=True)


def fit_bkmr(
    y: np.ndarray,
    Z: np.ndarray,
    X: np.ndarray | None = None,
    *,
    n_warmup: int = 500,
    n_draws: int = 1000,
    thin: int = 1,
    chains: int = 2,
    seed: int = 2025,
    knots: int | np.ndarray | None = None,
    grid: PredictionGrid | None = None,
    priors: BKMRPriors | None = None,
    tuning: BKMRTuning | None = None,
    varsel: bool = True,
    surrogate_knots: int | None = 100,
    n_jobs: int = 1,
    exposure_names: Sequence[str] | None = None,
    covariate_names: Sequence[str] | None = None,
    init: dict | None = None,
) -> BKMRFit:
    """Fit probit BKMR with component-wise variable selection by MCMC.

    Parameters
    ----------
    y : array of 0/1, shape (n,)
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
        for delayed acceptance (proposals are screened with it before the
        exact likelihood is computed; the posterior is unchanged). None or
        0 computes the exact likelihood for every proposal.
    n_jobs : int
        Chains run in parallel processes when > 1 (joblib).
    exposure_names, covariate_names : sequence of str, optional
    init : dict, optional
        Starting ``lambda`` and/or ``r`` (same for every chain).

    Returns
    -------
    BKMRFit
    """
    y = np.asarray(y, dtype=int)
    Z = np.ascontiguousarray(Z, dtype=float)
    n, M = Z.shape
    X = np.empty((n, 0)) if X is None else np.ascontiguousarray(X, dtype=float)
    if set(np.unique(y)) - {0, 1}:
        raise ValueError("y must be 0/1")
    names = tuple(exposure_names or [f"z{m + 1}" for m in range(M)])
    cnames = tuple(covariate_names or [f"x{j + 1}" for j in range(X.shape[1])])
    grid = grid or make_grid(Z, names)
    priors = priors or BKMRPriors()
    tuning = tuning or BKMRTuning()
    if knots is not None and np.ndim(knots) == 0:
        knots = kmeans_knots(Z, int(knots), seed=seed)
    sur_knots = None
    if knots is None and surrogate_knots:
        sur_knots = kmeans_knots(Z, min(int(surrogate_knots), n // 2), seed=seed)
    seeds = np.random.SeedSequence(seed).spawn(chains)
    args = [
        (y, Z, X, grid.Znew, knots, n_warmup, n_draws, thin, s, priors, tuning, varsel,
         init or {}, sur_knots)
        for s in seeds
    ]
    if n_jobs > 1 and chains > 1:
        from joblib import Parallel, delayed

        # joblib's loky workers get one BLAS thread each (inner_max_num_threads)
        res = Parallel(n_jobs=min(n_jobs, chains), inner_max_num_threads=1)(
            delayed(_run_chain)(*a) for a in args
        )
    else:
        with blas_threads(1):
            res = [_run_chain(*a) for a in args]
    draws = {k: np.stack([r[0][k] for r in res]) for k in res[0][0]}
    settings = {
        "n_warmup": n_warmup,
        "n_draws": n_draws,
        "thin": thin,
        "chains": chains,
        "seed": seed,
        "method": "exact" if knots is None else "knots",
        "n_knots": 0 if knots is None else len(knots),
        "surrogate_knots": 0 if sur_knots is None else len(sur_knots),
        "varsel": varsel,
        "n": n,
    }
    return BKMRFit(
        draws=draws,
        grid=grid,
        exposure_names=names,
        covariate_names=cnames,
        info=[r[1] for r in res],
        settings=settings,
    )


def fit_mixture(data: MixtureData, **kwargs) -> BKMRFit:
    """Fit :func:`fit_bkmr` to a :class:`MixtureData` (names and units carried over).

    Parameters
    ----------
    data : MixtureData
    **kwargs
        Passed to :func:`fit_bkmr`.

    Returns
    -------
    BKMRFit
    """
    fit = fit_bkmr(
        data.y,
        data.Z,
        data.X,
        exposure_names=data.exposure_names,
        covariate_names=data.covariate_names,
        **kwargs,
    )
    return replace(fit, log_mean=np.asarray(data.log_mean), log_sd=np.asarray(data.log_sd))


# --------------------------------------------------------------------------
# convergence diagnostics (Vehtari, Gelman, Simpson, Carpenter, Buerkner 2021)
# --------------------------------------------------------------------------


def _as_chains(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("draws must be (chains, draws)")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _split_chains(x) -> np.ndarray | None:
    """Draws as split half-chains, or None when all draws are equal.

    Parameters
    ----------
    x : array_like, shape (chains, draws) or (draws,)

    Returns
    -------
    numpy.ndarray or None
        Shape (2 * chains, draws // 2): each chain cut in half
        (:func:`_split`); None for constant draws, whose diagnostics are NaN.
    """
    x = _as_chains(x)
    if np.ptp(x) == 0:
        return None
    return _split(x)


def _rank_normalize(x: np.ndarray) -> np.ndarray:
    from scipy.stats import norm, rankdata

    r = rankdata(x, method="average").reshape(x.shape)
    return norm.ppf((r - 3 / 8) / (x.size + 1 / 4))


def _rhat_basic(x: np.ndarray) -> float:
    C, N = x.shape
    if N < 2:
        return float("nan")
    means = x.mean(1)
    W = x.var(1, ddof=1).mean()
    B = N * means.var(ddof=1) if C > 1 else 0.0
    if W <= 0:
        return float("nan")
    var_plus = (N - 1) / N * W + B / N
    return float(math.sqrt(var_plus / W))


def split_rhat(x, rank_normalize: bool = True) -> float:
    """Split R-hat of draws shaped (chains, draws).

    Each chain is split in half and the potential scale reduction factor is
    computed on the 2C half-chains (Gelman et al., BDA3); with
    ``rank_normalize`` the draws are first replaced by normal scores of their
    pooled ranks and the maximum with the folded version is taken
    (Vehtari et al. 2021). Constant draws return NaN.

    Parameters
    ----------
    x : array_like, shape (chains, draws) or (draws,)
    rank_normalize : bool

    Returns
    -------
    float
    """
    s = _split_chains(x)
    if s is None:
        return float("nan")
    if not rank_normalize:
        return _rhat_basic(s)
    bulk = _rhat_basic(_rank_normalize(s))
    folded = np.abs(s - np.median(s))
    tail = _rhat_basic(_rank_normalize(folded)) if np.ptp(folded) > 0 else float("nan")
    return float(np.nanmax([bulk, tail]))


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariance (biased, divisor N) of each row, by FFT."""
    N = x.shape[1]
    xc = x - x.mean(1, keepdims=True)
    size = 1 << (2 * N - 1).bit_length()
    f = np.fft.rfft(xc, n=size, axis=1)
    ac = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :N]
    return ac / N


def _ess_raw(x: np.ndarray) -> float:
    C, N = x.shape
    if N < 4 or np.ptp(x) == 0:
        return float("nan")
    acov = _autocov(x)
    chain_var = acov[:, 0] * N / (N - 1)
    W = chain_var.mean()
    var_plus = W * (N - 1) / N + (x.mean(1).var(ddof=1) if C > 1 else 0.0)
    rho = 1.0 - (W - acov.mean(0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence on pairs, made monotone
    t, s_prev, total = 0, math.inf, 0.0
    while t + 1 < N:
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        pair = min(pair, s_prev)
        total += pair
        s_prev = pair
        t += 2
    tau = -1.0 + 2.0 * total
    tau = max(tau, 1.0 / math.log10(C * N)) if C * N > 1 else tau
    return float(C * N / tau)


def ess(x, rank_normalize: bool = True) -> float:
    """Effective sample size of draws shaped (chains, draws).

    Stan's estimator: chains split in half, autocorrelations combined across
    chains through the multi-chain variance, truncated by Geyer's initial
    monotone positive-pair sequence. With ``rank_normalize`` this is the
    "bulk" ESS of Vehtari et al. (2021). For an AR(1) series with
    coefficient ``phi`` the expected value is ``N (1 - phi) / (1 + phi)``.

    Parameters
    ----------
    x : array_like, shape (chains, draws) or (draws,)
    rank_normalize : bool

    Returns
    -------
    float
    """
    s = _split_chains(x)
    if s is None:
        return float("nan")
    return _ess_raw(_rank_normalize(s) if rank_normalize else s)


def ess_tail(x) -> float:
    """Tail ESS: the smaller ESS of the 5% and 95% quantile indicators.

    Parameters
    ----------
    x : array_like, shape (chains, draws)

    Returns
    -------
    float
    """
    s = _split_chains(x)
    if s is None:
        return float("nan")
    out = []
    for q in (0.05, 0.95):
        ind = (s <= np.quantile(s, q)).astype(float)
        out.append(_ess_raw(ind) if np.ptp(ind) > 0 else float("nan"))
    return float(np.nanmin(out)) if not all(np.isnan(out)) else float("nan")
