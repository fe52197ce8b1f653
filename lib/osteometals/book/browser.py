"""Serve a folder on loopback and look at its pages with headless Chromium.

Used by the browser test (``tests/test_browser.py``) and by the PDF export
(:mod:`osteometals.book.pdf`). Chromium is Debian's (``chromium`` on the PATH),
driven by Playwright for Python; Playwright's own browser downloads are never
needed.

Pages are looked at *offline*: a request that leaves the loopback server
(for example MathJax from a CDN) is refused (:func:`block_outside`) and its
URL recorded in :attr:`PageReport.external`, so that a page is seen as a
reader without internet sees it. :func:`check_page` is the page review: for
one page at 1280 x 900 px it records console errors, failed requests,
images (loaded? alt text? shown wider than their pixels?), tables and their
captions, formulas (typeset by MathJax? raw TeX left?), anything that sticks
out of the main column, and absolute paths of the building machine in the
HTML; :meth:`PageReport.problems` lists each as one line. The PDF export,
which may print a book that was not built to be self-contained, answers
outside requests locally instead (:func:`keep_local`), MathJax from the
MathJax that ``django-static-mathjax`` installs.

Example
-------
>>> with serve(Path("book/_build/html")) as base, launch() as browser:  # doctest: +SKIP
...     report = check_page(browser, base + "chapters/01_cohort.html")
...     report.problems()
[]
"""

from __future__ import annotations

import importlib.util
import mimetypes
import os
import re
import shutil
import struct
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

#: Debian's Chromium.
CHROMIUM = Path(shutil.which("chromium") or "chromium")

#: Flags for Chromium in a closed network: without the background-networking
#: ones, Chromium's own connections are refused and it can stall.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Where the text of a Jupyter Book page lives (sphinx-book-theme), best first.
MAIN_CONTENT = ("article.bd-article", "main", "body")

#: CDN address of MathJax 3 as Sphinx writes it; the part after ``es5/`` is a file.
_MATHJAX_CDN = re.compile(r"^https?://[^/]+/npm/mathjax@3[^/]*/es5/(?P<file>[^?#]+)")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_available(executable: Path = CHROMIUM) -> bool:
    """Whether Chromium and the Playwright package are both installed.

    Parameters
    ----------
    executable : Path
        The Chromium binary.

    Returns
    -------
    bool
    """
    return Path(executable).is_file() and importlib.util.find_spec("playwright") is not None


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1, on a free port, in a thread.

    Parameters
    ----------
    folder : Path
        The folder to serve (e.g. ``book/_build/html``).

    Yields
    ------
    str
        The base URL, ending in ``/`` (e.g. ``http://127.0.0.1:41235/``).

    Raises
    ------
    FileNotFoundError
        If ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"nothing to serve: {folder} is not a folder")
    handler = partial(_QuietHandler, directory=str(folder.resolve()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def launch(executable: Path = CHROMIUM) -> Iterator[Any]:
    """Start headless Chromium under Playwright.

    Parameters
    ----------
    executable : Path
        The Chromium binary (Debian's by default).

    Yields
    ------
    playwright.sync_api.Browser

    Raises
    ------
    FileNotFoundError
        If ``executable`` does not exist.
    """
    from playwright.sync_api import sync_playwright

    if not Path(executable).is_file():
        raise FileNotFoundError(f"no Chromium at {executable}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def local_mathjax() -> Path | None:
    """Folder of a local MathJax 3 ``es5`` build, or None.

    Looks at ``$OSTEOMETALS_MATHJAX`` first, then at the ``mathjax`` package
    that ``django-static-mathjax`` (PyPI) installs.

    Returns
    -------
    Path or None
        A folder holding ``tex-mml-chtml.js``.
    """
    candidates = []
    if os.environ.get("OSTEOMETALS_MATHJAX"):
        candidates.append(Path(os.environ["OSTEOMETALS_MATHJAX"]))
    spec = importlib.util.find_spec("mathjax")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / "static" / "mathjax" / "es5")
    return next((c for c in candidates if (c / "tex-mml-chtml.js").is_file()), None)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"file", "data", "blob", "about"} or parts.hostname in _LOOPBACK


def _route_outside(target: Any, external: list[str], answer: Callable[[Any, str], None]
                   ) -> None:
    """Let loopback requests through; record any other's URL and ``answer(route, url)`` it."""

    def handle(route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
            return
        external.append(url)
        answer(route, url)

    target.route("**/*", handle)


def keep_local(target: Any, external: list[str], mathjax: Path | None = None) -> None:
    """Answer every request that leaves loopback locally, and record its URL.

    MathJax 3 from a CDN is served from ``mathjax`` when given; any other
    outside request gets an empty ``200`` answer, so that a page looks the
    same offline and online. Used to print pages that were not built to be
    self-contained (the PDF of a book without the book's Sphinx extension);
    the page review uses :func:`block_outside` instead.

    Parameters
    ----------
    target, external
        As :func:`block_outside` (``external`` receives every outside URL).
    mathjax : Path, optional
        A MathJax 3 ``es5`` folder (see :func:`local_mathjax`).
    """

    def answer(route: Any, url: str) -> None:
        match = _MATHJAX_CDN.match(url)
        if mathjax is not None and match:
            path = (mathjax / match["file"]).resolve()
            if path.is_file() and path.is_relative_to(mathjax.resolve()):
                route.fulfill(path=str(path))
                return
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "text/plain"
        route.fulfill(status=200, body="", content_type=kind)

    _route_outside(target, external, answer)


def block_outside(target: Any, external: list[str]) -> None:
    """Refuse every request that leaves loopback, and record its URL.

    A page that needs anything from outside (MathJax from a CDN, a web font)
    then renders as it would in a classroom without internet, and the URL
    says what it wanted.

    Parameters
    ----------
    target : playwright.sync_api.Page or BrowserContext
        Where to install the route.
    external : list of str
        Receives the URL of every refused request, in order.
    """
    _route_outside(target, external, lambda route, url: route.abort("blockedbyclient"))


#: An absolute path of the building machine as it would leak into a page
#: (under ``home``, ``tmp``, ``work`` and the other top-level folders below,
#: or a Windows drive); a URL's path is
#: not one (it follows a host name).
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~%-])(?:/(?:home|root|tmp|Users|work|var|opt|srv|mnt|media|private|usr)"
    r"/[\w.+-]+(?:/[\w.+-]+)*|\b[A-Za-z]:\\[\w.+-]+)"
)

def png_dpi(data: bytes) -> float | None:
    """The resolution a PNG declares (its ``pHYs`` chunk), in dots per inch, or None.

    matplotlib writes the figure's dpi there, so a figure's width in inches is
    its pixel width over this.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    i = 8
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind == b"pHYs" and length >= 9:
            x, _, unit = struct.unpack(">IIB", data[i + 8:i + 17])
            return x * 0.0254 if unit == 1 else None
        if kind in (b"IDAT", b"IEND"):
            return None
        i += 12 + length
    return None


#: TeX that MathJax should have typeset, seen as text: ``\(`` or ``\[``.
RAW_TEX = re.compile(r"\\[\[(]")


@dataclass
class PageReport:
    """What a browser saw on one page.

    Attributes
    ----------
    url : str
        The page.
    title : str
        The document title.
    console_errors : list of str
        ``console.error`` messages and local resources that failed to load.
    page_errors : list of str
        Uncaught JavaScript exceptions.
    failed_requests : list of str
        Local requests that failed or answered with status >= 400.
    external : list of str
        Requests to other hosts, refused (see :func:`block_outside`) or
        answered locally (:func:`keep_local`).
    images : list of dict
        Every ``<img>`` of the main content: ``src``, ``alt``,
        ``natural_width`` (0 if it did not load), ``displayed_width`` (CSS
        pixels; 0 if not shown, e.g. in a closed dropdown) and ``dpi`` (what
        a PNG declares; None if it declares nothing).
    tables : list of dict
        Every data ``<table>`` of the main content (not the layout tables of
        Sphinx's indexes): its ``caption`` (a
        ``<caption>``, or the caption of the ``<figure>`` around it; ``""`` if
        none) and its first header cells (``head``), to name it.
    text : str
        Visible text of the main content.
    prose : str
        Visible text outside code (``pre``, ``code``) and typeset formulas.
    math : int
        Formulas Sphinx marked for MathJax (``.math`` elements).
    typeset : int
        Formulas MathJax rendered (``mjx-container`` elements).
    overflow : list of str
        Elements that stick out of (or are cut off by) the main column at
        1280 px, outside any box that scrolls on its own; the main column
        or page itself if it scrolls sideways; and a ``parameters`` cell
        whose long lines (help comments) are hidden in a sideways scroll.
    html_paths : list of str
        Absolute file-system paths found in the page's HTML source.
    screenshot : Path or None
        Full-page screenshot, when one was asked for.
    """

    url: str
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    text: str = ""
    prose: str = ""
    math: int = 0
    typeset: int = 0
    overflow: list[str] = field(default_factory=list)
    html_paths: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def broken_images(self) -> list[str]:
        """Sources of images that did not load (``naturalWidth == 0``)."""
        return [img["src"] for img in self.images if not img["natural_width"]]

    @property
    def images_without_alt(self) -> list[str]:
        """Sources of images without alternative text (a file name, as docutils puts by
        default, is not one)."""
        def missing(img: dict) -> bool:
            alt = (img.get("alt") or "").strip()
            return not alt or alt == img["src"] or bool(
                re.fullmatch(r"\S+\.(png|jpe?g|svg|gif|webp)", alt, re.I))
        return [img["src"] for img in self.images if missing(img)]

    def small_text_images(self, font_pt: float | None = None,
                          min_pt: float | None = None) -> list[str]:
        """Figures shrunk so much that text of ``font_pt`` points falls below ``min_pt``.

        A figure ``natural_width / dpi`` inches wide shown ``displayed_width``
        CSS pixels wide gives a font of ``s`` points ``s / 72 * displayed_width
        / (natural_width / dpi)`` CSS pixels (3/4 as many CSS points). Defaults:
        the book's tick-label size and the smallest size it allows
        (:mod:`osteometals.book.style`).
        """
        from osteometals.book import style

        font_pt = style.TICK_PT if font_pt is None else font_pt
        min_pt = style.MIN_PT if min_pt is None else min_pt
        found = []
        for img in self.images:
            if not (img.get("dpi") and img["natural_width"] and img["displayed_width"]):
                continue
            px_per_inch = img["displayed_width"] / (img["natural_width"] / img["dpi"])
            shown = style.rendered_pt(font_pt, px_per_inch)
            if shown < min_pt:
                found.append(f"{img['src']} ({img['natural_width'] / img['dpi']:.1f} in shown "
                             f"at {img['displayed_width']:.0f} px: {font_pt:g} pt text at "
                             f"{shown:.1f} pt)")
        return found

    @property
    def upscaled_images(self) -> list[str]:
        """Images shown wider than their own pixels (natural width < displayed width)."""
        return [
            f"{img['src']} ({img['natural_width']} px shown at {img['displayed_width']:.0f} px)"
            for img in self.images
            if img["natural_width"] and img["natural_width"] + 1 < img["displayed_width"]
        ]

    @property
    def tables_without_caption(self) -> list[str]:
        """The tables without a caption, each named by its first header cells."""
        return [t.get("head") or "(no header)" for t in self.tables if not t["caption"].strip()]

    @property
    def untypeset_math(self) -> list[str]:
        """Why the formulas of the page are not typeset; empty if they are (or there are none)."""
        found = []
        if self.math and self.typeset < self.math:
            found.append(f"{self.math} formulas, {self.typeset} typeset by MathJax")
        raw = sorted({self.prose[max(m.start() - 15, 0):m.end() + 25].replace("\n", " ").strip()
                      for m in RAW_TEX.finditer(self.prose)})
        found += [f"raw TeX in the text: ...{r}..." for r in raw[:5]]
        return found

    def problems(self) -> list[str]:
        """Everything wrong with the page, one readable line each; empty if none."""
        lines = [f"console error: {m}" for m in self.console_errors]
        lines += [f"uncaught exception: {m}" for m in self.page_errors]
        lines += [f"failed request: {m}" for m in self.failed_requests]
        lines += [f"outside request: {m}" for m in self.external]
        lines += [f"image did not load: {m}" for m in self.broken_images]
        lines += [f"image without alt text: {m}" for m in self.images_without_alt]
        lines += [f"image shown wider than its pixels: {m}" for m in self.upscaled_images]
        lines += [f"figure shrunk below legible text: {m}" for m in self.small_text_images()]
        lines += [f"table without caption: {m}" for m in self.tables_without_caption]
        lines += [f"formulas: {m}" for m in self.untypeset_math]
        lines += [f"sticks out of the main column: {m}" for m in self.overflow]
        lines += [f"absolute path in the HTML: {m}" for m in self.html_paths]
        return [f"{self.url}: {line}" for line in lines]


_INSPECT = """(selectors) => {
  const main = selectors.map((s) => document.querySelector(s)).find((e) => e) || document.body;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].slice(0, 3).join(".") : "");
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const clips = (el) => ["hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const box = main.getBoundingClientRect();
  const overflow = [];
  const walk = (el) => {
    for (const child of el.children) {
      const r = child.getBoundingClientRect();
      if (r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1)) {
        overflow.push(`${name(child)} spans x ${Math.round(r.left)}-${Math.round(r.right)}, `
          + `the column ${Math.round(box.left)}-${Math.round(box.right)}`);
        continue;
      }
      // a typeset formula: MathJax's hidden assistive MathML widens its box, not the page
      if (child.matches(".math, mjx-container")) { continue; }
      if (r.width > 0 && clips(child) && child.scrollWidth > child.clientWidth + 1) {
        overflow.push(`${name(child)} cuts off its content (${child.scrollWidth} px `
          + `in ${child.clientWidth} px)`);
        continue;
      }
      if (!scrolls(child)) { walk(child); }
    }
  };
  walk(main);
  for (const pre of main.querySelectorAll(".tag_parameters pre")) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      overflow.push(`the parameters cell scrolls sideways (${pre.scrollWidth} px `
        + `in ${pre.clientWidth} px): its long lines are hidden`);
    }
  }
  if (main.scrollWidth > main.clientWidth + 1) {
    overflow.push(`the main column scrolls sideways (${main.scrollWidth} px `
      + `in ${main.clientWidth} px)`);
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    overflow.push(`the page scrolls sideways (${page.scrollWidth} px in ${window.innerWidth} px)`);
  }
  const skip = "pre, code, script, style, mjx-container, .highlight";
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {acceptNode: (n) =>
    n.parentElement && n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT
      : NodeFilter.FILTER_ACCEPT});
  const prose = [];
  while (walker.nextNode()) { prose.push(walker.currentNode.textContent); }
  return {
    title: document.title,
    images: [...main.querySelectorAll("img")].map((img) => ({
      src: img.getAttribute("src"), alt: img.getAttribute("alt") || "",
      natural_width: img.complete ? img.naturalWidth : 0,
      displayed_width: img.getBoundingClientRect().width})),
    // Sphinx's general and module indexes lay out their entries in tables: not data
    tables: [...main.querySelectorAll("table")].filter((t) =>
      !t.matches(".indextable, .genindextable, .modindextable")).map((t) => {
      const own = t.querySelector(":scope > caption");
      const figure = t.closest("figure");
      const around = figure ? figure.querySelector("figcaption") : null;
      return {
        caption: (own ? own.innerText : "") || (around ? around.innerText : ""),
        head: [...t.querySelectorAll("th")].slice(0, 3).map((c) => c.innerText.trim()).join(" | "),
      };
    }),
    text: main.innerText,
    prose: prose.join(" "),
    math: main.querySelectorAll(".math").length,
    typeset: main.querySelectorAll("mjx-container").length,
    overflow: overflow,
  };
}"""

_IMAGES_SETTLED = """() => Promise.all([...document.images].map((img) => img.complete ? null :
  new Promise((done) => {
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  })))"""

#: Resolve when MathJax (if the page loaded it) has typeset everything.
MATH_READY = """async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  if (mj && mj.typesetPromise) { await mj.typesetPromise(); }
}"""


def check_page(
    browser: Any,
    url: str,
    screenshot: Path | None = None,
    main: tuple[str, ...] = MAIN_CONTENT,
    timeout: float = 30.0,
    offline: bool = True,
) -> PageReport:
    """Open ``url`` in a fresh browser context at 1280 x 900 and report what went wrong.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        From :func:`launch`.
    url : str
        The page, usually under :func:`serve`'s base URL.
    screenshot : Path, optional
        Where to save a full-page PNG screenshot.
    main : tuple of str
        CSS selectors of the main content, first match wins.
    timeout : float
        Seconds to wait for the page to load.
    offline : bool
        Refuse every request that leaves loopback (:func:`block_outside`),
        as a reader without internet would see the page; False answers them
        locally instead (:func:`keep_local`). Either way they are listed in
        :attr:`PageReport.external`.

    Returns
    -------
    PageReport
    """
    report = PageReport(url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        if offline:
            block_outside(context, report.external)
        else:
            keep_local(context, report.external, local_mathjax())
        page = context.new_page()
        page.on("console", lambda msg: _console(msg, report))
        page.on("pageerror", lambda err: report.page_errors.append(str(err)))
        page.on(
            "requestfailed",
            lambda req: report.failed_requests.append(f"{req.url} ({req.failure})")
            if _is_local(req.url) else None,
        )
        page.on(
            "response",
            lambda res: report.failed_requests.append(f"{res.url} (HTTP {res.status})")
            if res.status >= 400 and _is_local(res.url) else None,
        )
        response = page.goto(url, wait_until="load", timeout=timeout * 1000)
        page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        page.evaluate(_IMAGES_SETTLED)
        page.evaluate(MATH_READY)
        seen = page.evaluate(_INSPECT, list(main))
        report.title = seen["title"]
        report.images = [{**img, "dpi": _image_dpi(urljoin(page.url, img["src"] or ""))}
                         for img in seen["images"]]
        report.tables = seen["tables"]
        report.text = seen["text"]
        report.prose = seen["prose"]
        report.math = seen["math"]
        report.typeset = seen["typeset"]
        report.overflow = seen["overflow"]
        source = response.text() if response is not None else page.content()
        report.html_paths = sorted(set(ABSOLUTE_PATH.findall(source)))
        if screenshot is not None:
            screenshot = Path(screenshot)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            report.screenshot = screenshot
    finally:
        context.close()
    return report


def _image_dpi(url: str) -> float | None:
    """The dpi a local PNG declares, or None (not local, not a PNG, or not found)."""
    if not _is_local(url) or not urlsplit(url).path.lower().endswith(".png"):
        return None
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback only
            return png_dpi(answer.read())
    except OSError:
        return None


def _console(message: Any, report: PageReport) -> None:
    """Record a console error, except the browser's note on a refused outside request."""
    if message.type != "error":
        return
    where = message.location.get("url", "") if message.location else ""
    if where and not _is_local(where) and where in report.external:
        return  # already listed as an outside request
    report.console_errors.append(f"{message.text} [{where}]" if where else message.text)


#: Sphinx writes a summary line ("Search finished, ...") when all results are listed.
_SEARCH_FINISHED = """() => {
  const summary = document.querySelector("#search-results p.search-summary");
  return summary !== null && summary.innerText.trim().length > 0;
}"""


def search(
    browser: Any,
    base_url: str,
    query: str,
    screenshot: Path | None = None,
    timeout: float = 30.0,
) -> list[str]:
    """Run the book's own search page and return the titles it lists.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        From :func:`launch`.
    base_url : str
        Base URL of the served book (ends in ``/``).
    query : str
        What to search for.
    screenshot : Path, optional
        Where to save a screenshot of the results.
    timeout : float
        Seconds to wait for the first result.

    Returns
    -------
    list of str
        Text of each result (``ul.search li``) once Sphinx says the search has
        finished; empty if nothing matched or the search did not finish in time.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        block_outside(context, [])
        page = context.new_page()
        page.goto(f"{base_url}search.html?q={query}", wait_until="load")
        try:
            page.wait_for_function(_SEARCH_FINISHED, timeout=timeout * 1000)
        except PlaywrightTimeout:
            return []
        if screenshot is not None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        return [item.inner_text() for item in page.query_selector_all("ul.search li")]
    finally:
        context.close()
