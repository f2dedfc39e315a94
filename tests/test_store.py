"""Contract tests of the store: pragmas, the IMMEDIATE write transaction, append-only tables,
policies, staff, sessions and tokens — all through the store's public functions."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.errors import Conflict, Forbidden, NotFound
from models.store import database as store
from models.store import policies as store_policies
from models.store.schema import APPEND_ONLY
from tests.desk_builders import (
    FAST,
    PASSWORD,
    UNIVERSITY,
    count,
    evaluated,
    make_org,
    open_enic,
    policy_document,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def file_db(tmp_path):
    database = store.open_db(tmp_path / "desk.sqlite")
    yield database
    database.close()


@pytest.fixture
def org(db):
    return make_org(db, "alpha")


def test_file_database_has_the_pragmas_of_a_legal_record(file_db):
    pragma = lambda name: file_db.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == store.BUSY_TIMEOUT_MS


def test_every_table_is_strict(db):
    rows = db.conn.execute("PRAGMA table_list").fetchall()
    ours = {r[1]: r[5] for r in rows if r[0] == "main" and not r[1].startswith(("sqlite_", "_"))}
    # with the login throttle's two (0004), batches (0005) and the queue's three (0007)
    assert {"login_failures", "login_waits", "batches"} <= set(ours)
    assert {"case_assignments", "decision_returns", "case_queue"} <= set(ours)
    assert all(ours.values()), ours


def test_migrations_apply_once(tmp_path):
    for _ in range(2):
        store.open_db(tmp_path / "m.sqlite").close()
    check = store.open_db(tmp_path / "m.sqlite")
    from models.store.schema import MIGRATIONS

    assert count(check, "_sqlite_migrations") == len(MIGRATIONS._migrations)
    check.close()


def test_every_write_begins_immediate(db, org):
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    case = open_enic(db, org.officer, "greta-nowak")
    evaluated(db, org.officer, case)
    desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "partial: ok"})
    db.conn.set_trace_callback(None)
    inside = False
    writes = 0
    for sql in statements:
        head = sql.strip().split()[0].upper()
        assert sql.strip().upper() != "BEGIN" and not sql.upper().startswith("BEGIN DEFERRED")
        if sql.upper().startswith("BEGIN IMMEDIATE"):
            assert not inside
            inside = True
        elif head in ("COMMIT", "ROLLBACK"):
            inside = False
        elif head in ("INSERT", "UPDATE", "DELETE"):
            assert inside, sql
            writes += 1
    assert writes >= 10 and not inside


def test_a_deferred_upgrade_fails_where_the_immediate_write_succeeds(tmp_path):
    """The failure BEGIN IMMEDIATE exists for: read in a deferred transaction, another
    connection commits, the upgrade to a write fails at once whatever the busy timeout."""
    path = tmp_path / "lock.sqlite"
    first, second = store.open_db(path), store.open_db(path)
    org = make_org(first, "alpha", policies=())
    raw = sqlite3.connect(path, timeout=5, isolation_level=None)
    raw.execute("BEGIN")  # deferred
    raw.execute("SELECT count(*) FROM audit").fetchone()
    store.record_event(second, org.admin, "export", "case:0")  # commits meanwhile
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        raw.execute("INSERT INTO organisations (slug, name, created_at) VALUES ('x', 'x', 'x')")
    raw.execute("ROLLBACK")
    raw.close()
    store.record_event(first, org.admin, "export", "case:0")  # the store's way simply works
    assert store.verify_audit(first).ok
    first.close()
    second.close()


def test_a_writer_waits_for_the_lock_instead_of_failing(tmp_path):
    path = tmp_path / "wait.sqlite"
    db = store.open_db(path)
    org = make_org(db, "alpha", policies=())
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.perf_counter()
    store.record_event(db, org.admin, "export", "case:0")
    waited = time.perf_counter() - started
    release.join()
    holder.close()
    db.close()
    assert waited >= 0.2


def test_the_store_refuses_to_join_a_deferred_transaction(db, org):
    db.conn.execute("BEGIN")
    with pytest.raises(RuntimeError, match="not begun by the store"):
        store.record_event(db, org.admin, "export", "case:0")
    db.conn.execute("ROLLBACK")


def test_a_failed_transaction_leaves_nothing(db, org):
    before = count(db, "audit")
    with pytest.raises(ZeroDivisionError), store.transaction(db):
        store.record_event(db, org.admin, "export", "case:1")
        1 / 0  # noqa: B018
    assert count(db, "audit") == before
    with pytest.raises(RuntimeError, match="inside the change"):
        store.append_audit(db, org.id, None, "export", "case:1")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_tables_refuse_update_and_delete(db, org, table):
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "ok"})
    assert count(db, table) > 0
    column = db.conn.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()[1][0]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute(f"UPDATE {table} SET {column} = {column}")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute(f"DELETE FROM {table}")
    db.conn.rollback()


def test_cases_keep_their_facts_and_learners_are_never_deleted(db, org):
    case = open_enic(db, org.officer, "greta-nowak")
    with pytest.raises(sqlite3.IntegrityError, match="keeps its learner"):
        db.conn.execute("UPDATE cases SET policy_version = 'x' WHERE id = ?", [case.id])
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.conn.execute("DELETE FROM cases")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.conn.execute("DELETE FROM learners")
    db.conn.rollback()


def test_strict_columns_refuse_the_wrong_type(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO organisations (slug, name, four_eyes, created_at) VALUES "
            "('x', 'X', 'yes', 'now')"
        )
    db.conn.rollback()


def test_timestamps_are_iso_utc_with_microseconds(db, org):
    entries = list(store.audit_entries(db))
    assert entries and all(TIMESTAMP.match(e.at) for e in entries)
    assert TIMESTAMP.match(org.officer.created_at)


def test_publishing_is_immutable_and_idempotent(db, org):
    document = policy_document(UNIVERSITY)
    audit_before = count(db, "audit")
    again = desk_admin.publish_policy(db, org.admin, document)
    assert count(db, "audit") == audit_before  # same content: the stored version, no new entry
    changed = dict(document, title="Another title")
    with pytest.raises(Conflict, match="new version"):
        desk_admin.publish_policy(db, org.admin, changed)
    later = {"version": "2027.1", "effective_from": "2028-01-01", "effective_to": "2028-12-31"}
    newer = desk_admin.publish_policy(db, org.admin, dict(changed, **later))  # periods apart
    assert newer.digest != again.digest and newer.version == "2027.1"
    assert again.document["effective_from"] == "2026-01-01"  # YAML dates stored as JSON text
    versions = [(p.policy_id, p.version) for p in desk_admin.list_policies(db, org.viewer)]
    assert ("malarvik-msc-ds-credit", "2027.1") in versions


def test_the_version_in_force_is_chosen_by_date(db, org):
    document = dict(policy_document(UNIVERSITY), version="2028.1", effective_from="2028-01-01")
    document.pop("effective_to")
    desk_admin.publish_policy(db, org.admin, document)
    for day, expected in (("2026-09-01", "2026.1"), ("2028-03-01", "2028.1")):
        found = store_policies.policies_in_force(
            db, org.id, "credit", __import__("datetime").date.fromisoformat(day)
        )
        assert [p.version for p in found] == [expected]


def test_passwords_are_argon2id_and_failures_are_audited_without_the_address(db, org):
    stored = db.conn.execute("SELECT password_hash FROM users WHERE id = ?", [org.officer.id])
    assert stored.fetchone()[0].startswith("$argon2id$")
    assert desk_admin.authenticate(db, "OFFICER@alpha.test", PASSWORD, hasher=FAST) == org.officer
    for email in ("officer@alpha.test", "nobody@alpha.test"):
        with pytest.raises(Forbidden, match="wrong e-mail address or password"):
            desk_admin.authenticate(db, email, "wrong password!", hasher=FAST)
    failures = [e for e in store.audit_entries(db) if e.event == "login_failed"]
    assert [(f.subject, f.details["reason"]) for f in failures] == [
        (f"user:{org.officer.id}", "bad_password"),
        ("user:unknown", "unknown_user"),
    ]
    dump = "\n".join(db.conn.iterdump())
    assert "nobody@alpha.test" not in dump


def test_sessions_are_server_side_and_revocable(db, org):
    token = desk_admin.start_session(db, org.officer)
    assert len(token) >= 43 and token not in "\n".join(db.conn.iterdump())
    assert desk_admin.session_user(db, token) == org.officer
    desk_admin.end_session(db, token)
    assert desk_admin.session_user(db, token) is None
    expired = desk_admin.start_session(db, org.officer, ttl=-__import__("datetime").timedelta(1))
    assert desk_admin.session_user(db, expired) is None
    live = desk_admin.start_session(db, org.viewer)
    desk_admin.deactivate_user(db, org.admin, org.viewer.id)
    assert desk_admin.session_user(db, live) is None


def test_api_tokens_are_hashed_and_revocable_within_the_organisation(db, org):
    other = make_org(db, "beta", policies=())
    token_id, token = desk_admin.issue_api_token(db, org.officer, "batch import")
    assert token not in "\n".join(db.conn.iterdump())
    assert desk_admin.api_token_user(db, token) == org.officer
    with pytest.raises(NotFound):
        desk_admin.revoke_api_token(db, org.viewer, token_id)  # not theirs, not an admin
    with pytest.raises(NotFound):
        desk_admin.revoke_api_token(db, other.admin, token_id)  # another organisation
    desk_admin.revoke_api_token(db, org.admin, token_id)
    assert desk_admin.api_token_user(db, token) is None


def test_e_mail_addresses_are_unique_across_organisations(db, org):
    data = {"email": "Officer@alpha.test", "display_name": "x", "role": "viewer",
            "password": PASSWORD}  # fmt: skip
    with pytest.raises(Conflict):
        desk_admin.create_user(db, None, data, organisation="alpha", hasher=FAST)


def test_a_database_file_holds_what_was_committed(tmp_path):
    path = Path(tmp_path / "again.sqlite")
    db = store.open_db(path)
    org = make_org(db, "alpha")
    open_enic(db, org.officer, "greta-nowak")
    db.close()
    reopened = store.open_db(path)
    assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert count(reopened, "cases") == 1 and store.verify_audit(reopened).ok
    reopened.close()
