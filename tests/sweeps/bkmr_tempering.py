"""The 20-seed sweep behind ``tests/test_bkmr_tempering.py`` (the known-truth problem).

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python tests/sweeps/bkmr_tempering.py 1 2 3 ... 20

It prints one JSON line per seed with the quantities the tests bound, for the
plain and the tempered sampler: the pooled shares of rough and of excluded
draws (with their ArviZ MCSE and R-hat), the number of switches between the
regions, the smallest swap rate and whether the guard rail fired. About 45 s a
seed on one core. Not collected by pytest (no ``test_`` prefix).
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

# the starts of the test module
ROUGH = Start(np.array([8.0]), np.array([True]), 1.0, "rough")
FLAT = Start(np.array([0.05]), np.array([False]), 1.0, "flat")


def _summary(fit) -> dict:
    rough = (fit.draws["delta"][:, :, 0] & (fit.draws["r"][:, :, 0] > BIMODAL_ROUGH_R))
    rough = rough.astype(float)
    excluded = 1.0 - fit.draws["delta"][:, :, 0]
    swaps = [min(i["swap_acceptance"]) for i in fit.info if i.get("swap_acceptance")]
    return {
        "rough_mean": float(rough.mean()), "rough_mcse": float(dg.mcse(rough)),
        "rough_rhat": float(dg.rhat(rough)),
        "excl_mean": float(excluded.mean()), "excl_mcse": float(dg.mcse(excluded)),
        "excl_rhat": float(dg.rhat(excluded)),
        "switches": int(np.abs(np.diff(rough, axis=1)).sum()),
        "warn": any(n.startswith("WARNING: the chains disagree") for n in fit.notes),
        "swap_min": float(min(swaps)) if swaps else None,
    }


def main(seeds: list[int]) -> None:
    y, Z = bkmr.bimodal()
    with threadpool_limits(limits=1, user_api="blas"):
        exact = bkmr.bimodal_masses(y, Z, n_r=61, n_lam=61, lam_range=(1e-3, 1e3))
    for seed in seeds:
        out = {"seed": seed, "p_rough": exact["p_rough"], "p_excl": exact["masses"][(0,)]}
        for sampler in ("plain", "tempered"):
            with threadpool_limits(limits=1, user_api="blas"):
                fit = bkmr.fit_bkmr(
                    y, Z, family="gaussian", sampler=sampler, starts=[ROUGH, FLAT], chains=2,
                    temperatures=(bkmr.geometric_ladder(4, 100.0) if sampler == "tempered"
                                  else None),
                    n_warmup=300, n_draws=2000, seed=seed, surrogate_knots=None,
                    keep_resid=False, n_jobs=1)
            out[sampler] = _summary(fit)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]])
