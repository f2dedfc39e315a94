"""Functions that `tests/test_worker.py` runs inside worker processes, including faulty ones."""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

_calls = 0


def echo(payload: Any) -> Any:
    return payload


def pid(_: Any) -> int:
    return os.getpid()


def counter(_: Any) -> int:
    global _calls
    _calls += 1
    return _calls


def square_slowly(x: int) -> tuple[int, int]:
    time.sleep(0.05)  # long enough that concurrent calls overlap and need both workers
    return x * x, os.getpid()


def segfault(_: Any) -> None:
    ctypes.string_at(0)


def spin(_: Any) -> None:
    while True:
        pass


def allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))


def fail(message: str) -> None:
    raise ValueError(message)


def exit_with(code: int) -> None:
    os._exit(code)
