"""Small evaluations while large ones run (`credstack bench --load`).

The web app's situation: one `ContainedEvaluator` shared by request threads. A small evaluation
(10 rules × 5 credentials) is timed again and again, first alone and then while `large` threads
keep large evaluations (200 rules × 200 credentials) running through the same evaluator. The
report gives medians and 99th percentiles of the small ones, alone and under load, and their
ratio, all measured in one run.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from bench.synthetic import AS_OF, policy_document, wallet
from bench.timing import _machine
from engine.service import ContainedEvaluator
from rules.loader import load_policy

SMALL, LARGE = (10, 5), (200, 200)


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(ordered[-1], 2),
    }


def run_load(
    workers: int = 2, large: int = 3, samples: int = 40, evaluator: Any = None
) -> dict[str, Any]:
    small_policy = load_policy(policy_document(SMALL[0], seed=1))
    large_policy = load_policy(policy_document(LARGE[0], seed=2))
    small_wallet, large_wallet = wallet(SMALL[1], seed=1), wallet(LARGE[1], seed=2)
    own = evaluator is None
    evaluator = evaluator or ContainedEvaluator(size=workers)
    errors: list[str] = []

    def small_once() -> float:
        start = time.perf_counter()
        try:
            evaluator.evaluate(small_policy, small_wallet, AS_OF)
        except Exception as exc:  # a refusal under load is a figure too, not a crash of the bench
            errors.append(type(exc).__name__)
        return (time.perf_counter() - start) * 1000

    try:
        for _ in range(3):  # warm every worker: policies compiled, caches filled
            small_once()
            evaluator.evaluate(large_policy, large_wallet, AS_OF)
        alone = [small_once() for _ in range(samples)]
        stop = threading.Event()
        large_ms: list[float] = []

        def keep_busy() -> None:
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    evaluator.evaluate(large_policy, large_wallet, AS_OF)
                except Exception as exc:
                    errors.append(type(exc).__name__)
                large_ms.append((time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=keep_busy, daemon=True) for _ in range(large)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the large ones have taken the workers
        loaded = []
        for _ in range(samples):
            loaded.append(small_once())
            time.sleep(0.05)  # requests arrive spread out, not back to back
        stop.set()
        for t in threads:
            t.join()
    finally:
        if own:
            evaluator.close()
    alone_stats, loaded_stats = _percentiles(alone), _percentiles(loaded)
    return {
        "machine": _machine(),
        "workers": workers,
        "large_running": large,
        "small_cell": f"{SMALL[0]}x{SMALL[1]}",
        "large_cell": f"{LARGE[0]}x{LARGE[1]}",
        "small_alone": alone_stats,
        "small_under_load": loaded_stats,
        "large": _percentiles(large_ms) if large_ms else None,
        "p99_ratio": round(loaded_stats["p99_ms"] / alone_stats["p99_ms"], 1),
        "errors": {e: errors.count(e) for e in sorted(set(errors))},
    }


def format_load(r: dict[str, Any]) -> str:
    a, b, big = r["small_alone"], r["small_under_load"], r["large"]
    lines = [
        f"Small evaluations ({r['small_cell'].replace('x', '×')}) with {r['large_running']} large "
        f"ones ({r['large_cell'].replace('x', '×')}) running, {r['workers']} workers:",
        f"  alone:       p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms ({a['n']} samples)",
        f"  under load:  p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, max "
        f"{b['max_ms']:.0f} ms ({b['n']} samples); p99 {r['p99_ratio']}× alone",
    ]
    if big:
        lines.append(f"  large ones:  p50 {big['p50_ms']:.0f} ms ({big['n']} finished)")
    if r["errors"]:
        counts = ", ".join(f"{k} {v}" for k, v in r["errors"].items())
        lines.append(f"  refused or failed: {counts}")
    return "\n".join(lines)
