"""Results of WQS regression: one analysis and the repeated hold-out.

Both follow the results protocol of :mod:`osteometals.stats.results`
(``params``, ``conf_int``, ``cov_params``, ``summary``, ``tidy``, ``notes``).
The terms are the directions (``"positive"``, ``"negative"``): each direction
is its own model, so the covariance of the two index coefficients is not
estimated (off-diagonal ``NaN``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from osteometals.stats.glm import GLMResult
from osteometals.stats.results import Summary, estimate_text, tidy_frame

__all__ = ["WQSHoldoutResult", "WQSResult"]

#: The index column of the validation model.
INDEX_TERM = "wqs"


@dataclass
class WQSResult:
    """Results of :func:`osteometals.stats.wqs.wqs_regression`.

    Attributes
    ----------
    weights : pandas.DataFrame
        Tidy final weights: ``metal``, ``weight``, ``direction``.
    estimates : pandas.DataFrame
        The index coefficient in the validation set, one row per direction:
        ``direction``, ``beta``, ``se``, ``or``, ``ci_lower``, ``ci_upper``,
        ``p``, ``n_train``, ``n_valid``, ``n_boot``, ``n_boot_used`` (95 %
        intervals). For ``binomial`` the interval is on the odds-ratio scale
        (per one-unit increase of the index, i.e. one quantile of every
        exposure); for ``gaussian`` ``or`` is missing and the interval is for
        ``beta``.
    bootstraps : pandas.DataFrame
        One row per bootstrap and direction: the weights (one column per
        exposure), ``b1``, its standard error ``b1_se`` (not ``se``, which
        can be an exposure), ``stat``, ``converged`` and ``used`` (entered
        the average).
    breaks : dict
        Interior quantile cut-points per exposure.
    settings : dict
        The arguments of the fit (family, q, validation, b, signal, ...).
    notes : list of str
        Caveats, e.g. ``"unweighted"``.
    fits : dict
        Direction -> the validation GLM (:class:`~osteometals.stats.glm.GLMResult`,
        design-based when the analysis was weighted), whose coefficient
        ``"wqs"`` is the index.
    """

    weights: pd.DataFrame
    estimates: pd.DataFrame
    bootstraps: pd.DataFrame
    breaks: dict[str, np.ndarray]
    settings: dict
    notes: list[str] = field(default_factory=list)
    fits: dict[str, GLMResult] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------- protocol

    @property
    def params(self) -> pd.Series:
        """Index coefficient (link scale) per direction."""
        return pd.Series({d: f.params[INDEX_TERM] for d, f in self.fits.items()}, name="beta")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Intervals of the index coefficient (link scale), one row per direction."""
        return pd.DataFrame({d: f.conf_int(alpha).loc[INDEX_TERM] for d, f in self.fits.items()}).T

    def cov_params(self) -> pd.DataFrame:
        """Variances of the index coefficients; the directions' covariance is ``NaN``."""
        names = list(self.fits)
        v = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(v, [f.bse[INDEX_TERM] ** 2 for f in self.fits.values()])
        return pd.DataFrame(v, index=names, columns=names)

    def tidy(self, alpha: float = 0.05, exponentiate: bool = False) -> pd.DataFrame:
        """One row per direction; ``exponentiate`` gives odds ratios (binomial).

        Returns
        -------
        pandas.DataFrame
            :data:`~osteometals.stats.results.TIDY_COLUMNS`, then ``df``,
            ``n_train``, ``n_valid``, ``n_boot_used``, ``weighted``.
        """
        rows = []
        for d, f in self.fits.items():
            r = f.tidy(alpha, exponentiate).set_index("term").loc[INDEX_TERM]
            e = self.estimates.set_index("direction").loc[d]
            rows.append({"term": d, **{k: float(r[k]) for k in ("estimate", "se", "statistic", "p",
                                                         "ci_lower", "ci_upper", "df")},
                         "n_train": int(e["n_train"]), "n_valid": int(e["n_valid"]),
                         "n_boot_used": int(e["n_boot_used"]), "weighted": f.weighted})
        return tidy_frame(pd.DataFrame(rows),
                          extra=["df", "n_train", "n_valid", "n_boot_used", "weighted"])

    def summary(self, alpha: float = 0.05) -> Summary:
        """The index estimates with the weights of every metal, and the notes."""
        s = self.settings
        ratio = s["family"] == "binomial"
        table = self.tidy(alpha, exponentiate=ratio).set_index("term")
        table = table.rename(columns={"estimate": "OR" if ratio else "beta"})
        table = table.join(self.weight_table().T.add_prefix("w_"))
        info = {k: s[k] for k in ("family", "q", "validation", "b", "signal", "b1_constr")}
        return Summary("WQS regression", info, table, list(self.notes))

    # ------------------------------------------------------------- helpers

    def weight_table(self) -> pd.DataFrame:
        """Weights wide: one row per metal, one column per direction."""
        return self.weights.pivot(index="metal", columns="direction", values="weight")

    def top_weight(self, direction: str) -> tuple[str, float]:
        """The exposure with the largest weight in a direction, and that weight."""
        w = self.weights[self.weights["direction"] == direction]
        best = w.loc[w["weight"].idxmax()]
        return str(best["metal"]), float(best["weight"])

    def describe(self, direction: str, digits: int = 2) -> str:
        """The index estimate as prose: ``"1.05 (95% CI 0.74-1.48; P = 0.78)"``."""
        r = self.estimates.set_index("direction").loc[direction]
        est = r["or"] if self.settings["family"] == "binomial" else r["beta"]
        return estimate_text(est, r["ci_lower"], r["ci_upper"], r["p"], digits=digits)

    def to_csv(self, output_dir: str | Path, prefix: str = "wqs") -> dict[str, Path]:
        """Write ``<prefix>_weights.csv`` and ``<prefix>_index.csv`` (the estimates).

        Returns
        -------
        dict
            ``{"weights": path, "index": path}``.
        """
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"weights": out / f"{prefix}_weights.csv", "index": out / f"{prefix}_index.csv"}
        self.weights.to_csv(paths["weights"], index=False)
        self.estimates.to_csv(paths["index"], index=False)
        return paths

    def __repr__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


@dataclass
class WQSHoldoutResult:
    """Results of :func:`osteometals.stats.wqs.wqs_repeated_holdout`.

    Attributes
    ----------
    weights : pandas.DataFrame
        Per direction and metal, the distribution of the final weights over
        the repeated splits: ``mean``, ``median``, ``p2_5``, ``p97_5``.
    estimates : pandas.DataFrame
        Per direction, the distribution of the validation-set index
        coefficient: ``beta_mean``, ``or_median``, ``or_p2_5``, ``or_p97_5``
        (odds ratios for ``binomial``), ``share_p05`` (share of splits with
        ``p < 0.05``) and ``n_repeats``.
    repeats : pandas.DataFrame
        Long table: ``repeat``, ``direction``, ``metal``, ``weight``.
    repeat_estimates : pandas.DataFrame
        The :attr:`WQSResult.estimates` of every split, with a ``repeat`` column.
    settings : dict
        Arguments of the fit.
    notes : list of str
        Caveats.
    """

    weights: pd.DataFrame
    estimates: pd.DataFrame
    repeats: pd.DataFrame
    repeat_estimates: pd.DataFrame
    settings: dict
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> pd.Series:
        """Median index coefficient (link scale) over the splits, per direction."""
        r = self.repeat_estimates.groupby("direction", sort=False)["beta"].median()
        return r.rename("beta")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Percentiles ``alpha/2`` and ``1 - alpha/2`` of the coefficient over splits.

        Not a confidence interval: the spread of a single split's estimate.
        """
        g = self.repeat_estimates.groupby("direction", sort=False)["beta"]
        return pd.DataFrame({"lower": g.quantile(alpha / 2), "upper": g.quantile(1 - alpha / 2)})

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per direction: median coefficient, its spread, share of P < 0.05."""
        g = self.repeat_estimates.groupby("direction", sort=False)
        ci = self.conf_int(alpha)
        rows = pd.DataFrame({
            "term": list(ci.index), "estimate": self.params.reindex(ci.index).to_numpy(),
            "se": g["beta"].std().reindex(ci.index).to_numpy(), "statistic": np.nan,
            "p": np.nan, "ci_lower": ci["lower"].to_numpy(), "ci_upper": ci["upper"].to_numpy(),
            "share_p05": g["p"].apply(lambda s: (s < 0.05).mean()).reindex(ci.index).to_numpy(),
            "n_repeats": g.size().reindex(ci.index).to_numpy(),
        })
        return tidy_frame(rows, extra=["share_p05", "n_repeats"])

    def summary(self, alpha: float = 0.05) -> Summary:
        """Weight and coefficient spread over the splits, with the notes."""
        s = self.settings
        info = {k: s[k] for k in ("rh", "b", "q", "validation")}
        table = self.weights.set_index(["direction", "metal"])
        notes = [*self.notes, "se and interval: spread over random splits, not a standard "
                 "error or a confidence interval"]
        return Summary("WQS, repeated hold-out", info, table, notes)

    def to_csv(self, output_dir: str | Path, name: str = "wqs_holdout.csv") -> Path:
        """Write the weight distribution (with the index summary appended as rows).

        Returns
        -------
        pathlib.Path
            The written file: columns ``direction``, ``metal``, ``mean``,
            ``median``, ``p2_5``, ``p97_5``; the index odds ratio appears as
            metal ``"index OR"``.
        """
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        rows = self.estimates.rename(
            columns={"or_median": "median", "or_p2_5": "p2_5", "or_p97_5": "p97_5"}
        ).assign(metal="index OR", mean=np.exp(self.estimates["beta_mean"]))
        cols = ["direction", "metal", "mean", "median", "p2_5", "p97_5"]
        table = pd.concat([self.weights[cols], rows[cols]], ignore_index=True)
        path = out / name
        table.to_csv(path, index=False)
        return path

    def __repr__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        s = self.summary()
        return s.as_html() + self.estimates.round(4).to_html(index=False)
