"""Specification curves: a declared space of analytic choices and what its results say.

A *specification* is one defensible path through the choices of an analysis
(which sample, which model, which coding); the *specification curve*
(Simonsohn, Simmons and Nelson 2020, *Nat Hum Behav* 4:1208-1214) shows the
estimate of one quantity under every specification, sorted, and the
*multiverse* (Steegen, Tuerlinckx, Gelman and Vanpaemel 2016, *Perspect
Psychol Sci* 11:702-712) is the set of all of them.

This module holds the general parts:

* :class:`Level`, :class:`Dimension` and :class:`Space`: the choices as data,
  each level with the sentence that makes it defensible, levels that exist
  in the design but not yet in the code marked ``available=False``;
  validation of a selection of levels that names what is wrong and lists the
  valid values; the full factorial, or a seeded random sample of it;
* :func:`spec_key`: a stable hash of a specification plus a code version,
  the key of a result cache;
* :func:`curve_summary` and :func:`dimension_importance`: the share of
  specifications with a given sign and the share significant in that
  direction; which single dimension moves the estimate most (one-way
  variance decomposition, and the median by level).

A dimension may apply only when others take certain levels (``only_if``),
for example a spine reference only when the spine is among the required
sites; otherwise it takes the value :data:`NA`, so that specifications that
cannot differ are not counted twice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "NA",
    "Dimension",
    "Level",
    "Space",
    "SpaceError",
    "curve_summary",
    "dimension_importance",
    "spec_key",
]

#: The value of a dimension that does not apply to a specification.
NA = "n/a"


class SpaceError(ValueError):
    """An unknown dimension or level, or a level that is not available yet."""


@dataclass(frozen=True)
class Level:
    """One value of a dimension.

    Attributes
    ----------
    value : str
        The level as written in a specification, e.g. ``"complete_case"``.
    why : str
        One sentence on why this choice is defensible.
    available : bool
        False while the code that implements it does not exist yet; such a
        level is declared (and listed) but never enumerated.
    missing : str
        For an unavailable level: what it waits for.
    """

    value: str
    why: str
    available: bool = True
    missing: str = ""


@dataclass(frozen=True)
class Dimension:
    """One analytic choice and its levels (the first level is the paper's or the default).

    Attributes
    ----------
    name : str
        Key in a specification, e.g. ``"weighting"``.
    group : str
        What the choice is about, e.g. ``"cohort"``, ``"model"``, ``"exposure"``.
    label : str
        Human label.
    levels : tuple of Level
    only_if : tuple of (str, tuple of str)
        The dimension applies only when each named dimension takes one of
        the given levels; otherwise it is :data:`NA`.
    """

    name: str
    group: str
    label: str
    levels: tuple[Level, ...]
    only_if: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        values = [lv.value for lv in self.levels]
        if not values or len(set(values)) != len(values) or NA in values:
            raise ValueError(f"dimension {self.name!r} needs distinct levels other than {NA!r}")

    @property
    def values(self) -> tuple[str, ...]:
        """All declared level values, available or not."""
        return tuple(lv.value for lv in self.levels)

    @property
    def available(self) -> tuple[str, ...]:
        """The level values that can be computed today."""
        return tuple(lv.value for lv in self.levels if lv.available)

    @property
    def default(self) -> str:
        """The first level."""
        return self.levels[0].value

    def level(self, value: str) -> Level:
        """The :class:`Level` with this value (:class:`SpaceError` naming the valid ones)."""
        for lv in self.levels:
            if lv.value == value:
                return lv
        raise SpaceError(f"unknown level {value!r} of dimension {self.name!r}; "
                         f"valid levels: {', '.join(self.values)}")

    def applies(self, spec: Mapping[str, str]) -> bool:
        """Whether the dimension applies given the other choices of ``spec``."""
        return all(spec.get(dim) in allowed for dim, allowed in self.only_if)


@dataclass(frozen=True)
class Space:
    """A set of dimensions: the declared specification space.

    Attributes
    ----------
    dimensions : tuple of Dimension
        In the order they are shown.
    selected : mapping of str to tuple of str
        Levels kept per dimension (default: every available level).
    """

    dimensions: tuple[Dimension, ...]
    selected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate dimension names in {names}")
        for d in self.dimensions:
            for dim, allowed in d.only_if:
                self[dim]  # raises for an unknown dimension
                for v in allowed:
                    self[dim].level(v)

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names in order."""
        return tuple(d.name for d in self.dimensions)

    def __getitem__(self, name: str) -> Dimension:
        for d in self.dimensions:
            if d.name == name:
                return d
        raise SpaceError(f"unknown dimension {name!r}; valid dimensions: {', '.join(self.names)}")

    def levels(self, name: str) -> tuple[str, ...]:
        """The levels of ``name`` this space enumerates."""
        return tuple(self.selected.get(name, self[name].available))

    def validate(self, selection: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
        """Check a selection of levels per dimension; return it as tuples.

        Raises
        ------
        SpaceError
            For an unknown dimension or level (the message lists the valid
            ones), a level that is declared but not available yet (the
            message says what it waits for), or an empty selection.
        """
        out: dict[str, tuple[str, ...]] = {}
        for name, values in selection.items():
            dim = self[name]
            values = tuple(dict.fromkeys(str(v) for v in values))
            if not values:
                raise SpaceError(f"no level selected for dimension {name!r}; "
                                 f"valid levels: {', '.join(dim.values)}")
            for v in values:
                lv = dim.level(v)
                if not lv.available:
                    raise SpaceError(
                        f"level {v!r} of dimension {name!r} is not available yet "
                        f"({lv.missing}); available levels: {', '.join(dim.available)}")
            out[name] = values
        return out

    def restrict(self, selection: Mapping[str, Iterable[str]]) -> Space:
        """The same space with only the selected levels of some dimensions (validated)."""
        return Space(self.dimensions, {**dict(self.selected), **self.validate(selection)})

    def _project(self, spec: dict[str, str]) -> dict[str, str]:
        out = dict(spec)
        for d in self.dimensions:  # in order: only_if refers to earlier dimensions
            if not d.applies(out):
                out[d.name] = NA
        return out

    def factorial(self) -> list[dict[str, str]]:
        """Every distinct specification (dimensions that do not apply are :data:`NA`)."""
        seen: dict[tuple, dict[str, str]] = {}
        for combo in itertools.product(*(self.levels(n) for n in self.names)):
            spec = self._project(dict(zip(self.names, combo, strict=True)))
            seen.setdefault(tuple(spec.values()), spec)
        return list(seen.values())

    def size(self) -> int:
        """Number of distinct specifications."""
        return len(self.factorial())

    def specifications(self, max_specs: int = 5000, seed: int = 2025) -> list[dict[str, str]]:
        """The full factorial, or a seeded random sample of ``max_specs`` of it.

        Parameters
        ----------
        max_specs : int
            Largest number of specifications; above it, a simple random
            sample without replacement of the distinct specifications,
            drawn with ``numpy.random.default_rng(seed)`` and kept in
            factorial order.
        seed : int
            Seed of the sample.
        """
        if max_specs < 1:
            raise SpaceError(f"max_specs must be at least 1, got {max_specs}")
        every = self.factorial()
        if len(every) <= max_specs:
            return every
        pick = np.sort(np.random.default_rng(seed).choice(len(every), max_specs, replace=False))
        return [every[i] for i in pick]

    def table(self) -> pd.DataFrame:
        """The declared space as a tidy frame.

        Returns
        -------
        pandas.DataFrame
            One row per level: ``group, dimension, label, level, default,
            available, selected, why, missing, only_if``.
        """
        rows = []
        for d in self.dimensions:
            cond = "; ".join(f"{k} in {{{', '.join(v)}}}" for k, v in d.only_if)
            for lv in d.levels:
                rows.append({"group": d.group, "dimension": d.name, "label": d.label,
                             "level": lv.value, "default": lv.value == d.default,
                             "available": lv.available,
                             "selected": lv.value in self.levels(d.name),
                             "why": lv.why, "missing": lv.missing, "only_if": cond})
        return pd.DataFrame(rows)


def spec_key(spec: Mapping[str, object], version: str) -> str:
    """Stable key of a specification (its fields, sorted) plus a code version.

    Parameters
    ----------
    spec : mapping
        JSON-serialisable fields.
    version : str
        Bumped when the computation behind the fields changes.

    Returns
    -------
    str
        24 hexadecimal characters of a SHA-256.
    """
    payload = json.dumps({"spec": dict(sorted(spec.items())), "version": version},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def curve_summary(frame: pd.DataFrame, direction: int, null: float = 0.0,
                  alpha: float = 0.05) -> dict[str, float]:
    """Share of specifications with a given sign, and significant in that direction.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per specification with ``b`` (estimate on the scale where
        ``null`` means no effect, e.g. a log odds ratio) and ``p``.
    direction : {1, -1}
        The sign to count (e.g. the paper's).
    null : float
        The no-effect value of ``b``.
    alpha : float
        Significance level (two-sided ``p < alpha``).

    Returns
    -------
    dict
        ``n`` (specifications with an estimate), ``share_sign``,
        ``share_significant`` (``p < alpha`` and the sign), ``share_opposite_significant``,
        ``median_b`` and the ``q25_b`` / ``q75_b`` quartiles.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 or -1, got {direction!r}")
    f = frame[np.isfinite(frame["b"].astype(float))]
    n = len(f)
    if n == 0:
        return {"n": 0, "share_sign": np.nan, "share_significant": np.nan,
                "share_opposite_significant": np.nan, "median_b": np.nan, "q25_b": np.nan,
                "q75_b": np.nan}
    side = np.sign(f["b"].to_numpy(dtype=float) - null)
    sig = f["p"].to_numpy(dtype=float) < alpha
    b = f["b"].to_numpy(dtype=float)
    return {"n": n, "share_sign": float(np.mean(side == direction)),
            "share_significant": float(np.mean(sig & (side == direction))),
            "share_opposite_significant": float(np.mean(sig & (side == -direction))),
            "median_b": float(np.median(b)), "q25_b": float(np.quantile(b, 0.25)),
            "q75_b": float(np.quantile(b, 0.75))}


def dimension_importance(frame: pd.DataFrame, dimensions: Sequence[str],
                         value: str = "b") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which single dimension moves the estimate most.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per specification with a column per dimension and ``value``.
    dimensions : sequence of str
        Dimensions to assess; those with a single level in ``frame`` are
        reported with a share of zero.
    value : str
        The estimate column (use the scale where effects add, e.g. log odds
        ratios).

    Returns
    -------
    importance : pandas.DataFrame
        One row per dimension, largest first: ``dimension``, ``levels``
        (number seen), ``share_variance`` (one-way eta squared: the share of
        the variance of ``value`` over specifications that the dimension's
        level means explain), ``range_median`` (largest minus smallest
        median by level). A dimension that applies only under some levels of
        another (n/a elsewhere, e.g. the design df under design-based fits)
        is judged within the specifications where it applies: its levels'
        between-group sum of squares there, over the total of all.
    by_level : pandas.DataFrame
        ``dimension, level, n, median, q25, q75`` of ``value`` (n/a rows left out).
    """
    f = frame[np.isfinite(frame[value].astype(float))]
    y = f[value].to_numpy(dtype=float)
    total = float(np.sum((y - y.mean()) ** 2)) if len(y) else 0.0
    rows, levels = [], []
    for dim in dimensions:
        # a nested dimension is judged where it applies: its n/a group would carry the
        # effect of the dimension it is nested in
        applies = (f[dim].astype(str) != NA).to_numpy()
        sub = f[applies]
        groups = sub.groupby(sub[dim].astype(str), sort=False, observed=True)[value]
        stats_ = groups.agg(["size", "mean", "median",
                             lambda s: s.quantile(0.25), lambda s: s.quantile(0.75)])
        stats_.columns = ["n", "mean", "median", "q25", "q75"]
        centre = y[applies].mean() if applies.any() else 0.0
        between = float(np.sum(stats_["n"] * (stats_["mean"] - centre) ** 2))
        rows.append({"dimension": dim, "levels": len(stats_),
                     "share_variance": between / total if total > 0 else 0.0,
                     "range_median": float(stats_["median"].max() - stats_["median"].min())
                     if len(stats_) else np.nan})
        for level, r in stats_.iterrows():
            levels.append({"dimension": dim, "level": level, "n": int(r["n"]),
                           "median": r["median"], "q25": r["q25"], "q75": r["q75"]})
    importance = (pd.DataFrame(rows, columns=["dimension", "levels", "share_variance",
                                              "range_median"])
                  .sort_values(["share_variance", "dimension"], ascending=[False, True],
                               kind="mergesort").reset_index(drop=True))
    return importance, pd.DataFrame(levels, columns=["dimension", "level", "n", "median",
                                                     "q25", "q75"])
