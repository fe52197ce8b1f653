"""The book "at a glance": each headline claim of the paper, its number, ours, a verdict.

The introduction opens with this table. It is computed from what the
chapters wrote, never typed:

* the scorecard (``scorecard.csv`` of the scorecard chapter): the paper's
  value and ours for the cell behind each claim (:data:`CLAIMS`), and the
  cell's verdict;
* the robustness results, when the robustness chapter has written them
  (:data:`ROBUSTNESS_FILE`): for each claim, the number of specifications,
  the share with the paper's sign and the share significant in that
  direction. A claim without a robustness result says so.

The one-word verdict (:func:`verdict`) comes from the scorecard cell:
"reproduced" when our estimate has the paper's direction and its
significance verdict at the scorecard's level; "partly" when the direction
agrees but the significance does not; "not reproduced" when the direction is
opposite; "not compared" when we have no number. Robustness is shown beside
it and does not change it.

:func:`verdict_figure` draws the scorecard as a whole: how many of the
paper's numbers in each table got each verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from osteometals.book import tables
from osteometals.book.chapters import Chapter, list_chapters

#: Robustness results: a CSV of the robustness chapter with one row per claim
#: (``claim`` = :attr:`Claim.key`, the names of ``osteometals.paper.claims``) and
#: these columns (``share_*`` between 0 and 1), as
#: ``osteometals.paper.robustness.claim_summary`` writes them. The file is
#: found by its columns; the preferred names come first.
ROBUSTNESS_COLUMNS = ("claim", "n_specs", "share_sign", "share_significant")
ROBUSTNESS_FILES = ("claim_summary.csv", "claims.csv", "summary.csv")


@dataclass(frozen=True)
class Claim:
    """A headline claim of the paper and the scorecard cell that carries it.

    Attributes
    ----------
    key : str
        Short name, also the ``claim`` of the robustness results.
    text : str
        The claim in words.
    estimand : str
        What the number is.
    chapter : str
        The chapter that computes it (file stem without the number, e.g. ``"quartile_odds"``).
    cell : dict
        The scorecard columns and values that select its one row.
    """

    key: str
    text: str
    estimand: str
    chapter: str
    cell: Mapping[str, str] = field(default_factory=dict)


#: The paper's headline claims (its abstract and conclusions), in reading order.
CLAIMS: tuple[Claim, ...] = (
    Claim("cd_q4_op", "Blood cadmium raises the odds of osteoporosis",
          "OR, Cd Q4 vs Q1 (Table 2, Model 1, as in the abstract)", "quartile_odds",
          {"table": "Table 2", "quantity": "OR", "metal": "cd", "quartile": "Q4",
           "model": "Model 1"}),
    Claim("se_q3_op", "Blood selenium lowers the odds of osteoporosis",
          "OR, Se Q3 vs Q1 (Table 2, Model 1, as in the abstract)", "quartile_odds",
          {"table": "Table 2", "quantity": "OR", "metal": "se", "quartile": "Q3",
           "model": "Model 1"}),
    Claim("cd_q4_femur", "Blood cadmium lowers total-femur BMD",
          "β, Cd Q4 vs Q1 (Table 3, Model 1, as in the abstract)", "bmd",
          {"table": "Table 3", "quantity": "beta", "metal": "cd", "quartile": "Q4",
           "outcome": "bmd_femur", "model": "Model 1"}),
    Claim("cd_q4_op_50_60", "The cadmium association is strongest at ages 50-60",
          "OR, Cd Q4 vs Q1, ages 50-60 (Table 4)", "subgroups",
          {"table": "Table 4", "quantity": "OR", "metal": "cd", "quartile": "Q4",
           "stratifier": "age_group", "stratum": "50-60"}),
    Claim("se_q4_op_60_70", "The selenium association holds in older women",
          "OR, Se Q4 vs Q1, ages 60-70 (Table 4)", "subgroups",
          {"table": "Table 4", "quantity": "OR", "metal": "se", "quartile": "Q4",
           "stratifier": "age_group", "stratum": "60-70"}),
)

#: Scorecard verdicts -> the one word of the glance.
_ONE_WORD = {
    "agree": "reproduced",
    "significance differs": "partly",
    "opposite": "not reproduced",
    "opposite, both n.s.": "not reproduced",
}


def verdict(cell_verdict: object) -> str:
    """The one-word verdict of a claim from its scorecard cell's verdict.

    Examples
    --------
    >>> verdict("agree"), verdict("significance differs"), verdict("opposite"), verdict(None)
    ('reproduced', 'partly', 'not reproduced', 'not compared')
    """
    if cell_verdict is None or (not isinstance(cell_verdict, str) and pd.isna(cell_verdict)):
        return "not compared"
    return _ONE_WORD.get(str(cell_verdict), "not compared")


def find_results(results_root: Path, suffix: str, chapters: list[Chapter] | None = None,
                 ) -> Path | None:
    """The results folder of the chapter whose name ends in ``_<suffix>``, if it has one."""
    for chapter in chapters if chapters is not None else list_chapters():
        if chapter.name.endswith(f"_{suffix}"):
            folder = Path(results_root) / chapter.name
            return folder if folder.is_dir() else None
    return None


def chapter_page(suffix: str, chapters: list[Chapter] | None = None) -> str | None:
    """The page name (``chapters/03_quartile_odds``) of the chapter ending in ``_<suffix>``."""
    for chapter in chapters if chapters is not None else list_chapters():
        if chapter.name.endswith(f"_{suffix}"):
            return f"chapters/{chapter.name}"
    return None


def _select(card: pd.DataFrame, cell: Mapping[str, str]) -> pd.DataFrame:
    mask = np.ones(len(card), dtype=bool)
    for column, value in cell.items():
        mask &= card[column].astype(str).str.replace("–", "-").eq(value).to_numpy()
    return card[mask]


def read_robustness(folder: Path | None) -> pd.DataFrame | None:
    """The robustness results of the robustness chapter's folder, or None if there are none.

    The file is the first CSV of the folder, :data:`ROBUSTNESS_FILES` first,
    that has every column of :data:`ROBUSTNESS_COLUMNS`.

    Raises
    ------
    ValueError
        If the folder has one of :data:`ROBUSTNESS_FILES` without those columns.
    """
    if folder is None or not Path(folder).is_dir():
        return None
    folder = Path(folder)
    named = [folder / n for n in ROBUSTNESS_FILES if (folder / n).is_file()]
    for path in [*named, *sorted(p for p in folder.glob("*.csv") if p not in named)]:
        frame = pd.read_csv(path)
        missing = [c for c in ROBUSTNESS_COLUMNS if c not in frame.columns]
        if not missing:
            return frame
        if path in named:
            raise ValueError(f"{path} lacks the columns {missing}")
    return None


def _estimate(value: float, lower: float, upper: float, p: float, places: int) -> str:
    if pd.isna(value):
        return "—"
    text = f"{value:.{places}f}"
    if not (pd.isna(lower) or pd.isna(upper)):
        text += f" ({lower:.{places}f}, {upper:.{places}f})"
    if not pd.isna(p):
        text += f", P {tables.format_p(p)}"
    return text.replace("-", "−")


def _robust_text(row: pd.Series | None) -> str:
    if row is None:
        return "no robustness result yet"
    n = int(row["n_specs"])
    return (f"{100 * row['share_sign']:.0f}% of {n:,} specifications with the paper's "
            f"sign, {100 * row['share_significant']:.0f}% significant")


def glance(card: pd.DataFrame, robustness: pd.DataFrame | None = None,
           claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """One row per headline claim: the claim, the paper's number, ours, robustness, verdict.

    Parameters
    ----------
    card : pandas.DataFrame
        The scorecard (``scorecard.csv``).
    robustness : pandas.DataFrame, optional
        :func:`read_robustness`; None when the robustness chapter has not run.
    claims : tuple of Claim

    Returns
    -------
    pandas.DataFrame
        Columns ``key, claim, estimand, chapter, paper, ours, robustness,
        verdict``; ``paper`` and ``ours`` as "estimate (CI), P" text.

    Raises
    ------
    ValueError
        If a claim's cell matches no row, or more than one, of the scorecard.
    """
    by_claim = {} if robustness is None else {r["claim"]: r for _, r in robustness.iterrows()}
    rows = []
    for claim in claims:
        found = _select(card, claim.cell)
        if len(found) != 1:
            raise ValueError(f"claim {claim.key!r}: {len(found)} scorecard rows match "
                             f"{dict(claim.cell)}, expected 1")
        r = found.iloc[0]
        places = 3 if claim.cell.get("quantity") == "beta" else 2
        rows.append({
            "key": claim.key,
            "claim": claim.text,
            "estimand": claim.estimand,
            "chapter": claim.chapter,
            "paper": _estimate(r["published"], r["published_ci_lower"], r["published_ci_upper"],
                               r["published_p"], places),
            "ours": _estimate(r["ours"], r["ours_ci_lower"], r["ours_ci_upper"], r["ours_p"],
                              places),
            "robustness": _robust_text(by_claim.get(claim.key)),
            "verdict": verdict(r["verdict"]),
        })
    return pd.DataFrame(rows)


def summary_sentence(frame: pd.DataFrame) -> str:
    """One sentence counting the claims by verdict, e.g. "Of the paper's 5 headline claims, ..."

    Examples
    --------
    >>> summary_sentence(pd.DataFrame({"verdict": ["reproduced", "partly", "partly"]}))
    "Of the paper's 3 headline claims, 1 is reproduced, 2 partly and none not reproduced."
    """
    counts = frame["verdict"].value_counts()

    def n(word: str) -> str:
        return str(int(counts.get(word, 0))) if counts.get(word, 0) else "none"

    first = "is" if counts.get("reproduced", 0) == 1 else "are"
    text = (f"Of the paper's {len(frame)} headline claims, {n('reproduced')} {first} "
            f"reproduced, {n('partly')} partly and {n('not reproduced')} not reproduced")
    if counts.get("not compared", 0):
        text += f"; {n('not compared')} could not be compared"
    return text + "."


def glance_markdown(frame: pd.DataFrame, chapters: list[Chapter] | None = None) -> str:
    """The glance as a MyST table with a caption, each claim linked to its chapter.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`glance`.
    chapters : list of Chapter, optional
        The book's chapters (for the links); default :func:`list_chapters`.

    Returns
    -------
    str
        A ``{list-table}`` directive: claim (with its estimand and a link to
        its chapter), the paper, ours, robustness, and the verdict with its
        symbol.
    """
    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    lines = [
        "```{list-table} The paper's headline claims at a glance: the paper's number, ours "
        "(design-based, 95% CI) and the verdict. Source: Peng et al. (2025) and this book's "
        "scorecard, from NHANES 2013-2014 and 2017-March 2020.",
        ":header-rows: 1",
        ":name: tbl-glance",
        ":class: om-glance",
        "",
        "* - Claim",
        "  - Paper",
        "  - Ours",
        "  - Robustness",
        "  - Verdict",
    ]
    for _, r in frame.iterrows():
        page = chapter_page(r["chapter"], chapters)
        where = f" ({{doc}}`chapter <{page}>`)" if page else ""
        words, colour = tables.VERDICTS.get(r["verdict"], (r["verdict"], "none"))
        lines += [
            f"* - **{cell(r['claim'])}**: {cell(r['estimand'])}{where}",
            f"  - {cell(r['paper'])}",
            f"  - {cell(r['ours'])}",
            f"  - {cell(r['robustness'])}",
            f"  - {tables.mark(words, colour)}",
        ]
    lines.append("```")
    return "\n".join(lines)


#: Scorecard verdicts, grouped for the figure, in the order drawn: (label, verdicts,
#: colour, hatching). Table 1's counts, percentages and means have no direction
#: or significance; the scorecard compares them by the size of the difference.
FIGURE_GROUPS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("agrees", ("agree",), tables.COLOURS["agree"], ""),
    ("same direction, significance differs", ("significance differs",),
     tables.COLOURS["partly"], "//"),
    ("opposite", ("opposite", "opposite, both n.s."), tables.COLOURS["differ"], "xx"),
    ("compared by the size of the difference", ("difference",), "#8C8C8C", ".."),
    ("not compared", ("not compared", "p only", "direction unknown"), "#D9D9D9", ""),
)


def verdict_counts(card: pd.DataFrame) -> pd.DataFrame:
    """Number of the paper's numbers per table and verdict group (:data:`FIGURE_GROUPS`).

    A verdict the groups do not name counts as "not compared".
    """
    group_of = {v: name for name, members, _, _ in FIGURE_GROUPS for v in members}
    frame = card.assign(group=card["verdict"].map(group_of).fillna("not compared"),
                        paper_table=card["table"].str.replace(" interaction", "", regex=False))
    counts = frame.groupby(["paper_table", "group"]).size().unstack(fill_value=0)
    order = [name for name, *_ in FIGURE_GROUPS]
    return counts.reindex(columns=order, fill_value=0)


def verdict_figure(card: pd.DataFrame):
    """Stacked bars: for each of the paper's tables, how its numbers fared against ours.

    Colours are colour-blind safe (:data:`osteometals.book.tables.COLOURS`)
    and each group also has its own hatching, so the figure reads in black
    and white.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from osteometals.book import style

    counts = verdict_counts(card)
    fig, ax = plt.subplots(figsize=(style.WIDTH_IN, 0.6 + 0.55 * len(counts)))
    left = np.zeros(len(counts))
    y = np.arange(len(counts))
    for name, _, colour, hatch in FIGURE_GROUPS:
        values = counts[name].to_numpy()
        ax.barh(y, values, left=left, color=colour, hatch=hatch, edgecolor="white",
                linewidth=0.8, label=name)
        left += values
    ax.set_yticks(y, counts.index)
    ax.invert_yaxis()
    ax.set_xlabel("numbers in the paper's table")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, frameon=False)
    ax.grid(axis="y", visible=False)
    return fig
