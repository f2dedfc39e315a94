"""A policy's attached examples: how an evaluation result differs from what an example expects.

Shared by `credstack policy test` and the policy page, which runs the examples live. An example
expects statuses (and Lisbon levels) of rules, targets and criteria, dispositions of request
items, the status of a credential under a rule, and which credentials are set aside.
"""

from __future__ import annotations

from typing import Any

from rules.policy import Example


def compare(example: Example | tuple, result: dict[str, Any]) -> list[str]:
    """Differences between an example's expectations and an evaluation result."""
    expect = example.expect if isinstance(example, Example) else example
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
    more = example.expectations if isinstance(example, Example) else None
    if more is None:
        return out
    answers = {d["item"]: d for d in result.get("dispositions", [])}
    for item, disposition in more.dispositions:
        got = answers.get(item)
        if got is None:
            out.append(f"request item {item}: no answer (is the item in the example's request?)")
        elif got["disposition"] != disposition:
            out.append(f"request item {item}: expected {disposition}, got {got['disposition']}")
    reports = {c["credential"]: c for c in result.get("credentials", [])}
    for cred, rule, status in more.credentials:
        row = next(
            (r for r in reports.get(cred, {}).get("considered", []) if r["rule"] == rule), None
        )
        got_status = (
            row["status"]
            if row
            else ("set aside" if "set_aside" in reports.get(cred, {}) else "absent")
        )
        if got_status != status:
            out.append(f"credential {cred} under {rule}: expected {status}, got {got_status}")
    aside = sorted(c for c, r in reports.items() if "set_aside" in r)
    if more.set_aside and sorted(more.set_aside) != aside:
        out.append(f"set aside: expected {sorted(more.set_aside)}, got {aside}")
    return out
