"""Region masses of BKMR (``stats.bkmr.masses``) on the known-truth problem, and the resolved fit.

The problem is the tempering tests' (``bkmr.bimodal``: one exposure, a
Gaussian outcome with unit noise, n = 300) whose exact masses come from
quadrature (``bimodal_masses``). Its likelihood ``log N(y; 0, I + lambda K)``
is exact, so the tests check the importance sampler itself; on the cohort
the same code runs with the expectation-propagation likelihood
(``evidence.log_marginal_likelihood``, checked against exact orthant
probabilities in test_bkmr_summaries.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from osteometals.stats import bkmr
from osteometals.stats.bkmr import Start
from osteometals.stats.bkmr import masses as ms
from osteometals.stats.bkmr.kernels import cross_kernel, squared_distances
from osteometals.stats.bkmr.simulation import BIMODAL_ROUGH_R, _gauss_ll_batch

ROUGH = Start(np.array([8.0]), np.array([True]), 1.0, "rough")
FLAT = Start(np.array([0.05]), np.array([False]), 1.0, "flat")
PRIORS = bkmr.BKMRPriors()


@pytest.fixture(scope="module")
def problem():
    y, Z = bkmr.bimodal()
    with threadpool_limits(limits=1, user_api="blas"):
        exact = bkmr.bimodal_masses(y, Z, n_r=61, n_lam=61, lam_range=(1e-3, 1e3))
    D = squared_distances(Z, Z)

    def log_likelihood(r, lam):
        K = cross_kernel(np.asarray(r, dtype=float), D)
        return float(_gauss_ll_batch(y, K, np.array([lam]))[0])

    return y, Z, exact, log_likelihood


@pytest.fixture(scope="module")
def stuck(problem):
    """Two plain chains, one started in each region (they barely cross: see test_bkmr_tempering)."""
    y, Z, _, _ = problem
    return bkmr.fit_bkmr(y, Z, family="gaussian", sampler="plain", starts=[ROUGH, FLAT],
                         chains=2, n_warmup=300, n_draws=2000, seed=1, surrogate_knots=None,
                         keep_resid=False, n_jobs=2)


def _masses(fit, log_likelihood, chains=slice(None), seed=0):
    d = fit.draws
    with threadpool_limits(limits=1, user_api="blas"):
        return ms.region_masses(d["r"][chains].reshape(-1, 1), d["delta"][chains].reshape(-1, 1),
                                d["lambda"][chains].reshape(-1), PRIORS, log_likelihood,
                                n_draws=100, rough_r=BIMODAL_ROUGH_R, seed=seed)


def test_the_mass_without_exposures_is_the_exact_one(problem):
    _, _, exact, log_likelihood = problem
    z0 = ms.log_mass_without_exposures(log_likelihood, PRIORS, 1)
    # 13 trapezoid nodes in log lambda against the 61-node quadrature: 4.5e-4 apart
    assert z0 == pytest.approx(math.log(exact["masses"][(0,)]) + exact["log_evidence"],
                               abs=0.01)


def test_the_masses_come_out_right_from_the_draws_of_stuck_plain_chains(problem, stuck):
    """The plain chains' occupancy is not the mass; importance sampling from their draws is.

    Swept over plain-chain seeds 1-10 x importance-sampling seeds 0-3
    (40 runs): the chains' pooled share of rough draws ranged over
    0.02-0.79 (exact 0.324), the estimated share was within 0.064 of the
    exact one, and the smaller of the two ESS was at least 15.
    """
    _, _, exact, log_likelihood = problem
    out = _masses(stuck, log_likelihood).set_index("region")
    assert out.loc["rough", "share"] == pytest.approx(exact["p_rough"], abs=0.12)
    assert out["ess"].min() > 8
    assert out["share"].sum() == pytest.approx(1.0)
    # every weight is at most P(R) p(y | theta) / alpha (the defensive share), so the estimate
    # cannot exceed the bound (P(R) times the largest likelihood tried) by more than 1 / alpha
    assert (out["log_mass"] <= out["log_bound"] - math.log(ms.DEFENSIVE_SHARE) + 1e-9).all()
    log_z = exact["log_evidence"]
    assert out.loc["rough", "log_mass"] == pytest.approx(math.log(exact["p_rough"]) + log_z,
                                                          abs=0.5)


def test_a_region_no_chain_visited_shows_in_a_small_ess(problem, stuck):
    """From the flat chain alone the rough region has only the prior's draws: the ESS says so.

    Where the flat chain never visited the rough region (plain seeds 1, 2,
    4, 7, 10 of the sweep above), its ESS was 1.1-5.0; where a chain had
    visited, at least 13.
    """
    _, _, _, log_likelihood = problem
    flat = stuck.draws
    assert not (flat["delta"][1, :, 0] & (flat["r"][1, :, 0] > BIMODAL_ROUGH_R)).any()
    out = _masses(stuck, log_likelihood, chains=slice(1, 2)).set_index("region")
    assert out.loc["rough", "chain_draws"] == 0
    assert out.loc["rough", "ess"] < 10


def test_the_rough_region_prior_mass_is_the_product_of_its_pieces():
    # all of 5 in (beta-binomial: 1/6), each 1/r ~ U(0, 100) below 1/0.3
    expected = math.log(1 / 6) + 5 * math.log((1 / 0.3) / 100)
    assert ms.log_prior_mass_rough(PRIORS, 5, 0.3) == pytest.approx(expected)
    assert ms.log_prior_mass_rough(PRIORS, 5, 0.001) == pytest.approx(math.log(1 / 6))


def _table(rough_log_mass: float, rough_bound: float) -> pd.DataFrame:
    """A masses table with the smooth region's log mass 0 (the columns resolve_regions reads)."""
    def share(v):
        return math.exp(v) / (1 + math.exp(v))

    return pd.DataFrame({"region": ["rough", "smooth"],
                         "share": [share(rough_log_mass), 1 - share(rough_log_mass)],
                         "bound_share": [share(rough_bound), 1.0]})


def test_resolving_keeps_the_draws_of_the_region_that_holds_the_mass(stuck):
    fit, region = ms.resolve_regions(stuck, _table(-20.0, -12.0), rough_r=BIMODAL_ROUGH_R)
    assert region == "smooth"
    d = fit.draws
    assert not (d["delta"][..., 0] & (d["r"][..., 0] > BIMODAL_ROUGH_R)).any()
    assert fit.notes[0].startswith("resolved by region masses: the rough region holds")
    assert fit.draws["lambda"].shape[0] == len(fit.info) >= 1


def test_a_small_estimate_with_a_large_bound_does_not_drop_a_region(stuck):
    fit, region = ms.resolve_regions(stuck, _table(-20.0, -1.0), rough_r=BIMODAL_ROUGH_R)
    assert region is None
    assert fit.draws["lambda"].shape == stuck.draws["lambda"].shape
    assert fit.notes[-1].startswith("both regions carry posterior mass")


def test_in_region_drops_short_chains_and_equalises_lengths(stuck):
    mask = np.zeros(stuck.draws["lambda"].shape, dtype=bool)
    mask[0, -700:] = True
    mask[1, :900:2] = True  # 450 draws
    fit = stuck.in_region(mask, min_draws=400)
    assert fit.draws["lambda"].shape == (2, 450)
    np.testing.assert_array_equal(fit.draws["lambda"][0], stuck.draws["lambda"][0, -450:])
    assert [i["region_draws"] for i in fit.info] == [700, 450]
    assert stuck.in_region(mask, min_draws=500).n_chains == 1
    with pytest.raises(ValueError, match="no chain has 800 draws in the region"):
        stuck.in_region(mask, min_draws=800)


def test_reweighting_to_another_r_prior_equals_the_exact_masses_under_it(problem, stuck):
    """Masses under ``r_b = 10`` from the draws made for ``r_b = 100``, against quadrature.

    ``r_b = 1000`` reaches ``r`` below the proposal's support in the smooth
    region: NaN there, a valid estimate in the rough one.
    """
    y, Z, _, log_likelihood = problem
    alt = {"r_b = 10": bkmr.BKMRPriors(r_b=10.0), "r_b = 1000": bkmr.BKMRPriors(r_b=1000.0)}
    d = stuck.draws
    with threadpool_limits(limits=1, user_api="blas"):
        out = ms.region_masses(d["r"].reshape(-1, 1), d["delta"].reshape(-1, 1),
                               d["lambda"].reshape(-1), PRIORS, log_likelihood, n_draws=100,
                               rough_r=BIMODAL_ROUGH_R, seed=0, alternatives=alt)
        exact10 = bkmr.bimodal_masses(y, Z, priors=alt["r_b = 10"], n_r=61, n_lam=61,
                                      lam_range=(1e-3, 1e3))
    out = out.set_index("region")
    est = out["log_mass[r_b = 10]"]
    share = math.exp(est["rough"] - np.logaddexp(est["rough"], est["smooth"]))
    assert share == pytest.approx(exact10["p_rough"], abs=0.12)
    assert np.isnan(out.loc["smooth", "log_mass[r_b = 1000]"])
    # the rough region's r prior density scales by 100 / 1000 per metal
    assert out.loc["rough", "log_mass[r_b = 1000]"] == pytest.approx(
        out.loc["rough", "log_mass"] + math.log(0.1))
