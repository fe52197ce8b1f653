"""The test suite's own rules (tests/conftest.py): a missing outside program is a
named skip on a developer's machine and a failure under ``CI=true``."""

from types import SimpleNamespace

import conftest
import pytest


class _Item:
    """The part of a pytest item that ``pytest_runtest_setup`` reads."""

    def __init__(self, *markers: str) -> None:
        self.markers = set(markers)

    def get_closest_marker(self, name: str):
        return SimpleNamespace(name=name) if name in self.markers else None


@pytest.fixture
def no_r(monkeypatch):
    need = conftest.NEEDS["r"]
    monkeypatch.setitem(conftest.NEEDS, "r", conftest.Need(
        need.what, lambda: "Rscript is not on PATH", need.install, need.required_in_ci))
    monkeypatch.setattr(conftest, "_SKIPPED", {})


def test_a_test_needing_missing_r_is_skipped_with_the_reason(no_r, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs R with the survey package"):
        conftest.pytest_runtest_setup(_Item("r"))
    assert conftest._SKIPPED == {"r": 1}


def test_under_ci_a_missing_r_fails_the_test_and_names_the_install(no_r, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install r-base-core r-cran-survey"):
        conftest.pytest_runtest_setup(_Item("r"))


def test_a_test_without_such_markers_is_left_alone(no_r):
    conftest.pytest_runtest_setup(_Item("slow"))
    assert conftest._SKIPPED == {}


def test_the_last_lines_name_each_skipped_group_and_its_install_command(no_r):
    conftest._SKIPPED["r"] = 3
    lines = []
    reporter = SimpleNamespace(section=lambda title: lines.append(title),
                               write_line=lines.append)
    conftest.pytest_terminal_summary(reporter)
    assert "3 test(s) marked 'r' skipped" in lines[-1]
    assert lines[-1].endswith("apt-get install r-base-core r-cran-survey")
