"""Stacking targets: build the allocation problem, run it, and explain each target's outcome.

A target is *met* when the strict allocation (only conditions known to hold) fills it; *unknown*
when it is not met but could be with the credentials left over, if missing information turned out
favourably; *not met* otherwise, with what is missing. Stacking never awards anything: a met target
is "eligible to be considered" until a person decides.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from typing import Any

from engine.allocation import Filling, Problem, allocate, fillings, topological
from engine.explain import (
    NOT_EXCLUDED,
    EvalContext,
    condition_rows,
    describe_group,
    evidence_requests,
    merge_requests,
    who,
)
from engine.semantics import MET, NOT_MET, UNKNOWN
from engine.target_tests import TargetTests, exact_ends
from engine.wording import label_of
from rules.numbers import plain, text
from rules.policy import Policy, Target


class Stacking(TargetTests):
    def __init__(
        self, policy: Policy, ev: EvalContext, excluded: dict, only: set[str] | None = None
    ):
        self.policy, self.ev, self.excluded = policy, ev, excluded
        creds = ev.credentials
        # ECTS as (low, high) exact bounds: a conversion defined as a range gives two ends.
        self.ects = [exact_ends(c.get("ects")) for c in creds]
        self.scale_ects()
        self.provider = [c.get("awarding_body_id") or c.get("awarding_body") for c in creds]
        self.order = tuple(
            sorted(range(len(creds)), key=lambda i: (-(self.ects[i] or (0, 0))[0], creds[i].id))
        )
        targets = policy.targets if only is None else [t for t in policy.targets if t.id in only]
        self.targets = topological(tuple(targets))
        self.strict = self._problem(strict=True)
        self.loose = self._problem(strict=False)

    def _eligible(self, t: Target, slot: Any, i: int, strict: bool) -> bool:
        excluded = self.excluded.get(i, NOT_EXCLUDED)
        if excluded.hard or (strict and excluded.soft):
            return False
        if t.all_credentials is not None and not self._ok(t, t.all_credentials, i, strict):
            return False
        return self._ok(t, slot.when, i, strict)

    def _problem(self, strict: bool) -> Problem:
        n = len(self.ev.credentials)
        eligible = {
            (t.id, s.id): frozenset(i for i in range(n) if self._eligible(t, s, i, strict))
            for t in self.targets
            for s in t.slots
        }
        return Problem(
            targets=self.targets,
            eligible=eligible,
            check=lambda t, chosen: self.meets(t, chosen, strict),
            possible=lambda t, base, pool: self.possible(t, base, pool, strict),
            overlaps=self._overlaps if self.policy.settings.overlap_element else None,
            order=self.order,
            share_credentials=self.policy.settings.double_counting == "allowed",
        )

    def _overlaps(self, a: int, b: int) -> bool:
        name = self.policy.settings.overlap_element
        if name is None:
            return False
        x, y = self.ev.credentials[a].get(name), self.ev.credentials[b].get(name)
        if not x or not y:
            return False
        x, y = {v.casefold() for v in x}, {v.casefold() for v in y}
        return len(x & y) / min(len(x), len(y)) >= self.policy.settings.overlap_min_share

    def outcomes(self) -> tuple[list[dict[str, Any]], dict[str, Filling], bool]:
        n = len(self.ev.credentials)
        everything = frozenset(range(n))
        met = allocate(self.strict, everything)
        used = frozenset().union(*(f.own for f in met.values())) if met else frozenset()
        leftover = everything if self.strict.share_credentials else everything - used
        results: dict[str, dict[str, Any]] = {}
        pending: dict[str, Filling] = {}  # unknown targets, with the filling evidence could make
        for t in self.targets:  # prerequisites first
            if t.id in met:
                results[t.id] = self._met(t, met[t.id])
            else:
                results[t.id] = self._not_met(t, met, pending, leftover)
        return [results[k] for k in sorted(results)], met, self.strict.exhausted

    def _met(self, t: Target, f: Filling) -> dict[str, Any]:
        creds = self.ev.credentials
        rows = []
        for slot_id, chosen in f.slots:
            slot = next(s for s in t.slots if s.id == slot_id)
            for i in chosen:
                rows += condition_rows(slot.when, creds[i], self.ev.ctx, f"slot {slot_id}")
                if t.all_credentials is not None:
                    rows += condition_rows(
                        t.all_credentials, creds[i], self.ev.ctx, "every credential"
                    )
        total = self.total(f.total, True)
        credits = f" totalling {text(total)} ECTS" if total else ""
        reasons = [
            f"'{t.title}' can be considered: its conditions are met by "
            f"{len(f.total)} credential(s){credits}. Stacking gives no "
            "automatic entitlement; the award is for the receiving organisation to decide."
        ]
        if t.builds_on:
            reasons.append("It builds on: " + ", ".join(t.builds_on) + ".")
        return self._result(t, MET, f, rows, [], [], reasons)

    def _not_met(
        self,
        t: Target,
        met: dict[str, Filling],
        pending: dict[str, Filling],
        leftover: frozenset[int],
    ) -> dict:
        blocked = [ref for ref in t.builds_on if ref not in met]
        loose = None
        if all(ref in pending for ref in blocked):
            context = {**met, **{ref: pending[ref] for ref in blocked}}
            loose = next(fillings(self.loose, t, leftover, context), None)
        if loose is not None:
            pending[t.id] = loose
            requests = self._requests(t, loose)
            reasons = [
                f"'{t.title}' could be met with the credentials available, but "
                "information is missing; see the evidence requests."
            ]
            if blocked:
                reasons.append(
                    "It builds on "
                    + ", ".join(f"'{r}'" for r in blocked)
                    + ", which also waits for evidence."
                )
            return self._result(t, UNKNOWN, loose, [], [], requests, reasons)
        missing = [f"first meet '{ref}'" for ref in blocked]
        missing += self._missing(t, leftover, met) if not blocked else []
        reasons = [f"'{t.title}' is not met."]
        alternative = None if blocked else self._alternative(t, met)
        if alternative:
            reasons.append(alternative)
        return self._result(t, NOT_MET, None, [], missing, [], reasons)

    def _alternative(self, t: Target, met: dict[str, Filling]) -> str | None:
        everything = frozenset(range(len(self.ev.credentials)))
        alone = next(fillings(self.strict, t, everything, met), None)
        if alone is None:
            return None
        creds = self.ev.credentials
        taken = sorted((creds[i].id, name) for name, f in met.items() for i in f.own & alone.own)
        parts = ", ".join(f"'{cid}' (now used for {name})" for cid, name in taken)
        return (
            f"Alternative: '{t.title}' could be met instead by using {parts}. The chosen "
            "allocation was preferred because it meets at least as many targets (between "
            "equals, targets are served in id order, smallest fillings first)."
        )

    def _missing(self, t: Target, available: frozenset[int], met: dict[str, Filling]) -> list:
        """The blockers of the closest attempt: slots that cannot be filled, or else the
        totals, shares and provider limits of the slot-complete filling that misses least."""
        relaxed = replace(
            self.strict, check=lambda _t, _s: True, possible=None, budget=5000, nodes=0
        )
        best: tuple | None = None
        for f in islice(fillings(relaxed, t, available, met), 300):
            lines = self.shortfalls(t, f.total, strict=True)
            key = (len(lines), -self.total(f.total, True), sorted(f.total))
            if best is None or key < best[0]:
                best = (key, lines)
        if best is not None:
            return best[1]
        return self._slot_deficits(t, available)

    def _slot_deficits(self, t: Target, available: frozenset[int]) -> list[str]:
        """Seats each slot cannot fill, from a maximum matching of credentials to seats."""
        seats = [s for s in t.slots for _ in range(s.min)]
        holder: dict[int, int] = {}  # credential → seat

        def place(seat: int, tried: set[int]) -> bool:
            for i in self.order:
                ok = i in available and i in self.strict.eligible[(t.id, seats[seat].id)]
                if ok and i not in tried:
                    tried.add(i)
                    if i not in holder or place(holder[i], tried):
                        holder[i] = seat
                        return True
            return False

        filled = [place(k, set()) for k in range(len(seats))]
        out = []
        for slot in t.slots:
            short = sum(1 for k, s in enumerate(seats) if s is slot and not filled[k])
            if short:
                out.append(
                    f"{short} more credential(s) for '{slot.title}': "
                    f"{describe_group(slot.when, self.ev.ctx)}"
                )
        return out

    def could_count(self, i: int) -> list[str]:
        """Where a credential could count if it were free (and its missing data favourable)."""
        return [
            f"{t.id} / {s.id}"
            for t in self.targets
            for s in t.slots
            if i in self.loose.eligible[(t.id, s.id)]
        ]

    def _requests(self, t: Target, f: Filling) -> list[dict[str, Any]]:
        creds, out = self.ev.credentials, []
        for slot_id, chosen in f.slots:
            slot = next(s for s in t.slots if s.id == slot_id)
            for i in chosen:
                out += evidence_requests(slot.when, creds[i], self.ev.ctx, f"{t.id} {slot_id}")
                if t.all_credentials is not None:
                    out += evidence_requests(t.all_credentials, creds[i], self.ev.ctx, t.id)
                for share in t.shares:
                    out += evidence_requests(share.when, creds[i], self.ev.ctx, t.id)
                if self.ects[i] is None and t.min_total_ects is not None:
                    out.append(
                        {
                            "credential": creds[i].id,
                            "element": "ects",
                            "request": f"{who(creds[i])}: provide the notional "
                            f"workload (ECTS) (needed for {t.id}: total ECTS).",
                        }
                    )
                for total in t.totals:
                    if total.where is not None:
                        out += evidence_requests(total.where, creds[i], self.ev.ctx, t.id)
                    if creds[i].get(total.of) is None:
                        out.append(
                            {
                                "credential": creds[i].id,
                                "element": total.of,
                                "request": f"{who(creds[i])}: provide the "
                                f"{label_of(total.of, self.ev.ctx.catalogue)} "
                                f"(needed for {t.id}: {total.title}).",
                            }
                        )
                excluded = self.excluded.get(i, NOT_EXCLUDED)
                out += excluded.requests
                for reason in excluded.soft:
                    out.append(
                        {
                            "credential": creds[i].id,
                            "element": "exclusion",
                            "request": f"{who(creds[i])}: confirm whether this "
                            f"exclusion applies: {reason}.",
                        }
                    )
        return merge_requests(out)

    def _result(
        self,
        t: Target,
        status: str,
        f: Filling | None,
        rows: list,
        missing: list,
        requests: list,
        reasons: list,
    ) -> dict[str, Any]:
        creds = self.ev.credentials
        slots = {sid: [creds[i].id for i in sorted(ch)] for sid, ch in f.slots} if f else {}
        outcome = {
            "target": t.id,
            "awards": t.awards,
            "credits": plain(t.credits) if t.credits is not None else None,
            "eligible_to_be_considered": status == MET,
        }
        if f is not None:
            outcome["total_ects"] = plain(self.total(f.total, True))
        return {
            "rule": t.id,
            "kind": "stacking",
            "title": t.title,
            "status": status,
            "outcome": outcome,
            "credentials": sorted(creds[i].id for i in f.total) if f else [],
            "slots": slots,
            "conditions": rows,
            "missing": missing,
            "evidence_requests": requests,
            "reasons": reasons,
        }
