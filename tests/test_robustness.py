"""The specification curves (osteometals.paper.robustness): plan, run, summarise.

Summaries are checked on hand-made result frames; the runs use a small space
of the real cohort, locally and on a two-worker Dask LocalCluster on loopback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import robustness as rb
from osteometals.paper.claims import CLAIMS
from osteometals.stats.speccurve import NA, SpaceError
from osteometals.stats.tasks import ResultCache

#: A small space: the paper's cohort (pooled cycles, all sites, default
#: references and spine rule, no exclusions, complete cases), no cycle term,
#: the median trend score, R survey's design df.
SMALL = {"cycles": ["H+P"], "required_sites": ["femur+neck+spine"], "spine_rule": ["all_four"],
         "spine_reference": ["xue2021"], "neck_reference": ["looker1998"],
         "missing_data": ["complete_case"], "exclude_op_treatment": ["no"],
         "exclude_hormone_therapy": ["no"], "exclude_menstruating": ["no"],
         "adjustment": ["Model 1", "Model 3"], "cycle_term": ["no"], "trend_score": ["median"],
         "design_df": ["r_survey"]}


def test_plan_gives_each_claim_its_own_distinct_specifications():
    tasks = rb.plan(selection=SMALL)
    frame = rb.tasks_frame(tasks)
    assert frame["key"].is_unique
    counts = frame["claim"].value_counts()
    # weighting 2 x adjustment 2 x age/BMI 2 x coding (quartiles, tertiles) 2
    assert counts["cd_q4_op"] == 16
    assert counts["cd_sd_op"] == 8  # the per-SD claims have no coding choice
    assert counts["cd_q4_femur"] == 8  # Table 3 has no Model 3
    assert (frame.loc[frame["claim"] == "cd_q4_femur", "neck_reference"] == NA).all()


def test_plan_samples_each_claim_with_a_seed():
    a = rb.plan(claims=["cd_q4_op"], max_specs=50, seed=1)
    assert len(a) == 50
    assert [t.key for t in a] == [t.key for t in rb.plan(claims=["cd_q4_op"], max_specs=50,
                                                         seed=1)]
    assert {t.key for t in a} != {t.key for t in rb.plan(claims=["cd_q4_op"], max_specs=50,
                                                         seed=2)}


@pytest.mark.parametrize("kwargs, match", [
    (dict(claims=["cd_q5_op"]), "unknown claim 'cd_q5_op'; valid claims: cd_q4_op"),
    (dict(selection={"weights": ["design"]}), "unknown dimension 'weights'"),
    (dict(selection={"weighting": ["bayes"]}), "valid levels: design, unweighted"),
])
def test_bad_claims_and_levels_fail_before_any_work(kwargs, match):
    with pytest.raises(SpaceError, match=match):
        rb.plan(**kwargs)


def test_key_changes_with_settings_and_code_version(monkeypatch):
    from osteometals.paper.claims import ClaimSettings

    t = rb.plan(claims=["cd_q4_op"], max_specs=1)[0]
    other = rb.Task(t.claim, t.spec, ClaimSettings(wqs_b=5), t.fingerprint)
    before = t.key
    assert other.key != before
    monkeypatch.setattr(rb, "CODE_VERSION", "robustness-test")
    assert t.key != before


def _fake_results() -> pd.DataFrame:
    """Twelve cd_q4_op specifications: the adjustment set moves the estimate."""
    rows = []
    for i, (adj, w) in enumerate([(a, w) for a in ("Model 1", "Model 2", "Model 3")
                                  for w in ("design", "unweighted") for _ in range(2)]):
        b = {"Model 1": 0.8, "Model 2": 0.5, "Model 3": -0.1}[adj] + (0.02 if i % 2 else 0)
        rows.append({"claim": "cd_q4_op", "adjustment": adj, "weighting": w, "b": b,
                     "se": 0.3, "df": 20.0, "error": ""})
    rows.append({"claim": "cd_q4_op", "adjustment": "Model 1", "weighting": "design",
                 "b": np.nan, "se": np.nan, "df": np.nan, "error": "ValueError: x"})
    return rb.finish(pd.DataFrame(rows))


def test_claim_summary_counts_and_says_it():
    summary, sentences = rb.claim_summary(_fake_results())
    row = summary.set_index("claim").loc["cd_q4_op"]
    assert row["n_specs"] == 13 and row["n_failed"] == 1
    assert row["share_sign"] == pytest.approx(8 / 12)
    # t = 0.8 / 0.3 = 2.67 and 0.82 / 0.3 on 20 df are significant; 0.5 / 0.3 is not
    assert row["share_significant"] == pytest.approx(4 / 12)
    assert row["top_dimension"] == "adjustment"
    assert row["paper_value"] == CLAIMS["cd_q4_op"].paper.value
    text = sentences["cd_q4_op"]
    assert "of 13 specifications, 67% give an odds ratio above 1" in text
    assert "33% are significant in that direction" in text
    assert "adjustment set" in text


def test_sentences_can_be_rebuilt_from_the_summary_csv(tmp_path):
    summary, sentences = rb.claim_summary(_fake_results())
    summary.to_csv(tmp_path / "claim_summary.csv", index=False)
    again = rb.summary_sentences(pd.read_csv(tmp_path / "claim_summary.csv"))
    assert again == sentences


def test_finish_puts_odds_ratios_on_their_scale():
    f = _fake_results().dropna(subset=["b"])
    assert np.allclose(f["estimate"], np.exp(f["b"]))
    assert (f["ci_lower"] < f["estimate"]).all() and (f["estimate"] < f["ci_upper"]).all()


# --------------------------------------------------------------------------- real runs


@pytest.mark.mirror
@pytest.mark.slow
def test_local_dask_and_cached_runs_agree(nhanes_mirror, tmp_path):
    """Two Dask workers on loopback give the local results; a rerun only reads the cache;
    adding a level computes only the new cells."""
    from dask.distributed import LocalCluster

    claims = ["cd_q4_op", "cd_sd_op", "cd_q4_femur"]
    small = {**SMALL, "weighting": ["design"]}
    local = rb.run(claims, small, cache=ResultCache(tmp_path / "a"), n_jobs=1,
                   progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = rb.run(claims, small, cache=ResultCache(tmp_path / "b"),
                        scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(local, remote)
    assert (local["error"] == "").all() and len(local) == 16
    again = rb.run(claims, small, cache=ResultCache(tmp_path / "a"), n_jobs=1,
                   progress=False)
    pd.testing.assert_frame_equal(local, again)
    wider = rb.run(claims, SMALL, cache=ResultCache(tmp_path / "a"), n_jobs=2,
                   progress=False)
    assert len(ResultCache(tmp_path / "a").keys()) == len(wider) == 32
    pd.testing.assert_frame_equal(
        wider[wider["weighting"] == "design"].reset_index(drop=True), local)


@pytest.mark.mirror
@pytest.mark.slow
def test_multiple_imputation_level(nhanes_mirror, tmp_path):
    """The MI level pools m = 20 design-based fits and keeps the women complete cases drop."""
    mi_space = {**SMALL, "missing_data": ["complete_case", "mi"], "adjustment": ["Model 1"],
                "weighting": ["design"], "age_bmi": ["groups"], "coding": ["quartiles"]}
    out = rb.run(["cd_q4_op"], mi_space, cache=ResultCache(tmp_path), n_jobs=1,
                 progress=False).set_index("missing_data")
    assert out.loc["mi", "m"] == 20 and out.loc["complete_case", "m"] == 1
    assert out.loc["mi", "n"] > out.loc["complete_case", "n"]
    # Barnard-Rubin df: below the complete-data design df, above zero
    assert 0 < out.loc["mi", "df"] <= out.loc["complete_case", "df"] + 1
    assert abs(out.loc["mi", "b"] - out.loc["complete_case", "b"]) < 0.5


def test_specification_curve_figure():
    import matplotlib

    matplotlib.use("Agg")
    from osteometals.paper.speccurve_plot import specification_curve

    fig = specification_curve(_fake_results(), "cd_q4_op")
    top, bottom = fig.axes
    points = top.collections[1].get_offsets()
    assert len(points) == 12  # the failed specification is left out
    assert list(points[:, 1]) == sorted(points[:, 1])  # sorted by estimate
    assert CLAIMS["cd_q4_op"].paper.value in [line.get_ydata()[0] for line in top.lines]
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert "adjustment: Model 1" in labels and "weights: unweighted" in labels


def test_quote_for_the_discussion_and_the_scorecard(tmp_path):
    summary, _ = rb.claim_summary(_fake_results())
    summary.to_csv(tmp_path / rb.SUMMARY_FILE, index=False)
    text = rb.quote(rb.read_summary(tmp_path / rb.SUMMARY_FILE), ["cd_q4_op", "se_q3_op"])
    # 12 of the 13 specifications have an estimate; 8 of them are above 1, 4 significant
    assert text == ("Across the specifications of the robustness chapter, Cd Q4 vs Q1 odds "
                    "ratio of osteoporosis: 67% of 12 with the paper's sign, 33% significant "
                    "in that direction; Se Q3 vs Q1 odds ratio of osteoporosis: not run.")


def test_read_summary_names_what_is_wrong(tmp_path):
    pd.DataFrame({"claim": ["cd_q4_op"], "n_specs": [3]}).to_csv(tmp_path / "a.csv")
    with pytest.raises(ValueError, match=r"lacks the columns \['n_failed', 'share_sign'"):
        rb.read_summary(tmp_path / "a.csv")
    summary, _ = rb.claim_summary(_fake_results())
    summary.assign(claim="cd_q9_op").to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ValueError, match="unknown claims \\['cd_q9_op'\\]"):
        rb.read_summary(tmp_path / "b.csv")


def test_plan_on_a_seeded_sample_of_cohorts():
    """Two-stage sampling: k cohorts (stratified by the missing-data level), then specs."""
    from osteometals.paper import specs

    pooled = {"cycles": ["H+P"]}
    tasks = rb.plan(None, pooled, 32, 2025, max_cohorts=6)
    cohorts = {t.cohort for t in tasks}
    assert len(cohorts) <= 6
    assert {dict(c)["missing_data"] for c in cohorts} == {"complete_case", "mi"}
    for t in tasks:  # a task runs on a cohort that agrees with it wherever it can matter
        for k, v in specs.cohort_spec(t.spec_dict).items():
            assert v == NA or dict(t.cohort)[k] == v
    assert [(t.key, t.cohort) for t in tasks] == [
        (t.key, t.cohort) for t in rb.plan(None, pooled, 32, 2025, max_cohorts=6)]
    assert len({t.key for t in tasks}) == len(tasks)
    # the cohort a task runs on is not part of its key: the same specification has one key
    full = {t.key for t in rb.plan(None, pooled, 10**6, 2025)}
    assert {t.key for t in tasks} <= full
    with pytest.raises(SpaceError, match="max_cohorts must be at least 1"):
        rb.plan(None, pooled, 32, max_cohorts=0)


def test_one_imputation_serves_every_t_score_reference(monkeypatch):
    from osteometals.paper.claims import DEFAULT_SETTINGS

    monkeypatch.setattr(rb, "data_fingerprint", lambda: "fingerprint")
    base = (("cycles", "H+P"), ("spine_reference", "xue2021"), ("neck_reference", "looker1998"),
            ("missing_data", "mi"))
    refs = (("cycles", "H+P"), ("spine_reference", "hologic"), ("neck_reference", "xue2021"),
            ("missing_data", "mi"))
    other = (("cycles", "H"), *base[1:])
    path = rb._imputation_path
    assert path(base, DEFAULT_SETTINGS) == path(refs, DEFAULT_SETTINGS)
    assert path(base, DEFAULT_SETTINGS) != path(other, DEFAULT_SETTINGS)


def test_specification_curve_fits_the_book_column():
    """Saved as the notebook saves it (tight crop, 0.1 in pad), the curve is no wider than
    the column, so the page does not shrink its 10 pt labels below the book's 9 pt."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from PIL import Image

    from osteometals.book import style
    from osteometals.paper.speccurve_plot import specification_curve

    with matplotlib.rc_context(style.rc()):
        fig = specification_curve(_fake_results(), "cd_q4_op")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=style.DPI, bbox_inches="tight", pad_inches=0.1)
        ticks = {t.get_fontsize() for ax in fig.axes for t in ax.get_yticklabels()}
    width_px, _ = Image.open(buf).size
    assert fig.get_figwidth() == pytest.approx(style.WIDTH_IN)
    assert width_px <= round(style.WIDTH_IN * style.DPI)
    assert min(ticks) >= style.TICK_PT and style.rendered_pt(min(ticks)) >= style.MIN_PT


def test_unavailable_sentence(monkeypatch):
    assert rb.unavailable_sentence() == "Every declared level is computed."
    from dataclasses import replace

    from osteometals.paper import specs
    from osteometals.stats.speccurve import Space

    dims = tuple(replace(d, levels=(*d.levels[:-1], replace(d.levels[-1], available=False,
                                                            missing="issue 99")))
                 if d.name == "design_df" else d for d in specs.SPACE.dimensions)
    monkeypatch.setattr(specs, "SPACE", Space(dims))
    assert rb.unavailable_sentence() == (
        "Declared but not computed yet, because the options they need are still being added "
        "to the book: design degrees of freedom: psu_minus_strata. When they arrive, a rerun "
        "computes only the specifications they add.")
