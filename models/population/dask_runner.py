"""A batch on a Dask cluster: `DaskExecutor` is `run`'s executor for `--dask local` (a
`LocalCluster` of one single-threaded process per core) or `--dask tcp://host:port` (a running
scheduler; its workers need credstack installed).

The policy is scattered to every worker once (broadcast) and each chunk is a task running
`models.population.work.evaluate_chunk`, the code the local worker pool runs, so the results are
byte for byte the same. Results are gathered in input order with a bounded number of chunks in
flight. A chunk whose task killed its worker (durable-rules can crash; the worker's nanny restarts
it) is run again one learner at a time, so only that learner gets an error line. Dask has no time
limit per task: a hung evaluation holds its worker.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from models.population.sources import Item
from models.population.work import Evaluated, Job, evaluate_chunk, learner_of_bytes


class DaskUnavailable(Exception):
    """The Dask cluster cannot be started or reached."""


class DaskExecutor:
    def __init__(self, job: Job, address: str, workers: int | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of credstack
            message = "Dask is not installed: pip install 'dask[distributed]'"
            raise DaskUnavailable(message) from None
        self.job = job
        self.cluster: Any = None
        try:
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
            else:
                # Waits up to Dask's distributed.comm.timeouts.connect (30 s unless configured).
                self.client = Client(address)
        except (OSError, TimeoutError, ValueError) as exc:
            self._close_cluster()
            raise DaskUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        threads = self.client.nthreads()
        if not threads:
            self.client.wait_for_workers(1, timeout=60)
            threads = self.client.nthreads()
        self.workers = max(1, sum(threads.values()))
        [self.policy] = self.client.scatter([job.policy], broadcast=True, hash=False)

    def submit(self, items: list[Item]) -> _Chunk:
        return _Chunk(self, list(items))

    def task(self, items: list[Item]) -> Any:
        job = self.job
        return self.client.submit(
            evaluate_chunk,
            self.policy,
            items,
            job.as_of,
            job.secret,
            job.matcher,
            job.detail,
            pure=False,
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None


class _Chunk:
    """A chunk's task; `result()` waits for it (retrying learner by learner if it killed its
    worker)."""

    def __init__(self, executor: DaskExecutor, items: list[Item]):
        self.executor, self.items = executor, items
        self.future = executor.task(items)

    def result(self) -> list[Evaluated]:
        from distributed import KilledWorker

        try:
            return self.future.result()
        except KilledWorker as exc:
            if len(self.items) == 1:
                item = self.items[0]
                message = f"<engine>: the evaluation stopped its Dask worker ({exc})"
                return [Evaluated(item.line, learner_of_bytes(item), None, message)]
        singles = [_Chunk(self.executor, [item]) for item in self.items]
        return [r for single in singles for r in single.result()]
