"""The chapters' sentences (osteometals.paper.prose) say what the numbers say.

Every input here is a small literal; each test states the number that
decides the wording.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import prose


def test_row_finds_exactly_one_row_or_names_the_keys():
    f = pd.DataFrame({"metal": ["cd", "cd", "se"], "quartile": ["Q3", "Q4", "Q4"],
                      "estimate": [1.1, 2.2, 0.5]})
    assert prose.row(f, metal="cd", quartile="Q4")["estimate"] == 2.2
    with pytest.raises(KeyError, match="0 rows match"):
        prose.row(f, metal="pb")
    with pytest.raises(KeyError, match="2 rows match"):
        prose.row(f, metal="cd")
    with pytest.raises(KeyError, match="no column 'model'"):
        prose.row(f, model="Model 1")


def test_interval_text_leaves_out_what_is_missing():
    assert prose.interval_text(1.8154, 1.0761, 3.0612) == "1.815 (1.076, 3.061)"
    assert prose.interval_text(0.362, 0.155, np.nan, np.nan, digits=2) == "0.36 (0.15, …)"
    assert prose.interval_text(0.5, 0.3, 0.9, 0.0123, 2, p_label="") == "0.50 (0.30, 0.90), 0.012"
    assert prose.interval_text(np.nan) == "not available"
    assert prose.interval_text(2.27, 1.44, 3.59, 0.0002, 2) == "2.27 (1.44, 3.59), P < 0.001"
    assert prose.interval_text(2.27, p=0.0002, p_label="") == "2.270, <0.001"


def test_card_cell_uses_three_decimals_for_betas_and_two_for_odds_ratios():
    r = pd.Series({"quantity": "beta", "ours": -0.0441, "ours_ci_lower": -0.07,
                   "ours_ci_upper": -0.02, "ours_p": 0.001, "published": -0.112,
                   "published_ci_lower": np.nan, "published_ci_upper": np.nan,
                   "published_p": 0.007})
    assert prose.card_cell(r, "ours") == "-0.044 (-0.070, -0.020), P = 0.001"
    assert prose.card_cell(r, "paper") == "-0.112, P = 0.007"
    assert prose.card_cell(r.replace("beta", "OR"), "paper") == "-0.11, P = 0.007"
    with pytest.raises(ValueError):
        prose.card_cell(r, "theirs")


def test_p_phrase_reads_after_a_capital_p():
    assert prose.p_phrase(0.0123) == "= 0.012"
    assert prose.p_phrase(0.0001) == "<0.001"


@pytest.mark.parametrize(("before", "after", "phrase", "share"), [
    (-0.04, -0.01, "shrinks to", ": 75% of the Model 1 difference disappears once these "
                                 "covariates enter."),
    (-0.04, -0.06, "grows to", "."),
    (-0.04, 0.01, "changes sign, to", "."),
])
def test_a_coefficient_between_two_models(before, after, phrase, share):
    assert prose.change_phrase(before, after) == phrase
    assert prose.share_phrase(before, after) == share


def test_comparisons_in_words():
    assert prose.closest({"unweighted": 0.04, "weighted": 0.11}) == "unweighted"
    assert prose.comparison_word(1.05) == "about as wide as"  # within 10%
    assert prose.comparison_word(0.8) == "narrower than"
    assert prose.comparison_word(1.3) == "wider than"
    assert [prose.direction_word(10, x) for x in (12, 8, 10)] == ["raises", "lowers", "leaves"]
    assert [prose.size_word(x, 905) for x in (1198, 800, 905, None)] == [
        "larger", "smaller", "the same size", "of unknown size"]
    assert prose.size_sentence(1198, 905).startswith("Our cohort is larger than the paper's")
    assert "same size" in prose.size_sentence(905, 905)


def test_width_verdict_compares_after_the_sample_size():
    # paper 0.98, ours unweighted 0.80 and design-based 1.00; sqrt(n ratio) 1.15:
    # |log(0.98 / 0.80 / 1.15)| = 0.06 < |log(0.98 / 1.00 / 1.15)| = 0.16
    assert "unweighted" in prose.width_verdict(0.98, 0.80, 1.00, 1.15)
    assert "design-based" in prose.width_verdict(1.15, 0.80, 1.00, 1.15)


def test_significance_status_follows_the_adjusted_model():
    assert prose.significance_status(0.003, 0.2, 0.05) == "no longer significant"
    assert prose.significance_status(0.3, 0.2, 0.05) == "not significant"
    assert prose.significance_status(0.3, 0.01, 0.05) == "still significant"
    assert prose.significance_status(0.003, np.nan, 0.05) == "no longer significant"


def test_significant_models_lists_both_sides():
    text = prose.significant_models({"Model 1": 0.003, "Model 2": 0.037, "Model 3": 0.198}, 0.05)
    assert text == ("In the paper, Q4 is significant at 0.05 in Model 1 and Model 2 "
                    "and not in Model 3.")
    assert "in no model" in prose.significant_models({"Model 1": 0.5}, 0.05)


def test_adjustment_verdict_names_each_pattern():
    assert prose.adjustment_verdict((True, False), (True, False)).startswith(
        "Both analyses therefore say the same thing")
    assert prose.adjustment_verdict((True, True), (True, True)).startswith("Both analyses agree")
    differ = prose.adjustment_verdict((True, False), (False, False))
    assert "paper's association is significant in Model 1 and not significant in Model 3" in differ
    assert "ours is not significant in Model 1 and not significant in Model 3" in differ


def test_interaction_and_weighting_verdicts():
    assert "does not support one" in prose.interaction_verdict(0, 10)
    assert "about 0.5 would reach P < 0.05" in prose.interaction_verdict(2, 10)
    assert prose.heterogeneity_verdict(0, 90).startswith("Without evidence of heterogeneity")
    assert prose.heterogeneity_verdict(1, 90).startswith("Where our tests find heterogeneity")
    assert prose.weighting_verdict(20, 26).startswith("Unweighted fits agree")
    assert prose.weighting_verdict(26, 20).startswith("Design-based fits agree")
    assert prose.weighting_verdict(20, 22) == (
        "Weighting changes the agreement by fewer than 5 cells.")


def test_convention_texts_name_their_parameter_and_refuse_unknown_values():
    assert "trend_score 'ln_median'" in prose.trend_score_text("ln_median")
    assert "cycle_term True adds it" in prose.cycle_text(False)
    assert "PSUs minus strata" in prose.design_df_text("psu_minus_strata")
    with pytest.raises(ValueError, match="choose one of"):
        prose.trend_score_text("mean")
    with pytest.raises(ValueError, match="choose one of"):
        prose.design_df_text("satterthwaite")


def test_scale_sentence_says_what_chose_the_scale():
    text = prose.scale_sentence("standardised", "evidence",
                                {"unstandardised": 3.1, "standardised": 1.04})
    assert text.startswith("Table 3 is judged on the standardised (SPSS \"Beta\") scale, "
                           "the scale the evidence of chapter 4 supports")
    assert "unstandardised (g/cm²) 3.10; standardised (SPSS \"Beta\") 1.04" in text
    assert "table3_scale parameter" in prose.scale_sentence("unstandardised", "parameter", {})
    assert prose.se_change_phrase(-3.0).startswith("smaller")


def test_subgroup_words():
    assert prose.fit_kind(True) == "design-based" and prose.fit_kind(False) == "unweighted"
    assert prose.stratum_phrase("age_group", "50-60") == "women aged 50-60"
    assert prose.stratum_phrase("bmi_group", "<25") == "women with BMI <25"
    with pytest.raises(ValueError):
        prose.stratum_phrase("race", "Other race")
