"""Later chapters find earlier results through the chapter registry (osteometals.book.results).

The chapters here are throw-away files in a temporary book; no real book is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from osteometals.book.chapters import list_chapters
from osteometals.book.results import ResultsNotFound, locate_results, located

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
:tags: [parameters]

output_dir: str = "results"  # folder for this chapter's CSV files
```
"""


def _book(tmp_path: Path, names: list[str]) -> list:
    folder = tmp_path / "chapters"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.md").write_text(CHAPTER.format(title=name))
    return list_chapters(folder)


def _write(root: Path, chapter: str, name: str) -> Path:
    (root / chapter).mkdir(parents=True, exist_ok=True)
    path = root / chapter / name
    path.write_text("a\n1\n")
    return path


def test_each_file_is_found_in_the_chapter_that_wrote_it(tmp_path):
    chapters = _book(tmp_path, ["03_odds", "04_bone"])
    root = tmp_path / "results"
    t2 = _write(root, "03_odds", "table2.csv")
    t3 = _write(root, "04_bone", "table3.csv")
    paths = locate_results(root, {"Table 2": "table2.csv", "Table 3": "table3.csv"}, chapters)
    assert paths == {"Table 2": t2, "Table 3": t3}
    shown = located(paths, root)
    assert shown["chapter"].tolist() == ["03_odds", "04_bone"]
    assert shown["file"].tolist() == ["03_odds/table2.csv", "04_bone/table3.csv"]


def test_a_renamed_chapter_is_still_found_and_its_stale_folder_ignored(tmp_path):
    chapters = _book(tmp_path, ["05_bone_density"])  # was 04_bone
    root = tmp_path / "results"
    _write(root, "04_bone", "table3.csv")  # stale results of the old name
    new = _write(root, "05_bone_density", "table3.csv")
    assert locate_results(root, {"Table 3": "table3.csv"}, chapters) == {"Table 3": new}


def test_a_file_no_chapter_wrote_is_an_error_that_names_it(tmp_path):
    chapters = _book(tmp_path, ["03_odds", "04_bone"])
    root = tmp_path / "results"
    _write(root, "03_odds", "table2.csv")
    with pytest.raises(ResultsNotFound, match=r"Table 3: no chapter .* 'table3.csv'.*03_odds, "
                                              r"04_bone.*make book"):
        locate_results(root, {"Table 2": "table2.csv", "Table 3": "table3.csv"}, chapters)


def test_a_file_written_by_two_chapters_is_an_error(tmp_path):
    chapters = _book(tmp_path, ["03_odds", "04_bone"])
    root = tmp_path / "results"
    _write(root, "03_odds", "table2.csv")
    _write(root, "04_bone", "table2.csv")
    with pytest.raises(ResultsNotFound, match="more than one chapter"):
        locate_results(root, {"Table 2": "table2.csv"}, chapters)


def test_the_books_scorecard_files_are_each_written_by_one_chapter_source():
    """Each file the scorecard reads is named in the source of exactly one chapter of the
    book, so a build writes it where :func:`locate_results` will look."""
    from osteometals.paper.scorecard import RESULT_FILES

    sources = {c.name: c.path.read_text(encoding="utf-8") for c in list_chapters()}
    for table, name in RESULT_FILES.items():
        writers = [c for c, text in sources.items() if f'"{name}"' in text]
        assert len(writers) == 1, f"{table}: {name} is named in {writers}"
