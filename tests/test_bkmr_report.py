"""The scorecard's reading of the paper's BKMR claim (osteometals.paper.bkmr_report)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from osteometals.paper import bkmr_report as br
from osteometals.paper import scorecard as sc


def _overall(est75: float, lower75: float, upper75: float) -> pd.DataFrame:
    return pd.DataFrame({"quantile": [0.25, 0.5, 0.6, 0.75], "est": [-0.1, 0.0, 0.05, est75],
                         "lower": [-0.3, 0.0, -0.1, lower75], "upper": [0.1, 0.0, 0.2, upper75]})


def test_a_positive_effect_whose_interval_excludes_zero_agrees_with_the_claim():
    card = br.compare_claim(_overall(0.3, 0.1, 0.5))
    assert list(card.columns) == [*sc.COLUMNS, "claim"]
    assert card.loc[0, "verdict"] == "agree" and card.loc[0, "claim"] == br.BKMR_CLAIM
    # q = 0.6: positive, but the interval includes 0
    assert card.loc[1, "verdict"] == "significance differs"
    assert "same way" in br.claim_text(card) and "excludes 0" in br.claim_text(card)


def test_a_flat_mixture_does_not_reproduce_the_claim():
    card = br.compare_claim(_overall(-0.01, -0.08, 0.07))
    assert card.loc[0, "verdict"] == "opposite"
    assert "other way" in br.claim_text(card) and "includes 0" in br.claim_text(card)


def test_without_a_resolved_posterior_nothing_is_compared():
    card = br.compare_claim(None)
    assert (card["verdict"] == "not compared").all()
    assert "could not be compared" in br.claim_text(card)


def test_the_prose_says_when_the_chains_behind_the_verdict_disagree():
    card = br.compare_claim(_overall(0.3, 0.1, 0.5))
    agree = pd.DataFrame({"pip_chain_min": [0.4, 0.1], "pip_chain_max": [0.6, 0.3]})
    split = pd.DataFrame({"pip_chain_min": [0.11, 0.1], "pip_chain_max": [0.97, 0.3]})
    assert br.chains_agree(agree) and not br.chains_agree(split)
    assert "agree" in br.claim_text(card, agree)
    assert "not a resolved posterior" in br.claim_text(card, split) and "0.86" in br.claim_text(
        card, split)


def _masses(rough_share: float, rough_bound_share: float) -> pd.DataFrame:
    return pd.DataFrame({"region": ["rough", "smooth"], "share": [rough_share, 1 - rough_share],
                         "bound_share": [rough_bound_share, 1.0]})


def test_the_prose_says_when_the_region_masses_resolve_the_posterior():
    card = br.compare_claim(_overall(0.02, -0.14, 0.46))
    pips = pd.DataFrame({"pip_chain_min": [0.2, 0.1], "pip_chain_max": [0.5, 0.3],
                         "rhat": [1.08, 1.02]})
    text = br.claim_text(card, pips, _masses(1.3e-6, 1.3e-5))
    assert "resolved by the region masses: the rough region holds 1e-06" in text
    assert "at most 1e-05 by the bound" in text and "the posterior is the smooth region's" in text
    assert "they agree" in text and "1.08" in text
    # a region that only the estimate calls negligible is not dropped: back to the chains' text
    loose = br.resolution_text(pips, _masses(1e-6, 0.2))
    assert "region masses" not in loose and "agree" in loose
    # an empty masses file (not computed) reads like no masses
    assert br.resolution_text(pips, pd.DataFrame(columns=br.MASS_COLUMNS)) == br.resolution_text(
        pips)


def test_the_r_prior_sensitivity_falls_back_on_the_lower_bound():
    masses = pd.DataFrame({"region": ["rough", "smooth"], "log_mass": [-495.0, -482.0],
                           "log_lower_bound": [float("nan"), -482.5],
                           "log_mass[r_b = 10]": [-484.0, -482.0],
                           "log_mass[r_b = 1000]": [-507.0, float("nan")]})
    sens = br.r_prior_sensitivity(masses)
    assert list(sens.index) == [10.0, 100.0, 1000.0]
    assert sens.loc[10.0, "rough_share"] == pytest.approx(1 / (1 + math.exp(2.0)))
    # r_b = 1000: no smooth estimate, so the share against the lower bound (an upper limit)
    assert sens.loc[1000.0, "rough_share"] == pytest.approx(1 / (1 + math.exp(24.5)))


def test_the_masses_table_shows_tiny_shares_in_scientific_notation():
    masses = pd.DataFrame({c: [0.0, 0.0] for c in br.MASS_COLUMNS})
    masses["region"] = ["rough", "smooth"]
    masses["share"] = [1.3e-6, 1 - 1.3e-6]
    shown = br.masses_display(masses)
    assert shown.loc["rough", "share"] == "1.3e-06"
    assert list(shown.columns)[:2] == ["share", "share (bound)"]


def test_the_mass_sentence_reports_the_bounds_and_the_draws_used():
    from types import SimpleNamespace

    import numpy as np

    masses = pd.DataFrame({"region": ["rough", "smooth"], "share": [1.3e-6, 1.0],
                           "ess": [1.0, 6.5], "n_draws": [20, 20],
                           "log_bound": [-493.1, -478.8], "log_lower_bound": [np.nan, -481.8],
                           "log_prior_mass": [-18.8, 0.0],
                           "max_log_likelihood": [-474.3, -478.8]})
    fit = SimpleNamespace(info=[{"start": "bkmr_default"}, {"start": "small_r"}], n_chains=2,
                          draws={"lambda": np.zeros((2, 120))})
    text = br.mass_text(masses, fit, "smooth")
    assert "holds 1e-06 of the posterior mass" in text and "11.3 log units ahead" in text
    assert "-18.8" in text and "4.5 above the smooth region's" in text
    assert "the 2 chains" in text and "(started at bkmr default, small r), 120 draws" in text
    assert "not weighted" in br.mass_text(masses, fit, None)
    assert "not computed" in br.mass_text(None, fit, None)
