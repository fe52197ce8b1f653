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

from collections.abc import Mapping, Sequence
from typing import Annotated, NoReturn

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


@app.command()
def bench() -> None:
    """Time BKMR (ours exact and approximate, kernelmix) and WQS."""
    from osteometals.book.bench import main

    main()


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


def _choices(field: str) -> str:
    """``"one of a, b"`` for a CohortOptions field (help text of the cohort command)."""
    from osteometals.nhanes.options import CHOICES

    return "one of " + ", ".join(CHOICES[field])


@app.command()
def cohort(
    cycles: str = typer.Option(
        None, help="NHANES cycles, joined by ',' or '+': H = 2013-2014, P = 2017-March 2020."),
    min_age: int = typer.Option(None, help="Minimum age in years, 20 to 80."),
    required_sites: str = typer.Option(
        None, help="BMD sites that must be measured, joined by ',' or '+' (femur, neck, spine)."),
    spine_reference: str = typer.Option(
        None, help=f"Lumbar-spine T-score reference: {_choices('spine_reference')}."),
    femur_reference: str = typer.Option(
        None, help=f"Total-femur T-score reference: {_choices('femur_reference')}."),
    neck_reference: str = typer.Option(
        None, help=f"Femoral-neck T-score reference: {_choices('neck_reference')}."),
    spine_rule: str = typer.Option(
        None, help=f"Which spine BMD is valid: {_choices('spine_rule')}."),
    require_complete_covariates: bool = typer.Option(
        None, "--require-complete-covariates/--allow-missing-covariates",
        help="Drop women with any missing covariate (default) or keep them."),
    diabetes_borderline: str = typer.Option(
        None, help=f"How DIQ010 'borderline' is coded: {_choices('diabetes_borderline')}."),
    parent_op_definition: str = typer.Option(
        None, help=f"Parental osteoporosis: {_choices('parent_op_definition')}."),
    fracture_definition: str = typer.Option(
        None, help=f"Previous fractures: {_choices('fracture_definition')}."),
    exclude_op_treatment: bool = typer.Option(
        False, "--exclude-op-treatment",
        help="Exclude women told to take an osteoporosis medicine (OSQ072)."),
    exclude_hormone_therapy: bool = typer.Option(
        False, "--exclude-hormone-therapy",
        help="Exclude women who ever used female hormones (RHQ540)."),
    exclude_menstruating: bool = typer.Option(
        False, "--exclude-menstruating",
        help="Exclude women with a period in the past 12 months (RHQ031)."),
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
