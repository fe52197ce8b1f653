"""bkmr's summaries of ``h``: single-variable risks and interactions, bivariate sections.

What R bkmr 0.2.2 computes (``SingVarRiskSummaries``, ``SingVarIntSummaries``,
``PredictorResponseBivarLevels``; Bobb et al. 2018) and how we compute it:

* every summary is a **contrast** of ``h`` at a few exposure profiles, e.g.
  ``h(z_j at its 75th percentile, others at q) - h(z_j at its 25th, others at q)``;
  percentiles are the sample quantiles of the columns of ``Z`` (type 7);
* for a posterior draw ``s`` of ``(r, lambda)`` and the latent residual
  ``s = z* - C beta``, ``h`` at new profiles is Gaussian with mean
  ``lambda K*0 V^-1 s`` and covariance ``lambda (K** - lambda K*0 V^-1 K0*)``,
  ``V = I + lambda K`` (times ``sigma^2`` for a Gaussian outcome), so a
  contrast ``c`` has mean ``mu_s = c' m_s`` and variance ``v_s = c' S_s c``
  (bkmr's ``ComputePostmeanHnew``);
* over the selected draws, the posterior of the contrast is the mixture
  ``(1/S) sum_s N(mu_s, v_s)``: its mean and standard deviation (the law of
  total variance, bkmr's ``method = "exact"``) and, unlike bkmr, its
  equal-tailed credible interval (quantiles of the mixture, by bisection).
  bkmr's default ``method = "approx"`` plugs in posterior means of the
  parameters instead, which ignores their uncertainty and, under variable
  selection, averages ``r_m`` over draws where it is 0; we do not offer it.

The bivariate sections are bkmr's ``PredictorResponseBivarLevels``: ``h`` as a
function of one exposure with a second held at its 10th, 50th and 90th
percentiles (bkmr's default is 25/50/75: the vignette passes 10/50/90) and the
others at their medians. bkmr reads them off a centred 50 x 50 surface; we
report the contrast with the all-median profile, whose interval is
well-defined and which keeps the vertical offsets between the sections
(non-parallel sections are an interaction).

Cost: per selected draw one Cholesky factorisation of ``V`` and one
triangular solve with one right-hand side per distinct profile; all
summaries of :func:`bkmr_summaries` share one pass over the draws (and
profiles shared by several summaries are solved once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import permutations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr
from threadpoolctl import threadpool_limits

from .kernels import chol_inplace, cross_kernel, squared_distances, trsolve

__all__ = ["contrast_moments", "mixture_summary", "single_variable_risks",
           "single_variable_interactions", "bivariate_sections", "bkmr_summaries",
           "pairwise_interaction", "SECTION_LEVELS"]

#: Percentiles at which the second exposure of a bivariate section is held.
SECTION_LEVELS: tuple[float, ...] = (0.1, 0.5, 0.9)


@dataclass
class _Plan:
    """Profiles and contrasts (sparse weights over the profiles) to evaluate."""

    points: list = field(default_factory=list)
    contrasts: list = field(default_factory=list)  # list of [(point index, weight), ...]
    _index: dict = field(default_factory=dict)

    def point(self, z: np.ndarray) -> int:
        key = tuple(np.round(z, 12))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append(np.asarray(z, dtype=float))
        return self._index[key]

    def contrast(self, pairs: list[tuple[np.ndarray, float]]) -> int:
        self.contrasts.append([(self.point(z), w) for z, w in pairs])
        return len(self.contrasts) - 1


def contrast_moments(
    Z: np.ndarray,
    points: np.ndarray,
    contrasts: Sequence[Sequence[tuple[int, float]]],
    r: np.ndarray,
    lam: np.ndarray,
    resid: np.ndarray,
    sigsq: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw conditional mean and variance of linear contrasts of ``h``.

    Parameters
    ----------
    Z : ndarray, shape (n, M)
        Exposures of the fit.
    points : ndarray, shape (q, M)
        Exposure profiles.
    contrasts : sequence of sequence of (int, float)
        Each contrast as ``(point index, weight)`` pairs.
    r : ndarray, shape (S, M)
        Relevances per draw (0 for excluded exposures).
    lam : ndarray, shape (S,)
    resid : ndarray, shape (S, n)
        ``y - C beta`` (Gaussian) or ``z* - C beta`` (probit) per draw.
    sigsq : ndarray, shape (S,), optional
        Residual variance per draw (1 for probit, the default).

    Returns
    -------
    mean, var : ndarray, shape (S, n_contrasts)
    """
    Z = np.asarray(Z, dtype=float)
    points = np.asarray(points, dtype=float)
    n, C = len(Z), len(contrasts)
    rows, cols, vals = [], [], []
    pairs = []  # (a, b, w_a * w_b, contrast) for the prior variance
    for c, terms in enumerate(contrasts):
        for a, wa in terms:
            rows.append(a)
            cols.append(c)
            vals.append(wa)
            pairs += [(a, b, wa * wb, c) for b, wb in terms]
    W = sparse.csc_matrix((vals, (rows, cols)), shape=(len(points), C))
    pa, pb, pw, pc = (np.array(v) for v in zip(*pairs, strict=True))
    Dn = squared_distances(points, Z)  # (M, q, n)
    Dpair = (points[pa] - points[pb]) ** 2  # (P, M)
    D = squared_distances(Z, Z)
    S = len(lam)
    mean, var = np.empty((S, C)), np.empty((S, C))
    V = np.empty((n, n))
    for s in range(S):
        rs = np.asarray(r[s], dtype=float)
        np.copyto(V, cross_kernel(rs, D))
        V *= lam[s]
        V.reshape(-1)[:: n + 1] += 1.0
        L, info = chol_inplace(V)
        if info != 0:
            raise np.linalg.LinAlgError("V is not positive definite")
        T = trsolve(L, np.asfortranarray(cross_kernel(rs, Dn).T))  # (n, q): L^-1 K0*
        u = trsolve(L, np.asarray(resid[s], dtype=float))
        mean[s] = lam[s] * (W.T @ (T.T @ u))
        TW = np.asarray((W.T @ T.T).T)  # (n, C): L^-1 K0* w of every contrast
        kpair = np.exp(-(Dpair @ rs))
        prior = np.bincount(pc, weights=pw * kpair, minlength=C)
        var[s] = lam[s] * prior - lam[s] ** 2 * np.einsum("ij,ij->j", TW, TW)
        if sigsq is not None:
            var[s] *= sigsq[s]
    return mean, np.maximum(var, 0.0)


def mixture_summary(mean: np.ndarray, var: np.ndarray, probability: float = 0.95,
                    tol: float = 1e-9) -> pd.DataFrame:
    """Mean, sd and equal-tailed interval of the mixtures ``(1/S) sum_s N(mean_s, var_s)``.

    Parameters
    ----------
    mean, var : ndarray, shape (S, C)
        Per-draw conditional moments of ``C`` quantities.
    probability : float
    tol : float
        Bisection stops when the bracket is narrower than ``tol`` times the
        mixture's standard deviation.

    Returns
    -------
    DataFrame
        ``est``, ``sd`` (law of total variance, sample variance of the means
        with denominator ``S - 1``, as bkmr), ``lower``, ``upper``.
    """
    S = mean.shape[0]
    est = mean.mean(0)
    sd = np.sqrt(var.mean(0) + (mean.var(0, ddof=1) if S > 1 else 0.0))
    sdev = np.sqrt(np.maximum(var, 1e-300))
    out = {"est": est, "sd": sd}
    alpha = 1 - probability
    for name, p in (("lower", alpha / 2), ("upper", 1 - alpha / 2)):
        lo = (mean - 10 * sdev).min(0) - 1e-12
        hi = (mean + 10 * sdev).max(0) + 1e-12
        width = np.maximum(sd, 1e-12)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            cdf = ndtr((mid[None, :] - mean) / sdev).mean(0)
            below = cdf < p
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
            if np.all(hi - lo < tol * width):
                break
        out[name] = 0.5 * (lo + hi)
    return pd.DataFrame(out)


def _select(fit, n_samples: int) -> np.ndarray:
    """Evenly spaced indices into the pooled draws (chain by chain)."""
    total = fit.draws["lambda"].size
    if "resid" not in fit.draws:
        raise ValueError("this fit kept no latent residuals (fit with keep_resid=True)")
    return np.unique(np.linspace(0, total - 1, min(n_samples, total)).round().astype(int))


def _moments_chunk(Z, points, contrasts, r, lam, resid, sigsq):
    with threadpool_limits(limits=1, user_api="blas"):
        return contrast_moments(Z, points, contrasts, r, lam, resid, sigsq)


def _evaluate(fit, plan: _Plan, n_samples: int, probability: float,
              n_jobs: int = 1) -> pd.DataFrame:
    idx = _select(fit, n_samples)
    M = len(fit.exposure_names)
    r = fit.draws["r"].reshape(-1, M)[idx]
    lam = fit.draws["lambda"].reshape(-1)[idx]
    resid = fit.draws["resid"].reshape(-1, fit.draws["resid"].shape[-1])[idx]
    sigsq = fit.draws["sigsq"].reshape(-1)[idx] if "sigsq" in fit.draws else None
    points = np.array(plan.points)
    chunks = np.array_split(np.arange(len(idx)), max(1, min(n_jobs, len(idx))))
    args = [(fit.Z, points, plan.contrasts, r[c], lam[c], resid[c],
             None if sigsq is None else sigsq[c]) for c in chunks]
    if len(args) > 1:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=len(args))(delayed(_moments_chunk)(*a) for a in args)
    else:
        parts = [_moments_chunk(*args[0])]
    mean = np.concatenate([p[0] for p in parts])
    var = np.concatenate([p[1] for p in parts])
    return mixture_summary(mean, var, probability)


def _at(Zq: np.ndarray, q: float) -> np.ndarray:
    """Every exposure at its ``q`` sample quantile (type 7, as R's ``quantile``)."""
    return np.quantile(Zq, q, axis=0)


def _risk_contrasts(plan, Zq, q, j, qs_diff):
    lo, hi = _at(Zq, q), _at(Zq, q)
    lo[j], hi[j] = _at(Zq, qs_diff[0])[j], _at(Zq, qs_diff[1])[j]
    return plan.contrast([(hi, 1.0), (lo, -1.0)])


def _interaction_contrast(plan, Zq, j, qs_diff, qs_fixed):
    terms = []
    for q_other, sign in ((qs_fixed[1], 1.0), (qs_fixed[0], -1.0)):
        lo, hi = _at(Zq, q_other), _at(Zq, q_other)
        lo[j], hi[j] = _at(Zq, qs_diff[0])[j], _at(Zq, qs_diff[1])[j]
        terms += [(hi, sign), (lo, -sign)]
    return plan.contrast(terms)


def _plans(fit, qs_diff, q_fixed, qs_fixed, levels, ngrid, pairs, which):
    Zq = np.asarray(fit.Z, dtype=float)
    names = list(fit.exposure_names)
    plan, rows = _Plan(), {"risk": [], "interaction": [], "section": []}
    if "risk" in which:
        for q in q_fixed:
            for j, name in enumerate(names):
                rows["risk"].append({"exposure": name, "q_fixed": q,
                                     "_c": _risk_contrasts(plan, Zq, q, j, qs_diff)})
    if "interaction" in which:
        for j, name in enumerate(names):
            rows["interaction"].append(
                {"exposure": name, "_c": _interaction_contrast(plan, Zq, j, qs_diff, qs_fixed)})
    if "section" in which:
        med = _at(Zq, 0.5)
        at_level = {lev: _at(Zq, lev) for lev in levels}
        pairs = pairs if pairs is not None else list(permutations(range(len(names)), 2))
        for a, b in pairs:
            grid = np.linspace(Zq[:, a].min(), Zq[:, a].max(), ngrid)
            for lev in levels:
                for v in grid:
                    p = med.copy()
                    p[a], p[b] = v, at_level[lev][b]
                    rows["section"].append({"exposure": names[a], "by": names[b],
                                            "level": lev, "z": v,
                                            "_c": plan.contrast([(p, 1.0), (med, -1.0)])})
    return plan, rows


def _frames(summ: pd.DataFrame, rows: dict) -> dict[str, pd.DataFrame]:
    out = {}
    for key, rs in rows.items():
        if not rs:
            continue
        f = pd.DataFrame(rs)
        vals = summ.iloc[f.pop("_c").to_numpy()].reset_index(drop=True)
        f = pd.concat([f, vals], axis=1)
        f["excludes_zero"] = (f["lower"] > 0) | (f["upper"] < 0)
        out[key] = f
    return out


def bkmr_summaries(
    fit,
    qs_diff: tuple[float, float] = (0.25, 0.75),
    q_fixed: Sequence[float] = (0.25, 0.5, 0.75),
    qs_fixed: tuple[float, float] = (0.25, 0.75),
    levels: Sequence[float] = SECTION_LEVELS,
    ngrid: int = 15,
    pairs: Sequence[tuple[int, int]] | None = None,
    n_samples: int = 100,
    probability: float = 0.95,
    which: Sequence[str] = ("risk", "interaction", "section"),
    n_jobs: int = 1,
) -> dict[str, pd.DataFrame]:
    """All three summaries in one pass over the draws.

    Parameters
    ----------
    fit : BKMRFit
        Fitted with ``keep_resid=True`` (the default).
    qs_diff : tuple of float
        The exposure's own percentiles compared (bkmr default 25th vs 75th).
    q_fixed : sequence of float
        Percentiles at which the other exposures are held (single-variable risks).
    qs_fixed : tuple of float
        Percentiles of the other exposures whose effects are compared
        (single-variable interactions).
    levels : sequence of float
        Percentiles of the second exposure of a section.
    ngrid : int
        Points per section (bkmr: 50 per side of its surface).
    pairs : sequence of (int, int), optional
        Ordered exposure pairs ``(along, by)`` of the sections; default all.
    n_samples : int
        Posterior draws used, evenly spaced over all chains (bkmr
        ``method = "exact"`` uses 100 of the second half).
    probability : float
        Level of the credible intervals.
    which : sequence of str
        Any of ``"risk"``, ``"interaction"``, ``"section"``.
    n_jobs : int
        Processes sharing the draws (joblib), one BLAS thread each.

    Returns
    -------
    dict of DataFrame
        ``"risk"``: ``exposure``, ``q_fixed``; ``"interaction"``:
        ``exposure``; ``"section"``: ``exposure`` (along), ``by``, ``level``,
        ``z``; each with ``est``, ``sd``, ``lower``, ``upper`` and
        ``excludes_zero`` (the interval excludes 0).
    """
    plan, rows = _plans(fit, qs_diff, q_fixed, qs_fixed, levels, ngrid, pairs, which)
    return _frames(_evaluate(fit, plan, n_samples, probability, n_jobs), rows)


def single_variable_risks(fit, qs_diff=(0.25, 0.75), q_fixed=(0.25, 0.5, 0.75),
                          n_samples: int = 100, probability: float = 0.95) -> pd.DataFrame:
    """Single-exposure effects, the others at fixed percentiles (bkmr ``SingVarRiskSummaries``).

    For each exposure and each ``q`` in ``q_fixed``:
    ``h(z_j at qs_diff[1], others at q) - h(z_j at qs_diff[0], others at q)``.
    See :func:`bkmr_summaries` for the parameters; returns its ``"risk"`` frame.
    """
    return bkmr_summaries(fit, qs_diff=qs_diff, q_fixed=q_fixed, n_samples=n_samples,
                          probability=probability, which=("risk",))["risk"]


def single_variable_interactions(fit, qs_diff=(0.25, 0.75), qs_fixed=(0.25, 0.75),
                                 n_samples: int = 100, probability: float = 0.95) -> pd.DataFrame:
    """Single-exposure interaction summaries (bkmr ``SingVarIntSummaries``).

    For each exposure: its single-variable effect (``qs_diff``) with the
    others at their ``qs_fixed[1]`` percentile minus the same with the
    others at their ``qs_fixed[0]`` percentile. See :func:`bkmr_summaries`.
    """
    return bkmr_summaries(fit, qs_diff=qs_diff, qs_fixed=qs_fixed, n_samples=n_samples,
                          probability=probability, which=("interaction",))["interaction"]


def bivariate_sections(fit, pairs=None, levels=SECTION_LEVELS, ngrid: int = 15,
                       n_samples: int = 100, probability: float = 0.95) -> pd.DataFrame:
    """``h`` along one exposure, another held (bkmr ``PredictorResponseBivarLevels``).

    Each point is the contrast ``h(z_a = grid value, z_b at its level
    percentile, others at their medians) - h(all at their medians)``. See
    :func:`bkmr_summaries`.
    """
    return bkmr_summaries(fit, levels=levels, ngrid=ngrid, pairs=pairs, n_samples=n_samples,
                          probability=probability, which=("section",))["section"]


def pairwise_interaction(fit, along: str, by: str, qs_diff=(0.25, 0.75), qs_by=(0.1, 0.9),
                         n_samples: int = 100, probability: float = 0.95) -> pd.Series:
    """Does one exposure change another's effect? A two-exposure interaction contrast.

    ``[h(a at qs_diff[1], b at qs_by[1]) - h(a at qs_diff[0], b at qs_by[1])]
    - [h(a at qs_diff[1], b at qs_by[0]) - h(a at qs_diff[0], b at qs_by[0])]``,
    the other exposures at their medians: the effect of ``along`` with ``by``
    high minus the same with ``by`` low (the difference between two of the
    bivariate sections), with posterior mean, sd and credible interval.

    Parameters
    ----------
    fit : BKMRFit
    along, by : str
        Exposure names.
    qs_diff, qs_by : tuple of float
        Percentiles of ``along`` compared, and of ``by`` at which they are.
    n_samples, probability : see :func:`bkmr_summaries`.

    Returns
    -------
    Series
        ``est``, ``sd``, ``lower``, ``upper``, ``excludes_zero``, and the two
        effects of ``along`` it compares: ``effect_low``, ``effect_high``
        (posterior means).
    """
    names = list(fit.exposure_names)
    a, b = names.index(along), names.index(by)
    Zq = np.asarray(fit.Z, dtype=float)
    med = _at(Zq, 0.5)
    plan = _Plan()
    pts = {}
    for qb in qs_by:
        for qa in qs_diff:
            p = med.copy()
            p[a], p[b] = _at(Zq, qa)[a], _at(Zq, qb)[b]
            pts[(qa, qb)] = p
    lo_a, hi_a = qs_diff
    lo_b, hi_b = qs_by
    plan.contrast([(pts[(hi_a, hi_b)], 1.0), (pts[(lo_a, hi_b)], -1.0),
                   (pts[(hi_a, lo_b)], -1.0), (pts[(lo_a, lo_b)], 1.0)])
    plan.contrast([(pts[(hi_a, lo_b)], 1.0), (pts[(lo_a, lo_b)], -1.0)])
    plan.contrast([(pts[(hi_a, hi_b)], 1.0), (pts[(lo_a, hi_b)], -1.0)])
    summ = _evaluate(fit, plan, n_samples, probability)
    out = summ.iloc[0].copy()
    out["excludes_zero"] = bool(out["lower"] > 0 or out["upper"] < 0)
    out["effect_low"], out["effect_high"] = summ["est"].iloc[1], summ["est"].iloc[2]
    return out
