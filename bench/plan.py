"""What the benchmark measures: the cells, the series and their labels, the targets, and the
quick and full plans. Data only: the runner (`bench.run`), the costs (`bench.costs`) and the
report (`bench.report`) all read it, and it imports none of them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bench.timing import TARGET_CELL, Cell

RULE_SIZES = (10, 50, 200, 1000)
CREDENTIAL_SIZES = (5, 20, 50)
# The cells of the scale issue's table (long records: 200 credentials), measured in every plan
# beside the grid above.
ISSUE_CELLS = ((10, 5), (10, 200), (50, 20), (50, 200), (200, 50), (1000, 50))
LONG_RECORD_CELL = (10, 200)  # a second target cell: cost must not grow with the record

# The issue's targets.
EXPLAINED_VS_LOOP = 2.0  # full explained evaluation / hand-written loop, at 200 × 50
EXPLAINED_VS_ZEN = 1.0  # full explained evaluation / zen-engine bare matching, at 200 × 50
COMPILE_MS = 200.0  # validate + compile + register a 1,000-rule policy (also with a table)
RSS_MIB_PER_100K = 1.0  # RSS growth per 100,000 evaluations
PER_CREDENTIAL_GROWTH = 1.5  # cost per credential at 200 credentials ÷ at 5 (10 rules)
CONTAINED_OVERHEAD = 0.10  # the contained worker over in-process evaluation

SERIES = ("durable", "evaluate", "compact", "contained", "loop", "zen", "zen_met", "zen_table")
LABELS = {
    "durable": "(a) match_durable",
    "evaluate": "(b) evaluate, in process",
    "compact": "(b') evaluate, compact detail",
    "contained": "(c) evaluate, contained worker",
    "loop": "(d) hand-written loop",
    "zen": "(e) zen-engine, tri-state",
    "zen_met": "zen-engine, met only",
    "zen_table": "zen-engine decision table, tri-state",
}
RATIOS = (
    ("evaluate", "loop"),
    ("compact", "loop"),
    ("evaluate", "zen"),
    ("durable", "loop"),
    ("durable", "zen"),
)

# Fresh policy seeds for the compile measurement: a ruleset name (from the policy digest) can be
# registered only once per process, so every measurement needs a never-seen policy.


@dataclasses.dataclass(frozen=True)
class Plan:
    cells: tuple[Cell, ...]
    contained_cells: tuple[Cell, ...]  # where (c) is measured
    zen_table_cells: tuple[Cell, ...]  # where the decision-table variant of zen is measured
    wallets: int  # distinct wallets per cell, used in rotation
    warmup: int  # untimed evaluations of each approach before timing
    min_repetitions: int
    max_repetitions: int
    cell_budget_s: float  # the repetition count aims at about this much time per cell
    throughput_cell: Cell
    throughput_s: float  # per measured series
    compile_rules: int
    compile_seeds: int
    rss_cell: Cell
    rss_evaluations: int
    target_cell: Cell = TARGET_CELL
    # The language-2 case (`bench.facts_case`): declared elements and a reference table.
    facts_cell: Cell = TARGET_CELL
    facts_rows: int = 10_000
    facts_compile_rules: int = 1000


QUICK = Plan(
    cells=((10, 5), (10, 200), (50, 20), (200, 50)),
    contained_cells=((50, 20), (200, 50)),
    zen_table_cells=((200, 50),),
    wallets=3,
    warmup=2,
    min_repetitions=5,
    max_repetitions=15,
    cell_budget_s=8.0,
    throughput_cell=(200, 50),
    throughput_s=2.0,
    compile_rules=1000,
    compile_seeds=3,
    rss_cell=(10, 5),
    rss_evaluations=5_000,
)
FULL = Plan(
    cells=tuple(sorted({(r, c) for r in RULE_SIZES for c in CREDENTIAL_SIZES} | set(ISSUE_CELLS))),
    contained_cells=tuple((r, c) for r in RULE_SIZES for c in CREDENTIAL_SIZES),
    zen_table_cells=((200, 50), (1000, 50)),
    wallets=3,
    warmup=3,
    min_repetitions=7,
    max_repetitions=61,
    cell_budget_s=25.0,
    throughput_cell=(200, 50),
    throughput_s=6.0,
    compile_rules=1000,
    compile_seeds=7,
    rss_cell=(10, 5),
    rss_evaluations=100_000,
)


def plan_for(quick: bool, sizes: dict[str, Any] | None = None) -> Plan:
    """The quick or full plan, with any fields overridden by `sizes` (e.g. a tiny test run)."""
    plan = QUICK if quick else FULL
    if not sizes:
        return plan
    fixed: dict[str, Any] = {}
    for key, value in sizes.items():
        if key.endswith("cells"):
            value = tuple(tuple(c) for c in value)
        elif key.endswith("cell"):
            value = tuple(value)
        fixed[key] = value
    return dataclasses.replace(plan, **fixed)
