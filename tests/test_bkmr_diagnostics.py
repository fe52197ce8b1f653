"""Convergence diagnostics and results protocol of BKMR fits (``osteometals.stats.bkmr``).

R-hat, ESS and MCSE come from ArviZ. Before the hand-written versions were
removed (``split_rhat``, ``ess``, ``ess_tail`` of ``osteometals/stats/bkmr.py``
at commit 1c6a86f, Vehtari et al. 2021), they were run on the draws below; the
values are pinned here and ArviZ must give them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from osteometals.stats import bkmr
from osteometals.stats.bkmr import diagnostics as dg
from osteometals.stats.results import TIDY_COLUMNS, Summary


def _ar1(seed, C=4, N=500, phi=0.7, shift=0.0):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(C, N))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0] / math.sqrt(1 - phi**2)
    for t in range(1, N):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x + shift * np.arange(C)[:, None]


#: (draws, (R-hat, bulk ESS, tail ESS) of the hand-written functions at commit 1c6a86f)
HAND_WRITTEN = {
    "iid": (lambda: _ar1(1, phi=0.0), (1.0051182208183744, 2008.8884428488338, 1952.5744591520358)),
    "ar1 0.7": (lambda: _ar1(2), (1.0133940972870439, 491.97669009755293, 843.4450665992067)),
    "ar1 0.95": (lambda: _ar1(3, phi=0.95),
                 (1.0874513783776234, 38.81333925814, 184.24313309506374)),
    "two stuck chains": (lambda: _ar1(4, C=2, shift=1.0),
                         (1.0737267121985976, 31.549192812172002, 139.11468296365624)),
    "indicator": (lambda: (np.random.default_rng(5).random((4, 500)) < 0.3).astype(float),
                  (1.0002277286161774, 1803.1998494957747, 1803.1998494957757)),
}


@pytest.mark.parametrize("case", list(HAND_WRITTEN))
def test_arviz_diagnostics_equal_the_removed_hand_written_ones(case):
    make, (rhat, ess_bulk, ess_tail) = HAND_WRITTEN[case]
    x = make()
    # R-hat: the same formula, rounding only
    assert dg.rhat(x) == pytest.approx(rhat, rel=1e-12)
    # ESS: ArviZ truncates Geyer's sequence one lag later than the hand-written
    # version; the two agree to 0.6% (largest: ar1 0.95, 39.04 against 38.81)
    assert dg.ess_bulk(x) == pytest.approx(ess_bulk, rel=0.01)
    assert dg.ess_tail(x) == pytest.approx(ess_tail, rel=1e-9)


def test_constant_draws_have_no_diagnostics():
    x = np.ones((2, 100))
    assert math.isnan(dg.rhat(x)) and math.isnan(dg.ess_bulk(x)) and math.isnan(dg.mcse(x))


def test_rhat_flags_chains_stuck_in_different_places():
    rng = np.random.default_rng(12)
    assert dg.rhat(rng.normal(size=(2, 1000)) + np.array([[0.0], [1.0]])) > 1.1
    # a drifting single chain is caught by splitting it
    assert dg.rhat(rng.normal(size=(1, 1000)) + np.linspace(0, 3, 1000)) > 1.1


@pytest.fixture(scope="module")
def small_fit():
    data, _ = bkmr.simulate(n=120, seed=4)
    return bkmr.fit_mixture(data, n_warmup=100, n_draws=300, thin=3, chains=2, seed=2,
                            sampler="plain", starts="small_r")


def test_a_fit_follows_the_results_protocol(small_fit):
    from osteometals.stats.results import Results

    fit = small_fit
    assert isinstance(fit, Results)
    assert list(fit.tidy().columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert set(fit.params.index) >= {"pip[z1]", "overall[q=0.75]", "lambda", "beta[c1]"}
    ci = fit.conf_int(0.1)
    assert list(ci.columns) == ["lower", "upper"]
    ov = fit.overall(probability=0.9).set_index("quantile").loc[0.75]
    assert ci.loc["overall[q=0.75]", "lower"] == pytest.approx(ov["lower"])
    assert ci.loc["pip[z1]"].isna().all()  # no interval for a PIP
    s = fit.summary()
    assert isinstance(s, Summary) and "beta[c1]" not in s.table.index
    assert any("probit" in n for n in s.notes) and any("unweighted" in n for n in s.notes)


def test_diagnostics_table_covers_the_reported_quantities(small_fit):
    d = small_fit.diagnostics()
    assert set(d["group"]) == {"hyper", "pip", "overall", "univariate"}
    assert (d["group"] == "univariate").sum() == len(small_fit.grid.univariate)
    assert list(d.columns) == ["group", "quantity", "rhat", "ess_bulk", "ess_tail", "mcse"]


def test_draws_convert_to_inference_data_for_arviz_plots(small_fit):
    idata = bkmr.to_inference_data(small_fit)
    post = idata.posterior
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 100
    assert list(post["delta"].coords["exposure"].values) == list(small_fit.exposure_names)
    assert "overall" in post and "loglik" in idata.sample_stats
    np.testing.assert_allclose(post["delta"].mean(("chain", "draw")).values,
                               small_fit.pips()["pip"].to_numpy())


def test_the_guard_rail_fires_when_chains_report_different_pips(small_fit):
    fit = small_fit
    stuck = fit.select_chains([0, 1])
    stuck.draws["delta"] = stuck.draws["delta"].copy()
    stuck.draws["delta"][0, :, 2] = True
    stuck.draws["delta"][1, :, 2] = False
    notes = dg.disagreement_notes(stuck)
    assert len(notes) == 1 and "PIP of z3 ranges from 0.00 to 1.00" in notes[0]
    assert dg.disagreement_notes(fit.select_chains([0])) == []
