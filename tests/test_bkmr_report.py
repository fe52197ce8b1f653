"""The scorecard's reading of the paper's BKMR claim (osteometals.paper.bkmr_report)."""

from __future__ import annotations

import pandas as pd

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
