"""A small Sphinx extension for the book's HTML.

Sphinx 7.4 can list the same inline script (one without a file) twice on a
page; on chapter pages the Thebe configuration script then declares
``THEBE_JS_URL`` twice and the browser reports a SyntaxError. This removes
exact duplicates from the page's script list before it is written.
"""

from __future__ import annotations

from typing import Any


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


def setup(app) -> dict[str, bool]:
    """Register the extension with Sphinx."""
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
