"""Costs besides per-evaluation time: throughput, compile time, memory growth, a profile."""

from __future__ import annotations

import gc
import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

from bench.phases import breakdown
from bench.plan import Plan
from bench.synthetic import AS_OF, policy_document, wallet
from bench.timing import (
    TARGET_CELL,
    Cell,
    _fresh_seeds,
)
from engine import durable_backend
from engine.compile import compile_policy
from engine.evaluate import compiled_for, evaluate
from engine.matching import match_durable
from engine.service import ContainedEvaluator
from engine.views import plain_views
from rules.loader import load_policy


def _throughput(plan: Plan, evaluator: ContainedEvaluator) -> dict[str, Any]:
    rules, n = plan.throughput_cell
    document = policy_document(rules, seed=0)
    policy = load_policy(document)
    wallets = [wallet(n, seed=s) for s in range(plan.wallets)]

    def sustained(call: Callable[[Any], Any], threads: int = 1) -> dict[str, Any]:
        call(wallets[0])  # warm-up (in a pool, the other workers warm up while measured)
        stop = time.perf_counter() + plan.throughput_s
        counts = [0] * threads

        def worker(slot: int) -> None:
            k = slot
            # At least a few evaluations per thread, however slow each one is.
            while time.perf_counter() < stop or counts[slot] < 3:
                call(wallets[k % len(wallets)])
                counts[slot] += 1
                k += 1

        start = time.perf_counter()
        if threads == 1:
            worker(0)
        else:
            pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
        elapsed = time.perf_counter() - start
        return {
            "evaluations": sum(counts),
            "seconds": round(elapsed, 3),
            "per_second": round(sum(counts) / elapsed, 2),
        }

    out = {
        "cell": f"{rules}x{n}",
        "evaluate": sustained(lambda w: evaluate(policy, w, AS_OF)),
        "contained": sustained(lambda w: evaluator.evaluate(policy, w, AS_OF)),
    }
    workers = max(2, os.cpu_count() or 1)
    with ContainedEvaluator(size=workers) as pool:
        out["contained_parallel"] = sustained(
            lambda w: pool.evaluate(policy, w, AS_OF), threads=workers
        )
        out["contained_parallel"]["workers"] = workers
    return out


def time_compile(document: dict[str, Any]) -> dict[str, float]:
    """Validate, compile and register one never-registered policy; milliseconds of each step."""
    gc.collect()  # earlier garbage is not this measurement's cost
    t0 = time.perf_counter_ns()
    policy = load_policy(document)
    t1 = time.perf_counter_ns()
    compiled = compile_policy(policy)
    t2 = time.perf_counter_ns()
    durable_backend.register(compiled.name, compiled.ruleset)
    t3 = time.perf_counter_ns()
    return {
        "validate_ms": (t1 - t0) / 1e6,
        "compile_ms": (t2 - t1) / 1e6,
        "register_ms": (t3 - t2) / 1e6,
        "total_ms": (t3 - t0) / 1e6,
        "blocks": len(compiled.blocks),
        "engine_rules": len(compiled.ruleset),
    }


def _compile_times(plan: Plan) -> dict[str, Any]:
    def once(seed: int) -> dict[str, float]:
        return time_compile(policy_document(plan.compile_rules, seed=seed))

    once(next(_fresh_seeds))  # warm-up: imports, caches, allocator
    runs = [once(next(_fresh_seeds)) for _ in range(plan.compile_seeds)]
    out: dict[str, Any] = {"rules": plan.compile_rules, "seeds": len(runs)}
    for key in ("validate_ms", "compile_ms", "register_ms", "total_ms"):
        out[key] = round(statistics.median(r[key] for r in runs), 2)
    out["total_ms_each"] = [round(r["total_ms"], 2) for r in runs]
    out["blocks"] = [r["blocks"] for r in runs]
    out["engine_rules"] = [r["engine_rules"] for r in runs]
    return out


def _rss(plan: Plan) -> dict[str, Any]:
    rules, n = plan.rss_cell
    policy = load_policy(policy_document(rules, seed=0))
    compiled = compiled_for(policy)
    wallets = [plain_views(policy, list(wallet(n, seed=s).credentials), AS_OF) for s in range(3)]
    process = psutil.Process()
    for k in range(min(1000, plan.rss_evaluations)):
        match_durable(compiled, wallets[k % 3], AS_OF)
    gc.collect()
    before = process.memory_info().rss
    start = time.perf_counter()
    for k in range(plan.rss_evaluations):
        match_durable(compiled, wallets[k % 3], AS_OF)
    elapsed = time.perf_counter() - start
    gc.collect()
    after = process.memory_info().rss
    growth = after - before
    return {
        "cell": f"{rules}x{n}",
        "evaluations": plan.rss_evaluations,
        "seconds": round(elapsed, 2),
        "rss_before_mib": round(before / 2**20, 2),
        "rss_after_mib": round(after / 2**20, 2),
        "growth_kib": round(growth / 1024, 1),
        "growth_mib_per_100k": round(growth / 2**20 * 100_000 / plan.rss_evaluations, 3),
    }


def profile(cell: Cell = TARGET_CELL, evaluations: int = 30) -> dict[str, Any]:
    """Where an evaluation's time goes at one cell, for the full and the compact result (phases
    timed directly: a tracing profiler distorts this code; see `bench.phases`)."""
    return {"breakdowns": [breakdown(cell, evaluations, d) for d in ("full", "compact")]}
