"""Smoke test of the real built book (``make book``), without a browser.

Checks the files the build leaves behind: the front pages, one HTML page per
chapter, the tables and figures each chapter's notebook made, each chapter's
results CSVs, and that no page shows a Python traceback or a papermill error.
A missing book is a failure, not a skip: ``make test`` runs after ``make book``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from osteometals.book.build import BUILD_DIR
from osteometals.book.chapters import list_chapters

pytestmark = pytest.mark.book

HTML_DIR = BUILD_DIR / "html"
EXECUTED_DIR = BUILD_DIR / "executed" / "chapters"
RESULTS_DIR = BUILD_DIR / "results"

#: Text that only an execution error puts in a page.
ERROR_MARKERS = (
    "Traceback (most recent call last)",
    "An Exception was encountered at",  # papermill's banner above a failed cell
    "papermill-error-cell",  # papermill's anchor and tag for that cell
    'class="output traceback',  # myst-nb's rendering of an error output
)

PNG_IMAGE = re.compile(r"<img\b[^>]*\bsrc=\"[^\"]+\.png\"", re.IGNORECASE)


@pytest.fixture(scope="module")
def html_dir() -> Path:
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(f"no built book in {HTML_DIR}: run `make book` first", pytrace=False)
    return HTML_DIR


@pytest.fixture(scope="module")
def chapters():
    found = list_chapters()
    assert found, "no chapters in book/chapters"
    return found


def notebook_shows(notebook: Path) -> set[str]:
    """What a chapter's executed notebook displays: ``{"table", "figure"}`` or less.

    Outputs stored only for ``glue`` (``scrapbook`` metadata) are left out:
    they appear in the book only where a ``{glue:...}`` role puts them.
    """
    shown = set()
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            if "scrapbook" in output.get("metadata", {}):
                continue
            data = output.get("data", {})
            if "<table" in "".join(data.get("text/html", "")):
                shown.add("table")
            if "image/png" in data:
                shown.add("figure")
    return shown


def test_front_pages_exist(html_dir):
    assert (html_dir / "index.html").is_file() and (html_dir / "intro.html").is_file()
    assert (html_dir / "search.html").is_file() and (html_dir / "searchindex.js").is_file()


def test_every_chapter_has_a_page(html_dir, chapters):
    missing = [c.name for c in chapters if not (html_dir / "chapters" / f"{c.name}.html").is_file()]
    assert missing == [], f"chapters without an HTML page: {missing}"


def test_each_page_shows_the_tables_and_figures_its_notebook_made(html_dir, chapters):
    lost = []
    for chapter in chapters:
        notebook = EXECUTED_DIR / f"{chapter.name}.ipynb"
        assert notebook.is_file(), f"{chapter.name} was not executed: run `make book` first"
        page = (html_dir / "chapters" / f"{chapter.name}.html").read_text(encoding="utf-8")
        shown = notebook_shows(notebook)
        if "table" in shown and "<table" not in page:
            lost.append(f"{chapter.name}: table")
        if "figure" in shown and not PNG_IMAGE.search(page):
            lost.append(f"{chapter.name}: figure")
    assert lost == [], f"made by the notebook but missing from the page: {lost}"


def test_every_chapter_wrote_a_non_empty_results_csv(html_dir, chapters):
    without = []
    for chapter in chapters:
        csvs = sorted((RESULTS_DIR / chapter.name).glob("*.csv"))
        if not any(len(p.read_text(encoding="utf-8").strip().splitlines()) >= 2 for p in csvs):
            without.append(chapter.name)
    assert without == [], f"chapters without a CSV holding at least one row: {without}"


def test_no_page_shows_a_traceback_or_a_papermill_error(html_dir):
    pages = [p for p in html_dir.rglob("*.html") if "_static" not in p.parts]
    assert pages
    found = [
        f"{page.relative_to(html_dir)}: {marker!r}"
        for page in pages
        for marker in ERROR_MARKERS
        if marker in page.read_text(encoding="utf-8")
    ]
    assert found == [], "\n".join(found)


def test_notebook_shows_tells_tables_and_figures_from_glue_only_outputs(tmp_path):
    cells = [
        {"outputs": [{"data": {"text/html": ["<table>"]}, "metadata": {}}]},
        {"outputs": [{"data": {"image/png": "..."}, "metadata": {"scrapbook": {}}}]},
    ]
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": cells}))
    assert notebook_shows(notebook) == {"table"}
