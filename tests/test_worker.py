"""A fault in a worker (segfault, hang, memory blow-up, exception) never reaches the caller."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import psutil
import pytest

from engine.errors import (
    EngineCrashed,
    EngineError,
    EngineFailure,
    EngineMemoryExceeded,
    EngineTimeout,
)
from engine.worker import WorkerPool

T = "tests.worker_targets:"


@pytest.fixture
def make_pool() -> Iterator[Callable[..., WorkerPool]]:
    pools: list[WorkerPool] = []

    def make(**kwargs: object) -> WorkerPool:
        pools.append(WorkerPool(**kwargs))  # type: ignore[arg-type]
        return pools[-1]

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def pool(make_pool: Callable[..., WorkerPool]) -> WorkerPool:
    return make_pool(size=1, timeout=5.0, memory_limit_mb=300)


def test_call_returns_the_result_from_another_process(pool: WorkerPool) -> None:
    assert pool.call(T + "echo", {"ects": [5.0, 2.5], "id": "c1"}) == {
        "ects": [5.0, 2.5],
        "id": "c1",
    }
    assert pool.call(T + "pid", None) != os.getpid()


def test_segfault_is_contained_and_the_worker_replaced(pool: WorkerPool) -> None:
    with pytest.raises(EngineCrashed, match="SIGSEGV"):
        pool.call(T + "segfault", None)
    assert pool.call(T + "echo", 1) == 1
    assert pool.stats() == {
        "calls": 2, "crashes": 1, "timeouts": 0, "memory_kills": 0, "restarts": 1
    }  # fmt: skip


def test_exit_is_a_crash_with_its_code(pool: WorkerPool) -> None:
    with pytest.raises(EngineCrashed, match="exit code 3"):
        pool.call(T + "exit_with", 3)
    assert pool.call(T + "echo", 2) == 2


def test_hang_is_killed_at_the_time_limit(pool: WorkerPool) -> None:
    started = time.monotonic()
    with pytest.raises(EngineTimeout, match="time limit of 1 s"):
        pool.call(T + "spin", None, timeout=1.0)
    assert 1.0 <= time.monotonic() - started < 2.5
    assert pool.call(T + "echo", 3) == 3
    assert pool.stats()["timeouts"] == 1
    assert pool.stats()["restarts"] == 1


def test_memory_blow_up_is_stopped_by_the_limit(pool: WorkerPool) -> None:
    with pytest.raises(EngineMemoryExceeded, match="300 MB"):
        pool.call(T + "allocate", 2 * 1024**3)
    assert pool.call(T + "allocate", 10 * 1024**2) == 10 * 1024**2
    assert pool.stats()["memory_kills"] == 1
    assert pool.stats()["restarts"] == 1


def test_exception_is_reported_as_text_and_the_worker_kept(pool: WorkerPool) -> None:
    before = pool.call(T + "pid", None)
    with pytest.raises(EngineFailure, match="ValueError: no such credential c9") as caught:
        pool.call(T + "fail", "no such credential c9")
    assert (caught.value.type_name, caught.value.message) == ("ValueError", "no such credential c9")
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
    assert pool.call(T + "pid", None) == before
    assert pool.stats()["restarts"] == 0


def test_bad_target_is_a_failure(pool: WorkerPool) -> None:
    with pytest.raises(EngineFailure, match="ModuleNotFoundError"):
        pool.call("tests.no_such_module:f", None)
    with pytest.raises(ValueError, match="module.path:function"):
        pool.call("tests.worker_targets", None)


def test_interrupted_call_leaves_no_stale_reply(
    pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = pool.call(T + "pid", None)

    def interrupt(self: Connection, timeout: float | None = 0.0) -> bool:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Connection, "poll", interrupt)
        with pytest.raises(KeyboardInterrupt):
            pool.call(T + "echo", "stale")
    assert pool.call(T + "echo", "fresh") == "fresh"
    assert pool.call(T + "pid", None) != first


def test_worker_keeps_module_state_between_calls(pool: WorkerPool) -> None:
    assert [pool.call(T + "counter", None) for _ in range(3)] == [1, 2, 3]


def test_concurrent_calls_share_the_workers(make_pool: Callable[..., WorkerPool]) -> None:
    pool = make_pool(size=2, timeout=5.0)
    with ThreadPoolExecutor(max_workers=8) as threads:
        results = list(threads.map(lambda x: pool.call(T + "square_slowly", x), range(8)))
    assert [square for square, _ in results] == [x * x for x in range(8)]
    assert len({pid for _, pid in results}) == 2
    assert pool.stats()["calls"] == 8


def test_spawn_start_method_works(make_pool: Callable[..., WorkerPool]) -> None:
    assert make_pool(start_method="spawn").call(T + "echo", "hi") == "hi"


def test_fork_is_refused() -> None:
    with pytest.raises(ValueError, match="forkserver"):
        WorkerPool(start_method="fork")


def test_close_leaves_no_process_behind() -> None:
    with WorkerPool(size=2) as pool:
        with ThreadPoolExecutor(max_workers=2) as threads:
            pids = set(threads.map(lambda x: pool.call(T + "square_slowly", x)[1], range(2)))
    assert len(pids) == 2
    for pid in pids:
        assert not psutil.pid_exists(pid)
    with pytest.raises(RuntimeError, match="closed"):
        pool.call(T + "echo", 1)


def test_faults_never_reach_the_calling_process(pool: WorkerPool) -> None:
    me = psutil.Process()
    faults = [("segfault", None), ("spin", None), ("allocate", 2 * 1024**3), ("fail", "x")]
    for name, payload in faults:
        with pytest.raises(EngineError):
            pool.call(T + name, payload, timeout=1.0)
    assert me.pid == os.getpid() and me.is_running()
    assert me.status() != psutil.STATUS_ZOMBIE
    assert pool.call(T + "echo", "still here") == "still here"
    assert pool.stats() == {
        "calls": 5, "crashes": 1, "timeouts": 1, "memory_kills": 1, "restarts": 3
    }  # fmt: skip


def test_input_errors_keep_their_type_across_the_process_boundary():
    import datetime as dt

    from engine.errors import EvaluationInputError
    from engine.inputs import Credential, Wallet
    from engine.service import ContainedEvaluator
    from tests.builders import policy

    p = policy(
        recognition=[
            {
                "id": "r",
                "title": "R",
                "checks": {"level": [{"element": "eqf_level", "op": "gte", "value": 6}]},
            }
        ]
    )
    twice = Wallet("k", (Credential.of("c", {}), Credential.of("c", {})))
    with ContainedEvaluator() as evaluator:
        with pytest.raises(EvaluationInputError, match="repeated"):
            evaluator.evaluate(p, twice, dt.date(2026, 9, 1))
        ok = evaluator.evaluate(p, Wallet("k", (Credential.of("c", {}),)), dt.date(2026, 9, 1))
    assert ok["outcomes"][0]["status"] == "unknown"


def test_an_input_that_killed_a_worker_is_quarantined(monkeypatch):
    import datetime as dt

    from engine import service
    from engine.errors import EngineQuarantined
    from engine.inputs import Credential, Wallet
    from tests.builders import policy

    p = policy(
        recognition=[
            {
                "id": "r",
                "title": "R",
                "checks": {"level": [{"element": "eqf_level", "op": "gte", "value": 6}]},
            }
        ]
    )
    as_of = dt.date(2026, 9, 1)
    monkeypatch.setattr(service, "_TARGET", T + "evaluate_or_crash")
    now = [0.0]
    crashing = (Credential.of("crash", {"eqf_level": 6}),)
    with service.ContainedEvaluator(quarantine_seconds=900) as evaluator:
        evaluator.quarantine.clock = lambda: now[0]
        with pytest.raises(EngineCrashed):
            evaluator.evaluate(p, Wallet("a", crashing), as_of)
        calls = evaluator.pool.stats()["calls"]
        # Replayed, by anyone: refused at once, without a worker.
        with pytest.raises(EngineQuarantined, match="refused for another 15 minute"):
            evaluator.evaluate(p, Wallet("someone else", crashing), as_of)
        assert evaluator.pool.stats()["calls"] == calls
        # Other inputs are evaluated as usual.
        fine = Wallet("a", (Credential.of("c", {"eqf_level": 6}),))
        assert evaluator.evaluate(p, fine, as_of)["outcomes"][0]["status"] == "met"
        # When the quarantine ends the input is tried again.
        now[0] = 901.0
        with pytest.raises(EngineCrashed):
            evaluator.evaluate(p, Wallet("a", crashing), as_of)
        assert evaluator.pool.stats()["crashes"] == 2
    assert issubclass(EngineQuarantined, EngineError)


def test_the_quarantine_is_bounded_and_expires():
    from engine.errors import EngineQuarantined
    from engine.service import Quarantine

    now = [0.0]
    quarantine = Quarantine(seconds=60, size=2, clock=lambda: now[0])
    for digest in ("a", "b", "c"):
        quarantine.add(digest, "it crashed the worker")
    assert len(quarantine) == 2
    quarantine.check("a")  # the oldest was forgotten
    for digest in ("b", "c"):
        with pytest.raises(EngineQuarantined, match="crashed the worker"):
            quarantine.check(digest)
    now[0] = 60.0
    quarantine.check("b")
    quarantine.check("c")
    assert len(quarantine) == 0
    # A time limit can be reached on a busy machine: the same input is refused the second time.
    quarantine.add("slow", "it ran past the time limit twice", needed=2)
    quarantine.check("slow")
    quarantine.add("slow", "it ran past the time limit twice", needed=2)
    with pytest.raises(EngineQuarantined, match="time limit twice"):
        quarantine.check("slow")
