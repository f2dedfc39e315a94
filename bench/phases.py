"""Where an evaluation's time goes, phase by phase, without a tracing profiler.

cProfile slows this code about 2.3× and inflates the parts with many small calls (the
allocation search looked twice its size), so the breakdown times each phase of `evaluate` with
`perf_counter_ns` around the phase's function: bind, views, matching (durable-rules, with the
facts built for it), exclusions, recognition, criteria, stacking (allocation and its
explanations), dispositions, the per-credential reports, unused and the fingerprint. The phase
functions are wrapped for the measurement only and restored afterwards; the overhead is one
clock read per phase call. Whatever the phases do not cover is reported as "other".
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import engine.evaluate as evaluation
from bench.synthetic import AS_OF, policy_document, wallet
from bench.timing import TARGET_CELL, Cell
from rules.loader import load_policy

# (label, attribute of engine.evaluate that the phase calls)
PHASES = (
    ("bind: credentials and facts read", "bind"),
    ("views: values converted and derived", "views_for"),
    ("matching: facts built, durable-rules run", "match"),
    ("exclusions", "_exclusions"),
    ("recognition outcomes", "recognition_outcome"),
    ("criteria", "criterion_outcome"),
    ("stacking: allocation and explanations", "Stacking.outcomes"),
    ("dispositions", "_dispositions"),
    ("per-credential reports", "credential_reports"),
    ("unused credentials", "_unused"),
    ("fingerprint", "fingerprint"),
)


@contextlib.contextmanager
def _timed(spent: dict[str, int]) -> Iterator[None]:
    """Wrap each phase function so its time is added to `spent` (ns); restore on exit."""
    restore: list[Callable[[], None]] = []

    def wrap(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        setattr(owner, name, _timed_call(original, label, spent))
        restore.append(lambda: setattr(owner, name, original))

    for label, attribute in PHASES:
        if attribute == "match":  # looked up by name in a table at each evaluation
            original = evaluation.MATCHERS
            evaluation.MATCHERS = {k: _timed_call(v, label, spent) for k, v in original.items()}
            restore.append(lambda o=original: setattr(evaluation, "MATCHERS", o))
        elif "." in attribute:
            owner_name, name = attribute.split(".")
            wrap(getattr(evaluation, owner_name), name, label)
        else:
            wrap(evaluation, attribute, label)
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()


def _timed_call(fn: Callable[..., Any], label: str, spent: dict[str, int]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0) + time.perf_counter_ns() - start

    return timed


def breakdown(
    cell: Cell = TARGET_CELL, evaluations: int = 30, detail: str = "full"
) -> dict[str, Any]:
    """Median time per evaluation and each phase's mean share, at one cell."""
    rules, n = cell
    policy = load_policy(policy_document(rules, seed=0))
    wallets = [wallet(n, seed=s) for s in range(3)]
    for w in wallets:
        evaluation.evaluate(policy, w, AS_OF, detail=detail)
    totals: list[int] = []
    spent: dict[str, int] = {}
    with _timed(spent):
        for k in range(evaluations):
            start = time.perf_counter_ns()
            evaluation.evaluate(policy, wallets[k % 3], AS_OF, detail=detail)
            totals.append(time.perf_counter_ns() - start)
    whole = sum(totals)
    phases = [
        {
            "phase": label,
            "ms_per_evaluation": round(spent.get(label, 0) / evaluations / 1e6, 2),
            "share": round(spent.get(label, 0) / whole, 3),
        }
        for label, _ in PHASES
    ]
    other = whole - sum(spent.values())
    phases.append(
        {
            "phase": "other",
            "ms_per_evaluation": round(other / evaluations / 1e6, 2),
            "share": round(other / whole, 3),
        }
    )
    return {
        "cell": f"{rules}x{n}",
        "detail": detail,
        "evaluations": evaluations,
        "median_ms": round(statistics.median(totals) / 1e6, 2),
        "phases": phases,
    }


def format_breakdown(b: dict[str, Any]) -> str:
    lines = [
        f"Where the time goes: evaluate(detail={b['detail']!r}) at {b['cell'].replace('x', '×')}"
        f", {b['evaluations']} evaluations, median {b['median_ms']} ms (phases timed directly, "
        "no tracing profiler):"
    ]
    for p in b["phases"]:
        lines.append(f"  {p['share']:6.1%} {p['ms_per_evaluation']:8.2f} ms  {p['phase']}")
    return "\n".join(lines)
