"""Serve a folder on loopback and look at its pages with headless Chromium.

Used by the browser test (``tests/test_browser.py``) and by the PDF export
(:mod:`osteometals.book.pdf`). Chromium is Debian's (``/usr/bin/chromium``),
driven by Playwright for Python; Playwright's own browser downloads are never
needed.

Pages are looked at *hermetically*: a request that leaves the loopback
server (for example MathJax from a CDN) is answered locally, from a MathJax
installed with the PyPI package ``django-static-mathjax`` when there is one,
otherwise with an empty body, and its URL is recorded in
:attr:`PageReport.external`. A page therefore behaves the same with and
without internet, and a broken *local* link is still caught.

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: Debian's Chromium.
CHROMIUM = Path("/usr/bin/chromium")

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


def keep_local(target: Any, external: list[str], mathjax: Path | None = None) -> None:
    """Answer every request that leaves loopback locally, and record its URL.

    MathJax 3 from a CDN is served from ``mathjax`` when given; any other
    outside request gets an empty ``200`` answer, so that a page looks the
    same offline and online.

    Parameters
    ----------
    target : playwright.sync_api.Page or BrowserContext
        Where to install the route.
    external : list of str
        Receives the URL of every outside request, in order.
    mathjax : Path, optional
        A MathJax 3 ``es5`` folder (see :func:`local_mathjax`).
    """

    def handle(route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
            return
        external.append(url)
        match = _MATHJAX_CDN.match(url)
        if mathjax is not None and match:
            path = (mathjax / match["file"]).resolve()
            if path.is_file() and path.is_relative_to(mathjax.resolve()):
                route.fulfill(path=str(path))
                return
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "text/plain"
        route.fulfill(status=200, body="", content_type=kind)

    target.route("**/*", handle)


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
        ``console.error`` messages and resources that failed to load.
    page_errors : list of str
        Uncaught JavaScript exceptions.
    failed_requests : list of str
        Local requests that failed or answered with status >= 400.
    external : list of str
        Requests to other hosts, answered locally (see :func:`keep_local`).
    images : list of dict
        Every ``<img>`` of the main content: ``src`` and ``natural_width``.
    tables : int
        Number of ``<table>`` elements in the main content.
    text : str
        Visible text of the main content.
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
    tables: int = 0
    text: str = ""
    screenshot: Path | None = None

    @property
    def broken_images(self) -> list[str]:
        """Sources of images that did not load (``naturalWidth == 0``)."""
        return [img["src"] for img in self.images if not img["natural_width"]]

    def problems(self) -> list[str]:
        """Everything wrong with the page, one readable line each; empty if none."""
        lines = [f"console error: {m}" for m in self.console_errors]
        lines += [f"uncaught exception: {m}" for m in self.page_errors]
        lines += [f"failed request: {m}" for m in self.failed_requests]
        lines += [f"image did not load: {m}" for m in self.broken_images]
        return [f"{self.url}: {line}" for line in lines]


_INSPECT = """(selectors) => {
  const main = selectors.map((s) => document.querySelector(s)).find((e) => e) || document.body;
  return {
    title: document.title,
    images: [...main.querySelectorAll("img")].map((img) => ({
      src: img.getAttribute("src"), natural_width: img.complete ? img.naturalWidth : 0})),
    tables: main.querySelectorAll("table").length,
    text: main.innerText,
  };
}"""

_IMAGES_SETTLED = """() => Promise.all([...document.images].map((img) => img.complete ? null :
  new Promise((done) => {
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  })))"""


def check_page(
    browser: Any,
    url: str,
    screenshot: Path | None = None,
    main: tuple[str, ...] = MAIN_CONTENT,
    timeout: float = 30.0,
) -> PageReport:
    """Open ``url`` in a fresh browser context and report what went wrong.

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

    Returns
    -------
    PageReport
    """
    report = PageReport(url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        keep_local(context, report.external, local_mathjax())
        page = context.new_page()
        page.on(
            "console",
            lambda msg: report.console_errors.append(_describe(msg))
            if msg.type == "error" else None,
        )
        page.on("pageerror", lambda err: report.page_errors.append(str(err)))
        page.on(
            "requestfailed",
            lambda req: report.failed_requests.append(f"{req.url} ({req.failure})"),
        )
        page.on(
            "response",
            lambda res: report.failed_requests.append(f"{res.url} (HTTP {res.status})")
            if res.status >= 400 and _is_local(res.url) else None,
        )
        page.goto(url, wait_until="load", timeout=timeout * 1000)
        page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        page.evaluate(_IMAGES_SETTLED)
        seen = page.evaluate(_INSPECT, list(main))
        report.title = seen["title"]
        report.images = seen["images"]
        report.tables = seen["tables"]
        report.text = seen["text"]
        if screenshot is not None:
            screenshot = Path(screenshot)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            report.screenshot = screenshot
    finally:
        context.close()
    return report


def _describe(message: Any) -> str:
    where = message.location.get("url", "") if message.location else ""
    return f"{message.text} [{where}]" if where else message.text


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
        keep_local(context, [], local_mathjax())
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
