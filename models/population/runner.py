"""Drive a batch: learners in chunks to the workers, results written in input order.

`run` reads the source lazily, skips the lines the output already holds, and keeps a bounded
number of chunks in flight (twice the workers), so memory stays flat however many learners there
are. Chunks start small (1, 2, 4, … learners) so that every worker has work at once, then grow to
`chunk_size` to spread the cost of each call.

`PoolExecutor` runs chunks in the crash-contained worker pool (`engine.worker.WorkerPool`): the
policy travels once per worker, a chunk that crashes, hangs or exhausts its worker is run again
one learner at a time, so only the learner that causes it gets an error line.
`models.population.dask_runner.DaskExecutor` does the same on a Dask cluster.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import EngineError, EngineFailure
from engine.service import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, PolicyNotLoaded
from engine.worker import WorkerPool
from models.population.outputs import Writer
from models.population.sources import Item
from models.population.work import TARGET, Evaluated, Job, learner_of_bytes

CHUNK_SIZE = 16


class Pending(Protocol):
    def result(self) -> list[Evaluated]: ...


class Executor(Protocol):
    """Runs chunks of learners somewhere; `workers` is how many run at once."""

    workers: int

    def submit(self, items: list[Item]) -> Pending: ...

    def close(self) -> None: ...


@dataclass
class Totals:
    """What a run did: learners evaluated and in error (this run), lines skipped because the
    output held them, the time, and the outcome statuses counted per rule."""

    evaluated: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, r: Evaluated) -> None:
        if r.error is not None:
            self.errors += 1
            return
        self.evaluated += 1
        self.statuses.update((rule, status) for rule, status, _ in r.outcomes)

    @property
    def learners(self) -> int:
        return self.evaluated + self.errors

    @property
    def per_second(self) -> float:
        return self.learners / self.seconds if self.seconds > 0 else 0.0


def run(
    items: Iterable[Item],
    executor: Executor,
    writer: Writer,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Callable[[Totals], None] | None = None,
) -> Totals:
    """Evaluate every item not yet in `writer.done`; write the results in input order."""
    totals = Totals()
    started = time.perf_counter()
    in_flight: deque[Pending] = deque()
    limit = 2 * max(1, executor.workers)

    def write_oldest() -> None:
        results = in_flight.popleft().result()
        writer.write(results)
        for r in results:
            totals.add(r)
        totals.seconds = time.perf_counter() - started
        if on_progress is not None:
            on_progress(totals)

    chunk: list[Item] = []
    size = 1
    for item in items:
        if item.line in writer.done:
            totals.skipped += 1
            continue
        chunk.append(item)
        if len(chunk) >= size:
            in_flight.append(executor.submit(chunk))
            chunk, size = [], min(chunk_size, size * 2)
            while len(in_flight) >= limit:
                write_oldest()
    if chunk:
        in_flight.append(executor.submit(chunk))
    while in_flight:
        write_oldest()
    totals.seconds = time.perf_counter() - started
    return totals


class PoolExecutor:
    """Chunks in the crash-contained worker pool, one thread per worker to keep each busy."""

    def __init__(
        self,
        job: Job,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit_mb: int = DEFAULT_MEMORY_MB,
        target: str = TARGET,
    ):
        self.job, self.target = job, target
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout  # per learner: a chunk may take this much per learner in it
        self.pool = WorkerPool(size=self.workers, timeout=timeout, memory_limit_mb=memory_limit_mb)
        self.threads = ThreadPoolExecutor(self.workers, thread_name_prefix="credstack-batch")

    def submit(self, items: list[Item]) -> Future[list[Evaluated]]:
        return self.threads.submit(self._chunk, list(items))

    def _chunk(self, items: list[Item]) -> list[Evaluated]:
        try:
            return self._call(items)
        except EngineError as exc:  # crashed, hung, out of memory, or failed outside a learner
            if len(items) == 1:
                return [failed(items[0], exc)]
            return [r for item in items for r in self._chunk([item])]

    def _call(self, items: list[Item]) -> list[Evaluated]:
        timeout = self.timeout * len(items)
        try:
            return self.pool.call(self.target, self.job.payload(items), timeout)
        except EngineFailure as exc:
            if exc.type_name != PolicyNotLoaded.__name__:
                raise
        return self.pool.call(self.target, self.job.payload(items, with_policy=True), timeout)

    def close(self) -> None:
        self.threads.shutdown(wait=True, cancel_futures=True)
        self.pool.close()


def failed(item: Item, exc: BaseException) -> Evaluated:
    """The error line of a learner whose evaluation stopped its worker."""
    return Evaluated(item.line, learner_of_bytes(item), None, f"<engine>: {exc}")
