"""Answer what the applicant asked for: one disposition per request item, from its decision table.

Each item gets a view of the outcomes it considers (`status:ID`, `level:ID`; for an item about
one credential, that credential's status under each rule), the applicant's facts and its
choices. The decision table's rows are matched against these views by the engine (a second,
small durable-rules run), then decided here, three-valued:

- first hit: the first row that holds decides, unless an earlier row may still hold once
  evidence is in: then the answer is "pending evidence" (with the disposition already reached
  given as provisional) — never a refusal;
- priority: the best disposition (in the order the policy declares them) among the rows that
  hold, unless a better one may still hold.

When no row can hold, `otherwise` answers. An item asking for what the policy does not offer gets
"no applicable rule". A disposition that is not favourable comes with the options the policy
offers and, where the request kind names next-best requests, how those would be answered.
"""

from __future__ import annotations

import itertools
from typing import Any

from engine.explain import EvalContext, merge_requests
from engine.semantics import MET, NOT_MET, UNKNOWN, evaluate, trace
from engine.views import View
from rules.catalogue import OUTCOME
from rules.policy import Atom, Policy, RequestKind

PENDING, NO_RULE = "pending_evidence", "no_applicable_rule"
MAX_SPLIT = 8  # undecided rule statuses tried in every combination (3^8 at most)


def _status_keys(c: Any) -> set[str]:
    if isinstance(c, Atom):
        return {c.element} if c.element.startswith(("status:", "level:")) else set()
    return {k for item in c.items for k in _status_keys(item)}


def considered(policy: Policy, items: Any) -> set[str]:
    """Rules, targets and criteria a request uses (those they build on included)."""
    kinds = {r.id: r for r in policy.requests}
    out: set[str] = set()
    for item, kind, _ in items:
        todo = [kind] if kind else []
        seen = set()
        while todo:
            k = todo.pop()
            if k.id in seen:
                continue
            seen.add(k.id)
            out.update(k.considers)
            todo += [kinds[n] for n in k.next_best if n in kinds]
        if kind and item.names in kind.names:
            out.add(item.names)
    targets = {t.id: t for t in policy.targets}
    todo = [t for t in out if t in targets]
    while todo:
        for ref in targets[todo.pop()].builds_on:
            if ref not in out:
                out.add(ref)
                todo.append(ref)
    return out


class Decider:
    def __init__(
        self,
        policy: Policy,
        ev: EvalContext,
        outcomes: dict[str, dict],
        set_aside: dict[str, list[str]] | None = None,
    ):
        self.policy, self.ev, self.outcomes = policy, ev, outcomes
        self.set_aside = set_aside or {}  # credential id → reasons it is set aside
        self.names: str | None = None
        self.kinds = {r.id: r for r in policy.requests}
        self.dispositions = {d.code: d for d in policy.dispositions}
        self.order = [d.code for d in policy.dispositions]

    # --- views ---------------------------------------------------------------------------------

    def view(self, item: Any, kind: RequestKind, choices: dict, key: str) -> View:
        values = dict(self.ev.application.values)
        values.update(choices)
        for rule_id in kind.considers + ((item.names,) if item.names else ()):
            status, level = self._status(rule_id, item.credential)
            name = "requested" if rule_id == item.names else rule_id
            for subject in {name, rule_id}:
                if status is not None:
                    values[f"status:{subject}"] = status
                if level is not None:
                    values[f"level:{subject}"] = level
        return View(key, values, title=kind.title)

    def _status(self, rule_id: str, credential: str | None) -> tuple[str | None, str | None]:
        o = self.outcomes[rule_id]
        if credential is not None and o.get("assessments") is not None:
            row = next((a for a in o["assessments"] if a["credential"] == credential), None)
            if row is None:
                return "not_applicable", None
            status = row["status"]
            return (None if status == UNKNOWN else status), row.get("level")
        status = o["status"]
        level = (o.get("outcome") or {}).get("level") if status in (MET, NOT_MET) else None
        return (None if status == UNKNOWN else status), level

    # --- deciding ------------------------------------------------------------------------------

    def _hit(self, kind: RequestKind, statuses: dict[str, str]) -> tuple[Any, list]:
        """(the row that decides, rows before it that may still hold), on three-valued statuses."""
        rows = [(row, statuses[row.id]) for row in kind.rows]
        if kind.hit == "first":
            pending: list = []
            for row, status in rows:
                if status == UNKNOWN:
                    pending.append(row)
                elif status == MET:
                    return row, pending
            return None, pending
        met = [row for row, s in rows if s == MET]
        decided = min(met, key=lambda r: self.order.index(r.disposition), default=None)
        rank = self.order.index(decided.disposition) if decided else len(self.order)
        return decided, [
            r for r, s in rows if s == UNKNOWN and self.order.index(r.disposition) < rank
        ]

    def _possible(self, kind: RequestKind, view: View) -> set[str] | None:
        """Every answer the table can still give, trying each status the undecided rules may
        take (rows often test the same rule both ways, which row-by-row logic cannot see)."""
        unknown = sorted(
            {k for row in kind.rows for k in _status_keys(row.when) if view.get(k) is None}
        )
        if not unknown or len(unknown) > MAX_SPLIT:
            return None
        found: set[str] = set()
        for combo in itertools.product(*(self._domain(k) for k in unknown)):
            trial = View(view.id, {**view.values, **dict(zip(unknown, combo, strict=True))})
            statuses = {r.id: evaluate(r.when, trial, self.ev.ctx) for r in kind.rows}
            decided, pending = self._hit(kind, statuses)
            found |= {decided.disposition if decided else kind.otherwise}
            found |= {r.disposition for r in pending}
        return found

    def _domain(self, key: str) -> tuple[str, ...]:
        kind, rule_id = key.split(":", 1)
        if kind == "level":
            return (None,)  # levels stay unknown: the rows decide them three-valued
        outcome = self.outcomes.get(rule_id, {})
        # Only rules about credentials can turn out to apply to none of them.
        scoped = outcome.get("kind") == "recognition" or outcome.get("about") in (
            "each_credential", "any_credential",
        )  # fmt: skip
        return ("met", "not_met", "not_applicable") if scoped else ("met", "not_met")

    def decide(
        self, kind: RequestKind, statuses: dict[str, str], view: View, item: Any = None
    ) -> dict[str, Any]:
        self.names = item.names if item is not None else None
        trail = [{"row": row.id, "status": statuses[row.id]} for row in kind.rows]
        decided, pending = self._hit(kind, statuses)
        final = decided.disposition if decided else kind.otherwise
        possible = {r.disposition for r in pending} | {final}
        if pending:
            possible = self._possible(kind, view) or possible
        ordered = sorted(possible, key=self.order.index)
        out: dict[str, Any] = {"rows": trail}
        if len(ordered) > 1:
            out.update(
                disposition=PENDING,
                possible=ordered,
                provisional=final if decided else None,
                decided_by=None,
                evidence_requests=self._requests(pending, view),
            )
            reasons = [f"The answer depends on information not yet supplied: it could be "
                       f"{' or '.join(self._label(p) for p in ordered)}."]  # fmt: skip
        elif pending:
            out.update(disposition=ordered[0], decided_by=None, evidence_requests=[])
            reasons = [f"Whatever the missing information turns out to be, the answer is: "
                       f"{self._label(ordered[0])}."]  # fmt: skip
        else:
            out.update(disposition=final, decided_by=decided.id if decided else "otherwise",
                       evidence_requests=[])  # fmt: skip
            reasons = list(decided.reasons) if decided else []
        out["reasons"] = reasons + self._because(kind, decided, view)
        options = list(decided.options) if decided and not pending else []
        return {**out, "options": options}

    def _because(self, kind: RequestKind, decided: Any, view: View) -> list[str]:
        """The outcomes the answer rests on, in words."""
        out = []
        named = (self.names,) if self.names and self.names not in kind.considers else ()
        for rule_id in kind.considers + named:
            status = view.get(f"status:{rule_id}") or UNKNOWN
            title = self.outcomes[rule_id].get("title", rule_id)
            out.append(f"'{title}': {status.replace('_', ' ')}.")
        return out

    def _requests(self, rows: list, view: View) -> list[dict[str, Any]]:
        asked: list[dict[str, Any]] = []
        for row in rows:
            for r in trace(row.when, view, self.ev.ctx):
                if r.status != UNKNOWN:
                    continue
                key = r.atom.element
                if key.startswith(("status:", "level:")):
                    rule_id = key.split(":", 1)[1]
                    rule_id = self.names if rule_id == "requested" else rule_id
                    rule_id = rule_id if rule_id in self.outcomes else None
                    asked += self.outcomes[rule_id]["evidence_requests"] if rule_id else []
                elif key.startswith(("fact:", "choice:")):
                    label = self.ev.ctx.catalogue[key].label
                    asked.append({
                        "credential": None, "element": key,
                        "request": f"The applicant: provide the {label} (needed for {r.text}).",
                    })  # fmt: skip
        return merge_requests(asked)

    def _label(self, code: str) -> str:
        d = self.dispositions.get(code)
        return d.label if d else code

    def result(self, item: Any, kind: RequestKind | None, decision: dict[str, Any]) -> dict:
        code = decision["disposition"]
        aside = self.set_aside.get(item.credential) if item.credential else None
        if aside:
            decision = dict(decision)
            decision["reasons"] = [
                f"Credential '{item.credential}' is set aside: {'; '.join(aside)}."
            ] + decision["reasons"]
        d = self.dispositions.get(code)
        favourable = bool(d and d.favourable)
        options = decision.get("options", [])
        if kind is not None and not favourable and code != PENDING:
            options = options + [o for o in kind.options if o not in options]
        if d is not None and not favourable:
            options = options + [o for o in d.options if o not in options]
        return {
            "item": item.id,
            "request": item.kind,
            "title": kind.title if kind else item.kind,
            "for": item.names,
            "credential": item.credential,
            "disposition": code,
            "label": self._label(code),
            "favourable": favourable,
            **{k: v for k, v in decision.items() if k not in ("options",)},
            "options": options,
        }


def no_rule(item: Any, kind: RequestKind | None) -> dict[str, Any]:
    if kind is None:
        why = f"The policy answers no request '{item.kind}'."
    elif kind.per_credential and item.credential is None:
        why = f"'{kind.title}' is asked about one credential; the request names none."
    else:
        why = f"'{kind.title}' does not cover '{item.names}'."
    return {"disposition": NO_RULE, "decided_by": None, "rows": [], "evidence_requests": [],
            "reasons": [why], "options": []}  # fmt: skip


def applicable(item: Any, kind: RequestKind | None) -> bool:
    if kind is None:
        return False
    if kind.per_credential and item.credential is None:
        return False
    return item.names is None or item.names in kind.names


__all__ = ["OUTCOME", "applicable", "considered", "no_rule"]
