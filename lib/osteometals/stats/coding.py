"""Design-matrix coding shared by the models: treatment (dummy) coding of covariates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def dummy_code(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Covariates as numbers, categorical ones dummy-coded against their first level.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to code.
    columns : sequence of str
        Column names. Categorical, string, object and boolean columns are
        coded as 0/1 indicators ``name[level]`` for every level but the first
        (pandas Categoricals keep their declared level order, others are
        sorted, as R's factors); numeric columns are used as they are. A
        missing category gives missing indicators.

    Returns
    -------
    pandas.DataFrame
        One column per coefficient, without intercept, float dtype, the
        index of ``data``.
    """
    parts = []
    for name in columns:
        col = data[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cat = col
        elif pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            cat = col.astype("category")
        else:
            parts.append(col.astype(float).rename(name).to_frame())
            continue
        codes = cat.cat.codes.to_numpy()
        cols = {
            f"{name}[{lev}]": np.where(codes < 0, np.nan, (codes == i).astype(float))
            for i, lev in enumerate(cat.cat.categories)
            if i > 0
        }
        parts.append(pd.DataFrame(cols, index=data.index))
    if not parts:
        return pd.DataFrame(index=data.index)
    return pd.concat(parts, axis=1)
