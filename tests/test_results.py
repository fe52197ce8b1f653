"""The shared results protocol (osteometals.stats.results): summaries and tidy frames."""

import pandas as pd
import pytest

from osteometals.stats.results import TIDY_COLUMNS, Summary, tidy_frame


def test_a_summary_prints_its_title_facts_table_and_notes():
    table = pd.DataFrame({"estimate": [0.5]}, index=["x"])
    s = Summary("Logistic regression", {"n": 10, "df": 7.0}, table, ["unweighted"])
    text = str(s)
    assert text.splitlines()[0] == "Logistic regression"
    assert "n: 10" in text and "df: 7" in text and "0.5" in text
    assert text.endswith("Note: unweighted")


def test_a_summary_shows_as_html_in_a_notebook_with_its_notes_escaped():
    s = Summary("WQS <index>", notes=["weights & strata ignored"])
    s.add_note("second")
    page = s._repr_html_()
    assert "<h4>WQS &lt;index&gt;</h4>" in page
    assert "weights &amp; strata ignored" in page and "second" in page


def test_tidy_frames_put_the_fixed_columns_first():
    rows = pd.DataFrame({c: [1.0] for c in reversed(TIDY_COLUMNS)}).assign(n=5)
    assert list(tidy_frame(rows, extra=["n"]).columns) == [*TIDY_COLUMNS, "n"]
    with pytest.raises(KeyError, match="lacks"):
        tidy_frame(rows.drop(columns="se"))
