"""The book's Sphinx extension: a self-contained HTML book, downloads, a few styles.

* **MathJax from the book.** Sphinx loads MathJax 3 from a CDN by default,
  so offline (from disk, or on a classroom network) formulas stay raw TeX.
  This points ``mathjax_path`` at ``_static/mathjax/tex-mml-chtml.js`` and
  copies the MathJax that ``django-static-mathjax`` installs there (the
  CommonHTML output and the TeX input with its extensions; not the SVG
  output nor the speech engine, which the book does not use). Every other
  script, font and stylesheet of the theme is already served from
  ``_static``; the browser test refuses outside requests to prove it.
* **Downloads.** An executed page (a notebook source) offers its executed
  ``.ipynb``, its MyST ``.md`` source and a ``.pdf`` file instead of the
  theme's "print this page"; :func:`osteometals.book.build.render` writes
  the ``.md`` and ``.pdf`` files under ``_downloads/md/`` and
  ``_downloads/pdf/`` (:func:`download_path`).
* **Styles** (:data:`CSS`): long parameter comments wrap instead of running
  off their cell, wide outputs scroll in their own box, table captions.
* **Duplicate scripts.** Sphinx 7.4 can list the same inline script twice on
  a page; on chapter pages the Thebe configuration script then declares
  ``THEBE_JS_URL`` twice and the browser reports a SyntaxError. Exact
  duplicates are dropped from the page's script list before it is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

#: Where MathJax goes in the built book, relative to ``_static``.
MATHJAX_DIR = "mathjax"
#: Parts of MathJax's ``es5`` folder the book does not load.
MATHJAX_SKIP = ("sre", "*-full*", "*svg*", "mml-chtml.js", "node-main.js", "latest.js")

CSS_FILE = "osteometals.css"
CSS = """\
/* osteometals: written by osteometals.book.sphinxext */
.tag_parameters pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.cell_output .output.text_html { overflow-x: auto; max-width: 100%; }
.om-table { overflow-x: auto; max-width: 100%; margin: 0.5em 0 1em 0; }
.om-table .gt_table { margin-left: 0 !important; }
.om-table caption.om-caption {
  caption-side: top; text-align: left; font-weight: 600; padding: 0.2em 0 0.5em 0;
  font-size: 0.95rem; color: var(--pst-color-text-base, #222);
}
.om-parameters code { white-space: normal; overflow-wrap: anywhere; }
figure img { height: auto; }
"""


def download_path(pagename: str, suffix: str) -> str:
    """Where the ``.md`` or ``.pdf`` download of a page lives in the built book.

    Examples
    --------
    >>> download_path("chapters/03_quartile_odds", ".pdf")
    '_downloads/pdf/chapters/03_quartile_odds.pdf'
    """
    return f"_downloads/{suffix.lstrip('.')}/{pagename}{suffix}"


def use_local_mathjax(app: Any, config: Any) -> None:
    """Point ``mathjax_path`` at the book's own copy of MathJax."""
    from osteometals.book.browser import local_mathjax

    if local_mathjax() is None:
        raise ExtensionError(
            "no local MathJax 3 for the book: pip install django-static-mathjax "
            "(a dependency of the book extra), or set OSTEOMETALS_MATHJAX to an es5 folder")
    config.mathjax_path = f"{MATHJAX_DIR}/tex-mml-chtml.js"


def copy_static(app: Any, exception: Exception | None) -> None:
    """Copy MathJax and the book's stylesheet into ``_static`` after an HTML build."""
    from osteometals.book.browser import local_mathjax

    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / CSS_FILE).write_text(CSS, encoding="utf-8")
    target = static / MATHJAX_DIR
    if not (target / "tex-mml-chtml.js").is_file():
        shutil.copytree(local_mathjax(), target, ignore=shutil.ignore_patterns(*MATHJAX_SKIP),
                        dirs_exist_ok=True)


def _script_key(script: Any) -> tuple:
    """What makes two script entries the same: file (or inline body) and attributes."""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of each identical script entry of a page."""
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def download_buttons(app, pagename, templatename, context, doctree) -> None:
    """Offer an executed page as ``.ipynb``, ``.md`` and ``.pdf`` files."""
    if not str(context.get("sourcename", "")).endswith(".ipynb"):
        return
    pathto = context["pathto"]
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        notebook = next((b for b in group["buttons"]
                         if b.get("label") == "download-source-button"), None)
        buttons = []
        if notebook is not None:
            buttons.append({**notebook, "text": ".ipynb",
                            "tooltip": "Download the executed notebook", "icon": "fas fa-code"})
        buttons.append({
            "type": "link", "url": pathto(download_path(pagename, ".md"), 1), "text": ".md",
            "tooltip": "Download the MyST Markdown source", "icon": "fas fa-file",
            "label": "download-markdown-button"})
        buttons.append({
            "type": "link", "url": pathto(download_path(pagename, ".pdf"), 1), "text": ".pdf",
            "tooltip": "Download this page as PDF", "icon": "fas fa-file-pdf",
            "label": "download-pdf-button"})
        group["buttons"] = buttons


def setup(app) -> dict[str, bool]:
    """Register the extension with Sphinx."""
    app.connect("config-inited", use_local_mathjax)
    app.connect("build-finished", copy_static)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", download_buttons, priority=900)
    app.add_css_file(CSS_FILE)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
