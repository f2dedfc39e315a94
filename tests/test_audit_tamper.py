"""Tampering with the database file, the way someone holding the file would, caught by
`credstack audit verify`: records rewritten, forged or removed behind the desk's back (the trail
binds each row's digest), and the trail itself cut short or rewritten and hashed anew (a signed
checkpoint kept elsewhere). The attacker here has the file, the sqlite3 module and the source
code: they drop the append-only triggers (and put them back), and recompute hashes as the code
does. They do not have the audit key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.desk import cases as desk
from models.desk import reads as desk_read
from models.store import database as store
from tests.desk_builders import Org, evaluated, make_org, open_enic, wallet
from views.cli.desk import desk_commands

GENESIS = "0" * 64
LEARNERS = ("greta-nowak", "li-wei")


def new_key() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


KEY, OTHER_KEY = new_key(), new_key()


@dataclass
class Trail:
    path: Path
    a: Org
    b: Org
    decision_a: int
    decision_b: int
    personal: tuple[str, ...]  # learners' names and own ids: never in any output


@pytest.fixture
def trail(tmp_path: Path) -> Trail:
    """Two organisations with a decided case each; then beta's and alpha's exports, so the newest
    entry of beta's chain is not the newest entry of the trail."""
    path = tmp_path / "desk.sqlite"
    db = store.open_db(path)
    try:
        a, b = make_org(db, "alpha"), make_org(db, "beta")
        decisions = []
        for org, learner in zip((a, b), LEARNERS, strict=True):
            case = evaluated(db, org.officer, open_enic(db, org.officer, learner))
            data = {"action": "accept", "justification": "ok"}
            decisions.append(desk.decide(db, org.officer, case.id, data).id)
        desk_read.export_case(db, b.viewer, 2)
        desk_read.export_case(db, a.viewer, 1)
    finally:
        db.close()
    personal = tuple(
        value for name in LEARNERS for value in wallet(name)["learner"].values() if value
    )
    return Trail(path, a, b, decisions[0], decisions[1], personal)


# ---- the tools: the command line, and the attacker's hands on the file ------------------------


def run(trail: Trail, *args: str, key: str = KEY) -> Result:
    cli = click.Group(commands={c.name: c for c in desk_commands})
    env = {"CREDSTACK_DB": str(trail.path), "CREDSTACK_AUDIT_KEY": key}
    result = CliRunner().invoke(cli, ["audit", *args], env=env)
    for value in trail.personal:
        assert value not in result.output
    return result


def verify(trail: Trail, *checkpoints: Path, key: str = KEY) -> Result:
    args = [a for c in checkpoints for a in ("--checkpoint", str(c))]
    return run(trail, "verify", *args, key=key)


def checkpoint(trail: Trail, name: str = "checkpoint.json") -> Path:
    out = trail.path.parent / "elsewhere" / name
    out.parent.mkdir(exist_ok=True)
    result = run(trail, "checkpoint", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@contextmanager
def attacker(trail: Trail) -> Iterator[sqlite3.Connection]:
    """The file opened with plain sqlite3; the guarding triggers dropped, then put back."""
    conn = sqlite3.connect(trail.path)
    conn.row_factory = sqlite3.Row
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for trigger in triggers:
        conn.execute(f"DROP TRIGGER {trigger['name']}")
    try:
        yield conn
        for trigger in triggers:
            conn.execute(trigger["sql"])
        conn.commit()
    finally:
        conn.close()


def entries(conn: sqlite3.Connection, org: int | None = None) -> list[sqlite3.Row]:
    where = "" if org is None else f"WHERE organisation_id = {int(org)}"
    return conn.execute(f"SELECT * FROM audit {where} ORDER BY seq").fetchall()


def entry_of(conn: sqlite3.Connection, event: str, org: int) -> sqlite3.Row:
    return next(e for e in entries(conn, org) if e["event"] == event)


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_digest(entry: dict) -> str:
    """An entry's hash, computed as the source code computes it."""
    body = {
        "seq": entry["seq"],
        "at": entry["at"],
        "organisation": entry["organisation_id"],
        "actor": entry["actor_id"],
        "event": entry["event"],
        "subject": entry["subject"],
        "details": json.loads(entry["details"]),
        "prev_hash": entry["prev_hash"],
    }
    if entry.get("row_ref") is not None or entry.get("row_hash") is not None:
        body["row"], body["row_hash"] = entry["row_ref"], entry["row_hash"]
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def rechain(conn: sqlite3.Connection, from_seq: int) -> None:
    """Hash every entry from `from_seq` on anew, each chain linked to its rewritten predecessor."""
    heads: dict[int | None, str] = {}
    for row in entries(conn):
        entry = dict(row)
        if entry["seq"] >= from_seq:
            entry["prev_hash"] = heads.get(entry["organisation_id"], GENESIS)
            entry["hash"] = entry_digest(entry)
            conn.execute(
                "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                [entry["prev_hash"], entry["hash"], entry["seq"]],
            )
        heads[entry["organisation_id"]] = entry["hash"]


def caught(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "NOT verified" in result.output
    for word in words:
        assert word in result.output, result.output


# ---- a clean trail --------------------------------------------------------------------------


def test_a_clean_trail_verifies_with_and_without_a_checkpoint(trail):
    plain = verify(trail)
    assert plain.exit_code == 0 and "audit trail verified" in plain.output, plain.output
    assert "records ok" in plain.output
    result = verify(trail, checkpoint(trail))
    assert result.exit_code == 0, result.output
    assert "ok, all 2 chains hold every entry up to it" in result.output


# ---- the records: caught by the digest each entry binds -------------------------------------


def test_tamper_a_an_edited_justification_is_caught(trail):
    name = wallet(LEARNERS[0])["learner"]["name"]
    with attacker(trail) as conn:
        conn.execute(
            "UPDATE decisions SET justification = ? WHERE id = ?",
            [f"{name} met every condition in person", trail.decision_a],
        )
    caught(
        verify(trail), f"decisions row {trail.decision_a} (organisation {trail.a.id})", "differs"
    )


def test_tamper_b_a_rewritten_action_and_outcomes_are_caught(trail):
    with attacker(trail) as conn:
        outcomes = json.loads(
            conn.execute(
                "SELECT outcomes FROM decisions WHERE id = ?", [trail.decision_b]
            ).fetchone()[0]
        )
        conn.execute(
            "UPDATE decisions SET action = 'override', exception_type = 'refuse', outcomes = ? "
            "WHERE id = ?",
            [canonical(dict.fromkeys(outcomes, "refused")), trail.decision_b],
        )
    caught(
        verify(trail), f"decisions row {trail.decision_b} (organisation {trail.b.id})", "differs"
    )


def test_tamper_c_a_forged_decision_row_is_caught(trail):
    with attacker(trail) as conn:
        columns = [c[1] for c in conn.execute("PRAGMA table_info(decisions)") if c[1] != "id"]
        names = ", ".join(columns)
        forged = conn.execute(
            f"INSERT INTO decisions ({names}) SELECT {names} FROM decisions WHERE id = ?",
            [trail.decision_a],
        ).lastrowid
        conn.execute(
            "UPDATE decisions SET outcomes = ?, justification = '' WHERE id = ?",
            [canonical({"foreign-data-analysis": "full"}), forged],
        )
    caught(verify(trail), f"decisions row {forged} (organisation {trail.a.id})", "no audit entry")


def test_tamper_d_a_rewritten_policy_version_is_caught(trail):
    with attacker(trail) as conn:
        row = conn.execute(
            "SELECT id, document FROM policies WHERE organisation_id = ? AND document LIKE ? "
            "ORDER BY id LIMIT 1",
            [trail.a.id, '%"op": "gte"%'],
        ).fetchone()
        loosened = row["document"].replace('"op": "gte"', '"op": "gt"', 1)
        conn.execute("UPDATE policies SET document = ? WHERE id = ?", [loosened, row["id"]])
    caught(verify(trail), f"policies row {row['id']} (organisation {trail.a.id})", "differs")


def test_tamper_e_a_rewritten_credential_snapshot_is_caught(trail):
    with attacker(trail) as conn:
        row = conn.execute("SELECT * FROM case_snapshots ORDER BY id LIMIT 1").fetchone()
        credentials = json.loads(row["credentials"])
        credentials["credentials"][0]["eqf_level"] = 8
        text = canonical(credentials)
        digest = hashlib.sha256(text.encode()).hexdigest()  # the snapshot's own digest fits
        conn.execute(
            "UPDATE case_snapshots SET credentials = ?, digest = ? WHERE id = ?",
            [text, digest, row["id"]],
        )
    caught(verify(trail), f"case_snapshots row {row['id']} (organisation {trail.a.id})", "differs")


# ---- the trail itself: cut short or rewritten, caught by a signed checkpoint ----------------


def test_tamper_f_the_newest_entries_removed_with_their_records_are_caught_by_a_checkpoint(trail):
    saved = checkpoint(trail)
    with attacker(trail) as conn:
        newest = entries(conn)[-4:]  # two exports, beta's decision and its status change
        for entry in newest:
            table, _, row_id = (entry["row_ref"] or "").partition(":")
            if table:
                conn.execute(f"DELETE FROM {table} WHERE id = ?", [int(row_id)])
            conn.execute("DELETE FROM audit WHERE seq = ?", [entry["seq"]])
    assert verify(trail).exit_code == 0  # a chain cannot see its own end cut off
    caught(
        verify(trail, saved),
        f"organisation {trail.a.id}: the chain has",
        f"organisation {trail.b.id}: the chain has",
        "entries were removed",
    )


def test_tamper_g_one_organisations_newest_entry_removed_is_caught_by_a_checkpoint(trail):
    saved = checkpoint(trail)
    with attacker(trail) as conn:
        last_of_b = entries(conn, trail.b.id)[-1]
        assert last_of_b["seq"] < entries(conn)[-1]["seq"]  # not the trail's newest entry
        conn.execute("DELETE FROM audit WHERE seq = ?", [last_of_b["seq"]])
    assert verify(trail).exit_code == 0
    result = verify(trail, saved)
    caught(result, f"organisation {trail.b.id}: the chain has", "entries were removed")
    assert f"organisation {trail.a.id}:" not in result.output  # the other chain is intact


def test_tamper_h_a_rewritten_entry_with_every_later_hash_recomputed_is_caught_by_a_checkpoint(
    trail,
):
    saved = checkpoint(trail)
    with attacker(trail) as conn:
        target = entry_of(conn, "decision_recorded", trail.a.id)
        details = json.loads(target["details"])
        details["outcomes"] = dict.fromkeys(details["outcomes"], "full")
        conn.execute(
            "UPDATE audit SET details = ? WHERE seq = ?", [canonical(details), target["seq"]]
        )
        rechain(conn, target["seq"])
    assert verify(trail).exit_code == 0  # every link and every record fits the rewritten chain
    caught(verify(trail, saved), f"organisation {trail.a.id}: entry", "removed or rewritten")


def test_tamper_h_a_rewritten_record_its_digest_and_every_later_hash_caught_by_a_checkpoint(
    trail,
):
    from models.desk.audit import row_digest
    from models.store.bindings import TABLES

    saved = checkpoint(trail)
    with attacker(trail) as conn:
        target = entry_of(conn, "decision_recorded", trail.a.id)
        conn.execute(
            "UPDATE decisions SET justification = 'forged' WHERE id = ?", [trail.decision_a]
        )
        columns = TABLES["decisions"].columns
        row = conn.execute(
            f"SELECT {', '.join(columns)} FROM decisions WHERE id = ?", [trail.decision_a]
        ).fetchone()
        conn.execute(
            "UPDATE audit SET row_hash = ? WHERE seq = ?",
            [row_digest("decisions", dict(zip(columns, row, strict=True))), target["seq"]],
        )
        rechain(conn, target["seq"])
    assert verify(trail).exit_code == 0
    caught(verify(trail, saved), f"organisation {trail.a.id}: entry", "removed or rewritten")


def test_tamper_i_a_removed_middle_entry_is_caught_and_its_record_named(trail):
    with attacker(trail) as conn:
        target = entry_of(conn, "decision_recorded", trail.a.id)
        following = next(e for e in entries(conn, trail.a.id) if e["seq"] > target["seq"])
        conn.execute("DELETE FROM audit WHERE seq = ?", [target["seq"]])
    caught(
        verify(trail),
        f"broken at seq {following['seq']}",
        f"decisions row {trail.decision_a} (organisation {trail.a.id}): no audit entry",
    )


# ---- the checkpoint itself ------------------------------------------------------------------


def truncate_beta(trail: Trail) -> None:
    with attacker(trail) as conn:
        conn.execute("DELETE FROM audit WHERE seq = ?", [entries(conn, trail.b.id)[-1]["seq"]])


def test_a_checkpoint_altered_to_fit_a_cut_trail_is_refused(trail):
    saved = checkpoint(trail)
    truncate_beta(trail)
    with attacker(trail) as conn:
        head = entries(conn, trail.b.id)[-1]
    document = json.loads(saved.read_text())
    chain = next(c for c in document["checkpoint"]["chains"] if c["organisation"] == trail.b.id)
    chain.update(length=chain["length"] - 1, seq=head["seq"], hash=head["hash"])
    saved.write_text(json.dumps(document))
    caught(verify(trail, saved), "signature is not valid")


def test_a_checkpoint_signed_with_another_key_is_refused(trail):
    truncate_beta(trail)
    forged = checkpoint(trail)  # signed after the cut, but with the attacker's key
    caught(verify(trail, forged, key=OTHER_KEY), "not with the configured key")
    document = json.loads(forged.read_text())
    document["checkpoint"]["key_id"] = "0" * 16  # claiming another key does not help
    forged.write_text(json.dumps(document))
    caught(verify(trail, forged), "not with the configured key")


def test_a_checkpoint_verifies_with_the_public_key_alone(trail):
    saved = checkpoint(trail)
    public = Ed25519PrivateKey.from_private_bytes(base64.b64decode(KEY)).public_key()
    raw = base64.b64encode(public.public_bytes_raw()).decode()
    cli = click.Group(commands={c.name: c for c in desk_commands})
    args = ["audit", "verify", "--checkpoint", str(saved), "--public-key", raw]
    result = CliRunner().invoke(cli, args, env={"CREDSTACK_DB": str(trail.path)})
    assert result.exit_code == 0, result.output
    truncate_beta(trail)
    result = CliRunner().invoke(cli, args, env={"CREDSTACK_DB": str(trail.path)})
    caught(result, "entries were removed")
