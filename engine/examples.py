"""A policy's attached examples: how an evaluation result differs from what an example expects.

Shared by `credstack policy test` and the policy page, which runs the examples live.
"""

from __future__ import annotations

from typing import Any


def compare(expect: tuple, result: dict[str, Any]) -> list[str]:
    """Differences between an example's expectations and an evaluation result."""
    by_rule = {o["rule"]: o for o in result["outcomes"]}
    out = []
    for rule, status, level in expect:
        got = by_rule.get(rule)
        if got is None:
            out.append(f"{rule}: no such outcome")
            continue
        if got["status"] != status:
            out.append(f"{rule}: expected {status}, got {got['status']}")
        got_level = (got.get("outcome") or {}).get("level")
        if level is not None and got_level != level:
            out.append(f"{rule}: expected level {level}, got {got_level}")
    return out
