"""Shared test set-up. Keep it small: fixtures used by one file belong in that file.

The NHANES mirror: when ``NHANES_MIRROR`` is not set, it defaults to the
sibling folder ``../shared/data/nhanes`` of the repository if that exists.

Tests that need something outside Python carry a marker (:data:`NEEDS`):
``mirror`` (the NHANES mirror), ``r`` (R with the survey package) and
``browser`` (Debian's Chromium). On a machine without it such a test is
skipped, and the last lines of the run name each skipped group and the one
command that installs what it needs. Under ``CI=true`` a missing R or Chromium
fails the test instead: CI installs both (``.ci/run``), so a skip there would
hide a broken install.

The tiny book: ``write_tiny_book`` writes a one-chapter Jupyter Book whose
chapter (:data:`TINY_CHAPTER`) has every feature the build and browser tests
look for, so that both test the same chapter.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SIBLING_MIRROR = REPO_ROOT.parent / "shared" / "data" / "nhanes"

if not os.environ.get("NHANES_MIRROR") and SIBLING_MIRROR.is_dir():
    os.environ["NHANES_MIRROR"] = str(SIBLING_MIRROR)


def _mirror_or_skip_reason() -> tuple[Path | None, str]:
    value = os.environ.get("NHANES_MIRROR", "")
    if not value:
        return None, f"no NHANES mirror: NHANES_MIRROR is not set and {SIBLING_MIRROR} is absent"
    path = Path(value).expanduser()
    if not path.is_dir():
        return None, f"no NHANES mirror: NHANES_MIRROR={path} is not a folder"
    return path, ""


@functools.cache
def _r_survey_missing() -> str:
    if shutil.which("Rscript") is None:
        return "Rscript is not on PATH"
    done = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True)
    return "" if done.returncode == 0 else "the R package survey does not load"


@functools.cache
def _chromium_missing() -> str:
    from osteometals.book.browser import chromium_available

    return "" if chromium_available() else "no /usr/bin/chromium (or no playwright)"


@dataclass(frozen=True)
class Need:
    """What a marker's tests need, how to tell it is missing, and how to install it."""

    what: str
    missing: Callable[[], str]  #: "" when present, else why it is missing
    install: str
    required_in_ci: bool


NEEDS: dict[str, Need] = {
    "mirror": Need("the NHANES mirror", lambda: _mirror_or_skip_reason()[1],
                   "NHANES_MIRROR=/path/to/nhanes (or ../shared/data/nhanes beside the clone)",
                   False),
    "r": Need("R with the survey package", _r_survey_missing,
              "apt-get install r-base-core r-cran-survey", True),
    "browser": Need("Debian's Chromium", _chromium_missing, "apt-get install chromium", True),
}

#: Marker -> number of tests skipped for it in this run.
_SKIPPED: dict[str, int] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, for R and Chromium under ``CI=true``, fail) a test whose needs are missing."""
    for marker, need in NEEDS.items():
        if item.get_closest_marker(marker) is None:
            continue
        why = need.missing()
        if not why:
            continue
        if need.required_in_ci and os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {need.what} is missing ({why}): {need.install}",
                        pytrace=False)
        _SKIPPED[marker] = _SKIPPED.get(marker, 0) + 1
        pytest.skip(f"needs {need.what}: {why}")


def pytest_terminal_summary(terminalreporter) -> None:
    """Name each group of skipped tests and the command that installs what it needs."""
    if not _SKIPPED:
        return
    terminalreporter.section("skipped for want of an outside program")
    for marker, count in _SKIPPED.items():
        need = NEEDS[marker]
        terminalreporter.write_line(
            f"{count} test(s) marked {marker!r} skipped: {need.what} is missing; "
            f"to run them: {need.install}")


@pytest.fixture(scope="session")
def nhanes_mirror() -> Path:
    """The NHANES mirror folder (the test is skipped if there is none)."""
    path, reason = _mirror_or_skip_reason()
    if path is None:
        pytest.skip(reason)
    return path


#: A chapter with parameters (int, Literal, ``output_dir``), a CSV written to
#: ``output_dir``, a glued number used in the prose, a table, a captioned
#: figure and a ``hide-input`` cell. Searchable by the word "zirconium".
TINY_CHAPTER = dedent(
    '''\
    ---
    jupytext:
      text_representation:
        format_name: myst
    kernelspec:
      name: python3
      display_name: Python 3
    ---

    # A tiny chapter about zirconium

    ```{code-cell} ipython3
    from pathlib import Path
    from typing import Literal

    import matplotlib.pyplot as plt
    import pandas as pd
    from myst_nb import glue
    ```

    ```{code-cell} ipython3
    :tags: [parameters]

    k: int = 2  # a number
    flavour: Literal["plain", "fancy"] = "plain"  # a choice
    output_dir: str = "results"  # where results go
    ```

    ```{code-cell} ipython3
    table = pd.DataFrame({"k": [k], "flavour": [flavour]})
    table.to_csv(Path(output_dir) / "table.csv", index=False)
    glue("k_squared", k * k)
    pd.DataFrame({"metal": ["zirconium"], "level": [1.5]})
    ```

    ```{code-cell} ipython3
    ---
    mystnb:
      figure:
        caption: A line.
        name: fig-line
    ---
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, k])
    plt.show()
    ```

    ```{code-cell} ipython3
    :tags: [hide-input]

    print("quietly" + "computed")
    ```

    The square of k is {glue:text}`k_squared`.
    '''
)


@pytest.fixture(scope="session")
def write_tiny_book() -> Callable[..., Path]:
    """A function that writes the tiny book's sources into a folder.

    Returns
    -------
    callable
        ``write(book, intro="# Intro\\n\\nHello.\\n") -> book``: writes
        ``chapters/01_tiny.md`` (:data:`TINY_CHAPTER`), ``intro.md`` (the root
        page, ``intro``), ``_config.yml`` (execution off, ``dollarmath``) and
        ``_toc.yml`` into the folder ``book`` and returns it.
    """

    def write(book: Path, intro: str = "# Intro\n\nHello.\n") -> Path:
        (book / "chapters").mkdir(parents=True)
        (book / "chapters" / "01_tiny.md").write_text(TINY_CHAPTER)
        (book / "intro.md").write_text(intro)
        (book / "_config.yml").write_text(
            "title: Tiny\nexecute:\n  execute_notebooks: 'off'\n"
            "parse:\n  myst_enable_extensions: [dollarmath]\n"
        )
        (book / "_toc.yml").write_text(
            "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/01_tiny\n"
        )
        return book

    return write
