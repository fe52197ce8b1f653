"""Optional cohort exclusions (osteometals.nhanes.exclusions): yes, no and unknown from the
questionnaire codes and skip patterns.

Codes, from the codebooks (docs/OSQ_H.md, P_OSQ.md, RHQ_H.md, P_RHQ.md): 1 yes, 2 no,
7 refused, 9 don't know (set to missing by cohort.recode_special before these functions
see them). OSQ072 is asked only if OSQ060 (ever told osteoporosis) = 1.
"""

import numpy as np
import pandas as pd

from osteometals.nhanes import exclusions as ex

NAN = np.nan


def test_never_told_of_osteoporosis_means_not_treated():
    raw = pd.DataFrame({"OSQ060": [2, 1, 1, 1, NAN], "OSQ072": [NAN, 1, 2, NAN, NAN]})
    status = ex.op_treatment(raw)
    assert status.iloc[:3].tolist() == [0.0, 1.0, 0.0]
    assert status.iloc[3:].isna().all()  # told, treatment unknown; OSQ060 unknown


def test_hormone_and_menstruation_status_are_yes_no_or_unknown():
    assert ex.hormone_therapy(pd.DataFrame({"RHQ540": [1, 2, NAN]})).tolist()[:2] == [1.0, 0.0]
    assert np.isnan(ex.hormone_therapy(pd.DataFrame({"RHQ540": [NAN]})).iloc[0])
    status = ex.menstruating(pd.DataFrame({"RHQ031": [1, 2, NAN]}))
    assert status.iloc[:2].tolist() == [1.0, 0.0] and np.isnan(status.iloc[2])


def test_a_special_code_that_slipped_through_is_unknown_not_no():
    # 7 or 9 must never count as yes or no, even if recode_special was skipped
    assert ex.menstruating(pd.DataFrame({"RHQ031": [7, 9]})).isna().all()
    assert ex.op_treatment(pd.DataFrame({"OSQ060": [1, 9], "OSQ072": [9, NAN]})).isna().all()


def test_each_exclusion_is_switched_by_a_cohort_option_and_cites_its_variable():
    from osteometals.nhanes.options import CohortOptions

    fields = set(CohortOptions.field_names())
    for e in ex.EXCLUSIONS:
        assert e.option in fields and getattr(CohortOptions(), e.option) is False
        assert all(v in e.condition or v in ("OSQ060",) for v in e.variables)


def test_the_reason_counts_condition_and_unknown_apart():
    e = ex.EXCLUSIONS[1]
    reason = ex.exclusion_reason(e, pd.Series([1.0, 1.0, 0.0, NAN]))
    assert reason == ("ever used female hormones (RHQ540): 2; unknown (refused, don't know or "
                      "not answered): 1")
