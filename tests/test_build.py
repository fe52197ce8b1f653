"""The build pipeline: jupytext -> papermill (parameters injected) -> Jupyter Book.

Runs the real tools on a two-page book made in a temporary folder (the tiny
book of ``tests/conftest.py``), so the mechanics are tested without the NHANES
data.
"""

import json

import pytest

from osteometals.book.build import execute_chapter, render, run_key
from osteometals.book.chapters import load_chapter


@pytest.fixture
def tiny_book(tmp_path, write_tiny_book):
    """The tiny book's sources (``tests/conftest.py``), not yet executed."""
    return write_tiny_book(tmp_path / "book")


def test_parameters_are_injected_and_results_written(tiny_book, tmp_path):
    chapter = load_chapter(tiny_book / "chapters" / "01_tiny.md")
    out = execute_chapter(
        chapter, tmp_path / "run" / "01_tiny.ipynb", tmp_path / "res", {"k": "3"}
    )
    assert (tmp_path / "res" / "table.csv").read_text().splitlines()[1] == "3,plain"
    nb = json.loads(out.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "k = 3" in "".join(injected[0]["source"])


@pytest.mark.slow
def test_executed_chapters_render_to_html_with_glue_and_figure(tiny_book):
    build = tiny_book / "_build"
    chapter = load_chapter(tiny_book / "chapters" / "01_tiny.md")
    execute_chapter(chapter, build / "executed" / "chapters" / "01_tiny.ipynb", build / "results")
    html = (render(build, book_dir=tiny_book) / "chapters" / "01_tiny.html").read_text()
    assert "The square of k is" in html and ">4<" in html.replace(" ", "")
    assert "<table" in html and "<img" in html and "A line." in html


def test_rerun_folders_are_keyed_by_sorted_parameters():
    assert run_key({"seed": 1, "spine_reference": "nhanes"}) == "seed=1,spine_reference=nhanes"
    assert run_key({}) == "defaults"


def test_papermills_unknown_parameter_warning_is_dropped_only_for_declared_parameters(
        tmp_path, caplog):
    """papermill cannot parse ``x: Literal[...] = ...`` and warns that x is unknown;
    chapter 2's ``summary`` is such a parameter, validated by the chapter itself."""
    import logging

    from osteometals.book.build import DeclaredParameterFilter, prepare_lab

    with caplog.at_level(logging.WARNING, logger="papermill"):
        prepare_lab("02", {"summary": "median_iqr"}, runs_dir=tmp_path)
    assert not [r for r in caplog.records if "unknown parameter" in r.getMessage()]

    quiet = DeclaredParameterFilter(["summary"])
    def record(message):
        return logging.LogRecord("papermill", logging.WARNING, __file__, 1, message, None, None)
    assert not quiet.filter(record("Passed unknown parameter: summary"))
    assert quiet.filter(record("Passed unknown parameter: sumary"))
    assert quiet.filter(record("Input Notebook:  summary.ipynb"))
