"""Find the results files that later chapters read, through the chapter registry.

A chapter writes its tidy CSVs to ``<results_root>/<chapter>/``. A later
chapter (the discussion, the scorecard) asks for files by name, e.g.
``{"Table 3": "table3.csv"}``; this module looks for each name in the results
folder of every chapter of the book (:func:`osteometals.book.chapters.list_chapters`),
so renaming or renumbering a chapter needs no change anywhere else. File
names are unique across the book.

A file that no chapter of the book has written is an error, not a silent
gap: its cells would otherwise be reported as "not compared". So is a name
written by two chapters (the reader could not tell which one is meant). The
folder of a chapter that is no longer in the book is never searched, so stale
results of a renamed chapter cannot be picked up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from osteometals.book.chapters import Chapter, list_chapters

__all__ = ["ResultsNotFound", "locate_results", "located"]


class ResultsNotFound(FileNotFoundError):
    """A results file that no chapter of the book has written (or that two have)."""


def locate_results(
    results_root: str | Path,
    files: Mapping[str, str],
    chapters: Iterable[Chapter] | None = None,
) -> dict[str, Path]:
    """Path of each named results file, found in the chapter that wrote it.

    Parameters
    ----------
    results_root : str or Path
        Folder with one sub-folder per chapter (``book/_build/results``).
    files : mapping
        Key (e.g. ``"Table 3"``) -> file name (``"table3.csv"``).
    chapters : iterable of Chapter, optional
        The chapters to search; default every chapter of the book.

    Returns
    -------
    dict
        Key -> path of the file.

    Raises
    ------
    ResultsNotFound
        If a file is in no chapter's results folder (the message names the
        file, the folder searched and how to make the file), or in more than one.
    """
    root = Path(results_root)
    chapters = list(list_chapters() if chapters is None else chapters)
    found: dict[str, Path] = {}
    for key, name in files.items():
        hits = [root / c.name / name for c in chapters if (root / c.name / name).is_file()]
        if not hits:
            raise ResultsNotFound(
                f"{key}: no chapter of the book has written {name!r} under {root} "
                f"(searched {', '.join(c.name for c in chapters)}); build the book first "
                "(make book) or rerun the chapter that writes it")
        if len(hits) > 1:
            raise ResultsNotFound(
                f"{key}: {name!r} is written by more than one chapter "
                f"({', '.join(h.parent.name for h in hits)}); file names must be unique")
        found[key] = hits[0]
    return found


def located(paths: Mapping[str, Path], root: str | Path | None = None) -> pd.DataFrame:
    """The located files as a table for a chapter to show.

    Parameters
    ----------
    paths : mapping
        Output of :func:`locate_results`.
    root : str or Path, optional
        Shown relative to this folder if given.

    Returns
    -------
    pandas.DataFrame
        Columns ``results``, ``chapter`` and ``file``.
    """
    rows = [{"results": key, "chapter": path.parent.name,
             "file": str(path.relative_to(root)) if root is not None else str(path)}
            for key, path in paths.items()]
    return pd.DataFrame(rows, columns=["results", "chapter", "file"])
