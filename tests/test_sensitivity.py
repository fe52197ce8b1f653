"""Reruns under other conventions (osteometals.paper.sensitivity), on the synthetic
cohort of test_regression, scored against the paper (osteometals.paper.published)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_regression import synthetic_cohort

from osteometals.paper import scorecard as sc
from osteometals.paper import sensitivity as sens
from osteometals.paper.regression import ModelOptions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reruns():
    variants = (sens.Variant("default", "default", "a"),
                sens.Variant("rank", "rank trend", "a", ModelOptions(trend_score="rank")),
                sens.Variant("other_cohort", "b, unweighted", "b", ModelOptions(weighted=False),
                             ("Table 2",)))
    cohorts = {"a": synthetic_cohort(), "b": synthetic_cohort(500, seed=3)}  # b: unweighted
    return sens.rerun(cohorts, variants, table3_scale="standardised")


def test_every_variant_is_scored_on_its_tables(reruns):
    cards, summary = reruns
    assert set(cards.variant) == {"default", "rank", "other_cohort"}
    assert set(cards.loc[cards.variant == "other_cohort", "table"]) == {"Table 2"}
    assert sens.count(summary, "other_cohort", "Table 2", "OR", "compared") == 45
    assert sens.count(summary, "default", "Table 3", "beta", "compared") == 90
    assert summary.set_index("variant").loc["other_cohort", "n"].iloc[0] == 500
    with pytest.raises(KeyError, match="no Table 3 beta row"):
        sens.count(summary, "other_cohort", "Table 3", "beta")


def test_a_trend_score_changes_only_p_for_trend_verdicts(reruns):
    cards, _ = reruns
    a = cards[cards.variant == "default"].drop(columns="variant")
    b = cards[cards.variant == "rank"].drop(columns="variant")
    changes = sc.verdict_changes(a, b)
    assert set(changes.quantity) <= {"p_trend"}
    counts = sc.change_counts(a, b)
    assert counts.loc[("Table 2", "OR"), ("agree", "change")] == 0


def test_variants_are_found_by_name():
    assert sens.variant("unweighted").options.weighted is False
    assert sens.variant(sens.DEFAULT).options == ModelOptions()
    assert sens.variant("hologic").tables == ("Table 2",)
    with pytest.raises(KeyError, match="the variants are"):
        sens.variant("labels_[4]")
    names = [v.name for v in sens.VARIANTS]
    assert len(names) == len(set(names))


def test_a_missing_cohort_is_named():
    with pytest.raises(KeyError, match="needs the 'hologic' cohort"):
        sens.rerun({"xue2021": pd.DataFrame()}, [sens.variant("hologic")])


def test_changes_count_what_a_variant_moves(reruns):
    cards, _ = reruns
    variants = (sens.Variant("default", "default", "a"),
                sens.Variant("rank", "rank trend", "a", ModelOptions(trend_score="rank")))
    counts, cells = sens.changes(cards, ["rank"], variants=variants)
    assert set(counts.quantity) <= {"p_trend"} and (counts.variant == "rank").all()
    assert set(cells.judgement) <= {"verdict"}
    assert counts.loc[counts.judgement == "verdict", "cells"].sum() == len(cells)


def test_headline_shows_the_cells_under_every_variant(reruns):
    cards, _ = reruns
    table = sens.headline(cards, [("cd", "Q4")])
    assert list(table.columns) == ["cd Q4", "cd P for trend"]
    assert len(table) == 3 * 3  # variants x models
    r = cards[(cards.variant == "default") & (cards.quantity == "OR") & (cards.metal == "cd")
              & (cards.quartile == "Q4") & (cards.model == "Model 1")].iloc[0]
    assert table.loc[("default", "Model 1"), "cd Q4"].startswith(f"{r.ours:.2f} (")
