"""The command line: list parameters, rerun a chapter into its own folder, refuse bad input."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from osteometals.book.build import BUILD_DIR
from osteometals.book.chapters import find_chapter


def osteometals(*args, env=None):
    """Run the installed ``osteometals`` command; return the completed process."""
    exe = Path(sys.executable).parent / "osteometals"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env)


def test_list_shows_each_parameter_with_type_range_default_and_help():
    out = osteometals("list", "03").stdout
    chapter = find_chapter("03")
    assert chapter.name in out
    for p in chapter.parameters:
        assert p.name in out and p.help in out
    assert "float in (0, 1)" in out  # alpha's range


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "03", "-p", "no_such_parameter", "1"], "has no parameter 'no_such_parameter'"),
        (["run", "03", "-p", "spine_reference", "dxa"], "choose one of"),
        (["run", "99_nothing"], "no chapter called"),
        (["run", "03", "-p", "spine_reference"], "expected '-p NAME VALUE'"),
        (["run", "03", "-p", "alpha", "7"], "must lie in (0, 1)"),
    ],
)
def test_bad_chapter_or_parameter_fails_at_once_with_a_clear_message(args, message):
    start = time.perf_counter()
    result = osteometals(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    # refused before any chapter runs: a run of chapter 03 takes minutes, refusing
    # takes the ~2 s of starting Python; 30 s is slack for a loaded CI machine
    assert time.perf_counter() - start < 30


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


@pytest.mark.mirror
@pytest.mark.book
@pytest.mark.slow
def test_rerun_with_another_spine_reference_goes_to_its_own_folder(tmp_path, monkeypatch):
    default_results = BUILD_DIR / "results" / "03_quartile_odds"
    if not default_results.is_dir():
        pytest.fail("the book is not built: run `make book` first")
    before = _digest(default_results)
    chapter = find_chapter("03")
    other = next(c for c in chapter.parameter("spine_reference").choices
                 if c != chapter.parameter("spine_reference").default)
    env = dict(os.environ, OSTEOMETALS_RUNS_DIR=str(tmp_path))
    result = osteometals("run", "03", "-p", "spine_reference", other, env=env)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / chapter.name / f"spine_reference={other}"
    assert str(folder) in result.stdout
    assert (folder / f"{chapter.name}.ipynb").is_file()
    assert (folder / f"{chapter.name}.html").is_file()
    assert _digest(folder / "results"), "the rerun wrote no results"
    assert _digest(folder / "results") != before, "another reference changed nothing"
    assert _digest(default_results) == before, "the rerun touched the default book"


@pytest.mark.mirror
@pytest.mark.book
@pytest.mark.slow
def test_after_make_book_a_rerun_needs_no_mirror_and_prints_no_kernel_warning(tmp_path):
    """README: after `make book` (which read the mirror), `osteometals run` works as
    written, with NHANES_MIRROR unset: the mirror's files were copied into the cache."""
    env = {k: v for k, v in os.environ.items() if k != "NHANES_MIRROR"}
    env["OSTEOMETALS_RUNS_DIR"] = str(tmp_path)
    result = osteometals("run", "03", "-p", "alpha", "0.1", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "03_quartile_odds" / "alpha=0.1" / "results").is_dir()
    assert "without encryption" not in result.stderr + result.stdout
    assert "Unable to parse" not in result.stderr + result.stdout  # papermill's cell reader
