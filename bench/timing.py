"""Timing, statistics and machine facts shared by the benchmark modules."""

from __future__ import annotations

import importlib.metadata
import itertools
import os
import platform
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

Cell = tuple[int, int]  # (recognition rules, credentials per learner)
TARGET_CELL: Cell = (200, 50)
# Each compile measurement needs a policy never registered before (names are registered once).
_fresh_seeds = itertools.count(10_000)


def _stats(samples_ns: list[int]) -> dict[str, Any]:
    ms = sorted(x / 1e6 for x in samples_ns)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {
        "median_ms": round(statistics.median(ms), 4),
        "p95_ms": round(p95, 4),
        "min_ms": round(ms[0], 4),
        "n": len(ms),
    }


def _time_once(fn: Callable[[], Any]) -> int:
    start = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - start


def _share(counter: Counter) -> dict[str, float]:
    total = sum(counter.values()) or 1
    return {k: round(counter[k] / total, 3) for k in ("met", "not_met", "unknown")}


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "revision": _revision(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": model or platform.processor(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "cpu_physical": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "durable_rules": version("durable-rules"),
        "zen_engine": version("zen-engine"),
    }


def _revision() -> str | None:
    """The git commit measured ("+" when the working tree has changes), if git is at hand."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")
