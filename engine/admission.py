"""Who gets the next engine worker: fair admission under load.

Without it, workers are taken first come, first served, and a learner with a short record waits
behind three long evaluations (measured: 3.6 s median, 7.2 s at the 99th percentile, for an
evaluation that takes 6 ms alone). Here:

- one worker is kept for small evaluations whenever there are two or more: a large one (its
  rules × credentials above `large_above`) never takes the last free worker;
- a waiting evaluation is admitted in turn per organisation (round robin), first come, first
  served within one, so one office's batch cannot starve another's single case;
- the deadline counts the time spent waiting: an evaluation that cannot start in time is
  refused with `EngineBusy` (and a retry hint) instead of running late;
- the queue is bounded: beyond `max_waiting` a request is refused at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.errors import EngineBusy


@dataclass(eq=False)  # tickets are told apart by identity: two may look alike
class _Ticket:
    organisation: str
    large: bool
    admitted: bool = False


@dataclass
class AdmissionStats:
    admitted: int = 0
    refused_full: int = 0
    refused_late: int = 0
    waited_ms: list[float] = field(default_factory=list)


class Admission:
    """Slots for `workers` concurrent evaluations, handed out fairly (see the module text)."""

    def __init__(self, workers: int, max_waiting: int | None = None, large_above: int = 2000):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self.max_waiting = max_waiting if max_waiting is not None else 8 * workers
        self.large_above = large_above
        self._cond = threading.Condition()
        self._busy = 0
        self._busy_large = 0
        # organisation → its waiting tickets, in arrival order; the dict's order is the turn.
        self._queues: OrderedDict[str, deque[_Ticket]] = OrderedDict()
        self._waiting = 0
        self.stats = AdmissionStats()

    def is_large(self, cost: int) -> bool:
        return cost > self.large_above

    @contextmanager
    def slot(self, organisation: str, cost: int, deadline: float) -> Iterator[float]:
        """Hold a worker slot; yields the seconds left before `deadline` (time.monotonic)."""
        ticket = _Ticket(organisation or "-", self.is_large(cost))
        start = time.monotonic()
        with self._cond:
            if self._waiting >= self.max_waiting:
                self.stats.refused_full += 1
                raise EngineBusy("the evaluation queue is full; try again shortly", retry_after=5)
            self._queues.setdefault(ticket.organisation, deque()).append(ticket)
            self._waiting += 1
            self._dispatch()
            while not ticket.admitted:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._withdraw(ticket)
                    self.stats.refused_late += 1
                    raise EngineBusy(
                        "no engine worker became free in time; try again shortly", retry_after=10
                    )
                self._cond.wait(left)
            self.stats.admitted += 1
            if len(self.stats.waited_ms) < 10_000:
                self.stats.waited_ms.append((time.monotonic() - start) * 1000)
        try:
            yield deadline - time.monotonic()
        finally:
            with self._cond:
                self._busy -= 1
                self._busy_large -= ticket.large
                self._dispatch()

    def _fits(self, ticket: _Ticket) -> bool:
        if self._busy >= self.workers:
            return False
        # A large evaluation leaves one worker for small ones (when there is more than one).
        return not ticket.large or self.workers == 1 or self._busy < self.workers - 1

    def _dispatch(self) -> None:
        """Admit waiting tickets while they fit, one organisation after another."""
        progressed = True
        while progressed and self._busy < self.workers:
            progressed = False
            for organisation in list(self._queues):
                queue = self._queues[organisation]
                ticket = next((t for t in queue if self._fits(t)), None)
                if ticket is None:
                    continue
                queue.remove(ticket)
                self._queues.move_to_end(organisation)  # its turn is over
                if not queue:
                    del self._queues[organisation]
                ticket.admitted = True
                self._waiting -= 1
                self._busy += 1
                self._busy_large += ticket.large
                progressed = True
                self._cond.notify_all()
                break

    def _withdraw(self, ticket: _Ticket) -> None:
        queue = self._queues.get(ticket.organisation)
        if queue is not None and ticket in queue:
            queue.remove(ticket)
            self._waiting -= 1
            if not queue:
                del self._queues[ticket.organisation]
