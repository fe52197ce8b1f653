"""Bone mineral density (BMD) to T-scores, with named reference populations.

A T-score is ``(BMD - mean_ref) / sd_ref`` where ``mean_ref`` and ``sd_ref``
describe young adult women (peak bone mass). The paper (Peng et al. 2025)
says it used "the US NHANES III database ... white women with the age of
20-29 years" for all three sites, citing Looker et al. (1998). NHANES III
measured the proximal femur only, so that source cannot supply a lumbar
spine reference: the paper does not say which spine reference it used. We
therefore offer a small named set for each site (:data:`REFERENCES`) and make
the choice a parameter everywhere.

Every number below states its source. References whose values we could not
check against the cited source are flagged ``verified=False``.

WHO categories (Kanis 1994), as in the paper: T <= -2.5 osteoporosis,
-2.5 < T <= -1 osteopenia, T > -1 normal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from osteometals.nhanes.variables import BONE_SITES, CATEGORIES

#: Threshold (inclusive) of osteoporosis on the T-score scale.
OSTEOPOROSIS_MAX = -2.5
#: Threshold (inclusive) of osteopenia on the T-score scale.
OSTEOPENIA_MAX = -1.0

#: Skeletal sites: site key -> cohort BMD column (a view of
#: :data:`osteometals.nhanes.variables.BONE_SITES`).
SITES: dict[str, str] = {key: site.column for key, site in BONE_SITES.items()}


@dataclass(frozen=True)
class Reference:
    """Young-adult reference mean and SD of BMD at one skeletal site.

    Attributes
    ----------
    site : str
        ``"femur"`` (total femur), ``"neck"`` (femoral neck) or ``"spine"``
        (total lumbar spine L1-L4).
    name : str
        Short key used as a parameter value, e.g. ``"looker1998"``.
    mean, sd : float
        Reference mean and standard deviation in g/cm².
    population : str
        Who the reference describes.
    citation : str
        Where the numbers come from.
    verified : bool
        True if we checked the two numbers against the cited source (or a
        verbatim quotation of it); False if they are the commonly quoted
        values that we could not check.
    """

    site: str
    name: str
    mean: float
    sd: float
    population: str
    citation: str
    verified: bool

    def t(self, bmd: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
        """T-score of ``bmd`` against this reference (see :func:`t_score`)."""
        return t_score(bmd, self.mean, self.sd)


_LOOKER_1998 = (
    "Looker AC, Wahner HW, Dunn WL, et al. Updated data on proximal femur bone "
    "mineral levels of US adults. Osteoporos Int 1998;8:468-89. "
    "doi:10.1007/s001980050093 (the paper's ref. 26)"
)
_XUE_2021 = (
    "Xue S, Zhang Y, Qiao W, et al. An updated reference for calculating bone "
    "mineral density T-scores. J Clin Endocrinol Metab 2021. "
    "doi:10.1210/clinem/dgab180 (abstract: femoral neck 0.888 (0.121), lumbar "
    "spine 1.065 (0.122) g/cm²)"
)

#: Named references per site. Keys of the inner dicts are parameter values.
REFERENCES: dict[str, dict[str, Reference]] = {
    "femur": {
        # Looker 1998, NHANES III non-Hispanic white women 20-29 y, total
        # femur: mean 0.942, SD 0.122 g/cm². Checked against independent public
        # NHANES analysis code using (bmd_tot - 0.942) / 0.122, not against the
        # 1998 article itself (the paper cites Looker 1998 as ref. 26).
        "looker1998": Reference(
            "femur", "looker1998", 0.942, 0.122,
            "NHANES III non-Hispanic white women aged 20-29 (Hologic QDR-1000)",
            _LOOKER_1998, True,
        ),
    },
    "neck": {
        # Looker 1998, femoral neck: mean 0.858, SD 0.120 g/cm². The same two
        # numbers appear in independent public code labelled "NHANES III
        # reference values for women age 20-29 years" (FRAX implementations).
        "looker1998": Reference(
            "neck", "looker1998", 0.858, 0.120,
            "NHANES III non-Hispanic white women aged 20-29 (Hologic QDR-1000)",
            _LOOKER_1998, True,
        ),
        # Xue 2021: NHANES 2005-2014 non-Hispanic white women at the age of
        # peak BMD (+/- 5 y): femoral neck 0.888, SD 0.121 g/cm² (abstract).
        "xue2021": Reference(
            "neck", "xue2021", 0.888, 0.121,
            "NHANES 2005-2014 non-Hispanic white women at peak-BMD age",
            _XUE_2021, True,
        ),
    },
    "spine": {
        # Xue 2021, lumbar spine (L1-L4, Hologic, NHANES 2005-2014 non-Hispanic
        # white women at the age of peak BMD): mean 1.065, SD 0.122 g/cm²
        # (abstract). An NHANES-based young-adult reference measured with the
        # same Hologic fan-beam densitometers as NHANES 2013-2020: our default.
        "xue2021": Reference(
            "spine", "xue2021", 1.065, 0.122,
            "NHANES 2005-2014 non-Hispanic white women at peak-BMD age",
            _XUE_2021, True,
        ),
        # Hologic manufacturer reference for the L1-L4 spine, US white women:
        # mean 1.047, SD 0.110 g/cm², the values most often quoted in NHANES
        # papers that compute spine T-scores. NOT VERIFIED: we could not find
        # the Hologic reference documentation (Kelly TL, Hologic Inc.) or a
        # primary source quoting it; treat these two numbers as unconfirmed.
        "hologic": Reference(
            "spine", "hologic", 1.047, 0.110,
            "Hologic L1-L4 reference, US white women (peak BMD)",
            "Hologic QDR reference database (Kelly TL); values as commonly quoted, "
            "primary source not checked",
            False,
        ),
    },
}

#: Default reference per site (femur and neck as the paper; spine: our choice).
DEFAULT_REFERENCES: dict[str, str] = {
    "femur": "looker1998",
    "neck": "looker1998",
    "spine": "xue2021",
}


def get_reference(site: str, name: str) -> Reference:
    """Look up a named reference.

    Parameters
    ----------
    site : str
        One of :data:`SITES`.
    name : str
        A key of ``REFERENCES[site]``.

    Returns
    -------
    Reference

    Raises
    ------
    ValueError
        If ``site`` or ``name`` is unknown; the message names the allowed values.
    """
    if site not in REFERENCES:
        raise ValueError(f"unknown site {site!r}; allowed: {sorted(REFERENCES)}")
    if name not in REFERENCES[site]:
        raise ValueError(
            f"unknown {site} reference {name!r}; allowed: {sorted(REFERENCES[site])}"
        )
    return REFERENCES[site][name]


def reference_table() -> pd.DataFrame:
    """All named references as a tidy frame (one row per site and name).

    Returns
    -------
    pandas.DataFrame
        Columns ``site, name, mean, sd, population, citation, verified, default``.
    """
    rows = []
    for site, refs in REFERENCES.items():
        for ref in refs.values():
            rows.append(
                {
                    "site": site,
                    "name": ref.name,
                    "mean": ref.mean,
                    "sd": ref.sd,
                    "population": ref.population,
                    "citation": ref.citation,
                    "verified": ref.verified,
                    "default": DEFAULT_REFERENCES[site] == ref.name,
                }
            )
    return pd.DataFrame(rows)


def t_score(bmd, mean: float, sd: float):
    """T-score: ``(bmd - mean) / sd``.

    Parameters
    ----------
    bmd : float, numpy.ndarray or pandas.Series
        BMD in g/cm²; missing values stay missing.
    mean, sd : float
        Reference mean and SD in g/cm²; ``sd`` must be positive.

    Returns
    -------
    Same type as ``bmd``.

    Raises
    ------
    ValueError
        If ``sd`` is not positive.
    """
    if not sd > 0:
        raise ValueError(f"reference SD must be positive, got {sd!r}")
    return (bmd - mean) / sd


def bone_status(t_min: pd.Series | np.ndarray | Iterable[float]) -> pd.Categorical:
    """WHO category of the lowest T-score.

    ``T <= -2.5`` Osteoporosis, ``-2.5 < T <= -1`` Osteopenia, ``T > -1``
    Normal. Both thresholds belong to the lower category, as in the paper.

    Parameters
    ----------
    t_min : array-like of float
        Lowest T-score per person; NaN gives a missing category.

    Returns
    -------
    pandas.Categorical
        Ordered, with the levels of ``variables.CATEGORIES["bone_status"]``.
    """
    t = np.asarray(t_min, dtype=float)
    levels = CATEGORIES["bone_status"]
    codes = np.where(t <= OSTEOPOROSIS_MAX, 2, np.where(t <= OSTEOPENIA_MAX, 1, 0))
    codes = np.where(np.isnan(t), -1, codes)
    return pd.Categorical.from_codes(codes, categories=list(levels), ordered=True)


def add_t_scores(
    frame: pd.DataFrame,
    femur: str = DEFAULT_REFERENCES["femur"],
    neck: str = DEFAULT_REFERENCES["neck"],
    spine: str = DEFAULT_REFERENCES["spine"],
    sites: Iterable[str] = ("femur", "neck", "spine"),
) -> pd.DataFrame:
    """Add T-scores, the lowest T-score, the WHO category and the OP flag.

    Parameters
    ----------
    frame : pandas.DataFrame
        Has the BMD columns ``bmd_femur``, ``bmd_neck``, ``bmd_spine``.
    femur, neck, spine : str
        Names of the references (keys of :data:`REFERENCES`).
    sites : iterable of str
        Sites whose T-scores define ``t_min`` (the lowest T-score). A person
        missing any of these sites gets a missing ``t_min``. The cohort uses
        its ``required_sites`` here, so every woman is classified on the same
        sites.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with ``t_femur, t_neck, t_spine, t_min,
        bone_status, op`` (``op`` = 1 if ``t_min <= -2.5``; Int64, missing if
        ``t_min`` is missing).
    """
    sites = tuple(sites)
    unknown = [s for s in sites if s not in SITES]
    if unknown or not sites:
        raise ValueError(f"sites must be a non-empty subset of {list(SITES)}, got {sites!r}")
    refs = {"femur": femur, "neck": neck, "spine": spine}
    out = frame.copy()
    for site, column in SITES.items():
        out[f"t_{site}"] = get_reference(site, refs[site]).t(out[column].astype(float))
    t_cols = [f"t_{s}" for s in sites]
    # min over the chosen sites; missing if any of them is missing
    out["t_min"] = out[t_cols].min(axis=1, skipna=False)
    out["bone_status"] = bone_status(out["t_min"])
    op = (out["t_min"] <= OSTEOPOROSIS_MAX).astype("Int64")
    op[out["t_min"].isna()] = pd.NA
    out["op"] = op
    return out
