"""Design-based statistics in one import: the survey design and the survey GLM.

A façade over :mod:`osteometals.stats.design` (:class:`SurveyDesign`, the
variance routine, degrees of freedom, lonely PSUs) and
:mod:`osteometals.stats.glm` (:func:`svyglm`, :func:`glm`,
:class:`GLMResult`), so that ``from osteometals.stats import survey`` gives
the whole R ``survey``-like API::

    design = survey.SurveyDesign(data, weight="weight", stratum="stratum", psu="psu")
    fit = survey.svyglm("op ~ cd_q + age_group", design.subset(data.age > 60))
    fit.summary()
"""

from osteometals.stats.design import (
    DESIGN_DF,
    LONELY_PSU,
    DesignDF,
    LonelyPSU,
    LonelyPSUError,
    SurveyDesign,
)
from osteometals.stats.glm import FAMILIES, Family, GLMResult, WaldTest, glm, svyglm

__all__ = [
    "DESIGN_DF",
    "FAMILIES",
    "LONELY_PSU",
    "DesignDF",
    "Family",
    "GLMResult",
    "LonelyPSU",
    "LonelyPSUError",
    "SurveyDesign",
    "WaldTest",
    "glm",
    "svyglm",
]
