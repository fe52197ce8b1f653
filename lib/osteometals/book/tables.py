"""Tables for reading: every table a reader of the book sees goes through :func:`show`.

A chapter ends a cell with ``tables.show(frame, "Caption.", source=...)``
instead of the bare DataFrame. The frame is rendered with great-tables
(:class:`great_tables.GT`), set up once here:

* no integer index (a named index becomes the first columns);
* human column labels (:data:`LABELS`, else ``snake_case`` to "Snake case"),
  two-level columns (a pivot) as spanners over their sub-columns;
* numbers with sensible digits: counts as integers with thousands
  separators, P-values as ``0.003`` or ``<0.001``, other numbers with two to
  three significant decimals chosen from the column's size;
* "—" for a missing value and "n/a" where a verdict does not apply (a
  yes/no verdict that is missing, or a count of agreements among zero
  comparable cells, :data:`COUNT_OF`);
* agreement and disagreement marked by colour *and* by a symbol (✓ / ✗ /
  ≈ / —), so that the mark survives a black-and-white print and needs no
  colour vision (the colours are Okabe and Ito's colour-blind-safe set);
* a ``<caption>`` and a source note under the table;
* a box that scrolls sideways on its own when the table is wider than the
  text column.

:func:`side_by_side` lays a scorecard-like frame out as "paper | ours", each
estimate with its interval and P-value under a spanner, and the verdict.

Why great-tables and a little code of our own: great-tables gives labels,
spanners, number formats, missing-value text and source notes, but writes its
title inside the table head rather than as a ``<caption>``, a few CSS rules
that reach other tables on the page, and a random id; :class:`Table` adds the
caption, scopes those rules and uses an id made from the caption, so that a
rebuild gives the same HTML.

Example
-------
>>> import pandas as pd
>>> frame = pd.DataFrame({"metal": ["cd", "se"], "estimate": [1.234, 0.81], "p": [0.0004, 0.2]})
>>> table = show(frame, "Odds ratios.", source="Simulated.")
>>> "<caption" in table._repr_html_() and "&lt;0.001" in table._repr_html_()
True
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import METALS

#: The source note of a table computed by the book from the NHANES files.
SOURCE_NHANES = (
    "Source: computed by this book from NHANES 2013–2014 and 2017–March 2020 "
    "(CDC, National Center for Health Statistics)."
)
#: The source note of a table that sets the paper's numbers beside ours.
SOURCE_PAPER_AND_OURS = (
    "Source: Peng et al. (2025), Front. Environ. Health 4:1468404 (the paper's values); "
    "this book, from NHANES 2013–2014 and 2017–March 2020 (ours)."
)

#: Okabe & Ito (2008) colour-blind-safe colours: agreement, partial, disagreement, none.
COLOURS = {"agree": "#0072B2", "partly": "#E69F00", "differ": "#D55E00", "none": "#6E6E6E"}

#: How a verdict (or yes/no) is shown: (symbol and words, colour key).
VERDICTS: dict[str, tuple[str, str]] = {
    "agree": ("✓ agrees", "agree"),
    "reproduced": ("✓ reproduced", "agree"),
    "significance differs": ("≈ same direction, significance differs", "partly"),
    "partly": ("≈ partly", "partly"),
    "opposite, both n.s.": ("✗ opposite (both n.s.)", "differ"),
    "opposite": ("✗ opposite", "differ"),
    "not reproduced": ("✗ not reproduced", "differ"),
    "p only": ("— P only", "none"),
    "difference": ("↔ compared by size", "none"),
    "direction unknown": ("— direction unknown", "none"),
    "not compared": ("— not compared", "none"),
}
#: Column names whose values are verdict words (:data:`VERDICTS`).
VERDICT_COLUMNS = ("verdict", "glance_verdict")

#: Yes/no columns that are facts, not agreement: shown as yes/no without colour.
NEUTRAL_BOOLEANS = frozenset({"weighted", "op"})

#: A count of agreements and the count of cells where that verdict applies:
#: shown as "k of m", or "n/a" when m is 0 (e.g. direction has no meaning
#: for a count or a percentage of Table 1).
COUNT_OF: dict[str, str] = {
    "same_direction": "direction_comparable",
    "ci_overlap": "ci_comparable",
}

#: Human labels of the column names the book's frames use.
LABELS: dict[str, str] = {
    "table": "Table", "quantity": "Quantity", "metal": "Metal", "quartile": "Quartile",
    "model": "Model", "outcome": "Outcome", "site": "Site", "stratifier": "Subgroup by",
    "stratum": "Subgroup", "variable": "Variable", "level": "Level", "op": "Osteoporosis",
    "term": "Term", "estimate": "Estimate", "se": "SE", "statistic": "Statistic",
    "ci_lower": "95% CI lower", "ci_upper": "95% CI upper", "p": "P", "p_trend": "P for trend",
    "p_interaction": "P for interaction", "n": "n", "n_op": "n with osteoporosis",
    "published": "Paper", "ours": "Ours", "published_p": "P (paper)", "ours_p": "P (ours)",
    "published_ci_lower": "CI lower (paper)", "published_ci_upper": "CI upper (paper)",
    "ours_ci_lower": "CI lower (ours)", "ours_ci_upper": "CI upper (ours)",
    "compared": "Compared", "same_direction": "Same direction", "ci_overlap": "CIs overlap",
    "published_in_ci": "Paper's value in our CI", "same_significance": "Same significance",
    "significant_published": "Significant in the paper", "significant_ours": "Significant here",
    "significant_both": "Significant in both", "agree": "Agree", "verdict": "Verdict",
    "ratio": "Ratio (ours / paper)", "difference": "Difference (ours − paper)",
    "median_ratio": "Median ratio (ours / paper)",
    "median_abs_difference": "Median |difference|", "reading": "Reading of the PDF",
    "weighted": "Design-based", "seconds": "Seconds", "chapter": "Chapter",
    "weight": "Weight", "pip": "PIP", "or": "OR", "beta": "β", "mean": "Mean", "sd": "SD",
    "median": "Median", "iqr": "IQR", "percent": "%", "pct": "%", "count": "Count",
    "item": "Item", "value": "Value", "package": "Package", "required": "Required",
    "locked": "Locked", "installed": "Installed", "matches_lock": "Matches the lock",
    "sha256": "SHA-256", "file": "File", "origin": "Origin", "this_build": "This build",
    "verified": "Verified", "source": "Source", "api": "API", "library": "Library",
    "version": "Version", "threads": "Threads",
}
_WORDS = {"ci": "CI", "or": "OR", "bmd": "BMD", "sd": "SD", "se": "SE", "pip": "PIP",
          "wqs": "WQS", "bkmr": "BKMR", "bmi": "BMI", "op": "OP", "n": "n", "p": "P"}

_METAL_SYMBOLS = {m.key: m.symbol for m in METALS}

#: Columns holding P-values: ``p``, ``p_trend``, ``*_p``, ``p_*``.
_P_COLUMN = re.compile(r"^(p|p_.+|.+_p)$")


def label(name: object) -> str:
    """The human label of a column name.

    Parameters
    ----------
    name : object
        A column name, usually ``snake_case``.

    Returns
    -------
    str
        From :data:`LABELS`, else the words of ``name`` with the first
        capitalised and known abbreviations in capitals (``ci_width`` ->
        ``"CI width"``).

    Examples
    --------
    >>> label("p_trend"), label("n_women_kept")
    ('P for trend', 'N women kept')
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    words = [_WORDS.get(w.lower(), w) for w in text.replace("-", "_").split("_") if w]
    if not words:
        return text
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def format_p(p: float) -> str:
    """A P-value for reading: ``<0.001``, else three decimals (``0.040``), or "—".

    Examples
    --------
    >>> format_p(0.00002), format_p(0.0401), format_p(float("nan"))
    ('<0.001', '0.040', '—')
    """
    if p is None or pd.isna(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def decimals_for(values: pd.Series) -> int:
    """Decimals that show a column of numbers with two to three significant digits.

    Chosen from the median of the absolute non-zero values: 0 decimals from
    100 up, 1 from 10, 2 from 0.1, 3 below (and more for very small values).

    Examples
    --------
    >>> decimals_for(pd.Series([1.234, 0.81])), decimals_for(pd.Series([1234.5, 88.0]))
    (2, 0)
    """
    finite = pd.to_numeric(values, errors="coerce").abs()
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.empty:
        return 2
    size = float(finite.median())
    if size >= 100:
        return 0
    if size >= 10:
        return 1
    if size >= 0.1:
        return 2
    return min(6, 2 - math.floor(math.log10(size)))


def _is_boolean(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return len(present) > 0 and present.map(lambda v: isinstance(v, bool | np.bool_)).all()


def _is_count(values: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return True
    if not pd.api.types.is_float_dtype(values):
        return False
    present = values.dropna()
    return len(present) > 0 and bool(np.all(np.isfinite(present))) and bool(
        (present == present.round()).all()) and bool((present.abs() >= 1).any())


def mark(text: str, colour: str) -> str:
    """``text`` as an HTML span in a :data:`COLOURS` colour (its symbol says the same)."""
    return (f'<span class="om-mark om-{colour}" style="color: {COLOURS[colour]}; '
            f'font-weight: 600">{html.escape(text)}</span>')


def _cell_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return html.escape(str(value))


@dataclass
class Table:
    """A table rendered for reading; shows as HTML in a notebook, as text elsewhere.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cells as shown (strings, some with HTML marks), human labels as columns.
    caption : str
        Shown above the table.
    source : str
        The source note, shown under the table.
    spanners : dict
        Spanner label -> the column labels under it.
    notes : list of str
        Further notes under the source.
    numeric : list of str
        Labels of the columns of numbers, aligned right.
    """

    frame: pd.DataFrame
    caption: str
    source: str
    spanners: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)

    @property
    def table_id(self) -> str:
        """An id made from the caption and the cells, so that a rebuild writes the same HTML."""
        digest = hashlib.sha1(
            (self.caption + "\x00" + self.frame.to_csv()).encode("utf-8")).hexdigest()
        return "om-" + digest[:10]

    def gt(self):
        """The :class:`great_tables.GT` object behind the HTML."""
        from great_tables import GT
        from great_tables import html as gt_html

        frame = self.frame.copy()
        ids = [f"c{i}" for i in range(frame.shape[1])]
        labels = dict(zip(ids, frame.columns, strict=True))
        frame.columns = ids
        table = GT(frame).with_id(self.table_id)
        table = table.cols_label(**{i: gt_html(html.escape(str(v))) for i, v in labels.items()})
        table = table.fmt(lambda v: v if isinstance(v, str) else _cell_text(v), columns=ids)
        right = [i for i, v in labels.items() if v in self.numeric]
        left = [i for i in ids if i not in right]
        if right:
            table = table.cols_align("right", columns=right)
        if left:
            table = table.cols_align("left", columns=left)
        for spanner, columns in self.spanners.items():
            under = [i for i, v in labels.items() if v in columns]
            if under:
                table = table.tab_spanner(label=spanner, columns=under)
        for note in [self.source, *self.notes]:
            if note:
                table = table.tab_source_note(note)
        return table.tab_options(table_font_size="14px", container_width="100%",
                                 table_margin_left="0", table_margin_right="0")

    def as_html(self) -> str:
        """The table as an HTML fragment: a scrolling box holding a captioned ``<table>``."""
        raw = self.gt().as_raw_html()
        raw = _scope_css(raw, self.table_id)
        caption = f'<caption class="om-caption">{html.escape(self.caption)}</caption>'
        raw, n = re.subn(r"(<table\b[^>]*>)", r"\1" + caption.replace("\\", r"\\"), raw,
                         count=1)
        if n != 1:
            raise RuntimeError("great-tables wrote no <table>: cannot add the caption")
        return f'<div class="om-table">{raw}</div>'

    def _repr_html_(self) -> str:
        return self.as_html()

    def __repr__(self) -> str:
        plain = self.frame.map(lambda v: re.sub(r"<[^>]+>", "", html.unescape(str(v))))
        lines = [self.caption, plain.to_string(index=False), self.source, *self.notes]
        return "\n".join(line for line in lines if line)


def _scope_css(raw: str, table_id: str) -> str:
    """Prefix every CSS selector of great-tables' ``<style>`` block with the table's id."""

    def scope(block: re.Match) -> str:
        css = block.group(2)

        def rule(m: re.Match) -> str:
            selectors = [s.strip() for s in m.group(1).split(",")]
            scoped = [s if s.startswith(f"#{table_id}") else f"#{table_id} {s}" for s in selectors]
            return ", ".join(scoped) + " {"

        css = re.sub(r"([^{}]+?)\s*\{", rule, css)
        return block.group(1) + css + block.group(3)

    return re.sub(r"(<style[^>]*>)(.*?)(</style>)", scope, raw, count=1, flags=re.DOTALL)


def _formatted_column(name: str, values: pd.Series, digits: int | None) -> pd.Series:
    """The cells of one column as shown."""
    if name in VERDICT_COLUMNS:
        def verdict(v: object) -> str:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                return "n/a"
            text, colour = VERDICTS.get(str(v), (str(v), "none"))
            return mark(text, colour)
        return values.map(verdict)
    if _is_boolean(values):
        if name in NEUTRAL_BOOLEANS:
            return values.map(lambda v: "n/a" if pd.isna(v) else ("yes" if v else "no"))
        return values.map(lambda v: "n/a" if pd.isna(v)
                          else mark("✓ yes", "agree") if v else mark("✗ no", "differ"))
    if not pd.api.types.is_numeric_dtype(values):
        if name == "metal":
            values = values.map(lambda v: _METAL_SYMBOLS.get(str(v).lower(), v)
                                if isinstance(v, str) else v)
        return values.map(_cell_text)
    if _P_COLUMN.match(name) and digits is None:
        return values.map(lambda v: html.escape(format_p(v)))
    if _is_count(values) and digits is None:
        return values.map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
    places = decimals_for(values) if digits is None else digits
    return values.map(lambda v: "—" if pd.isna(v) else
                      ("∞" if v == math.inf else "−∞" if v == -math.inf else
                       f"{v:,.{places}f}".replace("-", "−")))


def _flatten(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]], list[str]]:
    """Flatten a frame: a named index becomes columns, a pivot's top level spanners."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        names = [n for n in frame.index.names if n is not None]
        frame = frame.reset_index() if names else frame.reset_index(drop=True)
    spanners: dict[str, list[str]] = {}
    keys: list[str] = []
    if isinstance(frame.columns, pd.MultiIndex):
        flat = []
        for column in frame.columns:
            parts = [str(p) for p in column if str(p) != ""]
            if len(parts) <= 1:
                flat.append(parts[0] if parts else "")
                continue
            top, rest = parts[0], " ".join(parts[1:])
            key = f"{top}\x1f{rest}"
            spanners.setdefault(label(top), []).append(key)
            flat.append(key)
        frame = frame.copy()
        frame.columns = flat
    keys = [str(c) for c in frame.columns]
    frame.columns = keys
    return frame, spanners, keys


def show(
    frame: pd.DataFrame,
    caption: str,
    source: str = SOURCE_NHANES,
    *,
    labels: Mapping[str, str] | None = None,
    digits: Mapping[str, int] | None = None,
    hide: Sequence[str] = (),
    notes: Sequence[str] = (),
    count_of: Mapping[str, str] = COUNT_OF,
) -> Table:
    """Render a frame for reading.

    Parameters
    ----------
    frame : pandas.DataFrame
        What to show. A named index (or a MultiIndex, as from ``pivot_table``)
        becomes leading columns; an unnamed integer index is dropped.
    caption : str
        One sentence saying what the table shows.
    source : str
        The source note (:data:`SOURCE_NHANES`, :data:`SOURCE_PAPER_AND_OURS` or
        your own).
    labels : mapping, optional
        Column labels that replace the automatic ones (:func:`label`).
    digits : mapping, optional
        Decimals per column, instead of the automatic choice.
    hide : sequence of str
        Columns to leave out.
    notes : sequence of str
        Further notes under the source note.
    count_of : mapping
        Count columns shown as "k of m" with the column holding m
        (:data:`COUNT_OF`); the m column is then not shown.

    Returns
    -------
    Table
        Shows as HTML when it ends a notebook cell.

    Raises
    ------
    ValueError
        If the caption is empty or ``hide``, ``labels`` or ``digits`` name a
        column the frame does not have.
    """
    if not str(caption).strip():
        raise ValueError("a table needs a caption: say in one sentence what it shows")
    flat, spanners, keys = _flatten(frame)
    unknown = [c for c in [*hide, *(labels or {}), *(digits or {})] if c not in keys]
    if unknown:
        raise ValueError(f"no column {unknown} in the table; its columns are {keys}")
    labels = dict(labels or {})
    digits = dict(digits or {})
    shown: dict[str, pd.Series] = {}
    numeric: list[str] = []
    used_as_total = {total for count, total in count_of.items() if count in keys and total in keys}
    for key in keys:
        if key in hide or key in used_as_total:
            continue
        name = key.split("\x1f")[-1]
        values = flat[key]
        if key in count_of and count_of[key] in keys:
            totals = flat[count_of[key]]
            cells = [("n/a" if (pd.isna(m) or m == 0) else f"{int(k):,} of {int(m):,}")
                     for k, m in zip(values, totals, strict=True)]
            column = pd.Series(cells, index=flat.index)
        else:
            column = _formatted_column(name, values, digits.get(key))
        shown[key] = column
        if (pd.api.types.is_numeric_dtype(values) and not _is_boolean(values)) or (
                key in count_of and count_of[key] in keys):
            numeric.append(key)
    out = pd.DataFrame(shown)
    display = {key: labels.get(key, label(key.split("\x1f")[-1])) for key in out.columns}
    # labels must be unique for great-tables; a spanner keeps them apart
    seen: dict[str, int] = {}
    for key, text in display.items():
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            display[key] = text + "\u200b" * (seen[text] - 1)
    out.columns = [display[k] for k in out.columns]
    span = {top: [display[k] for k in cols if k in display] for top, cols in spanners.items()}
    return Table(out, str(caption).strip(), source, span, list(notes),
                 [display[k] for k in numeric])


def _estimate_ci(estimate: float, lower: float, upper: float, places: int) -> str:
    if pd.isna(estimate):
        return "—"
    text = f"{estimate:.{places}f}"
    if not (pd.isna(lower) or pd.isna(upper)):
        text += f" ({lower:.{places}f}, {upper:.{places}f})"
    return text.replace("-", "−")


def side_by_side(
    card: pd.DataFrame,
    keys: Sequence[str],
    caption: str,
    source: str = SOURCE_PAPER_AND_OURS,
    *,
    estimate: str = "OR",
    places: int = 2,
    notes: Sequence[str] = (),
) -> Table:
    """The paper's and our estimates in two blocks, "Paper | Ours", and the verdict.

    Parameters
    ----------
    card : pandas.DataFrame
        Scorecard rows (:func:`osteometals.paper.scorecard.scorecard` or a
        ``compare_*`` function): the ``keys`` columns, ``published``,
        ``published_ci_lower``, ``published_ci_upper``, ``published_p``,
        ``ours``, ``ours_ci_lower``, ``ours_ci_upper``, ``ours_p`` and
        ``verdict``.
    keys : sequence of str
        The columns that name a cell (e.g. ``["metal", "quartile", "model"]``).
    caption, source : str
        As for :func:`show`.
    estimate : str
        Name of the estimate in the column labels (``"OR"`` or ``"β"``).
    places : int
        Decimals of estimates and interval limits.
    notes : sequence of str
        Further notes under the source note.

    Returns
    -------
    Table
    """
    rows = []
    for _, r in card.iterrows():
        row = {label(k): _formatted_column(k, pd.Series([r[k]]), None).iloc[0] for k in keys}
        row["paper estimate"] = _estimate_ci(r["published"], r.get("published_ci_lower"),
                                             r.get("published_ci_upper"), places)
        row["paper p"] = html.escape(format_p(r.get("published_p")))
        row["ours estimate"] = _estimate_ci(r["ours"], r.get("ours_ci_lower"),
                                            r.get("ours_ci_upper"), places)
        row["ours p"] = html.escape(format_p(r.get("ours_p")))
        row["verdict"] = r.get("verdict")
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["verdict"] = _formatted_column("verdict", frame["verdict"], None)
    head = f"{estimate} (95% CI)"
    frame = frame.rename(columns={"paper estimate": head, "paper p": "P",
                                  "ours estimate": head + "\u200b", "ours p": "P\u200b",
                                  "verdict": "Verdict"})
    spanners = {"Paper": [head, "P"], "Ours": [head + "\u200b", "P\u200b"]}
    return Table(frame, str(caption).strip(), source, spanners, list(notes),
                 [head, "P", head + "\u200b", "P\u200b"])
