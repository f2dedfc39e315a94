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
    for d in result.get("dispositions", []):
        lines += _disposition(d)
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
            how = f"; {c['provenance']}" if c.get("provenance") else ""
            lines.append(
                f"      {_tick(c['status'])} {c['credential']}: {c['text']} (is {actual}{how})"
            )
        for a in o.get("assessments", []) if o["kind"] == "criterion" else ():
            for why in a.get("why_not", []):
                lines.append(f"      ✗ {a['credential']}: {why}")
        for m in o["missing"]:
            lines.append(f"      missing: {m}")
        for r in o["evidence_requests"]:
            lines.append(f"      evidence: {r['request']}")
        for reason in o["reasons"]:
            lines.append(f"      · {reason}")
        for w in o.get("warnings", []):
            lines.append(f"      ! {w}")
    if result["exclusions"]:
        lines.append("")
        for x in result["exclusions"]:
            state = "set aside" if x["status"] == "met" else "possibly set aside"
            lines.append(f"  {state}: {x['credential']} — {x['reason']}")
    if result.get("credentials"):
        lines += ["", "  Every credential:"]
        for c in result["credentials"]:
            lines += _credential(c)
    if result["unused"]:
        lines.append("")
        for u in result["unused"]:
            where = ", ".join(u["could_count_towards"]) or "nowhere in this policy"
            lines.append(f"  unused: {u['credential']} (could count towards: {where})")
    return "\n".join(lines)


def _disposition(d: dict[str, Any]) -> list[str]:
    about = f" for {d['for']}" if d.get("for") else ""
    about += f" (credential {d['credential']})" if d.get("credential") else ""
    lines = ["", f"  REQUEST {d['item']}: {d['title']}{about}", f"    → {d['label'].upper()}"]
    if d.get("possible"):
        lines.append("      could become: " + ", ".join(d["possible"]))
    lines += [f"      · {r}" for r in d["reasons"]]
    lines += [f"      evidence: {r['request']}" for r in d["evidence_requests"]]
    lines += [f"      option: {o}" for o in d["options"]]
    for alt in d.get("alternatives", []):
        lines.append(f"      instead, {alt['title']}: {alt['label']}")
    return lines


def _credential(c: dict[str, Any]) -> list[str]:
    title = f" ({c['title']})" if c.get("title") else ""
    if c.get("set_aside"):
        return [f"    {c['credential']}{title}: set aside — " + "; ".join(c["set_aside"])]
    counted = ", ".join(c.get("counted_in", [])) or "nothing"
    lines = [f"    {c['credential']}{title}: counted in {counted}"]
    for row in c.get("considered", []):
        if row["status"] in ("counted", "not_requested"):
            continue
        why = f": {row['why']}" if row.get("why") else ""
        lines.append(f"      {row['rule']} — {row['status'].replace('_', ' ')}{why}")
    return lines


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
