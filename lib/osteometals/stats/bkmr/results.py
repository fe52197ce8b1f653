"""The results of a BKMR fit: :class:`BKMRFit`, in the shared results protocol.

Like every model of :mod:`osteometals.stats` (see
:mod:`osteometals.stats.results`), a fit offers ``params``, ``conf_int``,
``summary()``, ``tidy()`` and ``notes``. The terms are the posterior
inclusion probabilities ``pip[<exposure>]``, the overall mixture effect
``overall[q=<q>]`` (``h`` with every exposure at quantile ``q`` minus ``h``
with every exposure at its median), ``lambda`` and the covariate
coefficients ``beta[<covariate>]``; estimates are posterior means, ``se`` the
posterior standard deviation and intervals equal-tailed credible intervals
(none for a PIP, the mean of a 0/1 indicator). Every effect is on the probit
(latent) scale.

Besides the protocol: the figures' tables (:meth:`BKMRFit.univariate`,
:meth:`BKMRFit.overall`, :meth:`BKMRFit.pips`), the convergence diagnostics
(:meth:`BKMRFit.diagnostics`, from ArviZ) and the bkmr-style summaries of
:mod:`.summaries` (:meth:`BKMRFit.single_variable_risks`, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from osteometals.stats.results import Summary, tidy_frame

from . import diagnostics as dg
from .data import PredictionGrid

__all__ = ["BKMRFit"]


def _interval(x: np.ndarray, alpha: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return np.quantile(x, alpha / 2, axis=axis), np.quantile(x, 1 - alpha / 2, axis=axis)


@dataclass
class BKMRFit:
    """Posterior draws of a probit BKMR fit and their summaries.

    Attributes
    ----------
    draws : dict of ndarray
        Per chain and kept draw: ``lambda`` (chains, S), ``r`` and ``delta``
        (chains, S, M), ``beta`` (chains, S, p), ``loglik`` (collapsed
        log-likelihood of the latent scores), ``logprior`` (of ``(r, delta,
        lambda)``), ``replica`` (tempered chains: which replica was at
        temperature 1), ``hnew`` (chains, S, q): joint posterior draws of
        ``h`` at ``grid.Znew``, and ``resid`` (chains, S, n): ``z - C beta``,
        from which :mod:`.summaries` computes ``h`` anywhere.
    grid : PredictionGrid
    exposure_names, covariate_names : tuple of str
    info : list of dict
        Per chain: seconds, iterations, start, temperatures, acceptance
        rates, final proposal scales, swap acceptance (see
        :class:`.chains.ChainResult`).
    settings : dict
        Iterations, thinning, seed, starts, sampler, method, knots.
    Z : ndarray, shape (n, M)
        The exposures of the fit (for the summaries).
    log_mean, log_sd : ndarray
        Log-scale centring of the exposures (for concentration units).
    notes : list of str
        Caveats, including the multi-start warning of
        :func:`.diagnostics.disagreement_notes`.
    """

    draws: dict
    grid: PredictionGrid
    exposure_names: tuple
    covariate_names: tuple
    info: list
    settings: dict
    Z: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    log_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    log_sd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    notes: list = field(default_factory=list)

    # ------------------------------------------------------------------
    # bookkeeping
    # ------------------------------------------------------------------
    @property
    def n_chains(self) -> int:
        """Number of chains."""
        return self.draws["lambda"].shape[0]

    @property
    def iterations_per_second(self) -> float:
        """Speed of one chain: iterations (warm-up included) per second of its run time.

        Computed as all chains' iterations over all chains' seconds, so chains
        run in parallel are not double-counted. A tempered iteration sweeps
        every temperature once.
        """
        it = sum(i["iterations"] for i in self.info)
        sec = sum(i["seconds"] for i in self.info)
        return it / sec

    def select_chains(self, chains) -> BKMRFit:
        """The fit restricted to some chains (e.g. those started in one region).

        Parameters
        ----------
        chains : sequence of int

        Returns
        -------
        BKMRFit
            Notes are recomputed for the chains kept.
        """
        idx = list(chains)
        if not idx:
            raise ValueError("select at least one chain")
        draws = {k: v[idx] for k, v in self.draws.items()}
        fit = replace(self, draws=draws, info=[self.info[i] for i in idx], notes=[])
        fit.notes = dg.fit_notes(fit)
        return fit

    def in_region(self, mask: np.ndarray, min_draws: int | None = None,
                  note: str | None = None) -> BKMRFit:
        """The fit restricted to the draws in one region of the posterior.

        Each chain keeps its draws where ``mask`` is true; chains with fewer
        than ``min_draws`` of them are dropped, and the others keep their
        last ``L`` such draws, ``L`` the fewest any kept chain has (ArviZ's
        diagnostics need chains of one length).

        Parameters
        ----------
        mask : ndarray of bool, shape (chains, draws)
        min_draws : int, optional
            Default: a quarter of a chain's kept draws.
        note : str, optional
            Added to the recomputed notes (say why the fit was restricted).

        Returns
        -------
        BKMRFit
            ``info[c]["region_draws"]`` holds each kept chain's draws in the
            region before truncation.
        """
        mask = np.asarray(mask, dtype=bool)
        S = mask.shape[1]
        min_draws = max(2, S // 4) if min_draws is None else min_draws
        counts = mask.sum(1)
        keep = [c for c in range(self.n_chains) if counts[c] >= min_draws]
        if not keep:
            raise ValueError(f"no chain has {min_draws} draws in the region "
                             f"(counts per chain: {counts.tolist()})")
        length = int(min(counts[c] for c in keep))
        idx = [np.flatnonzero(mask[c])[-length:] for c in keep]
        draws = {k: np.stack([v[c][i] for c, i in zip(keep, idx, strict=True)])
                 for k, v in self.draws.items()}
        info = [{**self.info[c], "region_draws": int(counts[c])} for c in keep]
        fit = replace(self, draws=draws, info=info, notes=[])
        fit.notes = ([note] if note else []) + dg.fit_notes(fit)
        return fit

    def _h(self) -> tuple[np.ndarray, np.ndarray]:
        """Pooled draws of ``h`` at the grid (S_total, q) and at the reference (S_total,)."""
        if "hnew" not in self.draws:
            raise ValueError("this fit kept no draws of h at a grid")
        H = self.draws["hnew"].reshape(-1, self.draws["hnew"].shape[-1])
        return H, H[:, self.grid.reference_row]

    # ------------------------------------------------------------------
    # the figures' tables
    # ------------------------------------------------------------------
    def pips(self) -> pd.DataFrame:
        """Posterior inclusion probabilities (posterior mean of ``delta_m``).

        Returns
        -------
        DataFrame
            ``exposure``, ``pip``, ``mc_se`` (Monte Carlo standard error from
            the effective sample size), ``ess``, ``rhat``, and the lowest and
            highest PIP of a single chain (``pip_chain_min``, ``pip_chain_max``).
        """
        d = self.draws["delta"].astype(float)
        rows = []
        for m, name in enumerate(self.exposure_names):
            x = d[:, :, m]
            e = dg.ess_bulk(x)
            pip = float(x.mean())
            se = math.sqrt(pip * (1 - pip) / e) if e > 0 and np.isfinite(e) else float("nan")
            per_chain = x.mean(1)
            rows.append((name, pip, se, e, dg.rhat(x), per_chain.min(), per_chain.max()))
        return pd.DataFrame(rows, columns=["exposure", "pip", "mc_se", "ess", "rhat",
                                           "pip_chain_min", "pip_chain_max"])

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
        H, href = self._h()
        alpha = 1 - probability
        parts = []
        for m, name in enumerate(self.exposure_names):
            g = self.grid.univariate[self.grid.univariate["exposure"] == name]
            hd = H[:, g["row"].to_numpy()]
            mean = hd.mean(0)
            shift = mean.mean()
            lo, hi = _interval(hd, alpha)
            clo, chi = _interval(hd - href[:, None], alpha)
            back = href.mean() - shift  # puts h(z) - h(ref) on the centred scale
            conc = (np.exp(self.log_mean[m] + g["z"].to_numpy() * self.log_sd[m])
                    if len(self.log_mean) else np.full(len(g), np.nan))
            parts.append(pd.DataFrame({
                "exposure": name, "z": g["z"].to_numpy(), "concentration": conc,
                "est": mean - shift, "sd": hd.std(0, ddof=1),
                "lower": lo - shift, "upper": hi - shift,
                "lower_vs_median": clo + back, "upper_vs_median": chi + back,
            }))
        return pd.concat(parts, ignore_index=True)

    def curve_summary(self, probability: float = 0.95) -> pd.DataFrame:
        """One line per univariate curve: its rise over the range, and where it departs from flat.

        Parameters
        ----------
        probability : float
            Level of the credible intervals of the rise and of the contrasts.

        Returns
        -------
        DataFrame
            ``exposure``; ``rise``, ``rise_lower``, ``rise_upper``: posterior
            mean and credible interval of ``h(highest) - h(lowest)`` with the
            other exposures at their medians; ``share_departs``: share of the
            grid where the interval of ``h(z) - h(all at median)`` excludes 0.
        """
        H, href = self._h()
        alpha = 1 - probability
        rows = []
        for name in self.exposure_names:
            g = self.grid.univariate[self.grid.univariate["exposure"] == name]
            hd = H[:, g["row"].to_numpy()]
            rise = hd[:, -1] - hd[:, 0]
            lo, hi = _interval(hd - href[:, None], alpha)
            r_lo, r_hi = _interval(rise, alpha)
            rows.append((name, rise.mean(), r_lo, r_hi, float(np.mean((lo > 0) | (hi < 0)))))
        return pd.DataFrame(
            rows, columns=["exposure", "rise", "rise_lower", "rise_upper", "share_departs"])

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
        H, ref = self._h()
        diff = H[:, self.grid.overall["row"].to_numpy()] - ref[:, None]
        lo, hi = _interval(diff, 1 - probability)
        return pd.DataFrame({"quantile": self.grid.overall["quantile"].to_numpy(),
                             "est": diff.mean(0), "sd": diff.std(0, ddof=1),
                             "lower": lo, "upper": hi})

    def traces(self) -> pd.DataFrame:
        """Long table of traces for plotting: lambda, number included, log-likelihood, overall.

        Returns
        -------
        DataFrame
            ``chain``, ``draw``, ``quantity``, ``value``.
        """
        C, S = self.draws["lambda"].shape
        series = {"lambda": self.draws["lambda"],
                  "included exposures": self.draws["delta"].sum(-1).astype(float),
                  "log-likelihood": self.draws["loglik"]}
        series.update(dg.overall_series(self, (0.25, 0.75)))
        parts = [pd.DataFrame({"chain": c, "draw": np.arange(S), "quantity": name,
                               "value": arr[c]})
                 for name, arr in series.items() for c in range(C)]
        return pd.concat(parts, ignore_index=True)

    def diagnostics(self) -> pd.DataFrame:
        """R-hat, bulk and tail ESS and MCSE of the reported quantities, from ArviZ.

        See :func:`.diagnostics.diagnostics_table`.
        """
        return dg.diagnostics_table(self)

    # ------------------------------------------------------------------
    # the results protocol
    # ------------------------------------------------------------------
    def _term_draws(self) -> dict[str, tuple[str, np.ndarray]]:
        """Term -> (group, pooled draws)."""
        out = {}
        d = self.draws["delta"].reshape(-1, len(self.exposure_names)).astype(float)
        for m, name in enumerate(self.exposure_names):
            out[f"pip[{name}]"] = ("pip", d[:, m])
        if "hnew" in self.draws:
            H, ref = self._h()
            for q, row in zip(self.grid.overall["quantile"], self.grid.overall["row"],
                              strict=True):
                if row != self.grid.reference_row:
                    out[f"overall[q={q:.2f}]"] = ("overall", H[:, row] - ref)
        out["lambda"] = ("hyper", self.draws["lambda"].reshape(-1))
        B = self.draws["beta"].reshape(-1, len(self.covariate_names))
        for j, name in enumerate(self.covariate_names):
            out[f"beta[{name}]"] = ("beta", B[:, j])
        return out

    @property
    def params(self) -> pd.Series:
        """Posterior means of the terms (see the module docstring)."""
        return pd.Series({k: float(v.mean()) for k, (_, v) in self._term_draws().items()})

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Equal-tailed ``1 - alpha`` credible intervals of the terms.

        The ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the pooled draws,
        in a frame with columns ``lower`` and ``upper`` indexed by term; NaN
        for the PIPs (the mean of a 0/1 indicator has no such interval).
        """
        rows = {}
        for k, (group, v) in self._term_draws().items():
            rows[k] = (np.nan, np.nan) if group == "pip" else _interval(v, alpha)
        return pd.DataFrame.from_dict(rows, orient="index", columns=["lower", "upper"])

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term: :data:`~osteometals.stats.results.TIDY_COLUMNS`, then more.

        ``statistic`` and ``p`` are NaN (no test statistic in a Bayesian
        fit); after them come ``group`` (pip, overall, hyper, beta),
        ``mcse`` (Monte Carlo standard error of the mean), ``ess_bulk`` and
        ``rhat`` (ArviZ, over all chains).

        Parameters
        ----------
        alpha : float

        Returns
        -------
        DataFrame
        """
        terms = self._term_draws()
        ci = self.conf_int(alpha)
        C = self.n_chains
        rows = []
        for k, (group, v) in terms.items():
            chains = v.reshape(C, -1)
            rows.append({"term": k, "estimate": float(v.mean()), "se": float(v.std(ddof=1)),
                         "statistic": np.nan, "p": np.nan, "ci_lower": ci.loc[k, "lower"],
                         "ci_upper": ci.loc[k, "upper"], "group": group,
                         "mcse": dg.mcse(chains), "ess_bulk": dg.ess_bulk(chains),
                         "rhat": dg.rhat(chains)})
        return tidy_frame(pd.DataFrame(rows), extra=["group", "mcse", "ess_bulk", "rhat"])

    def summary(self, alpha: float = 0.05) -> Summary:
        """A printable and notebook-displayable summary (the terms without the betas).

        Parameters
        ----------
        alpha : float

        Returns
        -------
        osteometals.stats.results.Summary
        """
        s = self.settings
        info = {"n": s.get("n"), "exposures": len(self.exposure_names),
                "covariates": len(self.covariate_names), "chains": self.n_chains,
                "starts": s.get("starts"), "sampler": s.get("sampler"),
                "temperatures": len(s.get("temperatures", (1.0,))),
                "kept draws": int(self.draws["lambda"].size), "method": s.get("method")}
        table = self.tidy(alpha)
        table = table[table["group"] != "beta"].set_index("term")
        table = table[["estimate", "se", "ci_lower", "ci_upper", "mcse", "ess_bulk", "rhat"]]
        return Summary("Probit BKMR with component-wise variable selection", info, table,
                       list(self.notes))

    def to_csv(self, output_dir: str | Path, prefix: str = "bkmr") -> dict[str, Path]:
        """Save :meth:`tidy` as ``<prefix>_tidy.csv`` and :meth:`pips` as ``<prefix>_pips.csv``.

        The folder ``output_dir`` is created if it does not exist; returns
        ``{"tidy": path, "pips": path}``.
        """
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"tidy": out / f"{prefix}_tidy.csv", "pips": out / f"{prefix}_pips.csv"}
        self.tidy().to_csv(paths["tidy"], index=False)
        self.pips().to_csv(paths["pips"], index=False)
        return paths

    # ------------------------------------------------------------------
    # bkmr-style summaries (see .summaries)
    # ------------------------------------------------------------------
    def single_variable_risks(self, **kwargs) -> pd.DataFrame:
        """bkmr ``SingVarRiskSummaries``; see :func:`.summaries.single_variable_risks`."""
        from .summaries import single_variable_risks

        return single_variable_risks(self, **kwargs)

    def single_variable_interactions(self, **kwargs) -> pd.DataFrame:
        """bkmr ``SingVarIntSummaries``; see :func:`.summaries.single_variable_interactions`."""
        from .summaries import single_variable_interactions

        return single_variable_interactions(self, **kwargs)

    def bivariate_sections(self, **kwargs) -> pd.DataFrame:
        """bkmr ``PredictorResponseBivarLevels``; see :func:`.summaries.bivariate_sections`."""
        from .summaries import bivariate_sections

        return bivariate_sections(self, **kwargs)
