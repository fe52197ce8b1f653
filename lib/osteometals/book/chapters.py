"""Find the book's chapters and read, document and validate their parameters.

Every chapter is a MyST Markdown notebook (``book/chapters/NN_topic.md``) with
exactly one code cell tagged ``parameters``, written one parameter a line::

    spine_reference: Literal["hologic", "nhanes"] = "hologic"  # spine T-score reference
    seed: int = 2025  # random seed

The annotation gives the type (``int``, ``float``, ``bool``, ``str`` or
``Literal[...]`` for a fixed set of choices), the value the default (it
reproduces the paper) and the trailing comment the help text. A number's
help text ends with its range, in interval notation after ``in``::

    alpha: float = 0.05  # one minus the confidence level, in (0, 1)
    wqs_b: int = 100  # bootstrap samples, in [1, inf)

Help text must not contain ``=`` (papermill reads the same cell and takes a
second ``=`` on a line for a syntax it cannot parse). This module
reads that cell without running it (``ast`` and ``tokenize``), so the
command line can list parameters and refuse a bad name or value before any
work starts.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext

#: Folder of the book's sources, relative to the repository root.
BOOK_DIR = Path(__file__).resolve().parents[3] / "book"
CHAPTER_DIR = BOOK_DIR / "chapters"
#: Executable pages after the chapters (e.g. how the book was built); run last.
APPENDIX_DIR = BOOK_DIR / "appendix"

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class ParameterError(ValueError):
    """A parameter name or value that a chapter does not accept."""


_NUMBER = r"[-+]?(?:inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?)"
_INTERVAL = re.compile(
    rf",?\s*\bin\s*(?P<lo_b>[\[(])\s*(?P<lo>{_NUMBER})\s*,\s*(?P<hi>{_NUMBER})\s*"
    r"(?P<hi_b>[\])])\s*$"
)


@dataclass(frozen=True)
class Interval:
    """The range of a numeric parameter, e.g. ``(0, 1)`` or ``[1, inf)``.

    Attributes
    ----------
    lower, upper : float
        Bounds; ``-inf`` / ``inf`` for none.
    lower_closed, upper_closed : bool
        Whether the bound itself is allowed (``[`` / ``]``).
    """

    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool

    def __contains__(self, value: float) -> bool:
        above = value >= self.lower if self.lower_closed else value > self.lower
        below = value <= self.upper if self.upper_closed else value < self.upper
        return bool(above and below)

    def __str__(self) -> str:
        def num(x: float) -> str:
            return ("-inf" if x < 0 else "inf") if math.isinf(x) else f"{x:g}"

        return (f"{'[' if self.lower_closed else '('}{num(self.lower)}, "
                f"{num(self.upper)}{']' if self.upper_closed else ')'}")


def split_range(help_text: str) -> tuple[str, Interval | None]:
    """Split a trailing ``in [a, b)`` interval off a help text.

    Returns
    -------
    (str, Interval or None)
        The help text without the interval, and the interval if there was one.
    """
    match = _INTERVAL.search(help_text)
    if match is None:
        return help_text, None
    interval = Interval(float(match["lo"]), float(match["hi"]), match["lo_b"] == "[",
                        match["hi_b"] == "]")
    return help_text[: match.start()].rstrip(), interval


@dataclass(frozen=True)
class Parameter:
    """One entry of a chapter's ``parameters`` cell.

    Attributes
    ----------
    name : str
        Variable name in the chapter.
    type : str
        ``"int"``, ``"float"``, ``"bool"``, ``"str"`` or ``"Literal"``.
    default : Any
        Default value (reproduces the paper).
    help : str
        Trailing comment of the line.
    choices : tuple or None
        Allowed values for ``Literal`` parameters.
    range : Interval or None
        Allowed values of an ``int`` or ``float`` parameter.
    """

    name: str
    type: str
    default: Any
    help: str = ""
    choices: tuple | None = None
    range: Interval | None = None

    def parse(self, value: Any) -> Any:
        """Convert ``value`` (often a command-line string) to this parameter's type.

        Raises
        ------
        ParameterError
            If the value cannot be converted or is not one of the choices.
        """
        try:
            converted = self._convert(value)
        except (TypeError, ValueError) as err:
            raise ParameterError(
                f"parameter {self.name!r} expects {self.describe_type()}, got {value!r}"
            ) from err
        if self.choices is not None and converted not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ParameterError(
                f"parameter {self.name!r} got {value!r}; choose one of {allowed}"
            )
        if self.range is not None and converted not in self.range:
            raise ParameterError(
                f"parameter {self.name!r} got {value!r}; it must lie in {self.range}"
            )
        return converted

    def _convert(self, value: Any) -> Any:
        if self.type == "Literal":
            if isinstance(value, str):
                for choice in self.choices or ():
                    if str(choice) == value:
                        return choice
            return value
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if self.type == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if self.type == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        return str(value)

    def describe_type(self) -> str:
        """Human-readable type, e.g. ``one of 'a', 'b'`` or ``int``."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.range is not None:
            return f"{self.type} in {self.range}"
        return self.type


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book: its source file and its parameters."""

    name: str
    path: Path
    parameters: tuple[Parameter, ...]

    @property
    def folder(self) -> str:
        """The book folder the page is in: ``"chapters"``, ``"appendix"`` or ``"front"``.

        ``"front"`` is an executable page at the top of the book (the
        introduction), which the build stages beside ``_toc.yml``.
        """
        name = self.path.parent.name
        return name if name in ("chapters", "appendix") else "front"

    @property
    def page(self) -> str:
        """The page in the book: ``"chapters/01_cohort"``, or ``"intro"`` for a front page."""
        return self.name if self.folder == "front" else f"{self.folder}/{self.name}"

    @property
    def title(self) -> str:
        """The chapter's first level-1 heading."""
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.name

    def parameter(self, name: str) -> Parameter:
        """Return the parameter called ``name``.

        Raises
        ------
        ParameterError
            If the chapter has no such parameter (the message lists those it has).
        """
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(
            f"chapter {self.name!r} has no parameter {name!r}; its parameters are: {known}"
        )

    def validate(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Check names and convert values of ``overrides``; return the converted dict."""
        return {name: self.parameter(name).parse(value) for name, value in overrides.items()}

    def defaults(self) -> dict[str, Any]:
        """Default value of every parameter."""
        return {p.name: p.default for p in self.parameters}


def _annotation(node: ast.expr) -> tuple[str, tuple | None]:
    """Map an annotation node to (type name, choices)."""
    if isinstance(node, ast.Name) and node.id in {"int", "float", "bool", "str"}:
        return node.id, None
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name | ast.Attribute)
        and (getattr(node.value, "id", None) or getattr(node.value, "attr", None)) == "Literal"
    ):
        inner = node.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return "Literal", tuple(ast.literal_eval(e) for e in elements)
    raise ParameterError(
        f"unsupported parameter annotation {ast.unparse(node)!r}: "
        "use int, float, bool, str or Literal[...]"
    )


def parse_parameters(source: str) -> tuple[Parameter, ...]:
    """Read parameters from the source of a ``parameters`` cell.

    Parameters
    ----------
    source : str
        Python source: one annotated assignment a line with a trailing comment.

    Returns
    -------
    tuple of Parameter

    Raises
    ------
    ParameterError
        If a line is not an annotated assignment with a literal default.
    """
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    params = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            raise ParameterError(
                f"line {node.lineno} of the parameters cell is not 'name: type = value'"
            )
        if node.value is None:
            raise ParameterError(f"parameter {node.target.id!r} has no default")
        kind, choices = _annotation(node.annotation)
        default = ast.literal_eval(node.value)
        help_text, interval = split_range(comments.get(node.lineno, ""))
        if "=" in help_text:
            raise ParameterError(
                f"the help text of parameter {node.target.id!r} contains '=', which papermill "
                "cannot parse: reword it"
            )
        if interval is not None and kind not in ("int", "float"):
            raise ParameterError(f"parameter {node.target.id!r}: only numbers take a range")
        param = Parameter(node.target.id, kind, default, help_text, choices, interval)
        param.parse(default)  # the default itself must be valid
        params.append(param)
    return tuple(params)


def parameters_cell(path: Path) -> str:
    """Return the source of the single cell tagged ``parameters`` in a notebook file."""
    notebook = jupytext.read(path, fmt="md:myst")
    cells = [
        c for c in notebook.cells
        if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if len(cells) != 1:
        raise ParameterError(
            f"{path} must have exactly one cell tagged 'parameters', has {len(cells)}"
        )
    return cells[0].source


def load_chapter(path: Path) -> Chapter:
    """Read one chapter file."""
    path = Path(path)
    return Chapter(path.stem, path, parse_parameters(parameters_cell(path)))


def list_chapters(folder: Path = CHAPTER_DIR) -> list[Chapter]:
    """All chapters of the book, in reading order (file name order)."""
    return [load_chapter(p) for p in sorted(Path(folder).glob("[0-9][0-9]_*.md"))]


def list_appendix(folder: Path = APPENDIX_DIR) -> list[Chapter]:
    """The executable appendix pages, in file name order (run after every chapter)."""
    return [load_chapter(p) for p in sorted(Path(folder).glob("*.md"))]


#: Executable pages at the top of the book, run after the chapters (they summarise them).
FRONT_PAGES = ("intro.md",)


def list_front(folder: Path = BOOK_DIR) -> list[Chapter]:
    """The executable front pages (:data:`FRONT_PAGES` that have a ``parameters`` cell)."""
    found = []
    for name in FRONT_PAGES:
        path = Path(folder) / name
        if not path.is_file():
            continue
        try:
            found.append(load_chapter(path))
        except ParameterError:
            continue  # a static page: no parameters cell
    return found


def list_pages() -> list[Chapter]:
    """Every executable page in build order: the chapters, the front pages, the appendix."""
    return list_chapters() + list_front() + list_appendix()


def find_chapter(name: str, folder: Path | None = None) -> Chapter:
    """Find a page by file stem (``03_quartile_odds``, ``provenance``) or number (``3``, ``03``).

    Parameters
    ----------
    name : str
        The stem or chapter number.
    folder : Path, optional
        Search only the chapters in this folder; default every page of the book.

    Raises
    ------
    ParameterError
        If no page, or more than one, matches (the message lists them all).
    """
    chapters = list_chapters(folder) if folder is not None else list_pages()
    key = name.removesuffix(".md")
    matches = [
        c for c in chapters
        if c.name == key or (key.isdigit() and c.name.split("_", 1)[0] == f"{int(key):02d}")
    ]
    if len(matches) != 1:
        known = ", ".join(c.name for c in chapters)
        raise ParameterError(f"no chapter called {name!r}; the chapters are: {known}")
    return matches[0]
