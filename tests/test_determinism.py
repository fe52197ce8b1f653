"""Rerunning a chapter with its defaults gives the same result tables.

Compares a fresh run of each fast chapter with the results of the built book
(``make book``). Every CSV must have the same columns, rows and text cells,
and every number must agree to 12 significant digits. Byte-for-byte identity
is the rule, but not a promise floating point makes across processes: one
CI run (issue 15) found the design-based interaction tests of chapter 6
differing in the 15th-16th digit between the build and the rerun, the kind
of difference a changed summation order leaves (SIMD reductions in numpy
and BLAS depend on memory alignment and thread splits). Twelve digits is
far below anything the book reports (at most four) and far above that
noise (about 1e-15 relative).

The mixture chapter's samplers are checked for determinism in test_wqs.py
and test_bkmr.py (same seed, same draws) instead, because rerunning it here
would double its minutes in CI.
"""

import numpy as np
import pandas as pd
import pytest

from osteometals.book.build import BUILD_DIR, execute_chapter
from osteometals.book.chapters import list_chapters

FAST = [c for c in list_chapters() if not c.name.startswith("05_")]
#: Relative agreement required of every number (see the module docstring).
RTOL = 1e-12


def assert_same_table(new, old, name: str) -> None:
    """The two CSV files hold the same table: equal text, numbers equal to ``RTOL``."""
    if new.read_bytes() == old.read_bytes():
        return
    a, b = pd.read_csv(new), pd.read_csv(old)
    assert list(a.columns) == list(b.columns) and a.shape == b.shape, name
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            ok = np.isclose(xv, yv, rtol=RTOL, atol=0.0, equal_nan=True)
            assert ok.all(), (f"{name}, column {col}: {(~ok).sum()} numbers differ beyond "
                              f"{RTOL:g} (first: {xv[~ok][0]!r} against {yv[~ok][0]!r})")
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{name}, column {col}"


@pytest.mark.book
@pytest.mark.mirror
@pytest.mark.slow
@pytest.mark.parametrize("chapter", FAST, ids=lambda c: c.name)
def test_a_second_run_reproduces_every_csv(chapter, tmp_path):
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
        assert_same_table(tmp_path / "results" / name, built / name, name)


def test_the_comparison_tolerates_the_last_digits_and_nothing_more(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    pd.DataFrame({"metal": ["pb", "cd"], "p": [0.5295283707830547, 1e-20]}).to_csv(old, index=False)
    pd.DataFrame({"metal": ["pb", "cd"], "p": [0.529528370783056, 1e-20]}).to_csv(new, index=False)
    assert_same_table(new, old, "x")  # 2.5e-15 relative: the CI difference
    pd.DataFrame({"metal": ["pb", "cd"], "p": [0.52952837079, 1e-20]}).to_csv(new, index=False)
    with pytest.raises(AssertionError, match="1 numbers differ"):
        assert_same_table(new, old, "x")
    pd.DataFrame({"metal": ["pb", "se"], "p": [0.5295283707830547, 1e-20]}).to_csv(new, index=False)
    with pytest.raises(AssertionError, match="column metal"):
        assert_same_table(new, old, "x")
