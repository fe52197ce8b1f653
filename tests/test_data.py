"""Specification of the data layer: osteometals.nhanes.files and ``osteometals data``.

Unit tests use tiny synthetic tables written as XPT / Parquet into a fake
mirror, an empty cache in ``tmp_path`` and, for downloads, a local HTTP
server on loopback. Every test starts with an empty mirror, an empty cache
and a base URL where nothing listens.
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from osteometals.book.cli import app
from osteometals.nhanes import files as data
from osteometals.nhanes import registry
from osteometals.nhanes.files import (
    ChecksumMismatch,
    DataUnavailable,
    ensure_tables,
    load_table,
    locate_table,
    read_table_file,
    table_status,
)
from osteometals.nhanes.registry import make_table, study_tables

TINY_ZERO = 5.397605346934028e-79  # how some XPT zeros come back: 16**-65


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def synthetic_demo() -> pd.DataFrame:
    """A three-row stand-in for an NHANES table, as pyreadstat reads XPT."""
    return pd.DataFrame(
        {
            "SEQN": [73557.0, 73558.0, 73559.0],
            "RIAGENDR": [2.0, 1.0, 2.0],
            "RIDAGEYR": [69.0, 54.0, 72.0],
            "WTINT2YR": [TINY_ZERO, 13481.04, np.nan],
            "LBXBCD": [-TINY_ZERO, 1e-5, 0.25],
            "SMDUPCA": ["026100005738", "", "* NO MATCH *"],
        }
    )


def write_xpt(path: Path, frame: pd.DataFrame, name: str) -> str:
    """Write ``frame`` as a SAS transport (v5, as the CDC's) file; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_xport(frame, str(path), table_name=name, file_format_version=5)
    return sha256(path)


def write_parquet(path: Path, frame: pd.DataFrame) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return sha256(path)


@pytest.fixture
def unreachable_url() -> str:
    """A loopback URL where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nhanes"


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch, unreachable_url):
    """Empty fake mirror, empty cache, unreachable CDC."""
    mirror = tmp_path / "mirror"
    (mirror / "raw").mkdir(parents=True)
    (mirror / "other").mkdir()
    cache = tmp_path / "cache"
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    monkeypatch.setenv(registry.BASE_URL_ENV, unreachable_url)
    return SimpleNamespace(mirror=mirror, cache=cache, base_url=unreachable_url)


@pytest.fixture
def served(httpserver, monkeypatch):
    """A local HTTP server standing in for the CDC site."""
    monkeypatch.setenv(registry.BASE_URL_ENV, httpserver.url_for("/nhanes"))
    return httpserver


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


# --- reading --------------------------------------------------------------------


def test_a_verified_mirror_xpt_is_read_with_int_seqn_and_float_numbers(env):
    sha = write_xpt(env.mirror / "raw" / "DEMO_H.XPT", synthetic_demo(), "DEMO_H")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=sha)}

    located = locate_table("DEMO_H", registry=tables)
    frame = load_table("DEMO_H", registry=tables)

    assert (located.source, located.verified, located.path) == (
        "mirror", True, env.cache / "DEMO_H.xpt")
    assert located.origin == "mirror raw/DEMO_H.XPT"
    assert list(frame.columns) == list(synthetic_demo().columns)
    assert frame["SEQN"].dtype == np.int64
    assert frame["SEQN"].tolist() == [73557, 73558, 73559]
    for col in ["RIAGENDR", "RIDAGEYR", "WTINT2YR", "LBXBCD"]:
        assert frame[col].dtype == np.float64
    assert frame["SMDUPCA"].tolist() == ["026100005738", "", "* NO MATCH *"]


def test_tiny_xpt_floats_become_exact_zeros_and_nothing_else_changes(env):
    sha = write_xpt(env.mirror / "raw" / "DEMO_H.XPT", synthetic_demo(), "DEMO_H")
    raw, _ = pyreadstat.read_xport(str(env.mirror / "raw" / "DEMO_H.XPT"))
    assert raw["WTINT2YR"][0] == TINY_ZERO  # the file really holds the tiny value

    frame = load_table("DEMO_H", registry={"DEMO_H": make_table("DEMO", "H", xpt_sha256=sha)})

    assert frame["WTINT2YR"][0] == 0.0
    assert frame["LBXBCD"][0] == 0.0 and not np.signbit(frame["LBXBCD"][0])
    assert frame["LBXBCD"][1] == 1e-5
    assert frame["WTINT2YR"][1] == 13481.04
    assert np.isnan(frame["WTINT2YR"][2])


def test_a_parquet_copy_reads_exactly_like_the_xpt(env, tmp_path):
    """Parquet copies store SEQN as float64; the table must not depend on the format."""
    write_xpt(tmp_path / "PBCD_H.XPT", synthetic_demo(), "PBCD_H")
    # As the mirror's copies: zeros exact, numbers (SEQN too) float64.
    parquet_frame = synthetic_demo().assign(
        LBXBCD=[0.0, 1e-5, 0.25], WTINT2YR=[0.0, 13481.04, None]
    )
    sha = write_parquet(env.mirror / "other" / "PBCD_H.parquet", parquet_frame)
    tables = {"PBCD_H": make_table("PBCD", "H", xpt_sha256=None, parquet_sha256=sha)}

    from_parquet = load_table("PBCD_H", registry=tables)
    from_xpt = read_table_file(tmp_path / "PBCD_H.XPT")

    assert locate_table("PBCD_H", registry=tables).source == "mirror"
    pd.testing.assert_frame_equal(from_parquet, from_xpt)


def test_a_file_without_seqn_is_rejected(tmp_path):
    write_xpt(tmp_path / "X.XPT", pd.DataFrame({"A": [1.0]}), "X")
    with pytest.raises(ValueError, match="no SEQN"):
        read_table_file(tmp_path / "X.XPT")


# --- where files are looked for -----------------------------------------------------


def test_the_mirror_fills_the_cache_so_later_reads_need_no_mirror(env, monkeypatch):
    sha = write_xpt(env.mirror / "raw" / "DEMO_H.XPT", synthetic_demo(), "DEMO_H")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=sha)}

    first = locate_table("DEMO_H", registry=tables)
    assert (first.source, first.path) == ("mirror", env.cache / "DEMO_H.xpt")
    assert sha256(env.cache / "DEMO_H.xpt") == sha

    monkeypatch.delenv(data.MIRROR_ENV)
    monkeypatch.setattr(data, "_COPIED", set())  # as a new process: nothing copied by it
    located = locate_table("DEMO_H", registry=tables)
    assert (located.source, located.verified) == ("cache", True)
    assert located.origin == "mirror raw/DEMO_H.XPT"  # the manifest remembers the origin


def test_a_parquet_copy_from_the_mirror_is_cached_as_parquet(env, monkeypatch):
    sha = write_parquet(env.mirror / "other" / "PBCD_H.parquet", synthetic_demo())
    tables = {"PBCD_H": make_table("PBCD", "H", xpt_sha256=None, parquet_sha256=sha)}

    load_table("PBCD_H", registry=tables)
    monkeypatch.delenv(data.MIRROR_ENV)

    located = locate_table("PBCD_H", registry=tables)
    assert (located.path, located.verified) == (env.cache / "PBCD_H.parquet", True)
    assert located.note == "Parquet copy of the CDC XPT"


def test_a_verified_cache_file_is_used_before_the_mirror_is_looked_at(env):
    good = write_xpt(env.cache / "DEMO_H.xpt", synthetic_demo(), "DEMO_H")
    (env.mirror / "raw" / "DEMO_H.XPT").write_bytes(b"HEADER RECORD, truncated")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=good)}

    located = locate_table("DEMO_H", registry=tables)
    assert (located.source, located.path, located.origin) == (
        "cache", env.cache / "DEMO_H.xpt", "unknown")


def test_a_corrupt_mirror_file_is_refused_by_name_and_not_copied(env):
    good = write_xpt(env.mirror.parent / "good.XPT", synthetic_demo(), "DEMO_H")
    bad_file = env.mirror / "raw" / "DEMO_H.XPT"
    bad_file.write_bytes(b"HEADER RECORD, truncated")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=good)}

    with pytest.raises(ChecksumMismatch) as info:
        load_table("DEMO_H", registry=tables)

    err = info.value
    assert (err.path, err.source, err.expected) == (bad_file, "mirror", good)
    assert err.actual == sha256(bad_file)
    message = str(err)
    assert str(bad_file) in message and good in message and err.actual in message
    assert "Refusing to read it" in message
    assert not (env.cache / "DEMO_H.xpt").exists()


def test_a_corrupt_cache_file_is_refused_and_left_for_the_user_to_delete(env, served):
    expected = write_xpt(env.mirror.parent / "good.XPT", synthetic_demo(), "DEMO_H")
    env.cache.mkdir()
    (env.cache / "DEMO_H.xpt").write_bytes(b"not the CDC file")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=expected)}

    with pytest.raises(ChecksumMismatch, match="delete it") as info:
        load_table("DEMO_H", registry=tables)

    assert info.value.path == env.cache / "DEMO_H.xpt"
    assert (env.cache / "DEMO_H.xpt").read_bytes() == b"not the CDC file"
    assert served.log == []  # no silent re-download either


def test_a_file_is_hashed_once_until_it_changes(env, monkeypatch):
    path = env.cache / "DEMO_H.xpt"
    sha = write_xpt(path, synthetic_demo(), "DEMO_H")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=sha)}
    calls = []
    real_hash = data._hash_file
    monkeypatch.setattr(data, "_hash_file", lambda p: calls.append(p) or real_hash(p))

    for _ in range(3):
        load_table("DEMO_H", registry=tables)
    assert len(calls) == 1

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    load_table("DEMO_H", registry=tables)
    assert len(calls) == 2


# --- downloads (local HTTP server) ------------------------------------------------


def test_a_missing_table_is_downloaded_into_the_cache_and_verified(env, served, tmp_path):
    sha = write_xpt(tmp_path / "P_DEMO.XPT", synthetic_demo(), "P_DEMO")
    served.expect_request("/nhanes/2017/DataFiles/P_DEMO.xpt").respond_with_data(
        (tmp_path / "P_DEMO.XPT").read_bytes(), content_type="application/octet-stream")
    tables = {"P_DEMO": make_table("DEMO", "P", xpt_sha256=sha)}

    located = locate_table("P_DEMO", registry=tables)
    frame = load_table("P_DEMO", registry=tables)

    assert (located.source, located.verified) == ("download", True)
    assert located.path == env.cache / "P_DEMO.xpt"
    assert located.origin.startswith("CDC http://") and located.origin.endswith("P_DEMO.xpt")
    assert data.origin_of(located.path) == located.origin
    assert sha256(located.path) == sha
    assert frame["SEQN"].tolist() == [73557, 73558, 73559]
    assert len(served.log) == 1  # the second call read the cache
    assert table_status(["P_DEMO"], registry=tables)["source"].tolist() == ["download"]


def test_a_download_with_the_wrong_bytes_is_refused_and_not_kept(env, served, tmp_path):
    sha = write_xpt(tmp_path / "P_DEMO.XPT", synthetic_demo(), "P_DEMO")
    served.expect_request("/nhanes/2017/DataFiles/P_DEMO.xpt").respond_with_data(
        b"<html>Page moved</html>")
    tables = {"P_DEMO": make_table("DEMO", "P", xpt_sha256=sha)}

    with pytest.raises(ChecksumMismatch) as info:
        load_table("P_DEMO", registry=tables, progress=False)

    err = info.value
    assert err.source == "download" and err.table == "P_DEMO"
    assert err.expected == sha
    assert err.actual == hashlib.sha256(b"<html>Page moved</html>").hexdigest()
    assert served.url_for("/nhanes/2017/DataFiles/P_DEMO.xpt") in str(err)
    assert not env.cache.exists() or list(env.cache.iterdir()) == []


def test_a_download_without_a_known_checksum_is_kept_but_reported_unverified(
    env, served, tmp_path
):
    write_xpt(tmp_path / "PBCD_H.XPT", synthetic_demo(), "PBCD_H")
    served.expect_request("/nhanes/2013/DataFiles/PBCD_H.xpt").respond_with_data(
        (tmp_path / "PBCD_H.XPT").read_bytes())
    tables = {"PBCD_H": make_table("PBCD", "H", xpt_sha256=None, parquet_sha256="0" * 64)}

    located = locate_table("PBCD_H", registry=tables)

    assert (located.present, located.verified) == (True, False)
    assert "no known sha256" in located.note


def test_an_http_error_is_reported_with_its_status(served):
    served.expect_request("/nhanes/2013/DataFiles/DEMO_H.xpt").respond_with_data(
        "gone", status=404)
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256="0" * 64)}

    with pytest.raises(DataUnavailable, match="HTTP 404"):
        load_table("DEMO_H", registry=tables)


# --- all tables at once -----------------------------------------------------------


def test_with_nothing_anywhere_one_error_names_every_table_and_its_url(env):
    with pytest.raises(DataUnavailable) as info:
        ensure_tables(progress=False)

    err = info.value
    names = [t.name for t in study_tables()]
    assert [m.table for m in err.missing] == names
    message = str(err)
    for table in study_tables():
        assert f"{table.name}" in message and table.url in message
    assert data.MIRROR_ENV in message and "internet" in message
    # The first download proves the server unreachable; the rest are not tried.
    assert "cannot connect" in err.missing[0].reason
    assert all(m.reason.startswith("not tried") for m in err.missing[1:])


def good_corrupt_and_missing_tables(mirror: Path) -> dict[str, registry.Table]:
    """A registry of three tables whose mirror files are good, corrupt and missing.

    Parameters
    ----------
    mirror : pathlib.Path
        The fake mirror; files are written under ``mirror / "raw"``.

    Returns
    -------
    dict of str -> osteometals.nhanes.registry.Table
        DEMO_H, a verified synthetic XPT; BMX_H, whose bytes do not match its
        checksum; BPQ_H, with no file.
    """
    sha = write_xpt(mirror / "raw" / "DEMO_H.XPT", synthetic_demo(), "DEMO_H")
    (mirror / "raw" / "BMX_H.XPT").write_bytes(b"corrupt")
    return {
        "DEMO_H": make_table("DEMO", "H", xpt_sha256=sha),
        "BMX_H": make_table("BMX", "H", xpt_sha256=sha),
        "BPQ_H": make_table("BPQ", "H", xpt_sha256=sha),
    }


def test_ensure_tables_collects_missing_and_corrupt_tables_in_one_error(env):
    tables = good_corrupt_and_missing_tables(env.mirror)

    with pytest.raises(DataUnavailable) as info:
        ensure_tables(["DEMO_H", "BMX_H", "BPQ_H"], registry=tables, progress=False)

    assert [m.table for m in info.value.missing] == ["BPQ_H"]
    assert [m.table for m in info.value.mismatches] == ["BMX_H"]
    assert str(env.mirror / "raw" / "BMX_H.XPT") in str(info.value)


def test_table_status_reports_each_table_without_downloading(env, served):
    tables = good_corrupt_and_missing_tables(env.mirror)

    status = table_status(["DEMO_H", "BMX_H", "BPQ_H"], registry=tables).set_index("table")

    assert list(status.columns) == [
        "cycle", "present", "verified", "source", "origin", "path", "note"]
    assert status.loc["DEMO_H", ["present", "verified", "source"]].tolist() == [
        True, True, "mirror"]
    assert status.loc["BMX_H", ["present", "verified", "source"]].tolist() == [
        True, False, "mirror"]
    assert "mismatch" in status.loc["BMX_H", "note"]
    assert status.loc["BPQ_H", ["present", "verified", "source", "path"]].tolist() == [
        False, False, "missing", ""]
    assert served.log == []
    assert not env.cache.exists()  # a status report copies nothing


def test_every_table_read_is_logged_when_a_read_log_is_named(env, monkeypatch, tmp_path):
    sha = write_xpt(env.mirror / "raw" / "DEMO_H.XPT", synthetic_demo(), "DEMO_H")
    tables = {"DEMO_H": make_table("DEMO", "H", xpt_sha256=sha)}
    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(data.READ_LOG_ENV, str(log))

    load_table("DEMO_H", registry=tables)
    load_table("DEMO_H", registry=tables)

    import json

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["table"] for e in entries] == ["DEMO_H", "DEMO_H"]
    assert entries[0] == {"table": "DEMO_H", "file": "DEMO_H.xpt", "sha256": sha,
                          "verified": True, "source": "mirror",
                          "origin": "mirror raw/DEMO_H.XPT"}


# --- the command line -------------------------------------------------------------


@pytest.fixture
def two_synthetic_tables(env, monkeypatch):
    """Replace the registry by DEMO_H and BMX_H with synthetic mirror files."""
    tables = {}
    for component in ["DEMO", "BMX"]:
        name = f"{component}_H"
        sha = write_xpt(env.mirror / "raw" / f"{name}.XPT", synthetic_demo(), name)
        tables[name] = make_table(component, "H", xpt_sha256=sha)
    monkeypatch.setattr(registry, "TABLES", tables)
    return tables


def test_cli_data_lists_each_table_with_its_status(two_synthetic_tables, env):
    result = cli("data", "--cycles", "h")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "2 present, 2 verified" in lines[0]
    assert lines[1].split()[:7] == [
        "table", "cycle", "present", "verified", "source", "origin", "path"]
    assert lines[2].split()[:8] == [
        "DEMO_H", "2013-2014", "yes", "yes", "mirror", "mirror", "raw/DEMO_H.XPT",
        str(env.cache / "DEMO_H.xpt")]
    assert lines[3].split()[0] == "BMX_H"


def test_cli_data_refuses_a_corrupt_mirror_file_by_name(two_synthetic_tables, env):
    corrupt = env.mirror / "raw" / "BMX_H.XPT"
    corrupt.write_bytes(corrupt.read_bytes()[:-80])

    result = cli("data", "--cycles", "H")

    assert result.exit_code == 1
    assert str(corrupt) in result.stderr
    assert "sha256" in result.stderr
    assert "Traceback" not in result.output


def test_cli_data_without_mirror_cache_or_network_prints_one_clear_message(env):
    result = cli("data")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    err = result.stderr
    assert err.count("Error:") == 1
    assert "Traceback" not in err
    for table in study_tables(["H", "P"]):
        assert table.url in err
    assert "NHANES_MIRROR" in err


def test_cli_data_downloads_with_a_progress_bar(two_synthetic_tables, env, served):
    xpt = env.mirror / "raw" / "BMX_H.XPT"
    served.expect_request("/nhanes/2013/DataFiles/BMX_H.xpt").respond_with_data(
        xpt.read_bytes())
    moved = xpt.rename(env.mirror.parent / "BMX_H.XPT")

    result = cli("data", "--cycles", "H")

    assert result.exit_code == 0, result.output
    assert "BMX_H" in result.stderr and "100%" in result.stderr  # the bar
    row = next(line for line in result.stdout.splitlines() if line.startswith("BMX_H"))
    assert row.split()[2:7] == [
        "yes", "yes", "download", "CDC", served.url_for("/nhanes/2013/DataFiles/BMX_H.xpt")]
    assert row.split()[7] == str(env.cache / "BMX_H.xpt")
    assert sha256(env.cache / "BMX_H.xpt") == sha256(moved)


def test_cli_data_rejects_an_unknown_cycle():
    result = cli("data", "--cycles", "H,X")
    assert result.exit_code == 2
    assert "unknown cycle 'X'" in result.output


# --- the real mirror --------------------------------------------------------------


@pytest.fixture
def real_mirror(nhanes_mirror, monkeypatch):
    monkeypatch.setenv(data.MIRROR_ENV, str(nhanes_mirror))
    return nhanes_mirror


@pytest.mark.mirror
def test_cli_data_finds_and_verifies_every_study_table_in_the_mirror(real_mirror):
    result = cli("data")

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    expected = [t.name for t in study_tables(["H", "P"])]
    assert sorted(rows) == sorted(expected)
    assert all(n.endswith("_H") or n.startswith("P_") for n in rows)
    for name in expected:
        assert rows[name][2:5] == ["yes", "yes", "mirror"], rows[name]
        assert rows[name][5] == "mirror", rows[name]  # origin: mirror <file>


@pytest.mark.mirror
def test_cli_data_all_finds_every_registered_table_in_the_mirror(real_mirror):
    result = cli("data", "--all")

    assert result.exit_code == 0, result.output
    assert f"{len(registry.TABLES)} present, {len(registry.TABLES)} verified" in result.stdout


@pytest.mark.mirror
def test_real_tables_have_the_documented_shapes_and_dtypes(real_mirror):
    demo_h = load_table("DEMO_H")
    p_demo = load_table("P_DEMO")
    pbcd_h = load_table("PBCD_H")  # a Parquet copy

    # Shapes recorded in the mirror's SOURCES.md (rows x columns per file): DEMO_H
    # 10175 x 47, P_DEMO 15560 rows, PBCD_H.parquet 5932 x 17; the DEMO counts are
    # also the CDC's participant counts for the two cycles
    assert demo_h.shape == (10175, 47)
    assert len(p_demo) == 15560
    assert pbcd_h.shape == (5932, 17)
    for frame in (demo_h, p_demo, pbcd_h):
        assert frame["SEQN"].dtype == np.int64 and frame["SEQN"].is_unique
    assert {"LBXBPB", "LBXBCD", "LBXTHG", "LBXBSE", "LBXBMN", "WTSH2YR"} <= set(pbcd_h.columns)
    assert (pbcd_h.drop(columns="SEQN").dtypes == np.float64).all()
