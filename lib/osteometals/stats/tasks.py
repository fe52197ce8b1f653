"""Run many independent tasks locally (joblib) or on a Dask cluster, caching each result.

:func:`run_tasks` takes a function and a mapping ``key -> argument`` and
returns ``key -> function(argument)``. Nothing here schedules work itself:

* **locally** (the default) the tasks go to a joblib process pool
  (``loky``), results streamed back as they finish, with a tqdm progress
  bar; ``n_jobs=1`` runs them in this process;
* **on a cluster** (``scheduler="tcp://HOST:PORT"``) the same tasks go to a
  ``dask.distributed`` scheduler, one future per key (the key is the Dask
  task name, so a key is never run twice at once); Dask reruns the tasks of
  a worker that dies.

Each result is written to a :class:`ResultCache` (one small JSON file per
key, written atomically) as soon as it arrives, and keys already in the
cache are not run again. A rerun after adding work therefore computes only
the new keys, and an interrupted run resumes where it stopped. Results must
be JSON-serialisable mappings.

The key should identify the computation completely (see
:func:`osteometals.stats.speccurve.spec_key`: the task's fields plus a code
version); the cache trusts it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ResultCache", "SchedulerUnreachable", "run_tasks"]


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler named by the caller cannot be reached."""


class ResultCache:
    """A folder of results, one JSON file per key (``<folder>/<key[:2]>/<key>.json``).

    Parameters
    ----------
    folder : str or pathlib.Path
        Created when the first result is written.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        """File of ``key``."""
        if not key or any(c in key for c in "/\\."):
            raise ValueError(f"invalid cache key {key!r}")
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The cached result of ``key``, or None (also for an unreadable file)."""
        try:
            return json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, result: Mapping[str, Any]) -> None:
        """Write ``result`` for ``key`` atomically (a reader never sees half a file)."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(dict(result), allow_nan=True, sort_keys=True))
        os.replace(tmp, path)

    def keys(self) -> list[str]:
        """Every cached key."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*/*.json"))


def _call(function: Callable[[Any], Any], key: str, argument: Any) -> tuple[str, Any]:
    return key, function(argument)


def _joblib(function, items, n_jobs: int) -> Iterator[tuple[str, Any]]:
    if n_jobs == 1:
        for key, arg in items:
            yield _call(function, key, arg)
        return
    from joblib import Parallel, delayed

    yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_call)(function, key, arg) for key, arg in items)


def connect(scheduler: str, timeout: float = 10.0):
    """A ``dask.distributed.Client`` for ``scheduler``, or :class:`SchedulerUnreachable`.

    Parameters
    ----------
    scheduler : str
        Address such as ``tcp://127.0.0.1:8786``.
    timeout : float
        Seconds to wait for the connection.
    """
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {scheduler} ({reason})") from None


def _dask(function, items, scheduler, client) -> Iterator[tuple[str, Any]]:
    from dask.distributed import as_completed

    own = client is None
    client = connect(scheduler) if own else client
    try:
        keys = [k for k, _ in items]
        with client.as_current():
            futures = client.map(_call, [function] * len(items), keys, [a for _, a in items],
                                 key=[f"task-{k}" for k in keys], pure=False)
            for future in as_completed(futures):
                yield future.result()
                future.release()
    finally:
        if own:
            client.close()


def run_tasks(
    function: Callable[[Any], Mapping[str, Any]],
    tasks: Mapping[str, Any],
    *,
    cache: ResultCache | None = None,
    scheduler: str | None = None,
    client: Any = None,
    n_jobs: int = 2,
    progress: bool = True,
    desc: str = "tasks",
) -> dict[str, Any]:
    """Run ``function(argument)`` for every ``key -> argument`` not yet in ``cache``.

    Parameters
    ----------
    function : callable
        A picklable (module-level) function of one argument.
    tasks : mapping
        Key -> argument; keys must be unique strings usable as file names.
    cache : ResultCache, optional
        Where results are read from and written to as they arrive.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``); None runs locally.
    client : dask.distributed.Client, optional
        An open client to use instead of ``scheduler`` (e.g. of a
        ``LocalCluster``); it is not closed.
    n_jobs : int
        Local worker processes (joblib); ignored on a cluster.
    progress : bool
        Show a tqdm progress bar.
    desc : str
        Label of the progress bar.

    Returns
    -------
    dict
        Key -> result for every key of ``tasks``, in the order of ``tasks``.

    Raises
    ------
    SchedulerUnreachable
        If ``scheduler`` cannot be reached (before any task runs).
    RuntimeError
        If a task's result did not come back (never expected; a safeguard).
    """
    done: dict[str, Any] = {}
    todo = []
    for key, arg in tasks.items():
        hit = cache.get(key) if cache is not None else None
        if hit is None:
            todo.append((key, arg))
        else:
            done[key] = hit
    if todo:
        stream = (_dask(function, todo, scheduler, client) if (scheduler or client)
                  else _joblib(function, todo, n_jobs))
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), desc=desc, unit="task")
        try:
            for key, result in stream:
                if cache is not None:
                    cache.put(key, result)
                done[key] = result
                if bar is not None:
                    bar.update()
        finally:
            if bar is not None:
                bar.close()
    lost = [k for k in tasks if k not in done]
    if lost:
        raise RuntimeError(f"{len(lost)} task(s) returned no result, e.g. {lost[:3]}")
    return {k: done[k] for k in tasks}
