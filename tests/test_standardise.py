"""Standardised coefficients (osteometals.stats.standardise) are SPSS's "Beta".

Reference: a coefficient of a linear regression in which the outcome and every
regressor are first turned into z-scores equals ``b * sd(x) / sd(y)`` of the
raw fit (Hays 1994, sect. 15.15); the weighted version holds the same way for
weighted least squares on weighted z-scores. Both sides are computed here
independently, the reference with statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from osteometals.stats import survey
from osteometals.stats.standardise import (
    standardised_coefficients,
    standardising_factors,
    weighted_sd,
)


def _data(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.choice(["Q1", "Q2", "Q3", "Q4"], n)
    age = rng.uniform(50, 80, n)
    y = 0.9 - 0.04 * (q == "Q4") - 0.004 * (age - 65) + rng.normal(0, 0.13, n)
    return pd.DataFrame({
        "y": y, "q": pd.Categorical(q), "age": age,
        "weight": rng.lognormal(9, 0.6, n),
        "stratum": rng.integers(1, 16, n), "psu": rng.integers(1, 3, n),
    })


def _X(d: pd.DataFrame) -> pd.DataFrame:
    X = pd.get_dummies(d["q"], prefix="q", prefix_sep="[T.", drop_first=True).astype(float)
    X.columns = [f"{c}]" for c in X.columns]
    return pd.concat([pd.Series(1.0, index=d.index, name="Intercept"), X, d[["age"]]], axis=1)


def _z(v: pd.Series, w: np.ndarray) -> pd.Series:
    m = np.average(v, weights=w)
    return (v - m) / np.sqrt(np.average((v - m) ** 2, weights=w))


def test_weighted_sd_of_a_dummy_is_sqrt_p_one_minus_p():
    x = np.array([1.0, 0.0, 0.0, 0.0])
    assert weighted_sd(x) == pytest.approx(np.sqrt(0.25 * 0.75))
    # weight 3 on the one: weighted share 1/2
    assert weighted_sd(x, np.array([3.0, 1.0, 1.0, 1.0])) == pytest.approx(0.5)


@pytest.mark.parametrize("weighted", [False, True])
def test_beta_equals_the_coefficient_of_the_regression_on_z_scores(weighted):
    d = _data()
    X = _X(d)
    w = d["weight"].to_numpy() if weighted else np.ones(len(d))
    fit = (survey.svyglm((d["y"], X), d, "gaussian") if weighted
           else survey.glm((d["y"], X), d, "gaussian"))
    got = standardised_coefficients(fit, X, d["y"], d["weight"] if weighted else None)
    Z = X.drop(columns="Intercept").apply(_z, w=w)
    ref = sm.WLS(_z(d["y"], w), sm.add_constant(Z), weights=w).fit().params
    # the same least-squares solution computed two ways: rounding error only
    np.testing.assert_allclose(got["estimate"].drop("Intercept"), ref.drop("const"),
                               rtol=1e-9)
    assert np.isnan(got.loc["Intercept", "estimate"])


def test_rescaling_keeps_t_statistics_and_interval_order():
    d = _data()
    X = _X(d)
    fit = survey.svyglm((d["y"], X), d, "gaussian")
    got = standardised_coefficients(fit, X, d["y"], d["weight"]).drop("Intercept")
    np.testing.assert_allclose(got["estimate"] / got["se"], fit.tvalues.drop("Intercept"),
                               rtol=1e-12)
    assert (got["ci_lower"] < got["estimate"]).all() and (got["estimate"] < got["ci_upper"]).all()


def test_a_dummy_beta_is_about_three_times_b_when_sd_y_is_small():
    """The scale question of the paper's Table 3: B = -0.04 g/cm2 for a quartile with
    share 1/4 and sd(BMD) = 0.14 is Beta = -0.04 * 0.433 / 0.14 = -0.124."""
    x = pd.DataFrame({"q4": np.r_[np.ones(250), np.zeros(750)]})
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 1000)
    y = 0.14 * (y - y.mean()) / y.std()
    factor = standardising_factors(x, y)["q4"]
    assert -0.04 * factor == pytest.approx(-0.124, abs=5e-4)


def test_bad_input_is_refused_with_a_reason():
    x = pd.DataFrame({"a": [0.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match="same number of rows"):
        standardising_factors(x, [1.0, 2.0])
    with pytest.raises(ValueError, match="constant"):
        standardising_factors(x, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="missing"):
        standardising_factors(x, [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        weighted_sd(np.array([1.0, 2.0]), np.array([-1.0, 2.0]))
