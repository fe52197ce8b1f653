"""Running independent tasks (osteometals.stats.tasks): locally, on Dask, cached, resumed.

The Dask tests start a ``dask.distributed.LocalCluster`` of two worker
processes on loopback (127.0.0.1); they need no network.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from osteometals.stats import tasks
from osteometals.stats.tasks import ResultCache, SchedulerUnreachable, run_tasks


def square(arg: dict) -> dict:
    """A task: records that it ran (one file per call) and returns the square."""
    Path(arg["log"], f"{arg['x']}-{os.getpid()}-{time.time_ns()}").touch()
    time.sleep(arg.get("sleep", 0.0))
    if arg.get("fail_at") == arg["x"]:
        raise KeyboardInterrupt("interrupted")
    return {"x": arg["x"], "square": arg["x"] ** 2}


def _tasks(log: Path, n: int = 12, **extra) -> dict[str, dict]:
    log.mkdir(exist_ok=True)
    return {f"k{i:03d}": {"x": i, "log": str(log), **extra} for i in range(n)}


def _calls(log: Path) -> list[int]:
    return sorted(int(p.name.split("-")[0]) for p in log.iterdir())


def test_local_results_do_not_depend_on_the_number_of_processes(tmp_path):
    one = run_tasks(square, _tasks(tmp_path / "a"), n_jobs=1, progress=False)
    two = run_tasks(square, _tasks(tmp_path / "b"), n_jobs=2, progress=False)
    assert one == two
    assert list(one) == [f"k{i:03d}" for i in range(12)]  # in the order of the tasks


def test_cache_computes_only_new_keys(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    log = tmp_path / "log"
    run_tasks(square, _tasks(log, 5), cache=cache, n_jobs=1, progress=False)
    assert _calls(log) == list(range(5))
    out = run_tasks(square, _tasks(log, 8), cache=cache, n_jobs=2, progress=False)
    assert _calls(log) == list(range(8))  # 0-4 came from the cache
    assert out["k007"] == {"x": 7, "square": 49}
    assert len(cache.keys()) == 8


def test_an_interrupted_run_resumes(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    log = tmp_path / "log"
    with pytest.raises(KeyboardInterrupt):
        run_tasks(square, _tasks(log, 10, fail_at=6), cache=cache, n_jobs=1, progress=False)
    assert cache.keys() == [f"k{i:03d}" for i in range(6)]
    out = run_tasks(square, _tasks(log, 10), cache=cache, n_jobs=1, progress=False)
    assert _calls(log) == [*range(7), *range(6, 10)]  # 6 ran twice: it never finished
    assert [r["x"] for r in out.values()] == list(range(10))


def test_a_corrupt_cache_file_is_recomputed(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    run_tasks(square, _tasks(tmp_path / "log", 3), cache=cache, n_jobs=1, progress=False)
    cache.path("k001").write_text("{not json")
    assert "k001" not in cache
    out = run_tasks(square, _tasks(tmp_path / "log", 3), cache=cache, n_jobs=1, progress=False)
    assert out["k001"]["square"] == 1


def test_unreachable_scheduler_is_one_clear_error():
    with pytest.raises(SchedulerUnreachable, match="cannot reach the Dask scheduler at "
                                                   "tcp://127.0.0.1:9"):
        tasks.connect("tcp://127.0.0.1:9", timeout=2)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as lc:
        yield lc


def test_dask_gives_the_local_results(tmp_path, cluster):
    local = run_tasks(square, _tasks(tmp_path / "a"), n_jobs=1, progress=False)
    remote = run_tasks(square, _tasks(tmp_path / "b"), scheduler=cluster.scheduler_address,
                       progress=False)
    assert remote == local


def test_a_killed_worker_loses_and_duplicates_no_task(tmp_path, cluster):
    from dask.distributed import Client

    cache = ResultCache(tmp_path / "cache")
    tasks = _tasks(tmp_path / "log", 40, sleep=0.15)
    with Client(cluster.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())
        out: dict = {}
        runner = threading.Thread(target=lambda: out.update(run_tasks(
            square, tasks, cache=cache, client=client, progress=False)))
        runner.start()
        deadline = time.time() + 60
        while len(cache.keys()) < 5 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)  # one worker dies mid-run
        at_kill = len(cache.keys())
        runner.join(timeout=120)
    assert not runner.is_alive()
    assert list(out) == list(tasks)  # every task, once, in order
    assert [r["square"] for r in out.values()] == [i * i for i in range(40)]
    assert cache.keys() == sorted(tasks)
    assert 5 <= at_kill < 40  # the kill came while tasks were still running
