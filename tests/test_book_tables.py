"""Tables for reading (osteometals.book.tables): what a reader sees in every table.

Frames here are made up; the rules are those of the issue "Pages worth
publishing": no integer index, human labels, sensible digits, "—" / "n/a",
agreement by colour and symbol, caption and source note, scrolling box.
"""

import html
import re

import numpy as np
import pandas as pd
import pytest

from osteometals.book import tables


def cells(table: tables.Table) -> list[list[str]]:
    """The visible text of each body row of the rendered HTML."""
    body = table.as_html().split("<tbody", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    def text(cell: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()

    return [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)] for r in rows]


def headers(table: tables.Table) -> list[str]:
    head = table.as_html().split("<thead", 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>", "", h).strip().replace("\u200b", "")
            for h in re.findall(r"<th[^>]*>(.*?)</th>", head, flags=re.S)]


SUMMARY = pd.DataFrame({
    "table": ["Table 1", "Table 2"],
    "quantity": ["n", "OR"],
    "published": [10, 45],
    "same_direction": [0, 30],
    "direction_comparable": [0, 44],
    "median_ratio": [np.nan, 1.0423],
    "p": [0.0004, 0.0412],
    "verdict": ["agree", "opposite"],
    "ci_overlap": [pd.NA, True],
})


def test_no_integer_index_and_human_labels():
    table = tables.show(SUMMARY, "Counts.")
    assert headers(table) == ["Table", "Quantity", "Paper", "Same direction",
                              "Median ratio (ours / paper)", "P", "Verdict", "CIs overlap"]
    assert cells(table)[0][0] == "Table 1", "the first cell is data, not an index"


def test_a_count_of_agreements_among_no_comparable_cells_reads_n_a():
    rows = cells(tables.show(SUMMARY, "Counts."))
    assert [r[3] for r in rows] == ["n/a", "30 of 44"]


def test_numbers_get_sensible_digits_and_missing_values_a_dash():
    rows = cells(tables.show(SUMMARY, "Counts."))
    assert [r[4] for r in rows] == ["—", "1.04"]
    assert [r[5] for r in rows] == ["<0.001", "0.041"]
    assert [r[2] for r in rows] == ["10", "45"]


def test_verdicts_and_yes_no_carry_a_symbol_and_a_colour():
    html = tables.show(SUMMARY, "Counts.").as_html()
    rows = cells(tables.show(SUMMARY, "Counts."))
    assert [r[6] for r in rows] == ["✓ agrees", "✗ opposite"]
    assert [r[7] for r in rows] == ["n/a", "✓ yes"], "a missing yes/no verdict does not apply"
    assert tables.COLOURS["agree"] in html and tables.COLOURS["differ"] in html


def test_caption_source_note_and_a_box_that_scrolls():
    html = tables.show(SUMMARY, "Counts per table.", source="Source: made up.").as_html()
    assert re.search(r"<table[^>]*>\s*<caption[^>]*>Counts per table\.</caption>", html)
    assert "Source: made up." in html.split("</tbody>")[1]
    assert html.startswith('<div class="om-table">') and "overflow-x:auto" in html


def test_every_css_rule_is_scoped_to_its_own_table():
    table = tables.show(SUMMARY, "Counts.")
    css = re.search(r"<style[^>]*>(.*?)</style>", table.as_html(), flags=re.S).group(1)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors and all(s.startswith(f"#{table.table_id}") for s in selectors), [
        s for s in selectors if not s.startswith(f"#{table.table_id}")]


def test_the_same_table_renders_to_the_same_html():
    assert tables.show(SUMMARY, "Counts.").as_html() == tables.show(SUMMARY, "Counts.").as_html()


def test_a_pivot_becomes_spanners_over_its_sub_columns():
    pivot = pd.DataFrame({"variable": ["age", "age"], "level": ["50-60", ">70"],
                          "op": [0, 1], "published": [40.0, 30.0], "ours": [41.5, 28.25]}
                         ).pivot_table(index=["variable", "level"], columns="op",
                                       values=["published", "ours"])
    html = tables.show(pivot, "Percentages.").as_html()
    assert "gt_column_spanner" in html and ">Paper<" in html and ">Ours<" in html
    assert headers(tables.show(pivot, "Percentages."))[:2] == ["Variable", "Level"]


def test_metal_keys_are_shown_as_symbols():
    rows = cells(tables.show(pd.DataFrame({"metal": ["cd", "se"], "n": [1, 2]}), "Metals."))
    assert [r[0] for r in rows] == ["Cd", "Se"]


def test_side_by_side_puts_the_paper_and_ours_under_their_own_spanners():
    card = pd.DataFrame({
        "metal": ["cd"], "quartile": ["Q4"], "published": [2.18], "published_ci_lower": [1.309],
        "published_ci_upper": [3.631], "published_p": [0.003], "ours": [1.52],
        "ours_ci_lower": [0.9], "ours_ci_upper": [2.571], "ours_p": [0.12],
        "verdict": ["significance differs"]})
    table = tables.side_by_side(card, ["metal", "quartile"], "Cadmium.")
    # first header row: keys, the two spanners, the verdict; second: under the spanners
    assert headers(table) == ["Metal", "Quartile", "Paper", "Ours", "Verdict",
                              "OR (95% CI)", "P", "OR (95% CI)", "P"]
    assert cells(table) == [["Cd", "Q4", "2.18 (1.31, 3.63)", "0.003", "1.52 (0.90, 2.57)",
                             "0.120", "≈ same direction, significance differs"]]


def test_a_table_without_caption_or_with_an_unknown_column_is_refused():
    with pytest.raises(ValueError, match="needs a caption"):
        tables.show(SUMMARY, " ")
    with pytest.raises(ValueError, match="no column"):
        tables.show(SUMMARY, "Counts.", hide=["nope"])


def test_labels_of_unknown_columns_are_made_readable():
    assert tables.label("ci_width") == "CI width"
    assert tables.label("bmd_femur_mean") == "BMD femur mean"


def test_plain_text_repr_has_caption_cells_and_source():
    text = repr(tables.show(SUMMARY, "Counts.", source="Source: made up."))
    assert text.splitlines()[0] == "Counts." and "30 of 44" in text and "Source: made up." in text
