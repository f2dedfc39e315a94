"""Which row each audit entry records, and the check of every audited row against the trail.

An entry of one of the `EVENTS` records one row: `append_audit` reads the row's bound columns in
the same transaction, and the entry's hash covers the row's reference and digest (`row_ref`,
`row_hash`; `models.desk.audit.row_digest`). `check_records` recomputes the digest of every row of
the bound `TABLES` and compares it with the newest entry that records the row: a row no entry
records was written behind the desk's back, an entry whose row is gone lost its record, a row
whose digest differs was changed after it was recorded. Entries written before binding (migration
0003) name their row in their subject or details: their rows count as recorded, not as checked.

The bound columns are listed, not read from the table, so a column added later (a counter that
changes without an entry) stays out of the digest until it is listed here. Not bound: learners
(the only personal data of learners; erasure and a new application change them by design),
sessions, a user's password hash (rehashed on login without an entry), and the login throttle's
`login_failures` and `login_waits` (state, not records: rows expire, are pruned and are cleared;
their `login_throttled` and `login_throttle_cleared` entries name users and hashed addresses).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.desk.audit import RecordProblem, row_digest

ALL: Any = object()  # every chain and every organisation's rows, for the instance-wide check


@dataclass(frozen=True)
class Bound:
    columns: tuple[str, ...]
    organisation: str  # SQL giving the organisation of row `t`
    set_later: str | None = None  # a column that may be set after the row's newest entry
    # Columns added after rows were bound, each with the value its migration gave the rows
    # already there: a column holding that value stays out of the digest, so those rows keep
    # the digest their entries recorded (any other value, or a change to or from it, shows).
    added: tuple[tuple[str, Any], ...] = ()

    @property
    def read(self) -> tuple[str, ...]:
        return self.columns + tuple(name for name, _ in self.added)

    def digestible(self, row: dict[str, Any]) -> dict[str, Any]:
        legacy = {name: value for name, value in self.added if row.get(name) == value}
        return {k: v for k, v in row.items() if k not in legacy}


_CASE_ORG = "(SELECT c.organisation_id FROM cases c WHERE c.id = t.case_id)"
TABLES: dict[str, Bound] = {
    "organisations": Bound(("id", "slug", "name", "four_eyes", "created_at"), "t.id"),
    "users": Bound(
        ("id", "organisation_id", "email", "display_name", "role", "created_at", "active"),
        "t.organisation_id",
    ),
    # Deactivating a user revokes their tokens without an entry per token: a token may be revoked
    # after its newest entry, never un-revoked.
    "api_tokens": Bound(
        ("id", "token_hash", "user_id", "name", "created_at", "revoked_at"),
        "(SELECT u.organisation_id FROM users u WHERE u.id = t.user_id)",
        set_later="revoked_at",
        added=(("scopes", "read decide"), ("expires_at", None)),  # migration 0006
    ),
    "policies": Bound(
        tuple(
            "id organisation_id policy_id version digest document purpose title effective_from "
            "effective_to published_at published_by".split()
        ),
        "t.organisation_id",
        # Migration 0009: the text as written and superseding, NULL on the rows before it.
        added=(("source_text", None), ("supersedes_version", None), ("supersedes_from", None)),
    ),
    "cases": Bound(
        tuple(
            "id organisation_id learner_key purpose policy_id policy_version application_date "
            "received_on complete_on created_by created_at".split()
        ),
        "t.organisation_id",
    ),
    "case_snapshots": Bound(
        ("id", "case_id", "credentials", "digest", "added_by", "added_at", "received_on"),
        _CASE_ORG,
    ),
    "case_events": Bound(("id", "case_id", "status", "note", "actor_id", "at"), _CASE_ORG),
    "evaluations": Bound(
        tuple(
            "id case_id snapshot_id fingerprint policy_digest engine as_of result created_by "
            "created_at".split()
        ),
        _CASE_ORG,
    ),
    "decisions": Bound(
        tuple(
            "id case_id organisation_id action kind outcomes exception_type justification "
            "officer_id decided_at policy_id policy_version evaluation_id fingerprint "
            "previous_decision_id idempotency_key request_digest requires_confirmation".split()
        ),
        "t.organisation_id",
    ),
    # Letters and issued credentials (migration 0008): the bytes sent are bound, so a PDF or a
    # signed credential changed in the file shows; the settings row carries the logo's bytes.
    "organisation_settings": Bound(
        tuple(
            "id postal_address email phone web signatory_name signatory_title logo logo_type "
            "appeal_text_en appeal_text_sv appeal_weeks default_language updated_at "
            "updated_by".split()
        ),
        "t.id",
    ),
    "letters": Bound(
        tuple(
            "id organisation_id case_id decision_id language purpose reply_by pdf sha256 "
            "created_at created_by".split()
        ),
        "t.organisation_id",
    ),
    "issued_credentials": Bound(
        tuple(
            "id organisation_id case_id decision_id outcome document sha256 created_at "
            "created_by".split()
        ),
        "t.organisation_id",
    ),
}

# Assignments and returned decisions (migration 0007) are bound from their first row.
TABLES["case_assignments"] = Bound(("id", "case_id", "officer_id", "assigned_by", "at"), _CASE_ORG)
TABLES["decision_returns"] = Bound(
    ("id", "decision_id", "case_id", "reason", "returned_by", "at"), _CASE_ORG
)

# Policy drafts (migration 0009): state an admin edits, each change (saving, deleting, publishing)
# recorded by an entry that binds the row as it then is.
TABLES["policy_drafts"] = Bound(
    tuple(
        "id organisation_id text policy_id version based_on supersedes_version supersedes_from "
        "created_by created_at updated_by updated_at published_policy deleted_at".split()
    ),
    "t.organisation_id",
)

# event → (table, where its row id is: "subject" for the part after the colon, else a details key)
EVENTS: dict[str, tuple[str, str]] = {
    "organisation_created": ("organisations", "subject"),
    "user_created": ("users", "subject"),
    "user_activated": ("users", "subject"),
    "user_deactivated": ("users", "subject"),
    "user_role_changed": ("users", "subject"),
    "user_password_reset": ("users", "subject"),
    "organisation_renamed": ("organisations", "subject"),
    "organisation_settings_changed": ("organisation_settings", "subject"),
    "letter_issued": ("letters", "letter"),
    "credential_issued": ("issued_credentials", "credential"),
    "api_token_issued": ("api_tokens", "subject"),
    "api_token_revoked": ("api_tokens", "subject"),
    "policy_published": ("policies", "row"),
    "policy_draft_created": ("policy_drafts", "subject"),
    "policy_draft_saved": ("policy_drafts", "subject"),
    "policy_draft_deleted": ("policy_drafts", "subject"),
    "policy_draft_published": ("policy_drafts", "subject"),
    "case_created": ("cases", "subject"),
    "case_completed": ("cases", "subject"),
    "snapshot_added": ("case_snapshots", "snapshot"),
    "case_status": ("case_events", "event"),
    "evaluation_stored": ("evaluations", "evaluation"),
    "decision_recorded": ("decisions", "decision"),
    "decision_confirmed": ("decisions", "decision"),
    "case_assigned": ("case_assignments", "assignment"),
    "decision_returned": ("decision_returns", "return"),
}


def recorded_row(event: str, subject: str, details: Mapping[str, Any]) -> tuple[str, int] | None:
    """The (table, id) an entry of this event records, or None for an event that records none."""
    found = EVENTS.get(event)
    if found is None:
        return None
    table, where = found
    raw = subject.partition(":")[2] if where == "subject" else details.get(where)
    try:
        return table, int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _values(value: Any) -> Any:
    # STRICT tables hold integers, text and NULL; anything else was put there by hand.
    return f"x'{value.hex()}'" if isinstance(value, bytes) else value


def _read(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    bound = TABLES[table]
    columns = bound.read
    found = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", [row_id])
    values = found.fetchone()
    if not values:
        return None
    return bound.digestible(dict(zip(columns, map(_values, values), strict=True)))


def bind(
    conn: sqlite3.Connection, event: str, subject: str, details: Mapping[str, Any]
) -> tuple[str, str] | tuple[None, None]:
    """(row_ref, row_hash) of the row an entry records as it is now, or (None, None)."""
    found = recorded_row(event, subject, details)
    if found is None:
        return None, None
    table, row_id = found
    row = _read(conn, table, row_id)
    if row is None:
        raise RuntimeError(f"a {event} entry records {table} row {row_id}, which does not exist")
    return f"{table}:{row_id}", row_digest(table, row)


def _ref(row_ref: str) -> tuple[str, int]:
    table, _, raw = row_ref.partition(":")
    return table, int(raw) if raw.isdigit() else -1


@dataclass(frozen=True)
class RecordCheck:
    problems: tuple[RecordProblem, ...]
    matched: int  # rows equal to what their newest entry recorded
    unbound: int  # entries written before binding
    unbound_last_seq: int | None


def check_records(conn: sqlite3.Connection, organisation_id: Any = ALL) -> RecordCheck:
    """Every row of the bound tables against the newest entry recording it (one organisation's
    rows and chain, or with `ALL` the whole instance)."""
    scoped = organisation_id is not ALL
    params = [organisation_id] if scoped else []
    newest: dict[tuple[str, int], tuple[int, int | None, str | None]] = {}
    unbound, unbound_last = 0, None
    entries = conn.execute(
        "SELECT seq, organisation_id, event, subject, details, row_ref, row_hash FROM audit "
        f"{'WHERE organisation_id IS ?' if scoped else ''} ORDER BY seq",
        params,
    )
    for seq, org, event, subject, details, row_ref, row_hash in entries:
        if row_ref is not None:
            newest[_ref(row_ref)] = (seq, org, row_hash)
            continue
        if event not in EVENTS:
            continue
        found = recorded_row(event, subject, json.loads(details))
        if found is not None:
            newest[found] = (seq, org, None)
            unbound, unbound_last = unbound + 1, seq
    problems: list[RecordProblem] = []
    matched = 0
    for table, bound in TABLES.items():
        columns = ", ".join(f"t.{c}" for c in bound.read)
        where = f"WHERE {bound.organisation} IS ?" if scoped else ""
        rows = conn.execute(
            f"SELECT {bound.organisation}, {columns} FROM {table} t {where} ORDER BY t.id", params
        )
        for org, *values in rows:
            row = bound.digestible(dict(zip(bound.read, map(_values, values), strict=True)))
            entry = newest.pop((table, row["id"]), None)
            if entry is None:
                problems.append(RecordProblem(table, row["id"], org, "unrecorded"))
            elif entry[2] is None:
                continue  # recorded before binding: nothing to compare with
            elif _matches(table, bound, row, entry[2]):
                matched += 1
            else:
                problems.append(RecordProblem(table, row["id"], org, "changed", entry[0]))
    for (table, row_id), (seq, org, _) in sorted(newest.items(), key=lambda item: item[1][0]):
        problems.append(RecordProblem(table, row_id, org, "gone", seq))
    return RecordCheck(tuple(problems), matched, unbound, unbound_last)


def _matches(table: str, bound: Bound, row: dict[str, Any], digest: str) -> bool:
    if row_digest(table, row) == digest:
        return True
    later = bound.set_later  # set since the entry: the row as it was then must match
    if not later or row[later] is None:
        return False
    return row_digest(table, {**row, later: None}) == digest
