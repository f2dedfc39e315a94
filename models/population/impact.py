"""A policy change over a population, through the batch path: each learner evaluated under the
version in force and under the draft in a worker, and only the comparison sent back
(`engine.impact.compare`), so that 10,000 learners cost two evaluations each and a few hundred
bytes of answer.

Items are those of a batch (`models.population.sources`: a cohort file of wallets) or stored
cases (kind "case": the case's latest snapshot as plain data with its own application date). The
two policies travel once per worker, then only their digests. `Tally` collects the answers in
input order for `models.population.runner.run`: the changed learners, the unchanged counted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.batch import policy_for
from engine.evaluate import evaluate
from engine.impact import compare, kinds_of
from engine.inputs import Wallet, wallet_from_plain
from models.credentials.intake import parse_json_bytes, wallet_from_document
from models.population.outputs import LineSet
from models.population.runner import Executor, PoolExecutor, Totals, run
from models.population.sources import Item
from models.population.work import Evaluated, failed, learner_of, sheet_or_plain_wallet
from rules.policy import Policy

TARGET = "models.population.impact:compare_items"


@dataclass(frozen=True)
class ImpactJob:
    """What every learner is compared with: the version in force, the draft, and the date of
    the learners that carry none (a cohort file's)."""

    current: Policy
    draft: Policy
    as_of: dt.date
    secret: bytes
    matcher: str = "durable"

    def payload(self, items: list[Item], with_policy: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "current": self.current.digest,
            "draft": self.draft.digest,
            "as_of": self.as_of.isoformat(),
            "secret": self.secret,
            "matcher": self.matcher,
            "items": items,
        }
        if with_policy:
            payload |= {"current_policy": self.current, "draft_policy": self.draft}
        return payload


def compare_items(payload: dict[str, Any]) -> list[Evaluated]:
    """Runs in a pool worker; raises PolicyNotLoaded until sent both policies."""
    current = policy_for(payload["current"], payload.get("current_policy"))
    draft = policy_for(payload["draft"], payload.get("draft_policy"))
    as_of = dt.date.fromisoformat(payload["as_of"])
    secret, matcher = payload["secret"], payload["matcher"]
    return [compare_item(current, draft, i, as_of, secret, matcher) for i in payload["items"]]


def compare_item(
    current: Policy, draft: Policy, item: Item, as_of: dt.date, secret: bytes,
    matcher: str = "durable",
) -> Evaluated:  # fmt: skip
    """One learner's comparison as JSON text in `Evaluated.text`, or what was wrong."""
    learner = item.learner
    try:
        if item.kind == "error":
            return Evaluated(item.line, learner, None, str(item.data))
        wallet, day, found = _wallet_of(item, as_of, secret)
        learner = learner if learner is not None else found
        a = evaluate(current, wallet, day, matcher, "compact")
        b = evaluate(draft, wallet, day, matcher, "compact")
        text = json.dumps(compare(a, b), ensure_ascii=False, separators=(",", ":"))
        return Evaluated(item.line, learner, text, None)
    except MemoryError:
        raise
    except Exception as exc:  # this learner's failure, not the report's
        return failed(item, learner, exc)


def _wallet_of(item: Item, as_of: dt.date, secret: bytes) -> tuple[Wallet, dt.date, str | None]:
    if item.kind == "case":
        day = dt.date.fromisoformat(item.data["as_of"])
        return wallet_from_plain(item.data["wallet"]), day, None
    if item.kind == "json":
        document = parse_json_bytes(item.data, item.source or "wallet")
        return (
            wallet_from_document(document, secret, item.source or "wallet"),
            as_of,
            (learner_of(document)),
        )
    return sheet_or_plain_wallet(item, secret), as_of, None


@dataclass
class Tally:
    """The answers in input order (the runner's writer): changed learners kept with their
    changes, unchanged ones counted, errors kept with their message."""

    done: LineSet = field(default_factory=LineSet)
    changed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)  # learners with a change of the kind

    def write(self, results: Iterable[Evaluated]) -> None:
        for r in results:
            if r.text is None:
                self.errors.append({"line": r.line, "learner": r.learner, "error": r.error})
                continue
            found = json.loads(r.text)
            if not found["changes"]:
                self.unchanged += 1
                continue
            self.by_kind.update(kinds_of(found["changes"]))
            self.changed.append({"line": r.line, "learner": r.learner, **found})

    def close(self) -> None:
        pass

    @property
    def compared(self) -> int:
        return self.unchanged + len(self.changed)


def compare_population(
    items: Iterable[Item],
    job: ImpactJob,
    workers: int = 1,
    on_progress: Callable[[Totals], None] | None = None,
    executor: Executor | None = None,
) -> tuple[Tally, Totals]:
    """Every item compared in the crash-contained worker pool (or `executor`)."""
    tally = Tally()
    own = executor is None
    used = executor or PoolExecutor(job, workers=workers, target=TARGET)  # type: ignore[arg-type]
    try:
        totals = run(items, used, tally, on_progress=on_progress)  # type: ignore[arg-type]
    finally:
        if own:
            used.close()
    return tally, totals
