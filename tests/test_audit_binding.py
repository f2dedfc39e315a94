"""Each audit entry binds the row it records: what is bound, rows that change with an entry of
their own (a completion date, a deactivated user) or without one (tokens revoked with their
user), the report per organisation and on the audit page, and databases from before binding."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

import click
import pytest
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk import audit, drafts, staff
from models.desk import cases as desk
from models.desk import issued_credentials as issued
from models.desk import letters as desk_letters
from models.desk import organisation as desk_org
from models.desk import reads as desk_read
from models.desk.audit import GENESIS, verify_chain
from models.desk.records import AuditEntry
from models.errors import Forbidden
from models.store import database as store
from models.store import users as store_users
from models.store.bindings import EVENTS, TABLES
from models.store.schema import MIGRATIONS
from tests.desk_builders import (
    ENGINE,
    FAST,
    count,
    drop_guards,
    evaluated,
    make_org,
    open_enic,
    wallet,
)
from tests.web_fixtures import browsers, build_app
from views.cli.desk import desk_commands

AS_COMPLETE = dt.date(2026, 9, 20)


@pytest.fixture
def busy(db):
    """Every kind of audited change: four-eyes decisions, evidence with a completion date,
    tokens issued and revoked, users deactivated and reactivated, a learner erased, an export, a
    failed login."""
    a, b = make_org(db, "alpha", four_eyes=True), make_org(db, "beta")
    case = evaluated(db, a.officer, open_enic(db, a.officer, "greta-nowak"))
    desk.add_evidence(db, a.officer, case.id, wallet("greta-nowak"), complete_on=AS_COMPLETE)
    desk.evaluate_case(db, a.officer, case.id, ENGINE)
    desk.assign_case(db, a.officer, case.id, a.officer.id)
    returned = desk.decide(db, a.officer, case.id, {"action": "accept", "justification": "ok"})
    desk.return_decision(db, a.officer2, returned.id, "the workload finding needs a source")
    decision = desk.decide(db, a.officer, case.id, {"action": "accept", "justification": "ok"})
    desk.confirm(db, a.officer2, decision.id)
    desk_org.update_settings(db, a.admin, {"name": "Alpha Office", "signatory_name": "A. Signer"})
    desk_letters.issue_letter(db, a.officer, decision.id, language="sv", purpose="decision",
                              pdf=b"%PDF-1.7 letter")  # fmt: skip
    issued.issue_credential(db, a.officer, decision.id, "foreign-data-analysis",
                            issued.load_issuer_key(None))  # fmt: skip
    kept, _ = desk_admin.issue_api_token(db, a.officer, "kept")
    revoked, _ = desk_admin.issue_api_token(db, a.officer, "revoked")
    desk_admin.revoke_api_token(db, a.officer, revoked)
    desk_admin.issue_api_token(db, a.viewer, "of a user deactivated later")
    in_a_month = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    desk_admin.issue_api_token(db, a.officer, "read only", scopes=("read",), expires_at=in_a_month)
    staff.change_role(db, a.admin, a.officer2.id, "viewer")
    staff.reset_password(db, None, a.officer2.id, organisation_id=a.id, hasher=FAST)
    desk_admin.deactivate_user(db, a.admin, a.viewer.id)
    desk_admin.deactivate_user(db, a.admin, a.officer2.id)
    store_users.set_user_active(db, a.admin, a.officer2.id, True)
    draft = drafts.new_draft(db, a.admin)  # drafts: created, saved, deleted, published
    drafts.save_draft(db, a.admin, draft.id, drafts.TEMPLATE.replace("my-policy", "alpha-draft"))
    drafts.delete_draft(db, a.admin, drafts.new_draft(db, a.admin).id)
    drafts.publish_draft(db, a.admin, draft.id)
    other = evaluated(db, b.officer, open_enic(db, b.officer, "li-wei"))
    desk_admin.erase_learner(db, b.admin, other.learner_key)
    desk_read.export_case(db, b.viewer, other.id)
    with pytest.raises(Forbidden):
        desk_admin.authenticate(db, b.viewer.email, "wrong password", hasher=FAST)
    return a, b, case, decision, kept


def test_every_audited_row_is_bound_to_the_entry_that_recorded_it(db, busy):
    report = store.verify_audit(db)
    assert report.ok and report.problems == () and report.unbound == 0, report
    assert report.matched == sum(count(db, table) for table in TABLES)
    assert all(count(db, table) for table in TABLES)  # every bound table was exercised
    events = set()
    for entry in store.audit_entries(db):
        events.add(entry.event)
        bound = entry.event in EVENTS
        assert (entry.row_ref is not None, entry.row_hash is not None) == (bound, bound), entry
    assert events >= set(EVENTS) | {"export", "login_failed", "learner_erased"}
    assert "records ok" in str(report) and str(report).startswith("audit chain ok")


def test_the_binding_is_inside_the_entry_hash():
    plain = audit.entry_hash(1, "t", 1, 2, "e", "s", {}, GENESIS)
    bound = audit.entry_hash(1, "t", 1, 2, "e", "s", {}, GENESIS, "decisions:1", "a" * 64)
    assert plain != bound
    assert bound != audit.entry_hash(1, "t", 1, 2, "e", "s", {}, GENESIS, "decisions:1", "b" * 64)
    entry = AuditEntry(1, "t", 1, 2, "e", "s", {}, GENESIS, bound, "decisions:1", "a" * 64)
    assert verify_chain([entry]).ok
    swapped = dataclasses.replace(entry, row_hash="b" * 64)
    assert not verify_chain([swapped]).ok and "altered" in verify_chain([swapped]).reason


def problems_of(db):
    return [str(p) for p in store.verify_audit(db).problems]


def test_a_changed_completion_date_is_caught(db, busy):
    a, _, case, _, _ = busy
    drop_guards(db)
    db.conn.execute("UPDATE cases SET complete_on = '2026-12-31' WHERE id = ?", [case.id])
    assert problems_of(db) == [
        f"cases row {case.id} (organisation {a.id}): its content differs from what entry "
        f"{last_entry(db, f'cases:{case.id}')} recorded"
    ]


def last_entry(db, row_ref: str) -> int:
    return max(e.seq for e in store.audit_entries(db) if e.row_ref == row_ref)


def test_tokens_revoked_with_their_user_match_and_un_revoking_one_is_caught(db, busy):
    a, *_ = busy
    revoked_with_user = db.conn.execute(
        "SELECT id FROM api_tokens WHERE user_id = ? AND revoked_at IS NOT NULL", [a.viewer.id]
    ).fetchone()[0]
    assert store.verify_audit(db).ok  # revoked after its newest entry: allowed
    revoked_by_entry = db.conn.execute(
        "SELECT id FROM api_tokens WHERE name = 'revoked'"
    ).fetchone()[0]
    db.conn.execute(
        "UPDATE api_tokens SET revoked_at = NULL WHERE id IN (?, ?)",
        [revoked_with_user, revoked_by_entry],
    )
    found = problems_of(db)
    assert len(found) == 1 and found[0].startswith(f"api_tokens row {revoked_by_entry} ")
    # The token revoked with its user has no entry saying so, and un-revoking it shows nowhere;
    # but it stays useless while its user is deactivated, and reactivating the user is caught.
    db.conn.execute("UPDATE users SET active = 1 WHERE id = ?", [a.viewer.id])
    assert f"users row {a.viewer.id} (organisation {a.id}): its content differs" in "\n".join(
        problems_of(db)
    )


def test_a_planted_token_hash_is_caught(db, busy):
    a, _, _, _, kept = busy
    db.conn.execute("UPDATE api_tokens SET token_hash = ? WHERE id = ?", ["0" * 64, kept])
    assert [p for p in problems_of(db) if p.startswith(f"api_tokens row {kept} ")]


def test_an_entry_whose_row_is_gone_is_reported(db, busy):
    a, *_ = busy
    drop_guards(db)
    event_id = db.conn.execute("SELECT max(id) FROM case_events").fetchone()[0]
    organisation = db.conn.execute(
        "SELECT c.organisation_id FROM case_events e JOIN cases c ON c.id = e.case_id "
        "WHERE e.id = ?",
        [event_id],
    ).fetchone()[0]
    db.conn.execute("DELETE FROM case_events WHERE id = ?", [event_id])
    seq = last_entry(db, f"case_events:{event_id}")
    assert problems_of(db) == [
        f"case_events row {event_id} (organisation {organisation}): entry {seq} records it, "
        "but the row is gone"
    ]


def test_each_organisation_sees_only_its_own_records(db, busy):
    a, b, _, decision, _ = busy
    drop_guards(db)
    db.conn.execute("UPDATE decisions SET justification = 'x' WHERE id = ?", [decision.id])
    mine = desk_read.verify_audit(db, a.admin)
    assert not mine.ok and mine.chain.ok and mine.broken_seq is None
    assert mine.reason.startswith("1 record(s) do not match the trail; first: decisions row")
    assert desk_read.verify_audit(db, b.viewer).ok
    assert desk_read.verify_audit(db, b.viewer).reason == ""


def test_the_audit_page_names_a_record_that_does_not_match(tmp_path):
    built = build_app(tmp_path, AUDIT_CHECKPOINT_DIR="")
    db = built.db()
    try:
        case = evaluated(db, built.a.officer, open_enic(db, built.a.officer, "greta-nowak"))
        done = desk.decide(
            db, built.a.officer, case.id, {"action": "accept", "justification": "ok"}
        )
        drop_guards(db)
        db.conn.execute("UPDATE decisions SET outcomes = '{}' WHERE id = ?", [done.id])
    finally:
        db.close()
    page = browsers(built)(built.a.viewer).get("/audit").get_data(as_text=True)
    assert "Chain verified" in page and "1 record(s) do not match the trail" in page
    assert f"decisions row {done.id} (organisation {built.a.id})" in page
    assert "Greta" not in page


# ---- a database from before binding -------------------------------------------------------------


def legacy_copy(source: store.DB, path) -> None:
    """The database as the code before binding wrote it: the same rows, entries without row
    digests and hashed without them, schema up to migration 0002."""
    old = store.open_db(path, migrate=False)
    with store.transaction(old):
        MIGRATIONS.apply(old, stop_before="0003_audit_binds_records")
    old.close()
    conn = sqlite3.connect(path)
    conn.execute("ATTACH ? AS src", [source_path(source)])
    tables = ["organisations", "users", "api_tokens", "sessions", "policies", "learners", "cases"]
    tables += ["case_snapshots", "case_events", "evaluations", "decisions"]
    for table in tables:  # the columns of the old schema (later migrations added some)
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table}")
    heads: dict = {}
    for e in store.audit_entries(source):
        prev = heads.get(e.organisation_id, GENESIS)
        digest = audit.entry_hash(
            e.seq, e.at, e.organisation_id, e.actor_id, e.event, e.subject, e.details, prev
        )
        conn.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [e.seq, e.at, e.organisation_id, e.actor_id, e.event, e.subject,
             audit.canonical(dict(e.details)), prev, digest],
        )  # fmt: skip
        heads[e.organisation_id] = digest
    conn.commit()
    conn.close()


def source_path(db: store.DB) -> str:
    return db.conn.execute("PRAGMA database_list").fetchone()[2]


def test_a_database_from_before_binding_upgrades_with_its_entries_not_bound(tmp_path):
    source = store.open_db(tmp_path / "source.sqlite")
    a = make_org(source, "alpha")
    case = evaluated(source, a.officer, open_enic(source, a.officer, "greta-nowak"))
    old_entries = count(source, "audit")
    legacy_copy(source, tmp_path / "old.sqlite")
    source.close()

    db = store.open_db(tmp_path / "old.sqlite")  # migration 0003 applied here
    report = store.verify_audit(db)
    assert report.ok and report.matched == 0 and report.unbound == old_entries, report
    assert f"not bound (written before binding): {old_entries} entries" in str(report)

    decision = desk.decide(db, a.officer, case.id, {"action": "accept", "justification": "ok"})
    new = [e for e in store.audit_entries(db) if e.seq > old_entries]
    assert new and all(e.row_ref and e.row_hash for e in new)
    report = store.verify_audit(db)
    assert report.ok and report.matched == len(new) and report.unbound == old_entries

    drop_guards(db)
    db.conn.execute("UPDATE decisions SET justification = 'x' WHERE id = ?", [decision.id])
    db.conn.execute(
        "INSERT INTO decisions (case_id, organisation_id, action, kind, officer_id, decided_at, "
        "policy_id, policy_version, request_digest) SELECT case_id, organisation_id, 'accept', "
        "'initial', officer_id, decided_at, policy_id, policy_version, 'x' FROM decisions"
    )
    db.close()
    cli = click.Group(commands={c.name: c for c in desk_commands})
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", str(tmp_path / "old.sqlite")])
    assert result.exit_code == 1
    assert (
        f"decisions row {decision.id} (organisation {a.id}): its content differs" in result.output
    )
    assert f"decisions row {decision.id + 1} (organisation {a.id}): no audit entry" in result.output
    assert "not bound (written before binding)" in result.output
