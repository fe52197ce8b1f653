"""Chapter 5's BKMR tables and sentences (the statistics are in :mod:`osteometals.stats.bkmr`).

Everything the BKMR part of chapter 5 shows that is more than one call:
tidy tables with the metals' symbols, the table of the "answers" (fits from
different starts and priors side by side), the sentences that report a
number with its interval, the relevance vectors of the evidence scan, and
the CSV files of the resolved posterior that the scorecard and the
discussion read (:func:`write_resolved`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from osteometals.paper import scorecard as sc
from osteometals.stats.bkmr import BKMRFit

__all__ = ["cache_dir", "with_symbols", "fit_tables", "interval_text", "overall_text",
           "answers_table", "claims_rising_effect", "evidence_cases", "compare_fits",
           "compare_text", "write_resolved", "RESOLVED_FILES", "BKMR_CLAIM", "compare_claim",
           "claim_text", "chains_agree", "resolution_text", "resolve_by_mass",
           "R_B_SENSITIVITY", "MASS_COLUMNS", "r_prior_sensitivity", "masses_display",
           "mass_text"]

#: The CSV files of the resolved posterior (see :func:`write_resolved`).
RESOLVED_FILES = {
    "tidy": "bkmr_resolved_tidy.csv",
    "pips": "bkmr_resolved_pips.csv",
    "overall": "bkmr_resolved_overall.csv",
    "single_variable": "bkmr_resolved_single_variable.csv",
    "interactions": "bkmr_resolved_interactions.csv",
    "sections": "bkmr_resolved_sections.csv",
    "cd_se": "bkmr_resolved_cd_se.csv",
    "masses": "bkmr_resolved_masses.csv",
}


def cache_dir() -> Path:
    """Folder of the BKMR draw cache: ``bkmr/`` beside the NHANES download cache.

    By default ``<repo>/data/cache/bkmr`` (git-ignored); follows
    ``$OSTEOMETALS_CACHE`` like the cohort cache.
    """
    from osteometals.nhanes import files

    return Path(files.cache_dir()).parent / "bkmr"


def with_symbols(frame: pd.DataFrame, symbol: dict[str, str], column: str = "exposure",
                 to: str = "metal") -> pd.DataFrame:
    """The frame with a column of chemical symbols beside the exposure keys."""
    return frame.assign(**{to: frame[column].map(symbol)})


def fit_tables(fit: BKMRFit, symbol: dict[str, str], label: str) -> dict[str, pd.DataFrame]:
    """The four result tables of one fit, with symbols and a ``fit`` column.

    Returns
    -------
    dict
        ``pips``, ``univariate``, ``overall``, ``diagnostics``.
    """
    return {
        "pips": with_symbols(fit.pips(), symbol).assign(fit=label),
        "univariate": with_symbols(fit.univariate(), symbol).assign(fit=label),
        "overall": fit.overall().assign(fit=label),
        "diagnostics": fit.diagnostics().assign(fit=label),
    }


def interval_text(row, digits: int = 2) -> str:
    """``"+0.12 (95% CrI -0.05 to +0.30)"`` from a row with ``est``, ``lower``, ``upper``."""
    f = f"{{:+.{digits}f}}"
    return (f"{f.format(row['est'])} (95% CrI {f.format(row['lower'])} to "
            f"{f.format(row['upper'])})")


def overall_text(overall: pd.DataFrame, q: float, digits: int = 3) -> str:
    """The overall effect at quantile ``q``, its interval and whether it excludes 0."""
    r = overall[np.isclose(overall["quantile"], q)].iloc[0]
    side = "excludes 0" if r["lower"] > 0 or r["upper"] < 0 else "includes 0"
    return f"{interval_text(r, digits)[:-1]}; {side})"


def claims_rising_effect(overall: pd.DataFrame) -> bool:
    """Does a fit show the paper's claim: a mixture effect above the median that is positive?

    True when the interval of ``h(all at q) - h(all at median)`` lies above 0
    at some quantile above the median (the paper: "the OP risk significantly
    increased with the heavy metals being higher than the set level").
    """
    upper = overall[overall["quantile"] > 0.5]
    return bool((upper["lower"] > 0).any())


def answers_table(answers: dict[str, BKMRFit], symbol: dict[str, str],
                  metals: list[str]) -> pd.DataFrame:
    """One row per fit: PIPs and the overall effect at the 25th and 75th percentiles.

    Parameters
    ----------
    answers : dict
        Row label -> fit.
    symbol : dict
        Exposure key -> symbol.
    metals : list of str
        Exposure keys, in column order.

    Returns
    -------
    DataFrame
        Index: the labels; columns ``PIP <symbol>`` per metal, ``overall q=0.25``
        and ``overall q=0.75`` (sentences with their intervals), ``rising
        effect`` (:func:`claims_rising_effect`).
    """
    rows = {}
    for label, fit in answers.items():
        pip = fit.pips().set_index("exposure")["pip"]
        ov = fit.overall()
        row = {f"PIP {symbol[m]}": round(float(pip[m]), 2) for m in metals}
        row["overall q=0.25"] = overall_text(ov, 0.25, 2)
        row["overall q=0.75"] = overall_text(ov, 0.75, 2)
        row["rising effect"] = "yes" if claims_rising_effect(ov) else "no"
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def evidence_cases(fits: dict[str, BKMRFit]) -> dict[str, np.ndarray]:
    """Relevance vectors for the evidence scan: each fit's typical ``r``, and none.

    For each fit, the posterior median of every ``r_m`` over the draws
    where exposure ``m`` is in (0 where it is in for fewer than half of the
    draws); plus ``"none in"`` (every ``r_m = 0``: ``h`` a constant).

    Returns
    -------
    dict
        Label -> ``r``.
    """
    out = {}
    for label, fit in fits.items():
        r, d = fit.draws["r"], fit.draws["delta"]
        M = r.shape[-1]
        rr = r.reshape(-1, M)
        dd = d.reshape(-1, M)
        out[label] = np.array([np.median(rr[dd[:, m], m]) if dd[:, m].mean() >= 0.5 else 0.0
                               for m in range(M)])
    out["none in"] = np.zeros(next(iter(fits.values())).draws["r"].shape[-1])
    return out


def compare_fits(fit: BKMRFit, other: BKMRFit, symbol: dict[str, str],
                 metals: list[str]) -> pd.DataFrame:
    """Two fits of the same model by two methods (exact and knots), quantity by quantity.

    Returns
    -------
    DataFrame
        Index ``quantity`` (``curve <symbol>``, ``overall effect``, ``PIP
        <symbol>``); columns ``max |difference|``, ``mean band width``
        (of ``fit``; for a PIP, the width of its Monte Carlo interval),
        ``other inside band`` (share of ``other``'s estimates inside
        ``fit``'s 95% band) and, for the PIPs, ``difference / MC s.e.``.
    """
    ue, uk = fit.univariate(), other.univariate()
    oe, ok = fit.overall(), other.overall()
    rows = []
    for m in metals:
        a, b = ue[ue["exposure"] == m], uk[uk["exposure"] == m]
        est = b["est"].to_numpy()
        rows.append({"quantity": f"curve {symbol[m]}",
                     "max |difference|": np.abs(a["est"].to_numpy() - est).max(),
                     "mean band width": (a["upper"] - a["lower"]).mean(),
                     "other inside band": ((est >= a["lower"].to_numpy())
                                           & (est <= a["upper"].to_numpy())).mean()})
    rows.append({"quantity": "overall effect",
                 "max |difference|": np.abs(oe["est"] - ok["est"]).max(),
                 "mean band width": (oe["upper"] - oe["lower"]).mean(),
                 "other inside band": ((ok["est"] >= oe["lower"] - 1e-9)
                                       & (ok["est"] <= oe["upper"] + 1e-9)).mean()})
    pe, pk = fit.pips().set_index("exposure"), other.pips().set_index("exposure")
    for m in metals:
        diff = abs(pe.loc[m, "pip"] - pk.loc[m, "pip"])
        rows.append({"quantity": f"PIP {symbol[m]}", "max |difference|": diff,
                     "mean band width": 2 * 1.96 * pe.loc[m, "mc_se"],
                     "other inside band": np.nan,
                     "difference / MC s.e.": diff / np.hypot(pe.loc[m, "mc_se"],
                                                             pk.loc[m, "mc_se"])})
    return pd.DataFrame(rows).set_index("quantity")


def compare_text(table: pd.DataFrame, fit: BKMRFit, other: BKMRFit, knots: int) -> str:
    """The paragraph that reads :func:`compare_fits`."""
    curve = table.index.str.startswith("curve")
    z = table["difference / MC s.e."].dropna()
    worst = z.idxmax()
    return (f"With {knots} knots the approximation ran at {other.iterations_per_second:.1f} "
            f"iterations per second per chain against {fit.iterations_per_second:.1f} for "
            f"the exact sampler (and ran longer). The curves differ by at most "
            f"{table.loc[curve, 'max |difference|'].max():.3f} (probit units) and the "
            f"approximate estimates lie inside the exact bands on at least "
            f"{table['other inside band'].min():.0%} of the grid; the largest PIP difference "
            f"is {worst.removeprefix('PIP ')}, {table.loc[worst, 'max |difference|']:.2f}, "
            f"{z.max():.1f} Monte Carlo standard errors.")


def write_resolved(fit: BKMRFit, summaries: dict[str, pd.DataFrame], cd_se: pd.Series,
                   symbol: dict[str, str], output_dir: str | Path,
                   masses: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the resolved posterior's results for the scorecard and the discussion.

    Files (:data:`RESOLVED_FILES`), columns stable:

    * ``bkmr_resolved_tidy.csv``: :meth:`BKMRFit.tidy` (``term``, ``estimate``,
      ``se``, ``statistic``, ``p``, ``ci_lower``, ``ci_upper``, ``group``,
      ``mcse``, ``ess_bulk``, ``rhat``);
    * ``bkmr_resolved_pips.csv``: ``exposure``, ``metal``, ``pip``, ``mc_se``,
      ``ess``, ``rhat``, ``pip_chain_min``, ``pip_chain_max``;
    * ``bkmr_resolved_overall.csv``: ``quantile``, ``est``, ``sd``, ``lower``,
      ``upper``, ``excludes_zero``;
    * ``bkmr_resolved_single_variable.csv``: ``exposure``, ``metal``,
      ``q_fixed``, ``est``, ``sd``, ``lower``, ``upper``, ``excludes_zero``;
    * ``bkmr_resolved_interactions.csv``: ``exposure``, ``metal``, ``est``,
      ``sd``, ``lower``, ``upper``, ``excludes_zero``;
    * ``bkmr_resolved_sections.csv``: ``exposure``, ``by``, ``level``, ``z``,
      ``est``, ``sd``, ``lower``, ``upper``, ``excludes_zero``;
    * ``bkmr_resolved_cd_se.csv``: one row, the Cd x Se interaction
      (``est``, ``sd``, ``lower``, ``upper``, ``excludes_zero``,
      ``effect_low``, ``effect_high``);
    * ``bkmr_resolved_masses.csv``: the region masses of
      :func:`resolve_by_mass` (:data:`MASS_COLUMNS` and the log masses under
      other ``r`` priors), or only the header when ``masses`` is None (not
      computed).

    All effects are on the probit scale, 95% equal-tailed credible intervals.

    Returns
    -------
    dict
        Key of :data:`RESOLVED_FILES` -> path.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    ov = fit.overall()
    ov["excludes_zero"] = (ov["lower"] > 0) | (ov["upper"] < 0)
    frames = {
        "tidy": fit.tidy(),
        "pips": with_symbols(fit.pips(), symbol)[["exposure", "metal", "pip", "mc_se", "ess",
                                                  "rhat", "pip_chain_min", "pip_chain_max"]],
        "overall": ov,
        "single_variable": with_symbols(summaries["risk"], symbol)[
            ["exposure", "metal", "q_fixed", "est", "sd", "lower", "upper", "excludes_zero"]],
        "interactions": with_symbols(summaries["interaction"], symbol)[
            ["exposure", "metal", "est", "sd", "lower", "upper", "excludes_zero"]],
        "sections": summaries["section"][["exposure", "by", "level", "z", "est", "sd", "lower",
                                          "upper", "excludes_zero"]],
        "cd_se": cd_se.to_frame().T[["est", "sd", "lower", "upper", "excludes_zero",
                                     "effect_low", "effect_high"]],
    }
    frames["masses"] = masses if masses is not None else pd.DataFrame(columns=MASS_COLUMNS)
    paths = {}
    for key, frame in frames.items():
        paths[key] = out / RESOLVED_FILES[key]
        frame.to_csv(paths[key], index=False)
    return paths


#: The paper's BKMR statement (Discussion), the only form in which it reports BKMR.
BKMR_CLAIM = "Mixed heavy metals were significantly positively related to OP in BKMR model."


def compare_claim(overall: pd.DataFrame | None, quantiles: tuple[float, ...] = (0.75, 0.6)
                  ) -> pd.DataFrame:
    """The paper's BKMR claim against the overall effect of the resolved posterior.

    The paper prints no number: its claim is a positive mixture effect whose
    interval excludes 0 ("significantly"). Ours is ``h(all metals at q) -
    h(all at their medians)`` (probit scale) of the resolved posterior
    (``bkmr_resolved_overall.csv`` of chapter 5), judged like the scorecard
    judges a statement (:mod:`osteometals.paper.scorecard`): same direction
    when the posterior mean is above 0, "significant" when the 95% credible
    interval excludes 0. A credible interval is not a test, but it is what
    bkmr users read as significance, so it is what the claim is judged on.

    Parameters
    ----------
    overall : pandas.DataFrame or None
        ``quantile``, ``est``, ``lower``, ``upper`` (None: not compared).
    quantiles : tuple of float
        The quantiles above the median judged, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`osteometals.paper.scorecard.COLUMNS` and ``claim``;
        table ``"Mixtures (BKMR)"``, ``published`` empty.
    """
    rows = []
    for q in quantiles:
        row = {"table": "Mixtures (BKMR)", "quantity": "mixture effect",
               "model": f"BKMR multi-start posterior, all metals at q = {q:g} vs median (probit)",
               "reading": "statement, no number printed", "claim": BKMR_CLAIM,
               "significant_published": True}
        hit = (overall[np.isclose(overall["quantile"], q)] if overall is not None
               else pd.DataFrame())
        if hit.empty:
            row["verdict"] = sc._verdict(False, pd.NA, True, pd.NA, False)
        else:
            r = hit.iloc[0]
            same = bool(r["est"] > 0) if r["est"] != 0 else pd.NA
            sig = bool(r["lower"] > 0 or r["upper"] < 0)
            row.update(ours=float(r["est"]), ours_ci_lower=float(r["lower"]),
                       ours_ci_upper=float(r["upper"]), same_direction=same,
                       significant_ours=sig, same_significance=sig,
                       verdict=sc._verdict(True, same, True, sig, False))
        rows.append(row)
    df = pd.DataFrame(rows)
    for c in sc.COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    return df[[*sc.COLUMNS, "claim"]]


def chains_agree(pips: pd.DataFrame, threshold: float = 0.5) -> bool:
    """Do the chains agree? No PIP ranges over more than ``threshold`` between chains.

    ``pips`` has ``pip_chain_min`` and ``pip_chain_max`` (:meth:`BKMRFit.pips`,
    ``bkmr_resolved_pips.csv``); the same rule as the fit's guard rail
    (:func:`osteometals.stats.bkmr.diagnostics.disagreement_notes`).
    """
    return bool(((pips["pip_chain_max"] - pips["pip_chain_min"]) <= threshold).all())


#: Columns of the region masses (:func:`resolve_by_mass`) that every reader may rely on.
MASS_COLUMNS = ["region", "log_mass", "log_mass_se", "ess", "n_draws", "log_prior_mass",
                "max_log_likelihood", "log_bound", "log_lower_bound", "chain_draws", "share",
                "bound_share"]

#: Bounds ``r_b`` of bkmr's ``invunif`` prior on ``r`` for the sensitivity of the region masses.
R_B_SENSITIVITY = (10.0, 1000.0)


def resolve_by_mass(fit: BKMRFit, data, priors, n_draws: int, seed: int,
                    n_jobs: int = 1) -> tuple[BKMRFit, str | None, pd.DataFrame]:
    """Region masses of a probit fit (EP likelihood) and the posterior they resolve.

    Parameters
    ----------
    fit : BKMRFit
        The multi-start fit.
    data : MixtureData
    priors : BKMRPriors
        The fit's priors.
    n_draws : int
        Importance-sampling draws per region (:func:`masses.region_masses`).
    seed : int
    n_jobs : int

    Returns
    -------
    tuple
        ``(resolved, region, masses)``: the fit of :func:`masses.resolve_regions`,
        the region it keeps (None if both carry mass) and the masses table
        with ``log_lower_bound`` (the smooth region's mass is at least that
        of no exposure in, :func:`masses.log_mass_without_exposures`), and
        the log masses under the other bounds :data:`R_B_SENSITIVITY` of the
        ``r`` prior (``log_mass[r_b = 10]``, ...; the lower bound does not
        depend on the ``r`` prior).
    """
    from dataclasses import replace

    from osteometals.stats.bkmr import evidence, masses

    sd = None if priors.beta_prior == "flat" else priors.beta_sd
    loglik = evidence.ep_log_likelihood(data.Z, data.X, data.y, sd)
    run = evidence.joblib_evaluate(n_jobs)
    d = fit.draws
    M = d["r"].shape[-1]
    table = masses.region_masses(d["r"].reshape(-1, M), d["delta"].reshape(-1, M),
                                 d["lambda"].reshape(-1), priors, loglik, n_draws=n_draws,
                                 seed=seed, evaluate=run,
                                 alternatives={f"r_b = {rb:g}": replace(priors, r_b=rb)
                                               for rb in R_B_SENSITIVITY})
    z0 = masses.log_mass_without_exposures(loglik, priors, M, evaluate=run)
    table["log_lower_bound"] = np.where(table["region"] == "smooth", z0, np.nan)
    resolved, region = masses.resolve_regions(fit, table)
    return resolved, region, table


def masses_display(masses: pd.DataFrame) -> pd.DataFrame:
    """The region masses for reading: shares in scientific notation, columns labelled.

    Parameters
    ----------
    masses : DataFrame
        :func:`resolve_by_mass`' table.

    Returns
    -------
    DataFrame
        Indexed by region.
    """
    def sci(x):
        return f"{x:.1e}"  # shares span many orders of magnitude

    cols = {"share": "share", "bound_share": "share (bound)", "log_mass": "log mass",
            "log_mass_se": "rel. SE", "ess": "IS ESS", "log_bound": "upper bound",
            "log_lower_bound": "lower bound", "log_prior_mass": "log prior prob.",
            "chain_draws": "chain draws"}
    out = masses.set_index("region")[list(cols)].copy()
    out["share"] = out["share"].map(sci)
    out["bound_share"] = out["bound_share"].map(sci)
    return out.rename(columns=cols)


def mass_text(masses: pd.DataFrame | None, resolved: BKMRFit, region: str | None) -> str:
    """What the region masses say, and which draws the chapter uses because of it.

    Parameters
    ----------
    masses : DataFrame or None
        :func:`resolve_by_mass`' table; None when not computed.
    resolved : BKMRFit
        The resolved fit (:func:`resolve_by_mass`).
    region : str or None
        The region it keeps, None if both carry mass.
    """
    if masses is None:
        return "The region masses were not computed (`bkmr_evidence = False`)."
    m = masses.set_index("region")
    gap = m.loc["smooth", "log_lower_bound"] - m.loc["rough", "log_bound"]
    lik = m.loc["rough", "max_log_likelihood"] - m.loc["smooth", "max_log_likelihood"]
    out = (f"The rough region holds {m.loc['rough', 'share']:.0e} of the posterior mass by "
           f"importance sampling (ESS {m.loc['rough', 'ess']:.1f} of "
           f"{m.loc['rough', 'n_draws']}), and the bounds alone put the smooth region "
           f"{gap:.1f} log units ahead. The rough region's log prior probability is "
           f"{m.loc['rough', 'log_prior_mass']:.1f}, and the largest log likelihood found in it "
           f"is {abs(lik):.1f} {'above' if lik > 0 else 'below'} the smooth region's. ")
    if region is None:
        return out + ("Both regions carry mass, so the pooled draws of all chains are shown, "
                      "and they are not weighted by it.")
    starts = ", ".join(i["start"].replace("_", " ") for i in resolved.info)
    return out + (f"So the posterior is the {region} region's: below, every figure and table "
                  f"uses the draws there of the {resolved.n_chains} chains that spent at least "
                  f"a quarter of their draws in it (started at {starts}), "
                  f"{resolved.draws['lambda'].shape[1]} draws each.")


def r_prior_sensitivity(masses: pd.DataFrame, r_b: float = 100.0) -> pd.DataFrame:
    """The region masses under each bound ``r_b`` of the ``r`` prior, side by side.

    Parameters
    ----------
    masses : DataFrame
        :func:`resolve_by_mass`' table.
    r_b : float
        The fit's own bound (its column is ``log_mass``).

    Returns
    -------
    DataFrame
        Indexed by ``r_b``: ``rough``, ``smooth`` (log masses; smooth NaN
        where the proposal cannot cover that prior), ``smooth_lower_bound``
        and ``rough_share``: the rough region's share against the smooth
        estimate, or against the lower bound where there is none (then an
        upper limit of the share).
    """
    m = masses.set_index("region")
    cols = {r_b: "log_mass", **{float(c[len("log_mass[r_b = "):-1]): c
                                for c in m.columns if c.startswith("log_mass[r_b = ")}}
    rows = {}
    for rb in sorted(cols):
        rough, smooth = m.loc["rough", cols[rb]], m.loc["smooth", cols[rb]]
        low = m.loc["smooth", "log_lower_bound"]
        ref = low if np.isnan(smooth) else smooth
        rows[rb] = {"rough": rough, "smooth": smooth, "smooth_lower_bound": low,
                    "rough_share": float(np.exp(rough - np.logaddexp(rough, ref)))}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("r_b")


def resolution_text(pips: pd.DataFrame, masses: pd.DataFrame | None = None) -> str:
    """Whether the book's BKMR fit is a resolved posterior, in a sentence or two for the prose.

    Parameters
    ----------
    pips : DataFrame
        The resolved fit's PIPs (:meth:`BKMRFit.pips`, ``bkmr_resolved_pips.csv``).
    masses : DataFrame, optional
        The region masses (:func:`resolve_by_mass`, ``bkmr_resolved_masses.csv``).
    """
    from osteometals.stats.bkmr.masses import NEGLIGIBLE_SHARE

    worst = (pips["pip_chain_max"] - pips["pip_chain_min"]).max()
    agree = chains_agree(pips)
    if masses is not None and not masses.empty:
        m = masses.set_index("region")
        small = [r for r in m.index if m.loc[r, "share"] < NEGLIGIBLE_SHARE
                 and m.loc[r, "bound_share"] < NEGLIGIBLE_SHARE]
        if small:
            lost, kept = small[0], next(r for r in m.index if r != small[0])
            chains = ("they agree: every PIP is within "
                      f"{worst:.2f} across them (largest R-hat of a PIP "
                      f"{pips['rhat'].max():.2f})" if agree else
                      f"they still disagree: a PIP ranges over up to {worst:.2f} between "
                      "them, so more draws are needed within the region")
            return (f"The posterior is resolved by the region masses: the {lost} region holds "
                    f"{m.loc[lost, 'share']:.0e} of the posterior mass by importance sampling "
                    f"and at most {m.loc[lost, 'bound_share']:.0e} by the bound, so the "
                    f"posterior is the {kept} region's, estimated from the draws there of "
                    f"every chain that spent at least a quarter of its draws in it; {chains}.")
    if agree:
        return ("Its chains, started in both regions, agree: every PIP is within 0.5 "
                "across chains.")
    return ("Its chains do not agree at this length: a PIP ranges over up to "
            f"{worst:.2f} between chains started in different regions, so the pooled draws "
            "mix the two regions in proportions the chains have not settled. It is the "
            "book's best estimate, not a resolved posterior; longer chains "
            "(`bkmr_draws`) are the remedy.")


def claim_text(card: pd.DataFrame, pips: pd.DataFrame | None = None,
               masses: pd.DataFrame | None = None) -> str:
    """One sentence: the verdict on the paper's BKMR claim (first row of :func:`compare_claim`).

    With ``pips`` (``bkmr_resolved_pips.csv``) and optionally ``masses``
    (``bkmr_resolved_masses.csv``), a second sentence says how the posterior
    was resolved and whether the chains behind it agree (:func:`resolution_text`).
    """
    if pips is not None:
        return f"{claim_text(card)} {resolution_text(pips, masses)}"
    r = card.iloc[0]
    if pd.isna(r["ours"]):
        return "The paper's BKMR claim could not be compared (no resolved posterior)."
    way = ("the same way as" if not pd.isna(r["same_direction"]) and bool(r["same_direction"])
           else "the other way from")
    interval = "excludes 0" if r["significant_ours"] else "includes 0"
    ours = {"est": r["ours"], "lower": r["ours_ci_lower"], "upper": r["ours_ci_upper"]}
    return (f"In chapter 5's fit of the book's model (normal prior on the covariates' "
            f"coefficients, tempered chains from dispersed starts) the overall effect at the "
            f"75th percentile is "
            f"{interval_text(ours)} on the probit scale: it points {way} the paper's claim "
            f"and its interval {interval} (verdict: {r['verdict']}).")
