"""The audit key and signed checkpoints: key forms, `audit keygen`, the development key and where
it is refused, and the checkpoints the desk writes by itself after requests."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app import create_app
from models.desk import checkpoints
from models.errors import InvalidInput
from models.store import database as store
from tests.desk_builders import ENGINE, make_org, open_enic, wallet
from tests.web_fixtures import build_app
from views.cli.desk import desk_commands

CLI = click.Group(commands={c.name: c for c in desk_commands})


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_the_key_is_read_as_base64_or_pem_and_never_echoed():
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    public = key.public_key().public_bytes_raw()
    for text in (
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode() + "\n",
        pem(key),
    ):
        assert checkpoints.load_signing_key(text).public_key().public_bytes_raw() == public
    for text in ("x" * 44, base64.b64encode(raw[:31]).decode(), "-----BEGIN PRIVATE KEY-----"):
        with pytest.raises(checkpoints.AuditKeyError) as refused:
            checkpoints.load_signing_key(text)
        assert text not in str(refused.value)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for text in (base64.b64encode(public).decode(), public_pem.decode(), pem(key)):
        assert checkpoints.load_public_key(text).public_bytes_raw() == public


def test_without_a_key_the_development_key_signs_and_says_so():
    key = checkpoints.load_signing_key(None)
    assert checkpoints.key_id(key.public_key()) == checkpoints.DEVELOPMENT_KEY_ID
    assert checkpoints.load_signing_key("").private_bytes_raw() == key.private_bytes_raw()
    fresh = checkpoints.load_signing_key(checkpoints.generate_key())
    assert checkpoints.key_id(fresh.public_key()) != checkpoints.DEVELOPMENT_KEY_ID


@pytest.fixture
def path(tmp_path):
    db = store.open_db(tmp_path / "desk.sqlite")
    make_org(db, "alpha", policies=())
    db.close()
    return tmp_path / "desk.sqlite"


def test_keygen_prints_a_key_that_signs_checkpoints_its_public_key_verifies(path, tmp_path):
    made = CliRunner().invoke(CLI, ["audit", "keygen"])
    assert made.exit_code == 0
    private = made.stdout.strip()
    key = checkpoints.load_signing_key(private).public_key()
    public = made.stderr.split("public key (for verifiers): ")[1].split()[0]
    assert checkpoints.public_text(key) == public
    out = tmp_path / "cp.json"
    env = {"CREDSTACK_DB": str(path), "CREDSTACK_AUDIT_KEY": private}
    signed = CliRunner().invoke(CLI, ["audit", "checkpoint", "--out", str(out)], env=env)
    assert signed.exit_code == 0 and f"key {checkpoints.key_id(key)}" in signed.stderr
    body = json.loads(out.read_text())["checkpoint"]
    assert body["format"] == checkpoints.FORMAT and body["chains"][0]["length"] == 5
    assert set(body["chains"][0]) == {"organisation", "length", "seq", "hash"}
    verify = ["audit", "verify", "--checkpoint", str(out), "--public-key", public]
    result = CliRunner().invoke(CLI, verify, env={"CREDSTACK_DB": str(path)})
    assert result.exit_code == 0 and "development key" not in result.output, result.output


def test_outside_development_there_is_no_default_key(path):
    env = {"CREDSTACK_DB": str(path), "CREDSTACK_ENV": "production", "CREDSTACK_AUDIT_KEY": ""}
    result = CliRunner().invoke(CLI, ["audit", "checkpoint"], env=env)
    assert result.exit_code == 2 and "CREDSTACK_AUDIT_KEY is not set" in result.output
    env["CREDSTACK_ENV"] = "development"
    result = CliRunner().invoke(CLI, ["audit", "checkpoint"], env=env)
    assert result.exit_code == 0 and "using the development key" in result.stderr
    saved = path.parent / "dev.json"
    saved.write_text(result.stdout)
    result = CliRunner().invoke(CLI, ["audit", "verify", "--checkpoint", str(saved)], env=env)
    assert result.exit_code == 0 and "[development key: proves nothing" in result.output


def test_a_file_that_is_not_a_checkpoint_is_refused(path):
    broken = path.parent / "broken.json"
    for text in (b"not json", b"\xff\xfe\xfa", b"{}", b'{"checkpoint": {}, "signature": ""}'):
        broken.write_bytes(text)
        args = ["audit", "verify", "--checkpoint", str(broken)]
        result = CliRunner().invoke(CLI, args, env={"CREDSTACK_DB": str(path)})
        assert result.exit_code == 2, result.output
        assert f"{broken}: not a {checkpoints.FORMAT} document" in result.output
    with pytest.raises(InvalidInput):
        checkpoints.read_checkpoint('{"checkpoint": {"chains": [{"seq": "1"}]}, "signature": ""}')


# ---- the desk's own checkpoints -----------------------------------------------------------------

KEY = checkpoints.generate_key()


def get(built, url: str = "/readyz"):
    """A request that reads the database, its response closed as a server closes it."""
    with built.app.test_client().get(url) as response:
        assert response.status_code == 200
    return response


def written(directory: Path) -> list[Path]:
    return sorted(directory.glob("audit-*.json"))


def exports(built, n: int) -> None:
    """New entries written by another process (another worker, the command line)."""
    db = built.db()
    try:
        for _ in range(n):
            store.record_event(db, built.a.viewer, "export", "case:0")
    finally:
        db.close()


def verified(built, path: Path) -> checkpoints.CheckpointVerdict:
    document = checkpoints.read_checkpoint(path.read_text())
    db = built.db()
    try:
        key = checkpoints.load_signing_key(KEY).public_key()
        return checkpoints.verify_checkpoint(db, document, key, path.name)
    finally:
        db.close()


def test_the_desk_writes_a_checkpoint_after_every_n_new_entries(tmp_path):
    built = build_app(tmp_path, AUDIT_KEY=KEY, AUDIT_CHECKPOINT_EVERY=5)
    directory = tmp_path / "checkpoints"  # beside the database by default
    get(built)  # none there yet: the first request writes one
    assert len(written(directory)) == 1 and verified(built, written(directory)[0]).ok
    get(built)
    exports(built, 4)
    get(built)
    assert len(written(directory)) == 1  # 4 new entries, and the newest checkpoint is fresh
    exports(built, 1)
    get(built)
    files = written(directory)
    assert len(files) == 2 and verified(built, files[-1]).ok
    db = built.db()
    try:
        newest = store.newest_seq(db)
    finally:
        db.close()
    assert files[-1].stem.endswith(f"-{newest}")
    # A restarted process carries on from the newest file there instead of writing one at once.
    exports(built, 1)
    get(restarted(built, AUDIT_CHECKPOINT_EVERY=5))
    assert len(written(directory)) == 2


def restarted(built, **config):
    """Another app (a restarted or second server process) on the same database."""
    settings = {"TESTING": True, "DATABASE": built.path, "SECRET_KEY": "s", "AUDIT_KEY": KEY}
    app = create_app({**settings, **config})
    app.extensions["credstack_evaluator"] = ENGINE
    return dataclasses.replace(built, app=app)


def test_the_desk_writes_one_when_the_newest_is_older_than_the_maximum_age(tmp_path):
    built = build_app(tmp_path, AUDIT_KEY=KEY, AUDIT_CHECKPOINT_MAX_AGE=0)
    get(built)
    get(built)
    assert len(written(tmp_path / "checkpoints")) == 1  # nothing new: nothing to sign
    exports(built, 1)
    get(built)
    assert len(written(tmp_path / "checkpoints")) == 2


def test_a_checkpoint_that_cannot_be_written_is_logged_and_the_request_answered(tmp_path, caplog):
    blocked = tmp_path / "a file"
    blocked.write_text("")
    built = build_app(tmp_path, AUDIT_KEY=KEY, AUDIT_CHECKPOINT_DIR=str(blocked / "checkpoints"))
    db = built.db()
    try:
        open_enic(db, built.a.officer, "greta-nowak")
    finally:
        db.close()
    with caplog.at_level(logging.WARNING):
        response = get(built)
    assert response.status_code == 200
    logged = [r.getMessage() for r in caplog.records if "audit checkpoint" in r.getMessage()]
    assert len(logged) == 1 and logged[0].startswith("audit checkpoint not written: ")
    learner = wallet("greta-nowak")["learner"]
    assert learner["name"] not in caplog.text and learner["id"] not in caplog.text
    assert not list(tmp_path.rglob("audit-*.json"))
    get(built)  # the failed attempt waits for the next threshold: not retried on every request
    assert len([r for r in caplog.records if "audit checkpoint" in r.getMessage()]) == 1


def test_checkpoints_can_be_switched_off(tmp_path):
    built = build_app(tmp_path, AUDIT_KEY=KEY, AUDIT_CHECKPOINT_DIR="")
    get(built)
    assert not list(tmp_path.rglob("audit-*.json"))
