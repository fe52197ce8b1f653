"""Results of a GLM fit (:mod:`osteometals.stats.glm`), and the family names.

:class:`GLMResult` follows the results protocol of
:mod:`osteometals.stats.results`; :class:`WaldTest` is the joint Wald test of
R's ``regTermTest``. ``Family`` is the one definition of the response
families of :mod:`osteometals.stats` (import it from here or from
:mod:`osteometals.stats.glm`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.stats.results import TIDY_COLUMNS, Summary, tidy_frame

#: The response families of :mod:`osteometals.stats` (canonical links: logit,
#: identity). The one definition; every module imports it.
Family = Literal["binomial", "gaussian"]
FAMILIES: tuple[str, ...] = ("binomial", "gaussian")

__all__ = ["FAMILIES", "Family", "GLMResult", "WaldTest", "check_family"]

def check_family(family: str) -> None:
    """Refuse a family other than ``"binomial"`` or ``"gaussian"``.

    Raises
    ------
    ValueError
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: 'binomial', 'gaussian'")


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test that a set of coefficients is zero.

    Attributes
    ----------
    columns : tuple of str
        Coefficients tested.
    statistic : float
        ``F = b' V^-1 b / q`` when ``ddf`` is finite, else ``chi2 = b' V^-1 b``.
    ndf : int
        Number of coefficients tested (``q``).
    ddf : float
        Denominator degrees of freedom (``inf`` for a chi-square test).
    p : float
        Upper-tail p-value.
    """

    columns: tuple[str, ...]
    statistic: float
    ndf: int
    ddf: float
    p: float

    @property
    def method(self) -> str:
        """``"F"`` (design-based, finite df) or ``"chi2"``."""
        return "F" if np.isfinite(self.ddf) else "chi2"


def _t_or_normal(df: float):
    """The reference distribution of a Wald statistic on ``df`` degrees of freedom."""
    return stats.norm if np.isinf(df) else stats.t(df)


@dataclass
class GLMResult:
    """A fitted GLM: design-based (:func:`svyglm`) or model-based (:func:`glm`).

    Follows the results protocol of :mod:`osteometals.stats.results`.

    Attributes
    ----------
    params : pandas.Series
        Coefficients on the link scale; ``NaN`` for aliased columns.
    cov : pandas.DataFrame
        Variance-covariance matrix (``NaN`` rows and columns for aliased
        coefficients); also :meth:`cov_params`.
    df_resid : float
        Degrees of freedom of the t reference distribution; ``inf`` means the
        normal (model-based logistic regression, as R's ``summary.glm``).
    family : {"binomial", "gaussian"}
        Response family with its canonical link (logit, identity).
    weighted : bool
        True for the design-based fit.
    nobs : int
        Observations used in the fit (inside the domain, complete).
    design_df : int or None
        ``degf`` of the fitted design (design-based fits only).
    df_convention : str or None
        The design's ``df`` option (design-based fits only).
    terms : dict
        Model term -> its columns, for :meth:`wald_test` by term.
    naive_cov : pandas.DataFrame or None
        Weighted model-based covariance used for the design effect.
    converged : bool
        Whether IRLS met its tolerance.
    notes : list of str
        Caveats (e.g. ``"unweighted: ..."``).
    """

    params: pd.Series
    cov: pd.DataFrame
    df_resid: float
    family: Family
    weighted: bool
    nobs: int
    design_df: int | None = None
    df_convention: str | None = None
    terms: dict[str, list[str]] = field(default_factory=dict)
    naive_cov: pd.DataFrame | None = None
    converged: bool = True
    notes: list[str] = field(default_factory=list)

    def cov_params(self) -> pd.DataFrame:
        """Variance-covariance matrix of :attr:`params`."""
        return self.cov

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the coefficients."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        """Wald statistics ``params / bse``."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values: t on ``df_resid`` (normal if infinite), NaN if df <= 0."""
        t = self.tvalues.to_numpy()
        if self.df_resid <= 0:
            p = np.full_like(t, np.nan)
        else:
            p = 2 * _t_or_normal(self.df_resid).sf(np.abs(t))
        return pd.Series(p, index=self.params.index)

    def _quantile(self, alpha: float) -> float:
        if self.df_resid <= 0:
            return np.nan
        return float(_t_or_normal(self.df_resid).ppf(1 - alpha / 2))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals, as ``confint.svyglm`` / ``confint.default``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per coefficient, on the
            link scale.
        """
        half = self._quantile(alpha) * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """Tidy coefficient table (:data:`~osteometals.stats.results.TIDY_COLUMNS` first).

        Parameters
        ----------
        alpha : float
            One minus the confidence level of ``ci_lower`` / ``ci_upper``.
        exponentiate : bool
            Report ``exp(estimate)`` and exponentiated limits (odds ratios for
            logistic regression); ``se`` stays on the link scale.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, estimate, se, statistic, p, ci_lower, ci_upper,
            df, n, weighted``.
        """
        ci = self.conf_int(alpha)
        est, lo, hi = self.params, ci["lower"], ci["upper"]
        if exponentiate:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        rows = pd.DataFrame({
            "term": self.params.index,
            "estimate": est.to_numpy(),
            "se": self.bse.to_numpy(),
            "statistic": self.tvalues.to_numpy(),
            "p": self.pvalues.to_numpy(),
            "ci_lower": lo.to_numpy(),
            "ci_upper": hi.to_numpy(),
            "df": self.df_resid,
            "n": self.nobs,
            "weighted": self.weighted,
        })
        return tidy_frame(rows, extra=["df", "n", "weighted"])

    def frame(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """The same table as :meth:`tidy` (the older name, kept for callers)."""
        return self.tidy(alpha, exponentiate)

    def summary(self, alpha: float = 0.05) -> Summary:
        """Title, facts of the fit, the coefficient table and the notes."""
        kind = "logistic" if self.family == "binomial" else "linear"
        title = (f"Design-based {kind} regression" if self.weighted
                 else f"{kind.capitalize()} regression (unweighted)")
        info: dict = {"n": self.nobs, "df": self.df_resid}
        if self.weighted:
            info |= {"design df": self.design_df, "df convention": self.df_convention}
        table = self.tidy(alpha).set_index("term")[list(TIDY_COLUMNS[1:])]
        return Summary(title, info, table, list(self.notes))

    def lincom(self, coefficients: Mapping[str, float], alpha: float = 0.05) -> dict:
        """A linear combination ``sum_k c_k b_k`` with its Wald inference.

        As R's ``svycontrast``: variance ``c' V c``, the fit's reference
        distribution (t on ``df_resid`` or normal).

        Parameters
        ----------
        coefficients : mapping
            Coefficient name -> multiplier.
        alpha : float
            One minus the confidence level.

        Returns
        -------
        dict
            ``estimate, se, statistic, p, ci_lower, ci_upper, df``.
        """
        pos = self.params.index.get_indexer(list(coefficients))
        if (pos < 0).any():
            bad = [k for k, i in zip(coefficients, pos, strict=True) if i < 0]
            raise KeyError(f"not coefficients: {bad}")
        c = np.array(list(coefficients.values()), dtype=float)
        est = float(c @ self.params.to_numpy()[pos])
        se = float(np.sqrt(c @ self.cov.to_numpy()[np.ix_(pos, pos)] @ c))
        dist = _t_or_normal(self.df_resid)
        q = float(dist.ppf(1 - alpha / 2))
        return {"estimate": est, "se": se, "statistic": est / se,
                "p": float(2 * dist.sf(abs(est / se))), "ci_lower": est - q * se,
                "ci_upper": est + q * se, "df": self.df_resid}

    def wald_test(self, terms: str | Sequence[str]) -> WaldTest:
        """Joint Wald test that the coefficients of some terms or columns are zero.

        As R's ``regTermTest(model, ~terms)`` with its default
        ``method="Wald"``: an F test on ``(q, df_resid)`` degrees of freedom
        when ``df_resid`` is finite, otherwise a chi-square test on ``q``.

        Parameters
        ----------
        terms : str or sequence of str
            Model terms (e.g. ``"g"`` or ``"x:g"``, expanded to all their
            columns) or individual column names. Aliased columns are skipped.

        Returns
        -------
        WaldTest
        """
        if isinstance(terms, str):
            terms = [terms]
        cols: list[str] = []
        for t in terms:
            if t in self.terms:
                cols.extend(self.terms[t])
            elif t in self.params.index:
                cols.append(t)
            else:
                raise KeyError(f"{t!r} is neither a model term nor a coefficient")
        cols = [c for c in dict.fromkeys(cols) if np.isfinite(self.params[c])]
        if not cols:
            raise ValueError("no estimable coefficient to test")
        b = self.params[cols].to_numpy()
        v = self.cov.loc[cols, cols].to_numpy()
        chisq = float(b @ np.linalg.solve(v, b))
        q = len(cols)
        if np.isfinite(self.df_resid):
            f = chisq / q
            p = float(stats.f.sf(f, q, self.df_resid)) if self.df_resid > 0 else np.nan
            return WaldTest(tuple(cols), f, q, float(self.df_resid), p)
        return WaldTest(tuple(cols), chisq, q, np.inf, float(stats.chi2.sf(chisq, q)))

    def design_effect(self) -> pd.Series:
        """Design effect of each coefficient: design variance / weighted SRS variance.

        Same definition as ``svyglm(..., deff = TRUE)``: the denominator is the
        model-based variance of the *weighted* fit (weights scaled to mean 1),
        so the ratio isolates what strata and clustering do to the variance.

        Returns
        -------
        pandas.Series
        """
        if self.naive_cov is None:
            raise ValueError("design effects exist only for design-based fits")
        return pd.Series(
            np.diag(self.cov.to_numpy()) / np.diag(self.naive_cov.to_numpy()),
            index=self.params.index,
        )


