"""Candidate definitions of hypertension and diabetes, and the marital-coding slip.

The paper says "history of hypertension" and "history of diabetes" without
naming a variable. Chapter 2 sets the prevalence of each candidate
definition in our cohort beside the paper's, computed here from the raw
questionnaire files (BPQ, DIQ; codebooks in ``docs/``), so that a choice is
made on evidence and never silently.

Every candidate follows the questionnaire's skip pattern: an answer of "no"
to a gate question counts as "no" for the questions it skips (someone never
told of high blood pressure was not asked about medication for it, and is
not taking any); refused / don't know (7, 9; removed first by
:func:`osteometals.nhanes.cohort.recode_special`) and unanswered questions
are unknown, never yes or no. Prevalences are over women with a known value.

Skip patterns, from the codebooks: BPQ030 (told 2+ times) and BPQ040A (told
to take medicine) are asked if BPQ020 = 1; BPQ050A (now taking) if BPQ040A
= 1. BPQ080 (told high cholesterol) = 2 leads to BPQ060 (ever checked),
whose "no" ends the section; otherwise BPQ090D (told to take cholesterol
medicine), and if 1, BPQ100D (now taking it). DIQ050 (insulin now) is asked
if DIQ010 = 1; DIQ070 (diabetes pills now) if DIQ010 = 1 or 3 (borderline)
or DIQ160 (told prediabetes) = 1; DIQ160 if DIQ010 is not 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from osteometals.nhanes.cohort import CYCLES, recode_special
from osteometals.nhanes.variables import CATEGORIES

Loader = Callable[[str], pd.DataFrame]


def _status(yes: pd.Series, no: pd.Series) -> pd.Series:
    """1.0 where ``yes``, 0.0 where ``no`` (and not yes), NaN otherwise."""
    yes, no = yes.fillna(False).astype(bool), no.fillna(False).astype(bool)
    return pd.Series(np.select([yes, no], [1.0, 0.0], np.nan), index=yes.index)


def _asked(item: pd.Series, skipped_as_no: pd.Series) -> pd.Series:
    """Yes/no of one item, with "no" also where a gate answer skipped it."""
    return _status(item == 1, (item == 2) | skipped_as_no)


def bp_told(r: pd.DataFrame) -> pd.Series:
    """BPQ020: ever told you had high blood pressure."""
    return _asked(r["BPQ020"], pd.Series(False, index=r.index))


def bp_told_twice(r: pd.DataFrame) -> pd.Series:
    """BPQ030: told on 2 or more visits (no if BPQ020 = 2)."""
    return _asked(r["BPQ030"], r["BPQ020"] == 2)


def bp_rx_advised(r: pd.DataFrame) -> pd.Series:
    """BPQ040A: ever told to take prescribed medicine for it (no if BPQ020 = 2)."""
    return _asked(r["BPQ040A"], r["BPQ020"] == 2)


def bp_rx_now(r: pd.DataFrame) -> pd.Series:
    """BPQ050A: now taking prescribed medicine for it (no if BPQ040A or BPQ020 = 2)."""
    return _asked(r["BPQ050A"], (r["BPQ040A"] == 2) | (r["BPQ020"] == 2))


def bp_twice_and_rx_now(r: pd.DataFrame) -> pd.Series:
    """BPQ030 and BPQ050A both yes (no if either is no)."""
    a, b = bp_told_twice(r), bp_rx_now(r)
    return _status((a == 1) & (b == 1), (a == 0) | (b == 0))


def cholesterol_rx_now(r: pd.DataFrame) -> pd.Series:
    """BPQ100D: now taking prescribed medicine for *cholesterol* (a mix-up hypothesis)."""
    skipped = (r["BPQ090D"] == 2) | (r["BPQ060"] == 2)
    return _asked(r["BPQ100D"], skipped)


def diabetes_told(r: pd.DataFrame) -> pd.Series:
    """DIQ010 = 1; borderline (3) counts as no (our default)."""
    return _status(r["DIQ010"] == 1, r["DIQ010"].isin([2, 3]))


def diabetes_or_borderline(r: pd.DataFrame) -> pd.Series:
    """DIQ010 = 1 or 3 (borderline counts as yes)."""
    return _status(r["DIQ010"].isin([1, 3]), r["DIQ010"] == 2)


def diabetes_or_prediabetes(r: pd.DataFrame) -> pd.Series:
    """DIQ010 = 1 or 3, or DIQ160 (told prediabetes) = 1."""
    yes = r["DIQ010"].isin([1, 3]) | (r["DIQ160"] == 1)
    return _status(yes, (r["DIQ010"] == 2) & (r["DIQ160"] == 2))


def diabetes_medicine_now(r: pd.DataFrame) -> pd.Series:
    """Now taking insulin (DIQ050) or diabetes pills (DIQ070)."""
    insulin_no = (r["DIQ050"] == 2) | r["DIQ010"].isin([2, 3])
    pills_no = (r["DIQ070"] == 2) | ((r["DIQ010"] == 2) & (r["DIQ160"] == 2))
    yes = (r["DIQ050"] == 1) | (r["DIQ070"] == 1)
    return _status(yes, insulin_no & pills_no)


def diabetes_told_or_medicine(r: pd.DataFrame) -> pd.Series:
    """DIQ010 = 1, or now taking insulin or diabetes pills."""
    told, med = diabetes_told(r), diabetes_medicine_now(r)
    return _status((told == 1) | (med == 1), (told == 0) & (med == 0))


@dataclass(frozen=True)
class Definition:
    """A candidate definition of a covariate.

    Attributes
    ----------
    key : str
        Short key, e.g. ``"bpq020"``.
    covariate : str
        ``"hypertension"`` or ``"diabetes"`` (a cohort column).
    label : str
        What it means, with its NHANES variables.
    variables : tuple of str
        Raw variables read.
    derive : callable
        ``derive(raw) -> Series`` of 1.0 / 0.0 / NaN.
    ours : bool
        True for the definition the cohort uses.
    on_topic : bool
        False for a question about something else, kept as a hypothesis of a
        mix-up (BPQ100D, cholesterol medicine, for hypertension).
    """

    key: str
    covariate: str
    label: str
    variables: tuple[str, ...]
    derive: Callable[[pd.DataFrame], pd.Series]
    ours: bool = False
    on_topic: bool = True


#: Candidate definitions, the cohort's first for each covariate.
DEFINITIONS: tuple[Definition, ...] = (
    Definition("bpq020", "hypertension", "BPQ020 ever told high blood pressure",
               ("BPQ020",), bp_told, ours=True),
    Definition("bpq030", "hypertension", "BPQ030 told on 2+ visits", ("BPQ020", "BPQ030"),
               bp_told_twice),
    Definition("bpq040a", "hypertension", "BPQ040A ever told to take BP medicine",
               ("BPQ020", "BPQ040A"), bp_rx_advised),
    Definition("bpq050a", "hypertension", "BPQ050A now taking BP medicine",
               ("BPQ020", "BPQ040A", "BPQ050A"), bp_rx_now),
    Definition("bpq030_and_bpq050a", "hypertension", "BPQ030 and BPQ050A, told twice and treated",
               ("BPQ020", "BPQ030", "BPQ040A", "BPQ050A"), bp_twice_and_rx_now),
    Definition("bpq100d", "hypertension",
               "BPQ100D now taking cholesterol medicine",
               ("BPQ060", "BPQ090D", "BPQ100D"), cholesterol_rx_now, on_topic=False),
    Definition("diq010", "diabetes", "DIQ010 told diabetes, borderline as no", ("DIQ010",),
               diabetes_told, ours=True),
    Definition("diq010_borderline", "diabetes", "DIQ010 told diabetes or borderline",
               ("DIQ010",), diabetes_or_borderline),
    Definition("diq010_diq160", "diabetes", "DIQ010 diabetes or borderline, or DIQ160 prediabetes",
               ("DIQ010", "DIQ160"), diabetes_or_prediabetes),
    Definition("diq050_diq070", "diabetes", "DIQ050 insulin or DIQ070 diabetes pills now",
               ("DIQ010", "DIQ160", "DIQ050", "DIQ070"), diabetes_medicine_now),
    Definition("diq010_or_medicine", "diabetes", "DIQ010 told diabetes, or medicine now",
               ("DIQ010", "DIQ160", "DIQ050", "DIQ070"), diabetes_told_or_medicine),
)


def raw_answers(seqn: pd.Series, cycles: Iterable[str] = ("H", "P"),
                loader: Loader | None = None) -> pd.DataFrame:
    """The BPQ and DIQ answers of some participants, special codes removed.

    Parameters
    ----------
    seqn : pandas.Series
        Participant numbers (e.g. the cohort's ``seqn``).
    cycles : iterable of {"H", "P"}
        Cycles to read.
    loader : callable, optional
        ``loader(table) -> DataFrame``; default
        :func:`osteometals.nhanes.files.load_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``seqn`` (one row per participant, in its order), with
        every variable of :data:`DEFINITIONS`.
    """
    if loader is None:
        from osteometals.nhanes.files import load_table as loader
    needed = sorted({v for d in DEFINITIONS for v in d.variables})
    parts = []
    for cycle in cycles:
        pattern = CYCLES[cycle][1]
        merged = loader(pattern.format("BPQ")).merge(loader(pattern.format("DIQ")), on="SEQN",
                                                     how="outer")
        for var in needed:
            if var not in merged.columns:
                merged[var] = np.nan
        parts.append(merged[["SEQN", *needed]])
    answers = recode_special(pd.concat(parts, ignore_index=True)).set_index("SEQN")
    return answers.reindex(seqn.to_numpy()).set_index(seqn.index)


def prevalence_table(data: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Prevalence of every candidate definition in a cohort, overall and by OP status.

    Parameters
    ----------
    data : pandas.DataFrame
        Cohort rows (``op`` column).
    answers : pandas.DataFrame
        :func:`raw_answers` for the same rows (same index).

    Returns
    -------
    pandas.DataFrame
        One row per definition: ``covariate, key, label, ours, on_topic, n_known,
        n_yes, pct`` (all women), ``pct_op0``, ``pct_op1`` (% yes among the
        women without and with osteoporosis, over known values).
    """
    rows = []
    for d in DEFINITIONS:
        status = d.derive(answers)
        row = {"covariate": d.covariate, "key": d.key, "label": d.label, "ours": d.ours,
               "on_topic": d.on_topic,
               "n_known": int(status.notna().sum()), "n_yes": int((status == 1).sum()),
               "pct": 100 * float(status.mean())}
        for op in (0, 1):
            row[f"pct_op{op}"] = 100 * float(status[data["op"] == op].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def marital_under_slip(data: pd.DataFrame) -> pd.Series:
    """Marital status if 2017-2020's DMDMARTZ were read with 2013-2014's DMDMARTL codes.

    DMDMARTZ (P) codes 1 married/living with partner, 2 widowed/divorced/
    separated, 3 never married; DMDMARTL (H) codes 1 married, 2 widowed,
    3 divorced, 4 separated, 5 never married, 6 living with partner. Read
    with the DMDMARTL scheme, P's 1 stays married, 2 becomes "widowed" and
    3 "divorced": the never-married women of 2017-2020 join the widowed,
    divorced or separated, and only 2013-2014 women can be never married.

    Parameters
    ----------
    data : pandas.DataFrame
        Cohort rows (``cycle``, ``marital`` coded from the codebooks).

    Returns
    -------
    pandas.Series
        Categorical with the levels of ``CATEGORIES["marital"]``.
    """
    _, widowed, never = CATEGORIES["marital"]
    slipped = data["marital"].astype(object).copy()
    slipped[(data["cycle"] == "2017-2020") & (data["marital"] == never)] = widowed
    return pd.Series(pd.Categorical(slipped, categories=list(CATEGORIES["marital"])),
                     index=data.index)
