"""NCHS's own published estimates of low bone density, for comparison only.

These are other people's numbers about the same NHANES surveys, kept apart
from the paper's (:mod:`osteometals.paper.published`). They are never a
result: chapter 1 sets our design-based estimates beside them to validate
the bone pipeline (:mod:`osteometals.nhanes.bone_validation`).

Every value is quoted from a source in :data:`SOURCES` (what the sources do
not say is listed below). Definitions common to all rows: WHO
categories on a young-adult female reference, osteoporosis ``T <= -2.5``,
low bone mass between -2.5 and -1; US non-institutionalised population.

What the sources do not say (searched, not found): the spine reference
mean and SD NCHS used, whether vertebrae were dropped (the spine validity
rule), the exact weights, and what Looker 2017's "multivariate adjusted"
column adjusts for. The femoral-neck reference is NHANES III non-Hispanic
white women aged 20-29 (Looker 1998), the one NCHS established.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

#: Sources: key -> (citation, address, what was read).
SOURCES: dict[str, tuple[str, str, str]] = {
    "looker2017": (
        "Looker AC, Sarafrazi Isfahani N, Fan B, Shepherd JA. Trends in osteoporosis and "
        "low bone mass in older US adults, 2005-2006 through 2013-2014. Osteoporos Int "
        "2017;28(6):1979-1988. doi:10.1007/s00198-017-3996-1",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC7891684/table/T3",
        "Table 3 (all cells; its footnotes were cut off) and the abstract",
    ),
    "db405": (
        "Sarafrazi N, Wambogo EA, Shepherd JA. Osteoporosis or low bone mass in older "
        "adults: United States, 2017-2018. NCHS Data Brief no 405. Hyattsville, MD: NCHS; "
        "2021. doi:10.15620/cdc:103477",
        "https://www.cdc.gov/nchs/products/databriefs/db405.htm",
        "key findings and the text of Figure 1 (the definitions, methods and data tables "
        "were not reached: no SEs)",
    ),
}


@dataclass(frozen=True)
class NCHSEstimate:
    """One published prevalence.

    Attributes
    ----------
    id : str
        Short key, e.g. ``"looker2017_fn_op"``.
    source : str
        Key of :data:`SOURCES`.
    location : str
        Where in the source, e.g. ``"Table 3, women 2013-2014, unadjusted"``.
    survey : str
        NHANES survey years, e.g. ``"2013-2014"``.
    cycle : str or None
        Our cycle whose files hold exactly that survey (``"H"``), or None when
        no file we have does (2017-2018 alone: the J DXA files are not in the
        mirror and the P files cannot be split, see the chapter).
    sex : {"female", "male"}
    age_min, age_max : int, int or None
        Age range in years (``age_max`` None = no upper limit).
    site : {"neck", "spine", "neck_or_spine"}
        Femoral neck, lumbar spine, or either (the lower T-score).
    measure : {"osteoporosis", "low_bone_mass"}
    percent : float
        Published percentage.
    se : float or None
        Published standard error, or None when not printed or not read.
    adjustment : str
        ``"unadjusted"``, ``"age-adjusted"`` or ``"age-specific"``.
    n : int or None
        Sample size printed with it.
    """

    id: str
    source: str
    location: str
    survey: str
    cycle: str | None
    sex: str
    age_min: int
    age_max: int | None
    site: str
    measure: str
    percent: float
    se: float | None
    adjustment: str
    n: int | None

    @property
    def population(self) -> str:
        """E.g. ``"women 50+"`` or ``"women 50-64"``."""
        who = "women" if self.sex == "female" else "men"
        ages = f"{self.age_min}+" if self.age_max is None else f"{self.age_min}-{self.age_max}"
        return f"{who} {ages}"


#: Sample sizes printed by a source: (source, sex, survey) -> n. Looker 2017
#: Table 3 prints, per sex and cycle, the number of participants aged 50+.
SAMPLE_SIZES: dict[tuple[str, str, str], int] = {
    ("looker2017", "female", "2013-2014"): 1029,
    ("looker2017", "male", "2013-2014"): 972,
}


_T3 = "Table 3, women, 2013-2014, unadjusted"
_N = SAMPLE_SIZES[("looker2017", "female", "2013-2014")]
_DB = "key findings"
_F1 = "text of Figure 1"

#: The estimates we compare with (women only: the paper's population).
ESTIMATES: tuple[NCHSEstimate, ...] = (
    NCHSEstimate("looker2017_fn_op", "looker2017", _T3, "2013-2014", "H", "female", 50, None,
                 "neck", "osteoporosis", 9.8, 1.1, "unadjusted", _N),
    NCHSEstimate("looker2017_fn_lbm", "looker2017", _T3, "2013-2014", "H", "female", 50, None,
                 "neck", "low_bone_mass", 52.6, 1.5, "unadjusted", _N),
    NCHSEstimate("looker2017_ls_op", "looker2017", _T3, "2013-2014", "H", "female", 50, None,
                 "spine", "osteoporosis", 11.6, 1.0, "unadjusted", _N),
    NCHSEstimate("looker2017_ls_lbm", "looker2017", _T3, "2013-2014", "H", "female", 50, None,
                 "spine", "low_bone_mass", 35.9, 1.7, "unadjusted", _N),
    NCHSEstimate("db405_either_op", "db405", _DB, "2017-2018", None, "female", 50, None,
                 "neck_or_spine", "osteoporosis", 19.6, None, "age-adjusted", None),
    NCHSEstimate("db405_either_op_50_64", "db405", _F1, "2017-2018", None, "female", 50, 64,
                 "neck_or_spine", "osteoporosis", 13.1, None, "age-specific", None),
    NCHSEstimate("db405_either_op_65", "db405", _F1, "2017-2018", None, "female", 65, None,
                 "neck_or_spine", "osteoporosis", 27.1, None, "age-specific", None),
    NCHSEstimate("db405_either_lbm", "db405", _DB, "2017-2018", None, "female", 50, None,
                 "neck_or_spine", "low_bone_mass", 51.5, None,
                 "not stated (probably age-adjusted)", None),
)


def estimates() -> pd.DataFrame:
    """:data:`ESTIMATES` as a frame, one row per published value, with ``population``."""
    rows = [{**asdict(e), "population": e.population} for e in ESTIMATES]
    return pd.DataFrame(rows)


def get(estimate_id: str) -> NCHSEstimate:
    """One estimate by its id (``KeyError`` naming the known ids otherwise)."""
    for e in ESTIMATES:
        if e.id == estimate_id:
            return e
    raise KeyError(f"unknown NCHS estimate {estimate_id!r}; known: {[e.id for e in ESTIMATES]}")


def citation(source: str) -> str:
    """The citation of a source key."""
    return SOURCES[source][0]
