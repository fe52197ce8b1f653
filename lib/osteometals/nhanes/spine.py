"""Total lumbar-spine BMD from the four vertebrae, under two validity rules.

The NHANES spine files (DXXSPN_H, P_DXXSPN; codebooks in ``docs/``) give, for
each vertebra L1-L4, its bone mineral content ``DXXL<i>BMC`` (g), its area
``DXXL<i>A`` (cm²), its BMD ``DXXL<i>BMD`` (g/cm²) and an invalidity code
``DXXL<i>BCC``: 0 valid data, 1 removable or non-removable objects,
3 excessive x-ray noise (obesity), 4 insufficient scan area, 5 movement,
6 other (degenerative disease, spinal fusion, fractures). "If one or more
spine vertebrae were coded as invalid, total spine BMD was coded as invalid
(DXXOSBCC = 1) and all spine data were set to missing": the released total
``DXXOSBMD`` exists only when all four vertebrae are valid, while the valid
vertebrae are still released one by one.

Rules (:data:`SPINE_RULES`):

``"all_four"`` (default, the paper's and NCHS's released total)
    ``DXXOSBMD`` as released: a spine BMD only when L1-L4 are all valid.
``"iscd_two_or_more"``
    The ISCD Adult Official Positions (2019, as updated in 2023,
    https://iscd.org/official-positions-2023/; the DXXSPN_H codebook cites
    their 2007 version): use L1-L4, exclude only vertebrae affected by local
    structural change or artefact, use three vertebrae if four cannot be
    used and two if three cannot, and never classify on a single vertebra
    (Rosen et al. 2024, J Clin Densitom 27:101436: two non-contiguous
    vertebrae may be used too).
    The spine BMD of the vertebrae used is their total BMC over their total
    area, ``sum(BMC) / sum(area)``, which is how densitometry software forms
    the BMD of any region made of sub-regions. Women with all four valid
    keep the released ``DXXOSBMD`` (equal to the recomputed value within
    rounding, see :func:`recomputed_total`), so this rule only *adds* women
    with two or three valid vertebrae.

Two limits of the ISCD rule as applied here, stated where it is used: ISCD
also drops a vertebra whose T-score differs from its neighbours' by more
than 1.0, which needs per-vertebra references we do not have, so only the
NCHS invalidity codes decide validity; and the T-score of a subset of
vertebrae is computed against the L1-L4 reference (the only one our spine
references give), whereas densitometers use a reference for the same
subset. BMD rises from L1 to L4, so a subset without L4 reads low against
an L1-L4 reference; :func:`subset_shift` measures this on women with all
four vertebrae valid.

No home-made code replaces a library here: this is arithmetic on NHANES
columns, and no maintained package implements the NHANES spine files.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: The lumbar vertebrae, in order.
VERTEBRAE: tuple[str, ...] = ("L1", "L2", "L3", "L4")

#: Spine validity rules (values of ``CohortOptions.spine_rule``).
SPINE_RULES: tuple[str, ...] = ("all_four", "iscd_two_or_more")

#: Fewest valid vertebrae the ISCD rule accepts.
ISCD_MIN_VERTEBRAE = 2

#: Released total-spine BMD (valid only when all four vertebrae are valid).
TOTAL_BMD = "DXXOSBMD"


def vertebra_columns(vertebra: str) -> dict[str, str]:
    """NHANES variables of one vertebra.

    Parameters
    ----------
    vertebra : {"L1", "L2", "L3", "L4"}

    Returns
    -------
    dict
        ``{"bmc": "DXXL1BMC", "area": "DXXL1A", "bmd": "DXXL1BMD", "code": "DXXL1BCC"}``.
    """
    if vertebra not in VERTEBRAE:
        raise ValueError(f"unknown vertebra {vertebra!r}; allowed: {list(VERTEBRAE)}")
    i = vertebra[1]
    return {"bmc": f"DXXL{i}BMC", "area": f"DXXL{i}A", "bmd": f"DXXL{i}BMD",
            "code": f"DXXL{i}BCC"}


#: Every per-vertebra variable read (for the special-code table and tests).
VERTEBRA_VARIABLES: tuple[str, ...] = tuple(
    col for v in VERTEBRAE for col in vertebra_columns(v).values()
)


def _columns(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    cols = [vertebra_columns(v)[kind] for v in VERTEBRAE]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"spine columns {missing} are missing; they come from DXXSPN")
    out = frame[cols].astype(float)
    out.columns = list(VERTEBRAE)
    return out


def valid_vertebrae(frame: pd.DataFrame) -> pd.DataFrame:
    """Which vertebrae are valid, one boolean column per vertebra.

    A vertebra is valid when its invalidity code is 0 and its BMC and area
    are present, with a positive area and a non-negative BMC (a coded-valid
    vertebra without measurements cannot be used).

    Parameters
    ----------
    frame : pandas.DataFrame
        Has the ``DXXL<i>BMC``, ``DXXL<i>A`` and ``DXXL<i>BCC`` columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``L1 ... L4`` (bool), same index.
    """
    code, bmc, area = _columns(frame, "code"), _columns(frame, "bmc"), _columns(frame, "area")
    return (code == 0) & bmc.notna() & (bmc >= 0) & area.notna() & (area > 0)


def recomputed_total(frame: pd.DataFrame, vertebrae: Iterable[str] | None = None) -> pd.Series:
    """``sum(BMC) / sum(area)`` over the valid vertebrae (NaN if none).

    Parameters
    ----------
    frame : pandas.DataFrame
        Spine columns as :func:`valid_vertebrae`.
    vertebrae : iterable of str, optional
        Use only these vertebrae (still only where valid); default all four.

    Returns
    -------
    pandas.Series
        BMD in g/cm².
    """
    use = list(vertebrae) if vertebrae is not None else list(VERTEBRAE)
    valid = valid_vertebrae(frame)[use]
    bmc = _columns(frame, "bmc")[use].where(valid, 0.0)
    area = _columns(frame, "area")[use].where(valid, 0.0)
    total_area = area.sum(axis=1)
    return (bmc.sum(axis=1) / total_area).where(total_area > 0)


def spine_bmd(frame: pd.DataFrame, rule: str = "all_four") -> pd.DataFrame:
    """Total lumbar-spine BMD under a validity rule.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw DXXSPN columns: ``DXXOSBMD`` and, for ``"iscd_two_or_more"``, the
        per-vertebra columns.
    rule : {"all_four", "iscd_two_or_more"}
        See the module docstring.

    Returns
    -------
    pandas.DataFrame
        Columns ``bmd`` (g/cm², NaN where the rule gives none) and
        ``n_vertebrae`` (valid vertebrae used, 0-4; 4 for ``"all_four"`` where
        ``bmd`` is present, else the count of valid vertebrae), same index.
    """
    if rule not in SPINE_RULES:
        raise ValueError(f"unknown spine_rule {rule!r}; allowed: {list(SPINE_RULES)}")
    released = frame[TOTAL_BMD].astype(float)
    if rule == "all_four" and not set(VERTEBRA_VARIABLES) <= set(frame.columns):
        n = pd.Series(np.where(released.notna(), 4, 0), index=frame.index)
        return pd.DataFrame({"bmd": released, "n_vertebrae": n})
    n_valid = valid_vertebrae(frame).sum(axis=1).astype("int64")
    if rule == "all_four":
        return pd.DataFrame({"bmd": released, "n_vertebrae": n_valid})
    partial = recomputed_total(frame).where(n_valid >= ISCD_MIN_VERTEBRAE)
    bmd = released.where(released.notna(), partial)
    return pd.DataFrame({"bmd": bmd, "n_vertebrae": n_valid})


#: Half a unit of the last released digit: BMC and area have 2 decimals, BMD 3.
_HALF_BMC = 0.005
_HALF_BMD = 0.0005

#: Categories of :func:`released_total_check`.
AGREEMENT: tuple[str, ...] = (
    "L1-L4 total within rounding",
    "released total is a subset of the vertebrae",
    "released BMD disagrees with its own BMC / area",
    "unexplained",
)


def rounding_bound(bmd: pd.Series, area: pd.Series, n: int = 4) -> pd.Series:
    """Worst-case |recomputed - released| BMD that rounding alone can cause.

    The released BMD is rounded to 0.001 (error up to 0.0005) and each of the
    ``n`` vertebral BMCs and areas to 0.01 (up to 0.005 each); to first
    order the ratio ``sum(BMC) / sum(area)`` then moves by at most
    ``0.005 n (1 + BMD) / sum(area)``.

    Parameters
    ----------
    bmd, area : pandas.Series
        Spine BMD (g/cm²) and summed area (cm²).
    n : int
        Vertebrae summed.

    Returns
    -------
    pandas.Series
        The bound in g/cm².
    """
    return _HALF_BMD + _HALF_BMC * n * (1 + bmd.abs()) / area


def released_total_check(frame: pd.DataFrame) -> pd.DataFrame:
    """Compare the released total (``DXXOSBMD``) with the one rebuilt from L1-L4.

    For every record with a released total and all four vertebrae valid:
    ``recomputed`` (``sum(BMC) / sum(area)`` over L1-L4), ``difference``
    (recomputed minus released), ``bound`` (:func:`rounding_bound`) and
    ``agreement``, one of :data:`AGREEMENT`: within the rounding bound; else
    the released total BMC (``DXXOSBMC``) equals, within rounding, the sum
    over a smaller subset of the vertebrae (the reader dropped a vertebra
    although it is coded valid); else the released BMD differs from the
    released ``DXXOSBMC / DXXOSA`` by more than rounding (an inconsistent
    record); else unexplained.

    Parameters
    ----------
    frame : pandas.DataFrame
        A DXXSPN table (``DXXOSBMD``, ``DXXOSBMC``, ``DXXOSA`` and the
        per-vertebra columns).

    Returns
    -------
    pandas.DataFrame
        Columns ``recomputed, released, difference, bound, agreement``, one
        row per checked record (index of ``frame``).
    """
    import itertools

    full = valid_vertebrae(frame).all(axis=1) & frame[TOTAL_BMD].notna()
    part = frame.loc[full]
    released = part[TOTAL_BMD].astype(float)
    recomputed = recomputed_total(part)
    area = _columns(part, "area").sum(axis=1)
    bound = rounding_bound(released, area)
    bmc = _columns(part, "bmc")
    subset = pd.Series(False, index=part.index)
    for k in range(1, len(VERTEBRAE)):
        for combo in itertools.combinations(VERTEBRAE, k):
            total = bmc[list(combo)].sum(axis=1)
            subset |= (total - part["DXXOSBMC"]).abs() <= _HALF_BMC * (k + 1) + 1e-9
    own = part["DXXOSBMC"] / part["DXXOSA"]
    inconsistent = (own - released).abs() > rounding_bound(released, part["DXXOSA"], n=1)
    within = (recomputed - released).abs() <= bound
    agreement = np.select([within, subset, inconsistent], list(AGREEMENT[:3]), AGREEMENT[3])
    return pd.DataFrame({"recomputed": recomputed, "released": released,
                         "difference": recomputed - released, "bound": bound,
                         "agreement": agreement}, index=part.index)


def _say(k: int, singular: str, plural: str) -> str:
    """``"1 record agrees"`` / ``"3 records agree"``: the count and the right wording."""
    return f"{k:,} {singular if k == 1 else plural}"


def check_sentence(agreement: pd.Series) -> str:
    """One sentence summarising :func:`released_total_check` over some records.

    Parameters
    ----------
    agreement : pandas.Series
        The ``agreement`` column of one or more checks.

    Returns
    -------
    str
        How many records agree within rounding and how the others are explained.

    """
    counts = agreement.value_counts()
    n = [int(counts.get(cat, 0)) for cat in AGREEMENT]
    total = sum(n)
    parts = [f"{n[0]:,} of the {total:,} {'record agrees' if n[0] == 1 else 'records agree'}"
             " within rounding"]
    if n[1]:
        parts.append(_say(n[1], "is a total", "are totals") + " NCHS formed from a subset of "
                     "the vertebrae although all four are coded valid ("
                     + ("its" if n[1] == 1 else "their") + " total BMC is that subset's sum)")
    if n[2]:
        parts.append(_say(n[2], "has a released BMD", "have released BMDs") + " that differ"
                     + ("s" if n[2] == 1 else "") + " from the released total BMC over total "
                     "area (a release error)")
    parts.append(_say(n[3], "is unexplained", "are unexplained") if n[3]
                 else "none is unexplained")
    return "; ".join(parts) + "."


def subset_shift(frame: pd.DataFrame, subsets: Iterable[Iterable[str]]) -> pd.DataFrame:
    """How far a subset's BMD lies from the L1-L4 BMD, where all four are valid.

    Both are recomputed from the vertebrae (``sum(BMC) / sum(area)``), so the
    shift is what dropping vertebrae does to a spine read against an L1-L4
    reference.

    Parameters
    ----------
    frame : pandas.DataFrame
        Spine columns as :func:`valid_vertebrae`.
    subsets : iterable of iterable of str
        Vertebra subsets, e.g. ``[("L1", "L2", "L3"), ("L2", "L3", "L4")]``.

    Returns
    -------
    pandas.DataFrame
        One row per subset: ``vertebrae`` (e.g. ``"L1-L3"`` or ``"L1+L4"``),
        ``n`` (records with all four valid), ``mean_shift`` and ``sd_shift``
        (subset BMD minus L1-L4 BMD, g/cm²).
    """
    part = frame.loc[valid_vertebrae(frame).all(axis=1)]
    total = recomputed_total(part)
    rows = []
    for subset in subsets:
        subset = tuple(subset)
        diff = recomputed_total(part, subset) - total
        rows.append({"vertebrae": _subset_label(subset), "n": len(part),
                     "mean_shift": float(diff.mean()), "sd_shift": float(diff.std())})
    return pd.DataFrame(rows, columns=["vertebrae", "n", "mean_shift", "sd_shift"])


def _subset_label(subset: tuple[str, ...]) -> str:
    idx = [VERTEBRAE.index(v) for v in subset]
    contiguous = idx == list(range(idx[0], idx[0] + len(idx)))
    if contiguous and len(idx) > 1:
        return f"{subset[0]}-{subset[-1]}"
    return "+".join(subset)
