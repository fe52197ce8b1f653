"""The book at a glance (osteometals.book.glance), on a made-up scorecard."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from osteometals.book import glance  # noqa: E402


def card() -> pd.DataFrame:
    """One made-up scorecard row per headline claim, plus one row of Table 1."""
    rows = []
    verdicts = ["agree", "significance differs", "opposite", "not compared", "agree"]
    for claim, verdict in zip(glance.CLAIMS, verdicts, strict=True):
        row = {c: pd.NA for c in ("metal", "quartile", "model", "outcome", "stratifier",
                                  "stratum")}
        row.update(claim.cell)
        ours = pd.NA if verdict == "not compared" else 1.5
        row.update(published=2.18, published_ci_lower=1.309, published_ci_upper=3.631,
                   published_p=0.003, ours=ours, ours_ci_lower=0.9, ours_ci_upper=2.5,
                   ours_p=0.2, verdict=verdict)
        rows.append(row)
    rows.append({"table": "Table 1", "quantity": "percent", "verdict": pd.NA, "published": 40,
                 "ours": 41})
    return pd.DataFrame(rows)


def test_each_claim_gets_the_papers_number_ours_and_one_word():
    frame = glance.glance(card())
    assert list(frame["key"]) == [c.key for c in glance.CLAIMS]
    assert list(frame["verdict"]) == ["reproduced", "partly", "not reproduced", "not compared",
                                      "reproduced"]
    assert frame.loc[0, "paper"] == "2.18 (1.31, 3.63), P 0.003"
    assert frame.loc[3, "ours"] == "—"


def test_without_robustness_results_a_claim_says_so():
    assert set(glance.glance(card())["robustness"]) == {"no robustness result yet"}


def test_robustness_results_are_shown_for_the_claims_they_cover():
    robust = pd.DataFrame({"claim": ["cd_q4_op"], "n_specs": [1536],
                           "share_sign": [0.912], "share_significant": [0.4]})
    frame = glance.glance(card(), robust)
    assert frame.loc[0, "robustness"] == (
        "91% of 1,536 specifications with the paper's sign, 40% significant")
    assert frame.loc[1, "robustness"] == "no robustness result yet"


def test_a_robustness_file_without_its_columns_is_refused(tmp_path):
    pd.DataFrame({"claim": ["x"]}).to_csv(tmp_path / glance.ROBUSTNESS_FILES[0], index=False)
    with pytest.raises(ValueError, match="lacks the columns"):
        glance.read_robustness(tmp_path)
    assert glance.read_robustness(tmp_path / "none") is None


def test_the_robustness_file_is_found_by_its_columns(tmp_path):
    pd.DataFrame({"spec": [1]}).to_csv(tmp_path / "curve.csv", index=False)
    assert glance.read_robustness(tmp_path) is None
    pd.DataFrame({"claim": ["cd_q4_op"], "n_specs": [10], "share_sign": [1.0],
                  "share_significant": [0.5]}).to_csv(tmp_path / "whatever.csv", index=False)
    assert list(glance.read_robustness(tmp_path)["claim"]) == ["cd_q4_op"]


def test_a_claim_whose_cell_is_missing_from_the_scorecard_fails():
    with pytest.raises(ValueError, match="0 scorecard rows"):
        glance.glance(card().iloc[1:])


def test_the_markdown_table_has_a_caption_links_and_marked_verdicts():
    text = glance.glance_markdown(glance.glance(card()))
    assert text.startswith("```{list-table} The paper's headline claims at a glance")
    assert "{doc}`chapter <chapters/03_quartile_odds>`" in text
    assert "✓ reproduced" in text and "✗ not reproduced" in text


def test_the_sentence_counts_the_verdicts():
    assert glance.summary_sentence(glance.glance(card())) == (
        "Of the paper's 5 headline claims, 2 are reproduced, 1 partly and 1 not reproduced; "
        "1 could not be compared.")


def test_the_figure_counts_every_published_number_once():
    counts = glance.verdict_counts(card())
    assert int(counts.to_numpy().sum()) == len(card())
    fig = glance.verdict_figure(card())
    assert len(fig.axes) == 1
