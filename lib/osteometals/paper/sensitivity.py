"""Rerun Tables 2 and 3 under other conventions and score each rerun against the paper.

The scorecard chapter asks which of the choices the paper leaves open moves
our numbers toward the paper's. Each choice is a :class:`Variant`: a name,
a cohort (by the lumbar-spine T-score reference it was built with) and
:class:`osteometals.paper.regression.ModelOptions`. :func:`rerun` fits the
tables of every variant and scores them with
:mod:`osteometals.paper.scorecard`; variants are looked up by name, never by
position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from osteometals.paper import regression
from osteometals.paper import scorecard as sc
from osteometals.paper.prose import interval_text
from osteometals.paper.regression import ModelOptions

__all__ = ["DEFAULT", "VARIANTS", "Variant", "changes", "count", "headline", "rerun", "variant"]


@dataclass(frozen=True)
class Variant:
    """One rerun: which cohort, which model conventions, which tables.

    Attributes
    ----------
    name : str
        Short key (``"unweighted"``).
    label : str
        Shown in tables.
    spine : str
        The key of the cohort in the ``cohorts`` mapping of :func:`rerun`
        (the lumbar-spine T-score reference it was built with).
    options : ModelOptions
        Model conventions.
    tables : tuple of str
        ``"Table 2"`` and/or ``"Table 3"``; BMD does not depend on the
        T-score reference, so variants of the spine refit Table 2 only.
    """

    name: str
    label: str
    spine: str = "xue2021"
    options: ModelOptions = field(default_factory=ModelOptions)
    tables: tuple[str, ...] = ("Table 2", "Table 3")


def _v(name: str, label: str, spine: str = "xue2021", **options) -> Variant:
    tables = ("Table 2", "Table 3") if spine == "xue2021" else ("Table 2",)
    return Variant(name, label, spine, ModelOptions(**options), tables)


#: The conventions written to the summary of :func:`rerun`.
_SHOWN = ("weighted", "age_bmi", "trend_score", "cycle_term")

#: Name of the variant every other is compared with (the book's defaults).
DEFAULT = "default"

#: The reruns of the scorecard chapter, in display order.
VARIANTS: tuple[Variant, ...] = (
    _v(DEFAULT, "design-based, xue2021 spine, age/BMI groups (default)"),
    _v("unweighted", "unweighted, xue2021 spine, age/BMI groups", weighted=False),
    _v("hologic", "design-based, hologic spine, age/BMI groups", "hologic"),
    _v("hologic_unweighted", "unweighted, hologic spine, age/BMI groups", "hologic",
       weighted=False),
    _v("continuous", "design-based, xue2021 spine, age/BMI continuous", age_bmi="continuous"),
    _v("continuous_unweighted", "unweighted, xue2021 spine, age/BMI continuous",
       weighted=False, age_bmi="continuous"),
    _v("ln_median_trend", "design-based, trend score ln(median)", trend_score="ln_median"),
    _v("rank_trend", "design-based, trend score 0-3", trend_score="rank"),
    _v("cycle_term", "design-based, adjusted for the NHANES cycle", cycle_term=True),
)


def variant(name: str, variants: Sequence[Variant] = VARIANTS) -> Variant:
    """The variant called ``name``.

    Raises
    ------
    KeyError
        If there is none (the message lists the names).
    """
    for v in variants:
        if v.name == name:
            return v
    raise KeyError(f"no variant {name!r}; the variants are {[v.name for v in variants]}")


def rerun(
    cohorts: Mapping[str, pd.DataFrame],
    variants: Sequence[Variant] = VARIANTS,
    alpha: float = sc.ALPHA,
    table3_scale: str = "unstandardised",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit and score the tables of every variant.

    Parameters
    ----------
    cohorts : mapping
        Spine reference -> analysis cohort (every ``Variant.spine`` needed).
    variants : sequence of Variant
        The reruns.
    alpha : float
        Significance level of the verdicts.
    table3_scale : {"unstandardised", "standardised"}
        Scale on which Table 3 is judged (:mod:`osteometals.paper.beta_scale`).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The scorecard rows of every variant (column ``variant`` added) and
        their :func:`~osteometals.paper.scorecard.summarise` counts for
        quantities ``"OR"``, ``"beta"`` and ``"p_trend"``, with ``variant``,
        ``label``, ``spine``, ``n``, ``n_op`` and the conventions that vary
        (``weighted``, ``age_bmi``, ``trend_score``, ``cycle_term``, as text).

    Raises
    ------
    KeyError
        If a variant's cohort is not in ``cohorts``.
    """
    cards, summaries = [], []
    for v in variants:
        if v.spine not in cohorts:
            raise KeyError(f"variant {v.name!r} needs the {v.spine!r} cohort; "
                           f"given {sorted(cohorts)}")
        data = cohorts[v.spine]
        parts = []
        if "Table 2" in v.tables:
            parts.append(sc.compare_table2(regression.table2(data, options=v.options),
                                           weighted=v.options.weighted, alpha=alpha))
        if "Table 3" in v.tables:
            parts.append(sc.compare_table3(regression.table3(data, options=v.options),
                                           weighted=v.options.weighted, alpha=alpha,
                                           scale=table3_scale))
        card = pd.concat(parts, ignore_index=True).assign(variant=v.name)
        summ = sc.summarise(card)
        summ = summ[summ["quantity"].isin(["OR", "beta", "p_trend"])]
        cards.append(card)
        summaries.append(summ.assign(variant=v.name, label=v.label, spine=v.spine,
                                     n=len(data), n_op=int(data["op"].sum()),
                                     **{k: str(getattr(v.options, k)) for k in _SHOWN}))
    return pd.concat(cards, ignore_index=True), pd.concat(summaries, ignore_index=True)


def count(summary: pd.DataFrame, name: str, table: str = "Table 2", quantity: str = "OR",
          column: str = "agree") -> int:
    """One count of one variant, e.g. Table 2 cells that agree under ``"unweighted"``.

    Raises
    ------
    KeyError
        If the variant did not fit that table.
    """
    r = summary[(summary["variant"] == name) & (summary["table"] == table)
                & (summary["quantity"] == quantity)]
    if len(r) != 1:
        raise KeyError(f"variant {name!r} has no {table} {quantity} row")
    return int(r[column].iloc[0])


def _card(cards: pd.DataFrame, name: str, tables: Sequence[str]) -> pd.DataFrame:
    c = cards[(cards["variant"] == name) & cards["table"].isin(tables)]
    if c.empty:
        raise KeyError(f"no scorecard rows of variant {name!r}")
    return c.drop(columns="variant")


def changes(cards: pd.DataFrame, names: Sequence[str], baseline: str = DEFAULT,
            variants: Sequence[Variant] = VARIANTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each variant changes against ``baseline``: counts and the changed verdicts.

    Parameters
    ----------
    cards : pandas.DataFrame
        The first output of :func:`rerun`.
    names : sequence of str
        The variants to compare with ``baseline``.
    baseline : str
        The variant compared against (the book's defaults).
    variants : sequence of Variant
        Where the names are looked up.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Counts of changed judgements per variant, table, quantity and
        judgement (column ``cells``); and every cell whose ``verdict``
        changed (:func:`osteometals.paper.scorecard.verdict_changes` rows with
        a ``variant`` column).
    """
    counts, cells = [], []
    for name in names:
        tables = variant(name, variants).tables
        diff = sc.verdict_changes(_card(cards, baseline, tables), _card(cards, name, tables))
        counts.append(diff.groupby(["table", "quantity", "judgement"]).size()
                      .rename("cells").reset_index().assign(variant=name))
        cells.append(diff[diff["judgement"] == "verdict"].assign(variant=name))
    columns = ["variant", "table", "quantity", "judgement", "cells"]
    return (pd.concat(counts, ignore_index=True).reindex(columns=columns),
            pd.concat(cells, ignore_index=True))


def headline(cards: pd.DataFrame, cells: Sequence[tuple[str, str]],
             models: Sequence[str] = ("Model 1", "Model 2", "Model 3"),
             digits: int = 2) -> pd.DataFrame:
    """Our Table 2 odds ratios of some cells under every variant, with P for trend.

    Parameters
    ----------
    cards : pandas.DataFrame
        The first output of :func:`rerun`.
    cells : sequence of (metal, quartile)
        E.g. ``[("cd", "Q4"), ("se", "Q3")]``.
    models : sequence of str
        Table 2 models.
    digits : int
        Decimals of the odds ratios.

    Returns
    -------
    pandas.DataFrame
        Rows (variant, model), columns "<metal> <quartile>" (OR, CI and P as
        text) and "<metal> P for trend".
    """
    t2 = cards[cards["table"] == "Table 2"]
    rows = []
    for name in dict.fromkeys(t2["variant"]):
        v = t2[t2["variant"] == name]
        for model in models:
            row: dict[str, object] = {"variant": name, "model": model}
            for metal, q in cells:
                r = v[(v.quantity == "OR") & (v.metal == metal) & (v.quartile == q)
                      & (v.model == model)].iloc[0]
                row[f"{metal} {q}"] = interval_text(r.ours, r.ours_ci_lower, r.ours_ci_upper,
                                                    r.ours_p, digits)
                t = v[(v.quantity == "p_trend") & (v.metal == metal) & (v.model == model)]
                row[f"{metal} P for trend"] = f"{t['ours_p'].iloc[0]:.3f}"
            rows.append(row)
    return pd.DataFrame(rows).set_index(["variant", "model"])
