"""Errors the engine raises; `app.py` maps each to an HTTP response in one place.

Every class takes plain strings only, so an error can be logged, pickled or shown to a user without
dragging a traceback or engine state along.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error raised by the engine."""


class EngineCrashed(EngineError):
    """The worker process died during an evaluation (e.g. a segfault in durable-rules)."""


class EngineTimeout(EngineError):
    """An evaluation exceeded its wall-clock limit and its worker was killed."""


class EngineMemoryExceeded(EngineError):
    """An evaluation hit the worker's memory limit and its worker was replaced."""


class EngineQuarantined(EngineError):
    """The same evaluation (policy version and credentials) recently killed a worker (a crash, a
    hang or a memory blow-up) and is refused until its quarantine ends: replaying it would only
    take workers away from everyone else."""


class EngineBusy(EngineError):
    """No worker could start the evaluation in time, or too many wait already; try again after
    `retry_after` seconds. Nothing was evaluated."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message, retry_after)
        self.message, self.retry_after = message, retry_after

    def __str__(self) -> str:
        return self.message


class EngineFailure(EngineError):
    """The evaluated function raised an ordinary Python exception inside the worker."""

    def __init__(self, type_name: str, message: str) -> None:
        # Both parts go into args so the exception survives pickling unchanged.
        super().__init__(type_name, message)
        self.type_name = type_name
        self.message = message

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


class EngineCompileError(EngineError):
    """A policy cannot be compiled within durable-rules' measured structural limits."""


class EngineMalfunction(EngineError):
    """durable-rules refused the facts, fired past its budget, or disagreed with the reference."""


class EvaluationInputError(EngineError):
    """The credentials or the as-of date cannot be evaluated as given (e.g. duplicate ids)."""
