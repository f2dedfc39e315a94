"""The audit trail's hash chain: canonical entry hashing and chain verification, pure functions.

Each organisation has its own chain (instance-wide entries, organisation None, form one more), so
an admin verifies their organisation's trail without reading another tenant's entries. An entry's
hash covers (seq, at, organisation, actor, event, subject, details, prev_hash); `prev_hash` is the
hash of the previous entry of the same chain, or `GENESIS` for the first. Details never hold
personal data (pseudonymous learner keys only), so erasing a learner never touches the chain.

A hash chain cannot show that its newest entries were cut off; it shows every altered, reordered
or removed entry before the last one kept.
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
