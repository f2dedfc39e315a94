"""The population benchmark behind `credstack bench --population [--learners N]`.

N synthetic learners × 20 credentials (`bench.synthetic.wallet(20, seed=i)`) against the 50-rule
synthetic policy (`policy_document(50, seed=0)`), generated as they are consumed (never held),
are streamed through the batch runner on every core to a temporary .jsonl file: explained
results in the batch's default (compact) detail, written in input order. In the same run, the
hand-written loop (`bench.baselines.LoopMatcher`, matching only, one core) goes over the same
population. Both times include making the learners' wallets.

Reported: learners, seconds, learners/s, the peak RSS growth of this process while the batch ran
(flat memory: it does not grow with N) and the workers' peak RSS, the loop's seconds and
learners/s, the ratio of the two, and the target "100,000 learners ≤ 60 s on 2 cores" as PASS
or MISS (projected linearly from N when N is not 100,000).

The batch runner lives in `models` (which the benchmark does not import); the command line passes
it in as `run_batch(policy, wallets, out) -> {"learners", "errors", ...}`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil

from bench.baselines import LoopMatcher
from bench.synthetic import AS_OF, policy_document, wallet
from engine.evaluate import compiled_for
from engine.inputs import Wallet
from engine.views import plain_views
from rules.loader import load_policy
from rules.policy import Policy

TARGET_LEARNERS, TARGET_SECONDS, TARGET_CORES = 100_000, 60.0, 2
CREDENTIALS, RULES = 20, 50
RunBatch = Callable[[Policy, Iterable[Wallet], Path], dict[str, Any]]


def learners(n: int, credentials: int = CREDENTIALS) -> Iterator[Wallet]:
    """The population, one wallet at a time."""
    return (wallet(credentials, seed=i) for i in range(n))


class PeakRss:
    """Samples this process's RSS and its children's (the workers) every `every` seconds."""

    def __init__(self, every: float = 0.05):
        self.every = every
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self.children_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.process.memory_info().rss)
            children = 0
            for child in self.process.children(recursive=True):
                try:
                    children += child.memory_info().rss
                except psutil.Error:  # a worker that has just finished
                    pass
            self.children_peak = max(self.children_peak, children)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def hand_loop(policy: Policy, n: int, credentials: int = CREDENTIALS) -> float:
    """Seconds for the hand-written loop to match the same population (one core)."""
    loop = LoopMatcher(compiled_for(policy))
    started = time.perf_counter()
    for w in learners(n, credentials):
        loop(plain_views(policy, sorted(w.credentials, key=lambda c: c.id), AS_OF), AS_OF)
    return time.perf_counter() - started


def measure_population(
    n: int,
    run_batch: RunBatch,
    progress: Callable[[str], None] | None = None,
    credentials: int = CREDENTIALS,
    rules: int = RULES,
) -> dict[str, Any]:
    """Run the batch and the loop over the same `n` learners; JSON-ready figures."""
    log = progress or (lambda line: None)
    policy = load_policy(policy_document(rules, seed=0))
    with tempfile.TemporaryDirectory(prefix="credstack-population-") as folder:
        out = Path(folder) / "results.jsonl"
        log(f"batch: {n:,} learners × {credentials} credentials, {rules} rules, every core ...")
        with PeakRss() as rss:
            started = time.perf_counter()
            batch = run_batch(policy, learners(n, credentials), out)
            seconds = time.perf_counter() - started
        out_bytes = out.stat().st_size
    log("hand-written loop over the same learners ...")
    loop_seconds = hand_loop(policy, n, credentials)
    projected = seconds * TARGET_LEARNERS / max(n, 1)
    cores = os.cpu_count() or 1
    return {
        "learners": n,
        "credentials": credentials,
        "rules": rules,
        "cores": cores,
        "workers": batch.get("workers"),
        "errors": batch.get("errors", 0),
        "seconds": round(seconds, 2),
        "learners_per_second": round(n / seconds, 1) if seconds else None,
        "output_mib": round(out_bytes / 2**20, 1),
        "peak_rss_growth_mib": round((rss.peak - rss.before) / 2**20, 1),
        "workers_peak_rss_mib": round(rss.children_peak / 2**20, 1),
        "loop_seconds": round(loop_seconds, 2),
        "loop_learners_per_second": round(n / loop_seconds, 1) if loop_seconds else None,
        "batch_over_loop": round(seconds / loop_seconds, 2) if loop_seconds else None,
        "target": {
            "name": f"{TARGET_LEARNERS:,} learners ≤ {TARGET_SECONDS:g} s on {TARGET_CORES} cores",
            "projected_seconds": round(projected, 1),
            "projected": n != TARGET_LEARNERS,
            "status": "PASS" if projected <= TARGET_SECONDS else "MISS",
        },
    }


def format_population(f: dict[str, Any]) -> str:
    target = f["target"]
    how = f"projected from {f['learners']:,}: " if target["projected"] else ""
    note = "" if f["cores"] == TARGET_CORES else f" (this machine has {f['cores']} cores)"
    return "\n".join(
        [
            f"population: {f['learners']:,} learners × {f['credentials']} credentials, "
            f"policy of {f['rules']} rules, {f['workers']} workers on {f['cores']} cores",
            f"  batch (compact explained results to .jsonl, {f['output_mib']:,} MiB): "
            f"{f['seconds']:,} s, {f['learners_per_second']:,} learners/s, "
            f"{f['errors']} errors",
            f"  peak RSS growth of the batch process: {f['peak_rss_growth_mib']} MiB; "
            f"workers' peak RSS: {f['workers_peak_rss_mib']} MiB",
            f"  hand-written loop (matching only, one core): {f['loop_seconds']:,} s, "
            f"{f['loop_learners_per_second']:,} learners/s",
            f"  batch / loop: {f['batch_over_loop']}×",
            f"  {target['status']}  {target['name']} ({how}{target['projected_seconds']:,} s)"
            f"{note}",
        ]
    )
