"""Starting values of the chains: where each chain begins.

Three choices (the ``starts`` argument of :func:`osteometals.stats.bkmr.fit_bkmr`):

``"dispersed"`` (the default)
    chains started across the regions the posterior may have, cycling
    through four kinds: bkmr's default start; small relevances (a smooth
    ``h``, every exposure in); large relevances (a rough ``h``) with a large
    ``lambda``; and a sparse start (a random half of the exposures in, small
    relevances, small ``lambda``). With four or more chains every kind is
    used, one chain at bkmr's default start.
``"bkmr_default"``
    R bkmr 0.2.2's ``kmbayes`` start for every chain: ``r_m = 1``,
    ``lambda = 10``, every exposure in.
``"small_r"``
    the start this package used before multi-start fits: ``r_m``
    log-uniform on (0.02, 0.5), ``lambda = 10 exp(U(-1, 1))``, every
    exposure in.

Random parts of a start come from the chain's own seed, so a start is
reproducible.
"""

from __future__ import annotations

import numpy as np

from .chains import Start

__all__ = ["STARTS", "DISPERSED_KINDS", "chain_starts", "start_of_kind"]

#: The choices of ``starts``.
STARTS: tuple[str, ...] = ("dispersed", "bkmr_default", "small_r")
#: The kinds a dispersed fit cycles through, in order.
DISPERSED_KINDS: tuple[str, ...] = ("bkmr_default", "small_r", "rough", "sparse")


def _start(kind: str, M: int, rng: np.random.Generator) -> Start:
    ones = np.ones(M, dtype=bool)
    if kind == "bkmr_default":
        return Start(np.ones(M), ones, 10.0, kind)
    if kind == "small_r":
        r = np.exp(rng.uniform(np.log(0.02), np.log(0.5), size=M))
        return Start(r, ones, float(10.0 * np.exp(rng.uniform(-1, 1))), kind)
    if kind == "rough":
        r = np.exp(rng.uniform(np.log(1.0), np.log(10.0), size=M))
        return Start(r, ones, float(np.exp(rng.uniform(np.log(3.0), np.log(30.0)))), kind)
    if kind == "sparse":
        delta = np.zeros(M, dtype=bool)
        delta[rng.choice(M, size=max(1, M // 2), replace=False)] = True
        r = np.exp(rng.uniform(np.log(0.01), np.log(0.1), size=M))
        return Start(r, delta, float(np.exp(rng.uniform(np.log(0.1), np.log(1.0)))), kind)
    raise ValueError(f"unknown start kind {kind!r}")


def start_of_kind(kind: str, M: int, seed: np.random.SeedSequence) -> Start:
    """The start of one chain of a given kind (one of :data:`DISPERSED_KINDS`).

    Parameters
    ----------
    kind : str
    M : int
        Number of exposures.
    seed : numpy.random.SeedSequence
        The chain's seed (random parts of the start are drawn from it).

    Returns
    -------
    Start
    """
    if kind not in DISPERSED_KINDS:
        raise ValueError(f"a start kind is one of {DISPERSED_KINDS}, got {kind!r}")
    return _start(kind, M, np.random.default_rng(seed.spawn(1)[0]))


def chain_starts(starts: str, chains: int, M: int, seeds) -> list[Start]:
    """One :class:`~.chains.Start` per chain.

    Parameters
    ----------
    starts : {"dispersed", "bkmr_default", "small_r"}
    chains : int
    M : int
        Number of exposures.
    seeds : sequence of numpy.random.SeedSequence
        One per chain; the random parts of the starts are drawn from them.

    Returns
    -------
    list of Start
    """
    if starts not in STARTS:
        raise ValueError(f"starts must be one of {STARTS}, got {starts!r}")
    return [start_of_kind(DISPERSED_KINDS[c % len(DISPERSED_KINDS)] if starts == "dispersed"
                          else starts, M, seeds[c]) for c in range(chains)]
