"""External validation of the bone pipeline against NCHS's published prevalences.

The question is whether our reading of the DXA files (validity, spine
rule, T-score references, WHO categories, weights) reproduces what NCHS
itself publishes for the same surveys (:mod:`osteometals.nhanes.nchs_published`).
The population is therefore **not** the paper's cohort but the one NCHS
describes: every examined participant of one survey is in the design, and
the estimate is for a *domain* (women of an age range with valid DXA at the
site), as R's ``svyciprop(~y, subset(design, domain))``; rows outside the
domain are never dropped from the design.

Design: MEC examination weights of the survey (``WTMEC2YR`` for 2013-2014,
``WTMECPRP`` for 2017-March 2020; the DXA codebooks say "the NHANES
examination sample weights should be used"), strata ``SDMVSTRA`` and PSUs
``SDMVPSU``.

Prevalence and CI: an intercept-only design-based logistic regression
(:func:`osteometals.stats.survey.svyglm`) on the indicator, so the CI is the
Wald interval on the logit scale, back-transformed, on the design degrees of
freedom: exactly ``svyciprop(method = "logit")`` of R's survey package
(checked in ``tests/test_bone_validation.py``). The standard error reported
is that of the proportion itself, ``p (1 - p) se(logit p)``, which for an
intercept-only model equals the linearisation SE of ``svymean``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from scipy import special

from osteometals.nhanes import nchs_published, spine, tscore
from osteometals.stats.survey import svyglm

Loader = Callable[[str], pd.DataFrame]

#: Exam weight of each cycle's DXA sample.
EXAM_WEIGHT: dict[str, str] = {"H": "WTMEC2YR", "P": "WTMECPRP"}
#: Table-name pattern of each cycle.
PATTERN: dict[str, str] = {"H": "{}_H", "P": "P_{}"}

#: The femoral-neck reference NCHS uses (NHANES III, Looker 1998).
NCHS_NECK_REFERENCE = "looker1998"

#: Calibration gap between NHANES III's pencil-beam and today's fan-beam
#: scanners that NCHS could not rule out: femoral-neck BMD differences "small
#: enough (<=3%) to be attributable to use of different DXA systems" (Looker
#: et al., abstract of PMID 21625885, NHANES 2005-2008 against NHANES III).
CALIBRATION_GAP = 0.03

#: Era and scanner of each reference (for the sensitivity table): NHANES III
#: scanned on a pencil-beam Hologic QDR-1000, NHANES 2005-2014 on fan-beam
#: Hologic scanners; the Hologic spine values are the manufacturer's database.
REFERENCE_ERA: dict[str, str] = {
    "looker1998": "NHANES III 1988-1994, pencil-beam",
    "xue2021": "NHANES 2005-2014, fan-beam",
    "hologic": "manufacturer's database, unverified values",
}

#: Verdict thresholds, in published standard errors (see :func:`verdict`).
AGREE_SE = 1.0
CLOSE_SE = 2.0


def dxa_sample(cycle: str, spine_rule: str = "iscd_two_or_more",
               loader: Loader | None = None) -> pd.DataFrame:
    """Every participant of one survey with design variables and DXA BMD.

    Parameters
    ----------
    cycle : {"H", "P"}
    spine_rule : {"all_four", "iscd_two_or_more"}
        How the lumbar-spine BMD is formed (:mod:`osteometals.nhanes.spine`).
    loader : callable, optional
        ``loader(table) -> DataFrame``; default
        :func:`osteometals.nhanes.files.load_table`.

    Returns
    -------
    pandas.DataFrame
        One row per DEMO participant: ``seqn, sex`` (1 male, 2 female),
        ``age, weight`` (exam weight; 0 for the interviewed-only),
        ``stratum, psu, bmd_neck, bmd_spine, n_vertebrae``.
    """
    if cycle not in EXAM_WEIGHT:
        raise ValueError(f"unknown cycle {cycle!r}; allowed: {list(EXAM_WEIGHT)}")
    if loader is None:
        from osteometals.nhanes.files import load_table as loader
    pattern = PATTERN[cycle]
    demo = loader(pattern.format("DEMO"))
    fem = loader(pattern.format("DXXFEM"))[["SEQN", "DXXNKBMD"]]
    spn = loader(pattern.format("DXXSPN"))
    merged = demo.merge(fem, on="SEQN", how="left").merge(spn, on="SEQN", how="left")
    spine_bmd = spine.spine_bmd(merged, spine_rule)
    return pd.DataFrame({
        "seqn": merged["SEQN"].astype("int64"),
        "sex": merged["RIAGENDR"].astype(float),
        "age": merged["RIDAGEYR"].astype(float),
        "weight": merged[EXAM_WEIGHT[cycle]].fillna(0.0).astype(float),
        "stratum": merged["SDMVSTRA"].astype("int64"),
        "psu": merged["SDMVPSU"].astype("int64"),
        "bmd_neck": merged["DXXNKBMD"].astype(float),
        "bmd_spine": spine_bmd["bmd"].astype(float),
        "n_vertebrae": spine_bmd["n_vertebrae"].astype("int64"),
    })


def domain(sample: pd.DataFrame, sex: str = "female", age_min: int = 50,
           age_max: int | None = None, sites: Iterable[str] = ("neck", "spine")) -> pd.Series:
    """Boolean domain: sex, age range and a valid BMD at every site in ``sites``.

    ``sites=("neck", "spine")`` (default) is the sample of Looker et al.
    2017, whose n for women 50+ in 2013-2014 (1,029) is the number with both
    a femoral-neck BMD and a spine BMD under the ISCD rule.
    """
    code = {"female": 2.0, "male": 1.0}[sex]
    mask = (sample["sex"] == code) & (sample["age"] >= age_min) & (sample["weight"] > 0)
    if age_max is not None:
        mask &= sample["age"] <= age_max
    for site in sites:
        mask &= sample[f"bmd_{site}"].notna()
    return mask


def t_scores(sample: pd.DataFrame, neck: str = NCHS_NECK_REFERENCE,
             spine_reference: str = tscore.DEFAULT_REFERENCES["spine"],
             scale: float = 1.0) -> pd.DataFrame:
    """T-scores at the neck, the spine, and the lower of the two.

    Parameters
    ----------
    sample : pandas.DataFrame
        From :func:`dxa_sample`.
    neck, spine_reference : str
        Reference names (:data:`osteometals.nhanes.tscore.REFERENCES`).
    scale : float
        Multiply every BMD by this first (a calibration sensitivity, e.g.
        0.97 if today's fan-beam scanners read 3% higher than the NHANES III
        pencil-beam scanner the femoral reference was measured on).

    Returns
    -------
    pandas.DataFrame
        Columns ``neck, spine, neck_or_spine`` (the last missing unless both are
        present).
    """
    t_neck = tscore.get_reference("neck", neck).t(scale * sample["bmd_neck"])
    t_spine = tscore.get_reference("spine", spine_reference).t(scale * sample["bmd_spine"])
    both = pd.concat([t_neck, t_spine], axis=1).min(axis=1, skipna=False)
    return pd.DataFrame({"neck": t_neck, "spine": t_spine, "neck_or_spine": both})


def category(t: pd.Series, measure: str) -> pd.Series:
    """0/1 indicator of a WHO category (as :func:`osteometals.nhanes.tscore.bone_status`).

    ``"osteoporosis"``: T <= -2.5; ``"low_bone_mass"``: -2.5 < T <= -1.
    Missing T stays missing.
    """
    if measure == "osteoporosis":
        flag = t <= tscore.OSTEOPOROSIS_MAX
    elif measure == "low_bone_mass":
        flag = (t > tscore.OSTEOPOROSIS_MAX) & (t <= tscore.OSTEOPENIA_MAX)
    else:
        raise ValueError(f"unknown measure {measure!r}; allowed: osteoporosis, low_bone_mass")
    return flag.astype(float).where(t.notna())


def prevalence(sample: pd.DataFrame, indicator: pd.Series, in_domain: pd.Series,
               alpha: float = 0.05) -> dict[str, float]:
    """Design-based prevalence (%) of a 0/1 indicator in a domain, with its CI.

    Parameters
    ----------
    sample : pandas.DataFrame
        The whole design (``weight, stratum, psu``), one row per participant.
    indicator : pandas.Series
        0/1 (NaN allowed outside the domain), aligned with ``sample``.
    in_domain : pandas.Series
        Boolean domain, aligned with ``sample``.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    dict
        ``percent, se, ci_lower, ci_upper`` (all in %), ``n`` (domain members
        used) and ``df`` (design degrees of freedom).
    """
    mask = in_domain.astype(bool) & indicator.notna()
    if not mask.any():
        raise ValueError("the domain is empty")
    y = indicator.where(mask, 0.0).to_numpy(dtype=float)
    X = pd.DataFrame({"Intercept": np.ones(len(sample))}, index=sample.index)
    fit = svyglm((y, X), sample, "binomial", domain=mask.to_numpy())
    b, se_b = float(fit.params.iloc[0]), float(fit.bse.iloc[0])
    lo, hi = fit.conf_int(alpha).iloc[0]
    p = float(special.expit(b))
    return {"percent": 100 * p, "se": 100 * p * (1 - p) * se_b,
            "ci_lower": 100 * float(special.expit(lo)), "ci_upper": 100 * float(special.expit(hi)),
            "n": int(fit.nobs), "df": float(fit.df_resid)}


def verdict(difference: float, published_se: float | None, comparable: bool = True) -> str:
    """Judge our estimate against a published one.

    Our estimate and NCHS's come from the same respondents, so with the same
    definitions they would agree to rounding; a gap is a difference of
    definition, measured in the published SE: ``"agrees"`` within
    :data:`AGREE_SE` SE, ``"close"`` within :data:`CLOSE_SE`, else
    ``"differs"``. ``"not comparable"`` when the survey differs or no SE
    was published (then no threshold applies).
    """
    if not comparable:
        return "not comparable"
    if published_se is None or not np.isfinite(published_se):
        return "no published SE"
    z = abs(difference) / published_se
    return "agrees" if z <= AGREE_SE else "close" if z <= CLOSE_SE else "differs"


_SITE_NAME = {"neck": "Femoral neck", "spine": "Lumbar spine",
              "neck_or_spine": "Femoral neck or lumbar spine"}
_MEASURE_NAME = {"osteoporosis": "osteoporosis", "low_bone_mass": "low bone mass"}


def validation_table(
    spine_references: Iterable[str] = tuple(tscore.REFERENCES["spine"]),
    spine_rule: str = "iscd_two_or_more",
    loader: Loader | None = None,
) -> pd.DataFrame:
    """Our design-based estimate beside each NCHS estimate, with a verdict.

    Every estimate of :data:`~osteometals.nhanes.nchs_published.ESTIMATES`
    gets one row per spine reference where the spine is involved (NCHS's
    spine reference is not known). Estimates for a survey our files cannot
    isolate (2017-2018) are computed on the 2017-March 2020 files as context
    and judged ``"not comparable"``.

    Parameters
    ----------
    spine_references : iterable of str
        Spine references to try.
    spine_rule : str
        Spine validity rule (default: the ISCD rule, which reproduces the
        sample size of Looker et al. 2017).
    loader : callable, optional
        Table loader (tests).

    Returns
    -------
    pandas.DataFrame
        Columns ``id, site, measure, population, survey, our_survey,
        neck_reference, spine_reference, n, percent, se, ci_lower, ci_upper,
        nchs_percent, nchs_se, nchs_n, adjustment, difference, verdict,
        source``.
    """
    samples: dict[str, pd.DataFrame] = {}
    rows = []
    for est in nchs_published.ESTIMATES:
        cycle = est.cycle or "P"
        if cycle not in samples:
            samples[cycle] = dxa_sample(cycle, spine_rule, loader)
        sample = samples[cycle]
        dom = domain(sample, est.sex, est.age_min, est.age_max)
        refs = tuple(spine_references) if est.site != "neck" else (None,)
        for ref in refs:
            t = t_scores(sample, spine_reference=ref or tscore.DEFAULT_REFERENCES["spine"])
            ours = prevalence(sample, category(t[est.site], est.measure), dom)
            comparable = est.cycle is not None
            diff = ours["percent"] - est.percent
            rows.append({
                "id": est.id, "site": _SITE_NAME[est.site],
                "measure": _MEASURE_NAME[est.measure], "population": est.population,
                "survey": est.survey,
                "our_survey": "2013-2014" if cycle == "H" else "2017-March 2020",
                "neck_reference": NCHS_NECK_REFERENCE if est.site != "spine" else "",
                "spine_reference": ref or "", **ours,
                "nchs_percent": est.percent, "nchs_se": est.se, "nchs_n": est.n,
                "adjustment": est.adjustment, "difference": diff,
                "verdict": verdict(diff, est.se, comparable), "source": est.source,
            })
    return pd.DataFrame(rows)


def sample_sizes(loader: Loader | None = None) -> pd.DataFrame:
    """Women and men 50+ of 2013-2014 by the DXA sites required, beside Looker's n.

    Returns
    -------
    pandas.DataFrame
        Columns ``sex, sites, spine_rule, n``: valid femoral neck; neck and
        spine under each spine rule.
    """
    rows = []
    for rule in spine.SPINE_RULES:
        sample = dxa_sample("H", rule, loader)
        for sex in ("female", "male"):
            for sites in (("neck",), ("neck", "spine")):
                if sites == ("neck",) and rule != spine.SPINE_RULES[0]:
                    continue
                n = int(domain(sample, sex, 50, None, sites).sum())
                rows.append({"sex": sex, "sites": " and ".join(sites),
                             "spine_rule": rule if "spine" in sites else "", "n": n})
    return pd.DataFrame(rows)


def reference_sensitivity(cycle: str = "H", loader: Loader | None = None) -> pd.DataFrame:
    """Osteoporosis prevalence in women 50+ under each reference and calibration choice.

    Rows: the femoral neck against each neck reference, and with BMD scaled
    by ``1 -/+`` :data:`CALIBRATION_GAP` against NHANES III (the calibration
    gap between the pencil-beam scanner of NHANES III and today's fan-beam
    scanners that Looker et al. could not rule out); the lumbar spine
    against each spine reference, under each spine rule.

    Returns
    -------
    pandas.DataFrame
        Columns ``site, choice, n, percent, ci_lower, ci_upper``.
    """
    rows = []
    iscd = dxa_sample(cycle, "iscd_two_or_more", loader)
    dom = domain(iscd, sites=("neck", "spine"))
    for name in tscore.REFERENCES["neck"]:
        t = t_scores(iscd, neck=name)["neck"]
        rows.append({"site": "Femoral neck", "choice": f"{name} ({REFERENCE_ERA[name]})",
                     **prevalence(iscd, category(t, "osteoporosis"), dom)})
    for scale in (1 - CALIBRATION_GAP, 1 + CALIBRATION_GAP):
        t = t_scores(iscd, scale=scale)["neck"]
        rows.append({"site": "Femoral neck",
                     "choice": f"{NCHS_NECK_REFERENCE}, BMD x {scale:g}",
                     **prevalence(iscd, category(t, "osteoporosis"), dom)})
    for rule in spine.SPINE_RULES:
        sample = iscd if rule == "iscd_two_or_more" else dxa_sample(cycle, rule, loader)
        rule_dom = domain(sample, sites=("neck", "spine"))
        for name in tscore.REFERENCES["spine"]:
            t = t_scores(sample, spine_reference=name)["spine"]
            rows.append({"site": "Lumbar spine",
                         "choice": f"{name} ({REFERENCE_ERA[name]}), spine rule {rule}",
                         **prevalence(sample, category(t, "osteoporosis"), rule_dom)})
    cols = ["site", "choice", "n", "percent", "ci_lower", "ci_upper"]
    return pd.DataFrame(rows)[cols]


# ------------------------------------------------------------------ sentences


def sample_sentence(sizes: pd.DataFrame) -> str:
    """Whether our sample definition reproduces Looker 2017's printed n, per sex.

    Parameters
    ----------
    sizes : pandas.DataFrame
        :func:`sample_sizes`.

    Returns
    -------
    str
        The numbers of women and men 50+ (2013-2014) with a valid femoral
        neck and a spine BMD under each rule, against NCHS's n, and what follows.
    """
    both = sizes[sizes["sites"] == "neck and spine"].set_index(["sex", "spine_rule"])["n"]
    parts, exact = [], []
    for sex, who in (("female", "women"), ("male", "men")):
        printed = nchs_published.SAMPLE_SIZES[("looker2017", sex, "2013-2014")]
        iscd, four = int(both[(sex, "iscd_two_or_more")]), int(both[(sex, "all_four")])
        exact.append(iscd == printed)
        parts.append(f"{iscd:,} {who} under the ISCD rule and {four:,} with the released "
                     f"total, against NCHS's {printed:,}")
    text = ("With a valid femoral neck and a lumbar-spine BMD, aged 50 or older, we count "
            + "; ".join(parts) + ". ")
    if all(exact):
        return text + ("The ISCD counts equal NCHS's for both sexes: NCHS's sample is "
                       "that of the ISCD rule (a spine from at least two valid vertebrae), "
                       "not of the released total, which needs all four.")
    return text + ("The counts do not match exactly, so NCHS's sample definition is not "
                   "fully reproduced.")


def validation_sentences(table: pd.DataFrame) -> dict[str, str]:
    """Sentences on the 2013-2014 verdicts of :func:`validation_table`.

    Returns
    -------
    dict
        ``"neck"``: the femoral-neck comparison and what it says about the
        pipeline; ``"spine"``: each spine reference's comparison and which
        fits NCHS best (with the caveat that a fit is indirect evidence).
    """
    h = table[table["our_survey"] == "2013-2014"]

    def cell(row: pd.Series) -> str:
        return (f"{row['measure']} {row['percent']:.1f}% against NCHS's "
                f"{row['nchs_percent']:.1f}% ({row['verdict']})")

    neck = h[h["site"] == _SITE_NAME["neck"]]
    neck_ok = (neck["verdict"] == "agrees").all()
    out = {"neck": "At the femoral neck, " + " and ".join(cell(r) for _, r in neck.iterrows())
           + (": the femoral part of the pipeline (files, validity, weights and design, "
              "reference, WHO cut-offs) reproduces NCHS." if neck_ok else
              ": the femoral part of the pipeline does not fully reproduce NCHS.")}
    spine_rows = h[h["site"] == _SITE_NAME["spine"]].copy()
    spine_rows["z"] = (spine_rows["difference"] / spine_rows["nchs_se"]).abs()
    by_ref = spine_rows.groupby("spine_reference")["z"].max().sort_values()
    parts = []
    for ref in by_ref.index:
        rows = spine_rows[spine_rows["spine_reference"] == ref]
        parts.append(f"against the {ref} reference, " + " and ".join(
            cell(r) for _, r in rows.iterrows()))
    best = by_ref.index[0]
    verified = tscore.get_reference("spine", best).verified
    out["spine"] = ("At the lumbar spine, " + "; ".join(parts) + f". The {best} reference "
                    "fits NCHS best, which is indirect evidence of the reference NCHS used, "
                    "not proof" + ("." if verified else
                                   ", and its values are themselves unverified."))
    return out
