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

__all__ = ["CODE_VERSION", "QUOTED", "SUMMARY_FILE", "Task", "cache_root", "claim_summary",
           "finish", "plan", "prepare", "quote", "read_summary", "run", "summary_sentences",
           "tasks_frame"]

#: Bump when a claim's computation changes: every cached result is then recomputed.
CODE_VERSION = "robustness-4"

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
    cohort_levels : tuple of (str, str), optional
        The cohort to compute on, when the claim ignores some cohort
        dimensions and the run has only sampled cohorts: any cohort that
        agrees with ``spec`` on the others gives the same result, so this is
        not part of the key.
    """

    claim: str
    spec: tuple[tuple[str, str], ...]
    settings: ClaimSettings = DEFAULT_SETTINGS
    fingerprint: str = ""
    cohort_levels: tuple[tuple[str, str], ...] | None = None

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
        if self.cohort_levels is not None:
            return self.cohort_levels
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
    max_cohorts: int | None = None,
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
    max_cohorts : int, optional
        Two-stage sampling, for runs that cannot afford many cohorts (each
        costs a build from the raw files, and an imputation at the
        multiple-imputation level): first a simple random sample of
        ``max_cohorts`` of the distinct cohort specifications (seed
        ``[seed, 2**32 - 1]``), shared by every claim; then ``max_specs`` per claim
        among the specifications on those cohorts. None: every cohort.

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
    if max_cohorts is not None:
        every = _on_sampled_cohorts(every, max_cohorts, seed)
    sampled = {tuple((k, s[k]) for k in specs.COHORT_DIMENSIONS) for s in every}
    tasks: list[Task] = []
    for n in names:
        own = claim_space(CLAIMS[n], every)
        if len(own) > max_specs:
            rng = np.random.default_rng([seed, list(CLAIMS).index(n)])
            own = [own[i] for i in np.sort(rng.choice(len(own), max_specs, replace=False))]
        for item in own:
            task = Task(n, item, settings, fingerprint)
            if max_cohorts is not None and task.cohort not in sampled:
                task = Task(n, item, settings, fingerprint, _stand_in(task, sampled))
            tasks.append(task)
    return tasks


def _stand_in(task: Task, sampled: set[tuple]) -> tuple[tuple[str, str], ...]:
    """A sampled cohort agreeing with ``task``'s specification on every cohort dimension
    the claim does not ignore (it gives the same result)."""
    fixed = {k: v for k, v in specs.cohort_spec(task.spec_dict).items() if v != NA}
    return min(c for c in sampled if all(dict(c)[k] == v for k, v in fixed.items()))


def _cohort_of(spec: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(spec[k] for k in specs.COHORT_DIMENSIONS if k in spec)


def _on_sampled_cohorts(every: list[dict[str, str]], k: int, seed: int) -> list[dict[str, str]]:
    """The specifications whose cohort is in a seeded sample of ``k`` distinct cohorts.

    The sample is stratified by the missing-data level, with the ``k``
    cohorts allocated to the levels in proportion to their numbers of
    cohorts (largest remainders), so that complete cases and multiple
    imputation keep their share of the space.
    """
    if k < 1:
        raise SpaceError(f"max_cohorts must be at least 1, got {k}")
    cohorts = list(dict.fromkeys(_cohort_of(s) for s in every))
    if len(cohorts) <= k:
        return every
    where = specs.COHORT_DIMENSIONS.index("missing_data")
    strata: dict[str, list[tuple]] = {}
    for c in cohorts:
        strata.setdefault(c[where], []).append(c)
    quota = {g: k * len(m) / len(cohorts) for g, m in strata.items()}
    alloc = {g: int(q) for g, q in quota.items()}
    for g in sorted(quota, key=lambda g: alloc[g] - quota[g])[: k - sum(alloc.values())]:
        alloc[g] += 1
    rng = np.random.default_rng([seed, 2**32 - 1])
    keep = set()
    for g, members in strata.items():
        keep |= {members[i] for i in rng.choice(len(members), alloc[g], replace=False)}
    return [s for s in every if _cohort_of(s) in keep]


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
    # the imputations do not use osteoporosis (see impute_cohort), so the T-score
    # references are not part of their key
    shared = {k: v for k, v in cohort if k not in specs.T_SCORE_DIMENSIONS}
    payload = json.dumps({"cohort": shared, "m": settings.mi_m,
                          "iterations": settings.mi_iterations, "seed": settings.seed,
                          "data": data_fingerprint(), "version": CODE_VERSION},
                         sort_keys=True)
    key = hashlib.sha256(payload.encode()).hexdigest()[:24]
    return cache_root() / "imputed" / f"{key}.pkl"


def impute_cohort(data: pd.DataFrame, settings: ClaimSettings) -> list[pd.DataFrame]:
    """``settings.mi_m`` fills of the missing covariates of a cohort.

    The chained-equations model (:func:`osteometals.stats.mi.mice`) holds
    every covariate of :data:`MI_COLUMNS` (age and BMI as numbers; the BMI
    group is recomputed from the imputed BMI) and, as complete regressors,
    the BMD of every site the cohort requires, the five ln metals, the ln
    survey weight and the cycle: the outcomes and exposures of the claims,
    and the design. Osteoporosis itself is left out: it is a threshold of the
    same BMDs, and leaving it out makes the imputations independent of the
    T-score references, so one imputation serves every reference (and the
    BMD claim, which ignores them, is exactly invariant to them).

    Returns
    -------
    list of pandas.DataFrame
        Per imputation, the columns of :data:`MI_COLUMNS` and ``bmi_group``.
    """
    d = data.copy()
    helpers = []
    for m in METAL_KEYS:
        d[f"_ln_{m}"] = np.log(d[m].astype(float))
        helpers.append(f"_ln_{m}")
    d["_ln_weight"] = np.log(d["weight"].astype(float))
    helpers.append("_ln_weight")
    helpers += [c for c in ("bmd_femur", "bmd_neck", "bmd_spine") if d[c].notna().all()]
    if d["cycle"].nunique() > 1:
        d["_cycle"] = pd.Categorical(d["cycle"])
        helpers.append("_cycle")
    imputed = mi.mice(d, MI_COLUMNS, helpers, m=settings.mi_m,
                      iterations=settings.mi_iterations, seed=settings.seed)
    return [copy[list(MI_COLUMNS)].assign(bmi_group=co.bmi_group(copy["bmi"]))
            for copy in imputed]


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
    max_cohorts: int | None = None,
) -> pd.DataFrame:
    """Plan and compute the specification curves.

    Parameters
    ----------
    claims, selection, max_specs, seed, settings, max_cohorts
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
    tasks = plan(claims, selection, max_specs, seed, settings, data_fingerprint(), max_cohorts)
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


#: File name of :func:`claim_summary`'s frame in the robustness chapter's results.
SUMMARY_FILE = "claim_summary.csv"

#: The claims the discussion and the scorecard quote (:func:`quote`).
QUOTED: tuple[str, ...] = ("cd_q4_op", "se_q3_op", "cd_q4_femur", "wqs_pos_op")

_SUMMARY_COLUMNS = ("claim", "n_specs", "n_failed", "share_sign", "share_significant")


def read_summary(path: str | Path) -> pd.DataFrame:
    """Read the robustness chapter's ``claim_summary.csv``, checking its columns.

    Raises
    ------
    ValueError
        If a column :func:`quote` needs is missing (names them and the file),
        or a claim is not one of :data:`~osteometals.paper.claims.CLAIMS`.
    """
    frame = pd.read_csv(path)
    missing = [c for c in _SUMMARY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}; rerun the robustness chapter")
    unknown = sorted(set(frame["claim"]) - set(CLAIMS))
    if unknown:
        raise ValueError(f"{path} has unknown claims {unknown}; valid claims: "
                         f"{', '.join(CLAIMS)}")
    return frame


def quote(summary: pd.DataFrame, claims: Sequence[str] = QUOTED) -> str:
    """One sentence on how the headline claims fared across specifications.

    For the chapters that quote the robustness results (the discussion, the
    scorecard): per claim, the number of specifications with an estimate,
    the share with the paper's sign and the share significant in that
    direction, as in :func:`claim_summary`.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`claim_summary`'s frame, or :func:`read_summary` of its CSV.
    claims : sequence of str
        The claims to quote, in order; one missing from ``summary`` is said
        to be not run.

    Returns
    -------
    str
        E.g. "Across the specifications of the robustness chapter, Cd Q4 vs Q1
        odds ratio of osteoporosis: 81% of 30 with the paper's sign, 40%
        significant in that direction; ...".
    """
    rows = summary.set_index("claim")
    parts = []
    for name in claims:
        label = get_claim(name).estimand  # lower case unless it starts with a symbol
        if name not in rows.index:
            parts.append(f"{label}: not run")
            continue
        r = rows.loc[name]
        n = int(r["n_specs"]) - int(r["n_failed"])
        parts.append(f"{label}: {_pct(r['share_sign'])} of {n:,} with the paper's sign, "
                     f"{_pct(r['share_significant'])} significant in that direction")
    return "Across the specifications of the robustness chapter, " + "; ".join(parts) + "."


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
SOURCE_RUN = ("Source: this book, from NHANES 2013–2014 and 2017–March 2020: the "
              "specifications of this run (osteometals.paper.robustness).")


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


def unavailable_sentence() -> str:
    """One sentence on the declared levels not computed yet (or that there are none)."""
    missing = unavailable_levels()
    if missing.empty:
        return "Every declared level is computed."
    return ("Declared but not computed yet, because the options they need are still being "
            f"added to the book: {'; '.join(missing['text'])}. When they arrive, a rerun "
            "computes only the specifications they add.")


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
