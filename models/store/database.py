"""Storage core: the connection, the write transaction, the audit trail and organisations.

Beside it: `users` (staff, sessions, API tokens), `policies` (policy versions, learners),
`cases` (cases, snapshots, status events), `decisions` (evaluations, decisions), `bindings` (the
row each audit entry binds, and the check of every audited row) and `schema` (the migrations).
The store modules (`models/store/`) are the only code that imports sqlite-utils; everything above
them calls intent-named functions, so another database can be put behind the same contract tests.
Reads take the caller's organisation id and never return another organisation's rows (a foreign
id looks absent: `NotFound`). Every write runs in `_write`, which begins IMMEDIATE: a deferred
BEGIN that reads first and writes later cannot take the write lock when another connection
committed in between, and fails with "database is locked" whatever the busy timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from models.desk.audit import GENESIS, TrailReport, canonical, entry_hash, verify_chain
from models.desk.records import AuditEntry, Organisation, User
from models.errors import Conflict, NotFound
from models.messages import N_
from models.store.bindings import ALL, bind, check_records
from models.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 5_000
# ALL (from `bindings`) as an organisation id: every chain, for the instance-wide `audit verify`.


class DB(Database):
    """A sqlite-utils Database with the project's pragmas and the depth of the open write."""

    write_depth = 0


def open_db(path: str | Path, *, migrate: bool = True) -> DB:
    """Open (and by default create or upgrade) the database at `path` (":memory:" for tests)."""
    if str(path) == ":memory:":
        db = DB(memory=True, execute_plugins=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = DB(str(path), execute_plugins=False)
    conn = db.conn
    # No implicit (deferred) BEGIN from the driver: a write outside `_write` commits on its own
    # instead of silently opening the kind of transaction that fails on lock upgrade.
    conn.isolation_level = None
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    # Decisions and the audit trail are legal records: a commit must survive a power cut.
    conn.execute("PRAGMA synchronous = FULL")
    # Erasure of a learner overwrites the freed bytes instead of leaving them in the file.
    conn.execute("PRAGMA secure_delete = ON")
    if migrate:
        apply_migrations(db)
    return db


def apply_migrations(db: DB) -> None:
    """Apply pending schema migrations; two processes starting at once apply them once."""
    if not MIGRATIONS.pending(db):
        return
    with _write(db):  # migrations nest as savepoints inside the IMMEDIATE transaction
        MIGRATIONS.apply(db)


@contextmanager
def _write(db: DB) -> Iterator[DB]:
    """The one write transaction: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error.

    Nested use joins the outer transaction through a savepoint, so a desk operation can read,
    check and write several tables as one unit.
    """
    if db.write_depth:
        name = f"w{db.write_depth}"
        db.conn.execute(f"SAVEPOINT {name}")
        db.write_depth += 1
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute(f"ROLLBACK TO {name}")
                db.conn.execute(f"RELEASE {name}")
            raise
        else:
            db.conn.execute(f"RELEASE {name}")
        finally:
            db.write_depth -= 1
        return
    if db.conn.in_transaction:
        # Someone opened a deferred transaction behind the store's back: joining it would bring
        # back the lock upgrade that fails under concurrency.
        raise RuntimeError("a transaction not begun by the store is open")
    db.conn.execute("BEGIN IMMEDIATE")
    db.write_depth = 1
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    finally:
        db.write_depth = 0


transaction = _write  # the public name, for desk operations that check and write as one unit


def now() -> str:
    """ISO-8601 UTC with microseconds and a Z: sorts as text in time order."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(value: Any) -> str:
    return canonical(value)


def _one(db: DB, sql: str, params: Any = ()) -> sqlite3.Row | None:
    cursor = db.conn.execute(sql, params)
    cursor.row_factory = sqlite3.Row
    return cursor.fetchone()


def _all(db: DB, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    cursor = db.conn.execute(sql, params)
    cursor.row_factory = sqlite3.Row
    return cursor.fetchall()


def _insert(db: DB, table: str, row: Mapping[str, Any]) -> int:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = db.conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
    return int(cursor.lastrowid or 0)


# ---- audit trail -----------------------------------------------------------------------------


def append_audit(
    db: DB,
    organisation_id: int | None,
    actor_id: int | None,
    event: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to its organisation's chain, inside the caller's write transaction.

    An entry of an event that records a row (`bindings.EVENTS`) commits to the row as it is now.
    """
    if not db.write_depth:
        raise RuntimeError("audit entries are written inside the change they record")
    last = _one(
        db,
        "SELECT hash FROM audit WHERE organisation_id IS ? ORDER BY seq DESC LIMIT 1",
        [organisation_id],
    )
    prev_hash = last["hash"] if last else GENESIS
    seq = db.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit").fetchone()[0]
    at = now()
    body = dict(details or {})
    row_ref, row_hash = bind(db.conn, event, subject, body)
    digest = entry_hash(
        seq, at, organisation_id, actor_id, event, subject, body, prev_hash, row_ref, row_hash
    )
    stored = {
        "seq": seq,
        "at": at,
        "organisation_id": organisation_id,
        "actor_id": actor_id,
        "event": event,
        "subject": subject,
        "details": to_json(body),
        "prev_hash": prev_hash,
        "hash": digest,
        "row_ref": row_ref,
        "row_hash": row_hash,
    }
    _insert(db, "audit", stored)
    return AuditEntry(**{**stored, "details": body})


def record_event(
    db: DB, actor: User, event: str, subject: str, details: Mapping[str, Any] | None = None
) -> AuditEntry:
    """An audit entry for an action that changes no table (e.g. an export)."""
    with _write(db):
        return append_audit(db, actor.organisation_id, actor.id, event, subject, details)


def audit_entries(
    db: DB,
    organisation_id: int | None | object = ALL,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> Iterator[AuditEntry]:
    """Entries in seq order, streamed; one organisation's chain, or every chain with `ALL`."""
    where, params = (
        ("", []) if organisation_id is ALL else ("WHERE organisation_id IS ?", [organisation_id])
    )
    order = "DESC" if newest_first else "ASC"
    sql = f"SELECT * FROM audit {where} ORDER BY seq {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.conn.execute(sql, params)
    cursor.row_factory = sqlite3.Row
    for row in cursor:
        yield AuditEntry(
            row["seq"],
            row["at"],
            row["organisation_id"],
            row["actor_id"],
            row["event"],
            row["subject"],
            json.loads(row["details"]),
            row["prev_hash"],
            row["hash"],
            row["row_ref"],
            row["row_hash"],
        )


@contextmanager
def _snapshot(db: DB) -> Iterator[DB]:
    """One read transaction: every query inside sees the same committed state (WAL)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        db.conn.execute("COMMIT")


def verify_audit(db: DB, organisation_id: int | None | object = ALL) -> TrailReport:
    """The chain (or one organisation's) and every audited row against the entry recording it,
    read as one snapshot: a change committed meanwhile cannot look like a row without entry."""
    with _snapshot(db):
        chain = verify_chain(audit_entries(db, organisation_id))
        records = check_records(db.conn, organisation_id)
    return TrailReport(
        chain, records.problems, records.matched, records.unbound, records.unbound_last_seq
    )


def newest_seq(db: DB) -> int:
    return db.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0]


def chain_heads(db: DB) -> list[dict[str, Any]]:
    """Each chain's organisation, length, newest seq and hash, read as one consistent snapshot."""
    rows = _all(
        db,
        "SELECT a.organisation_id, n.length, a.seq, a.hash FROM audit a JOIN (SELECT "
        "organisation_id, count(*) AS length, max(seq) AS head FROM audit GROUP BY "
        "organisation_id) n ON a.seq = n.head ORDER BY a.organisation_id IS NOT NULL, "
        "a.organisation_id",
    )
    keys = (("organisation", "organisation_id"), ("length",) * 2, ("seq",) * 2, ("hash",) * 2)
    return [{key: row[column] for key, column in keys} for row in rows]


def chain_entry_at(db: DB, organisation_id: int | None, position: int) -> tuple[int, str] | None:
    """(seq, hash) of the entry at a 1-based position of one chain, or None past its end."""
    if position < 1:
        return None
    row = db.conn.execute(
        "SELECT seq, hash FROM audit WHERE organisation_id IS ? ORDER BY seq LIMIT 1 OFFSET ?",
        [organisation_id, position - 1],
    ).fetchone()
    return (row[0], row[1]) if row else None


# ---- organisations and staff -----------------------------------------------------------------


def _organisation(row: sqlite3.Row) -> Organisation:
    return Organisation(row["id"], row["slug"], row["name"], bool(row["four_eyes"]))


def create_organisation(db: DB, slug: str, name: str, *, four_eyes: bool = False) -> Organisation:
    with _write(db):
        if _one(db, "SELECT 1 FROM organisations WHERE slug = ?", [slug]):
            raise Conflict(N_("an organisation %(slug)s exists already", slug=repr(slug)))
        org_id = _insert(
            db,
            "organisations",
            {"slug": slug, "name": name, "four_eyes": int(four_eyes), "created_at": now()},
        )
        append_audit(
            db,
            org_id,
            None,
            "organisation_created",
            f"organisation:{org_id}",
            {"slug": slug, "four_eyes": four_eyes},
        )
    return get_organisation(db, org_id)


def get_organisation(db: DB, org_id: int) -> Organisation:
    row = _one(db, "SELECT * FROM organisations WHERE id = ?", [org_id])
    if row is None:
        raise NotFound(N_("no organisation %(organisation)s", organisation=org_id))
    return _organisation(row)


def find_organisation(db: DB, slug: str) -> Organisation:
    """For the command line and the seed, which act for the instance, not for a user."""
    row = _one(db, "SELECT * FROM organisations WHERE slug = ?", [slug])
    if row is None:
        raise NotFound(N_("no organisation %(organisation)s", organisation=repr(slug)))
    return _organisation(row)
