"""Find, download, verify and read NHANES tables.

``load_table("P_DEMO")`` returns one NHANES table as a DataFrame. The file
is looked for, in order:

1. in the download cache (``OSTEOMETALS_CACHE``, by default
   ``<repo>/data/cache/nhanes``);
2. in the offline mirror named by the environment variable ``NHANES_MIRROR``
   (a folder laid out like the shared mirror: ``raw/<TABLE>.XPT`` and
   ``other/<TABLE>.parquet``), which is a download source like the CDC: a
   verified mirror file is copied into the cache, so later commands find it
   there without the variable;
3. on the CDC web site (``OSTEOMETALS_BASE_URL`` overrides the address),
   downloaded with :func:`pooch.retrieve` into the cache.

The cache's ``manifest.json`` records where each cached file came from (the
CDC address or the file inside the mirror), for the book's provenance page.
When ``OSTEOMETALS_READ_LOG`` names a file, every table read appends one JSON
line to it (table, file, sha256, how it was found, origin); the book build
sets it.

Every file with a known sha256 (see :mod:`osteometals.nhanes.registry`) is checked
before it is read. A file that fails the check is refused with
:class:`ChecksumMismatch`; it is never read and never silently replaced by
another source.

Tables read from XPT and from the mirror's Parquet copies look the same:
``SEQN`` is int64, every other numeric column float64, and the tiny values
(such as 5.4e-79) that SAS transport files hold for some zeros are exact 0.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from osteometals.nhanes.registry import (
    BASE_URL_ENV,
    MirrorFile,
    Table,
    get_table,
    study_tables,
)

#: Environment variable naming an offline mirror folder.
MIRROR_ENV = "NHANES_MIRROR"
#: Environment variable overriding the download cache folder.
CACHE_ENV = "OSTEOMETALS_CACHE"
#: Values with a smaller magnitude are exact zeros stored oddly in XPT files.
TINY = 1e-70
#: Seconds to wait for the server before giving up a download.
DOWNLOAD_TIMEOUT = 60

Source = Literal["mirror", "cache", "download", "missing"]

_FIX_HINT = (
    f"To fix: set {MIRROR_ENV} to a folder laid out like the NHANES mirror "
    "(raw/<TABLE>.XPT, other/<TABLE>.parquet), or connect to the internet and run "
    "`osteometals data` to download the files into the cache."
)


# --- errors ---------------------------------------------------------------------------


class DataError(RuntimeError):
    """Base class of the errors of this module."""


class ChecksumMismatch(DataError):
    """A file's sha256 is not the expected one; the file was refused.

    Parameters
    ----------
    path : Path
        The refused file (for a download: where it would have been saved).
    expected, actual : str
        Expected and actual sha256 (hex).
    table : str
        Name of the NHANES table the file should hold.
    source : {"mirror", "cache", "download"}
        Where the file came from; decides the advice in the message.
    url : str, optional
        Download URL of the table.
    """

    def __init__(
        self,
        path: Path,
        expected: str,
        actual: str,
        *,
        table: str,
        source: Literal["mirror", "cache", "download"],
        url: str = "",
    ) -> None:
        self.path = Path(path)
        self.expected = expected
        self.actual = actual
        self.table = table
        self.source = source
        self.url = url
        if source == "mirror":
            what = f"Mirror file {self.path}"
            fix = (
                "Refusing to read it. Fix: replace it with an intact copy of the mirror "
                f"file, or remove it (or unset {MIRROR_ENV}) so that `osteometals data` "
                f"downloads the table from {url}."
            )
        elif source == "cache":
            what = f"Cached file {self.path}"
            fix = (
                "Refusing to read it. Fix: delete it and run `osteometals data` to "
                f"download it again from {url}."
            )
        else:
            what = f"Download of {url}"
            fix = (
                f"The download was discarded (nothing saved to {self.path}). Fix: run "
                "`osteometals data` again; if the CDC has republished the file, its "
                "checksum in osteometals/registry.py must be reviewed."
            )
        super().__init__(
            f"{what} (table {table}) failed sha256 verification: expected {expected}, "
            f"got {actual}. {fix}"
        )


@dataclass(frozen=True)
class MissingTable:
    """A table that could not be found or downloaded."""

    table: str  #: table name
    url: str  #: where it would be downloaded from
    reason: str  #: why the download failed, or was not tried


class DataUnavailable(DataError):
    """Tables could not be found or downloaded, or were refused.

    Parameters
    ----------
    missing : sequence of MissingTable
        Tables found nowhere.
    mismatches : sequence of ChecksumMismatch, optional
        Files refused because of their checksum.
    mirror : Path or None, optional
        The mirror searched (None: ``NHANES_MIRROR`` not set).
    cache : Path or None, optional
        The cache searched.
    """

    def __init__(
        self,
        missing: Sequence[MissingTable],
        mismatches: Sequence[ChecksumMismatch] = (),
        *,
        mirror: Path | None = None,
        cache: Path | None = None,
    ) -> None:
        self.missing = tuple(missing)
        self.mismatches = tuple(mismatches)
        self.mirror = mirror
        self.cache = cache
        lines: list[str] = []
        if self.missing:
            lines.append(
                f"NHANES data not available: {len(self.missing)} table(s) not found "
                "locally and not downloaded:"
            )
            width = max(len(m.table) for m in self.missing)
            lines += [f"  {m.table:<{width}}  {m.url}  ({m.reason})" for m in self.missing]
            lines.append(f"Searched: {_describe_mirror(mirror)}; cache {cache}.")
            lines.append(_FIX_HINT)
        if self.mismatches:
            if lines:
                lines.append("")
            lines.append(
                f"{len(self.mismatches)} file(s) failed sha256 verification and were refused:"
            )
            lines += [f"  - {m}" for m in self.mismatches]
        super().__init__("\n".join(lines))


class _DownloadFailed(Exception):
    """Internal: a download failed; ``offline`` if the server is unreachable."""

    def __init__(self, reason: str, *, offline: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offline = offline


# --- locations --------------------------------------------------------------------


def mirror_dir() -> Path | None:
    """Return the offline mirror folder named by ``NHANES_MIRROR``.

    Returns
    -------
    Path or None
        The folder (which may not exist), or None when the variable is unset
        or empty.
    """
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def default_cache_dir() -> Path:
    """Return the cache folder used when ``OSTEOMETALS_CACHE`` is unset.

    Returns
    -------
    Path
        ``<repo>/data/cache/nhanes`` when the package runs from its source
        tree (``lib/osteometals`` next to ``pyproject.toml``), else
        ``~/.cache/osteometals``.
    """
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "lib" / "osteometals").is_dir():
        return root / "data" / "cache" / "nhanes"
    return Path.home() / ".cache" / "osteometals"


def cache_dir() -> Path:
    """Return the download cache folder.

    Returns
    -------
    Path
        ``$OSTEOMETALS_CACHE`` if set and not empty, else
        :func:`default_cache_dir`. The folder may not exist yet.
    """
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value).expanduser() if value else default_cache_dir()


def _describe_mirror(mirror: Path | None) -> str:
    if mirror is None:
        return f"mirror {MIRROR_ENV} not set"
    if not mirror.is_dir():
        return f"mirror {MIRROR_ENV}={mirror} (not a folder)"
    return f"mirror {MIRROR_ENV}={mirror}"


# --- checksums --------------------------------------------------------------------

# (resolved path, mtime_ns, size) -> sha256 hex; files are hashed once until they change.
_HASHES: dict[tuple[str, int, int], str] = {}
# Files downloaded by this process (their source is reported as "download").
_DOWNLOADED: set[Path] = set()
# Files copied from the mirror into the cache by this process (source "mirror").
_COPIED: set[Path] = set()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256sum(path: str | os.PathLike[str]) -> str:
    """Return the sha256 of a file, remembered until the file changes.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    str
        Lower-case hex digest. Repeated calls for a file with the same
        path, modification time and size reuse the first result.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_mtime_ns, stat.st_size)
    if key not in _HASHES:
        _HASHES[key] = _hash_file(resolved)
    return _HASHES[key]


def _verify(
    path: Path, expected: str, table: Table, source: Literal["mirror", "cache"]
) -> str:
    actual = sha256sum(path)
    if actual != expected.lower():
        raise ChecksumMismatch(
            path, expected, actual, table=table.name, source=source, url=table.url
        )
    return actual


# --- locating ---------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """Where a table's file is, and whether it was verified.

    Attributes
    ----------
    table : Table
        The registry entry.
    source : {"mirror", "cache", "download", "missing"}
        How this process got the file: ``"cache"`` found in the cache,
        ``"mirror"`` copied from the mirror into the cache, ``"download"``
        fetched from the CDC into the cache.
    path : Path or None
        The file (in the cache once found or fetched), None when missing.
    verified : bool
        True if the file's sha256 equals the expected one.
    sha256 : str or None
        The file's sha256 when computed.
    note : str
        Anything worth saying (Parquet copy, no known checksum, refused ...).
    origin : str
        Where the cached file first came from (:func:`origin_of`):
        ``"CDC <url>"``, ``"mirror <file>"`` or ``"unknown"``.
    """

    table: Table
    source: Source
    path: Path | None
    verified: bool
    sha256: str | None = None
    note: str = ""
    origin: str = ""

    @property
    def present(self) -> bool:
        """Whether a usable file was found."""
        return self.path is not None and self.source != "missing"

    def as_row(self) -> dict[str, object]:
        """Return the status row of this table.

        Returns
        -------
        dict
            Keys ``table, cycle, present, verified, source, origin, path, note``.
        """
        return {
            "table": self.table.name,
            "cycle": self.table.cycle_label,
            "present": self.present,
            "verified": self.verified,
            "source": self.source,
            "origin": self.origin,
            "path": "" if self.path is None else str(self.path),
            "note": self.note,
        }


def _mirror_candidates(mirror: Path, relpath: str) -> list[Path]:
    path = mirror / relpath
    lower = path.with_suffix(path.suffix.lower())
    return [path] if lower == path else [path, lower]


# --- the cache and where its files came from ------------------------------------------

#: File in the cache folder recording where each cached file came from.
MANIFEST = "manifest.json"


def _cache_name(table: Table, candidate: MirrorFile | None) -> str:
    """Name of a table's file in the cache: the CDC XPT name, or ``<TABLE>.parquet``."""
    if candidate is not None and candidate.format == "parquet":
        return f"{table.name}.parquet"
    return table.cache_name


def _read_manifest(cache: Path) -> dict[str, dict[str, str]]:
    path = cache / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:  # a damaged manifest only loses the record of origins
        return {}


def _record_origin(cache: Path, name: str, entry: dict[str, str]) -> None:
    """Write where the cached file ``name`` came from into the cache's manifest."""
    manifest = _read_manifest(cache)
    manifest[name] = entry
    tmp = cache / f"{MANIFEST}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    tmp.replace(cache / MANIFEST)


def origin_of(path: Path) -> str:
    """Where a cached file came from, as recorded when it was cached.

    Returns
    -------
    str
        ``"CDC <url>"``, ``"mirror <file inside the mirror>"``, or ``"unknown"``
        for a file cached before origins were recorded (or placed by hand).
    """
    entry = _read_manifest(Path(path).parent).get(Path(path).name)
    if not entry:
        return "unknown"
    return f"{entry['origin']} {entry['from']}"


def _copy_from_mirror(table: Table, candidate: MirrorFile, source: Path, cache: Path) -> Path:
    """Copy a verified mirror file into the cache (atomically) and record its origin."""
    cache.mkdir(parents=True, exist_ok=True)
    name = _cache_name(table, candidate)
    tmp = cache / f"{name}.tmp{os.getpid()}"
    shutil.copyfile(source, tmp)
    if sha256sum(tmp) != candidate.sha256:  # pragma: no cover - the disk changed under us
        tmp.unlink()
        raise ChecksumMismatch(source, candidate.sha256, sha256sum(source), table=table.name,
                               source="mirror", url=table.url)
    tmp.replace(cache / name)
    _record_origin(cache, name, {"origin": "mirror", "from": candidate.path,
                                 "sha256": candidate.sha256})
    _COPIED.add((cache / name).resolve())
    return cache / name


def _find_cached(table: Table, cache: Path) -> Located | None:
    """The cached file of a table, verified; None if the cache has none.

    Raises ChecksumMismatch for a cached file with the wrong checksum.
    """
    candidates: list[tuple[str, str | None, str]] = [
        (table.cache_name, table.xpt_sha256, "")
    ]
    candidates += [(_cache_name(table, m), m.sha256, "Parquet copy of the CDC XPT")
                   for m in table.mirror if m.format == "parquet"]
    for name, expected, note in candidates:
        path = cache / name
        if not path.is_file():
            continue
        resolved = path.resolve()
        source: Source = ("download" if resolved in _DOWNLOADED else
                          "mirror" if resolved in _COPIED else "cache")
        origin = origin_of(path)
        if expected is None:
            return Located(table, source, path, False, sha256sum(path),
                           "no known sha256 for this CDC file", origin)
        digest = _verify(path, expected, table, "cache")
        return Located(table, source, path, True, digest, note, origin)
    return None


def _find_local(table: Table, mirror: Path | None, cache: Path, copy: bool = True
                ) -> Located | None:
    """A table's file from the cache, else from the mirror (copied into the cache).

    The mirror is a download source like the CDC: a verified mirror file is
    copied into the cache, so that later commands find it there without
    ``NHANES_MIRROR``. With ``copy=False`` (status reports) the mirror file is
    only verified. Returns None when neither has the table.

    Raises ChecksumMismatch for a file present with the wrong checksum.
    """
    found = _find_cached(table, cache)
    if found is not None:
        return found
    if mirror is None or not mirror.is_dir():
        return None
    for candidate in table.mirror:
        for path in _mirror_candidates(mirror, candidate.path):
            if path.is_file():
                digest = _verify(path, candidate.sha256, table, "mirror")
                note = "Parquet copy of the CDC XPT" if candidate.format == "parquet" else ""
                origin = f"mirror {candidate.path}"
                if not copy:
                    return Located(table, "mirror", path, True, digest, note, origin)
                cached = _copy_from_mirror(table, candidate, path, cache)
                return Located(table, "mirror", cached, True, digest, note, origin)
    return None


class _LazyProgress:
    """A tqdm bar that appears only once the server answers.

    pooch sets ``total`` after a successful response, so a failed connection
    prints no empty bar before the error message.
    """

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self._bar = None

    @property
    def total(self) -> float | None:
        return None if self._bar is None else self._bar.total

    @total.setter
    def total(self, value: float) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=value or None, desc=self.desc, unit="B", unit_scale=True,
                unit_divisor=1024, leave=True,
            )
        else:
            self._bar.total = value

    def update(self, n: float) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def reset(self) -> None:
        if self._bar is not None:
            self._bar.reset()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


_POOCH_MISMATCH = re.compile(r"expected (?:\w+:)?([0-9a-fA-F]{64}) but got ([0-9a-fA-F]{64})")


def _failure_reason(exc: Exception, url: str) -> tuple[str, bool]:
    """Short reason for a failed download, and whether the server is unreachable."""
    import requests

    host = urlsplit(url).netloc or url
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"download failed: HTTP {exc.response.status_code}", False
    if isinstance(exc, requests.exceptions.Timeout):
        return f"download failed: no answer from {host} within {DOWNLOAD_TIMEOUT} s", True
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"download failed: cannot connect to {host}", True
    return f"download failed: {type(exc).__name__}: {exc}", False


def _download(table: Table, cache: Path, progress: bool) -> Located:
    """Download a table's XPT into the cache with pooch; verify it if possible."""
    import pooch
    import requests

    url = table.url
    known_hash = f"sha256:{table.xpt_sha256}" if table.xpt_sha256 else None
    bar = _LazyProgress(table.name) if progress else False
    downloader = pooch.HTTPDownloader(progressbar=bar, timeout=DOWNLOAD_TIMEOUT)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # our own messages say what happened
    try:
        fname = pooch.retrieve(
            url, known_hash=known_hash, fname=table.cache_name, path=cache,
            downloader=downloader,
        )
    except ValueError as exc:
        match = _POOCH_MISMATCH.search(str(exc))
        if match is None:
            raise _DownloadFailed(f"download failed: {exc}", offline=False) from exc
        raise ChecksumMismatch(
            cache / table.cache_name, match[1].lower(), match[2].lower(),
            table=table.name, source="download", url=url,
        ) from exc
    except requests.exceptions.RequestException as exc:
        reason, offline = _failure_reason(exc, url)
        raise _DownloadFailed(reason, offline=offline) from exc
    except OSError as exc:
        raise _DownloadFailed(f"download failed: {exc}", offline=False) from exc
    finally:
        logger.setLevel(level)
        if bar:
            bar.close()
    path = Path(fname)
    _DOWNLOADED.add(path.resolve())
    digest = sha256sum(path)
    _record_origin(cache, path.name, {"origin": "CDC", "from": url, "sha256": digest})
    origin = f"CDC {url}"
    if known_hash is None:
        return Located(table, "download", path, False, digest,
                       "no known sha256 for this CDC file", origin)
    return Located(table, "download", path, True, digest, "", origin)


def _mirror_and_cache() -> tuple[Path | None, Path]:
    mirror = mirror_dir()
    if mirror is not None and not mirror.is_dir():
        warnings.warn(
            f"{MIRROR_ENV}={mirror} is not a folder; looking in the cache and online instead.",
            stacklevel=3,
        )
    return mirror, cache_dir()


def locate_table(
    name: str,
    *,
    download: bool = True,
    progress: bool = False,
    registry: Mapping[str, Table] | None = None,
) -> Located:
    """Find a table's file in the mirror or cache, or download it.

    Parameters
    ----------
    name : str
        Table name, e.g. ``"P_DEMO"``.
    download : bool, optional
        Download the table into the cache when it is found nowhere.
    progress : bool, optional
        Show a progress bar while downloading.
    registry : mapping of str to Table, optional
        Tables to use instead of :data:`osteometals.nhanes.registry.TABLES`.

    Returns
    -------
    Located
        A present file; ``verified`` is False only for a cache file without
        a known checksum.

    Raises
    ------
    ChecksumMismatch
        If the file found (or downloaded) has the wrong sha256.
    DataUnavailable
        If the table is found nowhere and could not be downloaded.
    """
    table = get_table(name, registry)
    mirror, cache = _mirror_and_cache()
    found = _find_local(table, mirror, cache)
    if found is not None:
        return found
    reason = "download not requested"
    if download:
        try:
            return _download(table, cache, progress)
        except _DownloadFailed as exc:
            reason = exc.reason
    raise DataUnavailable([MissingTable(table.name, table.url, reason)],
                          mirror=mirror, cache=cache)


def load_table(
    name: str,
    *,
    progress: bool = True,
    registry: Mapping[str, Table] | None = None,
) -> pd.DataFrame:
    """Return one NHANES table, from the mirror, the cache or the CDC.

    Parameters
    ----------
    name : str
        Table name, e.g. ``"P_DEMO"`` or ``"DEMO_H"``.
    progress : bool, optional
        Show a progress bar if the file must be downloaded.
    registry : mapping of str to Table, optional
        Tables to use instead of :data:`osteometals.nhanes.registry.TABLES`.

    Returns
    -------
    pandas.DataFrame
        One row per record, the NHANES variable names as columns; see
        :func:`read_table_file` for the dtypes.

    Raises
    ------
    ChecksumMismatch
        If the file has the wrong sha256 (it is not read).
    DataUnavailable
        If the table is found nowhere and could not be downloaded.
    """
    located = locate_table(name, download=True, progress=progress, registry=registry)
    assert located.path is not None
    _log_read(located)
    return read_table_file(located.path)


#: A table reader, ``loader(table_name) -> DataFrame``: the ``loader=`` argument
#: of the cohort and validation functions (:func:`load_table` by default; tests
#: pass synthetic tables).
Loader = Callable[[str], pd.DataFrame]


def table_reader(loader: Loader | None = None) -> Loader:
    """``loader``, or :func:`load_table` when it is ``None``."""
    return load_table if loader is None else loader


#: Environment variable naming a file to which every table read is appended.
READ_LOG_ENV = "OSTEOMETALS_READ_LOG"


def _log_read(located: Located) -> None:
    log = os.environ.get(READ_LOG_ENV, "").strip()
    if not log:
        return
    entry = {"table": located.table.name, "file": located.path.name if located.path else "",
             "sha256": located.sha256, "verified": located.verified,
             "source": located.source, "origin": located.origin}
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")


def ensure_tables(
    names: Iterable[str] | None = None,
    *,
    progress: bool = True,
    registry: Mapping[str, Table] | None = None,
) -> list[Located]:
    """Make sure tables are available: find each one or download it.

    Parameters
    ----------
    names : iterable of str, optional
        Table names; the study tables of cycles H and P by default.
    progress : bool, optional
        Show a progress bar for each download.
    registry : mapping of str to Table, optional
        Tables to use instead of :data:`osteometals.nhanes.registry.TABLES`.

    Returns
    -------
    list of Located
        One entry per table, in the order given.

    Raises
    ------
    DataUnavailable
        After trying every table, if any is missing or refused: one error
        that lists all of them. Once the server proves unreachable, the
        remaining downloads are not attempted.
    """
    if names is None:
        names = [t.name for t in study_tables(registry=registry)]
    tables = [get_table(n, registry) for n in names]
    mirror, cache = _mirror_and_cache()
    located: list[Located] = []
    missing: list[MissingTable] = []
    mismatches: list[ChecksumMismatch] = []
    offline_reason: str | None = None
    for table in tables:
        try:
            found = _find_local(table, mirror, cache)
            if found is None:
                if offline_reason is not None:
                    missing.append(MissingTable(table.name, table.url, offline_reason))
                    continue
                found = _download(table, cache, progress)
        except ChecksumMismatch as exc:
            mismatches.append(exc)
            continue
        except _DownloadFailed as exc:
            missing.append(MissingTable(table.name, table.url, exc.reason))
            if exc.offline:
                offline_reason = exc.reason.replace("download failed", "not tried")
            continue
        located.append(found)
    if missing or mismatches:
        raise DataUnavailable(missing, mismatches, mirror=mirror, cache=cache)
    return located


def table_status(
    names: Iterable[str] | None = None,
    *,
    registry: Mapping[str, Table] | None = None,
) -> pd.DataFrame:
    """Report which tables are available locally, without downloading.

    Parameters
    ----------
    names : iterable of str, optional
        Table names; the study tables of cycles H and P by default.
    registry : mapping of str to Table, optional
        Tables to use instead of :data:`osteometals.nhanes.registry.TABLES`.

    Returns
    -------
    pandas.DataFrame
        One row per table with columns ``table``, ``cycle``, ``present``,
        ``verified``, ``source`` (``cache``; ``mirror`` for a file the mirror
        would supply; ``download`` for files fetched by this process; or
        ``missing``), ``origin`` (:func:`origin_of`), ``path`` and ``note``. A
        file with the wrong checksum is present, not verified, and noted as
        refused. Nothing is copied or downloaded.
    """
    if names is None:
        names = [t.name for t in study_tables(registry=registry)]
    mirror, cache = mirror_dir(), cache_dir()
    rows = []
    for name in names:
        table = get_table(name, registry)
        try:
            found = _find_local(table, mirror, cache, copy=False)
        except ChecksumMismatch as exc:
            found = Located(table, exc.source, exc.path, False, exc.actual,
                            f"sha256 mismatch (expected {exc.expected}): refused")
        if found is None:
            found = Located(table, "missing", None, False, None, table.url)
        rows.append(found.as_row())
    columns = ["table", "cycle", "present", "verified", "source", "origin", "path", "note"]
    return pd.DataFrame(rows, columns=columns)


# --- reading ----------------------------------------------------------------------


def read_table_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an NHANES XPT or Parquet file into a normalised DataFrame.

    Parameters
    ----------
    path : path-like
        A ``.xpt`` (SAS transport) or ``.parquet`` file; case of the suffix
        does not matter.

    Returns
    -------
    pandas.DataFrame
        Columns as in the file. ``SEQN`` is int64; every other numeric
        column is float64 with values below 1e-70 in magnitude set to 0;
        text columns are kept as read. No checksum is checked here.

    Raises
    ------
    ValueError
        For another file type, or when ``SEQN`` is absent, missing or not
        an integer.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xpt":
        import pyreadstat

        frame, _meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"{path}: not an XPT or Parquet file")
    try:
        return normalise_table(frame)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def normalise_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Give an NHANES table the same dtypes whatever file it came from.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table as read from XPT or Parquet, with a ``SEQN`` column.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh RangeIndex: ``SEQN`` as int64, other
        numeric columns as float64 with |x| < :data:`TINY` set to exactly 0,
        other columns unchanged.

    Raises
    ------
    ValueError
        If ``SEQN`` is absent, has missing values or non-integer values.
    """
    if "SEQN" not in frame.columns and frame.index.name == "SEQN":
        frame = frame.reset_index()
    if "SEQN" not in frame.columns:
        raise ValueError("no SEQN column")
    frame = frame.reset_index(drop=True)
    columns: dict[str, object] = {}
    for col in frame.columns:
        values = frame[col]
        if col == "SEQN":
            seqn = values.to_numpy(dtype="float64")
            if np.isnan(seqn).any() or (seqn != np.round(seqn)).any():
                raise ValueError("SEQN has missing or non-integer values")
            columns[col] = seqn.astype("int64")
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
            numbers[np.abs(numbers) < TINY] = 0.0
            columns[col] = numbers
        else:
            columns[col] = values
    return pd.DataFrame(columns, index=frame.index)


__all__ = [
    "BASE_URL_ENV",
    "CACHE_ENV",
    "MIRROR_ENV",
    "READ_LOG_ENV",
    "ChecksumMismatch",
    "DataError",
    "DataUnavailable",
    "Loader",
    "Located",
    "MissingTable",
    "cache_dir",
    "default_cache_dir",
    "ensure_tables",
    "load_table",
    "locate_table",
    "mirror_dir",
    "normalise_table",
    "origin_of",
    "read_table_file",
    "sha256sum",
    "table_reader",
    "table_status",
]
