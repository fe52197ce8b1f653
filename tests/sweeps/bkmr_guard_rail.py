"""The 20-seed sweep behind the guard-rail test of ``tests/test_bkmr_tempering.py``.

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python tests/sweeps/bkmr_guard_rail.py 1 2 3 ... 20

The known-truth problem of the tempering tests, two chains started in the
two regions: plain chains of ``PLAIN_DRAWS`` draws and tempered chains of
``TEMPERED_DRAWS`` draws (the guard-rail test's lengths). One JSON line per
seed: whether the multi-start warning fired for each sampler, and the
quantities it looks at (the PIP range across chains, the largest R-hat). Not
collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import json
import sys

import numpy as np
from threadpoolctl import threadpool_limits

from osteometals.stats import bkmr
from osteometals.stats.bkmr import Start
from osteometals.stats.bkmr import diagnostics as dg

ROUGH = Start(np.array([8.0]), np.array([True]), 1.0, "rough")
FLAT = Start(np.array([0.05]), np.array([False]), 1.0, "flat")
PLAIN_DRAWS = 300
TEMPERED_DRAWS = 4000


def guard_rail_fits(y, Z, seed: int, n_jobs: int = 1) -> dict:
    """The plain and the tempered fit of the guard-rail test."""
    out = {}
    for sampler, draws in (("plain", PLAIN_DRAWS), ("tempered", TEMPERED_DRAWS)):
        out[sampler] = bkmr.fit_bkmr(
            y, Z, family="gaussian", sampler=sampler, starts=[ROUGH, FLAT], chains=2,
            temperatures=bkmr.geometric_ladder(4, 100.0) if sampler == "tempered" else None,
            n_warmup=300, n_draws=draws, seed=seed, surrogate_knots=None, keep_resid=False,
            n_jobs=n_jobs)
    return out


def _summary(fit) -> dict:
    d = fit.draws
    pips = d["delta"][:, :, 0].mean(1)
    rh = max(dg.rhat(d["delta"][:, :, 0].astype(float)), dg.rhat(d["lambda"]),
             dg.rhat(d["loglik"]))
    return {"warn": any(n.startswith("WARNING: the chains disagree") for n in fit.notes),
            "pip_range": float(pips.max() - pips.min()), "max_rhat": float(rh)}


def main(seeds: list[int]) -> None:
    y, Z = bkmr.bimodal()
    for seed in seeds:
        with threadpool_limits(limits=1, user_api="blas"):
            fits = guard_rail_fits(y, Z, seed)
        print(json.dumps({"seed": seed, **{k: _summary(f) for k, f in fits.items()}}),
              flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]])
