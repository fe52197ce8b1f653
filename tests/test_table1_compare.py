"""Chapter 2's comparisons with the paper (osteometals.paper.table1_compare) and the
hypotheses they record in the paper's inconsistencies data.

The paper's numbers: osteometals.paper.published (Peng et al. 2025, Table 1): hypertension
"Yes" 230 + 56 of 905 women, never married 14 + 5.
"""

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes.variables import CATEGORIES
from osteometals.paper import published
from osteometals.paper import table1 as t1
from osteometals.paper import table1_compare as cmp


def test_compare_word_reads_the_direction():
    assert cmp.compare_word(2, 1, "older", "younger") == "older"
    assert cmp.compare_word(1, 2, "older", "younger") == "younger"
    assert cmp.compare_word(1, 1, "older", "younger", "as old") == "as old"


def test_the_papers_prevalence_is_its_yes_counts_over_its_women():
    htn = cmp.paper_prevalence("hypertension")
    assert htn["n"] == 230 + 56 and htn["pct"] == pytest.approx(100 * 286 / 905)
    assert (htn["pct_op0"], htn["pct_op1"]) == (30.9, 34.8)
    assert cmp.paper_prevalence("marital", "Never married")["n"] == 19
    with pytest.raises(KeyError):
        cmp.paper_prevalence("hypertension", "Maybe")


def _definitions(rows):
    cols = ["covariate", "key", "label", "ours", "on_topic", "n_known", "n_yes", "pct",
            "pct_op0", "pct_op1"]
    return cmp.definitions_beside_paper(pd.DataFrame(rows, columns=cols))


def test_definitions_are_set_beside_the_papers_prevalence_and_the_closest_is_flagged():
    d = _definitions([
        ("hypertension", "a", "A told", True, True, 100, 52, 52.0, 50.0, 60.0),
        ("hypertension", "b", "B treated", False, True, 100, 43, 43.0, 40.0, 50.0),
        ("hypertension", "c", "C cholesterol pills", False, False, 100, 31, 31.0, 30.0, 35.0),
    ])
    assert d["paper_pct"].eq(100 * 286 / 905).all()
    assert d["closest"].tolist() == [False, False, True]
    text = cmp.definitions_sentence(d, "hypertension", "blood pressure")
    assert text.startswith("our definition (A told) gives 52.0% against the paper's 31.6%")
    assert "the 2 definitions that ask about blood pressure give 43.0% to 52.0%" in text
    assert "C cholesterol pills" in text and "wrong variable" in text


def test_an_on_topic_closest_definition_raises_no_suspicion():
    d = _definitions([
        ("diabetes", "a", "A told", True, True, 100, 17, 17.3, 18.0, 13.0),
        ("diabetes", "b", "B pills", False, True, 100, 30, 30.0, 30.0, 30.0),
    ])
    text = cmp.definitions_sentence(d, "diabetes", "diabetes")
    assert text.endswith("The closest candidate is A told (17.3%, -0.5 points).")


def _marital(n_h_never, n_p_never, n_other):
    married, widowed, never = CATEGORIES["marital"]
    rows = ([("2013-2014", never)] * n_h_never + [("2017-2020", never)] * n_p_never
            + [("2017-2020", married)] * n_other + [("2013-2014", widowed)] * n_other)
    return pd.DataFrame(rows, columns=["cycle", "marital"])


def test_marital_ratios_under_both_codings():
    data = _marital(25, 70, 500)
    r = cmp.marital_ratios(data).set_index("level")
    assert r.loc["All women", "ratio"] == pytest.approx(905 / len(data))
    assert r.loc["Never married", "ours_n"] == 95 and r.loc["Never married", "ours_slip_n"] == 25
    assert r.loc["Never married", "ratio_slip"] == pytest.approx(19 / 25)
    assert r.loc["Widowed, divorced or separated", "ours_slip_n"] == 500 + 70
    assert "the slip explains the paper's count" in cmp.marital_sentence(cmp.marital_ratios(data))


def test_marital_sentence_can_side_with_the_codebook():
    data = _marital(1, 18, 600)  # 19 never married: the codebook coding matches the paper
    assert "codebook coding explains" in cmp.marital_sentence(cmp.marital_ratios(data))


def test_beside_paper_lines_up_every_printed_cell():
    rng = np.random.default_rng(3)
    n = 120
    data = pd.DataFrame({
        "op": np.r_[np.ones(30, int), np.zeros(90, int)], "weight": rng.uniform(1, 5, n),
        "stratum": np.repeat(np.arange(4), 30), "psu": np.tile(np.repeat([1, 2], 15), 4),
        "smoking": pd.Categorical(rng.choice(["No", "Yes"], n), categories=["No", "Yes"]),
        "cd": rng.lognormal(-0.7, 0.5, n),
    })
    tab = t1.table1(data, categorical=["smoking"], continuous=["cd"])
    side = cmp.beside_paper(tab)
    assert len(side) == len(published.table1())
    smoke = side[(side["variable"] == "History of smoking") & (side["level"] == "Yes")]
    ours = 100 * (data.loc[data.op == 1, "smoking"] == "Yes").mean()
    assert smoke.set_index("group").loc["Osteoporosis", "ours"] == pytest.approx(ours)
    assert side.loc[side["variable"] == "History of diabetes", "ours"].isna().all()


def test_the_two_covariate_hypotheses_are_recorded_not_adopted():
    inc = published.inconsistencies().set_index("id")
    hyp = inc[inc["kind"] == "hypothesis"]
    assert set(hyp.index) == {"hyp_hypertension_variable", "hyp_marital_slip"}
    assert hyp.loc["hyp_hypertension_variable", "printed"] == (
        "Yes: 230 (30.9%) non-OP, 56 (34.8%) OP")
    assert "14 (1.9%)" in hyp.loc["hyp_marital_slip", "printed"]
    assert hyp["description"].str.contains("keeps").all()


def test_the_cohort_sentence_reads_size_and_prevalence_against_the_paper():
    # the paper: 905 women, 17.80% with osteoporosis
    assert cmp.cohort_vs_paper(1198, 16.6) == (
        "Our prevalence differs from the paper's by -1.2 percentage points, and our cohort "
        "is larger than the paper's.")
    assert "smaller than" in cmp.cohort_vs_paper(800, 18.0)
    assert "the same size as" in cmp.cohort_vs_paper(905, 17.8)
