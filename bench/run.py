"""The benchmark behind `credstack bench [--quick] [--json]`.

`run(quick)` measures, on seeded synthetic policies (`bench.synthetic`) and for each
(recognition rules × credentials) cell:

  (a) `match_durable`: engine matching only (per block × credential tri-state statuses);
  (b) `evaluate(...)`: the full explained evaluation, in process;
  (c) the same through `ContainedEvaluator` (worker process, IPC included);
  (d) a hand-written Python loop doing the same matching (`bench.baselines.LoopMatcher`);
  (e) zen-engine doing the same matching (`bench.baselines.ZenMatcher`, tri-state; a "met"-only
      variant and a decision-table variant are reported alongside).

Then the language-2 case (`bench.facts_case`): rules on declared elements and a lookup in a
10,000-row reference table, beside a hand-written loop doing the same.

Approaches are timed round-robin (one evaluation of each per repetition, rotating over a few
wallets), after warm-up, with `time.perf_counter_ns`; medians and 95th percentiles are reported.
Before timing, each cell checks that the loop agrees with `match_reference`, and the engine and zen
with the loop. It also measures throughput, validation + compilation + registration of a 1,000-rule
policy, RSS growth over many evaluations, and prints the issue's targets as PASS/MISS.

`format_report(result)` renders the returned dict (which is JSON-ready) as text. `profile(...)`
runs cProfile over the full evaluation of one cell and says where the time goes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench import facts_case
from bench.baselines import LoopMatcher, ZenMatcher, met_pairs
from bench.costs import _compile_times, _rss, _throughput, profile
from bench.plan import (
    COMPILE_MS,
    CONTAINED_OVERHEAD,
    EXPLAINED_VS_LOOP,
    EXPLAINED_VS_ZEN,
    LONG_RECORD_CELL,
    PER_CREDENTIAL_GROWTH,
    RATIOS,
    RSS_MIB_PER_100K,
    SERIES,
    Plan,
    plan_for,
)
from bench.report import format_report
from bench.synthetic import AS_OF, DEFAULT_TARGETS, policy_document, wallet
from bench.timing import Cell, _machine, _share, _stats, _time_once
from engine.compile import _atoms
from engine.evaluate import compiled_for, evaluate
from engine.matching import match_durable, match_reference
from engine.semantics import Context, evaluate_atom
from engine.service import ContainedEvaluator
from engine.views import plain_views
from rules.loader import load_policy

# --- measuring ---------------------------------------------------------------------------------


class _Cell:
    """One (rules × credentials) cell: its policy, wallets and the matchers built once."""

    def __init__(self, cell: Cell, plan: Plan):
        self.rules, self.credentials = cell
        self.document = policy_document(self.rules, seed=0)
        self.policy = load_policy(self.document)
        self.compiled = compiled_for(self.policy)  # the one `evaluate` uses
        self.wallets = [wallet(self.credentials, seed=s) for s in range(plan.wallets)]
        # What the matchers receive, as `evaluate` prepares it: effective values, in id order.
        self.creds = [
            plain_views(self.policy, sorted(w.credentials, key=lambda c: c.id), AS_OF)
            for w in self.wallets
        ]
        self.loop = LoopMatcher(self.compiled)
        self.zen = ZenMatcher(self.compiled, AS_OF)
        self.zen_met = ZenMatcher(self.compiled, AS_OF, tristate=False)
        self.zen_table = (
            ZenMatcher(self.compiled, AS_OF, form="table") if cell in plan.zen_table_cells else None
        )

    def describe(self) -> dict[str, Any]:
        c = self.compiled
        ctx = Context(AS_OF)
        atoms, blocks = Counter(), Counter()
        for creds in self.creds:
            for b in c.blocks:
                for a in _atoms(b.group):
                    for cred in creds:
                        atoms[evaluate_atom(a, cred, ctx)] += 1
            for row in match_reference(c, creds, AS_OF).values():
                blocks.update(row)
        return {
            "rules": self.rules,
            "credentials": self.credentials,
            "targets": len(self.policy.targets),
            "blocks": len(c.blocks),
            "engine_rules": len(c.ruleset),
            "fact_copies_per_credential": c.groups,
            "fact_fields": len(c.fields) + len(c.derived),
            "conditions": _share(atoms),
            "block_statuses": _share(blocks),
        }

    def agreement(self) -> dict[str, bool]:
        checks: dict[str, bool] = {}

        def note(name: str, ok: bool) -> None:
            checks[name] = checks.get(name, True) and ok

        for creds in self.creds:
            loop = self.loop(creds, AS_OF)
            note("loop_equals_reference", loop == match_reference(self.compiled, creds, AS_OF))
            note("durable_equals_loop", match_durable(self.compiled, creds, AS_OF) == loop)
            note("zen_equals_loop", self.zen(creds, AS_OF) == loop)
            met = met_pairs(self.zen_met(creds, AS_OF))
            note("zen_met_pairs_equal_loop", met == met_pairs(loop))
            if self.zen_table is not None:
                note("zen_table_equals_loop", self.zen_table(creds, AS_OF) == loop)
        return checks


def _ratio(series: dict[str, Any], a: str, b: str) -> float | None:
    if a not in series or b not in series:
        return None
    return round(series[a]["median_ms"] / series[b]["median_ms"], 3)


def _measure_cell(
    cell: Cell, plan: Plan, evaluator: ContainedEvaluator | None, log: Callable[[str], None]
) -> dict[str, Any]:
    c = _Cell(cell, plan)
    out = c.describe()
    out["agreement"] = c.agreement()
    w = len(c.wallets)
    fns: dict[str, Callable[[int], Any]] = {
        "durable": lambda k: match_durable(c.compiled, c.creds[k], AS_OF),
        "evaluate": lambda k: evaluate(c.policy, c.wallets[k], AS_OF),
        "compact": lambda k: evaluate(c.policy, c.wallets[k], AS_OF, detail="compact"),
        "loop": lambda k: c.loop(c.creds[k], AS_OF),
        "zen": lambda k: c.zen(c.creds[k], AS_OF),
        "zen_met": lambda k: c.zen_met(c.creds[k], AS_OF),
    }
    if c.zen_table is not None:
        table = c.zen_table
        fns["zen_table"] = lambda k: table(c.creds[k], AS_OF)
    if evaluator is not None:
        fns["contained"] = lambda k: evaluator.evaluate(c.policy, c.wallets[k], AS_OF)
        # The worker's answer is the in-process answer (it runs the same code on copied data).
        out["agreement"]["contained_equals_in_process"] = fns["contained"](0) == fns["evaluate"](0)
    for r in range(plan.warmup):
        for fn in fns.values():
            fn(r % w)
    # One timed round estimates how many repetitions fit the cell's time budget.
    round_ns = sum(_time_once(lambda f=fn: f(0)) for fn in fns.values())
    reps = plan.cell_budget_s * 1e9 / max(round_ns, 1)
    reps = max(plan.min_repetitions, min(plan.max_repetitions, math.ceil(reps)))
    samples: dict[str, list[int]] = {name: [] for name in fns}
    for r in range(reps):
        for name, fn in fns.items():
            samples[name].append(_time_once(lambda f=fn, k=r % w: f(k)))
    series = {name: _stats(samples[name]) for name in SERIES if name in samples}
    out["series"] = series
    out["ratios"] = {f"{a}/{b}": _ratio(series, a, b) for a, b in RATIOS}
    out["ratios"]["evaluate/zen_met"] = _ratio(series, "evaluate", "zen_met")
    out["ratios"]["contained/evaluate"] = _ratio(series, "contained", "evaluate")
    log(
        f"  {cell[0]}×{cell[1]}: evaluate {series['evaluate']['median_ms']:.2f} ms, "
        f"compact {series['compact']['median_ms']:.2f} ms, "
        f"loop {series['loop']['median_ms']:.2f} ms ({reps} repetitions)"
    )
    return out


def _target(name: str, measured: float | None, limit: float, unit: str, strict: bool = False):
    if measured is None:
        return {"name": name, "limit": limit, "unit": unit, "measured": None, "status": "n/a"}
    ok = measured < limit if strict else measured <= limit
    return {
        "name": name,
        "limit": limit,
        "unit": unit,
        "measured": measured,
        "status": "PASS" if ok else "MISS",
        "of_limit": round(measured / limit, 3) if limit else None,
    }


def _per_credential_growth(cells: dict[str, Any], series: str) -> float | None:
    """Cost per credential at 10 rules × 200 credentials ÷ at 10 × 5 (flat: 1)."""
    small, large = cells.get("10x5"), cells.get("10x200")
    if not small or not large:
        return None
    per_small = small["series"][series]["median_ms"] / 5
    return round(large["series"][series]["median_ms"] / 200 / per_small, 3)


def _scale_targets(result: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    """The scale issue's targets, for the full and the compact result."""
    cells, out = result["cells"], []
    for series, what in (("evaluate", "full"), ("compact", "compact")):
        for cell in (plan.target_cell, LONG_RECORD_CELL):
            ratios = cells.get(f"{cell[0]}x{cell[1]}", {}).get("ratios", {})
            out.append(
                _target(
                    f"{what} explained evaluation ≤ {EXPLAINED_VS_LOOP:g}× the hand-written "
                    f"loop at {cell[0]} rules × {cell[1]} credentials",
                    ratios.get(f"{series}/loop"),
                    EXPLAINED_VS_LOOP,
                    "×",
                )
            )
        out.append(
            _target(
                f"{what} evaluation: cost per credential at 200 credentials ≤ "
                f"{PER_CREDENTIAL_GROWTH:g}× that at 5 (10 rules)",
                _per_credential_growth(cells, series),
                PER_CREDENTIAL_GROWTH,
                "×",
            )
        )
    overheads = [
        cell["ratios"]["contained/evaluate"]
        for cell in cells.values()
        if cell["ratios"].get("contained/evaluate") is not None
    ]
    out.append(
        _target(
            f"the contained worker adds ≤ {CONTAINED_OVERHEAD:.0%} over in-process (worst cell)",
            round(max(overheads) - 1, 3) if overheads else None,
            CONTAINED_OVERHEAD,
            "share",
        )
    )
    return out


def _targets(result: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    key = f"{plan.target_cell[0]}x{plan.target_cell[1]}"
    cell = result["cells"].get(key)
    ratios = cell["ratios"] if cell else {}
    where = f"at {plan.target_cell[0]} rules × {plan.target_cell[1]} credentials"
    compile_ms = result["compile"]["total_ms"] if result["compile"]["rules"] >= 1000 else None
    facts = result["facts_compile"]
    return [
        *_scale_targets(result, plan),
        _target(
            f"full explained evaluation ≤ {EXPLAINED_VS_ZEN:g}× zen-engine bare matching {where}",
            ratios.get("evaluate/zen"),
            EXPLAINED_VS_ZEN,
            "×",
        ),
        _target(
            f"1,000-rule policy validated + compiled + registered ≤ {COMPILE_MS:g} ms",
            compile_ms,
            COMPILE_MS,
            "ms",
        ),
        _target(
            f"{facts['rules']:,}-rule policy with declared elements and a "
            f"{facts['table_rows']:,}-row table validated + compiled + registered "
            f"≤ {COMPILE_MS:g} ms",
            facts["total_ms"] if facts["rules"] >= 1000 else None,
            COMPILE_MS,
            "ms",
        ),
        _target(
            f"RSS growth < {RSS_MIB_PER_100K:g} MiB per 100k evaluations",
            result["rss"]["growth_mib_per_100k"],
            RSS_MIB_PER_100K,
            "MiB",
            strict=True,
        ),
    ]


def run(
    quick: bool = False,
    sizes: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns a JSON-ready dict. `sizes` overrides fields of the `Plan`
    (cells, repetitions, seeds, RSS evaluations, ...); `progress` receives one line per step."""
    plan = plan_for(quick, sizes)
    log = progress or (lambda line: None)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "plan": dataclasses.asdict(plan),
        "as_of": AS_OF.isoformat(),
        "policy_targets_by_size": {str(k): v for k, v in DEFAULT_TARGETS.items()},
        "cells": {},
    }
    contained = [c for c in plan.cells if c in plan.contained_cells]
    needs_worker = bool(contained) or plan.throughput_s > 0
    evaluator = ContainedEvaluator(size=1) if needs_worker else None
    try:
        log("cells:")
        for cell in plan.cells:
            use = evaluator if cell in plan.contained_cells else None
            result["cells"][f"{cell[0]}x{cell[1]}"] = _measure_cell(cell, plan, use, log)
        if plan.throughput_s > 0 and evaluator is not None:
            log("throughput ...")
            result["throughput"] = _throughput(plan, evaluator)
    finally:
        if evaluator is not None:
            evaluator.close()
    log(f"declared elements and a {plan.facts_rows:,}-row table ...")
    reps = (plan.min_repetitions, plan.max_repetitions)
    result["facts"] = facts_case.measure(plan.facts_cell, plan.facts_rows, plan.cell_budget_s, reps)
    log("compile and register ...")
    result["compile"] = _compile_times(plan)
    result["facts_compile"] = facts_case.compile_times(
        plan.facts_compile_rules, plan.facts_rows, plan.compile_seeds
    )
    log(f"RSS over {plan.rss_evaluations} evaluations ...")
    result["rss"] = _rss(plan)
    result["targets"] = _targets(result, plan)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


# --- profiling ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.run [--quick] [--json] [--profile]` (the CLI's `credstack bench`)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a subset; under a minute")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="also profile evaluate() at 200 × 50"
    )
    args = parser.parse_args(argv)
    progress = None if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    result = run(quick=args.quick, progress=progress)
    if args.profile:
        result["profile"] = profile()
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
