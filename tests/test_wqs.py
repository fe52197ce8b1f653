"""Specification of WQS regression (``osteometals.stats.wqs``).

Simulated data with a known truth. Tolerances were set from Monte-Carlo
runs of the same designs over 30 replicate data sets each (seeds other than
those used here), not by picking a passing seed:

* Logistic, n = 2000, validation 0.6 (800 training rows), true weights
  (0.5, 0.3, 0.2, 0, 0), beta1 = 1.5, log-exposure correlation 0.3: the
  root-mean-square error of each weight was 0.02-0.06 and the largest of the
  five absolute errors was at most 0.13 (97th percentile 0.12). A tolerance
  of 0.1 per weight (the first idea) fails in about one data set in ten at
  this size, so the test uses 0.15 (about 2.7 RMSE).
* Large sample, n = 20 000, all rows used: the errors shrink below 0.01, so
  0.03 there checks that the estimator is consistent, not just close.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from osteometals.stats import wqs
from osteometals.stats.coding import dummy_code
from osteometals.stats.design import LonelyPSUError, SurveyDesign
from osteometals.stats.glm import svyglm
from osteometals.stats.results import TIDY_COLUMNS, Results, Summary

MIX = ["x1", "x2", "x3", "x4", "x5"]
COVS = ["group", "z1", "z2"]
TRUE_POS = np.array([0.5, 0.3, 0.2, 0.0, 0.0])


def _weights(result, direction):
    table = result.weight_table()
    return table.loc[MIX, direction].to_numpy()


# --- quantile scores -------------------------------------------------------


def test_quartile_scores_match_a_hand_computed_example():
    # R: quantile(1:8) = 1, 2.75, 4.5, 6.25, 8 -> interior cut-points 2.75, 4.5, 6.25
    x = np.arange(1.0, 9.0)
    breaks = wqs.quantile_breaks(x, 4)
    np.testing.assert_allclose(breaks, [2.75, 4.5, 6.25])
    np.testing.assert_array_equal(wqs.quantile_scores(x, breaks), [0, 0, 1, 1, 2, 2, 3, 3])


def test_a_value_equal_to_a_cut_point_falls_in_the_lower_group():
    # quantile(1:5) = 1, 2, 3, 4, 5; cut(right = TRUE): 2 -> (-Inf, 2] -> score 0
    x = np.arange(1.0, 6.0)
    np.testing.assert_array_equal(wqs.quantile_scores(x, wqs.quantile_breaks(x, 4)),
                                  [0, 0, 1, 2, 3])


def test_tied_quantiles_are_merged_as_gwqs_does():
    # quantile(c(0,0,0,0,0,1,2,3)) = 0, 0, 0, 1.25, 3 -> unique 0, 1.25, 3
    # -> breaks (-Inf, 1.25, Inf): only two groups
    x = np.array([0, 0, 0, 0, 0, 1, 2, 3], dtype=float)
    breaks = wqs.quantile_breaks(x, 4)
    np.testing.assert_allclose(breaks, [1.25])
    np.testing.assert_array_equal(wqs.quantile_scores(x, breaks), [0, 0, 0, 0, 0, 0, 1, 1])


def test_cut_points_applied_to_new_data_put_extremes_in_the_end_groups():
    breaks = wqs.quantile_breaks(np.arange(1.0, 9.0), 4)
    np.testing.assert_array_equal(wqs.quantile_scores([-100.0, 5.0, 100.0, np.nan], breaks)[:3],
                                  [0, 2, 3])
    assert np.isnan(wqs.quantile_scores([np.nan], breaks)[0])


def test_covariates_are_dummy_coded_against_their_first_level():
    frame = pd.DataFrame({
        "g": pd.Categorical(["b", "a", "c", "b"], categories=["b", "a", "c"]),
        "z": [1.0, 2.0, 3.0, 4.0],
    })
    coded = dummy_code(frame, ["g", "z"])
    assert list(coded.columns) == ["g[a]", "g[c]", "z"]
    np.testing.assert_array_equal(coded["g[a]"], [0, 1, 0, 0])
    np.testing.assert_array_equal(coded["g[c]"], [0, 0, 1, 0])


# --- the constrained fit on its own -----------------------------------------


def _gaussian_two_exposures(c1, c2, seed=0, n=300):
    rng = np.random.default_rng(seed)
    Q = rng.integers(0, 4, size=(n, 2)).astype(float)
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])
    y = 0.5 + 0.3 * X[:, 1] + c1 * Q[:, 0] + c2 * Q[:, 1] + rng.standard_normal(n)
    return y, X, Q


def test_gaussian_fit_equals_least_squares_when_both_slopes_are_positive():
    # If unconstrained least squares gives slopes c1, c2 > 0, the WQS optimum is
    # interior: beta1 = c1 + c2 and w = (c1, c2) / (c1 + c2).
    y, X, Q = _gaussian_two_exposures(0.6, 0.3)
    ls = np.linalg.lstsq(np.column_stack([X, Q]), y, rcond=None)[0]
    c = ls[2:]
    assert (c > 0).all()
    fit = wqs.fit_wqs_sample(y, X, Q, family="gaussian", direction="positive")
    # 1e-6: the constrained optimiser's convergence tolerance, not rounding
    np.testing.assert_allclose(fit.w, c / c.sum(), atol=1e-6)
    np.testing.assert_allclose(fit.beta1, c.sum(), rtol=1e-6)
    np.testing.assert_allclose(fit.params, ls[:2], atol=1e-5)


def test_gaussian_fit_drops_an_exposure_acting_against_the_direction():
    # Slope of x2 negative: the positive-direction optimum sets w2 = 0 and equals
    # least squares of y on the covariates and x1 alone.
    y, X, Q = _gaussian_two_exposures(0.6, -0.4)
    fit = wqs.fit_wqs_sample(y, X, Q, family="gaussian", direction="positive")
    ls = np.linalg.lstsq(np.column_stack([X, Q[:, 0]]), y, rcond=None)[0]
    np.testing.assert_allclose(fit.w, [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(fit.beta1, ls[-1], rtol=1e-6)


@pytest.mark.parametrize("family", ["binomial", "gaussian"])
def test_the_signal_is_the_wald_statistic_of_a_glm_refit_with_the_weights(family):
    """gWQS refits a GLM on the covariates and Q w; its maximum is the constrained
    optimum (wqs_fit module notes), so no refit is run: check against a statsmodels
    refit. Tolerance 1e-6: the constrained optimiser stops at a projected gradient of
    1e-9, IRLS at its own criterion."""
    rng = np.random.default_rng(3)
    n = 500
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    Q = rng.integers(0, 4, size=(n, 3)).astype(float)
    eta = X @ [-0.5, 0.4, -0.3] + Q @ [0.3, 0.2, 0.0]
    y = (rng.binomial(1, 1 / (1 + np.exp(-eta))) if family == "binomial"
         else eta + rng.standard_normal(n)).astype(float)
    fit = wqs.fit_wqs_sample(y, X, Q, family=family, direction="positive")
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Gaussian()
    ref = sm.GLM(y, np.column_stack([X, Q @ fit.w]), family=fam).fit()
    assert fit.beta1 == pytest.approx(ref.params[-1], rel=1e-6)
    assert fit.se == pytest.approx(ref.bse[-1], rel=1e-6)
    assert fit.stat == pytest.approx(ref.tvalues[-1], rel=1e-6)


# --- recovery of a known truth ------------------------------------------------


@pytest.fixture(scope="module")
def positive_truth():
    data = wqs.simulate_mixture(n=2000, weights=TRUE_POS, beta1=1.5, rho=0.3, seed=11)
    return data, wqs.wqs_regression(data, MIX, "y", COVS, b=50, directions=["positive"],
                                    seed=11, n_jobs=1, progress=False)


def test_weights_are_a_convex_combination(positive_truth):
    _, res = positive_truth
    w = _weights(res, "positive")
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    boots = res.bootstraps[MIX].to_numpy()
    assert (boots >= 0).all()
    np.testing.assert_allclose(boots.sum(axis=1), 1.0, atol=1e-12)


def test_positive_weights_recover_the_truth_within_0_15(positive_truth):
    _, res = positive_truth
    np.testing.assert_array_less(np.abs(_weights(res, "positive") - TRUE_POS), 0.15)


def test_index_odds_ratio_is_above_one_with_ci_excluding_one(positive_truth):
    _, res = positive_truth
    row = res.estimates.iloc[0]
    assert row["direction"] == "positive"
    assert row["or"] > 1 and row["ci_lower"] > 1
    assert row["ci_lower"] < row["or"] < row["ci_upper"]
    assert row["p"] < 0.05
    assert (row["n_train"], row["n_valid"]) == (800, 1200)


def test_final_weights_are_the_t_squared_weighted_mean_of_used_bootstraps(positive_truth):
    _, res = positive_truth
    boots = res.bootstraps
    used = boots[boots["used"]]
    assert (used["b1"] > 0).all()
    expected = (used[MIX].to_numpy() * used["stat"].to_numpy()[:, None] ** 2).sum(0) / (
        used["stat"] ** 2
    ).sum()
    np.testing.assert_allclose(_weights(res, "positive"), expected, rtol=1e-12)


def test_weights_are_consistent_in_a_large_sample():
    data = wqs.simulate_mixture(n=20000, weights=TRUE_POS, beta1=1.0, rho=0.3, seed=7)
    res = wqs.wqs_regression(data, MIX, "y", COVS, b=5, validation=0.0,
                             directions=["positive"], seed=7, n_jobs=1, progress=False)
    np.testing.assert_array_less(np.abs(_weights(res, "positive") - TRUE_POS), 0.03)


def test_negative_direction_finds_the_protective_exposures():
    data = wqs.simulate_mixture(n=2000, weights=TRUE_POS, beta1=1.0,
                                negative=(0, 0, 0, 0.6, 0.4), beta1_neg=-1.0, rho=0.3, seed=5)
    res = wqs.wqs_regression(data, MIX, "y", COVS, b=30, seed=5, n_jobs=1, progress=False)
    neg = _weights(res, "negative")
    pos = _weights(res, "positive")
    # the true weights put all of each index on its own exposures (sums of 1); 0.9
    # leaves 0.1 to leak to the others, inside the 0.15-per-weight error of the docstring
    assert neg[3:].sum() > 0.9
    assert pos[:3].sum() > 0.9
    idx = res.estimates.set_index("direction")
    assert idx.loc["negative", "ci_upper"] < 1
    assert idx.loc["positive", "ci_lower"] > 1


def test_a_direction_without_support_raises_like_gwqs():
    data = wqs.simulate_mixture(n=1000, weights=TRUE_POS, beta1=1.5, seed=2)
    with pytest.raises(RuntimeError, match="no negative b1"):
        wqs.wqs_regression(data, MIX, "y", COVS, b=10, directions=["negative"], seed=2,
                           n_jobs=1, progress=False)


def test_free_sign_fit_agrees_with_the_constrained_one_for_a_clear_positive_effect():
    data = wqs.simulate_mixture(n=1000, weights=TRUE_POS, beta1=1.5, seed=4)
    kw = dict(b=20, directions=["positive"], seed=4, n_jobs=1, progress=False)
    a = wqs.wqs_regression(data, MIX, "y", COVS, b1_constr=True, **kw)
    b = wqs.wqs_regression(data, MIX, "y", COVS, b1_constr=False, **kw)
    # with every bootstrap b1 > 0 the constraint is inactive: the two optimisers reach the
    # same optimum, up to their convergence tolerance
    np.testing.assert_allclose(_weights(a, "positive"), _weights(b, "positive"), atol=1e-5)


def test_gaussian_family_recovers_the_truth():
    data = wqs.simulate_mixture(n=1000, weights=TRUE_POS, beta1=1.0, rho=0.3, seed=9,
                                family="gaussian")
    res = wqs.wqs_regression(data, MIX, "y", COVS, family="gaussian", b=30,
                             directions=["positive"], seed=9, n_jobs=1, progress=False)
    # Monte-Carlo (20 data sets): RMSE per weight <= 0.055, largest error 0.11.
    np.testing.assert_array_less(np.abs(_weights(res, "positive") - TRUE_POS), 0.15)
    row = res.estimates.iloc[0]
    assert np.isnan(row["or"]) and row["ci_lower"] > 0


# --- reproducibility, weights, results ----------------------------------------


@pytest.fixture(scope="module")
def small():
    return wqs.simulate_mixture(n=400, weights=TRUE_POS, beta1=1.0,
                                negative=(0, 0, 0, 0.5, 0.5), beta1_neg=-0.8, seed=21)


def test_same_seed_gives_identical_results_with_one_or_two_workers(small):
    kw = dict(b=12, seed=99, progress=False)
    one = wqs.wqs_regression(small, MIX, "y", COVS, n_jobs=1, **kw)
    two = wqs.wqs_regression(small, MIX, "y", COVS, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.weights, two.weights)
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    pd.testing.assert_frame_equal(one.bootstraps, two.bootstraps)


def test_another_seed_gives_another_split(small):
    kw = dict(b=5, n_jobs=1, progress=False)
    a = wqs.wqs_regression(small, MIX, "y", COVS, seed=1, **kw)
    b = wqs.wqs_regression(small, MIX, "y", COVS, seed=2, **kw)
    assert not np.allclose(a.weights["weight"], b.weights["weight"])


def test_constant_survey_weights_change_nothing_but_the_notes(small):
    kw = dict(b=8, seed=3, n_jobs=1, progress=False)
    plain = wqs.wqs_regression(small, MIX, "y", COVS, **kw)
    flat = small.assign(w=2345.0)
    weighted = wqs.wqs_regression(flat, MIX, "y", COVS, **kw,
                                  design=SurveyDesign(flat, "w", stratum=None, psu=None))
    # the same optimum, reached from a rescaled objective: optimiser tolerance only
    np.testing.assert_allclose(weighted.weights["weight"], plain.weights["weight"], atol=1e-7)
    np.testing.assert_allclose(weighted.estimates["beta"], plain.estimates["beta"], atol=1e-7)
    assert any("unweighted" in n for n in plain.notes)
    assert not any("unweighted" in n for n in weighted.notes)


@pytest.fixture(scope="module")
def surveyed(small):
    """The small mixture with unequal weights, 10 strata of 2 PSUs."""
    rng = np.random.default_rng(8)
    return small.assign(w=rng.lognormal(7, 0.6, len(small)),
                        h=np.repeat(np.arange(10), 40), u=np.tile(np.repeat([1, 2], 20), 10))


@pytest.mark.parametrize("df", ["r_survey", "psu_minus_strata"])
def test_weighted_index_or_and_ci_equal_svyglm_on_the_validation_rows(surveyed, df):
    """Issue 10: the weighted WQS validation fit is svyglm on design.subset(validation
    rows), the whole design kept (t on the design df, not z; PSUs outside the
    validation rows still count)."""
    design = SurveyDesign(surveyed, "w", "h", "u", df=df)
    res = wqs.wqs_regression(surveyed, MIX, "y", COVS, b=6, seed=4, n_jobs=1, progress=False,
                             design=design)
    # rebuild the validation rows and the index from the result
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(2)[0])
    n = len(surveyed)
    valid = np.zeros(n, dtype=bool)
    valid[rng.choice(n, size=round(n * 0.6), replace=False)] = True
    scores = np.column_stack([wqs.quantile_scores(surveyed[m], res.breaks[m]) for m in MIX])
    for direction, row in res.estimates.set_index("direction").iterrows():
        w = res.weight_table().loc[MIX, direction].to_numpy()
        frame = surveyed.assign(wqs=scores @ w)
        same = SurveyDesign(frame, "w", "h", "u", df=df).subset(valid)
        fit = svyglm("y ~ group + z1 + z2 + wqs", same, "binomial")
        ref = fit.tidy(exponentiate=True).set_index("term").loc["wqs"]
        assert row["n_valid"] == valid.sum() == fit.nobs
        # same formula fitted two ways: statsmodels' IRLS to 1e-12, so 1e-9 is ample
        for ours, theirs in [("or", "estimate"), ("ci_lower", "ci_lower"),
                             ("ci_upper", "ci_upper"), ("p", "p"), ("se", "se")]:
            assert row[ours] == pytest.approx(ref[theirs], rel=1e-9), (direction, ours)
        assert res.fits[direction].df_resid == fit.df_resid


def test_weighted_validation_keeps_the_whole_design(surveyed):
    """The variance counts every PSU of the design, so it differs from a design built
    on the validation rows alone, and a lonely PSU is an error, not silently skipped."""
    design = SurveyDesign(surveyed, "w", "h", "u")
    kw = dict(b=4, seed=4, n_jobs=1, progress=False)
    whole = wqs.wqs_regression(surveyed, MIX, "y", COVS, design=design, **kw)
    assert whole.fits["positive"].design_df == 10  # 20 PSUs - 10 strata, all hold valid rows
    lonely = surveyed.assign(u=np.where(surveyed["h"] == 0, 1, surveyed["u"]))
    with pytest.raises(LonelyPSUError, match="stratum 0"):
        wqs.wqs_regression(lonely, MIX, "y", COVS, design=SurveyDesign(lonely, "w", "h", "u"),
                           **kw)


def test_wqs_results_follow_the_results_protocol(small):
    res = wqs.wqs_regression(small, MIX, "y", COVS, b=5, seed=1, n_jobs=1, progress=False)
    assert isinstance(res, Results)
    assert list(res.params.index) == ["positive", "negative"]
    est = res.estimates.set_index("direction")
    np.testing.assert_allclose(res.params, est["beta"])
    np.testing.assert_allclose(np.exp(res.conf_int()["lower"]), est["ci_lower"])
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov_params())), est["se"])
    tidy = res.tidy(exponentiate=True)
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    np.testing.assert_allclose(tidy["estimate"], est["or"])
    summary = res.summary()
    assert isinstance(summary, Summary) and "unweighted" in str(summary)
    assert res.top_weight("positive")[0] in MIX
    assert res.describe("positive").startswith(f"{est.loc['positive', 'or']:.2f} (95% CI ")


def test_results_are_tidy_and_written_to_csv(small, tmp_path):
    res = wqs.wqs_regression(small, MIX, "y", COVS, b=5, seed=1, n_jobs=1, progress=False)
    assert list(res.weights.columns) == ["metal", "weight", "direction"]
    assert list(res.estimates.columns[:7]) == [
        "direction", "beta", "se", "or", "ci_lower", "ci_upper", "p"]
    assert {"n_train", "n_valid"} <= set(res.estimates.columns)
    paths = res.to_csv(tmp_path)
    assert pd.read_csv(paths["weights"]).shape == (10, 3)
    assert "unweighted" in res._repr_html_()


def test_missing_rows_are_dropped_with_a_note(small):
    data = small.copy()
    data.loc[:9, "x1"] = np.nan
    res = wqs.wqs_regression(data, MIX, "y", COVS, b=3, seed=1, n_jobs=1, progress=False)
    assert res.estimates["n_train"].iloc[0] + res.estimates["n_valid"].iloc[0] == len(data) - 10
    assert any("10 rows with missing values dropped" in n for n in res.notes)


def test_training_cut_points_option_differs_from_gwqs_default(small):
    kw = dict(b=3, seed=1, n_jobs=1, progress=False)
    all_rows = wqs.wqs_regression(small, MIX, "y", COVS, **kw)
    train = wqs.wqs_regression(small, MIX, "y", COVS, quantile_from="train", **kw)
    x1 = small["x1"].to_numpy()
    np.testing.assert_allclose(all_rows.breaks["x1"], np.quantile(x1, [0.25, 0.5, 0.75]))
    assert not np.allclose(all_rows.breaks["x1"], train.breaks["x1"])


def test_repeated_holdout_summarises_weights_over_splits(small):
    res = wqs.wqs_repeated_holdout(small, MIX, "y", COVS, rh=4, b=5, seed=1, n_jobs=1,
                                   progress=False)
    w = res.weights
    assert set(w["direction"]) == {"positive", "negative"}
    assert ((w["p2_5"] <= w["median"]) & (w["median"] <= w["p97_5"])).all()
    assert (res.repeats.groupby(["repeat", "direction"])["weight"].sum() - 1).abs().max() < 1e-9
    assert res.estimates["n_repeats"].max() <= 4
    assert res.repeats["repeat"].nunique() == 4


def test_bench_returns_seconds():
    seconds = wqs.bench_wqs(n=300, b=3, n_jobs=1)
    assert isinstance(seconds, float) and 0 < seconds < np.inf


def test_an_exposure_named_like_a_bootstrap_column_keeps_its_weights(small):
    """Selenium's key is "se": the bootstrap table's standard error must not overwrite it."""
    data = small.rename(columns={"x4": "se"})
    mix = ["x1", "x2", "x3", "se", "x5"]
    res = wqs.wqs_regression(data, mix, "y", COVS, b=4, seed=1, n_jobs=1, progress=False)
    np.testing.assert_allclose(res.bootstraps[mix].sum(axis=1), 1.0, atol=1e-12)
    assert "b1_se" in res.bootstraps.columns
