"""Sentences and short texts the chapters glue into their prose.

Every number a chapter writes in a sentence is computed; every sentence
whose wording depends on a number (a direction, a comparison, a verdict) is
built here, so the wording is tested with the logic that chooses it. The
functions return plain strings; the chapters pass them to ``myst_nb.glue``.
Nothing here fits a model or reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from osteometals.paper.regression import format_p

__all__ = [
    "adjustment_verdict",
    "card_cell",
    "change_phrase",
    "closest",
    "cycle_text",
    "comparison_word",
    "design_df_text",
    "direction_word",
    "fit_kind",
    "heterogeneity_verdict",
    "interaction_verdict",
    "interval_text",
    "p_phrase",
    "reproduction_summary",
    "row",
    "scale_name",
    "scale_sentence",
    "se_change_phrase",
    "share_phrase",
    "significance_status",
    "significant",
    "significant_models",
    "size_sentence",
    "size_word",
    "stratum_phrase",
    "trend_score_text",
    "weighting_verdict",
    "width_verdict",
]


# --------------------------------------------------------------------------- selection


def row(frame: pd.DataFrame, **keys: object) -> pd.Series:
    """The one row of ``frame`` whose columns equal ``keys``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy results frame or a scorecard.
    **keys
        Column -> value, e.g. ``metal="cd", quartile="Q4", model="Model 1"``.

    Returns
    -------
    pandas.Series

    Raises
    ------
    KeyError
        If a key is not a column, or no row or more than one row matches
        (the message names the keys), so a renamed level cannot pass silently.
    """
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        if column not in frame.columns:
            raise KeyError(f"no column {column!r}; the columns are {list(frame.columns)}")
        mask &= frame[column] == value
    hits = frame[mask]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} rows match {keys}, expected exactly one")
    return hits.iloc[0]


# --------------------------------------------------------------------------- numbers


def interval_text(
    estimate: float,
    lower: float = np.nan,
    upper: float = np.nan,
    p: float = np.nan,
    digits: int = 3,
    p_label: str = "P = ",
    missing: str = "not available",
) -> str:
    """An estimate with its interval and P-value, e.g. ``"1.82 (1.08, 3.06), P = 0.025"``.

    A P below 0.0005 prints as ``"P < 0.001"`` (``"<0.001"`` without a label).

    Parameters
    ----------
    estimate, lower, upper, p : float
        NaN parts are left out; a missing upper limit next to a lower one
        (a cell cut off in the paper's PDF) prints as ``…``.
    digits : int
        Decimals of the estimate and limits.
    p_label : str
        Text before the P-value (``""`` for table cells).
    missing : str
        The text if the estimate is missing.

    Returns
    -------
    str
    """
    if pd.isna(estimate):
        return missing
    text = f"{estimate:.{digits}f}"
    if not pd.isna(lower):
        hi = "…" if pd.isna(upper) else f"{upper:.{digits}f}"
        text += f" ({lower:.{digits}f}, {hi})"
    if not pd.isna(p):
        if p >= 0.0005:
            text += f", {p_label}{p:.3f}"
        else:  # "P < 0.001" (a P never prints as 0.000)
            text += ", " + (p_label[:-2] + "< 0.001" if p_label.endswith("= ") else
                            f"{p_label}<0.001")
    return text


def card_cell(card_row: pd.Series, side: str, digits: int | None = None) -> str:
    """One side of a scorecard row as text: estimate, interval and P.

    Parameters
    ----------
    card_row : pandas.Series
        A row of :func:`osteometals.paper.scorecard.scorecard`.
    side : {"ours", "paper"}
        Which numbers.
    digits : int, optional
        Decimals; default 3 for βs (quantity ``"beta"``) and 2 for odds ratios.

    Returns
    -------
    str
    """
    if side not in ("ours", "paper"):
        raise ValueError(f"side must be 'ours' or 'paper', got {side!r}")
    prefix = "ours" if side == "ours" else "published"
    if digits is None:
        digits = 3 if card_row["quantity"] == "beta" else 2
    return interval_text(card_row[prefix], card_row[f"{prefix}_ci_lower"],
                         card_row[f"{prefix}_ci_upper"], card_row[f"{prefix}_p"], digits)


def p_phrase(p: float) -> str:
    """A P-value after "P" in a sentence: ``"= 0.012"`` or ``"<0.001"``."""
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def significant(p: float, alpha: float) -> bool:
    """Whether ``p`` is below ``alpha`` (a missing P is not significant)."""
    return bool(not pd.isna(p) and p < alpha)


# --------------------------------------------------------------------------- comparisons


def change_phrase(before: float, after: float) -> str:
    """How a coefficient moves between two models: "changes sign, to", "shrinks to", "grows to"."""
    if before * after < 0:
        return "changes sign, to"
    return "shrinks to" if abs(after) < abs(before) else "grows to"


def share_phrase(before: float, after: float) -> str:
    """The end of the sentence after :func:`change_phrase`: the share that disappears.

    Returns ``": 40% of the Model 1 difference disappears once these covariates
    enter."`` when the coefficient shrinks without changing sign, else ``"."``.
    """
    if before * after > 0 and abs(after) < abs(before):
        return (f": {100 * (1 - after / before):.0f}% of the Model 1 difference disappears "
                "once these covariates enter.")
    return "."


def closest(gaps: Mapping[str, float]) -> str:
    """The label with the smallest gap, e.g. which cut-point reading is closer to the paper's."""
    return min(gaps, key=lambda k: gaps[k])


def comparison_word(ratio: float, tolerance: float = 1.1) -> str:
    """"about as wide as" (within ``tolerance`` either way), "narrower than" or "wider than"."""
    if abs(np.log(ratio)) < np.log(tolerance):
        return "about as wide as"
    return "narrower than" if ratio < 1 else "wider than"


def direction_word(before: float, after: float) -> str:
    """"raises", "lowers" or "leaves" (a count moving from ``before`` to ``after``)."""
    if after > before:
        return "raises"
    return "lowers" if after < before else "leaves"


def size_word(ours: int | None, paper: int) -> str:
    """Our cohort against the paper's: "larger", "smaller", "the same size" or "of unknown size"."""
    if ours is None:
        return "of unknown size"
    if ours == paper:
        return "the same size"
    return "larger" if ours > paper else "smaller"


def size_sentence(ours: int | None, paper: int) -> str:
    """What the cohort sizes mean for comparing Table 1 (no final full stop)."""
    if ours is None:
        return "Our cohort's size is unknown here (chapter 3's results are missing)"
    if ours == paper:
        return ("Our cohort has the same size as the paper's (chapter 1), though not "
                "necessarily the same women")
    return (f"Our cohort is {size_word(ours, paper)} than the paper's (chapter 1), so counts "
            "differ by construction and the percentages are the fair comparison")


def width_verdict(paper: float, unweighted: float, design_based: float, n_ratio: float) -> str:
    """Which of our analyses the paper's interval widths resemble, after the sample size.

    Parameters
    ----------
    paper, unweighted, design_based : float
        Median widths of the log-OR intervals.
    n_ratio : float
        ``sqrt(our n / paper n)``: the factor by which the paper's widths
        should exceed ours from sample size alone.

    Returns
    -------
    str
        One sentence.
    """
    off_unw = abs(np.log(paper / unweighted / n_ratio))
    off_wtd = abs(np.log(paper / design_based / n_ratio))
    if off_unw < off_wtd:
        return ("The published widths are thus closer to what an unweighted analysis would "
                "give, a hint (no proof) that the design may not have entered the variance.")
    return "The published widths are thus closer to what a design-based analysis would give."


# --------------------------------------------------------------------------- verdicts


def significance_status(p_first: float, p_last: float, alpha: float) -> str:
    """Whether an association survives adjustment, for "... at 0.05" in a sentence.

    Returns "still significant" if ``p_last < alpha``, else "no longer
    significant" if the less adjusted ``p_first`` was, else "not significant".
    """
    if significant(p_last, alpha):
        return "still significant"
    return "no longer significant" if significant(p_first, alpha) else "not significant"


def significant_models(p_by_model: Mapping[str, float], alpha: float) -> str:
    """E.g. "In the paper, Q4 is significant at 0.05 in Model 1 and Model 2 and not in Model 3."."""
    sig = [m for m, p in p_by_model.items() if significant(p, alpha)]
    rest = [m for m in p_by_model if m not in sig]
    text = f"In the paper, Q4 is significant at {alpha:g} in {' and '.join(sig) or 'no model'}"
    return text + (f" and not in {' and '.join(rest)}" if rest else "") + "."


def adjustment_verdict(paper: Sequence[bool], ours: Sequence[bool],
                       models: Sequence[str] = ("Model 1", "Model 3")) -> str:
    """Compare which models find the cadmium association significant, paper and ours.

    Parameters
    ----------
    paper, ours : pair of bool
        Significant in the least and in the fully adjusted model.
    models : pair of str
        Their names.

    Returns
    -------
    str
        One or two sentences.
    """
    paper, ours = tuple(paper), tuple(ours)
    if paper == ours == (True, False):
        return ("Both analyses therefore say the same thing, which is less than the abstract "
                "says: the cadmium association is significant in the least adjusted model and "
                "not once smoking (the main source of cadmium in non-occupationally exposed "
                "adults) and BMI enter, consistent with the crude association being largely "
                "explained by smoking and body size.")
    if paper == ours:
        return ("Both analyses agree on which of the two models shows a significant "
                "cadmium association.")

    def status(pattern: tuple[bool, ...]) -> str:
        return " and ".join(f"{'significant' if s else 'not significant'} in {m}"
                            for s, m in zip(pattern, models, strict=True))

    return (f"The two analyses differ: the paper's association is {status(paper)}, "
            f"ours is {status(ours)}.")


def interaction_verdict(n_significant: int, n_tests: int, alpha: float = 0.05) -> str:
    """What our P for interaction say about the subgroup story (chapter 6)."""
    if n_significant == 0:
        return ("the differences between strata that the forest plot shows are within what "
                "sampling noise produces. A subgroup story needs a test of heterogeneity, and "
                "here that test does not support one.")
    return (f"with {n_tests} tests at the {100 * alpha:g}% level about {alpha * n_tests:.1f} "
            f"would reach P < {alpha:g} by chance, so a subgroup story needs more than these "
            "tests.")


def heterogeneity_verdict(n_significant: int, n_cells: int) -> str:
    """What our P for interaction mean for the paper's stratum-specific claims (chapter 8)."""
    if n_significant == 0:
        return ("Without evidence of heterogeneity, stratum-specific \"most pronounced\" effects "
                f"are what chance produces among {n_cells} subgroup odds ratios.")
    return ("Where our tests find heterogeneity, the stratum-specific effects deserve a closer "
            "look; elsewhere, stratum-specific \"most pronounced\" effects are what chance "
            f"produces among {n_cells} subgroup odds ratios.")


def weighting_verdict(design_based: int, unweighted: int, margin: int = 5) -> str:
    """Which fits agree more often with the paper's Table 2 (cells with verdict "agree")."""
    if unweighted - design_based >= margin:
        return ("Unweighted fits agree with the paper clearly more often than design-based "
                "ones, which suggests the paper's regressions were unweighted (its Methods "
                "mention weighting only in general terms).")
    if design_based - unweighted >= margin:
        return ("Design-based fits agree with the paper clearly more often than unweighted "
                "ones.")
    return f"Weighting changes the agreement by fewer than {margin} cells."


def se_change_phrase(percent: float) -> str:
    """How dropping rows changes a subgroup SE: "smaller: ...", "larger: ..." or "the same"."""
    if percent < 0:
        return "smaller: here dropping rows understates the uncertainty"
    if percent > 0:
        return "larger: here dropping rows overstates the uncertainty"
    return "the same"


# --------------------------------------------------------------------------- conventions

_TREND_TEXT = {
    "median": "the median of each quartile, entered as one continuous term "
              "(trend_score 'median')",
    "ln_median": "the natural log of each quartile's median, entered as one continuous term, "
                 "since the paper ln-transformed its exposures (trend_score 'ln_median')",
    "rank": "the quartile number 0-3, entered as one continuous term (trend_score 'rank')",
}
_DF_TEXT = {
    "r_survey": "the residual design degrees of freedom of R's svyglm (PSUs minus strata, "
                "plus one, minus the number of coefficients; design_df 'r_survey')",
    "psu_minus_strata": "the design degrees of freedom NCHS recommends for NHANES, PSUs minus "
                        "strata (design_df 'psu_minus_strata')",
}


def trend_score_text(trend_score: str) -> str:
    """The P-for-trend score in words, with the parameter that chooses it."""
    if trend_score not in _TREND_TEXT:
        raise ValueError(f"unknown trend_score {trend_score!r}; choose one of "
                         f"{', '.join(map(repr, _TREND_TEXT))}")
    return _TREND_TEXT[trend_score]


def cycle_text(cycle_term: bool) -> str:
    """Whether the models adjust for the NHANES cycle, with the parameter."""
    if cycle_term:
        return ("Every model is also adjusted for the NHANES cycle (2013-2014 or 2017-2020; "
                "cycle_term True), which the paper does not do.")
    return ("As in the paper, the models do not adjust for the NHANES cycle, although blood "
            "selenium and lead differ between the two cycles; cycle_term True adds it.")


def design_df_text(design_df: str) -> str:
    """The degrees of freedom of the design-based t tests in words, with the parameter."""
    if design_df not in _DF_TEXT:
        raise ValueError(f"unknown design_df {design_df!r}; choose one of "
                         f"{', '.join(map(repr, _DF_TEXT))}")
    return _DF_TEXT[design_df]


def scale_sentence(scale: str, chosen_by: str, ratios: Mapping[str, float]) -> str:
    """Which scale Table 3 is judged on and why, for the scorecard.

    Parameters
    ----------
    scale : {"unstandardised", "standardised"}
        The scale in use.
    chosen_by : {"evidence", "parameter"}
        Whether the evidence chose it or the reader did (``table3_scale``).
    ratios : mapping
        Scale -> median n-adjusted ratio of the paper's implied SE to ours
        (:func:`osteometals.paper.beta_scale.summary`), 1 on the right scale.
    """
    name = scale_name(scale)
    evidence = "; ".join(f"{scale_name(s)} {r:.2f}" for s, r in ratios.items())
    why = ("the scale the evidence of chapter 4 supports" if chosen_by == "evidence"
           else "as the table3_scale parameter asks")
    return (f"Table 3 is judged on the {name} scale, {why}: the standard errors the "
            "paper's (β, P) pairs imply, divided by ours and by the square root of the ratio "
            f"of sample sizes, have a median of {evidence} (1 on the right scale).")


def fit_kind(weighted: bool) -> str:
    """"design-based" or "unweighted"."""
    return "design-based" if weighted else "unweighted"


_STRATUM_WORDS = {"age_group": "aged", "bmi_group": "with BMI"}


def stratum_phrase(stratifier: str, stratum: str) -> str:
    """A subgroup in words: "women aged 50-60", "women with BMI 25-30"."""
    if stratifier not in _STRATUM_WORDS:
        raise ValueError(f"no wording for the stratifier {stratifier!r}")
    return f"women {_STRATUM_WORDS[stratifier]} {stratum}"


_SCALE_NAMES = {"unstandardised": "unstandardised (g/cm²)",
                "standardised": "standardised (SPSS \"Beta\")"}


def scale_name(scale: str) -> str:
    """A Table 3 scale in words: "standardised (SPSS "Beta")" or "unstandardised (g/cm²)"."""
    if scale not in _SCALE_NAMES:
        raise ValueError(f"unknown scale {scale!r}")
    return _SCALE_NAMES[scale]


def reproduction_summary(best_agree: int, n_cells: int) -> str:
    """Whether any rerun reproduces every Table 2 cell (the start of a sentence)."""
    if best_agree >= n_cells:
        return "At least one variant agrees with the paper in every Table 2 cell."
    return "No variant reproduces the paper's table:"
