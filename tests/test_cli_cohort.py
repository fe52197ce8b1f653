"""``osteometals cohort``: every CohortOptions field is an option, a bad value is refused
with the allowed values before any file is read, and the flow follows the options."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from osteometals.nhanes.options import CohortOptions


def osteometals(*args):
    exe = Path(sys.executable).parent / "osteometals"
    return subprocess.run([str(exe), *args], capture_output=True, text=True)


def test_every_cohort_option_is_a_command_line_option():
    text = osteometals("cohort", "--help").stdout
    for name in CohortOptions.field_names():
        flag = "--" + name.replace("_", "-")
        assert flag[:18] in text, flag  # rich truncates long flags in narrow terminals


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spine-rule", "iscd"], "allowed: ['all_four', 'iscd_two_or_more']"),
        (["--cycles", "H,Q"], "cycles must be distinct values of ['H', 'P']"),
        (["--min-age", "5"], "min_age must be a whole number of years between 20 and 80"),
        (["--neck-reference", "hologic"], "allowed: ['looker1998', 'xue2021']"),
    ],
)
def test_a_bad_value_fails_at_once_naming_the_allowed_values(args, message):
    start = time.perf_counter()
    result = osteometals("cohort", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    # refused before any table is read: building the cohort takes ~30 s, refusing takes
    # the ~2 s of starting Python; 20 s is slack for a loaded machine
    assert time.perf_counter() - start < 20


@pytest.mark.mirror
def test_an_exclusion_adds_its_flow_step(nhanes_mirror):
    result = osteometals("cohort", "--exclude-menstruating", "--spine-rule",
                         "iscd_two_or_more")
    assert result.returncode == 0, result.stderr
    assert "Not menstruating" in result.stdout
    assert "options: spine_rule=iscd_two_or_more, exclude_menstruating=True" in result.stdout
