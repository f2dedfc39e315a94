"""How many evaluations one member of staff may start per minute, in this web process.

An evaluation costs a worker for up to its time limit; one token in a loop could otherwise keep
every worker busy. Counted per user (a token acts for its user) in a sliding minute, in memory:
under gunicorn with W processes the bound is W times `EVALUATIONS_PER_MINUTE` (login attempts,
where the bound must hold across processes, are counted in the database instead).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from flask import current_app
from werkzeug.exceptions import TooManyRequests

WINDOW = 60.0


class EvaluationRate:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._starts: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, user_id: int) -> None:
        """Count one evaluation for `user_id`, or raise 429 with the seconds to wait."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            starts = self._starts.setdefault(user_id, deque())
            while starts and starts[0] <= now - WINDOW:
                starts.popleft()
            if len(starts) >= self.per_minute:
                wait = max(1, math.ceil(starts[0] + WINDOW - now))
                raise TooManyRequests(
                    f"at most {self.per_minute} evaluations a minute; try again in {wait} s",
                    retry_after=wait,
                )
            starts.append(now)
            if len(self._starts) > 10_000:  # bound memory: forget users idle for a minute
                self._starts = {k: v for k, v in self._starts.items() if v and v[-1] > now - 60}


def count_evaluation(user_id: int) -> None:
    rate = current_app.extensions.get("credstack_evaluation_rate")
    if rate is None:
        rate = EvaluationRate(current_app.config.get("EVALUATIONS_PER_MINUTE", 120))
        current_app.extensions["credstack_evaluation_rate"] = rate
    rate.admit(user_id)
