"""The appendix "How this book was built": what the provenance tables report.

Unit tests on the running environment and on hand-made build folders; the
real page is checked in test_book.py.
"""

import json
import re

import pandas as pd

from osteometals.book import lockfile, provenance

MACHINE_PATH = re.compile(r"(^|[\s'\"(])/(tmp|work|root|home|usr|opt)/")


def _no_machine_path(frame: pd.DataFrame) -> bool:
    return not any(MACHINE_PATH.search(str(v)) for v in frame.to_numpy().ravel())


def test_the_build_summary_names_the_commit_python_and_lock():
    summary = provenance.build_summary().set_index("item")["value"]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", summary["git commit"])
    assert summary["work tree"] in {"clean", "modified", "unknown"}
    assert summary["Python"].startswith("3.11")
    assert summary["lock"] == lockfile.LOCK.name


def test_every_direct_dependency_is_listed_with_its_locked_and_installed_version():
    deps = provenance.dependencies().set_index("package")
    wanted = {lockfile.requirement_name(r) for r in lockfile.direct_requirements()}
    assert set(deps.index) == wanted
    pins = lockfile.read_lock()
    assert deps["locked"].to_dict() == {n: pins[n] for n in wanted}
    assert deps.loc["numpy", "matches_lock"] == (deps.loc["numpy", "installed"] == pins["numpy"])


def test_blas_reports_the_library_without_its_folder():
    libs = provenance.blas()
    assert "blas" in set(libs["api"]) or "openblas" in set(libs["api"])
    assert (libs["threads"] >= 1).all()
    assert _no_machine_path(libs)


def test_the_read_log_is_deduplicated_by_table_and_content(tmp_path):
    log = tmp_path / "reads.jsonl"
    entry = {"table": "DEMO_H", "file": "DEMO_H.xpt", "sha256": "ab", "verified": True,
             "source": "mirror", "origin": "mirror raw/DEMO_H.XPT"}
    log.write_text("\n".join(json.dumps(e) for e in [entry, entry, dict(entry, table="BMX_H")]))
    reads = provenance.read_log(log)
    assert reads["table"].tolist() == ["BMX_H", "DEMO_H"]
    assert provenance.read_log(tmp_path / "absent.jsonl").empty


def test_data_files_say_whether_this_build_read_each_file():
    sources = pd.DataFrame({
        "table": ["DEMO_H", "P_DEMO"], "file": ["DEMO_H.xpt", "P_DEMO.xpt"],
        "sha256": ["aa", "bb"], "verified": [True, True],
        "origin": ["mirror raw/DEMO_H.XPT", "CDC https://wwwn.cdc.gov/x/P_DEMO.xpt"]})
    reads = pd.DataFrame({"table": ["DEMO_H"], "source": ["cache"]})
    files = provenance.data_files(sources, reads).set_index("table")
    assert files.loc["DEMO_H", "this_build"] == "read (cache)"
    assert files.loc["P_DEMO", "this_build"].startswith("not read")
    assert _no_machine_path(files.reset_index())


def test_timings_are_read_from_the_build_folder(tmp_path):
    assert provenance.timings(tmp_path).empty
    pd.DataFrame({"chapter": ["01_cohort"], "seconds": [12.5]}).to_csv(
        tmp_path / "timings.csv", index=False)
    assert provenance.timings(tmp_path)["seconds"].tolist() == [12.5]
