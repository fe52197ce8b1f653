"""Chapters 1 and 2's comparisons with the paper (cohort and Table 1), as tested functions.

* :func:`cohort_vs_paper`: the sentence comparing our cohort with the paper's;
* :func:`beside_paper`: every printed Table 1 cell beside ours (unweighted and
  weighted) and our p-value;
* :func:`compare_word`: the word a sentence needs ("older" / "younger");
* :func:`definitions_beside_paper`: each candidate definition of
  hypertension and diabetes (:mod:`osteometals.nhanes.covariate_definitions`)
  beside the paper's prevalence;
* :func:`marital_ratios`: the marital-coding test, the ratio of the paper's
  counts to ours under the codebook coding and under the suspected slip.

The paper's numbers come only from :mod:`osteometals.paper.published`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osteometals.nhanes.covariate_definitions import marital_under_slip
from osteometals.nhanes.variables import CATEGORIES, LABELS
from osteometals.paper import published
from osteometals.paper.table1 import CONTINUOUS, GROUPS, Table1


def cohort_vs_paper(n_cohort: int, pct_op: float) -> str:
    """Sentence comparing our cohort's size and prevalence with the paper's.

    Examples
    --------
    >>> cohort_vs_paper(1198, 16.6)[:60]
    "Our prevalence differs from the paper's by -1.2 percentage p"
    """
    gap = pct_op - published.PCT_OP
    size = ("larger than" if n_cohort > published.N_TOTAL
            else "smaller than" if n_cohort < published.N_TOTAL else "the same size as")
    return (f"Our prevalence differs from the paper's by {gap:+.1f} percentage points, and "
            f"our cohort is {size} the paper's.")


def compare_word(ours_1: float, ours_0: float, more: str, less: str,
                 same: str = "no different") -> str:
    """Word comparing the osteoporosis group (``ours_1``) with the others (``ours_0``).

    Examples
    --------
    >>> compare_word(70.1, 64.0, "older", "younger")
    'older'
    """
    return more if ours_1 > ours_0 else less if ours_1 < ours_0 else same


def beside_paper(tab: Table1, summary: str = "mean_sd") -> pd.DataFrame:
    """Every cell of the paper's Table 1 beside ours.

    Parameters
    ----------
    tab : Table1
        Our table (:func:`osteometals.paper.table1.table1`).
    summary : {"mean_sd", "median_iqr"}
        Which centre our continuous rows use (means or medians).

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, level, group, statistic, paper, ours, ours
        (weighted), paper p, our p, difference`` (ours minus the paper's).
    """
    cells = tab.cells.set_index(["variable", "level", "op", "weighted", "statistic"])["value"]
    tests = tab.tests.set_index(["variable", "weighted"])["p"]
    centre = "mean" if summary == "mean_sd" else "median"
    rows = []
    for r in published.table1().itertuples():
        categorical = r.summary == "n (%)"
        stat = "pct" if (r.variable == "op" or r.variable in LABELS) else centre
        rows.append({
            "variable": LABELS.get(r.variable, CONTINUOUS.get(r.variable, "Number")),
            "level": r.level,
            "group": GROUPS[int(r.op)],
            "statistic": "%" if categorical else centre,
            "paper": r.percent if categorical else r.center,
            "ours": cells.get((r.variable, r.level, int(r.op), False, stat), np.nan),
            "ours (weighted)": cells.get((r.variable, r.level, int(r.op), True, stat), np.nan),
            "paper p": (f"<{r.p:g}" if r.p_relation == "<" else f"{r.p:.3f}")
            if np.isfinite(r.p) else "",
            "our p": tests.get((r.variable, False), np.nan),
        })
    side = pd.DataFrame(rows)
    side["difference"] = side["ours"] - side["paper"]
    return side


def paper_prevalence(covariate: str, level: str = "Yes") -> dict[str, float]:
    """The paper's prevalence (%) of one level: overall and per osteoporosis group.

    Returns
    -------
    dict
        ``n`` (women at that level), ``pct`` (of all women), ``pct_op0``,
        ``pct_op1`` (as printed).
    """
    t1 = published.table1()
    rows = t1[(t1["variable"] == covariate) & (t1["level"] == level)].set_index("op")
    if rows.empty:
        raise KeyError(f"the paper's Table 1 has no row {covariate!r} = {level!r}")
    n = int(rows["n"].sum())
    return {"n": n, "pct": 100 * n / published.N_TOTAL,
            "pct_op0": float(rows.loc[0, "percent"]), "pct_op1": float(rows.loc[1, "percent"])}


def definitions_beside_paper(prevalences: pd.DataFrame) -> pd.DataFrame:
    """Candidate definitions beside the paper's prevalence of the covariate.

    Parameters
    ----------
    prevalences : pandas.DataFrame
        :func:`osteometals.nhanes.covariate_definitions.prevalence_table`.

    Returns
    -------
    pandas.DataFrame
        Its rows with ``paper_pct``, ``paper_pct_op0``, ``paper_pct_op1``,
        ``gap`` (ours minus the paper's, all women, percentage points) and
        ``closest`` (True for the definition with the smallest absolute gap
        per covariate).
    """
    out = prevalences.copy()
    for col in ("pct", "pct_op0", "pct_op1"):
        out[f"paper_{col}"] = [paper_prevalence(c)[col] for c in out["covariate"]]
    out["gap"] = out["pct"] - out["paper_pct"]
    nearest = out.assign(a=out["gap"].abs()).groupby("covariate")["a"].idxmin()
    out["closest"] = out.index.isin(nearest.to_numpy())
    return out


def marital_ratios(data: pd.DataFrame) -> pd.DataFrame:
    """The marital-coding test: the paper's counts over ours, per level, two codings.

    If the paper's women were a subset of ours coded the same way, every
    level's ratio would be near the ratio of the cohort sizes (first row).
    A level whose ratio is far from it under the codebook coding but near it
    under the slip (:func:`~osteometals.nhanes.covariate_definitions.marital_under_slip`)
    points to the slip.

    Parameters
    ----------
    data : pandas.DataFrame
        Our cohort (``cycle``, ``marital``).

    Returns
    -------
    pandas.DataFrame
        Rows ``"All women"`` then each level: ``level, paper_n, ours_n,
        ours_slip_n, ratio, ratio_slip``.
    """
    slipped = marital_under_slip(data)
    rows = [{"level": "All women", "paper_n": published.N_TOTAL, "ours_n": len(data),
             "ours_slip_n": len(data)}]
    for level in CATEGORIES["marital"]:
        rows.append({"level": level, "paper_n": paper_prevalence("marital", level)["n"],
                     "ours_n": int((data["marital"] == level).sum()),
                     "ours_slip_n": int((slipped == level).sum())})
    out = pd.DataFrame(rows)
    out["ratio"] = out["paper_n"] / out["ours_n"]
    out["ratio_slip"] = out["paper_n"] / out["ours_slip_n"]
    return out


def definitions_sentence(definitions: pd.DataFrame, covariate: str, topic: str) -> str:
    """What the candidate definitions of one covariate say against the paper.

    Parameters
    ----------
    definitions : pandas.DataFrame
        :func:`definitions_beside_paper`.
    covariate : str
        ``"hypertension"`` or ``"diabetes"``.
    topic : str
        What the on-topic questions ask about, for the sentence ("blood pressure").

    Returns
    -------
    str
        The range of the on-topic definitions and their distance from the
        paper, then the closest candidate; if that one asks about something
        else, the sentence says so (a possible variable mix-up).
    """
    rows = definitions[definitions["covariate"] == covariate]
    topical = rows[rows["on_topic"]]
    gaps = topical["gap"].abs()
    paper = rows["paper_pct"].iloc[0]
    ours = rows[rows["ours"]].iloc[0]
    text = (f"our definition ({ours['label']}) gives {ours['pct']:.1f}% against the paper's "
            f"{paper:.1f}%; the {len(topical)} definitions that ask about {topic} give "
            f"{topical['pct'].min():.1f}% to {topical['pct'].max():.1f}%, "
            f"{gaps.min():.1f} to {gaps.max():.1f} points from the paper.")
    closest = rows[rows["closest"]].iloc[0]
    text += (f" The closest candidate is {closest['label']} ({closest['pct']:.1f}%, "
             f"{closest['gap']:+.1f} points)")
    if not closest["on_topic"]:
        return text + (f", which does not ask about {topic} at all: a sign that the paper "
                       "may have used the wrong variable.")
    return text + "."


def marital_sentence(ratios: pd.DataFrame) -> str:
    """The verdict of the marital-coding test (:func:`marital_ratios`).

    The coding whose never-married ratio lies nearer the cohort-size ratio
    is the one that explains the paper's count.
    """
    r = ratios.set_index("level")
    size = r.loc["All women", "ratio"]
    never = r.loc[CATEGORIES["marital"][2]]
    text = (f"The paper's {int(never['paper_n']):,} never-married women are "
            f"{never['ratio']:.2f} times our {int(never['ours_n']):,} under the codebook "
            f"coding and {never['ratio_slip']:.2f} times the {int(never['ours_slip_n']):,} "
            f"the slip would leave, against a cohort-size ratio of {size:.2f}: ")
    if abs(never["ratio_slip"] - size) < abs(never["ratio"] - size):
        return text + "the slip explains the paper's count, the codebook coding does not."
    return text + "the codebook coding explains the paper's count better than the slip."
