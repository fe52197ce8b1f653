"""``osteometals robustness``: bad input fails before any work, an unreachable scheduler
gives one clear error and the local fallback, and a small run writes its CSVs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest


def osteometals(*args):
    exe = Path(sys.executable).parent / "osteometals"
    return subprocess.run([str(exe), *args], capture_output=True, text=True)


@pytest.mark.parametrize(("args", "message"), [
    (["--levels", "cycles=H+Q"], "unknown level 'H+Q' of dimension 'cycles'; valid levels: "
                                 "H+P, H, P"),
    (["--levels", "colour=red"], "unknown dimension 'colour'; valid dimensions: cycles,"),
    (["--claims", "cd_q9_op"], "unknown claim 'cd_q9_op'; valid claims: cd_q4_op,"),
])
def test_bad_level_or_claim_fails_at_once(args, message):
    start = time.perf_counter()
    result = osteometals("robustness", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert time.perf_counter() - start < 30  # refused before any cohort is built


def test_bad_spec_file_fails_at_once(tmp_path):
    bad = tmp_path / "space.toml"
    bad.write_text('[levels]\nweighting = ["design", "bayesian"]\n')
    result = osteometals("robustness", "--spec-file", str(bad))
    assert result.returncode == 2
    assert "unknown level 'bayesian' of dimension 'weighting'" in result.stderr


def test_list_shows_claims_and_levels_with_reasons():
    out = osteometals("robustness", "--list").stdout
    assert "cd_q4_op" in out and "wqs_pos_op" in out
    assert "iscd_two_or_more" in out and "psu_minus_strata" in out
    assert "Multiple imputation" in out


@pytest.mark.mirror
def test_unreachable_scheduler_gives_one_error_and_the_local_command(nhanes_mirror):
    result = osteometals("robustness", "--claims", "cd_q4_op", "--levels",
                         "cycles=H+P; adjustment=Model 1", "--scheduler",
                         "tcp://127.0.0.1:9", "--no-progress")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert ("to run on this machine instead: osteometals robustness --claims cd_q4_op "
            "--levels 'cycles=H+P; adjustment=Model 1' --no-progress") in result.stderr


@pytest.mark.mirror
def test_small_run_writes_results_and_summary(nhanes_mirror, tmp_path):
    result = osteometals("robustness", "--claims", "cd_q4_op", "--levels",
                         "cycles=H+P; required_sites=femur+neck+spine; spine_reference=xue2021;"
                         " neck_reference=looker1998; missing_data=complete_case; "
                         "spine_rule=all_four; exclude_op_treatment=no; "
                         "exclude_hormone_therapy=no; exclude_menstruating=no; "
                         "adjustment=Model 1; age_bmi=groups; cycle_term=no; design_df=r_survey",
                         "--output",
                         str(tmp_path),
                         "--no-progress", "--n-jobs", "1")
    assert result.returncode == 0, result.stderr
    results = pd.read_csv(tmp_path / "robustness_results.csv")
    summary = pd.read_csv(tmp_path / "claim_summary.csv")
    assert len(results) == 4  # weighting 2 x coding 2
    assert summary.loc[0, "n_specs"] == 4
    assert "of 4 specifications" in result.stdout
