"""The ``osteometals`` command.

Each sub-command is a function decorated with ``@app.command()``; expected
failures raise :class:`osteometals.nhanes.files.DataError` (or call :func:`fail`)
and end with a one-paragraph message and exit code 1, never a traceback.

Usage::

    osteometals data                 # cycles H and P (the paper's)
    osteometals data --cycles H      # one cycle
    osteometals data --all           # every registered cycle (G, H, I, J, P)
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, NoReturn

import typer

from osteometals.nhanes import files as nhdata
from osteometals.nhanes import registry

app = typer.Typer(
    name="osteometals",
    help="Reproduce Peng et al. (2025), heavy metals and osteoporosis, from raw NHANES files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Reproduce Peng et al. (2025), heavy metals and osteoporosis, from raw NHANES files."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error message to stderr and exit.

    Parameters
    ----------
    message : str
        What went wrong and how to fix it.
    code : int, optional
        Exit code.
    """
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def parse_cycles(text: str) -> list[str]:
    """Parse a comma-separated list of cycle codes such as ``"H,P"``.

    Parameters
    ----------
    text : str
        Cycle codes separated by commas; case and spaces do not matter.

    Returns
    -------
    list of str
        Upper-case codes in the order given, without duplicates.

    Raises
    ------
    typer.BadParameter
        If a code is not a key of :data:`osteometals.nhanes.registry.CYCLES`.
    """
    codes: list[str] = []
    for part in text.split(","):
        code = part.strip().upper()
        if not code:
            continue
        if code not in registry.CYCLES:
            known = ", ".join(registry.CYCLES)
            raise typer.BadParameter(f"unknown cycle {part.strip()!r}; known cycles: {known}")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise typer.BadParameter("no cycle given")
    return codes


def format_rows(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> str:
    """Format rows as a plain-text table with aligned columns.

    Parameters
    ----------
    rows : sequence of mapping
        One mapping per row.
    columns : sequence of str
        Keys to show, in order; also the header.

    Returns
    -------
    str
        Header and rows; booleans shown as ``yes`` / ``no``.
    """

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    cells = [[cell(row[c]) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


@app.command("data")
def data_command(
    cycles: Annotated[
        str,
        typer.Option(
            "--cycles", help="Comma-separated NHANES cycles: H = 2013-2014, "
            "P = 2017-March 2020 pre-pandemic (also G, I, J).",
        ),
    ] = ",".join(registry.STUDY_CYCLES),
    all_cycles: Annotated[
        bool, typer.Option("--all", help="Every registered cycle (overrides --cycles).")
    ] = False,
) -> None:
    """Find or download every study table, verify it and show where it is.

    Looks in the cache (OSTEOMETALS_CACHE), then copies from the mirror named
    by NHANES_MIRROR, then downloads from the CDC; files from the mirror or
    the CDC are verified and kept in the cache for every later command.
    """
    codes = list(registry.CYCLES) if all_cycles else parse_cycles(cycles)
    names = [t.name for t in registry.study_tables(codes)]
    try:
        located = nhdata.ensure_tables(names, progress=True)
    except nhdata.DataError as exc:
        fail(str(exc))
    rows = [loc.as_row() for loc in located]
    columns = ["table", "cycle", "present", "verified", "source", "origin", "path", "note"]
    n_verified = sum(loc.verified for loc in located)
    typer.echo(
        f"NHANES tables of cycle(s) {', '.join(codes)}: {len(located)} present, "
        f"{n_verified} verified by sha256."
    )
    typer.echo(format_rows(rows, columns))


def _ensure_data() -> None:
    """Make every study table available before any notebook starts, or fail clearly.

    Tables come from the cache, else from the mirror (NHANES_MIRROR, copied
    into the cache), else from the CDC.
    """
    try:
        nhdata.ensure_tables(progress=True)
    except nhdata.DataError as exc:
        fail(str(exc))


def _checked(function, *args):
    """Call ``function``; a bad chapter or parameter ends with its message and exit code 2."""
    from osteometals.book.chapters import ParameterError

    try:
        return function(*args)
    except ParameterError as err:
        fail(str(err), code=2)


@app.command("list")
def list_command(
    chapter: str = typer.Argument(None, help="Only this chapter (name or number)."),
) -> None:
    """List the chapters and their parameters (name, type, default, help)."""
    from osteometals.book.chapters import find_chapter, list_chapters

    chapters = [_checked(find_chapter, chapter)] if chapter else list_chapters()
    for ch in chapters:
        typer.echo(f"{ch.name}  {ch.title}")
        width = max((len(p.name) for p in ch.parameters), default=0)
        for p in ch.parameters:
            typer.echo(f"    {p.name:<{width}}  {p.describe_type():<12}  "
                       f"default {p.default!r:<12}  {p.help}")
        typer.echo("")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    chapter: str = typer.Argument(..., help="Chapter name (03_quartile_odds) or number (3)."),
) -> None:
    """Rerun one chapter with other parameters: run CHAPTER -p NAME VALUE [-p NAME VALUE ...].

    Names, values and ranges are checked against the chapter's parameters
    cell, and the NHANES files are found, before anything runs. The executed
    notebook, its HTML and the results go to runs/<chapter>/<name>=<value>/,
    so the default book is never overwritten.
    """
    from osteometals.book.build import ChapterFailed, rerun_chapter
    from osteometals.book.chapters import find_chapter

    ch = _checked(find_chapter, chapter)
    overrides = _parse_pairs(ctx.args)
    _checked(ch.validate, overrides)
    _ensure_data()
    typer.echo(f"running {ch.name} with {overrides or 'its defaults'} ...")
    try:
        folder = rerun_chapter(ch.name, overrides)
    except ChapterFailed as err:
        fail(str(err))
    typer.echo(f"done: {folder}")
    typer.echo(f"  notebook {folder / (ch.name + '.ipynb')}")
    typer.echo(f"  HTML     {folder / (ch.name + '.html')}")
    typer.echo(f"  results  {folder / 'results'}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab(
    ctx: typer.Context,
    chapter: str = typer.Argument(None, help="Chapter name or number; none opens book/."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not start JupyterLab."),
) -> None:
    """Open a chapter in JupyterLab with the parameters of its page: lab CHAPTER [-p NAME VALUE].

    The chapter is written, not run, to runs/<chapter>/<name>=<value>/lab/ as a
    notebook with the parameters injected (as papermill does for the book) and
    the book's plotting style, so that running it cell by cell gives the page
    again; the parameters box of every page prints this command.
    """
    import subprocess
    import sys
    from pathlib import Path

    from osteometals.book.build import BOOK_DIR, prepare_lab
    from osteometals.book.chapters import find_chapter

    target = Path(BOOK_DIR)
    if chapter:
        ch = _checked(find_chapter, chapter)
        overrides = _parse_pairs(ctx.args)
        _checked(ch.validate, overrides)
        target = prepare_lab(ch.name, overrides)
        typer.echo(f"notebook: {target}")
    if no_browser:
        return
    lab_exe = Path(sys.executable).parent / "jupyter-lab"
    subprocess.run([str(lab_exe), str(target)], check=False)


@app.command()
def book(
    render_only: bool = typer.Option(
        False, "--render-only", help="Only render the already executed chapters."
    ),
) -> None:
    """Run every chapter with its defaults and render the HTML book."""
    import time

    from osteometals.book.build import ChapterFailed, build_book

    start = time.perf_counter()
    if not render_only:
        _ensure_data()
    try:
        html = build_book(echo=typer.echo, render_only=render_only)
    except ChapterFailed as err:
        fail(str(err))
    typer.echo(f"book built in {time.perf_counter() - start:.0f} s: {html / 'index.html'}")


@app.command()
def pdf() -> None:
    """Print the whole book to one PDF (needs the executed chapters and chromium)."""
    from osteometals.book.pdf import build_pdf

    typer.echo(f"PDF: {build_pdf()}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Time BKMR (ours exact and approximate, kernelmix), WQS, qgcomp and the robustness runs.

    Extra options go to the bench, e.g. ``osteometals bench --robustness-only``
    (``osteometals bench --help-bench`` lists them).
    """
    from osteometals.book.bench import main

    args = ["--help" if a == "--help-bench" else a for a in ctx.args]
    main(args)


def _parse_pairs(args: list[str]) -> dict[str, str]:
    """Read ``-p NAME VALUE`` (or ``--param NAME VALUE``) pairs from the extra arguments."""
    pairs: dict[str, str] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in {"-p", "--param"} or len(rest) < 2:
            fail(f"expected '-p NAME VALUE', got {' '.join([flag, *rest[:2]])!r}", code=2)
        name, value = rest.pop(0), rest.pop(0)
        pairs[name] = value
    return pairs


def _choice(field: str, what: str) -> Any:
    """The cohort command's option for a :class:`CohortOptions` field with fixed values."""
    from osteometals.nhanes.options import CHOICES

    return typer.Option(None, help=f"{what}: one of {', '.join(CHOICES[field])}.")


def _exclusion(flag: str, women: str) -> Any:
    """The cohort command's flag for an optional exclusion (off by default)."""
    return typer.Option(False, flag, help=f"Exclude women {women}.")


@app.command()
def cohort(
    cycles: str = typer.Option(
        None, help="NHANES cycles, joined by ',' or '+': H = 2013-2014, P = 2017-March 2020."),
    min_age: int = typer.Option(None, help="Minimum age in years, 20 to 80."),
    required_sites: str = typer.Option(
        None, help="BMD sites that must be measured, joined by ',' or '+' (femur, neck, spine)."),
    spine_reference: str = _choice("spine_reference", "Lumbar-spine T-score reference"),
    femur_reference: str = _choice("femur_reference", "Total-femur T-score reference"),
    neck_reference: str = _choice("neck_reference", "Femoral-neck T-score reference"),
    spine_rule: str = _choice("spine_rule", "Which spine BMD is valid"),
    require_complete_covariates: bool = typer.Option(
        None, "--require-complete-covariates/--allow-missing-covariates",
        help="Drop women with any missing covariate (default) or keep them."),
    diabetes_borderline: str = _choice("diabetes_borderline", "How DIQ010 'borderline' is coded"),
    parent_op_definition: str = _choice("parent_op_definition", "Parental osteoporosis"),
    fracture_definition: str = _choice("fracture_definition", "Previous fractures"),
    exclude_op_treatment: bool = _exclusion(
        "--exclude-op-treatment", "told to take an osteoporosis medicine (OSQ072)"),
    exclude_hormone_therapy: bool = _exclusion(
        "--exclude-hormone-therapy", "who ever used female hormones (RHQ540)"),
    exclude_menstruating: bool = _exclusion(
        "--exclude-menstruating", "with a period in the past 12 months (RHQ031)"),
    refresh: bool = typer.Option(False, help="Rebuild even if cached."),
) -> None:
    """Build the analysis cohort and print its exclusion flow, n and osteoporosis count.

    Every option left out keeps the book's default (the paper's cohort); a
    value that is not allowed fails before any file is read.
    """
    from osteometals.nhanes.cohort import get_cohort
    from osteometals.nhanes.options import CohortOptions

    given = {
        "cycles": cycles.upper() if cycles else None, "min_age": min_age,
        "required_sites": required_sites, "spine_reference": spine_reference,
        "femur_reference": femur_reference, "neck_reference": neck_reference,
        "spine_rule": spine_rule, "require_complete_covariates": require_complete_covariates,
        "diabetes_borderline": diabetes_borderline,
        "parent_op_definition": parent_op_definition,
        "fracture_definition": fracture_definition,
        "exclude_op_treatment": exclude_op_treatment,
        "exclude_hormone_therapy": exclude_hormone_therapy,
        "exclude_menstruating": exclude_menstruating,
    }
    try:
        options = CohortOptions(**{k: v for k, v in given.items() if v is not None})
    except ValueError as err:
        fail(str(err), code=2)
    try:
        result = get_cohort(options, refresh=refresh)
    except nhdata.DataError as err:
        fail(str(err))
    flow = result.flow
    typer.echo(f"options: {options}")
    typer.echo(format_rows(flow.to_dict("records"), ["step", "n_in", "n_excluded", "n_out"]))
    n, n_op = len(result.data), int(result.data["op"].sum())
    typer.echo(f"\ncohort: n = {n}, osteoporosis = {n_op} ({100 * n_op / n:.1f}%)")


def _without_scheduler(argv: Sequence[str]) -> str:
    """The command line ``argv`` with its ``--scheduler`` option removed (the local fallback)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--scheduler":
            skip = True
            continue
        if arg.startswith("--scheduler="):
            continue
        out.append(arg)
    return shlex.join(["osteometals", *out])


@app.command("robustness")
def robustness_command(
    claims: str = typer.Option(
        "", help="Comma-separated claim names (default: every claim; see --list)."),
    levels: str = typer.Option(
        "", help="Levels to keep, e.g. 'cycles=H+P,H; weighting=design' (see --list)."),
    spec_file: str = typer.Option(
        "", help="TOML or JSON file with [levels] (and optionally claims, max_specs, seed)."),
    max_specs: int = typer.Option(
        5000, min=1, help="Specifications per claim; larger spaces get a seeded random sample."),
    max_cohorts: int = typer.Option(
        0, min=0, help="Cohort specifications to sample first (stratified by missing-data "
        "level); 0: every cohort."),
    seed: int = typer.Option(2025, min=0, help="Seed of the sample, the imputations and WQS."),
    scheduler: str = typer.Option(
        "", help="Dask scheduler address tcp://HOST:PORT; default: this machine (joblib)."),
    n_jobs: int = typer.Option(2, min=1, help="Local worker processes (without --scheduler)."),
    mi_m: int = typer.Option(20, min=2, help="Imputations of the multiple-imputation level."),
    wqs_b: int = typer.Option(100, min=1, help="WQS bootstrap samples."),
    output: str = typer.Option(
        "runs/robustness", help="Folder for robustness_results.csv and claim_summary.csv."),
    list_space: bool = typer.Option(
        False, "--list", help="Show the claims and the declared space, then stop."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show how many specifications would run, then stop."),
    progress: bool = typer.Option(True, help="Progress bars."),
) -> None:
    """Specification curves of the paper's headline claims, locally or on a Dask cluster.

    Every claim is computed under every specification of the declared space
    (or a seeded random sample of --max-specs per claim). Results are cached
    per specification, so a rerun computes only new cells and an interrupted
    run resumes. Unknown claims, dimensions or levels fail before any work.
    """
    import sys
    from pathlib import Path

    from osteometals.paper import robustness as rb
    from osteometals.paper import specs
    from osteometals.paper.claims import CLAIMS, ClaimSettings
    from osteometals.stats.speccurve import SpaceError
    from osteometals.stats.tasks import SchedulerUnreachable

    if list_space:
        for c in CLAIMS.values():
            typer.echo(f"{c.name:<16} {c.estimand}  [paper: {c.paper.source}]")
        table = specs.SPACE.table()
        table["level"] = table["level"] + table["available"].map({True: "", False: " *"})
        typer.echo("")
        typer.echo(format_rows(table.to_dict("records"), ["group", "dimension", "level", "why"]))
        waiting = sorted(set(table.loc[~table["available"], "missing"]))
        if waiting:
            typer.echo("\n* declared, not available yet: " + "; ".join(waiting))
        return
    try:
        selection = specs.parse_levels(levels)
        names = [c.strip() for c in claims.split(",") if c.strip()]
        if spec_file:
            loaded = specs.load_spec_file(spec_file, tuple(CLAIMS))
            selection = {**loaded["levels"], **selection}
            names = names or list(loaded.get("claims", ()))
            max_specs = loaded.get("max_specs", max_specs)
            seed = loaded.get("seed", seed)
        settings = ClaimSettings(mi_m=mi_m, wqs_b=wqs_b, seed=seed)
        tasks = rb.plan(names or None, selection, max_specs, seed, settings,
                        max_cohorts=max_cohorts or None)
    except SpaceError as err:
        fail(str(err), code=2)
    counts = rb.tasks_frame(tasks)["claim"].value_counts(sort=False)
    typer.echo(f"{len(tasks):,} specifications: " + ", ".join(
        f"{k} {v:,}" for k, v in counts.items()))
    if dry_run:
        return
    _ensure_data()
    where = scheduler or f"this machine ({n_jobs} processes)"
    typer.echo(f"running on {where} ...")
    try:
        results = rb.run(names or None, selection, max_specs, seed, settings,
                         scheduler=scheduler or None, n_jobs=n_jobs, progress=progress,
                         max_cohorts=max_cohorts or None)
    except SchedulerUnreachable as err:
        fail(f"{err}. Check the address and that the scheduler is running; to run on this "
             f"machine instead: {_without_scheduler(sys.argv[1:])}")
    summary, sentences = rb.claim_summary(results)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "robustness_results.csv", index=False)
    summary.to_csv(out / "claim_summary.csv", index=False)
    for text in sentences.values():
        typer.echo(f"- {text}")
    typer.echo(f"results: {out / 'robustness_results.csv'}, {out / 'claim_summary.csv'}")
