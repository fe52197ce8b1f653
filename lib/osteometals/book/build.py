"""Execute the chapters and render the book.

The pipeline is the one QuantEcon and papermill recommend for text
notebooks: each MyST chapter is converted to ``.ipynb`` by jupytext, run by
papermill with its parameters injected, and the executed notebooks are
rendered by Jupyter Book 1.x with execution switched off. Layout of the
build folder (``book/_build`` by default)::

    executed/chapters/NN_topic.ipynb   executed notebooks (also front/, appendix/)
    results/NN_topic/*.csv             each page's tidy results
    src/                               staged sources Jupyter Book renders
    html/                              the rendered book
    html/_downloads/md|pdf/...         each executed page as MyST source and PDF
    timings.csv                        seconds per page

Before papermill runs a page, :func:`osteometals.book.pages.prepare` adds
the book's plotting style; after, :func:`osteometals.book.pages.finish`
hides papermill's cell of injected folders and puts the "Parameters of this
page" box in its place. Folders are injected relative to the page's folder,
so that no page or downloadable notebook holds a path of the building
machine.

A rerun with other parameters goes to ``runs/<chapter>/<name>=<value>/``
instead, so the default book is never overwritten.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pandas as pd

from osteometals.book import pages
from osteometals.book.chapters import BOOK_DIR, Chapter, find_chapter, list_chapters, list_pages
from osteometals.nhanes.files import READ_LOG_ENV

BUILD_DIR = BOOK_DIR / "_build"
#: Reruns go here; ``OSTEOMETALS_RUNS_DIR`` moves them (tests use a temporary folder).
RUNS_DIR = Path(os.environ.get("OSTEOMETALS_RUNS_DIR", BOOK_DIR.parent / "runs"))

#: Files and folders of ``book/`` that the rendered book needs besides chapters.
STATIC = (
    "_config.yml", "_toc.yml", "intro.md", "primer.md", "references.md", "references.bib",
    "api.md", "_static",
)


class ChapterFailed(RuntimeError):
    """A chapter raised an error while executing."""


def _ipc_kernel_manager() -> type:
    """A kernel manager that talks to the kernel over local IPC sockets.

    Nothing listens on a network port, and ipykernel 7 no longer prints
    "Kernel is running over TCP without encryption" at every chapter.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    return IPCKernelManager


def execute_chapter(
    chapter: Chapter,
    notebook_out: Path,
    results_dir: Path,
    parameters: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    timeout: int = 1800,
) -> Path:
    """Run one chapter with papermill and write the executed notebook.

    Parameters
    ----------
    chapter : Chapter
        The chapter to run.
    notebook_out : Path
        Where the executed ``.ipynb`` is written.
    results_dir : Path
        Folder for the chapter's tidy CSVs, injected as ``output_dir``.
    parameters : dict, optional
        Overrides of the chapter's parameters; validated first.
    extra : dict, optional
        Values injected only if the chapter declares them (e.g. ``results_root``).
    timeout : int
        Seconds a single cell may run.

    Returns
    -------
    Path
        ``notebook_out``.

    Raises
    ------
    ChapterFailed
        If a cell raises; the message names the chapter and the executed notebook.
    """
    import papermill

    values = chapter.validate(parameters or {})
    declared = {p.name for p in chapter.parameters}
    for name, value in (extra or {}).items():
        if name in declared and name not in values:
            values[name] = value
    values["output_dir"] = Path(results_dir)
    cwd = chapter.path.parent.resolve()
    # folders are injected relative to the page's folder (the kernel's working
    # directory), so that no page or notebook holds a path of this machine
    values = {k: _relative(v, cwd) if isinstance(v, Path) else v for k, v in values.items()}
    notebook_out = Path(notebook_out).resolve()
    notebook_out.parent.mkdir(parents=True, exist_ok=True)
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    source = notebook_out.with_suffix(".input.ipynb")
    nbformat.write(pages.prepare(jupytext.read(chapter.path, fmt="md:myst")), source)
    try:
        with _quiet_declared_parameters(chapter):
            papermill.execute_notebook(
                str(source),
                str(notebook_out),
                parameters=values,
                cwd=str(cwd),
                kernel_name="python3",
                progress_bar=False,
                execution_timeout=timeout,
                language="python",
                kernel_manager_class=_ipc_kernel_manager(),
            )
    except papermill.PapermillExecutionError as err:
        raise ChapterFailed(
            f"chapter {chapter.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}\n"
            f"see the executed notebook {notebook_out}"
        ) from None
    finally:
        source.unlink(missing_ok=True)
    executed = nbformat.read(notebook_out, as_version=4)
    nbformat.write(pages.finish(executed, chapter, values), notebook_out)
    return notebook_out


class DeclaredParameterFilter(logging.Filter):
    """Drop papermill's "Passed unknown parameter: NAME" for a parameter the chapter declares.

    papermill infers a notebook's parameters with its own parser, which skips
    annotated assignments such as ``x: Literal["a", "b"] = "a"``, and then
    warns (logger ``papermill``) that each such parameter is unknown. The
    chapter's parameters are validated before papermill runs
    (:meth:`Chapter.validate`), so for them the warning is noise; every other
    record, and the warning for a name the chapter does not declare, passes.
    """

    PREFIX = "Passed unknown parameter: "

    def __init__(self, declared: Iterable[str]):
        super().__init__()
        self.declared = frozenset(declared)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith(self.PREFIX)
                    and message[len(self.PREFIX):] in self.declared)


@contextmanager
def _quiet_declared_parameters(chapter: Chapter) -> Iterator[None]:
    """Filter papermill's warning for ``chapter``'s declared parameters while papermill runs."""
    logger = logging.getLogger("papermill")
    quiet = DeclaredParameterFilter(p.name for p in chapter.parameters)
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` (``..`` where needed), as papermill injects it."""
    return os.path.relpath(Path(path).resolve(), start)


def execute_book(
    chapters: Iterable[Chapter] | None = None,
    build_dir: Path = BUILD_DIR,
    echo=print,
) -> pd.DataFrame:
    """Run every page (chapters, then appendix) with its defaults; return seconds per page.

    ``timings.csv`` grows by one row as each page finishes and every NHANES
    file read is logged to ``reads.jsonl``, so that the appendix page on how
    the book was built, which runs last, can show both.
    """
    chapters = list(chapters) if chapters is not None else list_pages()
    build_dir.mkdir(parents=True, exist_ok=True)
    results_root = build_dir / "results"
    reads = build_dir / "reads.jsonl"
    reads.unlink(missing_ok=True)
    previous = os.environ.get(READ_LOG_ENV)
    os.environ[READ_LOG_ENV] = str(reads.resolve())  # the kernels inherit it
    rows = []
    try:
        for i, chapter in enumerate(chapters, start=1):
            echo(f"[{i}/{len(chapters)}] {chapter.name} ...")
            start = time.perf_counter()
            execute_chapter(
                chapter,
                build_dir / "executed" / chapter.folder / f"{chapter.name}.ipynb",
                results_root / chapter.name,
                extra={"results_root": results_root, "build_dir": build_dir},
            )
            seconds = time.perf_counter() - start
            echo(f"[{i}/{len(chapters)}] {chapter.name} done in {seconds:.1f} s")
            rows.append({"chapter": chapter.name, "seconds": round(seconds, 1)})
            pd.DataFrame(rows).to_csv(build_dir / "timings.csv", index=False)
    finally:
        if previous is None:
            os.environ.pop(READ_LOG_ENV, None)
        else:
            os.environ[READ_LOG_ENV] = previous
    return pd.DataFrame(rows)


def stage_sources(build_dir: Path = BUILD_DIR, book_dir: Path = BOOK_DIR) -> Path:
    """Copy the book's static pages and the executed pages into ``build_dir/src``.

    Executed front pages (``executed/front/intro.ipynb``) go to the top of
    ``src`` and replace the static page of the same name; the exercises of
    every chapter are listed in ``src/_exercises.md`` for the methods primer.
    """
    src = build_dir / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    executed = build_dir / "executed"
    notebooks = sorted(executed.glob("*/*.ipynb"))
    if not any(nb.parent.name == "chapters" for nb in notebooks):
        raise FileNotFoundError(
            f"no executed chapters in {executed / 'chapters'}: run the chapters first")
    front = {nb.stem for nb in notebooks if nb.parent.name == "front"}
    for name in STATIC:
        path = book_dir / name
        if Path(name).stem in front and path.suffix == ".md":
            continue
        if path.is_dir():
            shutil.copytree(path, src / name)
        elif path.exists():
            shutil.copy2(path, src / name)
    for nb in notebooks:
        folder = src if nb.parent.name == "front" else src / nb.parent.name
        folder.mkdir(exist_ok=True)
        shutil.copy2(nb, folder / nb.name)
    if (src / "primer.md").is_file():
        chapters = list_chapters(book_dir / "chapters")
        (src / "_exercises.md").write_text(pages.exercise_list(chapters), encoding="utf-8")
    return src


def render(build_dir: Path = BUILD_DIR, builder: str = "html", book_dir: Path = BOOK_DIR,
           echo=print) -> Path:
    """Render the staged sources with Jupyter Book; return the output folder.

    Warnings are errors (``-W``), as in QuantEcon's CI, so a broken reference
    or a missing glue key fails the build instead of shipping. The HTML book
    then gets each executed page's downloads (:func:`write_downloads`).
    """
    src = stage_sources(build_dir, book_dir)
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", str(src),
        "--path-output", str(build_dir.parent), "--builder", builder, "-W", "-n", "--keep-going",
    ]
    subprocess.run(cmd, check=True)
    folder = {"html": "html", "singlehtml": "singlehtml", "pdfhtml": "pdf"}.get(builder, builder)
    out = build_dir / folder
    if builder == "html":
        write_downloads(build_dir, out, book_dir, echo=echo)
    return out


def executed_pages(build_dir: Path, book_dir: Path = BOOK_DIR) -> list[tuple[str, Path]]:
    """Each executed page: its page name in the book and its MyST source.

    Returns
    -------
    list of (str, Path)
        E.g. ``("chapters/01_cohort", book/chapters/01_cohort.md)``, and
        ``("intro", book/intro.md)`` for a front page.
    """
    found = []
    for nb in sorted((Path(build_dir) / "executed").glob("*/*.ipynb")):
        folder = nb.parent.name
        name = nb.stem if folder == "front" else f"{folder}/{nb.stem}"
        source = book_dir / (f"{nb.stem}.md" if folder == "front" else f"{folder}/{nb.stem}.md")
        if source.is_file():
            found.append((name, source))
    return found


def write_downloads(build_dir: Path, html_dir: Path, book_dir: Path = BOOK_DIR,
                    echo=print) -> list[Path]:
    """Write each executed page's ``.md`` source and ``.pdf`` print into the HTML book.

    The Sphinx extension links them from the page's download menu
    (:func:`osteometals.book.sphinxext.download_path`); the executed
    ``.ipynb`` is Sphinx's own copy of the page's source. The PDFs are printed
    by headless Chromium (:func:`osteometals.book.pdf.print_pdf`).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    FileNotFoundError
        If Chromium is missing (the PDFs cannot be printed).
    """
    from osteometals.book.browser import chromium_available, launch
    from osteometals.book.pdf import print_pdf
    from osteometals.book.sphinxext import download_path

    written = []
    pages_ = executed_pages(build_dir, book_dir)
    for name, source in pages_:
        target = html_dir / download_path(name, ".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        written.append(target)
    if not chromium_available():
        raise FileNotFoundError(
            "cannot print the pages' PDF downloads: no chromium on the PATH or no playwright "
            "(apt-get install chromium)")
    echo(f"printing {len(pages_)} pages to PDF ...")

    def print_all() -> list[Path]:
        with launch() as browser:
            return [print_pdf(html_dir, f"{name}.html", html_dir / download_path(name, ".pdf"),
                              browser=browser) for name, _ in pages_]

    # in a thread of its own: Playwright's sync API allows one instance per
    # thread, and the caller (a test) may be running one already
    with ThreadPoolExecutor(1) as pool:
        written += pool.submit(print_all).result()
    return written


def build_book(build_dir: Path = BUILD_DIR, echo=print, render_only: bool = False) -> Path:
    """Execute every page with its defaults (unless ``render_only``) and render the HTML book.

    Returns
    -------
    Path
        The folder of the rendered HTML.

    Raises
    ------
    ChapterFailed
        If a page fails to execute (nothing is rendered then).
    """
    if not render_only:
        execute_book(build_dir=build_dir, echo=echo)
    return render(build_dir)


def run_key(parameters: dict[str, Any]) -> str:
    """Folder name for a rerun, e.g. ``seed=1,spine_reference=hologic``."""
    if not parameters:
        return "defaults"
    return ",".join(f"{k}={parameters[k]}" for k in sorted(parameters)).replace("/", "_")


def rerun_chapter(name: str, parameters: dict[str, Any], runs_dir: Path = RUNS_DIR) -> Path:
    """Rerun one chapter with other parameters into its own folder.

    Names and values are validated before anything runs. The executed
    notebook, its HTML and the results go to
    ``runs/<chapter>/<name>=<value>,.../``.

    Returns
    -------
    Path
        The folder of the rerun.
    """
    chapter = find_chapter(name)
    values = chapter.validate(parameters)
    folder = runs_dir / chapter.name / run_key(values)
    notebook = execute_chapter(
        chapter,
        folder / f"{chapter.name}.ipynb",
        folder / "results",
        parameters=values,
        extra={"results_root": BUILD_DIR / "results"},
    )
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(notebook), "--log-level", "ERROR",
         "--TagRemovePreprocessor.enabled=True",
         "--TagRemovePreprocessor.remove_cell_tags=remove-cell",
         "--TagRemovePreprocessor.remove_input_tags=hide-input"],
        check=True,
    )
    return folder


def prepare_lab(name: str, parameters: dict[str, Any], runs_dir: Path = RUNS_DIR) -> Path:
    """Write a chapter as a notebook to open in JupyterLab, parameters injected, not run.

    The notebook is ``runs/<chapter>/<key>/lab/<chapter>.ipynb``; its
    folders (``output_dir``, ``results_root``, ``build_dir``) are injected
    relative to it, since JupyterLab runs a notebook in its own folder, and
    its first (hidden) cell sets the book's plotting style.

    Returns
    -------
    Path
        The notebook.
    """
    import papermill

    chapter = find_chapter(name)
    values = chapter.validate(parameters)
    folder = (runs_dir / chapter.name / run_key(values) / "lab").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    declared = {p.name for p in chapter.parameters}
    plumbing = {"output_dir": folder / "results", "results_root": BUILD_DIR / "results",
                "build_dir": BUILD_DIR}
    for key, path in plumbing.items():
        if key in declared:
            values[key] = _relative(path, folder)
    source = folder / f"{chapter.name}.input.ipynb"
    nbformat.write(pages.prepare(jupytext.read(chapter.path, fmt="md:myst")), source)
    notebook = folder / f"{chapter.name}.ipynb"
    try:
        with _quiet_declared_parameters(chapter):
            papermill.execute_notebook(str(source), str(notebook), parameters=values,
                                       prepare_only=True, kernel_name="python3", language="python")
    finally:
        source.unlink(missing_ok=True)
    return notebook
