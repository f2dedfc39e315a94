"""`credstack users …` and `credstack tokens …`: each command with good and bad input (a clear
message naming what was expected, exit 2, no traceback), passwords and tokens printed once and
stored hashed, every change audited without them, and a database from before migration 0006
keeps its tokens working and its trail verified."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess

import pytest
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk import staff as desk_staff
from models.store import database as store
from models.store.schema import MIGRATIONS
from tests.desk_builders import make_org
from views.cli.main import cli

ADMIN, OFFICER, VIEWER = "admin@alpha.test", "officer@alpha.test", "viewer@alpha.test"


@pytest.fixture
def path(tmp_path):
    db_path = str(tmp_path / "staff.sqlite")
    db = store.open_db(db_path)
    make_org(db, "alpha", policies=())
    make_org(db, "beta", policies=())
    db.close()
    return db_path


def run(path, *args, input=None):
    result = CliRunner().invoke(cli, [*args, "--db", path], input=input)
    assert "Traceback" not in result.output
    return result


def query(path, sql, params=()):
    db = store.open_db(path)
    try:
        return db.conn.execute(sql, params).fetchall()
    finally:
        db.close()


def trail_ok(path) -> bool:
    return run(path, "audit", "verify").exit_code == 0


CASES = [
    # (arguments, exit code, words in the output)
    (["users", "list"], 0, [ADMIN, "beta", "last change"]),
    (["users", "list", "--org", "beta"], 0, ["admin@beta.test"]),
    (["users", "list", "--org", "nowhere"], 2, ["no organisation 'nowhere'"]),
    (["users", "set-role", "--email", OFFICER, "--role", "viewer"], 0, ["officer → viewer"]),
    (["users", "set-role", "--email", OFFICER, "--role", "officer"], 0, ["nothing changed"]),
    (["users", "set-role", "--email", OFFICER, "--role", "boss"], 2, ["'boss' is not one of"]),
    (["users", "set-role", "--email", "nobody@x.test", "--role", "viewer"], 2, ["no user"]),
    (["users", "set-role", "--email", ADMIN, "--role", "viewer"], 2, ["no active admin left"]),
    (["users", "set-role", "--role", "viewer"], 2, ["Missing option '--email'"]),
    (["users", "deactivate", "--email", OFFICER], 0, ["deactivated", "API tokens are revoked"]),
    (["users", "deactivate", "--email", ADMIN], 2, ["no active admin left"]),
    (["users", "deactivate", "--email", "nobody@x.test"], 2, ["no user"]),
    (["users", "activate", "--email", VIEWER], 0, ["is active"]),
    (["users", "reset-password", "--email", "nobody@x.test"], 2, ["no user"]),
    (["users", "reset-password", "--email", OFFICER, "--password-stdin", "--prompt"], 2,
     ["--password-stdin and --prompt"]),
    (["users", "create", "--org", "alpha", "--email", "new@alpha.test", "--role", "viewer",
      "--generate-password"], 0, ["created viewer new@alpha.test", "shown once"]),
    (["users", "create", "--org", "alpha", "--email", OFFICER, "--role", "viewer",
      "--generate-password"], 2, ["exists already"]),
    (["users", "create", "--org", "nowhere", "--email", "n@x.test", "--role", "viewer",
      "--generate-password"], 2, ["no organisation 'nowhere'"]),
    (["users", "create", "--org", "alpha", "--email", "not-an-address", "--role", "viewer",
      "--generate-password"], 2, ["email: Not a valid email address"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--scope", "decide"], 0,
     ["scopes read, decide", "Shown once"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--scope", "read,decide",
      "--expires", "365"], 0, ["scopes read, decide"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--scope", "write"], 2,
     ["scopes: expected read and/or decide; got 'write'"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--scope", ""], 2,
     ["expected at least one scope"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--expires", "0"], 2,
     ["expires: expected a number of days (1 to 365) or a date"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--expires", "366"], 2,
     ["out of range"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--expires", "2020-01-01"], 2,
     ["expected a date after today"]),
    (["tokens", "create", "--email", OFFICER, "--name", "ci", "--expires", "soon"], 2,
     ["got 'soon'"]),
    (["tokens", "create", "--email", OFFICER, "--name", "  "], 2, ["name: expected a name"]),
    (["tokens", "create", "--email", "nobody@x.test", "--name", "ci"], 2, ["no user"]),
    (["tokens", "create", "--name", "ci"], 2, ["Missing option '--email'"]),
    (["tokens", "list"], 0, ["no API tokens"]),
    (["tokens", "revoke", "99"], 2, ["no API token 99"]),
    (["tokens", "revoke", "x"], 2, ["'x' is not a valid integer"]),
    (["tokens", "revoke", "0"], 2, ["0 is not in the range"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "words"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_the_staff_commands(path, args, code, words):
    result = run(path, *args)
    assert result.exit_code == code, result.output
    for word in words:
        assert word.lower() in result.output.lower(), (word, result.output)
    assert trail_ok(path)


def test_a_token_is_printed_once_alone_on_stdout_and_stored_hashed(path):
    result = CliRunner().invoke(
        cli, ["tokens", "create", "--db", path, "--email", OFFICER, "--name", "ci",
              "--scope", "read", "--expires", "30"],
    )  # fmt: skip
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token and len(token) >= 40
    stored = query(path, "SELECT token_hash, scopes, expires_at, user_id FROM api_tokens")
    assert stored[0][0] == hashlib.sha256(token.encode()).hexdigest() and stored[0][1] == "read"
    listed = run(path, "tokens", "list", "--email", OFFICER).output
    assert token not in listed and "active" in listed and "ci" in listed
    entries = query(path, "SELECT actor_id, details FROM audit WHERE event = 'api_token_issued'")
    assert entries[0][0] is None and token not in entries[0][1]  # issued by the operator
    db = store.open_db(path)
    try:
        assert desk_admin.api_token_user(db, token).email == OFFICER
    finally:
        db.close()
    revoked = run(path, "tokens", "revoke", str(1))
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "revoked" in run(path, "tokens", "list").output
    db = store.open_db(path)
    try:
        assert desk_admin.api_token_user(db, token) is None
    finally:
        db.close()
    assert trail_ok(path)


@pytest.mark.parametrize("how", ["generated", "stdin"])
def test_a_reset_password_is_printed_once_and_stored_hashed(path, how):
    args = ["users", "reset-password", "--db", path, "--email", OFFICER]
    given = "a new password for the officer"
    if how == "stdin":
        result = CliRunner().invoke(cli, [*args, "--password-stdin"], input=given + "\n")
        assert given not in result.output
        password = given
    else:
        result = CliRunner().invoke(cli, args)
        password = result.stdout.strip()
        assert len(password) >= 20
    assert result.exit_code == 0 and "sessions have ended" in result.stderr
    (stored,) = query(path, "SELECT password_hash FROM users WHERE email = ?", [OFFICER])[0]
    assert stored.startswith("$argon2") and password not in stored
    db = store.open_db(path)
    try:
        assert desk_admin.authenticate(db, OFFICER, password).email == OFFICER
    finally:
        db.close()
    details = query(path, "SELECT details FROM audit WHERE event = 'user_password_reset'")
    assert details == [("{}",)]
    assert trail_ok(path)


def test_a_short_password_from_stdin_is_refused(path):
    result = run(path, "users", "reset-password", "--email", OFFICER, "--password-stdin",
                 input="short\n")  # fmt: skip
    assert result.exit_code == 2 and "password: expected 12 to 1024 characters" in result.output


def test_role_changes_and_deactivation_are_audited_without_personal_data(path):
    run(path, "users", "set-role", "--email", OFFICER, "--role", "admin")
    run(path, "users", "deactivate", "--email", VIEWER)
    entries = query(
        path, "SELECT event, subject, details, actor_id, row_ref FROM audit WHERE event IN "
        "('user_role_changed', 'user_deactivated')",
    )  # fmt: skip
    assert [e[0] for e in entries] == ["user_role_changed", "user_deactivated"]
    assert entries[0][2] == '{"from":"officer","to":"admin"}'
    assert all(e[3] is None and e[4].startswith("users:") for e in entries)
    assert not any("@" in str(e) for e in entries)
    listed = run(path, "users", "list", "--org", "alpha").output
    assert "admin    yes" in listed.split(OFFICER)[0].splitlines()[-1]


def test_the_staff_commands_run_as_the_console_script(path, tmp_path):
    """The installed `credstack` command (README: `.venv/bin/credstack …`)."""
    import shutil
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "credstack"
    if not script.exists():
        script = shutil.which("credstack")
    if not script:
        pytest.skip("the credstack console script is not installed")
    done = subprocess.run(
        [str(script), "users", "list", "--db", path], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and ADMIN in done.stdout


# ---- a database from before migration 0006 ----------------------------------------------------


def test_tokens_from_before_0006_keep_working_and_the_trail_stays_verified(tmp_path):
    source = store.open_db(tmp_path / "source.sqlite")
    org = make_org(source, "alpha", policies=())
    _, token = desk_admin.issue_api_token(source, org.officer, "old token")
    desk_staff.deactivate_user(source, org.admin, org.viewer.id)
    source.close()

    old_path = tmp_path / "old.sqlite"
    old = store.open_db(old_path, migrate=False)
    with store.transaction(old):
        MIGRATIONS.apply(old, stop_before="0006_staff")
    old.close()
    conn = sqlite3.connect(old_path)
    conn.execute("ATTACH ? AS src", [str(tmp_path / "source.sqlite")])
    for table in ("organisations", "users", "api_tokens", "sessions", "audit"):
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table}")
    conn.commit()
    conn.close()

    db = store.open_db(old_path)  # migration 0006 applied here
    try:
        report = store.verify_audit(db)
        assert report.ok and report.unbound == 0, report
        access = desk_admin.token_hash  # the token is looked up by its hash, as before
        row = db.conn.execute(
            "SELECT scopes, expires_at FROM api_tokens WHERE token_hash = ?", [access(token)]
        ).fetchone()
        assert row == ("read decide", None)
        from models.desk import tokens as desk_tokens

        found = desk_tokens.token_access(db, token)
        assert found is not None and found.may_write and found.user.email == org.officer.email
        db.conn.execute("UPDATE api_tokens SET scopes = 'read'")  # tampering shows
        assert not store.verify_audit(db).ok
    finally:
        db.close()
