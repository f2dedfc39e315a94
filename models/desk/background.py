"""Queued work of one database (API batches, impact reports) run in one background thread of
this process.

`wake` starts the thread when none runs; the thread claims the next queued (or stale: running but
silent for `stale_seconds`, its runner presumably gone) item, runs it, and ends when nothing is
left. Claiming is a write in the store, so two processes never run the same item.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from models.store import database as store


class QueueRunner:
    """Subclasses name the thread and say how an item is claimed (`claim`) and run (`run`)."""

    thread_name = "credstack-queue"
    stale_seconds = 120.0

    def __init__(self, database: str) -> None:
        self.database = database
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def claim(self, db: store.DB, stale_before: str) -> Any | None:
        raise NotImplementedError

    def run(self, db: store.DB, item: Any) -> Any:
        raise NotImplementedError

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name=self.thread_name, daemon=True
                )
                self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        db = store.open_db(self.database)
        try:
            while True:
                stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.stale_seconds)
                item = self.claim(db, stale.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
                if item is None:
                    return
                self.run(db, item)
        finally:
            db.close()
