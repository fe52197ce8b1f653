"""The scorecard (osteometals.paper.scorecard) joins and judges cells correctly.

All inputs are small synthetic frames built here; the published side is
osteometals.paper.published (Peng et al. 2025, Tables 1-4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import published
from osteometals.paper import scorecard as sc


def _ours_table2(scale: float = 1.0) -> pd.DataFrame:
    """Our Table 2 = the paper's ORs times ``scale`` (CIs scaled alike)."""
    t2 = published.table2()
    return t2.assign(estimate=t2.estimate * scale, ci_lower=t2.ci_lower * scale,
                     ci_upper=t2.ci_upper * scale)[
        ["metal", "quartile", "model", "estimate", "ci_lower", "ci_upper", "p", "p_trend"]]


# ----------------------------------------------------------------------------- keys


def test_normalise_reads_the_spellings_chapters_may_use():
    ours = pd.DataFrame({
        "metal": ["Pb", "cadmium", "se", "LBXBMN", "zinc"],
        "quartile": ["Q2", 3, "4", 2.0, "per SD"],
        "model": ["Model 1", 2, "model3", "M1", "Model 9"],
        "stratum": ["50–60", ">70", "25-30", "<25", "> 30"],
    })
    got = sc.normalise(ours)
    assert list(got.metal.fillna("?")) == ["pb", "cd", "se", "mn", "?"]
    assert list(got.quartile.fillna("?")) == ["Q2", "Q3", "Q4", "Q2", "?"]
    assert list(got.model.fillna("?")) == ["Model 1", "Model 2", "Model 3", "Model 1", "?"]
    assert list(got.stratum) == ["50-60", ">70", "25-30", "<25", ">30"]


def test_normalise_keeps_the_requested_fit_only():
    ours = pd.concat([_ours_table2().assign(weighted=True),
                      _ours_table2(2.0).assign(weighted=False)])
    assert len(sc.normalise(ours, weighted=True)) == 45
    assert (sc.normalise(ours, weighted=False).estimate
            == 2 * published.table2().estimate.to_numpy()).all()
    # a CSV round trip turns booleans into strings
    assert len(sc.normalise(ours.astype({"weighted": str}), weighted=False)) == 45


# ----------------------------------------------------------------------------- Table 2


def test_identical_results_agree_everywhere():
    card = sc.compare_table2(_ours_table2())
    cells = card[card.quantity == "OR"]
    assert len(cells) == 45 and len(card[card.quantity == "p_trend"]) == 15
    assert cells.same_direction.all() and cells.ci_overlap.all()
    assert cells.published_in_ci.all() and cells.same_significance.all()
    assert np.allclose(cells.ratio.astype(float), 1.0)
    assert (card.verdict == "agree").all()


def test_inverted_odds_ratios_are_opposite():
    t2 = published.table2()
    ours = t2.assign(estimate=1 / t2.estimate, ci_lower=1 / t2.ci_upper,
                     ci_upper=1 / t2.ci_lower)
    cells = sc.compare_table2(ours).query("quantity == 'OR'")
    assert not cells.same_direction.any()
    # where the paper is significant the inverted CI cannot overlap its CI
    sig = cells.significant_published.astype(bool)
    assert not cells.loc[sig, "ci_overlap"].any()
    assert set(cells.loc[sig, "verdict"]) == {"opposite"}
    assert set(cells.loc[~sig, "verdict"]) == {"opposite, both n.s."}


def test_missing_results_are_counted_not_compared():
    ours = _ours_table2().query("metal != 'hg'")
    card = sc.compare_table2(ours)
    hg = card[card.metal == "hg"]
    assert (hg.verdict == "not compared").all()
    summary = sc.summarise(card).set_index("quantity")
    assert summary.loc["OR", "published"] == 45
    assert summary.loc["OR", "compared"] == 36
    assert summary.loc["p_trend", "compared"] == 12


def test_no_results_at_all_gives_every_published_cell_uncompared():
    card = sc.compare_table2(None)
    assert len(card) == 60 and (card.verdict == "not compared").all()


def test_repeated_keys_in_our_results_are_refused():
    ours = pd.concat([_ours_table2().assign(weighted=True),
                      _ours_table2().assign(weighted=False)])
    with pytest.raises(ValueError, match="repeat keys"):
        sc.compare_table2(ours, weighted=None)


def test_a_significance_flip_is_named():
    ours = _ours_table2()
    cd_q4 = (ours.metal == "cd") & (ours.quartile == "Q4") & (ours.model == "Model 1")
    ours.loc[cd_q4, ["ci_lower", "p"]] = [0.9, 0.2]
    row = sc.compare_table2(ours).query(
        "quantity == 'OR' and metal == 'cd' and quartile == 'Q4' and model == 'Model 1'")
    assert row.verdict.item() == "significance differs"
    assert bool(row.same_direction.item()) and not bool(row.same_significance.item())


# ----------------------------------------------------------------------------- Table 3


def test_table3_is_judged_on_the_difference_scale_without_published_ci():
    t3 = published.table3()
    ours = t3.assign(estimate=t3.estimate + 0.01, ci_lower=t3.estimate - 0.05,
                     ci_upper=t3.estimate + 0.05, outcome=t3.site)  # labels, not columns
    card = sc.compare_table3(ours)
    cells = card[card.quantity == "beta"]
    assert len(cells) == 90 and cells.ours.notna().all()
    assert np.allclose(cells.difference.astype(float), 0.01)
    assert cells.ci_overlap.isna().all()  # the paper prints no CI
    assert cells.published_in_ci.all()
    # β of -0.001 vs ours +0.009 is a sign change
    flipped = cells[(cells.published < 0) & (cells.published > -0.01)]
    assert len(flipped) > 0 and not flipped.same_direction.any()


# ----------------------------------------------------------------------------- Table 4


def test_table4_cells_trends_and_interactions():
    t4 = published.table4()
    ours = t4.assign(stratum=t4.stratum.str.replace("-", "–"))  # en dash in our CSV
    inter = published.interactions().assign(p_interaction=0.5)
    card = sc.compare_table4(ours, inter)
    counts = card.groupby("quantity").size().to_dict()
    assert counts == {"OR": 90, "p_trend": 30, "p_interaction": 10}
    inter_rows = card[card.quantity == "p_interaction"]
    # the paper has 9 of 10 P for interaction < 0.05, ours none: 1 agreement (Se x age)
    assert int(inter_rows.same_significance.sum()) == 1
    cells = card[card.quantity == "OR"]
    # cut-off cells have no published CI, so no overlap verdict, but a direction verdict
    cut = cells[cells.published_ci_upper.isna()]
    assert len(cut) == 8 and cut.ci_overlap.isna().all() and cut.same_direction.all()


# ----------------------------------------------------------------------------- Table 1


def test_table1_against_a_long_frame_like_table1_tidy():
    t1 = published.table1()
    t1 = t1[t1.variable != "op"]
    rows = []
    for r in t1.itertuples():
        if r.summary == "n (%)":
            rows += [(r.variable, r.level, r.op, False, "n", float(r.n) + 1),
                     (r.variable, r.level, r.op, False, "pct", r.percent)]
        else:
            rows += [(r.variable, "", r.op, False, "mean", r.center),
                     (r.variable, "", r.op, False, "sd", r.spread)]
    ours = pd.DataFrame(rows, columns=["variable", "level", "op", "weighted", "statistic",
                                       "value"])
    ours["p"] = 0.5
    ours.loc[ours.level == "", "level"] = np.nan  # as read back from CSV
    card = sc.compare_table1(ours)
    n = card[card.quantity == "n"]
    assert n.ours.notna().all() and np.allclose(n.difference.astype(float), 1.0)
    assert (card[card.quantity == "mean"].difference.astype(float) == 0).all()
    p = card[card.quantity == "p"]
    assert len(p) == 18
    # the paper has 7 variables with P < 0.05 (age, BMI, race, education, parents' OP,
    # Cd, and each BMD site counted once: 3) -> 9; all flip against our 0.5
    assert int(p.significant_published.sum()) == 9
    assert int(p.same_significance.sum()) == 18 - 9


# ----------------------------------------------------------------------------- all tables


def _paths(root, tables):
    """Write the paper's own values as our results for ``tables``; paths of every file."""
    paths = {}
    for table, name in sc.RESULT_FILES.items():
        paths[table] = root / name
        if table == "Table 2" and table in tables:
            _ours_table2().assign(weighted=True).to_csv(paths[table], index=False)
    return paths


def test_load_results_and_scorecard_from_disk(tmp_path):
    paths = _paths(tmp_path, ["Table 2"])
    for table in set(sc.RESULT_FILES) - {"Table 2"}:
        pd.DataFrame({"metal": []}).to_csv(paths[table], index=False)
    results = sc.load_results(paths)
    card = sc.scorecard({"Table 2": results["Table 2"]})
    summary = sc.summarise(card).set_index(["table", "quantity"])
    assert summary.loc[("Table 2", "OR"), "compared"] == 45
    assert summary.loc[("Table 2", "OR"), "agree"] == 45
    assert summary.loc[("Table 3", "beta"), "compared"] == 0
    assert summary.loc[("Table 4", "OR"), "published"] == 90
    assert list(card.columns) == sc.COLUMNS


def test_a_missing_results_file_is_an_error_not_a_gap(tmp_path):
    paths = _paths(tmp_path, ["Table 2"])
    with pytest.raises(FileNotFoundError, match="Table 1: results file .*table1.csv"):
        sc.load_results(paths)
    with pytest.raises(KeyError, match="no results file given"):
        sc.load_results({"Table 2": paths["Table 2"]})


def test_result_files_name_no_chapter_folder():
    """The chapter registry finds the folders (osteometals.book.results); the scorecard
    names only files, so renaming a chapter cannot turn its cells into "not compared"."""
    assert all("/" not in name and name.endswith(".csv") for name in sc.RESULT_FILES.values())


# ----------------------------------------------------------------------------- Table 3 scale


def _ours_table3(factor: float = 3.0) -> pd.DataFrame:
    """Our Table 3 whose standardised βs equal the paper's, the unstandardised a third."""
    t3 = published.table3()
    return t3.assign(
        estimate=t3.estimate / factor, ci_lower=(t3.estimate - 0.05) / factor,
        ci_upper=(t3.estimate + 0.05) / factor, std_estimate=t3.estimate,
        std_ci_lower=t3.estimate - 0.05, std_ci_upper=t3.estimate + 0.05)


def test_the_scale_changes_sizes_not_directions_or_significance():
    raw = sc.compare_table3(_ours_table3(), scale="unstandardised")
    std = sc.compare_table3(_ours_table3(), scale="standardised")
    cells = std.quantity == "beta"
    assert np.allclose(std.loc[cells, "difference"].astype(float), 0.0)
    assert std.loc[cells, "published_in_ci"].all()
    # on g/cm2 the paper's beta is 3 times ours: inside [b - 0.05, b + 0.05] / 3 only
    # where |b| (1 - 1/3) <= 0.05 / 3, i.e. |b| <= 0.025
    small = raw.loc[cells, "published"].abs() <= 0.025
    assert (raw.loc[cells, "published_in_ci"].astype(bool) == small).all()
    assert (raw.verdict == std.verdict).all()
    changes = sc.verdict_changes(raw, std)
    assert set(changes.judgement) == {"published_in_ci"}
    assert len(changes) == int((~small).sum())
    counts = sc.change_counts(raw, std).loc[("Table 3", "beta")]
    assert counts[("published_in_ci", "after")] == 90
    assert counts[("published_in_ci", "change")] == int((~small).sum())
    assert counts[("agree", "change")] == 0


def test_verdict_changes_refuses_two_different_sets_of_cells():
    with pytest.raises(ValueError, match="same cells"):
        sc.verdict_changes(sc.compare_table2(_ours_table2()), sc.compare_table3(_ours_table3()))


def test_an_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="scale must be one of"):
        sc.compare_table3(_ours_table3(), scale="z")


def test_the_table3_scale_comes_from_the_evidence_or_the_reader():
    from osteometals.paper import beta_scale

    t3 = published.table3()
    se = published.se_from_beta_p(t3.estimate, t3.p)
    ours = t3.assign(std_estimate=t3.estimate, std_se=se, std_ci_lower=np.nan,
                     std_ci_upper=np.nan, estimate=t3.estimate / 3, se=se / 3, n=905)
    ev = beta_scale.evidence(ours)
    assert sc.resolve_table3_scale("evidence", ev) == ("standardised", "evidence")
    assert sc.resolve_table3_scale("unstandardised", ev) == ("unstandardised", "parameter")
    with pytest.raises(ValueError, match="table3_scale must be"):
        sc.resolve_table3_scale("beta", ev)


def test_select_cells_keeps_order_and_refuses_a_selection_that_matches_nothing():
    card = sc.compare_table2(_ours_table2())
    got = sc.select_cells(card, [{"table": "Table 2", "quantity": "OR", "metal": "se",
                                  "quartile": "Q3"},
                                 {"table": "Table 2", "quantity": "OR", "metal": ["cd"],
                                  "quartile": "Q4", "model": "Model 1"}])
    assert got.metal.tolist() == ["se", "se", "se", "cd"]
    with pytest.raises(KeyError, match="no scorecard row matches"):
        sc.select_cells(card, [{"metal": "zinc"}])


def test_table1_differences_name_the_largest_gap():
    t1 = published.table1()
    t1 = t1[t1.variable != "op"]
    rows = [(r.variable, r.level, r.op, False, "pct", r.percent + (3.0 if r.level == "Yes"
                                                                   and r.variable == "smoking"
                                                                   and r.op == 1 else 0.5))
            for r in t1.itertuples() if r.summary == "n (%)"]
    ours = pd.DataFrame(rows, columns=["variable", "level", "op", "weighted", "statistic",
                                       "value"]).assign(p=0.5)
    facts = sc.table1_differences(sc.compare_table1(ours))
    assert facts["pct_max"] == pytest.approx(3.0) and facts["pct_median"] == pytest.approx(0.5)
    assert facts["pct_max_where"] == "smoking = Yes, OP"
    assert facts["p_n"] == 18
