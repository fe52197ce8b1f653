"""Convergence diagnostics of a BKMR fit, from ArviZ, and the multi-start guard rail.

R-hat (rank-normalised split R-hat, the larger of bulk and folded),
bulk and tail effective sample sizes and Monte Carlo standard errors are
those of ArviZ (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021),
always over all chains (a single chain enters as its two halves, which
ArviZ splits again). They replaced hand-written versions; a test checks
that both gave the same values. Draws that never change (an exposure
always in) have no diagnostics: R-hat, ESS and MCSE are NaN.

The guard rail (:func:`disagreement_notes`): chains started in different
places that report different PIPs have not mixed, whatever their R-hat on
other quantities, and the fit says so in its notes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    # arviz 0.2x announces its 1.0 refactor with a FutureWarning on import
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

__all__ = ["rhat", "ess_bulk", "ess_tail", "mcse", "to_inference_data", "diagnostics_table",
           "disagreement_notes", "fit_notes", "PIP_RANGE_WARNING"]

#: A PIP range across chains above this triggers the multi-start warning.
PIP_RANGE_WARNING = 0.5
#: So does an R-hat over all chains above this, of an inclusion indicator, of lambda or of
#: the log likelihood of the latent scores (which differs between regions).
RHAT_WARNING = 1.1


def _as_chains(x) -> np.ndarray:
    """Draws as (chains, draws); one chain becomes its two halves (ArviZ needs two chains)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("draws must be (chains, draws)")
    if x.shape[0] == 1:
        half = x.shape[1] // 2
        x = np.stack([x[0, :half], x[0, x.shape[1] - half:]])
    return x


def _stat(x, fn) -> float:
    x = _as_chains(x)
    if x.shape[1] < 4 or np.ptp(x) == 0:
        return float("nan")
    return float(fn(x))


def rhat(x) -> float:
    """Rank-normalised split R-hat (``arviz.rhat(method="rank")``) of (chains, draws)."""
    return _stat(x, lambda a: az.rhat(a, method="rank"))


def ess_bulk(x) -> float:
    """Bulk effective sample size (``arviz.ess(method="bulk")``) of (chains, draws)."""
    return _stat(x, lambda a: az.ess(a, method="bulk"))


def ess_tail(x) -> float:
    """Tail effective sample size (``arviz.ess(method="tail")``) of (chains, draws)."""
    return _stat(x, lambda a: az.ess(a, method="tail"))


def mcse(x) -> float:
    """Monte Carlo standard error of the mean (``arviz.mcse``) of (chains, draws)."""
    return _stat(x, lambda a: az.mcse(a, method="mean"))


def overall_series(fit, quantiles) -> dict[str, np.ndarray]:
    """Per-chain draws of the overall effect at some quantiles: name -> (chains, S)."""
    H = fit.draws["hnew"]
    ref = H[:, :, fit.grid.reference_row]
    ov = fit.grid.overall
    out = {}
    for q in quantiles:
        sel = ov[np.isclose(ov["quantile"], q)]
        if len(sel):
            out[f"overall effect q={q:.2f}"] = H[:, :, int(sel["row"].iloc[0])] - ref
    return out


def to_inference_data(fit) -> az.InferenceData:
    """The draws of a fit as an ArviZ ``InferenceData`` (for ``arviz.plot_trace`` and friends).

    Posterior variables: ``lambda``; ``delta`` and ``r`` (dimension
    ``exposure``); ``beta`` (``covariate``); ``overall`` (``quantile``, the
    overall effect against the all-median profile); ``n_included``. Sample
    statistics: ``loglik``, ``logprior`` and, for tempered chains,
    ``replica``.

    Parameters
    ----------
    fit : BKMRFit

    Returns
    -------
    arviz.InferenceData
    """
    d = fit.draws
    post = {"lambda": d["lambda"], "delta": d["delta"].astype(float), "r": d["r"],
            "beta": d["beta"], "n_included": d["delta"].sum(-1).astype(float)}
    coords = {"exposure": list(fit.exposure_names), "covariate": list(fit.covariate_names)}
    dims = {"delta": ["exposure"], "r": ["exposure"], "beta": ["covariate"]}
    if "hnew" in d:
        ov = fit.grid.overall
        keep = ov["row"].to_numpy() != fit.grid.reference_row
        ref = d["hnew"][:, :, fit.grid.reference_row]
        post["overall"] = d["hnew"][:, :, ov["row"].to_numpy()[keep]] - ref[:, :, None]
        coords["quantile"] = [float(q) for q in ov["quantile"].to_numpy()[keep]]
        dims["overall"] = ["quantile"]
    stats = {k: d[k] for k in ("loglik", "logprior", "replica") if k in d}
    return az.from_dict(posterior=post, sample_stats=stats, coords=coords, dims=dims)


def _table(name_arrays: list[tuple[str, str, np.ndarray]]) -> pd.DataFrame:
    """Diagnostics of many quantities at once; arrays are (chains, S, k)."""
    rows = []
    for group, prefix, arr in name_arrays:
        if arr.shape[0] == 1:  # one chain: its two halves (as _as_chains)
            half = arr.shape[1] // 2
            arr = np.stack([arr[0, :half], arr[0, arr.shape[1] - half:]])
        const = np.ptp(arr, axis=(0, 1)) == 0
        ds = az.convert_to_dataset({"x": arr})
        with np.errstate(invalid="ignore", divide="ignore"):  # constant draws: NaN below
            res = {
                "rhat": az.rhat(ds, method="rank")["x"].values,
                "ess_bulk": az.ess(ds, method="bulk")["x"].values,
                "ess_tail": az.ess(ds, method="tail")["x"].values,
                "mcse": az.mcse(ds, method="mean")["x"].values,
            }
        for key, vals in res.items():
            res[key] = np.where(const, np.nan, np.atleast_1d(vals))
        for i, label in enumerate(prefix):
            rows.append((group, label, *(res[k][i] for k in ("rhat", "ess_bulk", "ess_tail",
                                                                "mcse"))))
    return pd.DataFrame(rows, columns=["group", "quantity", "rhat", "ess_bulk", "ess_tail",
                                       "mcse"])


def diagnostics_table(fit) -> pd.DataFrame:
    """R-hat, bulk and tail ESS and MCSE of the reported quantities, over all chains.

    Quantities: ``lambda``, each inclusion indicator ``delta[m]`` (its mean
    is the PIP), the overall effect at each quantile, and each point of the
    univariate curves (centred per draw by the reference profile).

    Parameters
    ----------
    fit : BKMRFit

    Returns
    -------
    DataFrame
        ``group``, ``quantity``, ``rhat``, ``ess_bulk``, ``ess_tail``,
        ``mcse``. Constant draws give NaN.
    """
    d = fit.draws
    parts = [("hyper", ["lambda"], d["lambda"][:, :, None]),
             ("pip", [f"delta[{n}]" for n in fit.exposure_names], d["delta"].astype(float))]
    if "hnew" in d:
        H = d["hnew"]
        ref = H[:, :, fit.grid.reference_row][:, :, None]
        ov = fit.grid.overall
        parts.append(("overall", [f"overall[q={q:.2f}]" for q in ov["quantile"]],
                      H[:, :, ov["row"].to_numpy()] - ref))
        uni = fit.grid.univariate
        parts.append(("univariate", [f"h[{n}; z={z:+.3f}]" for n, z in
                                     zip(uni["exposure"], uni["z"], strict=True)],
                      H[:, :, uni["row"].to_numpy()] - ref))
    return _table(parts)


def chain_pips(fit) -> pd.DataFrame:
    """PIP of each exposure in each chain (rows: chains; columns: exposures)."""
    return pd.DataFrame(fit.draws["delta"].mean(1), columns=list(fit.exposure_names))


def disagreement_notes(fit, threshold: float = PIP_RANGE_WARNING,
                       rhat_threshold: float = RHAT_WARNING) -> list[str]:
    """The multi-start warning: a note when the chains disagree.

    The chains disagree when a PIP ranges over more than ``threshold``
    across chains, or when the R-hat over all chains of an inclusion
    indicator, of ``lambda`` or of the log likelihood of the latent scores
    (recorded in ``draws["loglik"]``; it differs between the regions of a
    multimodal posterior) exceeds ``rhat_threshold``.

    Parameters
    ----------
    fit : BKMRFit
    threshold : float
        Largest acceptable range (max - min over chains) of a PIP.
    rhat_threshold : float

    Returns
    -------
    list of str
        Empty when the chains agree (or there is one chain).
    """
    if fit.n_chains < 2:
        return []
    cp = chain_pips(fit)
    spread = cp.max() - cp.min()
    bad = spread[spread > threshold]
    d = fit.draws
    rh = {f"delta[{n}]": rhat(d["delta"][:, :, m].astype(float))
          for m, n in enumerate(fit.exposure_names)}
    rh["lambda"] = rhat(d["lambda"])
    rh["log-likelihood"] = rhat(d["loglik"])
    high = {k: v for k, v in rh.items() if v > rhat_threshold}
    if bad.empty and not high:
        return []
    starts = ", ".join(sorted({str(i.get("start", "")) for i in fit.info}))
    what = []
    if not bad.empty:
        worst = bad.idxmax()
        what.append(f"the PIP of {worst} ranges from {cp[worst].min():.2f} to "
                    f"{cp[worst].max():.2f} across the chains ({len(bad)} of {cp.shape[1]} "
                    f"PIPs range over more than {threshold:g})")
    if high:
        worst = max(high, key=high.get)
        what.append(f"R-hat over all chains is {high[worst]:.2f} for {worst} "
                    f"({len(high)} of {len(rh)} above {rhat_threshold:g})")
    return [f"WARNING: the chains disagree: {'; '.join(what)} ({fit.n_chains} chains; "
            f"starts: {starts}). The chains have not mixed: the posterior may have separated "
            "regions that the sampler does not cross. Do not report these estimates as the "
            "posterior; use the tempered sampler or longer chains."]


def fit_notes(fit) -> list[str]:
    """All caveats of a fit: the standing ones and the multi-start warning."""
    notes = ["unweighted: survey weights and design are not used (bkmr has no weights)",
             "effects of h are on the probit (latent) scale, not odds ratios"]
    if fit.settings.get("method") == "knots":
        notes.append(f"predictive-process approximation with {fit.settings.get('n_knots')} "
                     "knots")
    return notes + disagreement_notes(fit)
