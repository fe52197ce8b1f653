"""How the book was built: code, environment, BLAS, data files and timings.

The appendix page "How this book was built" (``book/appendix/provenance.md``)
runs last in ``make book`` and shows these tables, so that a reader citing a
number can say exactly what produced it: the git commit, the build date, the
Python and the version of every direct dependency beside its locked version,
the BLAS library in use (through :mod:`threadpoolctl`), the sha256 of every
NHANES file behind the cohort with where it came from, and the wall time of
each chapter. No table holds a path of the building machine.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from osteometals.book import lockfile

REPO = Path(__file__).resolve().parents[3]


def git_commit(repo: Path = REPO) -> dict[str, str]:
    """The commit the book was built from, and whether the work tree differed from it.

    Returns
    -------
    dict
        ``commit`` (full hash, or ``"unknown"`` outside a git checkout) and
        ``state`` (``"clean"``, ``"modified"`` or ``"unknown"``).
    """
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                                  text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    state = "unknown" if status is None else ("clean" if status == "" else "modified")
    return {"commit": commit or "unknown", "state": state}


def build_summary(now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per fact of the build: commit, date, Python, platform.

    Returns
    -------
    pandas.DataFrame
        Columns ``item, value``.
    """
    now = now or dt.datetime.now(dt.UTC)
    commit = git_commit()
    rows = [
        ("git commit", commit["commit"]),
        ("work tree", commit["state"]),
        ("build date (UTC)", now.strftime("%Y-%m-%d %H:%M")),
        ("Python", platform.python_version()),
        ("platform", f"{platform.system()} {platform.machine()}"),
        ("lock", lockfile.LOCK.name),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def dependencies() -> pd.DataFrame:
    """Every direct dependency: its range, its locked and its installed version.

    Returns
    -------
    pandas.DataFrame
        Columns ``package, required, locked, installed, matches_lock``.
    """
    pins = lockfile.read_lock() if lockfile.LOCK.is_file() else {}
    rows = []
    for req in lockfile.direct_requirements():
        name = lockfile.requirement_name(req)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        locked = pins.get(name, "not in lock")
        rows.append({"package": name, "required": req[len(name):].strip() or "any",
                     "locked": locked, "installed": installed,
                     "matches_lock": installed == locked})
    return pd.DataFrame(rows).sort_values("package").reset_index(drop=True)


def blas() -> pd.DataFrame:
    """The BLAS and OpenMP libraries loaded in this process (:func:`threadpoolctl.threadpool_info`).

    Returns
    -------
    pandas.DataFrame
        Columns ``api, library, version, threads, file`` (``file`` is the file
        name only, not its folder).
    """
    import numpy  # noqa: F401 - load numpy's BLAS before asking
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    rows = [
        {"api": info.get("internal_api", ""), "library": info.get("prefix", ""),
         "version": info.get("version") or "", "threads": info.get("num_threads"),
         "file": Path(info.get("filepath", "")).name}
        for info in threadpool_info()
    ]
    return pd.DataFrame(rows, columns=["api", "library", "version", "threads", "file"])


def read_log(path: Path) -> pd.DataFrame:
    """The NHANES files read while the book was built (``OSTEOMETALS_READ_LOG``).

    Returns
    -------
    pandas.DataFrame
        One row per table read, deduplicated: ``table, file, sha256, verified,
        source, origin`` (empty if nothing was read, e.g. every cohort came
        from the cohort cache).
    """
    columns = ["table", "file", "sha256", "verified", "source", "origin"]
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    frame = pd.DataFrame(entries, columns=columns)
    return frame.drop_duplicates(["table", "sha256"]).sort_values("table").reset_index(drop=True)


def data_files(cohort_sources: pd.DataFrame, reads: pd.DataFrame) -> pd.DataFrame:
    """Every NHANES file behind the cohort, and how this build obtained it.

    Parameters
    ----------
    cohort_sources : pandas.DataFrame
        ``Cohort.sources`` of the book's cohort: the files it was built from.
    reads : pandas.DataFrame
        :func:`read_log` of this build.

    Returns
    -------
    pandas.DataFrame
        Columns ``table, file, sha256, verified, origin, this_build``, where
        ``this_build`` says whether the build read the file (and from where:
        ``cache``, ``mirror`` or ``download``) or took the cohort from the
        cohort cache.
    """
    how = dict(zip(reads["table"], reads["source"], strict=True)) if len(reads) else {}
    out = cohort_sources[["table", "file", "sha256", "verified", "origin"]].copy()
    out["this_build"] = [
        f"read ({how[t]})" if t in how else "not read: cohort from the cohort cache"
        for t in out["table"]
    ]
    return out.reset_index(drop=True)


def timings(build_dir: Path) -> pd.DataFrame:
    """Wall time of each chapter executed so far in this build (``timings.csv``).

    Returns
    -------
    pandas.DataFrame
        Columns ``chapter, seconds``.
    """
    path = Path(build_dir) / "timings.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["chapter", "seconds"])
    return pd.read_csv(path)

