"""Results of quantile g-computation (:mod:`osteometals.stats.qgcomp`).

:class:`QGCompResult` follows the results protocol of
:mod:`osteometals.stats.results`. Its terms are those of R qgcomp's ``coef``:
``"(Intercept)"`` and ``"psi1"`` (and ``"psi2"`` for a quadratic marginal
structural model), on the link scale of the estimate (:attr:`QGCompResult.scale`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.stats.glm_results import GLMResult
from osteometals.stats.results import TIDY_COLUMNS, Summary, estimate_text, tidy_frame

__all__ = ["QGCompResult"]

#: What ``exp(psi)`` is, by the scale of ``psi``.
RATIO_NAME = {"log OR": "OR", "log RR": "RR"}


def _dist(df: float):
    return stats.norm if np.isinf(df) else stats.t(df)


@dataclass
class QGCompResult:
    """A quantile g-computation fit: the mixture effect ``psi`` and its parts.

    Attributes
    ----------
    estimator : {"conditional", "marginal"}
        ``qgcomp.noboot`` (sum of the conditional coefficients) or
        ``qgcomp.boot`` (g-computation of a marginal structural model).
    params : pandas.Series
        ``"(Intercept)"``, ``"psi1"`` (and ``"psi2"``), link scale.
    cov : pandas.DataFrame
        Their covariance: the linear-combination covariance (conditional) or
        the covariance of the bootstrap replicates (marginal).
    df : float
        Degrees of freedom of the t reference distribution of intervals and
        p-values; ``inf`` means the normal.
    family : {"binomial", "gaussian"}
    scale : {"log OR", "log RR", "difference"}
        What ``psi`` is: a log odds ratio, a log risk ratio (``rr=True``) or
        a mean difference, per one-quantile increase of every exposure.
    weighted : bool
        Whether the fit used a survey design.
    nobs : int
        Observations used.
    fit : GLMResult
        The conditional model (outcome on the quantized exposures and
        covariates).
    breaks : dict
        Interior cut-points of every exposure.
    weights : pandas.DataFrame or None
        Conditional estimator: ``exposure``, ``coefficient``, ``direction``
        (``"positive"`` if the coefficient is > 0, else ``"negative"``, as
        qgcomp) and ``weight`` (``|coefficient|`` over the sum of the
        absolute coefficients of its direction; each direction sums to 1).
    partial : pandas.DataFrame or None
        Conditional estimator: per direction, ``psi`` (the sum of the
        coefficients of that sign, qgcomp's ``pos.psi`` / ``neg.psi``) and
        ``size`` (the sum of their absolute values). ``psi`` of the two rows
        adds up to the overall ``psi1``.
    expected : pandas.DataFrame or None
        Marginal estimator: per intervention level ``a`` (every exposure at
        score ``a``), the g-computation mean ``E[Y^a]`` and the MSM's fit.
    bootstraps : pandas.DataFrame or None
        Marginal estimator: the MSM coefficients of every replicate.
    settings : dict
        The arguments of the fit.
    notes : list of str
        Caveats.
    """

    estimator: str
    params: pd.Series
    cov: pd.DataFrame
    df: float
    family: str
    scale: str
    weighted: bool
    nobs: int
    fit: GLMResult = field(repr=False)
    breaks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    weights: pd.DataFrame | None = None
    partial: pd.DataFrame | None = None
    expected: pd.DataFrame | None = None
    bootstraps: pd.DataFrame | None = field(default=None, repr=False)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------- protocol

    def cov_params(self) -> pd.DataFrame:
        """Covariance of :attr:`params`."""
        return self.cov

    @property
    def bse(self) -> pd.Series:
        """Standard errors (bootstrap standard deviations for the marginal estimator)."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``estimate +/- q se`` with ``q`` from the normal or t on :attr:`df`.

        For the marginal estimator this is qgcomp's interval (normal quantile
        times the bootstrap standard deviation, centred on the full-data
        estimate), not a percentile interval.
        """
        half = float(_dist(self.df).ppf(1 - alpha / 2)) * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """One row per term; ``exponentiate`` gives ratios (OR or RR).

        Returns
        -------
        pandas.DataFrame
            :data:`~osteometals.stats.results.TIDY_COLUMNS`, then ``df``,
            ``n``, ``estimator``, ``scale``, ``weighted``.
        """
        ci = self.conf_int(alpha)
        est, lo, hi = self.params, ci["lower"], ci["upper"]
        if exponentiate:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        z = self.params / self.bse
        rows = pd.DataFrame({
            "term": self.params.index, "estimate": est.to_numpy(), "se": self.bse.to_numpy(),
            "statistic": z.to_numpy(), "p": 2 * _dist(self.df).sf(np.abs(z.to_numpy())),
            "ci_lower": lo.to_numpy(), "ci_upper": hi.to_numpy(), "df": self.df,
            "n": self.nobs, "estimator": self.estimator, "scale": self.scale,
            "weighted": self.weighted,
        })
        return tidy_frame(rows, extra=["df", "n", "estimator", "scale", "weighted"])

    def summary(self, alpha: float = 0.05) -> Summary:
        """``psi`` (with the ratio scale for binomial fits), the partial effects, notes."""
        ratio = self.scale in RATIO_NAME
        table = self.tidy(alpha, exponentiate=ratio).set_index("term")[list(TIDY_COLUMNS[1:])]
        if ratio:
            table = table.rename(columns={"estimate": RATIO_NAME[self.scale]})
        kind = "conditional (qgcomp.noboot)" if self.estimator == "conditional" \
            else "marginal (qgcomp.boot)"
        info = {"estimator": kind, "family": self.family, "psi scale": self.scale,
                "n": self.nobs, "df": self.df, "q": self.settings.get("q")}
        if self.partial is not None:
            info |= {f"{r.direction} partial psi": r.psi for r in self.partial.itertuples()}
        return Summary("Quantile g-computation", info, table, list(self.notes))

    # ------------------------------------------------------------- helpers

    def describe(self, term: str = "psi1", digits: int = 2, exponentiate: bool | None = None,
                 alpha: float = 0.05) -> str:
        """One term as prose, e.g. ``"1.21 (95% CI 0.95-1.54; P = 0.12)"``.

        ``exponentiate`` defaults to True for the ratio scales.
        """
        ratio = self.scale in RATIO_NAME if exponentiate is None else exponentiate
        r = self.tidy(alpha, exponentiate=ratio).set_index("term").loc[term]
        level = f"{100 * (1 - alpha):g}%"
        return estimate_text(r["estimate"], r["ci_lower"], r["ci_upper"], r["p"], digits, level)

    def __repr__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        html = self.summary().as_html()
        if self.weights is not None:
            html += self.weights.round(3).to_html(index=False)
        return html
