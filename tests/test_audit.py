"""The audit trail: canonical hashing, tamper detection at the exact entry, per-organisation chains,
no personal data in the chain, and erasure of a learner that leaves the chain valid."""

from __future__ import annotations

import dataclasses

import click
import pytest
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk import audit
from models.desk import cases as desk
from models.desk import reads as desk_read
from models.desk.audit import GENESIS, verify_chain
from models.desk.records import AuditEntry
from models.store import database as store
from tests.desk_builders import count, drop_guards, evaluated, make_org, open_enic, wallet
from views.cli.desk import desk_commands


@pytest.fixture
def two(db):
    """Two organisations, each with a decided case, so both chains have several entries."""
    a, b = make_org(db, "alpha"), make_org(db, "beta")
    for org, learner in ((a, "greta-nowak"), (b, "li-wei")):
        case = evaluated(db, org.officer, open_enic(db, org.officer, learner))
        desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "as proposed"})
    return a, b


def entry(seq: int, prev: str, org: int | None = 1, **changes) -> AuditEntry:
    fields = dict(at="2026-11-26T08:00:00.000000Z", organisation_id=org, actor_id=2,
                  event="case_created", subject=f"case:{seq}", details={"n": seq})  # fmt: skip
    fields.update(changes)
    digest = audit.entry_hash(seq, prev_hash=prev, **fields)
    return AuditEntry(seq=seq, prev_hash=prev, hash=digest, **fields)


def chain(n: int) -> list[AuditEntry]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        out.append(entry(seq, prev))
        prev = out[-1].hash
    return out


def test_the_hash_is_canonical():
    a = audit.entry_hash(1, "t", 1, 2, "e", "s", {"b": 1, "a": [1, "ü"]}, GENESIS)
    b = audit.entry_hash(1, "t", 1, 2, "e", "s", {"a": [1, "ü"], "b": 1}, GENESIS)
    assert a == b and len(a) == 64
    assert a != audit.entry_hash(1, "t", 1, 2, "e", "s", {"a": [1, "ü"], "b": 2}, GENESIS)


def test_a_good_chain_verifies():
    report = verify_chain(chain(5))
    assert report.ok and report.checked == 5 and "5 entries" in str(report)


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        (lambda c: c.__setitem__(2, dataclasses.replace(c[2], details={"n": 99})), 3, "hash"),
        (lambda c: c.__setitem__(2, dataclasses.replace(c[2], actor_id=7)), 3, "hash"),
        (lambda c: c.pop(2), 4, "prev_hash"),
        (lambda c: c.insert(1, c.pop(3)), 4, "prev_hash"),
        (lambda c: c.insert(3, c[2]), 3, "seq does not follow"),
        (lambda c: c.__setitem__(0, dataclasses.replace(c[0], prev_hash="f" * 64)), 1, "prev"),
    ],
    ids=["details", "actor", "removed", "reordered", "repeated", "genesis"],
)
def test_tampering_is_found_at_the_exact_entry(tamper, seq, reason):
    entries = chain(6)
    tamper(entries)
    report = verify_chain(entries)
    assert not report.ok and report.broken_seq == seq and reason in report.reason
    assert f"seq {seq}" in str(report)


def test_chains_of_organisations_interleave_and_verify_separately():
    a1 = entry(1, GENESIS, org=1)
    b1 = entry(2, GENESIS, org=2)
    a2 = entry(3, a1.hash, org=1)
    assert verify_chain([a1, b1, a2]).ok
    wrong = entry(3, b1.hash, org=1)  # linked into the other organisation's chain
    assert verify_chain([a1, b1, wrong]).broken_seq == 3


def test_every_state_change_is_in_the_trail(db, two):
    events = {e.event for e in store.audit_entries(db)}
    assert {
        "organisation_created",
        "user_created",
        "policy_published",
        "case_created",
        "snapshot_added",
        "case_status",
        "evaluation_stored",
        "decision_recorded",
    } <= events
    assert store.verify_audit(db).ok


def test_tampering_with_a_stored_row_is_reported_at_its_seq(db, two):
    a, b = two
    drop_guards(db)
    target = next(e for e in store.audit_entries(db, a.id) if e.event == "decision_recorded")
    db.conn.execute(
        "UPDATE audit SET details = json_set(details, '$.action', 'override') WHERE seq = ?",
        [target.seq],
    )
    report = store.verify_audit(db)
    assert (report.ok, report.broken_seq) == (False, target.seq)
    assert "altered" in report.reason
    assert not desk_read.verify_audit(db, a.admin).ok
    assert desk_read.verify_audit(db, b.admin).ok  # the other organisation's chain is intact


def test_a_removed_row_is_reported_at_the_next_entry_of_its_chain(db, two):
    a, _ = two
    drop_guards(db)
    seqs = [e.seq for e in store.audit_entries(db, a.id)]
    db.conn.execute("DELETE FROM audit WHERE seq = ?", [seqs[3]])
    report = desk_read.verify_audit(db, a.officer)
    assert report.broken_seq == seqs[4] and "removed" in report.reason


def test_no_personal_data_in_the_trail_and_erasure_keeps_it_valid(db, two):
    a, _ = two
    doc = wallet("greta-nowak")
    name, own_id = doc["learner"]["name"], doc["learner"]["id"]
    case = desk_read.case_file(db, a.viewer, 1)
    assert case.learner.display_name == name
    trail = "\n".join(f"{e.subject} {e.details}" for e in store.audit_entries(db))
    snapshots = "\n".join(r[0] for r in db.conn.execute("SELECT credentials FROM case_snapshots"))
    for personal in (name, own_id, a.officer.email):
        assert personal not in trail and personal not in snapshots
    assert case.case.learner_key in trail
    desk_admin.erase_learner(db, a.admin, case.case.learner_key)
    dump = "\n".join(db.conn.iterdump())
    assert name not in dump and own_id not in dump
    erased = desk_read.case_file(db, a.viewer, 1)
    assert erased.learner.display_name is None and erased.learner.erased_at
    assert erased.decisions  # the decision record stays, linked by the key
    report = store.verify_audit(db)
    assert report.ok, report
    assert "learner_erased" in {e.event for e in store.audit_entries(db)}


def test_exports_are_recorded(db, two):
    a, _ = two
    before = count(db, "audit")
    desk_read.export_case(db, a.viewer, 1)
    last = next(store.audit_entries(db, a.id, newest_first=True, limit=1))
    assert count(db, "audit") == before + 1 and last.event == "export"
    assert [e.seq for e in desk_admin.audit_log(db, a.viewer, limit=3)][0] == last.seq


def test_the_audit_verify_command(tmp_path, db):
    cli = click.Group(commands={c.name: c for c in desk_commands})
    path = tmp_path / "trail.sqlite"
    file_db = store.open_db(path)
    org = make_org(file_db, "alpha", policies=())
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", "verify", "--db", str(path)])
    assert result.exit_code == 0 and "ok" in result.output
    drop_guards(file_db)
    file_db.conn.execute("UPDATE audit SET subject = 'user:999' WHERE seq = 2")
    file_db.conn.commit()
    file_db.close()
    result = runner.invoke(cli, ["audit", "verify"], env={"CREDSTACK_DB": str(path)})
    assert result.exit_code == 1
    assert "broken at seq 2" in result.output and org.id
