"""Which scale the paper's Table 3 βs are on (osteometals.paper.beta_scale).

Published side: Peng et al. (2025) Table 3 (osteometals.paper.published). Our side
is built here from the paper's own βs, so the right answer is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteometals.paper import beta_scale, published


def _ours(n: int = 905, factor: float = 3.0) -> pd.DataFrame:
    """Our Table 3 as if the paper's βs were standardised: our SEs on the standardised
    scale are those the paper's (β, P) imply, those on g/cm² a ``factor`` smaller."""
    t3 = published.table3()
    se = published.se_from_beta_p(t3.estimate, t3.p)
    return t3.assign(std_estimate=t3.estimate, std_se=se, std_ci_lower=np.nan,
                     std_ci_upper=np.nan, estimate=t3.estimate / factor, se=se / factor, n=n)


def test_the_implied_se_is_compared_with_ours_on_each_scale():
    ev = beta_scale.evidence(_ours())
    assert len(ev) == 2 * 90
    std = ev[ev.scale == "standardised"]
    raw = ev[ev.scale == "unstandardised"]
    np.testing.assert_allclose(std.se_ratio, 1.0)
    np.testing.assert_allclose(raw.se_ratio, 3.0)
    assert beta_scale.supported_scale(ev) == "standardised"


def test_sample_size_is_taken_out_before_the_comparison():
    """With 4 times the paper's n our SEs are half the paper's on the right scale:
    se_ratio 2, se_ratio_n = 2 / sqrt(4) = 1."""
    ours = _ours(n=4 * published.N_TOTAL)
    ours = ours.assign(std_se=ours.std_se / 2, se=ours.se / 2)
    ev = beta_scale.evidence(ours)
    std = ev[ev.scale == "standardised"]
    np.testing.assert_allclose(std.se_ratio, 2.0)
    np.testing.assert_allclose(std.se_ratio_n, 1.0)
    summary = beta_scale.summary(ev).set_index("scale")
    assert summary.loc["standardised", "median_se_ratio_n"] == pytest.approx(1.0)
    assert summary.loc["unstandardised", "median_se_ratio_n"] == pytest.approx(3.0)
    assert summary.loc["standardised", "median_abs_difference"] == pytest.approx(0.0)


def test_unstandardised_wins_when_the_raw_ses_match():
    ours = _ours()
    ours = ours.assign(se=ours.std_se, std_se=3 * ours.std_se)  # raw SEs are the implied ones
    ev = beta_scale.evidence(ours)
    assert beta_scale.supported_scale(ev) == "unstandardised"


def test_on_scale_swaps_the_columns_and_keeps_p():
    ours = _ours()
    std = beta_scale.on_scale(ours, "standardised")
    assert (std.estimate == ours.std_estimate).all() and (std.p == ours.p).all()
    with pytest.raises(ValueError, match="scale must be one of"):
        beta_scale.on_scale(ours, "z-scores")
    with pytest.raises(KeyError, match="rerun chapter 4"):
        beta_scale.on_scale(ours.drop(columns="std_estimate"), "standardised")
    with pytest.raises(KeyError, match="rerun chapter 4"):
        beta_scale.evidence(ours.drop(columns="std_se"))


def test_two_fits_are_kept_apart():
    both = pd.concat([_ours().assign(weighted=True), _ours().assign(weighted=False)])
    summary = beta_scale.summary(beta_scale.evidence(both))
    assert len(summary) == 4 and (summary.cells == 90).all()


def test_the_evidence_figure_has_one_panel_per_scale_with_every_cell():
    import matplotlib

    matplotlib.use("Agg")
    from osteometals.paper.plots import beta_scale_plot

    fig = beta_scale_plot(beta_scale.evidence(_ours()), published.N_TOTAL)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["unstandardised", "standardised"]
    assert all(len(ax.collections[0].get_offsets()) == 90 for ax in axes)
