"""Optional cohort exclusions from the questionnaires, each a ``CohortOptions`` field.

The paper keeps every woman aged 50 or older, whatever her treatment or
menstrual status. Three exclusions a reader may want, each off by default
(so the default cohort stays the paper's):

``exclude_op_treatment``
    Women told to take a prescribed medicine for osteoporosis. OSQ (OSQ_H,
    P_OSQ): OSQ060 "Has a doctor ever told you that you had osteoporosis?"
    (1 yes, 2 no, 7 refused, 9 don't know; "no" skips the next question) and
    OSQ072 "... have you ever been told by a doctor or other health care
    professional to take a prescribed medicine for osteoporosis?" (asked if
    OSQ060 = 1; card OSQ 2 lists Fosamax, Boniva, Actonel, Reclast,
    Miacalcin, Fortical, Evista, Forteo). Treated = OSQ072 = 1; not treated =
    OSQ072 = 2, or OSQ060 = 2 (never told). It records advice ever given,
    not current use: these cycles ask nothing more specific.
``exclude_hormone_therapy``
    Women who ever used female hormones. RHQ (RHQ_H, P_RHQ): RHQ540 "Have
    you ever used female hormones such as estrogen and progesterone? ... do
    not include birth control methods or use for infertility" (1 yes, 2 no,
    7 refused, 9 don't know). Ever use, not current use.
``exclude_menstruating``
    Women still menstruating. RHQ031 "Have you had at least one menstrual
    period in the past 12 months? (Please do not include bleedings caused by
    medical conditions, hormone therapy, or surgeries.)" (1 yes, 2 no, 7, 9).
    Menstruating = RHQ031 = 1.

A refused or don't-know answer (or no answer where one was due) is neither
yes nor no: the status is unknown (NaN). When an exclusion is on, a woman is
kept only if her status is known to be "no"; the flow step reports how many
were excluded for the condition and how many because it was unknown, so
neither silently counts as the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


def _yes_no(codes: pd.Series) -> pd.Series:
    """1 -> 1.0 (yes), 2 -> 0.0 (no), anything else NaN (unknown)."""
    return pd.Series(np.select([codes == 1, codes == 2], [1.0, 0.0], np.nan), index=codes.index)


def op_treatment(raw: pd.DataFrame) -> pd.Series:
    """Ever told to take a prescribed osteoporosis medicine: 1 yes, 0 no, NaN unknown.

    ``raw`` has OSQ060 and OSQ072 with special codes already set to missing.
    """
    told, rx = raw["OSQ060"], raw["OSQ072"]
    status = _yes_no(rx).where(told == 1)
    return status.mask(told == 2, 0.0)


def hormone_therapy(raw: pd.DataFrame) -> pd.Series:
    """Ever used female hormones (RHQ540): 1 yes, 0 no, NaN unknown."""
    return _yes_no(raw["RHQ540"])


def menstruating(raw: pd.DataFrame) -> pd.Series:
    """At least one menstrual period in the past 12 months (RHQ031): 1, 0 or NaN."""
    return _yes_no(raw["RHQ031"])


@dataclass(frozen=True)
class Exclusion:
    """One optional exclusion.

    Attributes
    ----------
    option : str
        The ``CohortOptions`` field that switches it on.
    step : str
        Name of its flow step (who stays).
    condition : str
        Who is excluded, with the NHANES variable, for the flow's reason.
    variables : tuple of str
        Raw NHANES variables read.
    status : callable
        ``status(raw) -> Series`` of 1.0 (has the condition), 0.0 (has not),
        NaN (unknown).
    """

    option: str
    step: str
    condition: str
    variables: tuple[str, ...]
    status: Callable[[pd.DataFrame], pd.Series]


#: The optional exclusions, in the order the flow applies them.
EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion("exclude_op_treatment", "Not treated for osteoporosis",
              "told to take a prescribed medicine for osteoporosis (OSQ072)",
              ("OSQ060", "OSQ072"), op_treatment),
    Exclusion("exclude_hormone_therapy", "Never used hormone therapy",
              "ever used female hormones (RHQ540)", ("RHQ540",), hormone_therapy),
    Exclusion("exclude_menstruating", "Not menstruating",
              "a menstrual period in the past 12 months (RHQ031)", ("RHQ031",),
              menstruating),
)


def exclusion_reason(exclusion: Exclusion, status: pd.Series) -> str:
    """Reason text of a flow step: how many had the condition, how many were unknown.

    Parameters
    ----------
    exclusion : Exclusion
    status : pandas.Series
        Its status over the women entering the step.

    Returns
    -------
    str
        E.g. ``"ever used female hormones (RHQ540): 212; unknown (refused, don't
        know or not answered): 3"``.
    """
    n_yes = int((status == 1).sum())
    n_unknown = int(status.isna().sum())
    return (f"{exclusion.condition}: {n_yes}; unknown (refused, don't know or not "
            f"answered): {n_unknown}")
