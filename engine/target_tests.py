"""Whether a set of credentials meets a target's totals, shares and provider limits, and what it
lacks: the tests the allocation search asks at every candidate set (`meets`, and the cheap
necessary condition `possible` before it enumerates a target at all) and the reasons a reader is
given (`shortfalls`). Strict: only what is certain counts; optimistic: what evidence could still
make true. `Stacking` (engine.stacking) is one of these.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from engine.explain import EvalContext
from engine.semantics import MET, NOT_MET
from engine.wording import label_of
from rules.numbers import Interval, bounds, exact, text
from rules.policy import Target


def exact_ends(value: Any) -> tuple[Fraction, Fraction] | None:
    if value is None:
        return None
    return bounds(value if isinstance(value, (Fraction, Interval)) else exact(value))


class TargetTests:
    """Needs `ev` (the evaluation), `ects` (exact (low, high) ECTS per credential or None),
    `provider` (awarding body per credential), and `strict` and `loose` (the two problems)."""

    ev: EvalContext
    ects: list[tuple[Fraction, Fraction] | None]
    provider: list[Any]
    strict: Any
    loose: Any
    # The same ends as integers over one common denominator: the search sums them at every
    # candidate set, and integer sums are exact and far cheaper than sums of fractions.
    scaled: list[tuple[int, int] | None]
    scale: int

    def scale_ects(self) -> None:
        denominators = [end.denominator for ends in self.ects if ends for end in ends]
        self.scale = math.lcm(*denominators) if denominators else 1
        self.scaled = [
            (int(ends[0] * self.scale), int(ends[1] * self.scale)) if ends else None
            for ends in self.ects
        ]

    def _ok(self, t: Target, group: Any, i: int, strict: bool) -> bool:
        s = self.ev.status(group, i)
        return s == MET if strict else s != NOT_MET

    def total(self, chosen: Any, strict: bool) -> Fraction:
        """The ECTS of a set: the low ends when strict, the high ends when optimistic."""
        return Fraction(self._scaled_total(chosen, strict), self.scale)

    def _scaled_total(self, chosen: Any, strict: bool) -> int:
        end, scaled = (0 if strict else 1), self.scaled
        return sum(scaled[i][end] for i in chosen if scaled[i])  # type: ignore[index]

    def meets(self, t: Target, chosen: frozenset[int], strict: bool) -> bool:
        """`not self.shortfalls(...)`, without writing the reasons: the search asks this at
        every leaf, and only the chosen filling's reasons are ever read."""
        if t.min_count is not None and len(chosen) < t.min_count:
            return False
        need = t.min_total_ects
        if need is not None:
            # total < need, on integers: total = s / scale and need = n / d.
            short = self._scaled_total(chosen, strict) * need.denominator < (
                need.numerator * self.scale
            )
            if short and (strict or all(self.ects[i] for i in chosen)):
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
            ends = exact_ends(self.ev.credentials[i].get(total.of))
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
