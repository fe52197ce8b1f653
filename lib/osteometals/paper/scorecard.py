"""Join the paper's numbers to the book's and give each cell a verdict.

The published side comes only from :mod:`osteometals.paper.published`. The book's
side is what the chapters write to their results folders; :data:`RESULT_FILES`
names the file of each table, and the book layer finds the chapter that wrote
it (:func:`osteometals.book.results.locate_results`, through the chapter
registry), so no chapter folder is named here:

=================  ==========================  ====================================
published          our CSV                     keys
=================  ==========================  ====================================
Table 1            ``table1.csv``              variable, level, op
Table 2            ``table2.csv``              metal, quartile, model
Table 3            ``table3.csv``              metal, quartile, outcome, model
Table 4            ``table4.csv``              metal, quartile, stratifier, stratum
Table 4 P inter.   ``interactions.csv``        metal, stratifier
(Table 3's scale)  ``table3_scale_evidence``   (:mod:`~osteometals.paper.beta_scale`)
=================  ==========================  ====================================

Each of our frames has ``estimate``, ``ci_lower``, ``ci_upper``, ``p`` and
(for the regression tables) ``p_trend``, possibly a boolean ``weighted``
column with both fits. Keys are normalised before the join, and only where
two spellings mean the same thing: metals by key, symbol or name (``"pb"``,
``"Pb"``, ``"lead"``), quartiles as ``"Q2"`` or ``2``, models as
``"Model 1"`` or ``1``, strata with hyphen or en dash, BMD sites by column or
printed label. Anything else that does not match stays unmatched and is
counted as not compared: a silent mismatch would look like agreement.

Table 3's scale
---------------
The paper's Table 3 βs are most probably standardised coefficients (SPSS
"Beta"), not g/cm²: :mod:`osteometals.paper.beta_scale` weighs the evidence.
:func:`compare_table3` and :func:`scorecard` take ``table3_scale``
(``"unstandardised"`` or ``"standardised"``); direction and significance do
not depend on it, the size of the difference and whether the paper's β lies
in our interval do.

Verdicts (per compared cell)
----------------------------
``same_direction``
    OR on the same side of 1 (ratio scale) or β of the same sign
    (difference scale); NA when either is exactly null.
``ci_overlap``
    The two 95 % intervals overlap (NA when the paper prints no CI, as in
    Table 3); ``published_in_ci``: the paper's estimate lies in our CI.
``ratio`` / ``difference``
    ours / published (ratio scale) or ours - published.
``same_significance``
    Both P < ``alpha`` or both >= ``alpha`` (default 0.05).
``verdict``
    ``"agree"`` (same direction, same significance), ``"significance
    differs"`` (same direction only), ``"opposite, both n.s."``,
    ``"opposite"`` (at least one significant), ``"p only"`` (P-value rows:
    judged on significance), ``"not compared"`` (no number of ours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import METALS
from osteometals.paper import beta_scale, published

__all__ = [
    "ALPHA",
    "JUDGEMENTS",
    "RESULT_FILES",
    "change_counts",
    "compare",
    "compare_table1",
    "compare_table2",
    "compare_table3",
    "compare_table4",
    "load_results",
    "normalise",
    "resolve_table3_scale",
    "scorecard",
    "select_cells",
    "summarise",
    "table1_differences",
    "verdict_changes",
]

#: Significance level of the paper (Methods: "p < 0.05").
ALPHA = 0.05

#: The results file of each published table (file names are unique in the book).
RESULT_FILES: dict[str, str] = {
    "Table 1": "table1.csv",
    "Table 2": "table2.csv",
    "Table 3": "table3.csv",
    "Table 4": "table4.csv",
    "Table 4 interaction": "interactions.csv",
    "Table 3 scale evidence": "table3_scale_evidence.csv",
}

_METAL_ALIASES: dict[str, str] = {}
for _m in METALS:
    for _alias in (_m.key, _m.symbol, _m.name, _m.nhanes):
        _METAL_ALIASES[_alias.lower()] = _m.key
_SITE_ALIASES = {label.lower(): col for col, label in published.SITE_LABELS.items()}
_SITE_ALIASES.update({col: col for col in published.SITE_LABELS})

#: Columns of the scorecard, in order.
COLUMNS = [
    "table", "quantity", "metal", "quartile", "model", "outcome", "stratifier", "stratum",
    "variable", "level", "op", "published", "ours", "published_ci_lower", "published_ci_upper",
    "ours_ci_lower", "ours_ci_upper", "published_p", "ours_p", "reading", "same_direction",
    "ci_overlap", "published_in_ci", "ratio", "difference", "significant_published",
    "significant_ours", "same_significance", "verdict",
]


# ----------------------------------------------------------------------------- keys


def _metal(value) -> str | None:
    if pd.isna(value):
        return None
    return _METAL_ALIASES.get(str(value).strip().lower())


def _quartile(value) -> str | None:
    if pd.isna(value):
        return None
    s = str(value).strip()
    m = re.fullmatch(r"[Qq]?\s*([1-4])(\.0)?", s)
    return f"Q{m.group(1)}" if m else None


def _model(value) -> str | None:
    if pd.isna(value):
        return None
    m = re.fullmatch(r"(?:model|m)?\s*_?([1-3])(\.0)?", str(value).strip().lower())
    return f"Model {m.group(1)}" if m else None


def _dash(value) -> str:
    return str(value).strip().replace("–", "-").replace("—", "-").replace(" ", "")


def _outcome(value) -> str | None:
    if pd.isna(value):
        return None
    return _SITE_ALIASES.get(str(value).strip().lower())


def normalise(ours: pd.DataFrame, weighted: bool | None = True) -> pd.DataFrame:
    """Bring one of our results frames to the published key spellings.

    Parameters
    ----------
    ours : pandas.DataFrame
        A chapter's results (any of the tables in the module docstring).
    weighted : bool or None, default True
        If ``ours`` has a ``weighted`` column, keep only the rows with this
        value (None keeps all; the frame must then have one row per key).

    Returns
    -------
    pandas.DataFrame
        A copy with ``metal``, ``quartile``, ``model``, ``outcome`` and
        ``stratum`` normalised where present; rows whose key cannot be read
        (e.g. a continuous per-SD term in the quartile column) get NA there.
    """
    out = ours.copy()
    if weighted is not None and "weighted" in out.columns:
        flag = out["weighted"].map(
            lambda v: str(v).strip().lower() in {"true", "1", "yes"} if isinstance(v, str)
            else bool(v))
        out = out[flag == weighted]
    if "outcome" not in out.columns and "site" in out.columns:
        out["outcome"] = out["site"]
    for column, spelling in (("metal", _metal), ("quartile", _quartile), ("model", _model),
                             ("outcome", _outcome), ("stratum", _dash)):
        if column in out.columns:
            out[column] = out[column].map(spelling)
    return out


# ----------------------------------------------------------------------------- verdicts


def _verdicts(df: pd.DataFrame, scale: str, alpha: float) -> pd.DataFrame:
    pub, ours = df["published"].astype(float), df["ours"].astype(float)
    null = 1.0 if scale == "ratio" else 0.0
    s_pub = np.sign(pub - null)
    s_ours = np.sign(ours - null)
    known = pub.notna() & ours.notna() & (s_pub != 0) & (s_ours != 0)
    df["same_direction"] = pd.array(np.where(known, s_pub == s_ours, pd.NA), dtype="boolean")
    lo_p, hi_p = df["published_ci_lower"].astype(float), df["published_ci_upper"].astype(float)
    lo_o, hi_o = df["ours_ci_lower"].astype(float), df["ours_ci_upper"].astype(float)
    both_ci = lo_p.notna() & hi_p.notna() & lo_o.notna() & hi_o.notna()
    df["ci_overlap"] = pd.array(np.where(both_ci, (lo_p <= hi_o) & (lo_o <= hi_p), pd.NA),
                                dtype="boolean")
    has_ours_ci = pub.notna() & lo_o.notna() & hi_o.notna()
    df["published_in_ci"] = pd.array(
        np.where(has_ours_ci, (lo_o <= pub) & (pub <= hi_o), pd.NA), dtype="boolean")
    if scale == "ratio":
        df["ratio"] = ours / pub
        df["difference"] = np.nan
    else:
        df["ratio"] = np.nan
        df["difference"] = ours - pub
    p_pub, p_ours = df["published_p"].astype(float), df["ours_p"].astype(float)
    df["significant_published"] = pd.array(np.where(p_pub.notna(), p_pub < alpha, pd.NA),
                                           dtype="boolean")
    df["significant_ours"] = pd.array(np.where(p_ours.notna(), p_ours < alpha, pd.NA),
                                      dtype="boolean")
    df["same_significance"] = df["significant_published"] == df["significant_ours"]
    df["verdict"] = [
        _verdict(*row) for row in zip(
            ours.notna() | p_ours.notna(), df["same_direction"], df["significant_published"],
            df["significant_ours"], pub.isna() & p_pub.notna(), strict=True)
    ]
    return df


def _verdict(have_ours, same_dir, sig_pub, sig_ours, p_only) -> str:
    if not have_ours:
        return "not compared"
    same_sig = pd.NA if (pd.isna(sig_pub) or pd.isna(sig_ours)) else sig_pub == sig_ours
    if p_only:
        return "p only" if pd.isna(same_sig) else ("agree" if same_sig else "significance differs")
    if pd.isna(same_dir):
        return "direction unknown"
    if same_dir:
        if pd.isna(same_sig) or same_sig:
            return "agree"
        return "significance differs"
    if pd.isna(sig_pub) or pd.isna(sig_ours) or not (sig_pub or sig_ours):
        return "opposite, both n.s."
    return "opposite"


def compare(
    pub: pd.DataFrame,
    ours: pd.DataFrame | None,
    keys: list[str],
    *,
    table: str,
    quantity: str,
    scale: str = "ratio",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Join published cells to ours on ``keys`` and add per-cell verdicts.

    Parameters
    ----------
    pub : pandas.DataFrame
        Published cells with ``estimate``, ``ci_lower``, ``ci_upper``, ``p``
        (and optionally ``reading``) plus the key columns. For a P-value-only
        quantity (``"p_trend"``), ``estimate`` is NaN and ``p`` holds it.
    ours : pandas.DataFrame or None
        Our cells, already normalised, same columns; None means we have no
        results (every cell "not compared").
    keys : list of str
        Join keys; every published row is kept (left join). Duplicated keys
        in ``ours`` raise ``ValueError``.
    table, quantity : str
        Labels written to the ``table`` and ``quantity`` columns.
    scale : {"ratio", "difference"}
        Ratio scale (odds ratios, null 1) or difference scale (β, null 0).
    alpha : float
        Significance level.

    Returns
    -------
    pandas.DataFrame
        One row per published cell with the columns :data:`COLUMNS`.
    """
    value_cols = ["estimate", "ci_lower", "ci_upper", "p"]
    left = pub.copy()
    for c in value_cols:
        if c not in left.columns:
            left[c] = np.nan
    left = left[keys + value_cols + (["reading"] if "reading" in left.columns else [])]
    left = left.rename(columns={"estimate": "published", "ci_lower": "published_ci_lower",
                                "ci_upper": "published_ci_upper", "p": "published_p"})
    if ours is None or ours.empty:
        right = pd.DataFrame(columns=keys + ["ours", "ours_ci_lower", "ours_ci_upper",
                                             "ours_p"])
    else:
        right = ours.dropna(subset=keys).copy()
        for c in value_cols:
            if c not in right.columns:
                right[c] = np.nan
        if right.duplicated(keys).any():
            dup = right[right.duplicated(keys, keep=False)][keys].drop_duplicates()
            raise ValueError(f"{table}: our results repeat keys {dup.to_dict('records')[:3]} "
                             "(pass weighted=True/False?)")
        right = right[keys + value_cols].rename(columns={
            "estimate": "ours", "ci_lower": "ours_ci_lower", "ci_upper": "ours_ci_upper",
            "p": "ours_p"})
    for k in keys:
        left[k] = left[k].astype(object)
        right[k] = right[k].astype(object)
    df = left.merge(right, on=keys, how="left")
    df["table"], df["quantity"] = table, quantity
    df = _verdicts(df, scale, alpha)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    return df[COLUMNS]


def _trend_rows(frame: pd.DataFrame, keys: list[str], col: str = "p_trend") -> pd.DataFrame:
    if frame is None or col not in frame.columns:
        return None
    out = frame.dropna(subset=keys).drop_duplicates(keys)[keys + [col]]
    return out.rename(columns={col: "p"})


def _compare_quartile_table(pub: pd.DataFrame, ours: pd.DataFrame | None, keys: list[str],
                            table: str, quantity: str, alpha: float,
                            scale: str = "ratio") -> list[pd.DataFrame]:
    """Compare a quartile table's cells and its P for trend.

    Parameters
    ----------
    pub, ours : pandas.DataFrame
        Published and reproduced cells (``ours`` may be None), with a
        ``p_trend`` column repeated on every quartile row.
    keys : list of str
        Columns identifying a cell, ``"quartile"`` among them; the trend is
        compared once per combination of the other keys.
    table, quantity, alpha, scale
        As :func:`compare`, for the cells (the trend rows get quantity
        ``"p_trend"``).

    Returns
    -------
    list of pandas.DataFrame
        The cell rows and the trend rows, as :func:`compare` returns them.
    """
    cells = compare(pub, ours, keys, table=table, quantity=quantity, scale=scale, alpha=alpha)
    tk = [k for k in keys if k != "quartile"]
    trend = compare(_trend_rows(pub, tk), _trend_rows(ours, tk), tk, table=table,
                    quantity="p_trend", alpha=alpha)
    return [cells, trend]


# ----------------------------------------------------------------------------- tables


def _ours(ours: pd.DataFrame | None, weighted: bool | None) -> pd.DataFrame | None:
    return None if ours is None else normalise(ours, weighted)


# Every compare_table* takes our frame (or None: every cell "not compared"),
# ``weighted`` (which of our fits to compare if the frame holds both, see
# :func:`normalise`) and ``alpha`` (the significance level), and returns
# scorecard rows with the columns :data:`COLUMNS`.


def compare_table2(ours: pd.DataFrame | None, weighted: bool | None = True,
                   alpha: float = ALPHA) -> pd.DataFrame:
    """Table 2 (OR of osteoporosis by quartile): 45 ``"OR"`` cells and 15 ``"p_trend"``.

    ``ours`` has columns ``metal, quartile, model, estimate, ci_lower,
    ci_upper, p, p_trend`` (+ ``weighted``).
    """
    parts = _compare_quartile_table(published.table2(), _ours(ours, weighted),
                                    ["metal", "quartile", "model"], table="Table 2",
                                    quantity="OR", alpha=alpha)
    return pd.concat(parts, ignore_index=True)


def compare_table3(ours: pd.DataFrame | None, weighted: bool | None = True,
                   alpha: float = ALPHA, scale: str = "unstandardised") -> pd.DataFrame:
    """Table 3 (β of BMD by quartile): 90 ``"beta"`` cells and 30 ``"p_trend"``.

    ``ours`` has columns ``metal, quartile, outcome, model, estimate,
    ci_lower, ci_upper, p, p_trend`` (+ ``weighted``; for
    ``scale="standardised"`` also the standardised columns of
    :func:`osteometals.paper.regression.table3`); ``outcome`` is the cohort
    column (``"bmd_femur"``) or the printed site label. ``scale`` is the
    scale of our βs the paper's are judged against
    (:mod:`osteometals.paper.beta_scale`). The paper prints no CI, so
    ``ci_overlap`` is NA; ``published_in_ci`` applies.
    """
    o = _ours(ours, weighted)
    if o is not None:
        o = beta_scale.on_scale(o, scale)
    parts = _compare_quartile_table(published.table3(), o,
                                    ["metal", "quartile", "outcome", "model"], table="Table 3",
                                    quantity="beta", scale="difference", alpha=alpha)
    return pd.concat(parts, ignore_index=True)


def compare_table4(ours: pd.DataFrame | None, interactions: pd.DataFrame | None = None,
                   weighted: bool | None = True, alpha: float = ALPHA) -> pd.DataFrame:
    """Table 4: 90 ``"OR"`` cells in age / BMI strata, 30 ``"p_trend"``, 10 ``"p_interaction"``.

    ``ours`` has columns ``metal, quartile, stratifier, stratum, estimate,
    ci_lower, ci_upper, p, p_trend`` (+ ``weighted``), ``interactions``
    ``metal, stratifier, p_interaction`` (+ ``weighted``).
    """
    pub = published.table4()
    pub["stratum"] = pub["stratum"].map(_dash)
    parts = _compare_quartile_table(pub, _ours(ours, weighted),
                                    ["metal", "quartile", "stratifier", "stratum"],
                                    table="Table 4", quantity="OR", alpha=alpha)
    ik = ["metal", "stratifier"]
    inter = compare(_trend_rows(published.interactions(), ik, "p_interaction"),
                    _trend_rows(_ours(interactions, weighted), ik, "p_interaction"), ik,
                    table="Table 4", quantity="p_interaction", alpha=alpha)
    return pd.concat([*parts, inter], ignore_index=True)


def _table1_ours(ours: pd.DataFrame, weighted: bool | None) -> pd.DataFrame:
    """Our Table 1 in the published layout: variable, level, op, n, percent, center, p."""
    o = ours.copy()
    if weighted is not None and "weighted" in o.columns:
        o = o[o["weighted"].astype(str).str.lower().isin(
            ["true", "1"] if weighted else ["false", "0"])]
    stat = "statistic_x" if "statistic_x" in o.columns else "statistic"
    o["level"] = o["level"].fillna("").astype(str)
    o["op"] = o["op"].astype(int)
    wide = o.pivot_table(index=["variable", "level", "op"], columns=stat, values="value",
                         aggfunc="first")
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reset_index()
    if "p" in o.columns:
        pvals = o.drop_duplicates(["variable", "level", "op"])[
            ["variable", "level", "op", "p"]]
        wide = wide.merge(pvals, on=["variable", "level", "op"], how="left")
    return wide


def compare_table1(ours: pd.DataFrame | None, weighted: bool | None = False,
                   alpha: float = ALPHA) -> pd.DataFrame:
    """Table 1: counts, percentages, centres of continuous rows and P-values.

    Parameters
    ----------
    ours : pandas.DataFrame or None
        Long frame as :meth:`osteometals.paper.table1.Table1.tidy` (``variable,
        level, op, weighted, statistic, value`` and ``p``), where
        ``statistic`` is one of ``n, pct, mean, sd, median, q1, q3``.
    weighted : bool or None, default False
        The paper's Table 1 is unweighted (n and unweighted %).
    alpha : float
        Significance level.

    Returns
    -------
    pandas.DataFrame
        Scorecard rows with quantities ``"n"``, ``"percent"``, ``"mean"``
        (the paper's centre, compared with our mean), and ``"p"`` (one per
        variable), all on the difference scale.
    """
    pub = published.table1()
    pub = pub[pub.variable != "op"].copy()
    pub["level"] = pub["level"].astype(str)
    keys = ["variable", "level", "op"]
    o = None if ours is None else _table1_ours(ours, weighted)
    out = []
    cat = pub[pub.summary == "n (%)"]
    cont = pub[pub.summary != "n (%)"]
    for quantity, src, col, ours_col in (("n", cat, "n", "n"), ("percent", cat, "percent", "pct"),
                                         ("mean", cont, "center", "mean")):
        p = src[keys + [col, "reading"]].rename(columns={col: "estimate"})
        p["estimate"] = p["estimate"].astype(float)
        r = None
        if o is not None and ours_col in o.columns:
            r = o[keys + [ours_col]].rename(columns={ours_col: "estimate"})
        out.append(compare(p, r, keys, table="Table 1", quantity=quantity, scale="difference",
                           alpha=alpha))
    pk = ["variable"]
    pp = pub.drop_duplicates("variable")[["variable", "p"]]
    rp = None
    if o is not None and "p" in o.columns:
        rp = o.drop_duplicates("variable")[["variable", "p"]]
    out.append(compare(pp, rp, pk, table="Table 1", quantity="p", alpha=alpha))
    res = pd.concat(out, ignore_index=True)
    # a direction is meaningless for counts and P-values: judge those on closeness only
    res.loc[res.quantity.isin(["n", "percent", "mean"]), ["same_direction"]] = pd.NA
    res.loc[res.quantity.isin(["n", "percent", "mean"]), "verdict"] = np.where(
        res.loc[res.quantity.isin(["n", "percent", "mean"]), "ours"].isna(), "not compared",
        "difference")
    return res


# ----------------------------------------------------------------------------- all tables


def load_results(paths: Mapping[str, str | Path],
                 files: Mapping[str, str] = RESULT_FILES) -> dict[str, pd.DataFrame]:
    """Read our results CSVs.

    Parameters
    ----------
    paths : mapping
        Table name (the keys of ``files``) -> path of its CSV, as the book
        layer finds them (:func:`osteometals.book.results.locate_results`).
    files : mapping
        The tables to read: :data:`RESULT_FILES` (the default) or
        :data:`MIXTURE_FILES`.

    Returns
    -------
    dict
        Table name -> DataFrame.

    Raises
    ------
    KeyError
        If a table of ``files`` has no path.
    FileNotFoundError
        If a path does not exist: a table whose chapter did not write it is
        an error, not a row of "not compared" cells.
    """
    missing = [t for t in files if t not in paths]
    if missing:
        raise KeyError(f"no results file given for {missing}")
    out: dict[str, pd.DataFrame] = {}
    for table in files:
        path = Path(paths[table])
        if not path.is_file():
            raise FileNotFoundError(f"{table}: results file {path} does not exist; rerun the "
                                    "chapter that writes it")
        out[table] = pd.read_csv(path, keep_default_na=True)
    return out


def scorecard(results: Mapping[str, pd.DataFrame | None], weighted: bool | None = True,
              alpha: float = ALPHA, table3_scale: str = "unstandardised") -> pd.DataFrame:
    """Every published number joined to ours, with verdicts.

    Parameters
    ----------
    results : mapping
        As returned by :func:`load_results` (keys ``"Table 1"`` ...
        ``"Table 4 interaction"``); a missing or None entry leaves that
        table's cells "not compared".
    weighted : bool or None
        Which of our regression fits to compare (Table 1 is always the
        unweighted version, as the paper's).
    alpha : float
        Significance level.
    table3_scale : {"unstandardised", "standardised"}
        Scale of our Table 3 βs (:func:`compare_table3`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, one row per published number.
    """
    parts = [
        compare_table1(results.get("Table 1"), weighted=False, alpha=alpha),
        compare_table2(results.get("Table 2"), weighted=weighted, alpha=alpha),
        compare_table3(results.get("Table 3"), weighted=weighted, alpha=alpha,
                       scale=table3_scale),
        compare_table4(results.get("Table 4"), results.get("Table 4 interaction"),
                       weighted=weighted, alpha=alpha),
    ]
    return pd.concat(parts, ignore_index=True)


def summarise(card: pd.DataFrame) -> pd.DataFrame:
    """Counts per table and quantity.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` or a ``compare_*`` function.

    Returns
    -------
    pandas.DataFrame
        One row per ``table`` x ``quantity`` with ``published`` (cells in
        the paper), ``compared`` (cells we have), ``same_direction``,
        ``ci_overlap`` (and ``ci_comparable``, cells where both CIs exist),
        ``published_in_ci``, ``same_significance``, ``significant_published``,
        ``significant_both``, ``agree`` (verdict ``"agree"``) and
        ``median_ratio`` / ``median_abs_difference``.
    """

    def count(s: pd.Series) -> int:
        return int(s.fillna(False).astype(bool).sum())

    rows = []
    for (table, quantity), g in card.groupby(["table", "quantity"], sort=False):
        have = g["ours"].notna() | g["ours_p"].notna()
        rows.append({
            "table": table,
            "quantity": quantity,
            "published": int(len(g)),
            "compared": int(have.sum()),
            "same_direction": count(g["same_direction"]),
            "direction_comparable": int(g["same_direction"].notna().sum()),
            "ci_overlap": count(g["ci_overlap"]),
            "ci_comparable": int(g["ci_overlap"].notna().sum()),
            "published_in_ci": count(g["published_in_ci"]),
            "same_significance": count(g["same_significance"]),
            "significant_published": count(g["significant_published"]),
            "significant_ours": count(g["significant_ours"]),
            "significant_both": count(g["significant_published"] & g["significant_ours"]),
            "agree": int((g["verdict"] == "agree").sum()),
            "median_ratio": float(g["ratio"].astype(float).median()),
            "median_abs_difference": float(g["difference"].astype(float).abs().median()),
        })
    return pd.DataFrame(rows)


#: The judgements of a scorecard row that :func:`verdict_changes` follows.
JUDGEMENTS: tuple[str, ...] = ("verdict", "same_direction", "same_significance",
                               "published_in_ci", "ci_overlap")
_CELL_KEYS = ["table", "quantity", "metal", "quartile", "model", "outcome", "stratifier",
              "stratum", "variable", "level", "op"]


def _text(s: pd.Series) -> pd.Series:
    """Values as text, missing ones as "NA", so that two columns compare cell by cell."""
    return s.astype(object).map(lambda v: "NA" if pd.isna(v) else str(v))


def verdict_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The cells whose judgement differs between two scorecards of the same numbers.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Two outputs of :func:`scorecard` (or of the same ``compare_*``
        function), e.g. under two conventions.

    Returns
    -------
    pandas.DataFrame
        One row per cell and judgement (:data:`JUDGEMENTS`) that changed: the
        cell's keys, ``judgement``, ``before`` and ``after`` (as text), and
        both cells' ``ours``.

    Raises
    ------
    ValueError
        If the two scorecards do not hold the same cells.
    """
    keys = [k for k in _CELL_KEYS if k in before.columns]
    b = before.assign(**{k: _text(before[k]) for k in keys}).set_index(keys)
    a = after.assign(**{k: _text(after[k]) for k in keys}).set_index(keys)
    if not b.index.sort_values().equals(a.index.sort_values()) or b.index.has_duplicates:
        raise ValueError("the two scorecards do not hold the same cells")
    a = a.reindex(b.index)
    rows = []
    for judgement in JUDGEMENTS:
        old, new = _text(b[judgement]), _text(a[judgement])
        changed = old != new
        rows.append(pd.DataFrame({
            "judgement": judgement, "before": old[changed], "after": new[changed],
            "ours_before": b.loc[changed, "ours"], "ours_after": a.loc[changed, "ours"],
        }))
    out = pd.concat(rows).reset_index()
    return out[[*keys, "judgement", "before", "after", "ours_before", "ours_after"]]


def change_counts(before: pd.DataFrame, after: pd.DataFrame,
                  columns: tuple[str, ...] = ("compared", "same_direction", "published_in_ci",
                                              "same_significance", "agree")) -> pd.DataFrame:
    """Counts of two scorecards side by side, per table and quantity, with the change.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Two outputs of :func:`scorecard` (or of the same ``compare_*``).
    columns : tuple of str
        Columns of :func:`summarise` to show.

    Returns
    -------
    pandas.DataFrame
        Indexed by (table, quantity); columns (count, ``"before"`` /
        ``"after"`` / ``"change"``).
    """
    b = summarise(before).set_index(["table", "quantity"])[list(columns)]
    a = summarise(after).set_index(["table", "quantity"])[list(columns)].reindex(b.index)
    return pd.concat({"before": b, "after": a, "change": a - b}, axis=1).swaplevel(
        axis=1).reindex(columns=pd.MultiIndex.from_product([columns,
                                                           ["before", "after", "change"]]))


def resolve_table3_scale(choice: str, evidence: pd.DataFrame) -> tuple[str, str]:
    """The scale Table 3 is judged on, and what chose it.

    Parameters
    ----------
    choice : {"evidence", "standardised", "unstandardised"}
        ``"evidence"``: the scale :func:`osteometals.paper.beta_scale.supported_scale`
        finds in ``evidence``; otherwise that scale.
    evidence : pandas.DataFrame
        :func:`osteometals.paper.beta_scale.evidence` output (chapter 4's
        ``table3_scale_evidence.csv``).

    Returns
    -------
    (str, str)
        The scale and ``"evidence"`` or ``"parameter"``.

    Raises
    ------
    ValueError
        If ``choice`` is none of the three.
    """
    if choice == "evidence":
        return beta_scale.supported_scale(evidence), "evidence"
    if choice not in beta_scale.SCALES:
        raise ValueError(f"table3_scale must be 'evidence' or one of "
                         f"{', '.join(map(repr, beta_scale.SCALES))}; got {choice!r}")
    return choice, "parameter"


def select_cells(card: pd.DataFrame, selections: list[Mapping[str, object]]) -> pd.DataFrame:
    """The rows of a scorecard that match any of ``selections``, in their order.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`scorecard` output.
    selections : list of mapping
        Column -> value, or -> list of values; a row matches a selection
        when it matches every entry.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    KeyError
        If a selection names a column the scorecard does not have, or
        matches no row (a renamed level would otherwise pass silently).
    """
    parts = []
    for sel in selections:
        mask = pd.Series(True, index=card.index)
        for column, value in sel.items():
            if column not in card.columns:
                raise KeyError(f"the scorecard has no column {column!r}")
            values = value if isinstance(value, list | tuple) else [value]
            mask &= card[column].isin(values)
        if not mask.any():
            raise KeyError(f"no scorecard row matches {dict(sel)}")
        parts.append(card[mask])
    return pd.concat(parts)


def table1_differences(card: pd.DataFrame) -> dict[str, object]:
    """How far our Table 1 is from the paper's, for the scorecard's prose.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`scorecard` (or :func:`compare_table1`) output.

    Returns
    -------
    dict
        ``pct_median`` and ``pct_max`` (absolute differences of the
        percentages, in points), ``pct_max_where`` (``"variable = level,
        OP"``), ``p_same`` (variables whose between-group tests agree on
        significance) and ``p_n`` (variables tested).

    Raises
    ------
    ValueError
        If the scorecard has no percentage of ours.
    """
    t1 = card[card["table"] == "Table 1"]
    pct = t1[(t1["quantity"] == "percent") & t1["ours"].notna()]
    if pct.empty:
        raise ValueError("the scorecard has no Table 1 percentage of ours")
    diff = pct["difference"].astype(float).abs()
    worst = pct.loc[diff.idxmax()]
    p = t1[t1["quantity"] == "p"]
    return {"pct_median": float(diff.median()), "pct_max": float(diff.max()),
            "pct_max_where": f"{worst['variable']} = {worst['level']}, "
                             f"{'OP' if int(worst['op']) == 1 else 'non-OP'}",
            "p_same": int(p["same_significance"].fillna(False).astype(bool).sum()),
            "p_n": len(p)}


# ----------------------------------------------------------------------------- mixture claims
#
# The paper prints no number for its mixture analyses, only statements. Quantile
# g-computation (chapter 5, ``qgcomp_psi.csv`` and ``qgcomp_weights.csv``) is judged
# against them: the direction of the claimed effect and, where the paper says
# "significantly", the significance.

#: Our mixture results files, found like :data:`RESULT_FILES`.
MIXTURE_FILES: dict[str, str] = {
    "qgcomp": "qgcomp_psi.csv",
    "qgcomp weights": "qgcomp_weights.csv",
}

#: The paper's mixture statements (Discussion): (quote, quantity, metal or None,
#: sign of the claimed effect, claimed significant or None when not said).
MIXTURE_CLAIMS: tuple[tuple[str, str, str | None, int, bool | None], ...] = (
    ("Mixed heavy metals were significantly positively related to OP in BKMR model.",
     "mixture effect", None, 1, True),
    ("WQS model analysis further underscored the hazardous impact of blood Cd levels",
     "partial effect", "cd", 1, None),
    ("... and the positive impact of blood Se levels", "partial effect", "se", -1, None),
)


def compare_qgcomp(psi: pd.DataFrame | None, weights: pd.DataFrame | None,
                   alpha: float = ALPHA) -> pd.DataFrame:
    """Quantile g-computation against the paper's mixture statements.

    Parameters
    ----------
    psi : pandas.DataFrame or None
        ``qgcomp_psi.csv``: one row per estimator and analysis with ``term``
        (``"psi1"`` is compared), ``estimate`` (ratio scale), ``ci_lower``,
        ``ci_upper``, ``p``, ``estimator``, ``scale`` and ``analysis``.
    weights : pandas.DataFrame or None
        ``qgcomp_weights.csv``: ``exposure``, ``coefficient`` (log scale) and
        ``analysis``, the partial effects of the conditional estimator.
    alpha : float
        Significance level.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` and ``claim`` (the quote), table
        ``"Mixtures (qgcomp)"``: one row per claim and analysis. ``published``
        is empty (no number printed); ``same_direction`` compares our
        estimate's side of 1 with the claimed sign, and the verdict follows
        :func:`compare`'s rules (a claim without "significantly" is judged on
        direction only; the partial effects have no valid P-value).
    """
    rows = []
    for quote, quantity, metal, sign, sig_claim in MIXTURE_CLAIMS:
        if metal is None:
            have = psi is not None and not psi.empty
            src = psi[psi["term"] == "psi1"] if have else pd.DataFrame()
            for r in src.itertuples():
                rows.append({"quantity": quantity, "model": f"qgcomp {r.estimator} "
                             f"({'RR' if r.scale == 'log RR' else 'OR'}), {r.analysis}",
                             "ours": r.estimate, "ours_ci_lower": r.ci_lower,
                             "ours_ci_upper": r.ci_upper, "ours_p": r.p, "sign": sign,
                             "sig_claim": sig_claim, "claim": quote})
        elif weights is not None and not weights.empty:
            for r in weights[weights["exposure"].map(_metal) == metal].itertuples():
                rows.append({"quantity": quantity, "metal": metal,
                             "model": f"qgcomp conditional, {r.analysis}",
                             "ours": float(np.exp(r.coefficient)), "ours_p": np.nan,
                             "sign": sign, "sig_claim": sig_claim, "claim": quote})
        if not rows or rows[-1]["claim"] != quote:
            rows.append({"quantity": quantity, "metal": metal, "ours": np.nan, "ours_p": np.nan,
                         "sign": sign, "sig_claim": sig_claim, "claim": quote})
    df = pd.DataFrame(rows)
    ours = df["ours"].astype(float)
    side = np.sign(ours - 1.0)
    known = ours.notna() & (side != 0)
    df["same_direction"] = pd.array(np.where(known, side == df["sign"], pd.NA), dtype="boolean")
    df["significant_published"] = pd.array(df["sig_claim"], dtype="boolean")
    p = df["ours_p"].astype(float)
    df["significant_ours"] = pd.array(np.where(p.notna(), p < alpha, pd.NA), dtype="boolean")
    df["same_significance"] = df["significant_published"] == df["significant_ours"]
    df["verdict"] = [_verdict(h, d, sp, so, False) for h, d, sp, so in zip(
        ours.notna(), df["same_direction"], df["significant_published"],
        df["significant_ours"], strict=True)]
    df["table"], df["reading"] = "Mixtures (qgcomp)", "statement, no number printed"
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    return df[[*COLUMNS, "claim"]]
