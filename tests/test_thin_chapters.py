"""Chapters stay thin (ENGINEERS.md): no function or class defined in a chapter, no
code cell longer than about 15 lines; logic lives in tested functions in lib/.

Checked here for the chapters of the paper layer (Tables 2-4, discussion,
scorecard), found by topic so that renumbering does not hide one.
"""

from __future__ import annotations

import ast

import jupytext
import pytest

from osteometals.book.chapters import list_chapters

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
