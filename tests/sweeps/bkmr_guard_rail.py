"""The 20-seed sweep behind the guard-rail test of ``tests/test_bkmr_tempering.py``.

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python tests/sweeps/bkmr_guard_rail.py 1 2 3 ... 20

The known-truth problem of the tempering tests, two chains started in the
two regions, at the guard-rail tests' settings: tempered chains of
``TEMPERED_DRAWS`` draws; plain chains of ``PLAIN_DRAWS`` draws made stuck
(no selection, unadapted steps of 1% in log r, ``STUCK``); and, for the
record, plain chains of the same length with selection and adapted steps.
One JSON line per seed: whether the multi-start warning fired, the
quantities it looks at (the PIP range across chains, the largest R-hat) and
each chain's share of rough draws. Not collected by pytest (no ``test_``
prefix).
"""

from __future__ import annotations

import json
import sys

import numpy as np
from threadpoolctl import threadpool_limits

from osteometals.stats import bkmr
from osteometals.stats.bkmr import Start
from osteometals.stats.bkmr import diagnostics as dg
from osteometals.stats.bkmr.simulation import BIMODAL_ROUGH_R

ROUGH = Start(np.array([8.0]), np.array([True]), 1.0, "rough")
FLAT = Start(np.array([0.05]), np.array([False]), 1.0, "flat")
FLAT_IN = Start(np.array([0.05]), np.array([True]), 1.0, "flat")
PLAIN_DRAWS = 300
TEMPERED_DRAWS = 4000
STUCK = dict(varsel=False, tuning=bkmr.BKMRTuning(r_jump=0.01, adapt=False))


def guard_rail_fits(y, Z, seed: int, n_jobs: int = 1) -> dict:
    """The fits of the guard-rail tests, and plain chains with selection for the record."""
    common = dict(family="gaussian", chains=2, n_warmup=300, seed=seed, surrogate_knots=None,
                  keep_resid=False, n_jobs=n_jobs)
    return {
        "stuck": bkmr.fit_bkmr(y, Z, sampler="plain", starts=[ROUGH, FLAT_IN],
                               n_draws=PLAIN_DRAWS, **STUCK, **common),
        "plain": bkmr.fit_bkmr(y, Z, sampler="plain", starts=[ROUGH, FLAT],
                               n_draws=PLAIN_DRAWS, **common),
        "tempered": bkmr.fit_bkmr(y, Z, sampler="tempered", starts=[ROUGH, FLAT],
                                  temperatures=bkmr.geometric_ladder(4, 100.0),
                                  n_draws=TEMPERED_DRAWS, **common),
    }


def _summary(fit) -> dict:
    d = fit.draws
    pips = d["delta"][:, :, 0].mean(1)
    rhats = [dg.rhat(d["lambda"]), dg.rhat(d["loglik"])]
    if d["delta"][:, :, 0].std() > 0:
        rhats.append(dg.rhat(d["delta"][:, :, 0].astype(float)))
    rough = (d["delta"][:, :, 0] & (d["r"][:, :, 0] > BIMODAL_ROUGH_R)).mean(1)
    return {"warn": any(n.startswith("WARNING: the chains disagree") for n in fit.notes),
            "pip_range": float(pips.max() - pips.min()), "max_rhat": float(max(rhats)),
            "rough_share": [float(v) for v in rough]}


def main(seeds: list[int]) -> None:
    y, Z = bkmr.bimodal()
    for seed in seeds:
        with threadpool_limits(limits=1, user_api="blas"):
            fits = guard_rail_fits(y, Z, seed)
        print(json.dumps({"seed": seed, **{k: _summary(f) for k, f in fits.items()}}),
              flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]])
