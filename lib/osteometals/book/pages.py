"""Make an executed chapter notebook into a page for readers.

:func:`osteometals.book.build.execute_chapter` calls :func:`prepare` on the
notebook before papermill runs it, and :func:`finish` on the executed one:

* :func:`prepare` adds a hidden first cell that sets the book's plotting
  style (:func:`osteometals.book.style.use`), so every figure of every page
  looks the same whoever draws it;
* :func:`finish` hides papermill's ``injected-parameters`` cell (it only
  holds the folders the build chose) and puts in its place a box, "Parameters
  of this page" (:func:`parameters_box`): the parameters that differ from the
  chapter's defaults, or "defaults (reproduces the paper)", and the exact
  commands that regenerate the page and open it in JupyterLab with the same
  parameters; it gives every captioned figure alternative text (from its
  caption, glue values filled in) unless the chapter wrote its own; and it
  puts a target before each exercise (``**Exercise 1.** ...``), so that
  the methods primer can link to it (:func:`exercise_list`).

The ``parameters`` of the build itself (:data:`PLUMBING`: where results go
and where earlier results are read) are not "parameters of the page": they
never change a number, and their values are folders of the building machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from osteometals.book.chapters import Chapter

#: Parameters the build sets on every run (folders), not shown as choices.
PLUMBING = frozenset({"output_dir", "results_root", "build_dir"})

#: Tag of the hidden cells the build adds.
BUILD_TAG = "osteometals-build"

STYLE_CELL = "from osteometals.book import style\n\nstyle.use()"

#: An exercise in a chapter's prose: ``**Exercise 1.**`` or ``**Exercise 2 (BKMR).**``.
EXERCISE = re.compile(r"^\*\*Exercise\s+(?P<number>[^*]+?)\.?\*\*\s*(?P<text>.*)$", re.M)

_GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`(?P<key>[^`]+)`")
_ROLE = re.compile(r"\{[a-z:-]+\}`(?P<body>[^`]+)`")


def command(chapter: Chapter, values: Mapping[str, Any]) -> str:
    """The ``osteometals run`` command that regenerates a page with these parameters.

    Examples
    --------
    >>> from pathlib import Path
    >>> ch = Chapter("03_odds", Path("03_odds.md"), ())
    >>> command(ch, {"weighted": False, "output_dir": "/x"})
    'osteometals run 03_odds -p weighted false'
    """
    parts = ["osteometals", "run", chapter.name]
    for name, value in values.items():
        if name in PLUMBING:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts += ["-p", name, _quote(text)]
    return " ".join(parts)


def lab_command(chapter: Chapter, values: Mapping[str, Any]) -> str:
    """The ``make lab`` command that opens the page in JupyterLab with these parameters."""
    chosen = command(chapter, values).split(" ", 3)
    params = chosen[3] if len(chosen) > 3 else ""
    line = f"make lab CHAPTER={chapter.name}"
    return f"{line} PARAMS='{params}'" if params else line


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w.,+:/=-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def changed(chapter: Chapter, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values among ``values`` that differ from the chapter's defaults (plumbing left out)."""
    defaults = chapter.defaults()
    return {k: v for k, v in values.items()
            if k not in PLUMBING and k in defaults and v != defaults[k]}


def parameters_box(chapter: Chapter, values: Mapping[str, Any]) -> str:
    """The "Parameters of this page" box, as MyST Markdown.

    Parameters
    ----------
    chapter : Chapter
        The page.
    values : mapping
        The parameters it was run with (papermill's injected values).

    Returns
    -------
    str
        An admonition listing every parameter that differs from its default
        (with the default and its help text), or "defaults (reproduces the
        paper)", and the commands that regenerate the page.
    """
    different = changed(chapter, values)
    lines = ["```{admonition} Parameters of this page", ":class: note om-parameters", ""]
    if not different:
        lines.append("**Defaults** (reproduces the paper).")
    else:
        lines.append("Different from the defaults that reproduce the paper:")
        lines.append("")
        for name, value in different.items():
            p = chapter.parameter(name)
            help_text = f": {p.help}" if p.help else ""
            lines.append(f"* `{name}` = `{value!r}` (default `{p.default!r}`){help_text}")
    lines += [
        "",
        f"Regenerate this page: `{command(chapter, different)}`",
        "",
        f"Open it in JupyterLab with the same parameters: `{lab_command(chapter, different)}`",
        "```",
    ]
    return "\n".join(lines)


def prepare(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Add the hidden style cell at the top of a notebook about to run (in place)."""
    cell = nbformat.v4.new_code_cell(STYLE_CELL)
    cell.metadata["tags"] = ["remove-cell", BUILD_TAG]
    notebook.cells.insert(0, cell)
    return notebook


def glued_text(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The plain-text value of every ``glue`` of an executed notebook, by key."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("text/plain")
            if key and text is not None:
                text = "".join(text) if isinstance(text, list) else str(text)
                found[key] = text[1:-1] if text[:1] == text[-1:] and text[:1] in "'\"" else text
    return found


def plain(markdown: str, glue: Mapping[str, str]) -> str:
    """MyST text without markup: glue roles filled in, other roles by their text."""
    text = _GLUE_ROLE.sub(lambda m: glue.get(m["key"], m["key"]), markdown)
    text = _ROLE.sub(lambda m: m["body"].split("<")[0].strip() if "<" in m["body"]
                     else m["body"], text)
    text = re.sub(r"[*`]", "", text)
    return " ".join(text.split())


def exercise_label(page: str, number: str) -> str:
    """The target name of an exercise, e.g. ``exercise-03_quartile_odds-1``."""
    return f"exercise-{page}-{re.sub(r'[^A-Za-z0-9]+', '-', number).strip('-').lower()}"


def finish(
    notebook: nbformat.NotebookNode, chapter: Chapter, values: Mapping[str, Any]
) -> nbformat.NotebookNode:
    """Turn an executed notebook into a page for readers (in place); see the module docstring."""
    glue = glued_text(notebook)
    hidden = any("parameters" in c.metadata.get("tags", [])
                 and "remove-cell" in c.metadata.get("tags", []) for c in notebook.cells)
    cells = []
    injected = False
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            injected = True
            cell.metadata["tags"] = [*tags, "remove-cell"]
            cells.append(cell)
            if not hidden:  # a page that hides its parameters (the introduction) gets no box
                box = nbformat.v4.new_markdown_cell(parameters_box(chapter, values))
                box.metadata["tags"] = [BUILD_TAG]
                cells.append(box)
            continue
        if cell.cell_type == "code":
            _alt_text(cell, glue)
        elif cell.cell_type == "markdown":
            cell.source = EXERCISE.sub(
                lambda m: f"({exercise_label(chapter.name, m['number'])})=\n{m[0]}", cell.source)
        cells.append(cell)
    if not injected:
        raise ValueError(f"{chapter.name}: papermill injected no parameters cell")
    notebook.cells = cells
    scrub_paths(notebook)
    return notebook


def scrub_paths(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only the file names of papermill's record of where the notebook was run (in place).

    papermill writes the absolute ``input_path`` and ``output_path`` of the
    run into the notebook's metadata; a reader who downloads the notebook
    needs neither, and they name folders of the building machine.
    """
    record = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if record.get(key):
            record[key] = Path(record[key]).name
    return notebook


def _alt_text(cell: nbformat.NotebookNode, glue: Mapping[str, str]) -> None:
    mystnb = cell.metadata.get("mystnb", {})
    caption = mystnb.get("figure", {}).get("caption")
    image = mystnb.get("image", {})
    if caption and not image.get("alt"):
        cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = plain(
            caption, glue)


@dataclass(frozen=True)
class Exercise:
    """An exercise of a page: where it is and how it starts."""

    page: str
    title: str
    number: str
    text: str

    @property
    def label(self) -> str:
        """Its target (see :func:`exercise_label`)."""
        return exercise_label(self.page, self.number)


def exercises(chapter: Chapter) -> list[Exercise]:
    """The exercises of a chapter's source, in order, each with its first sentence."""
    source = chapter.path.read_text(encoding="utf-8")
    found = []
    for m in EXERCISE.finditer(source):
        paragraph = source[m.start("text"):].split("\n\n", 1)[0]
        text = " ".join(paragraph.split())
        first = re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]
        found.append(Exercise(chapter.name, chapter.title, m["number"].strip(), first))
    return found


def exercise_list(chapters: Iterable[Chapter], folder: str = "chapters") -> str:
    """MyST Markdown listing every exercise of the chapters, each linked to its place.

    Parameters
    ----------
    chapters : iterable of Chapter
        The chapters, in reading order.
    folder : str
        Their folder in the book (for the links to the chapters).

    Returns
    -------
    str
        Per chapter, a link to it and one line per exercise: a link to the
        exercise and its first sentence.
    """
    lines = []
    for chapter in chapters:
        found = exercises(chapter)
        if not found:
            continue
        lines += [f"{{doc}}`{folder}/{chapter.name}`", ""]
        lines += [f"* {{ref}}`Exercise {ex.number} <{ex.label}>`: {plain(ex.text, {})}"
                  for ex in found]
        lines.append("")
    return "\n".join(lines)
