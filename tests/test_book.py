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


# Pages for readers (osteometals.book.pages, sphinxext, glance) ----------------

SOURCES_DIR = HTML_DIR / "_sources"


def executed_page_names() -> list[str]:
    """Every executed page of the built book (chapters, front pages, appendix)."""
    from osteometals.book.build import executed_pages

    return [name for name, _ in executed_pages(BUILD_DIR)]


def test_every_chapter_page_has_its_parameters_box_and_no_injected_cell(html_dir, chapters):
    for chapter in chapters:
        page = (html_dir / "chapters" / f"{chapter.name}.html").read_text(encoding="utf-8")
        text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
        assert "Parameters of this page" in text, chapter.name
        assert "Defaults (reproduces the paper)" in text, chapter.name
        assert f"Regenerate this page: osteometals run {chapter.name} " in text, chapter.name
        assert f"make lab CHAPTER={chapter.name}" in text, chapter.name
        assert "tag_injected-parameters" not in page, f"{chapter.name} shows papermill's cell"


def test_every_executed_page_offers_its_notebook_markdown_and_pdf(html_dir):
    names = executed_page_names()
    assert "intro" in names and any(n.startswith("appendix/") for n in names)
    for name in names:
        page = (html_dir / f"{name}.html").read_text(encoding="utf-8")
        for suffix, magic in ((".md", b"---"), (".pdf", b"%PDF-")):
            target = html_dir / "_downloads" / suffix[1:] / f"{name}{suffix}"
            assert target.read_bytes().startswith(magic), target
            assert f"_downloads/{suffix[1:]}/{name}{suffix}" in page, (name, suffix)
        notebook = json.loads((SOURCES_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert any(c.get("outputs") for c in notebook["cells"]), f"{name}.ipynb is not executed"


def test_no_downloadable_notebook_holds_an_absolute_path(html_dir):
    from osteometals.book.browser import ABSOLUTE_PATH

    found = {}
    for name in executed_page_names():
        text = (SOURCES_DIR / f"{name}.ipynb").read_text(encoding="utf-8")
        paths = sorted(set(ABSOLUTE_PATH.findall(text)))
        if paths:
            found[name] = paths[:5]
    assert found == {}


def test_the_introduction_opens_with_the_glance_table_and_the_scorecard_figure(html_dir):
    page = (html_dir / "intro.html").read_text(encoding="utf-8")
    glance_at = page.find('id="tbl-glance"')
    assert glance_at > 0, "no at-a-glance table"
    assert glance_at < page.find('id="what-the-paper-claims"'), "the glance is not at the top"
    assert 'id="fig-glance-verdicts"' in page
    glance_csv = RESULTS_DIR / "intro" / "glance.csv"
    from osteometals.book.glance import CLAIMS

    rows = glance_csv.read_text(encoding="utf-8").strip().splitlines()
    assert len(rows) == 1 + len(CLAIMS), "one row per headline claim"
    for chapter in ("03_quartile_odds", "04_bmd", "06_subgroups"):
        assert f'href="chapters/{chapter}.html"' in page[glance_at:], chapter


def test_the_primer_links_every_exercise_of_every_chapter(html_dir, chapters):
    from osteometals.book.pages import exercises

    page = (html_dir / "primer.html").read_text(encoding="utf-8")
    listed = [ex for chapter in chapters for ex in exercises(chapter)]
    assert listed, "no exercise found in the chapters"
    # docutils writes a target's id in lower case with hyphens for other characters
    missing = [ex.label for ex in listed if 'href="chapters/{}.html#{}"'.format(
        ex.page, re.sub(r"[^a-z0-9]+", "-", ex.label.lower())) not in page]
    assert missing == []


def test_mathjax_is_served_from_the_book(html_dir):
    page = (html_dir / "primer.html").read_text(encoding="utf-8")
    assert '_static/mathjax/tex-mml-chtml.js' in page and "cdn.jsdelivr" not in page
    assert (html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
