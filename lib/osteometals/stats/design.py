"""A complex survey design: weights, strata, PSUs, domains, one variance routine.

:class:`SurveyDesign` is the Python counterpart of R's
``svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)``
(Lumley 2004, *J Stat Softw* 9(8); Lumley 2010, *Complex Surveys*). Every
design-based quantity of :mod:`osteometals.stats` goes through it: the
survey GLM (:func:`osteometals.stats.glm.svyglm`), Table 1's weighted tests,
WQS's weighted validation fit and the survey-weighted quantile
g-computation. It holds

* the rows (the *whole* sample the design describes), the weights, the
  strata and the PSUs (PSU numbers nested in strata: a PSU is the pair
  (stratum, psu)), and a **domain** (:meth:`SurveyDesign.subset`);
* :meth:`~SurveyDesign.variance`, the one variance routine: the
  with-replacement, stratified between-PSU covariance of totals of
  per-observation influence (score) values;
* the design degrees of freedom (:meth:`~SurveyDesign.degf`,
  :meth:`~SurveyDesign.residual_df`) under a named convention;
* the Rao-Wu rescaling bootstrap (:meth:`~SurveyDesign.bootstrap_weights`)
  for estimators without a linearisation.

Variance
--------
For influence values ``u_i`` (rows of the whole design, zero outside the
domain or the fit), with ``t_hi`` the total of ``u`` over PSU ``i`` of
stratum ``h`` and ``tbar_h`` the mean of the ``n_h`` PSU totals of stratum
``h``::

    V = sum_h n_h / (n_h - 1) sum_i (t_hi - tbar_h)(t_hi - tbar_h)'

Sampling is taken to be with replacement (no finite population correction).
Rows outside the domain keep their place: every PSU of the design counts in
``n_h`` and in the centring (R: ``subset(design, domain)``), which is why a
domain is never the same as dropping rows.

Lonely PSUs
-----------
A stratum with one PSU in the design has no between-PSU variance. As R's
``options(survey.lonely.psu=)``: ``"fail"`` (default, as R) raises
:class:`LonelyPSUError` if such a stratum holds observations that are used;
``"certainty"`` and ``"remove"`` let it contribute no variance (in survey
4.x both give the same Taylor variance); ``"adjust"`` takes its single PSU
total as a deviation from zero. A stratum with two or more PSUs in the
design but only one inside the domain is *not* lonely (its empty PSU has a
zero total), as R with ``options(survey.adjust.domain.lonely = FALSE)``.

Degrees of freedom
------------------
``degf`` is the number of PSUs minus the number of strata that hold an
observation used by the estimate (positive weight, inside the domain, no
missing value): R's ``degf(design)`` on the design ``svyglm`` ends up with.
What a model then uses as the denominator degrees of freedom of its t and F
tests is a convention, chosen with ``df=``:

``"r_survey"`` (default)
    ``degf - p + 1`` for a model with ``p`` estimated coefficients: R
    ``survey``'s ``svyglm`` (``df.residual``, used by ``summary.svyglm``,
    ``confint.svyglm`` and ``regTermTest``). With 79 PSUs in 39 strata
    (``degf`` 40), a model with 23 coefficients gets 18 df, and one with 29
    (a 6-df interaction added) 12.
``"psu_minus_strata"``
    ``degf`` itself, whatever the model: the classical design degrees of
    freedom of SUDAAN, the SAS survey procedures (number of clusters minus
    number of strata) and Stata's ``svy`` estimation (``e(df_r)`` =
    ``e(N_psu) - e(N_strata)``), which the NCHS NHANES tutorials ("Variance
    estimation": PSUs minus strata for each subgroup analysed) and many
    NHANES papers use (40 in the example above). For a domain, ``degf``
    counts only the PSUs and strata with domain members, as Stata does by
    default and R's ``degf`` of the subset design; SUDAAN counts every PSU of
    the design, and SAS can do either. R gives the same numbers with
    ``summary(fit, df.resid = degf(design))``, ``confint(fit, ddf =
    degf(design))`` and ``regTermTest(fit, ~term, df = degf(design))``;
    tests/reference/svyglm_fixture.R checks exactly that. F tests use
    ``F(q, degf)`` (the unadjusted Wald F); Stata's ``test`` would by
    default apply its adjustment ``F (degf - q + 1) / degf`` on
    ``(q, degf - q + 1)``, which this module does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "DESIGN_DF",
    "LONELY_PSU",
    "DesignDF",
    "LonelyPSU",
    "LonelyPSUError",
    "SurveyDesign",
    "analysis_rows",
    "domain_mask",
]

LonelyPSU = Literal["fail", "certainty", "remove", "adjust"]
DesignDF = Literal["r_survey", "psu_minus_strata"]

#: Allowed values of ``lonely_psu`` (R's ``options(survey.lonely.psu=)``).
LONELY_PSU: tuple[str, ...] = ("fail", "certainty", "remove", "adjust")
#: Allowed values of ``df`` (see the module notes).
DESIGN_DF: tuple[str, ...] = ("r_survey", "psu_minus_strata")


class LonelyPSUError(ValueError):
    """A stratum has a single PSU and ``lonely_psu="fail"``."""


def check_option(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Refuse an unknown option value, naming the allowed ones.

    Raises
    ------
    ValueError
    """
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(map(repr, allowed))}")


def domain_mask(domain, data: pd.DataFrame) -> np.ndarray:
    """A boolean mask over ``data``'s rows from a column name, Series or array.

    Parameters
    ----------
    domain : str, boolean pandas.Series, array-like or None
        A column of ``data``, a Series sharing its index, or one value per
        row (booleans or 0/1). None selects every row.
    data : pandas.DataFrame

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    ValueError
        Misaligned, missing or non-boolean values.
    """
    if domain is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(domain, str):
        domain = data[domain]
    if isinstance(domain, pd.Series):
        if not domain.index.equals(data.index):
            raise ValueError("the domain Series must share the data's index")
        if domain.isna().any():
            raise ValueError("domain must not contain missing values")
        domain = domain.to_numpy()
    mask = np.asarray(domain)
    if mask.shape != (len(data),):
        raise ValueError("domain must have one value per row of data")
    if mask.dtype != bool:
        if not np.isin(mask, [0, 1]).all():
            raise ValueError("domain must be boolean (or 0/1)")
        mask = mask.astype(bool)
    return mask


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A stratified, clustered, weighted sample (R: ``svydesign(..., nest=TRUE)``).

    Parameters
    ----------
    data : pandas.DataFrame
        The whole sample the design describes, one row per person, with a
        unique index. Do not drop rows to analyse a subgroup: use
        :meth:`subset`.
    weight : str
        Column of sampling weights (non-negative, no missing values).
    stratum : str or None
        Column of strata; None for an unstratified design (one stratum).
    psu : str or None
        Column of PSUs, numbered within strata; None makes every row its own
        PSU (R ``ids = ~1``).
    lonely_psu : {"fail", "certainty", "remove", "adjust"}
        What to do with a stratum that has a single PSU (module notes).
    df : {"r_survey", "psu_minus_strata"}
        Convention for the denominator degrees of freedom of models fitted
        on this design (module notes).

    Raises
    ------
    KeyError
        A design column is not in ``data``.
    ValueError
        Missing design values, negative weights, a non-unique index or an
        unknown ``lonely_psu`` / ``df``.
    """

    data: pd.DataFrame
    weight: str = "weight"
    stratum: str | None = "stratum"
    psu: str | None = "psu"
    lonely_psu: LonelyPSU = "fail"
    df: DesignDF = "r_survey"
    domain: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_option("lonely_psu", self.lonely_psu, LONELY_PSU)
        check_option("df", self.df, DESIGN_DF)
        cols = [c for c in (self.weight, self.stratum, self.psu) if c is not None]
        missing = [c for c in cols if c not in self.data.columns]
        if missing:
            raise KeyError(f"design columns not in data: {missing}")
        if self.data.index.has_duplicates:
            raise ValueError("data must have a unique index")
        if self.data[cols].isna().any().any():
            raise ValueError(f"the design columns {cols} must not contain missing values")
        w = self.data[self.weight].to_numpy(dtype=float)
        if (w < 0).any():
            raise ValueError("weights must be non-negative")
        n = len(self.data)
        h = (np.zeros(n, dtype=int) if self.stratum is None
             else pd.factorize(self.data[self.stratum], sort=True)[0])
        i = np.arange(n) if self.psu is None else self.data[self.psu].to_numpy()
        psu_id = pd.DataFrame({"h": h, "i": i}).groupby(["h", "i"], sort=True).ngroup()
        psu_id = psu_id.to_numpy()
        h_of_psu = np.empty(psu_id.max() + 1 if n else 0, dtype=int)
        h_of_psu[psu_id] = h
        dom = np.ones(n, dtype=bool) if self.domain is None else np.asarray(self.domain, bool)
        if dom.shape != (n,):
            raise ValueError("domain must have one value per row of data")
        object.__setattr__(self, "domain", dom)
        object.__setattr__(self, "_w", w)
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_psu_id", psu_id)
        object.__setattr__(self, "_h_of_psu", h_of_psu)

    # ------------------------------------------------------------------ rows

    @property
    def weights(self) -> np.ndarray:
        """Sampling weights of every row (outside the domain too)."""
        return self._w

    @property
    def n_psu(self) -> int:
        """PSUs in the whole design."""
        return len(self._h_of_psu)

    @property
    def n_strata(self) -> int:
        """Strata in the whole design."""
        return len(np.unique(self._h))

    def subset(self, domain) -> SurveyDesign:
        """The design restricted to a domain (R: ``subset(design, domain)``).

        The rows outside the domain stay in the design (they count for the
        variance and its PSUs), but no estimate uses them. Subsetting twice
        intersects the domains.

        Parameters
        ----------
        domain : str, boolean Series or array-like
            As :func:`domain_mask`.

        Returns
        -------
        SurveyDesign
        """
        mask = domain_mask(domain, self.data)
        return SurveyDesign(self.data, self.weight, self.stratum, self.psu, self.lonely_psu,
                            self.df, self.domain & mask)

    def with_options(self, *, lonely_psu: LonelyPSU | None = None,
                     df: DesignDF | None = None) -> SurveyDesign:
        """The same design and domain with another lonely-PSU rule or df convention."""
        return SurveyDesign(self.data, self.weight, self.stratum, self.psu,
                            self.lonely_psu if lonely_psu is None else lonely_psu,
                            self.df if df is None else df, self.domain)

    def used(self, complete: np.ndarray | None = None) -> np.ndarray:
        """Rows an estimate uses: in the domain, positive weight (and ``complete``)."""
        used = self.domain & (self._w > 0)
        return used if complete is None else used & np.asarray(complete, bool)

    # ------------------------------------------------------ degrees of freedom

    def degf(self, used: np.ndarray | None = None) -> int:
        """PSUs minus strata among the used rows (R: ``degf``).

        Parameters
        ----------
        used : boolean array, optional
            Rows used by the estimate; default :meth:`used`.
        """
        used = self.used() if used is None else used
        ids = self._psu_id[used]
        return int(len(np.unique(ids)) - len(np.unique(self._h_of_psu[ids])))

    def residual_df(self, n_params: int, used: np.ndarray | None = None) -> float:
        """Denominator degrees of freedom of a model with ``n_params`` coefficients.

        ``degf - n_params + 1`` under ``df="r_survey"``, ``degf`` under
        ``df="psu_minus_strata"`` (module notes).
        """
        d = self.degf(used)
        return float(d + 1 - n_params if self.df == "r_survey" else d)

    # ----------------------------------------------------------------- variance

    def variance(self, influence: np.ndarray, used: np.ndarray) -> np.ndarray:
        """Stratified between-PSU covariance of totals (with replacement).

        The one variance routine of :mod:`osteometals.stats`: a linearised
        estimator passes its influence values (for a GLM, ``A^-1`` times the
        weighted scores), one row per *used* observation.

        Parameters
        ----------
        influence : numpy.ndarray
            ``(used.sum(), p)`` influence values of the used rows, in row order.
        used : boolean array
            Which rows of the design they belong to.

        Returns
        -------
        numpy.ndarray
            ``(p, p)`` covariance matrix.

        Raises
        ------
        LonelyPSUError
            A stratum with one PSU holds used rows and ``lonely_psu="fail"``.
        """
        influence = np.asarray(influence, dtype=float)
        if influence.ndim == 1:
            influence = influence[:, None]
        p = influence.shape[1]
        totals = np.zeros((self.n_psu, p))
        np.add.at(totals, self._psu_id[used], influence)
        used_strata = set(np.unique(self._h_of_psu[self._psu_id[used]]))
        V = np.zeros((p, p))
        for h in np.unique(self._h_of_psu):
            t = totals[self._h_of_psu == h]
            n_h = t.shape[0]
            if n_h > 1:
                d = t - t.mean(axis=0)
                V += n_h / (n_h - 1) * d.T @ d
            elif h in used_strata:
                self._lonely(h)
                if self.lonely_psu == "adjust":
                    V += t.T @ t
        return V

    def _lonely(self, h: int) -> None:
        if self.lonely_psu == "fail":
            label = h if self.stratum is None else np.unique(self.data[self.stratum])[h]
            raise LonelyPSUError(
                f"stratum {label} has only one PSU; choose lonely_psu="
                "'adjust', 'certainty' or 'remove'"
            )

    # ---------------------------------------------------------------- bootstrap

    def bootstrap_weights(self, rng: np.random.Generator) -> np.ndarray:
        """One replicate of the Rao-Wu rescaling bootstrap.

        In each stratum ``n_h - 1`` of its ``n_h`` PSUs are drawn with
        replacement; a PSU drawn ``r`` times gets its weights multiplied by
        ``r n_h / (n_h - 1)``, the others by 0 (Rao and Wu 1988, *JASA*
        83:231-241; Rao, Wu and Yue 1992, *Survey Methodology* 18:209-217;
        R: ``as.svrepdesign(design, type = "subbootstrap")``). The standard
        deviation of an estimate over replicates estimates its design-based
        standard error, for smooth estimators without a linearisation.
        Strata with one PSU keep their weights (no variance) unless
        ``lonely_psu="fail"``, which raises if they hold domain rows;
        ``"adjust"`` has no bootstrap counterpart here and is refused.

        Parameters
        ----------
        rng : numpy.random.Generator

        Returns
        -------
        numpy.ndarray
            Replicate weights, one per row of the design.
        """
        if self.lonely_psu == "adjust":
            raise ValueError("lonely_psu='adjust' has no bootstrap counterpart; "
                             "use 'certainty' or 'remove'")
        factor = np.ones(self.n_psu)
        used_strata = set(np.unique(self._h_of_psu[self._psu_id[self.used()]]))
        for h in np.unique(self._h_of_psu):
            members = np.flatnonzero(self._h_of_psu == h)
            n_h = len(members)
            if n_h == 1:
                if h in used_strata:
                    self._lonely(h)
                continue
            draws = rng.integers(0, n_h, n_h - 1)
            counts = np.bincount(draws, minlength=n_h)
            factor[members] = counts * n_h / (n_h - 1)
        return self._w * factor[self._psu_id]


def analysis_rows(data: pd.DataFrame, columns, design: SurveyDesign | None = None
                  ) -> tuple[np.ndarray, list[str]]:
    """Rows an analysis uses: complete in ``columns`` and, with a design, used by it.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : sequence of str
        Columns that must be present.
    design : SurveyDesign, optional
        The design of ``data`` (same index); its domain and zero weights
        exclude rows too.

    Returns
    -------
    (numpy.ndarray, list of str)
        A boolean mask over ``data``'s rows and notes on what was left out.

    Raises
    ------
    KeyError
        A column is not in ``data``.
    ValueError
        The design describes other rows.
    """
    columns = list(dict.fromkeys(columns))
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    keep = data[columns].notna().all(axis=1).to_numpy()
    notes = []
    inside = np.ones(len(data), dtype=bool)
    if design is not None:
        if not design.data.index.equals(data.index):
            raise ValueError("the design must describe the rows of data (same index)")
        inside = design.used()
        if (~inside).any():
            notes.append(f"{int((~inside).sum())} rows outside the design's domain "
                         "(or with zero weight) not analysed")
    dropped = int((inside & ~keep).sum())
    if dropped:
        notes.append(f"{dropped} rows with missing values dropped")
    return keep & inside, notes
