"""Plain-text rendering of an evaluation result, for the terminal."""

from __future__ import annotations

from typing import Any

_MARK = {"met": "MET", "not_met": "NOT MET", "unknown": "UNKNOWN", "not_applicable": "N/A"}


def render(result: dict[str, Any], learner: str = "") -> str:
    p = result["policy"]
    lines = [
        f"Policy {p['id']} v{p['version']} ({p['purpose']}, {p['organisation']})"
        + (f" — learner {learner}" if learner else ""),
        f"  as of {result['as_of']}   fingerprint {result['fingerprint'][:23]}…",
    ]
    for warning in result["warnings"]:
        lines.append(f"  ! {warning}")
    for o in result["outcomes"]:
        lines.append("")
        lines.append(f"  [{_MARK[o['status']]}] {o['rule']} — {o['title']}{_level(o)}")
        if o.get("slots"):
            for slot, creds in sorted(o["slots"].items()):
                if creds:
                    lines.append(f"      slot {slot}: {', '.join(creds)}")
        elif o["credentials"]:
            lines.append(f"      credentials: {', '.join(o['credentials'])}")
        for c in o["conditions"]:
            actual = "unknown" if c["actual"] is None else c["actual"]
            lines.append(f"      {_tick(c['status'])} {c['credential']}: {c['text']} (is {actual})")
        for m in o["missing"]:
            lines.append(f"      missing: {m}")
        for r in o["evidence_requests"]:
            lines.append(f"      evidence: {r['request']}")
        for reason in o["reasons"]:
            lines.append(f"      · {reason}")
    if result["exclusions"]:
        lines.append("")
        for x in result["exclusions"]:
            state = "excluded" if x["status"] == "met" else "possibly excluded"
            lines.append(f"  {state}: {x['credential']} — {x['reason']}")
    if result["unused"]:
        lines.append("")
        for u in result["unused"]:
            where = ", ".join(u["could_count_towards"]) or "nowhere in this policy"
            lines.append(f"  unused: {u['credential']} (could count towards: {where})")
    return "\n".join(lines)


def _level(o: dict[str, Any]) -> str:
    outcome = o.get("outcome") or {}
    if o["kind"] == "recognition" and outcome.get("level"):
        extra = f", pending {outcome['pending_level']}" if outcome.get("pending_level") else ""
        return f"  → {outcome['level']}{extra}"
    if o["kind"] == "stacking" and o["status"] == "met":
        return "  → eligible to be considered"
    return ""


def _tick(status: str) -> str:
    return {"met": "✓", "not_met": "✗", "unknown": "?"}.get(status, "-")
