"""bkmr's summaries of h (``osteometals.stats.bkmr.summaries``).

Two kinds of checks:

* against R bkmr 0.2.2 (``tests/reference/bkmr_summaries_fixture.R``, run once,
  outputs committed): the same posterior draws fed to both give the same
  posterior means and standard deviations of ``SingVarRiskSummaries``,
  ``SingVarIntSummaries`` and ``OverallRiskSummaries`` with
  ``method = "exact"``, for a Gaussian and a probit fit;
* on simulated probit data with a known ``h``: with an interaction of z1 and
  z2 the interaction summary of z1 excludes 0, without one it covers 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from osteometals.stats import bkmr
from osteometals.stats.bkmr.summaries import bkmr_summaries, mixture_summary

REF = Path(__file__).parent / "reference"


def _fit_from_r(family: str) -> bkmr.BKMRFit:
    """A BKMRFit holding R bkmr's draws (one chain), for the summary functions."""
    data = pd.read_csv(REF / f"bkmr_summaries_{family}_data.csv")
    draws = pd.read_csv(REF / f"bkmr_summaries_{family}_draws.csv")
    Z = data[[f"z{m}" for m in range(1, 5)]].to_numpy()
    X = data[["x1"]].to_numpy()
    r = draws[[f"r{m}" for m in range(1, 5)]].to_numpy()
    if family == "binomial":
        ytilde = draws[[c for c in draws if c.startswith("ystar")]].to_numpy()
    else:
        ytilde = np.tile(data["y"].to_numpy(), (len(draws), 1))
    resid = ytilde - draws[["beta"]].to_numpy() @ X.T
    names = tuple(f"z{m}" for m in range(1, 5))
    return bkmr.BKMRFit(
        draws={"r": r[None], "delta": (r > 0)[None], "lambda": draws["lambda"].to_numpy()[None],
               "beta": draws[["beta"]].to_numpy()[None], "resid": resid[None],
               "sigsq": draws["sigsq.eps"].to_numpy()[None]},
        grid=bkmr.make_grid(Z, names), exposure_names=names, covariate_names=("x1",),
        info=[], settings={}, Z=Z)


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_risk_and_interaction_summaries_equal_r_bkmr_exact(family):
    fit = _fit_from_r(family)
    S = fit.draws["lambda"].size
    ours = bkmr_summaries(fit, n_samples=S, which=("risk", "interaction"))
    r_risk = pd.read_csv(REF / f"bkmr_summaries_{family}_risk.csv")
    r_int = pd.read_csv(REF / f"bkmr_summaries_{family}_int.csv")
    risk = ours["risk"].set_index(["q_fixed", "exposure"])
    for _, row in r_risk.iterrows():
        got = risk.loc[(row["q.fixed"], row["variable"])]
        # the same draws and the same formulas in double precision: rounding only
        # (R writes 15 significant digits to the CSV)
        assert got["est"] == pytest.approx(row["est"], rel=1e-7, abs=1e-10)
        assert got["sd"] == pytest.approx(row["sd"], rel=1e-7, abs=1e-10)
    inter = ours["interaction"].set_index("exposure")
    for _, row in r_int.iterrows():
        assert inter.loc[row["variable"], "est"] == pytest.approx(row["est"], rel=1e-7,
                                                                  abs=1e-10)
        assert inter.loc[row["variable"], "sd"] == pytest.approx(row["sd"], rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_overall_contrast_equals_r_bkmr_exact(family):
    """The contrast machinery also gives OverallRiskSummaries (all at q minus all at median)."""
    from osteometals.stats.bkmr.summaries import _evaluate, _Plan

    fit = _fit_from_r(family)
    ov = pd.read_csv(REF / f"bkmr_summaries_{family}_overall.csv")
    plan = _Plan()
    med = np.quantile(fit.Z, 0.5, axis=0)
    for q in ov["quantile"]:
        plan.contrast([(np.quantile(fit.Z, q, axis=0), 1.0), (med, -1.0)])
    got = _evaluate(fit, plan, fit.draws["lambda"].size, 0.95)
    np.testing.assert_allclose(got["est"], ov["est"], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(got["sd"], ov["sd"], rtol=1e-7, atol=1e-10)


def test_mixture_quantiles_are_those_of_the_normal_mixture():
    """Equal-tailed limits of (1/2) N(0, 1) + (1/2) N(4, 1): by symmetry about 2, and
    against a direct root of the mixture CDF."""
    from scipy import optimize, stats

    mean = np.array([[0.0], [4.0]])
    var = np.ones((2, 1))
    got = mixture_summary(mean, var, probability=0.9).iloc[0]
    assert got["est"] == pytest.approx(2.0)
    assert got["sd"] == pytest.approx(np.sqrt(1 + 8.0))  # law of total variance, ddof = 1
    cdf = lambda x: 0.5 * (stats.norm.cdf(x) + stats.norm.cdf(x - 4))  # noqa: E731
    assert got["lower"] == pytest.approx(optimize.brentq(lambda x: cdf(x) - 0.05, -10, 10),
                                         abs=1e-7)
    assert got["lower"] + got["upper"] == pytest.approx(4.0, abs=1e-7)


@pytest.fixture(scope="module", params=[0.0, 1.0], ids=["no interaction", "interaction"])
def interaction_fit(request):
    data, h = bkmr.simulate(n=400, seed=31, interaction=request.param)
    fit = bkmr.fit_mixture(data, n_warmup=300, n_draws=1200, thin=4, chains=2, seed=5,
                           sampler="plain", starts="small_r", n_jobs=2)
    return request.param, data, h, fit


def test_interaction_summary_finds_a_known_interaction_and_none_where_there_is_none(
        interaction_fit):
    strength, data, h, fit = interaction_fit
    s = bkmr_summaries(fit, which=("interaction", "risk"))
    z1 = s["interaction"].set_index("exposure").loc["z1"]
    if strength:
        assert z1["lower"] > 0
    else:
        assert z1["lower"] < 0 < z1["upper"]
    # the single-exposure effects of the active z1 exclude 0 at every level of the others
    r1 = s["risk"][s["risk"]["exposure"] == "z1"]
    assert (r1["lower"] > 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ep_marginal_likelihood_is_close_to_the_exact_orthant_probability(seed):
    """At n = 6, p(y | r, lambda) = P(S(f + e) > 0) for f ~ N(0, lam K + s^2 X X'), an
    orthant probability that scipy's Genz-Bretz integration computes to 1e-9. EP is an
    approximation: Kuss and Rasmussen (2005) found it within a fraction of a nat for
    probit GPs; here the errors are 0.0008-0.004 nats, so 0.01 holds by a margin."""
    from scipy import stats

    from osteometals.stats.bkmr import evidence

    rng = np.random.default_rng(seed)
    n = 6
    Z, X = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    y = (rng.random(n) < 0.5).astype(int)
    r, lam, sd = np.array([0.5, 0.2]), 2.0, 1.0
    ep = evidence.log_marginal_likelihood(Z, X, y, r, lam, sd, tol=1e-10)
    K = np.exp(-sum(r[m] * np.subtract.outer(Z[:, m], Z[:, m]) ** 2 for m in range(2)))
    S = np.diag(2 * y - 1.0)
    C = S @ (lam * K + sd**2 * X @ X.T + np.eye(n)) @ S
    exact = np.log(stats.multivariate_normal.cdf(np.zeros(n), np.zeros(n), C, abseps=1e-9,
                                                 releps=1e-9, maxpts=10**7))
    assert ep["converged"] and ep["log_z"] == pytest.approx(exact, abs=0.01)
