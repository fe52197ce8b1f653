"""Linear algebra of probit BKMR: the exact and the predictive-process back ends.

Both back ends offer the same operations on the marginal covariance
:math:`V = I + \\lambda K` of the latent scores (``h`` integrated out):

``kern_full(r)`` / ``kern_update(kern, m, r_m)``
    the kernel for relevances ``r`` (from scratch, or after changing one
    :math:`r_m`);
``factor(kern, lam)``
    the factorisation of :math:`V` for ``(r, lambda)``, with
    :math:`\\log|V|` and the pieces needed to integrate :math:`\\beta` out;
``gram(fac, z)``
    :math:`C'V^{-1}z` and :math:`z'V^{-1}z`;
``draw_h(fac, s, rng)``
    a draw of ``h`` given the residual :math:`s = z^* - C\\beta`;
``predict(fac, s, extra, rng)``
    a joint draw of ``h`` at new exposure profiles.

:class:`ExactBackend` is dense :math:`O(n^3)` algebra. Everything comes
from Cholesky factors and log-determinants (:math:`\\log|V| = 2 \\sum \\log
L_{ii}`), never from ``det()``. The kernel's squared distances are cached per
exposure, so a proposal that changes one :math:`r_m` updates :math:`\\log K`
by one scaled array and takes one elementwise ``exp``; buffers are reused
so that an iteration allocates no :math:`n \\times n` array.

:class:`KnotsBackend` is the Gaussian predictive process (Banerjee et al.
2008; bkmr's ``knots=``): ``h`` is replaced by :math:`K_{nk} Q^{-1} h_k`
with :math:`h_k \\sim N(0, \\lambda Q)`, :math:`Q = K_{kk} + 0.001 I` at
:math:`k` knots; all work is :math:`O(n k^2)` through the Woodbury identity.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import lapack, solve_triangular
from scipy.linalg.blas import dtrmv
from scipy.special import log_ndtr, ndtri_exp

__all__ = [
    "ExactBackend",
    "KnotsBackend",
    "Kernel",
    "Factor",
    "collapsed_loglik",
    "gaussian_loglik",
    "truncated_normal_latent",
]

_JITTER = 1e-8  # added to K before its Cholesky root (prior draw of h only)
KNOT_NUGGET = 1e-3  # bkmr's nugget on K at the knots
# log K is floored at -200 before exponentiating: kernel entries below
# exp(-200) ~ 1e-87 become 1e-87. That changes K by far less than one
# rounding unit of its unit diagonal, and it keeps subnormal numbers (which
# slow floating-point arithmetic a hundredfold) out of every factorisation.
_LOGK_FLOOR = -200.0
# kern_update recomputes log K from scratch when an r_m above this is involved
_R_INCREMENTAL_MAX = 1e4


def kexp(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``exp(max(A, -200))``: kernel entries from log-kernel values."""
    out = np.maximum(A, _LOGK_FLOOR, out=out)
    return np.exp(out, out=out)


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per-exposure squared differences, shape (M, len(A), len(B))."""
    return np.stack([np.subtract.outer(A[:, m], B[:, m]) ** 2 for m in range(A.shape[1])])


def cross_kernel(r: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Kernel ``exp(-sum_m r_m D_m)`` from per-exposure squared distances ``D``."""
    idx = np.flatnonzero(r)
    if not len(idx):
        return np.ones(D.shape[1:])
    return kexp(np.tensordot(-r[idx], D[idx], axes=1))


# --------------------------------------------------------------------------
# small dense helpers
# --------------------------------------------------------------------------


def chol_inplace(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Lower Cholesky factor of a symmetric C-ordered array, in place.

    Returns the factor as a Fortran-ordered view of the same memory (only
    its lower triangle is meaningful) and LAPACK's ``info``.
    """
    c, info = lapack.dpotrf(a.T, lower=1, clean=0, overwrite_a=1)
    return c, info


def trsolve(L: np.ndarray, b: np.ndarray, trans: int = 0) -> np.ndarray:
    """Solve ``L x = b`` (``trans=1``: ``L' x = b``) for a lower-triangular ``L``."""
    x, info = lapack.dtrtrs(L, b, lower=1, trans=trans)
    if info != 0:
        raise np.linalg.LinAlgError(f"dtrtrs failed ({info})")
    return x


def logdet_from_chol(L: np.ndarray) -> float:
    """``log|A|`` from the Cholesky factor of ``A``."""
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
    L, info = chol_inplace(np.array(V, dtype=float, order="C"))
    if info != 0:
        raise np.linalg.LinAlgError("V is not positive definite")
    u = trsolve(L, np.asarray(resid, dtype=float))
    n = len(resid)
    return -0.5 * (n * math.log(2 * math.pi) + logdet_from_chol(L) + float(u @ u))


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


def sample_mvn_from_cov(mean: np.ndarray, cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of N(mean, cov) for a possibly near-singular covariance."""
    q = len(mean)
    scale = max(float(np.mean(np.diagonal(cov))), 1e-300)
    w = rng.standard_normal(q)
    for jit in (1e-10, 1e-8, 1e-6):
        a = cov.copy()
        a.reshape(-1)[:: q + 1] += jit * scale
        L, info = chol_inplace(a)
        if info == 0:
            return mean + np.tril(L) @ w
    vals, vecs = np.linalg.eigh(cov)
    return mean + vecs @ (np.sqrt(np.clip(vals, 0, None)) * w)


# --------------------------------------------------------------------------
# kernel and factor states
# --------------------------------------------------------------------------


@dataclass(eq=False)
class Kernel:
    """The kernel for one relevance vector ``r``.

    Attributes
    ----------
    r : ndarray, shape (M,)
        Relevances (0 for an excluded exposure).
    A, K : ndarray or None
        Exact back end: log-kernel and kernel (views of reused buffers).
    buf : int
        Which of the two buffers ``A`` and ``K`` live in.
    n_incr : int
        Incremental updates since the last full computation (rounding
        errors accumulate, so after 50 the kernel is recomputed).
    extra : dict or None
        Knots back end: the pieces of the predictive process.
    """

    r: np.ndarray
    A: np.ndarray | None = None
    K: np.ndarray | None = None
    buf: int = 0
    n_incr: int = 0
    extra: dict | None = None


@dataclass(eq=False)
class Factor:
    """The factorised marginal covariance ``V = I + lambda K`` for one ``(r, lambda)``.

    Attributes
    ----------
    kern : Kernel
    lam : float
    L : ndarray
        Cholesky factor (exact: of V; knots: of ``Q + lambda K_kn K_nk``).
    lbuf : int
        Buffer holding ``L`` (exact back end).
    logdetV : float
    Xt : ndarray or None
        Exact: ``L^-1 C``; knots: the k x p projection (see :class:`KnotsBackend`).
    C : ndarray or None
        Cholesky factor of ``C' V^-1 C`` (beta integrated out).
    logdetG : float
        ``log|C' V^-1 C|``.
    """

    kern: Kernel
    lam: float
    L: Any = None
    lbuf: int = 0
    logdetV: float = 0.0
    Xt: np.ndarray | None = None
    C: np.ndarray | None = None
    logdetG: float = 0.0


def _finish_factor(f: Factor, Xt: np.ndarray | None, G: np.ndarray | None,
                   beta_precision: float = 0.0) -> Factor | None:
    """Add the Cholesky factor of ``G = C'V^-1 C + P`` (None: not positive definite).

    ``P = beta_precision * I`` is the prior precision of ``beta`` (0: flat).
    ``logdetG`` is then ``log|G| - p log(beta_precision)``, so that the
    collapsed likelihood is ``log N(z; 0, V + C C' / beta_precision)``.
    """
    if Xt is None:
        return f
    if beta_precision:
        G = G.copy()
        G.reshape(-1)[:: G.shape[0] + 1] += beta_precision
    C, info = lapack.dpotrf(G, lower=1, clean=1)
    if info != 0:
        return None
    f.Xt, f.C = Xt, C
    f.logdetG = logdet_from_chol(C)
    if beta_precision:
        f.logdetG -= G.shape[0] * math.log(beta_precision)
    return f


def collapsed_loglik(backend, f: Factor, z: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Log marginal likelihood of ``z`` given ``(r, lambda)``, beta integrated.

    ``log N(z; C beta, V)`` integrated over ``beta``, up to ``-n log(2 pi) / 2``:
    ``-(log|V| + log|G| + z'V^-1 z - b'G^-1 b) / 2`` with ``b = C'V^-1 z``.
    Flat prior on ``beta``: ``G = C'V^-1C`` (and the value is defined up to
    a constant only, the prior being improper). Normal prior
    ``N(0, s^2 I)``: ``G = C'V^-1C + I / s^2`` and ``log|G|`` carries
    ``+ p log s^2``, which makes the value ``log N(z; 0, V + s^2 C C')``.

    Returns
    -------
    loglik : float
    c : ndarray or None
        ``G^-1/2 b`` (the whitened generalised-least-squares estimate), used
        to draw ``beta``.
    """
    b, zz = backend.gram(f, z)
    if backend.p:
        c = solve_triangular(f.C, b, lower=True)
        quad = zz - float(c @ c)
    else:
        c, quad = None, zz
    return -0.5 * (f.logdetV + f.logdetG + quad), c


# --------------------------------------------------------------------------
# exact back end
# --------------------------------------------------------------------------


class ExactBackend:
    """Dense O(n^3) computations with cached squared distances and reused buffers.

    Parameters
    ----------
    Z : ndarray, shape (n, M)
    X : ndarray, shape (n, p)
    Znew : ndarray, shape (q, M), optional
        Profiles at which :meth:`predict` draws ``h``.
    beta_precision : float
        Prior precision ``1 / s^2`` of each ``beta`` (0: flat prior).
    """

    def __init__(self, Z: np.ndarray, X: np.ndarray, Znew: np.ndarray | None = None,
                 beta_precision: float = 0.0):
        n, M = Z.shape
        self.n, self.M = n, M
        self.beta_precision = beta_precision
        self.X = np.asfortranarray(X)
        self.p = X.shape[1]
        self.D = np.empty((M, n, n))
        for m in range(M):
            np.subtract.outer(Z[:, m], Z[:, m], out=self.D[m])
            np.square(self.D[m], out=self.D[m])
        self.Znew = Znew
        if Znew is not None:
            self.Dn = squared_distances(Znew, Z)
            self.Dnn = squared_distances(Znew, Znew)
        self._new_buffers()

    def _new_buffers(self) -> None:
        n = self.n
        self._Abuf = [np.empty((n, n)), np.empty((n, n))]
        self._Kbuf = [np.empty((n, n)), np.empty((n, n))]
        self._Vbuf = [np.empty((n, n)), np.empty((n, n))]
        self._LK = np.empty((n, n))
        self._LK_owner: Kernel | None = None
        self._LK_root = None

    def clone(self) -> ExactBackend:
        """A back end for another replica: the same (read-only) distances, its own buffers."""
        other = copy.copy(self)
        other._new_buffers()
        return other

    # kernel -----------------------------------------------------------
    def kern_full(self, r: np.ndarray, buf: int = 0) -> Kernel:
        """Kernel for ``r`` computed from scratch."""
        r = np.asarray(r, dtype=float)
        A = self._Abuf[buf]
        A.fill(0.0)
        for m in np.flatnonzero(r):
            A -= r[m] * self.D[m]
        K = kexp(A, out=self._Kbuf[buf])
        return Kernel(r.copy(), A, K, buf, 0)

    def kern_update(self, cur: Kernel, m: int, r_new: float) -> Kernel:
        """Kernel after setting ``r_m = r_new``, written to the buffer ``cur`` does not use."""
        buf = 1 - cur.buf
        r = cur.r.copy()
        r[m] = r_new
        # an update by a huge change of r_m would lose the rest of log K to rounding
        if cur.n_incr >= 50 or max(cur.r[m], r_new) > _R_INCREMENTAL_MAX:
            return self.kern_full(r, buf)
        A = self._Abuf[buf]
        np.multiply(self.D[m], cur.r[m] - r_new, out=A)
        A += cur.A
        K = kexp(A, out=self._Kbuf[buf])
        return Kernel(r, A, K, buf, cur.n_incr + 1)

    # factor -------------------------------------------------------------
    def factor(self, kern: Kernel, lam: float, avoid: Factor | None = None) -> Factor | None:
        """Factorise ``V = I + lam K`` (into the buffer ``avoid`` does not use)."""
        lbuf = 0 if avoid is None else 1 - avoid.lbuf
        V = self._Vbuf[lbuf]
        np.multiply(kern.K, lam, out=V)
        V.reshape(-1)[:: self.n + 1] += 1.0
        L, info = chol_inplace(V)
        if info != 0:  # cannot happen in exact arithmetic (eigenvalues >= 1)
            return None
        f = Factor(kern, lam, L=L, lbuf=lbuf, logdetV=logdet_from_chol(L))
        if not self.p:
            return f
        Xt = trsolve(L, self.X)
        return _finish_factor(f, Xt, Xt.T @ Xt, self.beta_precision)

    def gram(self, f: Factor, z: np.ndarray) -> tuple[np.ndarray | None, float]:
        """``C'V^-1 z`` (None without covariates) and ``z'V^-1 z``."""
        zt = trsolve(f.L, z)
        b = f.Xt.T @ zt if self.p else None
        return b, float(zt @ zt)

    def vinv(self, f: Factor, v: np.ndarray) -> np.ndarray:
        """``V^-1 v``."""
        return trsolve(f.L, trsolve(f.L, v), trans=1)

    # h ------------------------------------------------------------------
    def _root_K(self, kern: Kernel):
        if self._LK_owner is not kern:
            LK = self._LK
            np.copyto(LK, kern.K)
            jit = _JITTER
            while True:
                LK.reshape(-1)[:: self.n + 1] += jit
                c, info = chol_inplace(LK)
                if info == 0:
                    break
                np.copyto(LK, kern.K)  # numerically rank-deficient: more jitter
                jit *= 100
            self._LK_root = c
            self._LK_owner = kern
        return self._LK_root

    def draw_h(self, f: Factor, s: np.ndarray, rng: np.random.Generator):
        """``h | s ~ N(s - V^-1 s, I - V^-1)`` by Matheron's rule.

        One prior draw ``h0 ~ N(0, lam K)`` (from the Cholesky root of ``K``,
        cached while ``r`` does not change) and one noise draw ``e0`` give
        ``h = s - e0 - V^-1 (s - h0 - e0)``.
        """
        LK = self._root_K(f.kern)
        w = rng.standard_normal(self.n)
        h0 = math.sqrt(f.lam) * dtrmv(LK, w, lower=1)
        e0 = rng.standard_normal(self.n)
        h = s - e0 - self.vinv(f, s - h0 - e0)
        return h, None

    def predict(self, f: Factor, s: np.ndarray, extra, rng: np.random.Generator) -> np.ndarray:
        """Joint draw of ``h`` at ``Znew`` given ``(r, lambda)`` and the residual ``s``."""
        Kn = cross_kernel(f.kern.r, self.Dn)
        Knn = cross_kernel(f.kern.r, self.Dnn)
        T = trsolve(f.L, np.asfortranarray(Kn.T))
        u = trsolve(f.L, s)
        mean = f.lam * (T.T @ u)
        cov = f.lam * Knn - f.lam**2 * (T.T @ T)
        return sample_mvn_from_cov(mean, cov, rng)


# --------------------------------------------------------------------------
# predictive-process back end
# --------------------------------------------------------------------------


class KnotsBackend:
    """Gaussian predictive process at k knots (bkmr ``knots=``).

    Parameters
    ----------
    Z : ndarray, shape (n, M)
    X : ndarray, shape (n, p)
    Znew : ndarray, shape (q, M) or None
    knots : ndarray, shape (k, M)
    beta_precision : float
        Prior precision ``1 / s^2`` of each ``beta`` (0: flat prior).
    """

    def __init__(self, Z: np.ndarray, X: np.ndarray, Znew: np.ndarray | None,
                 knots: np.ndarray, beta_precision: float = 0.0):
        self.n, self.M = Z.shape
        self.beta_precision = beta_precision
        self.k = len(knots)
        self.X = np.asarray(X, dtype=float)
        self.p = X.shape[1]
        self.XtX = self.X.T @ self.X
        self.Dnk = squared_distances(Z, knots)
        self.Dkk = squared_distances(knots, knots)
        self.Znew = Znew
        if Znew is not None:
            self.Dqk = squared_distances(Znew, knots)

    def clone(self) -> KnotsBackend:
        """This back end itself: it keeps no buffers, so replicas can share it."""
        return self

    def _kern(self, r: np.ndarray) -> Kernel:
        Knk = cross_kernel(r, self.Dnk)
        Q = cross_kernel(r, self.Dkk)
        Q.reshape(-1)[:: self.k + 1] += KNOT_NUGGET
        LQ = np.linalg.cholesky(Q)
        extra = {
            "Knk": Knk,
            "Q": Q,
            "logdetQ": logdet_from_chol(LQ),
            "KtK": Knk.T @ Knk,
            "KtX": Knk.T @ self.X if self.p else None,
        }
        return Kernel(r.copy(), extra=extra)

    def kern_full(self, r: np.ndarray, buf: int = 0) -> Kernel:
        """Kernel pieces for ``r``."""
        return self._kern(np.asarray(r, dtype=float))

    def kern_update(self, cur: Kernel, m: int, r_new: float) -> Kernel:
        """Kernel pieces after setting ``r_m = r_new``."""
        r = cur.r.copy()
        r[m] = r_new
        return self._kern(r)

    def factor(self, kern: Kernel, lam: float, avoid: Factor | None = None) -> Factor | None:
        """Factorise ``R = Q + lam K_kn K_nk`` (Woodbury form of ``V``)."""
        e = kern.extra
        R = e["Q"] + lam * e["KtK"]
        L, info = lapack.dpotrf(R, lower=1, clean=1)
        if info != 0:  # only for absurd lambda; the proposal is rejected
            return None
        f = Factor(kern, lam, L=L, logdetV=logdet_from_chol(L) - e["logdetQ"])
        if not self.p:
            return f
        PX = solve_triangular(L, e["KtX"], lower=True)
        return _finish_factor(f, PX, self.XtX - lam * (PX.T @ PX), self.beta_precision)

    def gram(self, f: Factor, z: np.ndarray) -> tuple[np.ndarray | None, float]:
        """``C'V^-1 z`` (None without covariates) and ``z'V^-1 z``, by Woodbury."""
        e = f.kern.extra
        Pz = solve_triangular(f.L, e["Knk"].T @ z, lower=True)
        zz = float(z @ z) - f.lam * float(Pz @ Pz)
        b = self.X.T @ z - f.lam * (f.Xt.T @ Pz) if self.p else None
        return b, zz

    def draw_h(self, f: Factor, s: np.ndarray, rng: np.random.Generator):
        """``h = K_nk u`` with ``u = lam R^-1 K_kn s + sqrt(lam) L_R^-T w``."""
        e = f.kern.extra
        a = solve_triangular(f.L, e["Knk"].T @ s, lower=True)
        w = rng.standard_normal(self.k)
        u = solve_triangular(f.L, f.lam * a + math.sqrt(f.lam) * w, lower=True, trans="T")
        return e["Knk"] @ u, u

    def predict(self, f: Factor, s: np.ndarray, u, rng: np.random.Generator) -> np.ndarray:
        """``h`` at ``Znew`` from the knot values ``u`` of the last draw of ``h``."""
        return cross_kernel(f.kern.r, self.Dqk) @ u
