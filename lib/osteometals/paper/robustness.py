"""The specification curves of the robustness chapter: plan, run, summarise.

Three steps, each a function:

:func:`plan`
    Draws the specifications from :data:`osteometals.paper.specs.SPACE`
    (the full factorial, or a seeded random sample of ``max_specs`` when it
    is larger), and gives every claim of :mod:`osteometals.paper.claims` the
    specifications it is defined under, with the dimensions it ignores set
    to n/a, so that no two of a claim's specifications can give the same
    number. One :class:`Task` per claim and specification.
:func:`run`
    Builds every cohort the tasks need once (``get_cohort``'s disk cache;
    and, for the multiple-imputation level, ``m`` imputed copies, cached
    beside it), then computes the tasks through
    :func:`osteometals.stats.tasks.run_tasks`: a joblib process pool by
    default, a Dask cluster with ``scheduler=``. Each result is cached under
    its task's key (the claim, its specification, the settings, a code
    version and the fingerprint of the NHANES files), so a rerun computes
    only new cells and an interrupted run resumes.
:func:`claim_summary`
    Per claim: the number of specifications, the share with the paper's sign
    and the share significant in that direction, and the dimension that
    moves the estimate most; as a tidy frame and as sentences for the text.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from osteometals.nhanes import cohort as co
from osteometals.nhanes.variables import METAL_KEYS, METALS
from osteometals.paper import specs
from osteometals.paper.claims import (
    CLAIMS,
    DEFAULT_SETTINGS,
    Claim,
    ClaimSettings,
    Prepared,
    get_claim,
)
from osteometals.stats import mi, speccurve
from osteometals.stats.speccurve import NA, SpaceError
from osteometals.stats.tasks import ResultCache, connect, run_tasks

__all__ = ["CODE_VERSION", "Task", "cache_root", "claim_summary", "finish", "plan",
           "prepare", "run", "summary_sentences", "tasks_frame"]

#: Bump when a claim's computation changes: every cached result is then recomputed.
CODE_VERSION = "robustness-1"

#: Cohort columns imputed (when missing) or used as regressors in the imputation model.
MI_COLUMNS: tuple[str, ...] = ("age", "bmi", "race", "education", "marital", "smoking",
                               "hypertension", "diabetes", "parent_op", "fracture")

#: Fields of a task's result, in the order of the results frame.
RESULT_FIELDS: tuple[str, ...] = ("b", "se", "df", "n", "m", "weight", "top", "error")

#: Errors that mean "this specification has no estimate" (recorded, not raised).
_NO_ESTIMATE = (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)


def cache_root() -> Path:
    """Folder of the robustness caches: ``robustness/`` beside the NHANES download cache."""
    from osteometals.nhanes import files

    return Path(files.cache_dir()).parent / "robustness"


@functools.cache
def data_fingerprint() -> str:
    """Hash of the study's NHANES files (their sha256) and the cohort schema version.

    Part of every result key, so new data or new cohort logic (a bump of
    :data:`osteometals.nhanes.cohort.CACHE_VERSION`) recomputes everything.
    """
    from osteometals.nhanes import files, registry

    shas = {t.name: files.locate_table(t.name).sha256 for t in registry.study_tables()}
    payload = json.dumps({"files": shas, "cohort": co.CACHE_VERSION, "pandas": pd.__version__},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Task:
    """One claim under one specification.

    Attributes
    ----------
    claim : str
        Claim name.
    spec : tuple of (str, str)
        The specification's dimensions and levels (n/a where the claim
        ignores a dimension), in the order of the space.
    settings : ClaimSettings
    fingerprint : str
        :func:`data_fingerprint`.
    """

    claim: str
    spec: tuple[tuple[str, str], ...]
    settings: ClaimSettings = DEFAULT_SETTINGS
    fingerprint: str = ""

    @property
    def spec_dict(self) -> dict[str, str]:
        """The specification as a dict."""
        return dict(self.spec)

    @property
    def key(self) -> str:
        """Cache key: the task's fields plus :data:`CODE_VERSION`."""
        fields = {"claim": self.claim, **self.spec_dict, **self.settings.as_dict(),
                  "data": self.fingerprint}
        return speccurve.spec_key(fields, CODE_VERSION)

    @property
    def cohort(self) -> tuple[tuple[str, str], ...]:
        """The cohort part of the specification (what :func:`prepare` needs).

        A dimension at n/a takes its default level: it either cannot change
        the cohort (a spine reference when the spine is not required) or the
        claim ignores it, so claims share one cohort build.
        """
        return tuple((k, specs.SPACE[k].default if v == NA else v)
                     for k, v in specs.cohort_spec(self.spec_dict).items())


# --------------------------------------------------------------------------- plan


def plan(
    claims: Sequence[str] | None = None,
    selection: Mapping[str, Iterable[str]] | None = None,
    max_specs: int = 5000,
    seed: int = 2025,
    settings: ClaimSettings = DEFAULT_SETTINGS,
    fingerprint: str = "",
) -> list[Task]:
    """Every claim's tasks for a sample (or the whole) of the specification space.

    Parameters
    ----------
    claims : sequence of str, optional
        Claim names (default: all of :data:`~osteometals.paper.claims.CLAIMS`).
    selection : mapping, optional
        Levels to keep per dimension (validated; see
        :meth:`osteometals.stats.speccurve.Space.restrict`).
    max_specs : int
        Largest number of specifications per claim: a claim whose space
        (:func:`claim_space`) is larger gets a simple random sample of it,
        without replacement, drawn with ``numpy.random.default_rng([seed,
        i])`` (``i`` the claim's position in ``CLAIMS``), in factorial order.
    seed : int
        Seed of the samples.
    settings : ClaimSettings
        Imputations, WQS bootstraps and seed, part of every key.
    fingerprint : str
        Data fingerprint, part of every key.

    Returns
    -------
    list of Task
        Claims in order; within a claim, distinct specifications in the
        order drawn.

    Raises
    ------
    SpaceError
        An unknown claim, dimension or level, before any work.
    """
    names = list(claims) if claims else list(CLAIMS)
    for n in names:
        if n not in CLAIMS:
            raise SpaceError(f"unknown claim {n!r}; valid claims: {', '.join(CLAIMS)}")
    space = specs.SPACE.restrict(selection or {})
    if max_specs < 1:
        raise SpaceError(f"max_specs must be at least 1, got {max_specs}")
    every = space.factorial()
    tasks: list[Task] = []
    for n in names:
        own = claim_space(CLAIMS[n], every)
        if len(own) > max_specs:
            rng = np.random.default_rng([seed, list(CLAIMS).index(n)])
            own = [own[i] for i in np.sort(rng.choice(len(own), max_specs, replace=False))]
        tasks += [Task(n, item, settings, fingerprint) for item in own]
    return tasks


def claim_space(claim: Claim, every: Iterable[Mapping[str, str]]
                ) -> list[tuple[tuple[str, str], ...]]:
    """A claim's distinct specifications: those it is defined under, ignored dimensions n/a."""
    seen: dict[tuple, None] = {}
    for spec in every:
        if claim.supports(spec):
            seen.setdefault(tuple(claim.project(spec).items()))
    return list(seen)


def tasks_frame(tasks: Sequence[Task]) -> pd.DataFrame:
    """The tasks as a frame: ``claim``, ``key`` and one column per dimension."""
    return pd.DataFrame([{"claim": t.claim, "key": t.key, **t.spec_dict} for t in tasks])


# --------------------------------------------------------------------------- cohorts


def _imputation_path(cohort: tuple[tuple[str, str], ...], settings: ClaimSettings) -> Path:
    payload = json.dumps({"cohort": dict(cohort), "m": settings.mi_m,
                          "iterations": settings.mi_iterations, "seed": settings.seed,
                          "data": data_fingerprint(), "version": CODE_VERSION},
                         sort_keys=True)
    key = hashlib.sha256(payload.encode()).hexdigest()[:24]
    return cache_root() / "imputed" / f"{key}.pkl"


def impute_cohort(data: pd.DataFrame, settings: ClaimSettings) -> list[pd.DataFrame]:
    """``settings.mi_m`` completed copies of a cohort with missing covariates.

    The chained-equations model (:func:`osteometals.stats.mi.mice`) holds
    every covariate (age and BMI as numbers; BMI group recomputed from the
    imputed BMI), and as complete regressors the outcomes (osteoporosis,
    total-femur and femoral-neck BMD), the five ln metals, the ln survey
    weight and the cycle, so that the imputations respect the associations
    the claims estimate and the design.
    """
    d = data.copy()
    helpers = []
    for m in METAL_KEYS:
        d[f"_ln_{m}"] = np.log(d[m].astype(float))
        helpers.append(f"_ln_{m}")
    d["_ln_weight"] = np.log(d["weight"].astype(float))
    d["_op"] = d["op"].astype(float)
    helpers += ["_ln_weight", "_op", "bmd_femur", "bmd_neck"]
    if d["cycle"].nunique() > 1:
        d["_cycle"] = pd.Categorical(d["cycle"])
        helpers.append("_cycle")
    imputed = mi.mice(d, MI_COLUMNS, helpers, m=settings.mi_m,
                      iterations=settings.mi_iterations, seed=settings.seed)
    out = []
    for copy in imputed:
        copy = copy.drop(columns=[c for c in copy.columns if c.startswith("_")])
        copy["bmi_group"] = co.bmi_group(copy["bmi"])
        out.append(copy)
    return out


@functools.lru_cache(maxsize=16)
def _prepared(cohort: tuple[tuple[str, str], ...], settings: ClaimSettings) -> Prepared:
    spec = dict(cohort)
    data = co.get_cohort(**specs.cohort_options(spec)).data
    if spec.get("missing_data") != "mi":
        return Prepared(data)
    path = _imputation_path(cohort, settings)
    try:
        with path.open("rb") as fh:
            return Prepared(data, pickle.load(fh))
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    imputations = impute_cohort(data, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(imputations, fh)
    os.replace(tmp, path)
    return Prepared(data, imputations)


def prepare(item: tuple[tuple[tuple[str, str], ...], ClaimSettings]) -> dict[str, Any]:
    """Build (or read) one cohort and its imputations; a task of :func:`run`'s first phase."""
    cohort, settings = item
    p = _prepared(cohort, settings)
    return {"n": int(len(p.data)), "n_op": int(p.data["op"].sum()),
            "m": len(p.imputations or [])}


def evaluate(task: Task) -> dict[str, Any]:
    """Compute one task: the claim under its specification (a task of the second phase).

    Returns
    -------
    dict
        ``b, se, df, n, m`` (and ``weight, top`` for WQS), ``error`` empty; or
        missing estimates and the ``error`` when the specification has none
        (e.g. a quantile group without a case).
    """
    claim = get_claim(task.claim)
    prepared = _prepared(task.cohort, task.settings)  # data errors propagate
    try:
        out = claim.compute(prepared, task.spec_dict, task.settings)
        out["error"] = ""
    except _NO_ESTIMATE as exc:
        out = {"b": np.nan, "se": np.nan, "df": np.nan, "n": 0, "m": 0,
               "error": f"{type(exc).__name__}: {exc}"}
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in out.items()}


# --------------------------------------------------------------------------- run


def run(
    claims: Sequence[str] | None = None,
    selection: Mapping[str, Iterable[str]] | None = None,
    max_specs: int = 5000,
    seed: int = 2025,
    settings: ClaimSettings = DEFAULT_SETTINGS,
    scheduler: str | None = None,
    client: Any = None,
    n_jobs: int = 2,
    progress: bool = True,
    cache: ResultCache | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Plan and compute the specification curves.

    Parameters
    ----------
    claims, selection, max_specs, seed, settings
        As :func:`plan`.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler: the same tasks run there.
        The workers need this package and the NHANES files (the mirror or
        the cache); each builds the cohorts it lacks into its own cache.
    client : dask.distributed.Client, optional
        An open client instead of ``scheduler``.
    n_jobs : int
        Local processes (joblib) when no scheduler is given.
    progress : bool
        Progress bars.
    cache : ResultCache, optional
        Default: ``cache_root()/"results"``.
    alpha : float
        For the p-values and intervals of :func:`finish`.

    Returns
    -------
    pandas.DataFrame
        One row per task, see :func:`finish`.

    Raises
    ------
    SpaceError
        Bad claims or levels, before any work.
    SchedulerUnreachable
        If ``scheduler`` cannot be reached, before any work.
    """
    tasks = plan(claims, selection, max_specs, seed, settings, data_fingerprint())
    cache = cache if cache is not None else ResultCache(cache_root() / "results")
    own = None
    if scheduler and client is None:
        own = client = connect(scheduler)
    try:
        todo = [t for t in tasks if t.key not in cache]
        cohorts = {speccurve.spec_key(dict(t.cohort), CODE_VERSION): (t.cohort, t.settings)
                   for t in todo}
        run_tasks(prepare, cohorts, client=client, n_jobs=n_jobs,
                           progress=progress, desc="cohorts")
        # grouped by cohort, so that a worker mostly reuses the cohort it holds
        by_cohort = sorted(tasks, key=lambda t: t.cohort)
        results = run_tasks(evaluate, {t.key: t for t in by_cohort}, cache=cache,
                                     client=client, n_jobs=n_jobs, progress=progress,
                                     desc="specifications")
    finally:
        if own is not None:
            own.close()
    frame = tasks_frame(tasks)
    values = pd.DataFrame([results[k] for k in frame["key"]], columns=list(RESULT_FIELDS))
    return finish(pd.concat([frame, values], axis=1), alpha)


def finish(frame: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add p-values, intervals and the reporting-scale estimate to raw task results.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``claim``, the dimensions, ``b``, ``se``, ``df``.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        Adds ``p`` (t on ``df``, normal when infinite), ``b_lower``,
        ``b_upper`` and ``estimate``, ``ci_lower``, ``ci_upper`` on the
        claim's reporting scale (odds ratios exponentiated).
    """
    out = frame.copy()
    b, se = out["b"].astype(float), out["se"].astype(float)
    df = out["df"].astype(float).where(lambda s: s > 0)
    crit = np.where(np.isinf(df), stats.norm.ppf(1 - alpha / 2),
                    stats.t.ppf(1 - alpha / 2, df.where(np.isfinite(df), 1)))
    tval = (b / se).abs()
    out["p"] = np.where(np.isinf(df), 2 * stats.norm.sf(tval),
                        2 * stats.t.sf(tval, df.where(np.isfinite(df), 1)))
    out["b_lower"], out["b_upper"] = b - crit * se, b + crit * se
    ratio = out["claim"].map(lambda c: CLAIMS[c].scale == "ratio").astype(bool)
    for src, dst in (("b", "estimate"), ("b_lower", "ci_lower"), ("b_upper", "ci_upper")):
        out[dst] = np.where(ratio, np.exp(out[src]), out[src])
    return out


# --------------------------------------------------------------------------- summary


def varying(frame: pd.DataFrame) -> list[str]:
    """The dimensions that take more than one level (n/a aside) in ``frame``."""
    return [d for d in specs.SPACE.names
            if d in frame.columns and frame.loc[frame[d] != NA, d].nunique() > 1]


def _scale_words(claim: Claim) -> tuple[str, str]:
    """("an odds ratio", "above 1") and the like, in the paper's direction."""
    above = claim.paper.direction > 0
    if claim.scale == "ratio":
        return "an odds ratio", ("above 1" if above else "below 1")
    noun = "a beta" if claim.scale == "beta" else "a t statistic"
    return noun, ("above 0" if above else "below 0")


def phrase(label: str) -> str:
    """A label inside a sentence: first letter lower case, unless it starts an acronym."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _pct(x: float | None) -> str:
    return "no" if x is None or not np.isfinite(x) else f"{100 * x:.0f}%"


def claim_summary(results: pd.DataFrame, alpha: float = 0.05
                  ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per claim: how many specifications, how many agree with the paper, what matters most.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`run` (or :func:`finish`).
    alpha : float
        Significance level.

    Returns
    -------
    summary : pandas.DataFrame
        One row per claim: ``claim, estimand, n_specs, n_failed, direction,
        paper_value, paper_source, share_sign, share_significant,
        share_opposite_significant, median_estimate, q25_estimate,
        q75_estimate, top_dimension, top_share, share_top_metal`` (WQS: the
        share of specifications whose largest weight is the claim's metal).
    sentences : dict
        Claim name -> one sentence stating those numbers, for the text.
    """
    rows, sentences = [], {}
    for name in dict.fromkeys(results["claim"]):
        claim = CLAIMS[name]
        f = results[results["claim"] == name]
        ok = f[f["error"].fillna("") == ""]
        cs = speccurve.curve_summary(ok, claim.paper.direction, alpha=alpha)
        imp, _ = speccurve.dimension_importance(ok, varying(ok))
        top = imp.iloc[0] if len(imp) else None
        back = (np.exp if claim.scale == "ratio" else (lambda v: v))
        share_top = (float((ok["top"] == claim.metal).mean())
                     if claim.kind == "wqs" and len(ok) else np.nan)
        row = {"claim": name, "estimand": claim.estimand, "n_specs": len(f),
               "n_failed": int(len(f) - len(ok)), "direction": claim.paper.direction,
               "paper_value": claim.paper.value, "paper_source": claim.paper.source,
               "share_sign": cs["share_sign"], "share_significant": cs["share_significant"],
               "share_opposite_significant": cs["share_opposite_significant"],
               "median_estimate": back(cs["median_b"]), "q25_estimate": back(cs["q25_b"]),
               "q75_estimate": back(cs["q75_b"]),
               "top_dimension": None if top is None else top["dimension"],
               "top_share": np.nan if top is None else float(top["share_variance"]),
               "share_top_metal": share_top}
        rows.append(row)
        sentences[name] = _sentence(claim, row)
    return pd.DataFrame(rows), sentences


def summary_sentences(summary: pd.DataFrame) -> dict[str, str]:
    """The sentences of :func:`claim_summary` from its frame (e.g. read back from its CSV).

    For the chapters that quote the robustness results: read
    ``claim_summary.csv`` of chapter 7 and glue these sentences.
    """
    return {r["claim"]: _sentence(CLAIMS[r["claim"]], r)
            for r in summary.replace({np.nan: None}).to_dict("records")}


def _sentence(claim: Claim, row: Mapping[str, Any]) -> str:
    scale, side = _scale_words(claim)
    label = (phrase(specs.SPACE[row["top_dimension"]].label)
             if isinstance(row["top_dimension"], str) and row["top_dimension"] else None)
    text = (f"{claim.estimand[0].upper()}{claim.estimand[1:]}: of {row['n_specs']:,} "
            f"specifications, {_pct(row['share_sign'])} give {scale} {side}, the "
            f"paper's direction, and {_pct(row['share_significant'])} are significant in "
            f"that direction")
    if (row["share_opposite_significant"] or 0) > 0:
        text += f" ({_pct(row['share_opposite_significant'])} significant the other way)"
    if claim.kind == "wqs" and row["share_top_metal"] is not None and np.isfinite(
            row["share_top_metal"]):
        symbol = {m.key: m.symbol for m in METALS}[claim.metal]
        text += f"; {symbol} has the largest weight in {_pct(row['share_top_metal'])} of them"
    if label:
        text += (f"; the choice that moves the estimate most is the {label} "
                 f"({_pct(row['top_share'])} of the variance across specifications)")
    return text + "."


#: Source notes of the chapter's tables.
SOURCE_CLAIMS = ("Source: Peng et al. (2025), Front. Environ. Health 4:1468404 (values and "
                 "directions, through osteometals.paper.published); the claims as defined in "
                 "osteometals.paper.claims.")
SOURCE_SPACE = "Source: the specification space declared in osteometals.paper.specs."


def importance_display(results: pd.DataFrame) -> pd.DataFrame:
    """:func:`importance_table` as percentages, claims as rows (for the chapter)."""
    table = importance_table(results).T
    shown = table.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else _pct(v)))
    shown.index = [CLAIMS[c].estimand for c in table.index]
    shown.index.name = "claim"
    return shown


def importance_table(results: pd.DataFrame) -> pd.DataFrame:
    """Share of variance of ``b`` explained by each dimension, one column per claim."""
    parts = []
    for name in dict.fromkeys(results["claim"]):
        ok = results[(results["claim"] == name) & (results["error"].fillna("") == "")]
        imp, _ = speccurve.dimension_importance(ok, varying(ok))
        parts.append(imp.set_index("dimension")["share_variance"].rename(name))
    table = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    labels = {d.name: d.label for d in specs.SPACE.dimensions}
    table.index = [labels.get(i, i) for i in table.index]
    return table


def median_by_level(results: pd.DataFrame, claim: str) -> pd.DataFrame:
    """Median estimate (reporting scale) of one claim by level of each varying dimension.

    Returns
    -------
    pandas.DataFrame
        ``choice`` (the dimension's label), ``level``, ``n``, ``median``,
        ``q25``, ``q75``.
    """
    ok = results[(results["claim"] == claim) & (results["error"].fillna("") == "")]
    _, by_level = speccurve.dimension_importance(ok, varying(ok))
    if CLAIMS[claim].scale == "ratio":
        for c in ("median", "q25", "q75"):
            by_level[c] = np.exp(by_level[c])
    labels = {d.name: d.label for d in specs.SPACE.dimensions}
    by_level.insert(0, "choice", by_level.pop("dimension").map(labels))
    return by_level


def unavailable_levels() -> pd.DataFrame:
    """Declared levels not computed yet: ``dimension, label, level, missing``, and
    ``text``, e.g. ``"valid lumbar spine: iscd_two_or_more"``."""
    t = specs.SPACE.table()
    out = t.loc[~t["available"], ["dimension", "label", "level", "missing"]].reset_index(
        drop=True)
    out["text"] = [f"{phrase(a)}: {b}" for a, b in zip(out["label"], out["level"], strict=True)]
    return out


# --------------------------------------------------------------------------- chapter tables


def claims_table() -> pd.DataFrame:
    """The claims as the chapter lists them: name, estimand, the paper's finding and source."""
    rows = []
    for c in CLAIMS.values():
        scale, side = _scale_words(c)
        value = "none printed" if c.paper.value is None else f"{c.paper.value:g}"
        rows.append({"claim": c.name, "estimand": c.estimand,
                     "paper's direction": f"{scale.split(' ', 1)[1]} {side}",
                     "paper's value": value, "source": c.paper.source})
    return pd.DataFrame(rows)


def space_table(selection: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """The declared space, one row per level, with its reason and whether it is computed."""
    t = specs.SPACE.restrict(selection or {}).table()
    status = np.where(~t["available"], "not yet: " + t["missing"],
                      np.where(t["selected"], "computed", "left out by the parameters"))
    return pd.DataFrame({"group": t["group"], "choice": t["label"], "level": t["level"],
                         "why it is defensible": t["why"], "status": status})


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`claim_summary`'s frame formatted for the chapter."""
    labels = {d.name: d.label for d in specs.SPACE.dimensions}

    def num(v: float) -> str:
        return "" if v is None or not np.isfinite(v) else f"{v:.3g}"

    out = pd.DataFrame({
        "claim": summary["estimand"],
        "specifications": summary["n_specs"],
        "paper's sign": summary["share_sign"].map(_pct),
        "significant, paper's sign": summary["share_significant"].map(_pct),
        "significant, other sign": summary["share_opposite_significant"].map(_pct),
        "median (IQR)": [f"{num(m)} ({num(a)} to {num(b)})" for m, a, b in zip(
            summary["median_estimate"], summary["q25_estimate"], summary["q75_estimate"],
            strict=True)],
        "paper": summary["paper_value"].map(lambda v: "none" if v is None or v != v
                                            else f"{v:g}"),
        "moves it most": [f"{labels.get(d, d)} ({_pct(s)})" if d else "" for d, s in zip(
            summary["top_dimension"], summary["top_share"], strict=True)],
    })
    return out
