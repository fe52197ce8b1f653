"""The book in a real browser: Debian's Chromium, headless, driven by Playwright.

Two layers:

* the mechanics of :mod:`osteometals.book.browser`, on hand-made pages and on a
  tiny Jupyter Book built in a temporary folder, so that each check of the
  page review (console errors, outside requests, images, captions, formulas,
  overflow, absolute paths) is known to catch what it looks for;
* the page review of the real book (``book/_build/html``, made by ``make
  book``): every page opened offline at 1280 px, one test per check, and the
  search. Full-page screenshots go to ``book/_build/screenshots/``.

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


def png(width: int = 3, height: int = 2, dpi: float | None = None) -> bytes:
    """A small, valid, grey PNG image, declaring ``dpi`` (as matplotlib does) if given."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    phys = b"" if dpi is None else chunk(
        b"pHYs", struct.pack(">IIB", round(dpi / 0.0254), round(dpi / 0.0254), 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + phys
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
    (folder / "figure.png").write_bytes(png(300, 100, dpi=100))  # a 3-inch wide "figure"
    captioned = "<table><caption>One cell.</caption><tr><th>a</th></tr><tr><td>1</td></tr></table>"
    pages = {
        "clean.html": f'<main>{captioned}<img src="dot.png" alt="a grey dot"></main>'
        '<aside><img src="dot.png"></aside>',
        "console.html": '<main><script>console.error("injected failure")</script></main>',
        "throws.html": '<main><script>throw new Error("boom")</script></main>',
        "broken_image.html": '<main><img src="missing.png" alt="gone"></main>',
        "external.html": '<main><script src="https://cdn.example.org/lib.js"></script></main>',
        "no_alt.html": '<main><img src="dot.png"></main>',
        "file_alt.html": '<main><img src="dot.png" alt="dot.png"></main>',
        "shrunk.html": '<main><img src="figure.png" alt="a figure" style="width: 100px"></main>',
        "full_size.html": '<main><img src="figure.png" alt="a figure"></main>',
        "upscaled.html": '<main><img src="dot.png" alt="a dot" style="width: 60px"></main>',
        "no_caption.html": "<main><table><tr><th>metal</th></tr>"
        "<tr><td>Cd</td></tr></table></main>",
        "figure_caption.html": "<main><figure><table><tr><td>1</td></tr></table>"
        "<figcaption>Around.</figcaption></figure></main>",
        "wide.html": '<main style="width: 400px"><div style="width: 900px">wide</div></main>',
        "clipped.html": '<main style="width: 400px"><div style="overflow: hidden">'
        '<div style="width: 900px">cut</div></div></main>',
        "scrolls.html": '<main style="width: 400px"><div style="overflow-x: auto">'
        f'<div style="width: 900px">{captioned}</div></div></main>',
        "path.html": f"<main><p>see {folder / 'book' / 'x.csv'} and "
        "https://example.org/home/page</p></main>",
        "raw_tex.html": '<main><p><span class="math">\\(a^2\\)</span></p>'
        "<pre>re.compile(r'\\(')</pre></main>",
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
    assert report.tables == [{"caption": "One cell.", "head": "a"}]
    assert [(i["src"], i["natural_width"], i["alt"]) for i in report.images] == [
        ("dot.png", 3, "a grey dot")]


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


def test_outside_requests_are_refused_and_reported(browser, site):
    report = check_page(browser, site + "external.html")
    assert report.external == ["https://cdn.example.org/lib.js"]
    assert report.console_errors == [], "the refusal is reported once, as an outside request"
    assert [line.split(": ", 1)[1] for line in report.problems()] == [
        "outside request: https://cdn.example.org/lib.js"]


def test_outside_requests_can_be_answered_locally_instead(browser, site):
    report = check_page(browser, site + "external.html", offline=False)
    assert report.external == ["https://cdn.example.org/lib.js"]
    assert report.console_errors == [] and report.failed_requests == []


def test_an_image_without_alt_text_is_reported(browser, site):
    assert check_page(browser, site + "no_alt.html").images_without_alt == ["dot.png"]


def test_a_file_name_is_not_alt_text(browser, site):
    assert check_page(browser, site + "file_alt.html").images_without_alt == ["dot.png"]


def test_a_figure_shrunk_until_its_text_is_below_9_pt_is_reported(browser, site):
    """3 inches shown at 100 px: 10 pt text at 100/3 px per inch is 3.5 CSS pt."""
    report = check_page(browser, site + "shrunk.html")
    assert report.images[0]["dpi"] == pytest.approx(100, abs=0.01)
    assert report.small_text_images() == [
        "figure.png (3.0 in shown at 100 px: 10 pt text at 3.5 pt)"]
    assert check_page(browser, site + "full_size.html").problems() == []


def test_an_image_shown_wider_than_its_pixels_is_reported(browser, site):
    report = check_page(browser, site + "upscaled.html")
    assert report.upscaled_images == ["dot.png (3 px shown at 60 px)"]


def test_a_table_without_caption_is_reported_by_its_header(browser, site):
    assert check_page(browser, site + "no_caption.html").tables_without_caption == ["metal"]


def test_a_figure_caption_around_a_table_counts_as_its_caption(browser, site):
    assert check_page(browser, site + "figure_caption.html").tables_without_caption == []


def test_content_wider_than_the_main_column_is_reported(browser, site):
    report = check_page(browser, site + "wide.html")
    assert len(report.overflow) == 2, report.overflow  # the div, and the column scrolls
    assert report.overflow[0].startswith("div spans x")


def test_content_cut_off_by_a_box_is_reported(browser, site):
    overflow = check_page(browser, site + "clipped.html").overflow
    assert overflow == ["div cuts off its content (900 px in 400 px)"]


def test_a_wide_table_scrolling_in_its_own_box_is_fine(browser, site):
    assert check_page(browser, site + "scrolls.html").problems() == []


def test_an_absolute_path_in_the_html_is_reported_but_not_a_url(browser, site):
    """The page names a file under the pytest temporary folder, as a leaked build path would."""
    report = check_page(browser, site + "path.html")
    assert len(report.html_paths) == 1
    assert report.html_paths[0].startswith("/") and report.html_paths[0].endswith("/book/x.csv")


def test_formulas_left_as_tex_are_reported_but_not_code(browser, site):
    report = check_page(browser, site + "raw_tex.html")
    assert (report.math, report.typeset) == (1, 0)
    assert report.untypeset_math == [
        "1 formulas, 0 typeset by MathJax", "raw TeX in the text: ...\\(a^2\\)..."]


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
    assert len(report.tables) >= 1 and "zirconium" in report.text
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
#
# The page review: every page of the built book, opened offline at 1280 px,
# with a full-page screenshot each under book/_build/screenshots/ (the same
# folders as the HTML: chapters/01_cohort.png, ...), and one test per check.


def book_pages() -> list[str]:
    """Every page of the built book a reader can open, relative to ``HTML_DIR``.

    Left out: ``index.html`` (it only redirects to the introduction) and the
    files Sphinx copies (``_static``, ``_sources``, ``_images``, ...).
    """
    return sorted(
        p.relative_to(HTML_DIR).as_posix() for p in HTML_DIR.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(HTML_DIR).parts)
        and p.relative_to(HTML_DIR).as_posix() != "index.html"
    )


@pytest.fixture(scope="module")
def book_site():
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(f"no built book in {HTML_DIR}: run `make book` first", pytrace=False)
    with serve(HTML_DIR) as base:
        yield base


@pytest.fixture(scope="module")
def page_reports(browser, book_site):
    """Every page, visited once offline, with a full-page screenshot each."""
    pages = book_pages()
    if not any(p.startswith("chapters/") for p in pages):
        pytest.fail(f"no chapter pages in {HTML_DIR / 'chapters'}: run `make book` first")
    return {
        p: check_page(browser, book_site + p,
                      screenshot=(SCREENSHOTS / p).with_suffix(".png"))
        for p in pages
    }


@pytest.fixture(scope="module")
def chapter_reports(page_reports):
    """The chapter pages' reports, by chapter name."""
    return {p.removeprefix("chapters/").removesuffix(".html"): r
            for p, r in page_reports.items() if p.startswith("chapters/")}


def every(page_reports, check) -> dict[str, list]:
    """``check(report)`` for each page where it found something."""
    found = {page: check(report) for page, report in page_reports.items()}
    return {page: items for page, items in found.items() if items}


@pytest.mark.book
def test_every_page_loads_without_console_errors_or_failed_requests(page_reports):
    assert every(page_reports,
                 lambda r: r.console_errors + r.page_errors + r.failed_requests) == {}


@pytest.mark.book
def test_no_page_asks_for_anything_outside_the_book(page_reports):
    """MathJax, fonts, scripts and styles are all served from the built book."""
    assert every(page_reports, lambda r: r.external) == {}


@pytest.mark.book
def test_formulas_are_typeset_offline(page_reports):
    with_math = [p for p, r in page_reports.items() if r.math]
    assert "primer.html" in with_math, "the primer's formulas were not found"
    assert every(page_reports, lambda r: r.untypeset_math) == {}


@pytest.mark.book
def test_no_page_shows_an_absolute_path_of_the_building_machine(page_reports):
    assert every(page_reports, lambda r: r.html_paths) == {}


@pytest.mark.book
def test_nothing_sticks_out_of_the_main_column_at_1280_px(page_reports):
    assert every(page_reports, lambda r: r.overflow) == {}


@pytest.mark.book
def test_every_table_has_a_caption(page_reports):
    assert every(page_reports, lambda r: r.tables_without_caption) == {}


@pytest.mark.book
def test_every_image_has_alt_text_and_has_loaded(page_reports):
    assert every(page_reports, lambda r: r.broken_images + r.images_without_alt) == {}


@pytest.mark.book
def test_no_image_is_shown_wider_than_its_own_pixels(page_reports):
    assert every(page_reports, lambda r: r.upscaled_images) == {}


@pytest.mark.book
def test_no_figure_is_shrunk_until_its_tick_labels_fall_below_9_pt(page_reports):
    """Figures drawn at the book's width (osteometals.book.style) fill the column; a
    wider one is shrunk to it, and its text with it."""
    assert any(img.get("dpi") for r in page_reports.values() for img in r.images), (
        "no figure declared its dpi: the check would pass on any book")
    assert every(page_reports, lambda r: r.small_text_images()) == {}


@pytest.mark.book
def test_chapters_with_results_show_a_table(chapter_reports):
    expected = [name for name in chapter_reports if name[:2] in TABLE_CHAPTERS]
    assert expected, "none of the chapters that should show a table was found"
    without = [name for name in expected if not chapter_reports[name].tables]
    assert without == [], f"chapters without a <table> in their main content: {without}"


@pytest.mark.book
def test_every_page_has_a_full_page_screenshot(page_reports):
    for page, report in page_reports.items():
        assert report.screenshot == (SCREENSHOTS / page).with_suffix(".png")
        assert report.screenshot.read_bytes().startswith(b"\x89PNG")
        # a blank page's PNG compresses to well under 1 kB; a rendered page does not
        assert report.screenshot.stat().st_size > 1000


@pytest.mark.book
def test_the_book_search_finds_selenium_and_nothing_for_nonsense(browser, book_site):
    """Selenium is one of the five metals: the chapters name it."""
    hits = search(browser, book_site, "selenium", screenshot=SCREENSHOTS / "search_selenium.png")
    assert hits, "search.html?q=selenium listed no result"
    assert search(browser, book_site, "qqxyzzyqq") == []
