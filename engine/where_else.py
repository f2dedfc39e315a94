"""Where else a learner's credentials would count: the credentials a case leaves unused (or all of
them, when the request was refused) evaluated against other policies, listing the stacking
targets and recognition rules they meet or nearly meet, with what is missing.

"Nearly met" is read off each evaluation's own result, never worked out a second time:

- *unknown* — the engine says more information could meet it; what is missing is its evidence
  requests;
- a recognition rule *not met* whose closest credential fails exactly one condition of the best
  outcome (one line in its `missing` list);
- a target *not met* (needing two credentials or more) whose only shortfall is one more
  credential (in one slot, or towards its minimum count), or a target whose only shortfall is a
  single credit threshold (its ECTS minimum or one total) short by at most a quarter of it.

What is missing is always the result's own `missing` (or evidence requests) list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

from engine.errors import EvaluationInputError
from engine.evaluate import evaluate
from engine.inputs import Wallet
from rules.policy import Policy

NEAR_SHARE = Fraction(1, 4)  # a threshold short by at most this share of itself is "nearly"
KINDS = ("stacking", "recognition")
# The shortfall lines engine.stacking and engine.target_tests write, read back here.
_SLOT = re.compile(r"^(\d+) more credential\(s\) for '")
_COUNT = re.compile(r"^(\d+) more credential\(s\) \(needs \d+\)$")
_ECTS = re.compile(r"^([\d.]+)…? more ECTS \(has [\d.]+…?, needs ([\d.]+)…?\)$")
_TOTAL = re.compile(r": ([\d.]+)…? more \(.*needs ([\d.]+)…?\)$")

Evaluator = Callable[[Policy, Wallet, dt.date], dict[str, Any]]


def left_over(result: dict[str, Any]) -> list[str]:
    """The credentials a result leaves free to count elsewhere: those unused, or every credential
    not set aside when every request item was refused (not favourable, not pending evidence)."""
    dispositions = result.get("dispositions") or []
    refused = bool(dispositions) and all(
        not d.get("favourable") and d.get("disposition") != "pending_evidence" for d in dispositions
    )
    if refused:
        aside = {row["credential"] for row in result.get("set_aside", [])}
        return sorted(
            c["credential"] for c in result["credentials"] if c["credential"] not in aside
        )
    return sorted(u["credential"] for u in result.get("unused", []))


def where_else(
    wallet: Wallet,
    consider: Iterable[str] | None,
    policies: Sequence[Policy],
    as_of: dt.date,
    evaluator: Evaluator | None = None,
) -> list[dict[str, Any]]:
    """For each policy (in the order given): the targets and recognition rules the credentials
    in `consider` (None: all of them) meet, those they nearly meet with what is missing, or why
    the policy could not be evaluated. The request is left out (it was made under another
    policy); applicant facts travel along. `evaluator` defaults to the in-process evaluation;
    callers holding a contained worker pool pass theirs."""
    run = evaluator or evaluate
    keep = None if consider is None else set(consider)
    credentials = tuple(c for c in wallet.credentials if keep is None or c.id in keep)
    subset = replace(wallet, credentials=credentials, request=None)
    out = []
    for policy in policies:
        entry: dict[str, Any] = {
            "policy": {"id": policy.id, "version": policy.version, "title": policy.title,
                       "organisation": policy.organisation, "digest": policy.digest},
            "credentials": sorted(c.id for c in credentials),
            "met": [],
            "nearly": [],
        }  # fmt: skip
        if not credentials:
            out.append(entry)
            continue
        try:
            result = run(policy, subset, as_of)
        except EvaluationInputError as exc:
            entry["error"] = str(exc)
            out.append(entry)
            continue
        for o in result["outcomes"]:
            if o["kind"] not in KINDS:
                continue
            if o["status"] == "met":
                entry["met"].append(_brief(o))
                continue
            why = nearly(o, _needs(policy, o["rule"]))
            if why is not None:
                entry["nearly"].append({**_brief(o), "why": why, "missing": _missing(o)})
        out.append(entry)
    return out


def found_anything(entries: Iterable[dict[str, Any]]) -> bool:
    return any(e["met"] or e["nearly"] for e in entries)


def _brief(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule": o["rule"],
        "kind": o["kind"],
        "title": o.get("title"),
        "status": o["status"],
        "outcome": o.get("outcome"),
        "credentials": list(o.get("credentials", [])),
    }


def _missing(o: dict[str, Any]) -> list[str]:
    if o["status"] == "unknown":
        return [r["request"] for r in o.get("evidence_requests", [])]
    return list(o.get("missing", []))


def _needs(policy: Policy, rule: str) -> int:
    """How many credentials a target needs at least (1 for a recognition rule)."""
    target = next((t for t in policy.targets if t.id == rule), None)
    if target is None:
        return 1
    return max(sum(s.min for s in target.slots), target.min_count or 0)


def nearly(o: dict[str, Any], needs: int = 2) -> str | None:
    """Why an outcome that is not met counts as nearly met (None: it does not). One more
    credential is "nearly" only for a target that needs more than one (`needs`): otherwise the
    learner has nothing towards it yet."""
    if o["status"] == "unknown":
        return "could be met with more information"
    if o["status"] != "not_met":
        return None
    missing = o.get("missing") or []
    if o["kind"] == "recognition":
        return "one condition is not met" if len(missing) == 1 else None
    short_credentials = 0
    thresholds = []
    for line in missing:
        found = _SLOT.match(line) or _COUNT.match(line)
        if found:
            short_credentials += int(found.group(1))
            continue
        found = _ECTS.match(line) or _TOTAL.search(line)
        if not found:
            return None  # first meet another target, a provider limit, a share
        thresholds.append((Fraction(found.group(1)), Fraction(found.group(2))))
    if short_credentials == 1 and not thresholds and needs > 1:
        return "one more credential"
    if short_credentials == 0 and len(thresholds) == 1:
        short, need = thresholds[0]
        if need > 0 and short <= need * NEAR_SHARE:
            return f"short by {float(short / need):.0%} of a threshold"
    return None
