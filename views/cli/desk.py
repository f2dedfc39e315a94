"""Command-line commands of the decision desk: database set-up, audit trail and replay (staff and
API tokens: `views.cli.staff`).

Wire them into the `credstack` group with `for c in desk_commands: cli.add_command(c)`. The
database is the `--db` option, else `$CREDSTACK_DB`, else `instance/credstack.sqlite`. Every
expected failure prints one message and exits non-zero: 1 a check failed (broken audit chain,
replay mismatch), 2 the request was refused (bad input, unknown id, conflict, not allowed),
3 the engine failed, 4 the database could not be used.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engine.errors import EngineError
from engine.service import ContainedEvaluator
from models.desk import admin as desk_admin
from models.desk import checkpoints
from models.desk import reads as desk_read
from models.desk.seed import seed_demo
from models.errors import InvalidInput, ModelError
from models.store import database as store
from rules.errors import PolicyError

DEFAULT_DB = "instance/credstack.sqlite"
EXIT_FAILED, EXIT_REFUSED, EXIT_ENGINE, EXIT_DATABASE = 1, 2, 3, 4


def _refused(exc: ModelError) -> str:
    if isinstance(exc, InvalidInput):
        return "\n".join(f"{field}: {message}" for field, message in exc.fields.items())
    return str(exc)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """The desk's errors → a message on stderr and an exit status, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ModelError as exc:
            click.echo(f"refused ({type(exc).__name__}): {_refused(exc)}", err=True)
            sys.exit(EXIT_REFUSED)
        except PolicyError as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_REFUSED)
        except EngineError as exc:
            click.echo(f"engine error: {exc}", err=True)
            sys.exit(EXIT_ENGINE)
        except (sqlite3.Error, OSError) as exc:
            click.echo(f"database error: {exc}", err=True)
            sys.exit(EXIT_DATABASE)

    return wrapper


db_option = click.option(
    "--db",
    "db_path",
    envvar="CREDSTACK_DB",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file (or set CREDSTACK_DB).",
)


class MissingDatabase(OSError):
    """Only `init-db` creates a database: a mistyped path must not verify an empty new one."""


@contextmanager
def opened(path: str, *, create: bool = False) -> Iterator[store.DB]:
    if not create and not Path(path).is_file():
        raise MissingDatabase(f"no database at {path}; create it with `credstack init-db`")
    db = store.open_db(path)
    try:
        yield db
    finally:
        db.close()


@click.command("init-db", help="Create or upgrade the database; --demo also seeds the demo.")
@db_option
@click.option("--demo", is_flag=True, help="Add the demo organisations, staff, policies, cases.")
@handled
def init_db(db_path: str, demo: bool) -> None:
    with opened(db_path, create=True) as db:
        click.echo(f"database ready: {db_path}")
        if not demo:
            return
        credentials = seed_demo(db)
    click.echo("demo staff (passwords are shown once):")
    for c in credentials:
        click.echo(f"  {c['organisation']:<9} {c['role']:<8} {c['email']:<28} {c['password']}")


@click.group("audit", help="Check the tamper-evident audit trail; sign checkpoints of it.")
def audit() -> None:
    pass


def signing_key() -> checkpoints.Ed25519PrivateKey:
    """CREDSTACK_AUDIT_KEY, else the development key (refused outside CREDSTACK_ENV=development)."""
    text = os.environ.get("CREDSTACK_AUDIT_KEY")
    if not text:
        if os.environ.get("CREDSTACK_ENV", "development") != "development":
            raise checkpoints.AuditKeyError(
                "CREDSTACK_AUDIT_KEY is not set (outside development there is no default key)"
            )
        click.echo("note: CREDSTACK_AUDIT_KEY is not set; using the development key", err=True)
    return checkpoints.load_signing_key(text)


@audit.command(
    "verify",
    help="Verify every organisation's hash chain and every audited row against the entry that "
    "recorded it; with --checkpoint, also that no entry up to a signed checkpoint was removed "
    "or rewritten (signature checked with --public-key, else with CREDSTACK_AUDIT_KEY's).",
)
@db_option
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint written by `audit checkpoint` or the desk (repeatable).",
)
@click.option(
    "--public-key",
    envvar="CREDSTACK_AUDIT_PUBLIC_KEY",
    help="The key checkpoints must be signed with: base64 or PEM (or CREDSTACK_AUDIT_PUBLIC_KEY).",
)
@handled
def audit_verify(db_path: str, checkpoint_files: tuple[str, ...], public_key: str | None) -> None:
    documents = [
        (name, checkpoints.read_checkpoint(Path(name).read_bytes(), name))
        for name in checkpoint_files
    ]
    if documents:
        key = checkpoints.load_public_key(public_key) if public_key else signing_key().public_key()
    with opened(db_path) as db:
        report = store.verify_audit(db)
        verdicts = [checkpoints.verify_checkpoint(db, doc, key, name) for name, doc in documents]
    ok = report.ok and all(v.ok for v in verdicts)
    lines = [str(report), *map(str, verdicts)]
    lines.append("audit trail verified" if ok else "audit trail NOT verified")
    click.echo("\n".join(lines), err=not ok)
    if not ok:
        sys.exit(EXIT_FAILED)


@audit.command(
    "checkpoint",
    help="Sign a checkpoint of every chain's head (length, newest seq and hash, time) with "
    "CREDSTACK_AUDIT_KEY; keep it away from the database, for `audit verify --checkpoint`.",
)
@db_option
@click.option("--out", type=click.Path(dir_okay=False), help="Write it to FILE (default: stdout).")
@handled
def audit_checkpoint(db_path: str, out: str | None) -> None:
    key = signing_key()
    with opened(db_path) as db:
        document = checkpoints.make_checkpoint(db, key)
    text = checkpoints.checkpoint_text(document)
    if out:
        checkpoints.write_file(Path(out), text)
    else:
        click.echo(text, nl=False)
    body = document["checkpoint"]
    entries = sum(chain["length"] for chain in body["chains"])
    click.echo(f"checkpoint of {len(body['chains'])} chains ({entries} entries), "
               f"key {body['key_id']}{f': {out}' if out else ''}", err=True)  # fmt: skip


@audit.command("keygen", help="Print a new audit key (for CREDSTACK_AUDIT_KEY) on stdout.")
def audit_keygen() -> None:
    private = checkpoints.generate_key()
    public = checkpoints.load_signing_key(private).public_key()
    click.echo(private)
    click.echo(f"public key (for verifiers): {checkpoints.public_text(public)}", err=True)
    click.echo(f"key id: {checkpoints.key_id(public)}; keep the private key secret", err=True)


@click.command("replay", help="Evaluate a decided case again under its exact policy version.")
@db_option
@click.argument("case_id", type=int)
@click.option("--as", "email", required=True, help="E-mail address of the user replaying.")
@handled
def replay(db_path: str, case_id: int, email: str) -> None:
    with opened(db_path) as db, ContainedEvaluator() as evaluator:
        user = desk_admin.find_user(db, email)
        report = desk_read.replay(db, user, case_id, evaluator)
    click.echo(f"case {report.case_id}, evaluation {report.evaluation_id}")
    click.echo(f"  stored fingerprint:   {report.stored_fingerprint}")
    click.echo(f"  replayed fingerprint: {report.replayed_fingerprint}")
    click.echo(f"  fingerprint {'matches' if report.fingerprint_matches else 'DIFFERS'}; "
               f"outcomes {'match' if report.outcomes_match else 'DIFFER'}")  # fmt: skip
    for line in report.differences:
        click.echo(f"    {line}")
    if not report.matches:
        sys.exit(EXIT_FAILED)


desk_commands: list[click.Command] = [init_db, audit, replay]
