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

Seeds, and sweeping them: a test (or a whole module, through ``pytestmark``)
that depends on random numbers declares its seeds with a marker and takes
them as arguments, never as literals in its body::

    pytestmark = pytest.mark.seeded(data_seed=21)    # the module's simulated data

    @pytest.mark.seeded(seed=99)                      # this test's own fit
    def test_something(small, seed): ...              # ``small`` takes ``data_seed``

``seeded(11)`` is short for ``seeded(seed=11)``. The names are those of
:data:`SEED_NAMES`; a test-level marker overrides the module's default, and a
module-level name the test does not use is ignored. A normal run gives every
test exactly its declared seeds (one run per test, as fast as literals).
``pytest -m seeded --seed-sweep 20`` instead runs every seeded test under 20
other seeds, the same for every test (sweep ``i`` = 1..N sets ``seed`` to
``1000 i`` and ``data_seed`` to ``1000 i + 1``), so an assertion that holds
only for a lucky seed fails there. Seeds are parametrised at module scope,
so module-scoped fixtures may take them too (one fixture value per seed).
``-m seeded`` selects every test of a module whose ``pytestmark`` is
``seeded``; a test there that takes no seed runs once, as in a normal run.

Tests report the quantity an assertion bounds through the ``margin`` fixture
(``assert margin("largest weight error", err) < 0.15``); after a sweep the
terminal summary lists, per test and quantity, its smallest and largest value
over the seeds, i.e. how close the assertion came to failing.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SIBLING_MIRROR = REPO_ROOT.parent / "shared" / "data" / "nhanes"

if not os.environ.get("NHANES_MIRROR") and SIBLING_MIRROR.is_dir():
    os.environ["NHANES_MIRROR"] = str(SIBLING_MIRROR)


#: Seed arguments a ``seeded`` marker may declare, in the order that fixes
#: their sweep values (sweep ``i`` gives the ``k``-th name ``1000 i + k``).
SEED_NAMES = ("seed", "data_seed")

_MARGINS = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--seed-sweep", type=int, default=0, metavar="N",
        help="run every test marked `seeded` under N other seeds instead of its own "
             "(sweep i = 1..N: seed = 1000 i, data_seed = 1000 i + 1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seeded(seed=..., data_seed=...): the test's random seeds, passed as arguments; "
        "--seed-sweep N replaces them by N other seeds",
    )
    config.stash[_MARGINS] = defaultdict(list)


def declared_seeds(mark: pytest.Mark) -> dict[str, int]:
    """The seeds a ``seeded`` marker declares, by name; an unknown name fails the run."""
    if len(mark.args) > 1 or (mark.args and "seed" in mark.kwargs):
        pytest.fail(f"seeded{mark.args}: give one positional seed or keywords", pytrace=False)
    seeds = {"seed": mark.args[0]} if mark.args else {}
    seeds.update(mark.kwargs)
    unknown = set(seeds) - set(SEED_NAMES)
    if unknown:
        pytest.fail(f"seeded: unknown seed names {sorted(unknown)}; "
                    f"known: {SEED_NAMES} (tests/conftest.py)", pytrace=False)
    return seeds


def sweep_seeds(names: list[str], n: int) -> list[tuple[int, ...]]:
    """The seeds of a sweep of ``n``: one tuple (one value per name) per sweep."""
    return [tuple(1000 * i + SEED_NAMES.index(name) for name in names)
            for i in range(1, n + 1)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the seed arguments of ``seeded`` tests (see the module docstring)."""
    marks = list(metafunc.definition.iter_markers("seeded"))  # closest first
    if not marks:
        return
    defaults: dict[str, int] = {}
    for mark in reversed(marks):  # module, then class, then the test's own marker
        defaults.update(declared_seeds(mark))
    for mark in metafunc.definition.own_markers:
        if mark.name != "seeded":
            continue
        unused = set(declared_seeds(mark)) - set(metafunc.fixturenames)
        if unused:
            pytest.fail(f"{metafunc.definition.nodeid}: seeded names {sorted(unused)} are not "
                        "arguments of the test or of its fixtures", pytrace=False)
    names = [name for name in SEED_NAMES if name in defaults and name in metafunc.fixturenames]
    if not names:
        return
    n = metafunc.config.getoption("--seed-sweep")
    values = sweep_seeds(names, n) if n > 0 else [tuple(defaults[name] for name in names)]
    ids = [",".join(f"{k}={v}" for k, v in zip(names, vals, strict=True)) for vals in values]
    metafunc.parametrize(names, values, ids=ids, scope="module")


@pytest.fixture
def margin(request: pytest.FixtureRequest) -> Callable[[str, float], float]:
    """``margin(quantity, value) -> value``: records the value an assertion bounds.

    The value is returned unchanged, so it can sit inside the assertion; the
    records are shown (smallest and largest over the seeds) after a
    ``--seed-sweep`` run.
    """
    item = request.node
    params = getattr(item, "callspec", None)
    other = {k: v for k, v in (params.params if params else {}).items() if k not in SEED_NAMES}
    test = item.originalname + (f"[{','.join(map(str, other.values()))}]" if other else "")

    def record(quantity: str, value: float) -> float:
        request.config.stash[_MARGINS][(item.path.name, test, quantity)].append(float(value))
        return value

    return record


def margin_lines(margins: dict) -> list[str]:
    """One line per test and quantity: how many seeds, smallest and largest value."""
    return [f"{file}::{test} | {quantity} | n={len(values)} | "
            f"min {min(values):.4g} | max {max(values):.4g}"
            for (file, test, quantity), values in sorted(margins.items())]


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

    return "" if chromium_available() else "no chromium on the PATH (or no playwright)"


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
    """After a ``--seed-sweep`` run, the recorded margins; then name each group of
    skipped tests and the command that installs what it needs (the last lines)."""
    config = getattr(terminalreporter, "config", None)
    if config is not None and config.getoption("--seed-sweep") and config.stash.get(_MARGINS, {}):
        terminalreporter.section("seed sweep: recorded margins (smallest / largest over the seeds)")
        for line in margin_lines(config.stash[_MARGINS]):
            terminalreporter.write_line(line)
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
