"""One results protocol for every model of :mod:`osteometals.stats`.

As in statsmodels, a fitted model returns a results object with the same
verbs whatever the model, so a reader learns them once:

``params``
    the estimates, a :class:`pandas.Series` indexed by term;
``conf_int(alpha=0.05)``
    a frame with columns ``lower`` and ``upper`` (confidence or, for a
    Bayesian fit, equal-tailed credible intervals);
``cov_params()``
    the covariance matrix of ``params`` (a method), where one exists;
``summary(alpha=0.05)``
    a :class:`Summary`, which prints as text and shows as HTML in a notebook,
    with a notes slot for caveats such as "unweighted";
``tidy(alpha=0.05)``
    a frame with the fixed columns :data:`TIDY_COLUMNS` first (a model may
    add columns after them);
``notes``
    the caveats, a list of str.

:class:`Results` states the protocol for type checkers and for the test
that every results class follows it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd

#: The first columns of every ``tidy()`` frame, in this order: the term, its
#: estimate, standard error (posterior SD for a Bayesian fit), test statistic,
#: two-sided p-value (NaN where none is defined) and interval limits.
TIDY_COLUMNS: tuple[str, ...] = (
    "term", "estimate", "se", "statistic", "p", "ci_lower", "ci_upper",
)


@runtime_checkable
class Results(Protocol):
    """What every results object of :mod:`osteometals.stats` offers."""

    params: pd.Series
    notes: list[str]

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Interval limits, columns ``lower`` and ``upper``, one row per term."""

    def summary(self, alpha: float = 0.05) -> Summary:
        """A printable and notebook-displayable summary."""

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term, :data:`TIDY_COLUMNS` first."""


@dataclass
class Summary:
    """A model summary: a title, facts about the fit, a table and notes.

    Prints as plain text (``str(summary)``, :meth:`as_text`) and shows as HTML
    in a notebook (:meth:`_repr_html_`).

    Attributes
    ----------
    title : str
        E.g. ``"Design-based logistic regression"``.
    info : dict
        Facts about the fit, shown above the table (``{"n": 1198, "df": 18}``).
    table : pandas.DataFrame
        The coefficient (or summary) table.
    notes : list of str
        Caveats, shown below the table.
    """

    title: str
    info: Mapping[str, Any] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def add_note(self, text: str) -> None:
        """Append a caveat."""
        self.notes.append(text)

    def as_text(self) -> str:
        """The summary as plain text."""
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k}: {_fmt(v)}" for k, v in self.info.items()]
        if len(self.table):
            lines += ["", self.table.to_string(float_format=lambda x: f"{x:.4g}")]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        """The summary as an HTML fragment."""
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.info:
            parts.append("<p>" + "; ".join(
                f"{html.escape(str(k))}: {html.escape(_fmt(v))}" for k, v in self.info.items()
            ) + "</p>")
        if len(self.table):
            parts.append(self.table.to_html(float_format=lambda x: f"{x:.4g}"))
        parts += [f"<p><em>Note:</em> {html.escape(n)}</p>" for n in self.notes]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def tidy_frame(rows: pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Order a frame's columns as :data:`TIDY_COLUMNS`, then ``extra``.

    Raises
    ------
    KeyError
        If a column of :data:`TIDY_COLUMNS` is missing.
    """
    missing = [c for c in TIDY_COLUMNS if c not in rows.columns]
    if missing:
        raise KeyError(f"tidy frame lacks {missing}")
    return rows[[*TIDY_COLUMNS, *extra]].reset_index(drop=True)


def estimate_text(estimate: float, lower: float, upper: float, p: float | None = None,
                  digits: int = 2, level: str = "95%") -> str:
    """An estimate with its interval (and P) as prose.

    ``estimate_text(1.05, 0.74, 1.48, 0.78)`` gives
    ``"1.05 (95% CI 0.74-1.48; P = 0.78)"``; a P below 0.001 prints as
    ``"P < 0.001"``; when a limit is negative the limits are joined by "to"
    so that the signs stay legible.
    """
    def f(v: float) -> str:
        return f"{v:.{digits}f}"

    sep = " to " if min(lower, upper) < 0 else "-"
    text = f"{f(estimate)} ({level} CI {f(lower)}{sep}{f(upper)}"
    if p is not None:
        text += "; P < 0.001" if p < 0.001 else f"; P = {p:.{max(digits, 2)}f}"
    return text + ")"
