"""Specification of the NHANES table registry (osteometals.nhanes.registry)."""

from __future__ import annotations

import re

import pytest

from osteometals.nhanes import registry
from osteometals.nhanes.registry import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    STUDY_COMPONENTS,
    TABLES,
    get_table,
    make_table,
    study_tables,
)

HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(autouse=True)
def _default_base_url(monkeypatch):
    monkeypatch.delenv(BASE_URL_ENV, raising=False)


def test_every_study_component_is_registered_for_both_study_cycles():
    names = {t.name for t in study_tables()}
    expected = {f"{c}_H" for c in STUDY_COMPONENTS} | {f"P_{c}" for c in STUDY_COMPONENTS}
    assert names == expected
    # README.md "Where the data come from": DEMO, PBCD, DXXFEM, DXXSPN, BMX, BPQ, DIQ,
    # OSQ, SMQ and RHQ
    assert set(STUDY_COMPONENTS) == {"DEMO", "PBCD", "DXXFEM", "DXXSPN", "BMX", "BPQ", "DIQ",
                                     "OSQ", "SMQ", "RHQ"}


def test_study_tables_come_cycle_by_cycle_in_component_order():
    tables = study_tables(("P", "H"))
    assert [t.name for t in tables[:3]] == ["P_DEMO", "P_PBCD", "P_DXXFEM"]
    assert [t.cycle for t in tables] == ["P"] * 10 + ["H"] * 10


def test_optional_cycles_list_only_the_tables_that_are_registered():
    assert [t.name for t in study_tables(["I"])] == ["DEMO_I", "BMX_I", "BPQ_I", "DIQ_I"]
    assert {t.name for t in study_tables(["G"])} == {
        "DEMO_G", "PBCD_G", "BMX_G", "BPQ_G", "DIQ_G", "SMQ_G", "RHQ_G",
    }


def test_an_unknown_cycle_is_an_error():
    with pytest.raises(ValueError, match="unknown NHANES cycle 'X'"):
        study_tables(["X"])


def test_names_and_cycle_labels_follow_the_cdc_conventions():
    assert get_table("P_DEMO").component == "DEMO"
    assert get_table("P_DEMO").cycle_label == "2017-2020"
    assert get_table("DEMO_H").cycle_label == "2013-2014"
    for table in TABLES.values():
        if table.cycle == "P":
            assert table.name == f"P_{table.component}"
        else:
            assert table.name == f"{table.component}_{table.cycle}"


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("DEMO_H", "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public/2013/DataFiles/DEMO_H.xpt"),
        ("P_DEMO", "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public/2017/DataFiles/P_DEMO.xpt"),
        ("DEMO_G", "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public/2011/DataFiles/DEMO_G.xpt"),
        ("DEMO_I", "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public/2015/DataFiles/DEMO_I.xpt"),
        ("DEMO_J", "https://wwwn.cdc.gov/Nchs/Data/Nhanes/Public/2017/DataFiles/DEMO_J.xpt"),
    ],
)
def test_download_urls_use_the_current_cdc_layout(name, url):
    assert get_table(name).url == url
    assert get_table(name).cache_name == url.rsplit("/", 1)[1]


def test_the_base_url_can_be_overridden_by_the_environment(monkeypatch):
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:8000/mirror/")
    assert get_table("P_PBCD").url == "http://127.0.0.1:8000/mirror/2017/DataFiles/P_PBCD.xpt"
    monkeypatch.setenv(BASE_URL_ENV, "")
    assert get_table("P_PBCD").url.startswith(DEFAULT_BASE_URL + "/")


def test_every_checksum_is_a_lower_case_sha256():
    for table in TABLES.values():
        if table.xpt_sha256 is not None:
            assert HEX64.fullmatch(table.xpt_sha256), table.name
            assert table.xpt_sha256_note in {"published", "mirror"}, table.name
        else:
            assert table.xpt_sha256_note == ""
        for file in table.mirror:
            assert HEX64.fullmatch(file.sha256), file.path


def test_every_table_has_a_checksummed_file_for_offline_use():
    for table in TABLES.values():
        assert table.mirror, f"{table.name} has no mirror file"


def test_tables_without_an_xpt_checksum_are_the_parquet_only_ones():
    no_hash = {t.name for t in TABLES.values() if t.xpt_sha256 is None}
    assert no_hash == {"PBCD_H", "DXXSPN_H", "BPQ_G", "SMQ_G"}
    for name in no_hash:
        assert [f.format for f in TABLES[name].mirror] == ["parquet"]


def test_diq_h_prefers_the_genuine_xpt_and_falls_back_to_the_parquet_copy():
    diq = get_table("DIQ_H")
    # The CDC's published sha256 of DIQ_H.XPT, quoted in the mirror's SOURCES.md
    # (../shared/data/nhanes/SOURCES.md, "published CDC sha256 for reference").
    assert diq.xpt_sha256 == "c74c7ccef65e6997dfac1db1e73bc3f63dec67c70b2e322ffc14f14ce27429a9"
    assert [f.path for f in diq.mirror] == ["raw/DIQ_H.XPT", "other/DIQ_H.parquet"]


def test_lookup_is_case_insensitive_and_suggests_close_names():
    assert get_table("p_demo") is TABLES["P_DEMO"]
    with pytest.raises(KeyError, match="P_DEMO"):
        get_table("P_DEMOS")


def test_functions_accept_another_registry():
    fake = make_table("DEMO", "H", xpt_sha256="0" * 64)
    other = {"DEMO_H": fake}
    assert get_table("DEMO_H", other) is fake
    assert study_tables(["H", "P"], registry=other) == [fake]
    with pytest.raises(KeyError):
        get_table("P_DEMO", other)


def test_a_table_cannot_be_registered_twice():
    table = make_table("DEMO", "H", xpt_sha256=None)
    with pytest.raises(ValueError, match="DEMO_H registered twice"):
        registry._registry([table, table])


@pytest.mark.mirror
def test_checksums_equal_the_mirror_sha256sums_file(nhanes_mirror):
    """Every sha256 in the registry was copied from the mirror's SHA256SUMS."""
    listed = {}
    for line in (nhanes_mirror / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split()
        listed[path] = digest
    registered = {f.path: f.sha256 for t in TABLES.values() for f in t.mirror}
    # DIQ_H.XPT is registered with the CDC's published checksum but is not in the mirror.
    assert registered.pop("raw/DIQ_H.XPT") == TABLES["DIQ_H"].xpt_sha256
    assert registered == listed
    for table in TABLES.values():
        xpt = f"raw/{table.name}.XPT"
        if xpt in listed:
            assert table.xpt_sha256 == listed[xpt]
