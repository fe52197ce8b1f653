"""Replicates in parallel, in order, with a progress bar (WQS and qgcomp bootstraps).

Every replicate gets its own seed (a :class:`numpy.random.SeedSequence`
child), so results do not depend on the number of workers or on how the
replicates are chunked. The work runs through joblib (default backend: local
processes); ``with joblib.parallel_config(backend="dask"):`` around the call
sends the same chunks to a ``dask.distributed`` cluster (tests/test_qgcomp.py
runs it on a loopback ``LocalCluster``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["run_replicates"]


def run_replicates(
    worker: Callable[..., list],
    seeds: Sequence[np.random.SeedSequence | None],
    args: tuple = (),
    *,
    n_jobs: int = 1,
    progress: bool = False,
    desc: str = "replicates",
) -> list:
    """Run ``worker(seed_chunk, *args)`` over chunks of ``seeds``; results in seed order.

    Parameters
    ----------
    worker : callable
        ``worker(list_of_seeds, *args)`` returning one result per seed. It must
        be importable (a module-level function) for process backends.
    seeds : sequence
        One seed per replicate.
    args : tuple
        Further arguments of ``worker`` (sent once per chunk).
    n_jobs : int
        Parallel workers; 1 runs in this process.
    progress : bool
        Show a tqdm progress bar.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        One result per seed, in the order of ``seeds``.
    """
    from joblib import Parallel, delayed
    from tqdm import tqdm

    b = len(seeds)
    if n_jobs == 1:
        chunks = [[s] for s in seeds]
    else:
        n_chunks = max(1, min(b, 4 * max(n_jobs, 1)))
        chunks = [[seeds[i] for i in c] for c in np.array_split(np.arange(b), n_chunks)
                  if c.size]
    bar = tqdm(total=b, desc=desc, disable=not progress, leave=False)
    results: list = []
    try:
        if n_jobs == 1:
            for chunk in chunks:
                results.extend(worker(chunk, *args))
                bar.update(len(chunk))
        else:
            gen = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(worker)(chunk, *args) for chunk in chunks)
            for part in gen:
                results.extend(part)
                bar.update(len(part))
    finally:
        bar.close()
    return results
