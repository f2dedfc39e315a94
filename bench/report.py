"""Render a benchmark result (the JSON-ready dict from `bench.run.run`) as text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bench.phases import format_breakdown
from bench.plan import ISSUE_CELLS, LABELS, RATIOS, SERIES


def _ms(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "—"
    return f"{_num(stats['median_ms'])} / {_num(stats['p95_ms'])}"


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _ratio_text(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = [header] + list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    out = []
    for k, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  " + "  ".join(cells).rstrip())
        if k == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def format_report(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"credstack bench ({result['mode']}), {result['started']}, {result.get('seconds', '?')} s",
        f"Machine: {m['cpu_model']}, {m['cpu_count']} CPUs ({m['cpu_usable']} usable, "
        f"{m['cpu_physical']} physical), {m['memory_gib']} GiB; load average "
        f"{', '.join(str(x) for x in m['load_average'])} at start",
        f"Python {m['python']} ({m['implementation']}) on {m['platform']}; durable-rules "
        f"{m['durable_rules']}, zen-engine {m['zen_engine']}; revision {m['revision']}",
        "",
        "Synthetic inputs (seed 0; application date " + result["as_of"] + "):",
    ]
    cells = result["cells"]
    lines += _table(
        [
            "cell",
            "targets",
            "blocks",
            "engine rules",
            "fact copies",
            "fields",
            "conditions met/not/unk",
            "blocks met/not/unk",
        ],
        (
            [
                f"{c['rules']}×{c['credentials']}",
                str(c["targets"]),
                str(c["blocks"]),
                str(c["engine_rules"]),
                str(c["fact_copies_per_credential"]),
                str(c["fact_fields"]),
                "/".join(f"{c['conditions'][k]:.0%}" for k in ("met", "not_met", "unknown")),
                "/".join(f"{c['block_statuses'][k]:.0%}" for k in ("met", "not_met", "unknown")),
            ]
            for c in cells.values()
        ),
    )
    lines += _issue_table(cells)
    lines += ["", "Milliseconds per evaluation of one learner, median / p95 (repetitions):"]
    for key in SERIES:
        lines.append(f"  {key:<10} {LABELS[key]}")
    lines += [
        "  (a), (d), (e) compute the same per block × credential statuses from the same effective",
        "  credentials; zen is one compiled zen expression per policy, evaluated per credential,",
        "  with within-years bounds fixed for the application date (zen_table: a decision table).",
    ]
    shown = [s for s in SERIES if any(s in c["series"] for c in cells.values())]
    lines += _table(
        ["cell", "n"] + shown,
        (
            [f"{c['rules']}×{c['credentials']}", str(c["series"]["evaluate"]["n"])]
            + [_ms(c["series"].get(s)) for s in shown]
            for c in cells.values()
        ),
    )
    lines += ["", "Ratios of medians:"]
    ratio_keys = [f"{a}/{b}" for a, b in RATIOS] + ["evaluate/zen_met", "contained/evaluate"]
    lines += _table(
        ["cell"] + ratio_keys,
        (
            [f"{c['rules']}×{c['credentials']}"] + [_ratio_text(c["ratios"][k]) for k in ratio_keys]
            for c in cells.values()
        ),
    )
    problems = [
        f"{key}: {name}"
        for key, c in cells.items()
        for name, ok in c["agreement"].items()
        if not ok
    ]
    checks = sorted({name for c in cells.values() for name in c["agreement"]})
    lines.append("")
    if problems:
        lines.append("AGREEMENT FAILURES (the comparison is not valid): " + "; ".join(problems))
    else:
        lines.append("Agreement, every cell and wallet: " + ", ".join(checks) + ": all true.")
    t = result.get("throughput")
    if t:
        par = t["contained_parallel"]
        lines += [
            "",
            f"Throughput at {t['cell'].replace('x', '×')} (sustained, evaluations per second):",
            f"  (b) in process: {t['evaluate']['per_second']:.1f}/s "
            f"({t['evaluate']['evaluations']} in {t['evaluate']['seconds']} s)",
            f"  (c) contained, one worker: {t['contained']['per_second']:.1f}/s "
            f"({t['contained']['evaluations']} in {t['contained']['seconds']} s)",
            f"  (c) contained, {par['workers']} workers and {par['workers']} caller threads: "
            f"{par['per_second']:.1f}/s ({par['evaluations']} in {par['seconds']} s)",
        ]
    lines += _facts_lines(result.get("facts"))
    c = result["compile"]
    lines += [
        "",
        f"Validate + compile + register a {c['rules']}-rule policy (median of {c['seeds']} "
        f"seeds): {c['total_ms']:.1f} ms = load_policy {c['validate_ms']:.1f} + compile_policy "
        f"{c['compile_ms']:.1f} + durable registration {c['register_ms']:.1f}",
        f"  each: {', '.join(f'{x:.0f}' for x in c['total_ms_each'])} ms; blocks "
        f"{', '.join(map(str, c['blocks']))}; engine rules "
        f"{', '.join(map(str, c['engine_rules']))}",
    ]
    f = result.get("facts_compile")
    if f:
        lines.append(
            f"The same for {f['rules']} rules on declared elements with a {f['table_rows']:,}-row "
            f"table: {f['total_ms']:.1f} ms = load_policy {f['validate_ms']:.1f} + compile_policy "
            f"{f['compile_ms']:.1f} + durable registration {f['register_ms']:.1f}"
        )
    r = result["rss"]
    lines += [
        "",
        f"RSS over {r['evaluations']:,} match_durable evaluations at {r['cell'].replace('x', '×')}"
        f" ({r['seconds']} s): {r['rss_before_mib']} → {r['rss_after_mib']} MiB, "
        f"{r['growth_kib']:+.0f} KiB = {r['growth_mib_per_100k']:+.3f} MiB per 100k",
        "",
        "Targets:",
    ]
    for target in result["targets"]:
        if target["status"] == "n/a":
            lines.append(f"  n/a   {target['name']}: not measured in this run")
            continue
        unit = target["unit"]
        if unit == "share":
            value = f"{target['measured']:+.0%}"
        else:
            value = f"{target['measured']:.2f}" + (unit if unit == "×" else f" {unit}")
        of = target["of_limit"]
        margin = f"{1 - of:.0%} headroom" if target["status"] == "PASS" else f"{of:.2f}× the limit"
        lines.append(f"  {target['status']:<5} {target['name']}: {value} ({margin})")
    if "profile" in result:
        lines += ["", format_profile(result["profile"])]
    return "\n".join(lines)


def _issue_table(cells: dict[str, Any]) -> list[str]:
    """The scale issue's table: ms per evaluation (median) and the ratio to the hand loop."""
    rows = []
    for rules, n in ISSUE_CELLS:
        c = cells.get(f"{rules}x{n}")
        if c is None:
            continue
        med = {k: v["median_ms"] for k, v in c["series"].items()}
        rows.append(
            [f"{rules:,} × {n}"]
            + [_num(med[k]) if k in med else "—" for k in ("evaluate", "compact", "durable")]
            + [_num(med["loop"]), _num(med["zen"]) if "zen" in med else "—"]
            + [_ratio_text(c["ratios"].get("evaluate/loop"))]
            + [_ratio_text(c["ratios"].get("compact/loop"))]
        )
    if not rows:
        return []
    header = ["rules × credentials", "evaluate", "compact", "durable matching only"]
    header += ["hand loop", "zen-engine", "evaluate / loop", "compact / loop"]
    return [
        "",
        "The scale table (ms per evaluation, median; the loop and zen compute the same tri-state "
        "statuses without explanations):",
        *_table(header, rows),
    ]


def _facts_lines(f: dict[str, Any] | None) -> list[str]:
    if not f:
        return []
    series = f["series"]
    shares = "/".join(f"{f['aspect_statuses'][k]:.0%}" for k in ("met", "not_met", "unknown"))
    agreed = "agrees" if f["agreement"]["loop_equals_evaluate"] else "DISAGREES (not valid)"
    rows = [
        [name, label, _ms(series[name]), _ratio_text(f["ratios"].get(f"{name}/loop"))]
        for name, label in (
            ("evaluate", "evaluate, in process"),
            ("durable", "match_durable on prepared views"),
            ("views", "preparing the views (declared values, table lookups)"),
            ("loop", "hand-written loop (dict lookup + tests)"),
        )
    ]
    return [
        "",
        f"Declared elements and a {f['table_rows']:,}-row reference table at "
        f"{f['cell'].replace('x', '×')} (aspects met/not/unknown {shares}; the loop {agreed} with "
        f"evaluate on every rule, credential and aspect; load_policy {f['load_policy_ms']} ms):",
        *_table(["series", "what", "median / p95 ms", "÷ loop"], rows),
    ]


def format_profile(p: dict[str, Any]) -> str:
    """The phase breakdowns `bench.costs.profile` returns (full and compact)."""
    return "\n\n".join(format_breakdown(b) for b in p["breakdowns"])
