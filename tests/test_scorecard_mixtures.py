"""The paper's mixture statements against quantile g-computation (scorecard.compare_qgcomp).

The paper prints no number for its mixtures: the statements (quoted in
scorecard.MIXTURE_CLAIMS from the Discussion) say that the mixture is
significantly positively related to OP, that Cd is hazardous and Se protective.
"""

import numpy as np
import pandas as pd

from osteometals.paper import scorecard as sc


def _psi(estimate, p, analysis="unweighted", estimator="conditional"):
    return pd.DataFrame([{"term": "psi1", "estimate": estimate, "ci_lower": estimate / 2,
                          "ci_upper": estimate * 2, "p": p, "estimator": estimator,
                          "scale": "log OR", "analysis": analysis}])


def _weights(cd, se):
    return pd.DataFrame({"exposure": ["cd", "se", "pb"], "coefficient": [cd, se, 0.1],
                         "analysis": "unweighted"})


def test_a_significant_positive_mixture_with_harmful_cd_and_protective_se_agrees():
    card = sc.compare_qgcomp(_psi(1.4, 0.01), _weights(0.2, -0.3))
    assert list(card.columns) == [*sc.COLUMNS, "claim"]
    assert (card["verdict"] == "agree").all()
    assert card.set_index("metal").loc["cd", "ours"] == np.exp(0.2)


def test_a_null_mixture_is_judged_against_the_claimed_significance():
    card = sc.compare_qgcomp(_psi(1.2, 0.3), _weights(0.2, -0.3)).set_index("quantity")
    assert card.loc["mixture effect", "verdict"] == "significance differs"
    below = sc.compare_qgcomp(_psi(0.8, 0.3), _weights(0.2, -0.3)).set_index("quantity")
    assert below.loc["mixture effect", "verdict"] == "opposite"


def test_partial_effects_are_judged_on_direction_only():
    card = sc.compare_qgcomp(_psi(1.4, 0.01), _weights(-0.2, 0.3))
    metals = card[card["quantity"] == "partial effect"].set_index("metal")
    assert not metals["same_direction"].any()
    assert metals["significant_ours"].isna().all()
    assert (metals["verdict"] == "opposite, both n.s.").all()


def test_missing_results_leave_every_statement_not_compared():
    card = sc.compare_qgcomp(None, None)
    assert len(card) == len(sc.MIXTURE_CLAIMS)
    assert (card["verdict"] == "not compared").all()
