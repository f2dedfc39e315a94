"""What a worker does with a chunk of learners: read each wallet, evaluate it, and return its
result as canonical text (or what was wrong with it), one `Evaluated` per learner in order.

`evaluate_items` is the entry point of the crash-contained worker pool (the policy arrives once
per worker, then only its digest); `evaluate_chunk` is the same work for a Dask worker, which
receives the policy itself. A bad wallet costs its own line an error, never the chunk.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from marshmallow import ValidationError

from engine.batch import OutcomeRow, evaluate_text, policy_for
from engine.errors import EvaluationInputError
from engine.inputs import Wallet, wallet_from_plain
from models.credentials.intake import parse_json_bytes, sheet_wallet, wallet_from_document
from models.credentials.sheet import Sheet
from models.errors import IntakeError, problems_from
from models.population.sources import Item
from rules.policy import Policy

TARGET = "models.population.work:evaluate_items"


@dataclass(frozen=True)
class Job:
    """What every learner of a batch is evaluated with."""

    policy: Policy
    as_of: dt.date
    secret: bytes
    matcher: str = "durable"
    detail: str = "full"  # or "compact" (engine.evaluate.evaluate)

    def payload(self, items: list[Item], with_policy: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "digest": self.policy.digest,
            "as_of": self.as_of.isoformat(),
            "secret": self.secret,
            "matcher": self.matcher,
            "detail": self.detail,
            "items": items,
        }
        return payload | {"policy": self.policy} if with_policy else payload


class Evaluated(NamedTuple):
    """One learner's line of the output: the result's canonical text, or the error."""

    line: int
    learner: str | None
    text: str | None
    error: str | None
    outcomes: tuple[OutcomeRow, ...] = ()


def evaluate_items(payload: dict[str, Any]) -> list[Evaluated]:
    """Runs in a pool worker: a `Job.payload`; raises PolicyNotLoaded until sent the policy."""
    policy = policy_for(payload["digest"], payload.get("policy"))
    as_of = dt.date.fromisoformat(payload["as_of"])
    return evaluate_chunk(
        policy, payload["items"], as_of, payload["secret"], payload["matcher"],
        payload.get("detail", "full"),
    )  # fmt: skip


def evaluate_chunk(
    policy: Policy, items: list[Item], as_of: dt.date, secret: bytes, matcher: str = "durable",
    detail: str = "full",
) -> list[Evaluated]:  # fmt: skip
    return [evaluate_item(policy, item, as_of, secret, matcher, detail) for item in items]


def evaluate_item(
    policy: Policy, item: Item, as_of: dt.date, secret: bytes, matcher: str = "durable",
    detail: str = "full",
) -> Evaluated:  # fmt: skip
    learner = item.learner
    try:
        if item.kind == "error":
            return Evaluated(item.line, learner, None, str(item.data))
        if item.kind == "json":
            document = parse_json_bytes(item.data, item.source or "wallet")
            learner = learner_of(document)
            wallet = wallet_from_document(document, secret, item.source or "wallet")
        else:
            wallet = sheet_or_plain_wallet(item, secret)
        text, outcomes = evaluate_text(policy, wallet, as_of, matcher, detail)
        learner = learner if learner is not None else wallet.learner_key
        return Evaluated(item.line, learner, text, None, outcomes)
    except MemoryError:
        raise
    except Exception as exc:  # this learner's failure, not the batch's
        return failed(item, learner, exc)


def failed(item: Item, learner: str | None, exc: Exception) -> Evaluated:
    """The row of a learner whose evaluation failed: why, in one line, after its source."""
    if isinstance(exc, IntakeError):
        error = "; ".join(str(p) for p in exc.problems)
    elif isinstance(exc, ValidationError):  # applicant facts or a request the schema refuses
        error = "; ".join(str(p) for p in problems_from(exc.messages, ""))
    elif isinstance(exc, EvaluationInputError):
        error = f"<wallet>: {exc}"
    else:  # the engine's own failure
        error = f"<engine>: {type(exc).__name__}: {exc}"
    prefix = f"{item.source}: " if item.source else ""
    return Evaluated(item.line, learner, None, prefix + error)


def sheet_or_plain_wallet(item: Item, secret: bytes) -> Wallet:
    """The wallet of a sheet learner's rows or of a plain wallet."""
    if item.kind == "rows":
        header, rows = item.data
        sheet = Sheet()
        sheet.header(header)
        for number, row in rows:
            sheet.row(number, row)
        if sheet.problems:
            raise IntakeError(sheet.problems, item.source or "sheet")
        ((learner, kept),) = sheet.rows.items()
        return sheet_wallet(learner, kept, secret)
    if item.kind == "wallet":
        return wallet_from_plain(item.data)
    raise ValueError(f"unknown item kind {item.kind!r}")


def learner_of(document: Any) -> str | None:
    """The learner's id as a wallet document gives it (`learner.id`, or a lone credential's
    `learner`), if it is text."""
    if not isinstance(document, dict):
        return None
    learner = document.get("learner")
    if isinstance(learner, dict) and isinstance(learner.get("id"), str):
        return learner["id"]
    if isinstance(learner, str) and "credentials" not in document:
        return learner
    return None


def learner_of_bytes(item: Item) -> str | None:
    """For an item a worker could not finish: the learner's id, read here if cheaply possible."""
    if item.learner is not None or item.kind != "json":
        return item.learner
    try:
        return learner_of(json.loads(item.data))
    except ValueError:
        return None
