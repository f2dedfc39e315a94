"""Allocate credentials to the slots of stacking targets, each credential counted once.

The search maximises the number of targets met. Among allocations meeting as many, the first in
a fixed search order wins: targets after those they build on, then by id; for each target its
smallest fillings first, credentials by ECTS descending, then by id. So the same inputs always
give the same allocation, whatever order they arrived in. Targets that cannot be met even with
every credential are left out of the search, and it stops as soon as every other target is met.
It has a node budget; when that runs out the result says the allocation may not be optimal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import combinations

from rules.policy import Target

NODE_BUDGET = 50_000


@dataclass(frozen=True)
class Filling:
    target: str
    slots: tuple[tuple[str, tuple[int, ...]], ...]  # (slot id, credential indexes)
    own: frozenset[int]
    total: frozenset[int]  # own plus what the targets it builds on used


@dataclass
class Problem:
    """What the allocation needs to know, for one mode (strict or optimistic)."""

    targets: tuple[Target, ...]  # topologically ordered, then by id
    eligible: dict[tuple[str, str], frozenset[int]]  # (target, slot) → credential indexes
    check: Callable[[Target, frozenset[int]], bool]  # totals, shares, providers on a set
    # A necessary condition on (target, base, pool): False skips a target that cannot be met.
    possible: Callable[[Target, frozenset[int], list[int]], bool] | None
    overlaps: Callable[[int, int], bool] | None  # None: the policy has no overlap rule
    order: tuple[int, ...]  # preference order of credential indexes
    share_credentials: bool  # double counting allowed
    budget: int = NODE_BUDGET
    nodes: int = 0
    exhausted: bool = False
    best: int | None = None
    best_fillings: dict[str, Filling] = field(default_factory=dict)


def topological(targets: tuple[Target, ...]) -> tuple[Target, ...]:
    by_id = {t.id: t for t in targets}
    done: list[Target] = []
    seen: set[str] = set()

    def visit(t: Target) -> None:
        if t.id in seen:
            return
        seen.add(t.id)
        for ref in sorted(t.builds_on):
            visit(by_id[ref])
        done.append(t)

    for t in sorted(targets, key=lambda x: x.id):
        visit(t)
    return tuple(done)


def fillings(
    p: Problem, t: Target, available: frozenset[int], met: dict[str, Filling]
) -> Iterator[Filling]:
    """Ways to meet target `t` from `available`, given the fillings of targets it builds on.

    First the quick answer (each slot's minimum, topped up greedily if totals fall short), then
    every combination of slot sizes from minimum to maximum, fewer credentials first, until the
    node budget runs out. The global search picks among them, so a greedy top-up that takes a
    credential another target needs is not the only option it sees.
    """
    base = (
        frozenset().union(*(met[ref].total for ref in t.builds_on)) if t.builds_on else frozenset()
    )
    pool = [i for i in p.order if i in available and i not in base]
    if p.possible is not None and not p.possible(t, base, pool):
        return
    seen = set()
    # Lazily: a caller that takes the first filling must not pay for enumerating the rest.
    for f in _walk(p, t, base, pool, 0, (), (), minimum_only=True):
        seen.add(f.own)
        yield f
    for f in _walk(p, t, base, pool, 0, (), (), minimum_only=False):
        if f.own not in seen:
            seen.add(f.own)
            yield f


def _walk(
    p: Problem,
    t: Target,
    base: frozenset[int],
    pool: list[int],
    k: int,
    used: tuple[int, ...],
    slots: tuple,
    minimum_only: bool,
) -> Iterator[Filling]:
    if p.nodes >= p.budget:
        p.exhausted = True
        return
    p.nodes += 1
    if k == len(t.slots):
        own = frozenset(used)
        if p.check(t, base | own):
            yield Filling(t.id, slots, own, base | own)
        elif minimum_only:
            yield from _top_up(p, t, base, used, slots, pool)
        return
    slot = t.slots[k]
    candidates = [i for i in pool if i in p.eligible[(t.id, slot.id)] and i not in used]
    largest = slot.min if minimum_only else min(len(candidates), slot.max or len(candidates))
    for size in range(slot.min, largest + 1):
        for combo in combinations(candidates, size):
            if _compatible(p, used, combo):
                yield from _walk(
                    p, t, base, pool, k + 1, used + combo, slots + ((slot.id, combo),), minimum_only
                )


def _compatible(p: Problem, used: tuple[int, ...], combo: tuple[int, ...]) -> bool:
    if p.overlaps is None:
        return True
    chosen = list(used)
    for c in combo:
        if any(p.overlaps(c, x) for x in chosen):
            return False
        chosen.append(c)
    return True


def _top_up(
    p: Problem,
    t: Target,
    base: frozenset[int],
    used: tuple[int, ...],
    slots: tuple,
    pool: list[int],
) -> Iterator[Filling]:
    """The slots' minimum fell short of the totals: add credentials to slots with room, in
    preference order, until the totals are met (a quick first answer, not the only one)."""
    extra = dict(slots)
    chosen = list(used)
    for i in pool:
        if i in chosen or (p.overlaps and any(p.overlaps(i, c) for c in chosen)):
            continue
        for slot in t.slots:
            room = slot.max is None or len(extra[slot.id]) < slot.max
            if room and i in p.eligible[(t.id, slot.id)]:
                extra[slot.id] = extra[slot.id] + (i,)
                chosen.append(i)
                break
        else:
            continue
        if p.check(t, base | frozenset(chosen)):
            done = tuple((s.id, extra[s.id]) for s in t.slots)
            yield Filling(t.id, done, frozenset(chosen), base | frozenset(chosen))
            return


def allocate(p: Problem, available: frozenset[int]) -> dict[str, Filling]:
    """The best set of fillings: most targets met, the first such in the search order."""
    p.best, p.best_fillings = None, {}
    reachable = _reachable(p, available)
    p.targets = tuple(t for t in p.targets if t.id in reachable)
    _search(p, 0, available, {})
    return p.best_fillings


def _reachable(p: Problem, available: frozenset[int]) -> set[str]:
    """Targets that might be met: those standing alone need a filling from every credential;
    one that builds on others is kept while they are (its own filling depends on theirs)."""
    found: set[str] = set()
    for t in p.targets:  # prerequisites come first
        if t.builds_on:
            if all(ref in found for ref in t.builds_on):
                found.add(t.id)
        elif next(fillings(p, t, available, {}), None) is not None:
            found.add(t.id)
    return found


def _search(p: Problem, k: int, available: frozenset[int], met: dict[str, Filling]) -> bool:
    """Depth-first; returns True once every target is met (nothing can beat that)."""
    if p.nodes >= p.budget:
        p.exhausted = True
        return False
    p.nodes += 1
    if p.best is not None and len(met) + (len(p.targets) - k) <= p.best:
        return False  # cannot meet more targets than the best already found
    if k == len(p.targets):
        p.best, p.best_fillings = len(met), dict(met)
        return len(met) == len(p.targets)
    t = p.targets[k]
    if all(ref in met for ref in t.builds_on):
        for f in fillings(p, t, available, met):
            rest = available if p.share_credentials else available - f.own
            if _search(p, k + 1, rest, {**met, t.id: f}):
                return True
    return _search(p, k + 1, available, met)
