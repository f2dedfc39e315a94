"""What a policy change does to one learner: two results of the same wallet (under the version in
force and under a draft) compared, outcome by outcome.

A change has a `kind`, always one of `KINDS`:

- a status that moved (`met_to_not_met`, `unknown_to_met`, …; `added` / `removed` for a rule or
  target only one of the two versions has);
- `disposition_changed`: the answer to a request item, or the Lisbon level of a recognition rule
  met under both (full → partial);
- `credits_changed`: the credits of the recognition rules met, added up;
- `new_evidence_request` / `dropped_evidence_request`: what the applicant would be asked for.

Only the results' own fields are read, so whichever process computed them, the comparison is the
same; the comparison holds rule ids, titles and credential ids, never the learner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

STATUSES = ("met", "not_met", "unknown", "not_applicable")
TRANSITIONS = (
    "met_to_not_met", "met_to_unknown", "unknown_to_met", "not_met_to_met", "unknown_to_not_met",
    "not_met_to_unknown", "met_to_not_applicable", "not_met_to_not_applicable",
    "unknown_to_not_applicable", "not_applicable_to_met", "not_applicable_to_not_met",
    "not_applicable_to_unknown",
)  # fmt: skip
KINDS = (
    *TRANSITIONS,
    "added",
    "removed",
    "disposition_changed",
    "credits_changed",
    "new_evidence_request",
    "dropped_evidence_request",
)
LABELS = {
    **{k: k.replace("_to_", " → ").replace("_", " ") for k in TRANSITIONS},
    "added": "rule or target added",
    "removed": "rule or target removed",
    "disposition_changed": "disposition changed",
    "credits_changed": "credits changed",
    "new_evidence_request": "new evidence request",
    "dropped_evidence_request": "evidence request dropped",
}
# The kinds that change what a case comes to (the others say how much, or what to ask for).
OUTCOME_KINDS = frozenset((*TRANSITIONS, "added", "removed", "disposition_changed"))
Change = dict[str, Any]


def compare(current: Mapping[str, Any], draft: Mapping[str, Any]) -> dict[str, Any]:
    """{changes: [...], credits: [current, draft]}; no changes: the draft changes nothing here."""
    changes: list[Change] = []
    old = {o["rule"]: o for o in current["outcomes"]}
    new = {o["rule"]: o for o in draft["outcomes"]}
    for rule in [*old, *(r for r in new if r not in old)]:
        a, b = old.get(rule), new.get(rule)
        title = (b or a or {}).get("title") or rule
        base = {"rule": rule, "title": title}
        if a is None or b is None:
            kind = "added" if a is None else "removed"
            status = (b or a or {})["status"]
            changes.append({"kind": kind, **base, "from": None if a is None else status,
                            "to": status if a is None else None})  # fmt: skip
            continue
        if a["status"] != b["status"]:
            kind = f"{a['status']}_to_{b['status']}"
            changes.append({"kind": kind, **base, "from": a["status"], "to": b["status"]})
        elif a["status"] == "met" and _level(a) != _level(b):
            changes.append({"kind": "disposition_changed", **base, "from": _level(a),
                            "to": _level(b)})  # fmt: skip
    changes += _dispositions(current, draft)
    credits = [_credits(current), _credits(draft)]
    if credits[0] != credits[1]:
        changes.append({"kind": "credits_changed", "rule": None, "title": None,
                        "from": credits[0], "to": credits[1]})  # fmt: skip
    changes += _requests(current, draft)
    return {"changes": changes, "credits": credits}


def kinds_of(changes: Iterable[Change]) -> list[str]:
    """The kinds among `changes`, once each, in the order of `KINDS`."""
    found = {c["kind"] for c in changes}
    return [k for k in KINDS if k in found]


def outcome_changed(changes: Iterable[Change]) -> bool:
    """Whether the case would come to something else (not only other credits or requests)."""
    return any(c["kind"] in OUTCOME_KINDS for c in changes)


def _level(o: Mapping[str, Any]) -> str | None:
    decided = o.get("outcome")
    level = decided.get("level") if isinstance(decided, Mapping) else None
    return level if isinstance(level, str) else None


def _dispositions(current: Mapping[str, Any], draft: Mapping[str, Any]) -> list[Change]:
    old = {d["item"]: d for d in current.get("dispositions") or []}
    new = {d["item"]: d for d in draft.get("dispositions") or []}
    out = []
    for item in [*old, *(i for i in new if i not in old)]:
        a, b = old.get(item, {}), new.get(item, {})
        if a.get("disposition") != b.get("disposition"):
            out.append({"kind": "disposition_changed", "rule": f"request:{item}",
                        "title": b.get("title") or a.get("title") or item,
                        "from": a.get("disposition"), "to": b.get("disposition")})  # fmt: skip
    return out


def _credits(result: Mapping[str, Any]) -> float:
    """The credits of the recognition rules met (a stacking award is eligible to be considered
    only, never credited, so it does not count)."""
    total = Decimal(0)
    for o in result["outcomes"]:
        if o["kind"] != "recognition" or o["status"] != "met":
            continue
        decided = o.get("outcome")
        value = decided.get("credits") if isinstance(decided, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += Decimal(str(value))
    return float(total)


def _requests(current: Mapping[str, Any], draft: Mapping[str, Any]) -> list[Change]:
    def asked(result: Mapping[str, Any]) -> dict[tuple[str, str, str], tuple[str, str]]:
        found = {}
        for o in result["outcomes"]:
            for r in o.get("evidence_requests") or []:
                key = (o["rule"], str(r.get("credential")), str(r.get("element")))
                found[key] = (o.get("title") or o["rule"], r["request"])
        return found

    old, new = asked(current), asked(draft)
    out = []
    for key in new.keys() - old.keys():
        out.append({"kind": "new_evidence_request", "rule": key[0], "title": new[key][0],
                    "from": None, "to": new[key][1]})  # fmt: skip
    for key in old.keys() - new.keys():
        out.append({"kind": "dropped_evidence_request", "rule": key[0], "title": old[key][0],
                    "from": old[key][1], "to": None})  # fmt: skip
    return sorted(out, key=lambda c: (c["kind"], c["rule"], c["from"] or "", c["to"] or ""))
