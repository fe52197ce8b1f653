"""The book in a real browser: Debian's Chromium, headless, driven by Playwright.

Two layers:

* the mechanics of :mod:`osteometals.book.browser`, on hand-made pages and on a
  tiny Jupyter Book built in a temporary folder, so that a console error, an
  uncaught exception or a missing image is known to be caught;
* the real book (``book/_build/html``, made by ``make book``): every chapter
  page loads cleanly, shows its figures and tables, and the search works.
  Screenshots go to ``book/_build/screenshots/``.

Skipped only when Chromium (or Playwright) is absent, and a failure then
under ``CI=true`` (tests/conftest.py). ``.ci/run`` installs Chromium. A
missing real book is a failure, not a skip: ``make test`` runs after ``make
book``. The PDF checks need poppler-utils
(``pdftotext``, ``pdfinfo``, ``pdfimages``), which ``.ci/run`` installs too, and a
local MathJax (the dev dependency ``django-static-mathjax``): without them the
PDF test fails and says what to install.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from textwrap import dedent

import pytest

from osteometals.book.browser import (
    check_page,
    launch,
    local_mathjax,
    search,
    serve,
)
from osteometals.book.build import BUILD_DIR, execute_chapter, render
from osteometals.book.chapters import load_chapter
from osteometals.book.pdf import build_pdf, print_pdf, single_page

pytestmark = pytest.mark.browser  # skipped without Chromium, a failure under CI=true

HTML_DIR = BUILD_DIR / "html"
SCREENSHOTS = BUILD_DIR / "screenshots"

#: Chapters (by number) whose page must show at least one table.
TABLE_CHAPTERS = ("01", "02", "03", "04", "05", "06", "09")


@pytest.fixture(scope="module")
def browser():
    with launch() as running:
        yield running


def png(width: int = 3, height: int = 2) -> bytes:
    """A small, valid, grey PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Hand-made pages, each with one thing right or wrong."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "dot.png").write_bytes(png())
    pages = {
        "clean.html": '<main><table><tr><td>1</td></tr></table><img src="dot.png"></main>'
        '<aside><img src="dot.png" alt="outside main"></aside>',
        "console.html": '<main><script>console.error("injected failure")</script></main>',
        "throws.html": '<main><script>throw new Error("boom")</script></main>',
        "broken_image.html": '<main><img src="missing.png"></main>',
        "external.html": '<main><script src="https://cdn.example.org/lib.js"></script></main>',
    }
    for name, body in pages.items():
        (folder / name).write_text(page(body))
    with serve(folder) as base:
        yield base


def test_serve_answers_on_loopback_and_stops_afterwards(tmp_path):
    (tmp_path / "hello.txt").write_text("hi")
    with serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        assert urllib.request.urlopen(base + "hello.txt", timeout=5).read() == b"hi"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "hello.txt", timeout=5)


def test_serving_a_missing_folder_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to serve"):
        with serve(tmp_path / "nope"):
            pass


def test_a_clean_page_has_no_problems_and_its_table_and_image_are_seen(browser, site):
    report = check_page(browser, site + "clean.html")
    assert report.problems() == []
    assert report.tables == 1
    assert [(i["src"], i["natural_width"]) for i in report.images] == [("dot.png", 3)]


def test_a_console_error_is_reported(browser, site):
    report = check_page(browser, site + "console.html")
    assert any("injected failure" in line for line in report.problems())


def test_an_uncaught_exception_is_reported(browser, site):
    report = check_page(browser, site + "throws.html")
    assert report.page_errors and "boom" in report.page_errors[0]
    assert any("uncaught exception" in line for line in report.problems())


def test_an_image_that_does_not_load_is_reported(browser, site):
    report = check_page(browser, site + "broken_image.html")
    assert report.broken_images == ["missing.png"]
    assert any("missing.png (HTTP 404)" in line for line in report.problems())


def test_outside_requests_are_answered_locally_and_recorded(browser, site):
    report = check_page(browser, site + "external.html")
    assert report.external == ["https://cdn.example.org/lib.js"]
    assert report.problems() == []


def test_a_screenshot_is_written_on_request(browser, site, tmp_path):
    report = check_page(browser, site + "clean.html", screenshot=tmp_path / "shots" / "c.png")
    assert report.screenshot.read_bytes().startswith(b"\x89PNG")


TINY_INTRO = dedent(
    """\
    # Intro

    Hello. The identity $a^2 + b^2 = c^2$ is typeset.

    ```{admonition} Solution
    :class: dropdown

    A hidden answer.
    ```
    """
)


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory, write_tiny_book):
    """The tiny book (``tests/conftest.py``) with its chapter executed: (book, build folder)."""
    book = write_tiny_book(tmp_path_factory.mktemp("tiny") / "book", intro=TINY_INTRO)
    build = book / "_build"
    chapter = load_chapter(book / "chapters" / "01_tiny.md")
    execute_chapter(chapter, build / "executed" / "chapters" / "01_tiny.ipynb", build / "res")
    return book, build


@pytest.fixture(scope="module")
def tiny_site(tiny_book):
    """The tiny book rendered to HTML and served on loopback."""
    book, build = tiny_book
    with serve(render(build, book_dir=book)) as base:
        yield base


@pytest.mark.slow
def test_a_tiny_book_chapter_shows_its_figure_and_table(browser, tiny_site):
    report = check_page(browser, tiny_site + "chapters/01_tiny.html")
    assert report.tables >= 1 and "zirconium" in report.text
    assert len(report.images) == 1 and report.broken_images == []


@pytest.mark.slow
def test_the_tiny_book_search_finds_a_word_of_the_chapter_and_nothing_for_nonsense(
    browser, tiny_site
):
    assert any("A tiny chapter" in hit for hit in search(browser, tiny_site, "zirconium"))
    assert search(browser, tiny_site, "qqxyzzyqq") == []


@pytest.mark.slow
def test_the_tiny_book_prints_to_a_pdf_with_its_text_table_and_figure(browser, tiny_book):
    book, build = tiny_book
    pdf = build_pdf(build, book_dir=book, browser=browser)
    assert pdf == build / "pdf" / "osteometals.book.pdf"
    content = pdf.read_bytes()
    # 20 kB: the embedded PNG figure and fonts alone exceed it; a text-only PDF does not
    assert content.startswith(b"%PDF-") and len(content) > 20_000
    missing = [t for t in ("pdftotext", "pdfinfo", "pdfimages") if shutil.which(t) is None]
    assert missing == [], f"{missing} not found: apt-get install poppler-utils (as .ci/run)"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "A tiny chapter about zirconium" in text and "Hello." in text
    assert re.search(r"zirconium\s+1\.5", text), "the table's row is not in the PDF"
    assert "A hidden answer." in text, "dropdowns must print open"
    assert "# Parameters" not in text, "papermill's injected cell must not be printed"
    assert "quietlycomputed" in text and '"quietly" + "computed"' not in text, (
        "a hide-input cell prints its output but not its code"
    )
    assert local_mathjax() is not None, "no local MathJax: pip install django-static-mathjax"
    assert "a^2" not in text, "the formula was printed as TeX source"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 1
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    widths = [int(row.split()[3]) for row in images.stdout.strip().splitlines()[2:]]
    # matplotlib's default figure is 6.4 in wide (461 px at 72 dpi, 640 px at 100 dpi):
    # at least 400 px means the figure itself, not an icon, is embedded
    assert any(w >= 400 for w in widths), f"the figure is not embedded (image widths {widths})"


def test_print_pdf_starts_its_own_chromium_when_given_none(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "p.html").write_text(page("<h1>Printed alone</h1>"))
    # Playwright's sync API allows one instance per thread; the module's browser is running.
    with ThreadPoolExecutor(1) as pool:
        pdf = pool.submit(print_pdf, tmp_path / "site", "p.html", tmp_path / "p.pdf").result()
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_the_single_page_is_the_toc_root_not_the_redirect(tmp_path):
    folder, build = tmp_path / "singlehtml", tmp_path / "build"
    folder.mkdir()
    (build / "src").mkdir(parents=True)
    (build / "src" / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (folder / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=intro.html" />')
    (folder / "intro.html").write_text("<p>the book</p>")
    assert single_page(folder, build) == "intro.html"
    assert single_page(folder) == "intro.html"
    (folder / "intro.html").unlink()
    with pytest.raises(FileNotFoundError, match="singlehtml"):
        single_page(folder, build)


# The real book ---------------------------------------------------------------


@pytest.fixture(scope="module")
def book_site():
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(f"no built book in {HTML_DIR}: run `make book` first", pytrace=False)
    with serve(HTML_DIR) as base:
        yield base


@pytest.fixture(scope="module")
def chapter_reports(browser, book_site):
    """Every chapter page, visited once, with a screenshot each."""
    pages = sorted(HTML_DIR.glob("chapters/*.html"))
    if not pages:
        pytest.fail(f"no chapter pages in {HTML_DIR / 'chapters'}: run `make book` first")
    return {
        p.stem: check_page(
            browser, f"{book_site}chapters/{p.name}", screenshot=SCREENSHOTS / f"{p.stem}.png"
        )
        for p in pages
    }


@pytest.mark.book
def test_every_chapter_page_loads_without_console_errors(chapter_reports):
    problems = [line for r in chapter_reports.values() for line in r.problems()]
    assert problems == [], "\n".join(problems)


@pytest.mark.book
def test_every_figure_image_of_every_chapter_has_loaded(chapter_reports):
    broken = {name: r.broken_images for name, r in chapter_reports.items() if r.broken_images}
    assert broken == {}


@pytest.mark.book
def test_chapters_with_results_show_a_table(chapter_reports):
    expected = [name for name in chapter_reports if name[:2] in TABLE_CHAPTERS]
    assert expected, "none of the chapters that should show a table was found"
    without = [name for name in expected if chapter_reports[name].tables == 0]
    assert without == [], f"chapters without a <table> in their main content: {without}"


@pytest.mark.book
def test_every_chapter_page_has_a_screenshot(chapter_reports):
    for name, report in chapter_reports.items():
        assert report.screenshot == SCREENSHOTS / f"{name}.png"
        assert report.screenshot.read_bytes().startswith(b"\x89PNG")
        # a blank page's PNG compresses to well under 1 kB; a rendered chapter does not
        assert report.screenshot.stat().st_size > 1000


@pytest.mark.book
def test_the_book_search_finds_selenium_and_nothing_for_nonsense(browser, book_site):
    """Selenium is one of the five metals: the chapters name it."""
    hits = search(browser, book_site, "selenium", screenshot=SCREENSHOTS / "search.png")
    assert hits, "search.html?q=selenium listed no result"
    assert search(browser, book_site, "qqxyzzyqq") == []
