"""The whole book as one PDF, printed by headless Chromium.

Jupyter Book renders the staged sources (``book/_build/src``) as a single
HTML page (Sphinx's ``singlehtml`` builder, into ``book/_build/singlehtml``);
that page is served on loopback and printed to PDF by Debian's Chromium
through Playwright, with figures, tables, mathematics (when a local MathJax
is installed, see :func:`osteometals.book.browser.local_mathjax`) and the
solutions of dropdown exercises shown. No LaTeX is needed.

The output is ``book/_build/pdf/osteometals.book.pdf``.
"""

from __future__ import annotations

import re
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import yaml

from osteometals.book.browser import (
    CHROMIUM,
    MATH_READY,
    keep_local,
    launch,
    local_mathjax,
    serve,
)
from osteometals.book.build import BUILD_DIR, render
from osteometals.book.chapters import BOOK_DIR

#: File name of the book's PDF, inside ``<build_dir>/pdf``.
PDF_NAME = "osteometals.book.pdf"

#: Print the book as a reader first sees it, plus the answers: code cells the
#: chapter hides (myst-nb ``hide-input``, ``details.above-input``) are left out
#: unless ``show`` is true; every other ``<details>`` and every dropdown
#: admonition (sphinx-togglebutton) is opened, so exercises print with their
#: solutions; the toggle buttons themselves are dropped.
_EXPAND = """(show) => {
  document.querySelectorAll("details").forEach((d) => {
    if (d.classList.contains("above-input") && !show) { d.remove(); } else { d.open = true; }
  });
  document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
  document.querySelectorAll(".toggle-button").forEach((b) => b.remove());
}"""

#: Print-only styles: no cut-off tables or outputs (the theme scrolls them on
#: screen), a smaller table font, and no papermill cell of injected
#: parameters (it only holds this machine's paths).
PRINT_CSS = """
.cell_output, .output, .pst-scrollable-table-container, div.highlight, pre, .om-table,
.om-table > div {
  overflow: visible !important;
  max-height: none !important;
}
pre { white-space: pre-wrap !important; word-break: break-word; }
table, .om-table .gt_table { font-size: 0.6em !important; }
td, th { padding: 1px 3px !important; }
.bd-article-container, .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
img { max-width: 100% !important; height: auto; }
figure, img, table { break-inside: avoid; }
.tag_injected-parameters { display: none !important; }
"""

#: Resolve when every image has loaded or failed.
_IMAGES_READY = """() => Promise.all([...document.images].map((img) => img.complete ? null :
  new Promise((done) => {
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  })))"""


def single_page(folder: Path, build_dir: Path | None = None) -> str:
    """Name of the HTML file that holds the whole book in a ``singlehtml`` folder.

    Sphinx writes the book to ``<root>.html`` (``intro.html`` here) and Jupyter
    Book adds an ``index.html`` that only redirects there.

    Parameters
    ----------
    folder : Path
        The ``singlehtml`` output folder.
    build_dir : Path, optional
        Build folder whose ``src/_toc.yml`` names the root page; read first.

    Returns
    -------
    str
        A file name relative to ``folder``.

    Raises
    ------
    FileNotFoundError
        If no such page exists.
    """
    folder = Path(folder)
    names = []
    toc = Path(build_dir) / "src" / "_toc.yml" if build_dir is not None else None
    if toc is not None and toc.is_file():
        root = (yaml.safe_load(toc.read_text(encoding="utf-8")) or {}).get("root")
        if root:
            names.append(f"{Path(root).with_suffix('')}.html")
    index = folder / "index.html"
    if index.is_file():
        redirect = re.search(r"url=([^\"'>\s]+)", index.read_text(encoding="utf-8"))
        names.append(redirect.group(1) if redirect else "index.html")
    for name in names:
        if (folder / name).is_file():
            return name
    raise FileNotFoundError(f"no single-page book in {folder}: render it with builder='singlehtml'")


def print_pdf(
    folder: Path,
    page: str,
    output: Path,
    executable: Path = CHROMIUM,
    timeout: float = 120.0,
    browser: Any = None,
    show_hidden_code: bool = False,
) -> Path:
    """Serve ``folder`` on loopback and print one of its pages to PDF.

    Parameters
    ----------
    folder : Path
        Folder with the page and everything it links to (``_images``, ``_static``).
    page : str
        The page, relative to ``folder``.
    output : Path
        Where the PDF is written (parent folders are made).
    executable : Path
        Chromium binary.
    timeout : float
        Seconds allowed for loading the page.
    browser : playwright.sync_api.Browser, optional
        A running browser to use (Playwright's sync API allows one per
        thread); by default Chromium is started for this print and closed.
    show_hidden_code : bool
        Also print the code cells the chapters hide (``hide-input``); by
        default the PDF shows what a reader of the HTML book sees at first.

    Returns
    -------
    Path
        ``output``.

    Warns
    -----
    UserWarning
        If the page has mathematics but no local MathJax is installed, so that
        formulas print as TeX source.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    mathjax = local_mathjax()
    running = nullcontext(browser) if browser is not None else launch(executable)
    with serve(folder) as base, running as chromium:
        context = chromium.new_context()
        try:
            keep_local(context, [], mathjax)
            tab = context.new_page()
            tab.goto(base + page, wait_until="load", timeout=timeout * 1000)
            tab.wait_for_load_state("networkidle", timeout=timeout * 1000)
            tab.evaluate(_IMAGES_READY)
            tab.evaluate(MATH_READY)
            if mathjax is None and tab.query_selector(".math") is not None:
                warnings.warn(
                    "no local MathJax (pip install django-static-mathjax): "
                    "formulas are printed as TeX source",
                    stacklevel=2,
                )
            tab.evaluate(_EXPAND, show_hidden_code)
            tab.add_style_tag(content=PRINT_CSS)
            tab.emulate_media(media="print")
            tab.pdf(
                path=str(output),
                format="A4",
                print_background=True,
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
            )
        finally:
            context.close()
    return output


def build_pdf(
    build_dir: Path = BUILD_DIR, book_dir: Path = BOOK_DIR, browser: Any = None
) -> Path:
    """Render the executed book as a single page and print it to PDF.

    The chapters must have been executed already (``make book``); their
    notebooks are staged again from ``build_dir/executed``.

    Parameters
    ----------
    build_dir : Path
        The build folder (``book/_build``).
    book_dir : Path
        The book's sources (``book``).
    browser : playwright.sync_api.Browser, optional
        A running browser to print with (see :func:`print_pdf`).

    Returns
    -------
    Path
        ``build_dir/pdf/osteometals.book.pdf``.
    """
    build_dir = Path(build_dir)
    folder = render(build_dir, builder="singlehtml", book_dir=book_dir)
    page = single_page(folder, build_dir)
    return print_pdf(folder, page, build_dir / "pdf" / PDF_NAME, browser=browser)
