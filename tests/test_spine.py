"""Total lumbar-spine BMD from the vertebrae (osteometals.nhanes.spine): the two validity
rules on synthetic rows, and on the real files the check that the rebuilt L1-L4 total is
NCHS's released total within rounding.

Variables and codes: DXXSPN_H and P_DXXSPN codebooks (docs/): DXXL<i>BMC (g), DXXL<i>A
(cm²), DXXL<i>BCC (0 valid; 1, 3, 4, 5, 6 reasons for invalid), DXXOSBMD / DXXOSBMC /
DXXOSA the released totals, missing whenever a vertebra is invalid.
"""

import numpy as np
import pandas as pd
import pytest

from osteometals.nhanes import spine
from osteometals.nhanes.files import load_table


def _row(bmc, area, codes, total=np.nan, total_bmc=np.nan, total_area=np.nan):
    row = {"DXXOSBMD": total, "DXXOSBMC": total_bmc, "DXXOSA": total_area}
    for v, b, a, c in zip(spine.VERTEBRAE, bmc, area, codes, strict=True):
        cols = spine.vertebra_columns(v)
        row[cols["bmc"]], row[cols["area"]], row[cols["code"]] = b, a, c
        row[cols["bmd"]] = b / a if a else np.nan
    return row


#: By hand: L1-L4 BMC 10, 12, 14, 16 g over areas 14, 15, 16, 17 cm²: 52 / 62 = 0.8387.
FULL = _row([10, 12, 14, 16], [14, 15, 16, 17], [0, 0, 0, 0], 0.839, 52.0, 62.0)
#: L4 invalid (code 6, degenerative): no released total; ISCD uses L1-L3: 36 / 45 = 0.8.
THREE = _row([10, 12, 14, np.nan], [14, 15, 16, np.nan], [0, 0, 0, 6])
#: L1 and L2 valid: 22 / 29.
TWO = _row([10, 12, np.nan, np.nan], [14, 15, np.nan, np.nan], [0, 0, 1, 4])
#: one valid vertebra: no spine under either rule.
ONE = _row([10, np.nan, np.nan, np.nan], [14, np.nan, np.nan, np.nan], [0, 6, 6, 6])
#: coded valid but released with zero BMC and area (happens once in P_DXXSPN): not usable.
ZERO = _row([0, 12, 14, 16], [0, 15, 16, 17], [0, 0, 0, 0])


@pytest.fixture
def frame():
    return pd.DataFrame([FULL, THREE, TWO, ONE, ZERO])


def test_a_vertebra_is_valid_only_with_code_0_and_a_positive_area(frame):
    valid = spine.valid_vertebrae(frame)
    assert valid.sum(axis=1).tolist() == [4, 3, 2, 1, 3]
    assert not valid.loc[4, "L1"]


def test_the_recomputed_total_is_total_bmc_over_total_area(frame):
    total = spine.recomputed_total(frame)
    assert total.tolist() == pytest.approx([52 / 62, 36 / 45, 22 / 29, 10 / 14, 42 / 48])
    assert spine.recomputed_total(frame, ["L1", "L2"]).iloc[0] == pytest.approx(22 / 29)


def test_all_four_keeps_the_released_total_only(frame):
    out = spine.spine_bmd(frame, "all_four")
    assert out["bmd"].iloc[0] == 0.839 and out["bmd"].iloc[1:].isna().all()
    assert out["n_vertebrae"].tolist() == [4, 3, 2, 1, 3]


def test_iscd_adds_two_or_three_valid_vertebrae_and_keeps_released_totals(frame):
    out = spine.spine_bmd(frame, "iscd_two_or_more")["bmd"]
    assert out.iloc[0] == 0.839  # the released total, not the recomputed 0.8387
    assert out.iloc[1] == pytest.approx(0.8) and out.iloc[2] == pytest.approx(22 / 29)
    assert np.isnan(out.iloc[3])  # a single vertebra never classifies
    assert out.iloc[4] == pytest.approx(42 / 48)


def test_all_four_works_without_the_vertebra_columns():
    out = spine.spine_bmd(pd.DataFrame({"DXXOSBMD": [1.0, np.nan]}), "all_four")
    assert out["n_vertebrae"].tolist() == [4, 0]


def test_an_unknown_rule_names_the_rules(frame):
    with pytest.raises(ValueError, match="iscd_two_or_more"):
        spine.spine_bmd(frame, "iscd")


def test_rounding_bound_is_half_a_digit_plus_the_propagated_rounding():
    # 0.0005 + 0.005 * 4 * (1 + 1.0) / 50 = 0.0005 + 0.0008
    bound = spine.rounding_bound(pd.Series([1.0]), pd.Series([50.0]))
    assert bound.iloc[0] == pytest.approx(0.0013)


def test_released_total_check_explains_each_record():
    within = _row([10, 12, 14, 16], [14, 15, 16, 17], [0, 0, 0, 0], 0.839, 52.0, 62.0)
    subset = _row([10, 12, 14, 16], [14, 15, 16, 17], [0, 0, 0, 0], 0.800, 36.0, 45.0)
    broken = _row([10, 12, 14, 16], [14, 15, 16, 17], [0, 0, 0, 0], 0.700, 52.0, 62.0)
    check = spine.released_total_check(pd.DataFrame([within, subset, broken, THREE]))
    assert check["agreement"].tolist() == list(spine.AGREEMENT[:3])  # THREE is not checked
    assert check["difference"].iloc[0] == pytest.approx(52 / 62 - 0.839)


def test_check_sentence_counts_each_explanation():
    agreement = pd.Series([spine.AGREEMENT[0]] * 3 + [spine.AGREEMENT[1]] * 2
                          + [spine.AGREEMENT[2]])
    text = spine.check_sentence(agreement)
    assert text.startswith("3 of the 6 records agree within rounding")
    assert "2 are totals NCHS formed from a subset" in text
    assert "1 has a released BMD that differs" in text and "none is unexplained" in text
    one = spine.check_sentence(pd.Series([spine.AGREEMENT[0], spine.AGREEMENT[3]]))
    assert "1 is unexplained" in one


def test_subset_shift_is_the_subset_minus_the_l1_l4_bmd(frame):
    shift = spine.subset_shift(frame, [("L1", "L2"), ("L1", "L3")])
    assert shift["vertebrae"].tolist() == ["L1-L2", "L1+L3"]
    assert shift["n"].tolist() == [1, 1]  # only FULL has four usable vertebrae
    assert shift["mean_shift"].iloc[0] == pytest.approx(22 / 29 - 52 / 62)


# ------------------------------------------------------------------ the real files


@pytest.mark.mirror
@pytest.mark.parametrize("table", ["DXXSPN_H", "P_DXXSPN"])
def test_real_released_totals_equal_the_rebuilt_l1_l4_total_within_rounding(table,
                                                                            nhanes_mirror):
    """Tolerance: :func:`spine.rounding_bound`, what rounding alone can cause (BMD to
    3 decimals, BMC and area to 2; at most 0.0015 g/cm² on these files). Every record
    outside it must be explained: its released total BMC is the sum over a subset of
    the vertebrae, or its released BMD disagrees with its own released BMC / area."""
    check = spine.released_total_check(load_table(table))
    counts = check["agreement"].value_counts()
    assert counts.get(spine.AGREEMENT[3], 0) == 0
    assert counts[spine.AGREEMENT[0]] / len(check) > 0.95
    assert check["bound"].max() < 0.0015
    within = check[check["agreement"] == spine.AGREEMENT[0]]
    assert (within["difference"].abs() <= within["bound"]).all()


@pytest.mark.mirror
def test_vertebra_counts_match_the_codebook_frequencies(nhanes_mirror):
    """DXXSPN_H codebook: 2,135 'all vertebrae valid', L1 valid 3,063 and L4 valid 2,637."""
    valid = spine.valid_vertebrae(load_table("DXXSPN_H"))
    assert int(valid.all(axis=1).sum()) == 2135
    assert int(valid["L1"].sum()) == 3063 and int(valid["L4"].sum()) == 2637
