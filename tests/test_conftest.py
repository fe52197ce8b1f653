"""The test suite's own rules (tests/conftest.py): a missing outside program is a
named skip on a developer's machine and a failure under ``CI=true``; a ``seeded``
test runs under its declared seeds, or under N others with ``--seed-sweep N``."""

from pathlib import Path
from types import SimpleNamespace

import conftest
import pytest

pytest_plugins = ["pytester"]


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


# --- seeds and the seed sweep -------------------------------------------------------

SEEDED_MODULE = '''
import pytest

pytestmark = pytest.mark.seeded(data_seed=21)


@pytest.fixture(scope="module")
def data(data_seed):
    return data_seed


@pytest.mark.seeded(7)
def test_draws(data, seed, margin):
    assert margin("the seeds", seed + data) > 0


def test_unseeded():
    pass
'''


@pytest.fixture
def seeded_project(pytester):
    pytester.makeconftest(Path(conftest.__file__).read_text())
    pytester.makepyfile(test_seeded=SEEDED_MODULE)
    return pytester


def test_a_normal_run_gives_a_seeded_test_exactly_its_declared_seeds(seeded_project):
    result = seeded_project.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_draws?seed=7,data_seed=21? PASSED*",
                                 "*test_unseeded PASSED*"])
    assert "seed sweep" not in result.stdout.str()


def test_a_sweep_reruns_seeded_tests_under_other_seeds_and_lists_the_margins(seeded_project):
    result = seeded_project.runpytest_subprocess("-v", "-p", "no:cacheprovider", "-m", "seeded",
                                                 "--seed-sweep", "3")
    # the module's marker selects test_unseeded too; it takes no seed, so it runs once
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*test_draws?seed=1000,data_seed=1001? PASSED*",
        "*test_draws?seed=3000,data_seed=3001? PASSED*",
        "*test_unseeded PASSED*",
        "*seed sweep: recorded margins*",
        # seed + data_seed over the sweeps: 2001, 4001, 6001
        "test_seeded.py::test_draws | the seeds | n=3 | min 2001 | max 6001",
    ])


def test_sweep_seeds_are_the_same_for_every_test_and_differ_by_name():
    assert conftest.sweep_seeds(["seed", "data_seed"], 2) == [(1000, 1001), (2000, 2001)]
    assert conftest.sweep_seeds(["data_seed"], 1) == [(1001,)]


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {"sede": 1}, r"unknown seed names \['sede'\]"),
    ((1, 2), {}, "one positional seed"),
    ((1,), {"seed": 2}, "one positional seed"),
])
def test_a_misspelt_or_doubled_seed_fails_the_run(args, kwargs, message):
    with pytest.raises(pytest.fail.Exception, match=message):
        conftest.declared_seeds(pytest.mark.seeded(*args, **kwargs).mark)


def test_declared_seeds_read_a_positional_seed_and_keywords():
    assert conftest.declared_seeds(pytest.mark.seeded(3, data_seed=4).mark) == {
        "seed": 3, "data_seed": 4}
