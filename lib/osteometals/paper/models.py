"""The paper's models: the adjustment sets of Tables 2 and 3 and of the mixtures."""

from __future__ import annotations

# Adjustment sets of the paper. Age enters as the age group and BMI as the
# BMI group, as in the paper's Table 1 (the paper does not say; this is
# our reading, and a parameter of the regression chapters).

#: Table 2 (logistic, osteoporosis)
LOGISTIC_MODELS: dict[str, tuple[str, ...]] = {
    "Model 1": ("hypertension", "diabetes", "parent_op", "fracture", "marital"),
    "Model 2": (
        "hypertension", "diabetes", "parent_op", "fracture", "marital",
        "race", "education", "age_group",
    ),
    "Model 3": (
        "hypertension", "diabetes", "parent_op", "fracture", "marital",
        "race", "education", "age_group", "smoking", "bmi_group",
    ),
}

#: Table 3 (linear, BMD)
LINEAR_MODELS: dict[str, tuple[str, ...]] = {
    "Model 1": ("hypertension", "diabetes", "parent_op", "fracture", "smoking"),
    "Model 2": (
        "hypertension", "diabetes", "parent_op", "fracture", "smoking",
        "race", "education", "marital", "age_group", "bmi_group",
    ),
}

#: Covariates of the mixture models (WQS, BKMR): Model 3's set.
MIXTURE_COVARIATES: tuple[str, ...] = LOGISTIC_MODELS["Model 3"]
