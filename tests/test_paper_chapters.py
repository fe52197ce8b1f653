"""The chapters of the paper layer (Tables 2-4, discussion, scorecard), found by
topic so that renumbering does not hide one.

* They stay thin (ENGINEERS.md): no function or class defined in a chapter, no
  code cell longer than about 15 lines; logic lives in tested functions in lib/.
* The conventions of :class:`osteometals.paper.regression.ModelOptions` are
  parameters of the regression chapters with the library's defaults, and a
  value the library does not know is refused before any work starts.
"""

from __future__ import annotations

import ast

import jupytext
import pytest

from osteometals.book.chapters import ParameterError, list_chapters
from osteometals.paper.regression import TREND_SCORES, ModelOptions
from osteometals.stats.design import DESIGN_DF

#: Topics (file stem without the number) of the chapters checked here.
TOPICS = ("quartile_odds", "bmd", "subgroups", "discussion", "scorecard")
#: Non-blank lines a code cell may have ("about 15").
MAX_LINES = 15


def _chapters():
    found = {c.name.split("_", 1)[1]: c for c in list_chapters()}
    return [found[t] for t in TOPICS if t in found]


def test_every_topic_is_in_the_book():
    assert [c.name.split("_", 1)[1] for c in _chapters()] == list(TOPICS)


def _code_cells(chapter):
    nb = jupytext.read(chapter.path, fmt="md:myst")
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("chapter", _chapters(), ids=lambda c: c.name)
def test_no_cell_is_longer_than_fifteen_lines(chapter):
    long = []
    for i, cell in enumerate(_code_cells(chapter)):
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if len(lines) > MAX_LINES:
            long.append(f"cell {i} ({len(lines)} lines): {lines[0][:60]}")
    assert long == []


@pytest.mark.parametrize("chapter", _chapters(), ids=lambda c: c.name)
def test_no_function_or_class_is_defined_in_a_chapter(chapter):
    defined = []
    for i, cell in enumerate(_code_cells(chapter)):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                          | ast.Lambda):
                defined.append(f"cell {i}: {type(node).__name__} at line {node.lineno}")
    assert defined == []


#: Chapter topic -> the conventions it takes as parameters.
CONVENTIONS = {"quartile_odds": ("trend_score", "cycle_term", "design_df"),
               "bmd": ("trend_score", "cycle_term", "design_df"),
               "subgroups": ("trend_score", "cycle_term", "design_df")}


@pytest.mark.parametrize("topic", CONVENTIONS)
def test_conventions_are_parameters_with_the_library_defaults(topic):
    chapter = next(c for c in _chapters() if c.name.endswith(topic))
    defaults = ModelOptions()
    for name in CONVENTIONS[topic]:
        param = chapter.parameter(name)
        assert param.default == getattr(defaults, name), f"{chapter.name}.{name}"
    assert chapter.parameter("trend_score").choices == tuple(TREND_SCORES)
    assert chapter.parameter("design_df").choices == DESIGN_DF


@pytest.mark.parametrize("topic", CONVENTIONS)
def test_an_unknown_convention_value_is_refused_by_name(topic):
    chapter = next(c for c in _chapters() if c.name.endswith(topic))
    with pytest.raises(ParameterError, match="trend_score.*choose one of 'median', "
                                             "'ln_median', 'rank'"):
        chapter.validate({"trend_score": "mean"})
    with pytest.raises(ParameterError, match="cycle_term.*expects bool"):
        chapter.validate({"cycle_term": "sometimes"})
