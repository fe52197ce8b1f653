"""Rerunning a chapter with its defaults gives byte-identical result tables.

Compares a fresh run of each fast chapter with the results of the built book
(``make book``). The mixture chapter's samplers are checked for determinism
in test_wqs.py and test_bkmr.py (same seed, same draws) instead, because
rerunning it here would double its minutes in CI.
"""

import pytest

from osteometals.book.build import BUILD_DIR, execute_chapter
from osteometals.book.chapters import list_chapters

FAST = [c for c in list_chapters() if not c.name.startswith("05_")]


@pytest.mark.book
@pytest.mark.mirror
@pytest.mark.slow
@pytest.mark.parametrize("chapter", FAST, ids=lambda c: c.name)
def test_a_second_run_reproduces_every_csv_byte_for_byte(chapter, tmp_path):
    built = BUILD_DIR / "results" / chapter.name
    if not built.is_dir():
        pytest.fail("the book is not built: run `make book` first")
    execute_chapter(
        chapter, tmp_path / f"{chapter.name}.ipynb", tmp_path / "results",
        extra={"results_root": str((BUILD_DIR / "results").resolve())},
    )
    expected = sorted(p.name for p in built.glob("*.csv"))
    assert expected, f"{chapter.name} wrote no CSV"
    assert sorted(p.name for p in (tmp_path / "results").glob("*.csv")) == expected
    for name in expected:
        assert (tmp_path / "results" / name).read_bytes() == (built / name).read_bytes(), name
