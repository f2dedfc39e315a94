"""Stacking targets: build the allocation problem, run it, and explain each target's outcome.

A target is *met* when the strict allocation (only conditions known to hold) fills it; *unknown*
when it is not met but could be with the credentials left over, if missing information turned out
favourably; *not met* otherwise, with what is missing. Stacking never awards anything: a met target
is "eligible to be considered" until a person decides.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
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
from engine.semantics import MET, NOT_MET, UNKNOWN, label_of
from rules.numbers import Interval, bounds, exact, plain, text
from rules.policy import Policy, Target


def _ends(value: Any) -> tuple[Fraction, Fraction] | None:
    if value is None:
        return None
    return bounds(value if isinstance(value, (Fraction, Interval)) else exact(value))


class Stacking:
    def __init__(
        self, policy: Policy, ev: EvalContext, excluded: dict, only: set[str] | None = None
    ):
        self.policy, self.ev, self.excluded = policy, ev, excluded
        creds = ev.credentials
        # ECTS as (low, high) exact bounds: a conversion defined as a range gives two ends.
        self.ects = [_ends(c.get("ects")) for c in creds]
        self.provider = [c.get("awarding_body_id") or c.get("awarding_body") for c in creds]
        self.order = tuple(
            sorted(range(len(creds)), key=lambda i: (-(self.ects[i] or (0, 0))[0], creds[i].id))
        )
        targets = policy.targets if only is None else [t for t in policy.targets if t.id in only]
        self.targets = topological(tuple(targets))
        self.strict = self._problem(strict=True)
        self.loose = self._problem(strict=False)

    def _ok(self, t: Target, group: Any, i: int, strict: bool) -> bool:
        s = self.ev.status(group, i)
        return s == MET if strict else s != NOT_MET

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

    def total(self, chosen: Any, strict: bool) -> Fraction:
        """The ECTS of a set: the low ends when strict, the high ends when optimistic."""
        end = 0 if strict else 1
        return sum((self.ects[i][end] for i in chosen if self.ects[i]), Fraction(0))

    def meets(self, t: Target, chosen: frozenset[int], strict: bool) -> bool:
        """`not self.shortfalls(...)`, without writing the reasons: the search asks this at
        every leaf, and only the chosen filling's reasons are ever read."""
        if t.min_count is not None and len(chosen) < t.min_count:
            return False
        if t.min_total_ects is not None and self.total(chosen, strict) < t.min_total_ects:
            if strict or all(self.ects[i] for i in chosen):
                return False
        if t.max_per_provider is not None:
            counts: dict[str, int] = {}
            for i in chosen:
                key = self.provider[i]
                if key is None:
                    if strict:
                        return False
                    continue
                counts[key] = counts.get(key, 0) + 1
                if counts[key] > t.max_per_provider:
                    return False
        if any(self._share_shortfall(share, chosen, strict) for share in t.shares):
            return False
        return not any(self._total_shortfall(total, chosen, strict) for total in t.totals)

    def possible(self, t: Target, base: frozenset[int], pool: list[int], strict: bool) -> bool:
        """False when no choice from `pool` (added to `base`) can meet the target's count and
        ECTS minimums or fill its slots' minimums: a necessary condition, checked before the
        search enumerates the fillings of a target that cannot be met."""
        sets = self._slot_sets(t, strict)
        usable = [i for i in pool if any(i in sets[s.id] for s in t.slots)]
        for slot in t.slots:
            if sum(1 for i in usable if i in sets[slot.id]) < slot.min:
                return False
        if sum(s.min for s in t.slots) > len(usable):
            return False
        room = None if any(s.max is None for s in t.slots) else sum(s.max for s in t.slots)
        most = len(usable) if room is None else min(room, len(usable))
        if t.min_count is not None and len(base) + most < t.min_count:
            return False
        if t.min_total_ects is None:
            return True
        end = 0 if strict else 1
        if not strict and any(self.ects[i] is None for i in usable):
            return True  # an unknown workload leaves the optimistic total open
        values = sorted((self.ects[i][end] for i in usable if self.ects[i]), reverse=True)
        best = self.total(base, strict) + sum(values[:most], Fraction(0))
        return best >= t.min_total_ects

    def _slot_sets(self, t: Target, strict: bool) -> dict[str, frozenset[int]]:
        problem = self.strict if strict else self.loose
        return {s.id: problem.eligible[(t.id, s.id)] for s in t.slots}

    def shortfalls(self, t: Target, chosen: frozenset[int], strict: bool) -> list[str]:
        """What keeps a set of credentials from meeting a target's totals (empty: nothing)."""
        out = []
        known_total = self.total(chosen, strict)
        if t.min_count is not None and len(chosen) < t.min_count:
            out.append(f"{t.min_count - len(chosen)} more credential(s) (needs {t.min_count})")
        if t.min_total_ects is not None and known_total < t.min_total_ects:
            if strict or all(self.ects[i] for i in chosen):
                out.append(
                    f"{text(t.min_total_ects - known_total)} more ECTS "
                    f"(has {text(known_total)}, needs {text(t.min_total_ects)})"
                )
        if t.max_per_provider is not None:
            counts: dict[str, int] = {}
            for i in chosen:
                key = self.provider[i]
                if key is None:
                    if strict:
                        out.append("the awarding body of every credential must be known")
                    continue
                counts[key] = counts.get(key, 0) + 1
            for key, count in sorted(counts.items()):
                if count > t.max_per_provider:
                    out.append(
                        f"at most {t.max_per_provider} credential(s) from '{key}' (has {count})"
                    )
        for share in t.shares:
            out += self._share_shortfall(share, chosen, strict)
        for total in t.totals:
            out += self._total_shortfall(total, chosen, strict)
        return out

    def _share_shortfall(self, share: Any, chosen: frozenset[int], strict: bool) -> list[str]:
        end = 0 if strict else 1

        def weight(i: int) -> Fraction:
            if share.of == "count":
                return Fraction(1)
            return self.ects[i][end] if self.ects[i] else Fraction(0)

        total = sum((weight(i) for i in chosen), Fraction(0))
        inside = sum(
            (weight(i) for i in chosen if self._ok(None, share.when, i, strict)), Fraction(0)
        )
        if total == 0 or inside / total >= share.min_share:
            return []
        unit = "credits" if share.of == "ects" else "credentials"
        return [
            f"at least {float(share.min_share):.0%} of {unit} {share.title} "
            f"(has {float(inside / total):.0%})"
        ]

    def _total_shortfall(self, total: Any, chosen: frozenset[int], strict: bool) -> list[str]:
        """A sum of a numeric subject over (some of) the chosen credentials, with bounds.

        Strict (what is certain): the minimum counts only credentials known to be in `where`,
        at their low ends; the maximum counts every credential that may be in it, at its high
        end. Optimistic (what evidence could still make true): the reverse, and a missing
        value leaves the minimum open."""
        sure_low = sure_high = maybe_low = maybe_high = Fraction(0)
        missing = False
        for i in chosen:
            status = self.ev.status(total.where, i) if total.where is not None else MET
            if status == NOT_MET:
                continue
            ends = _ends(self.ev.credentials[i].get(total.of))
            if ends is None:
                missing = True
                continue
            maybe_low, maybe_high = maybe_low + ends[0], maybe_high + ends[1]
            if status == MET:
                sure_low, sure_high = sure_low + ends[0], sure_high + ends[1]
        out = []
        unit = label_of(total.of, self.ev.ctx.catalogue)
        reach = sure_low if strict else maybe_high
        if total.minimum is not None and reach < total.minimum and (strict or not missing):
            out.append(f"{total.title}: {text(total.minimum - reach)} more ({unit}: has "
                       f"{text(reach)}, needs {text(total.minimum)})")  # fmt: skip
        top = maybe_high if strict else sure_low
        if total.maximum is not None and (top > total.maximum or (strict and missing)):
            shown = f"has {text(top)}" + (", some unknown" if missing else "")
            out.append(f"{total.title}: at most {text(total.maximum)} ({unit}: {shown})")
        return out

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
