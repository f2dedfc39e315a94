"""The audit trail's hash chain: canonical entry hashing and chain verification, pure functions.

Each organisation has its own chain (instance-wide entries, organisation None, form one more), so
an admin verifies their organisation's trail without reading another tenant's entries. An entry's
hash covers (seq, at, organisation, actor, event, subject, details, prev_hash) and, when it records
a row, that row's reference and `row_digest` (the sha256 of the row's bound columns): the chain
commits to the records themselves, not only to what the entries say of them. `prev_hash` is the
hash of the previous entry of the same chain, or `GENESIS` for the first. Details never hold
personal data (pseudonymous learner keys only) and the chain keeps only a digest of a row, so
erasing a learner never touches the chain.

A hash chain cannot show that its newest entries were cut off, nor that all of it was rewritten
and hashed anew; a signed checkpoint of the chain heads kept elsewhere does (`checkpoints`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.desk.records import AuditEntry

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    seq: int,
    at: str,
    organisation_id: int | None,
    actor_id: int | None,
    event: str,
    subject: str,
    details: Mapping[str, Any],
    prev_hash: str,
    row_ref: str | None = None,
    row_hash: str | None = None,
) -> str:
    body = {
        "seq": seq,
        "at": at,
        "organisation": organisation_id,
        "actor": actor_id,
        "event": event,
        "subject": subject,
        "details": dict(details),
        "prev_hash": prev_hash,
    }
    if row_ref is not None or row_hash is not None:
        # Only bound entries carry the keys: an entry written before binding keeps its hash.
        body["row"], body["row_hash"] = row_ref, row_hash
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def row_digest(table: str, row: Mapping[str, Any]) -> str:
    """The sha256 of a stored row's bound columns (their stored values) as canonical JSON."""
    body = {"table": table, "row": dict(row)}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    """The hash an entry should carry, recomputed from its fields."""
    return entry_hash(
        entry.seq,
        entry.at,
        entry.organisation_id,
        entry.actor_id,
        entry.event,
        entry.subject,
        entry.details,
        entry.prev_hash,
        entry.row_ref,
        entry.row_hash,
    )


@dataclass(frozen=True)
class ChainReport:
    """The verdict on a trail: ok, or the first broken entry (lowest seq) and why."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain ok: {self.checked} entries verified"
        return f"audit chain broken at seq {self.broken_seq}: {self.reason}"


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Verify entries given in seq order; they may interleave several organisations' chains.

    Streams: holds only the last hash of each chain, so a long trail needs no memory to check.
    """
    last: dict[int | None, AuditEntry] = {}
    checked = 0
    previous_seq = 0
    for entry in entries:
        if entry.seq <= previous_seq:
            return _broken(checked, entry, f"seq does not follow {previous_seq}")
        previous_seq = entry.seq
        before = last.get(entry.organisation_id)
        expected_prev = before.hash if before else GENESIS
        if entry.prev_hash != expected_prev:
            where = f"entry {before.seq}" if before else "the start of the chain"
            return _broken(
                checked,
                entry,
                f"prev_hash does not match {where} (an entry before it was removed or altered)",
            )
        if hash_of(entry) != entry.hash:
            return _broken(checked, entry, "hash does not match the entry's content (altered)")
        last[entry.organisation_id] = entry
        checked += 1
    return ChainReport(True, checked)


def _broken(checked: int, entry: AuditEntry, reason: str) -> ChainReport:
    return ChainReport(False, checked, entry.seq, reason)


# ---- the records behind the entries -------------------------------------------------------------

_PROBLEMS = {
    "unrecorded": "no audit entry records it (written behind the desk's back, or entry removed)",
    "gone": "entry {seq} records it, but the row is gone",
    "changed": "its content differs from what entry {seq} recorded",
}


@dataclass(frozen=True)
class RecordProblem:
    """A stored row and the trail disagree. Names table, row id, organisation and entry only."""

    table: str
    row_id: int
    organisation_id: int | None
    kind: str  # a key of _PROBLEMS
    seq: int | None = None  # the entry that records the row, if any

    def __str__(self) -> str:
        org = self.organisation_id
        where = "no organisation" if org is None else f"organisation {org}"
        what = _PROBLEMS[self.kind].format(seq=self.seq)
        return f"{self.table} row {self.row_id} ({where}): {what}"


@dataclass(frozen=True)
class TrailReport:
    """The verdict on a trail: its hash chain, and whether each audited row is what its newest
    entry recorded. `ok`, `checked`, `broken_seq` and `reason` read as before for the whole."""

    chain: ChainReport
    problems: tuple[RecordProblem, ...] = ()
    matched: int = 0  # rows equal to what their newest entry recorded
    unbound: int = 0  # entries written before entries bound their rows
    unbound_last_seq: int | None = None

    SHOWN = 100  # problems listed one per line; the rest are counted

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems

    @property
    def checked(self) -> int:
        return self.chain.checked

    @property
    def broken_seq(self) -> int | None:
        return self.chain.broken_seq

    @property
    def reason(self) -> str:
        if not self.chain.ok:
            return self.chain.reason
        if self.problems:
            count = len(self.problems)
            return f"{count} record(s) do not match the trail; first: {self.problems[0]}"
        return ""

    def __str__(self) -> str:
        lines = [str(self.chain)]
        if self.problems:
            lines.append(f"records: {len(self.problems)} do not match the trail")
            lines += [f"  {p}" for p in self.problems[: self.SHOWN]]
            if len(self.problems) > self.SHOWN:
                lines.append(f"  … and {len(self.problems) - self.SHOWN} more")
        else:
            lines.append(f"records ok: {self.matched} rows are what their entries recorded")
        if self.unbound:
            lines.append(
                f"not bound (written before binding): {self.unbound} entries, "
                f"up to seq {self.unbound_last_seq}; their rows cannot be checked"
            )
        return "\n".join(lines)
