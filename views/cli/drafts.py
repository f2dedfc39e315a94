"""`credstack policy publish FILE` and `credstack policy draft create|list|show|publish|delete`:
the policy lifecycle of the desk from the command line, through the same gates as the desk.

Publishing is refused (exit 2, each problem listed) while an attached example fails, a static
check reports an error, or the effective period overlaps another version of the policy id
(unless `--supersedes VERSION --from DATE`). The acting admin is `--as EMAIL`; the database is
`--db` as for the other desk commands.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from engine.service import ContainedEvaluator
from models.desk import admin as desk_admin
from models.desk import drafts as desk_drafts
from models.desk.publishing import PublishRefused, Supersedes
from rules.errors import PolicyError, Problem
from rules.library import expand
from rules.loader import parse_document
from views.cli.common import LIBRARY, library_for, parse_date
from views.cli.desk import EXIT_REFUSED, db_option, handled, opened

ACTOR = click.option("--as", "email", required=True, help="E-mail address of the acting admin.")


def refusal_lines(exc: PublishRefused) -> list[str]:
    lines = ["not published:"]
    for e in exc.report.failing:
        lines.append(f"  example failed: {e.name}")
        lines += [f"      {p}" for p in e.problems]
    lines += [f"  static check error: {f.path or '<document>'}: {f.message}"
              for f in exc.report.lint_errors]  # fmt: skip
    lines += [f"  effective period: {o}" for o in exc.overlaps]
    return lines


def _refused(exc: PublishRefused) -> None:
    click.echo("\n".join(refusal_lines(exc)), err=True)
    sys.exit(EXIT_REFUSED)


def _supersedes(version: str | None, start: dt.date | None) -> Supersedes | None:
    if (version is None) != (start is None):
        raise click.UsageError("give --supersedes and --from together")
    return Supersedes(version, start) if version and start else None


@click.command("publish", help="Publish a policy file as a new version on the desk, if every "
               "attached example passes, no static check reports an error and its period "
               "overlaps no other version (or it supersedes that version from a date)."
               )  # fmt: skip
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@ACTOR
@LIBRARY
@click.option("--supersedes", help="The version of the same policy id this one takes over from.")
@click.option("--from", "start", callback=parse_date, help="The date it takes over (YYYY-MM-DD).")
@handled
def publish_command(
    file: str, db_path: str, email: str, library: tuple[str, ...], supersedes: str | None,
    start: dt.date | None,
) -> None:  # fmt: skip
    path = Path(file)
    raw = path.read_bytes()
    parsed = parse_document(raw, path.name)
    if not isinstance(parsed, dict):
        raise PolicyError([Problem("", "expected a mapping at the top level")], file)
    document, _problems = expand(parsed, library_for(path, library))  # the desk reports them
    option = _supersedes(supersedes, start)
    with opened(db_path) as db, ContainedEvaluator() as evaluator:
        user = desk_admin.find_user(db, email)
        try:
            version = desk_admin.publish_policy(
                db, user, document, evaluator=evaluator, supersedes=option,
                source_text=raw.decode("utf-8-sig"),
            )  # fmt: skip
        except PublishRefused as exc:
            _refused(exc)
    click.echo(f"published {version.policy_id} version {version.version} "
               f"(digest {version.digest[:12]})")  # fmt: skip


@click.group("draft", help="Policy drafts on the desk: create, list, show (with the problems of "
             "the check and their lines), publish, delete.")  # fmt: skip
def draft() -> None:
    pass


@draft.command("create", help="A new draft: from FILE, from a published version "
               "(--from-version ID@VERSION), or the empty template.")  # fmt: skip
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--from-version", help="A published version to copy: POLICY_ID@VERSION.")
@db_option
@ACTOR
@handled
def draft_create(file: str | None, from_version: str | None, db_path: str, email: str) -> None:
    if file and from_version:
        raise click.UsageError("give FILE or --from-version, not both")
    based_on = None
    if from_version:
        pid, _sep, version = from_version.rpartition("@")
        if not pid:
            raise click.UsageError("--from-version: expected POLICY_ID@VERSION")
        based_on = (pid, version)
    text = Path(file).read_bytes().decode("utf-8-sig") if file else None
    with opened(db_path) as db:
        made = desk_drafts.new_draft(db, desk_admin.find_user(db, email), text, based_on=based_on)
    click.echo(f"draft {made.id}: {made.policy_id or '?'} version {made.version or '?'}")


@draft.command("list", help="The organisation's open drafts.")
@db_option
@ACTOR
@handled
def draft_list(db_path: str, email: str) -> None:
    with opened(db_path) as db:
        found = desk_drafts.list_drafts(db, desk_admin.find_user(db, email))
    for d in found:
        click.echo(f"{d.id:>5}  {d.policy_id or '?'} v{d.version or '?'}  changed {d.updated_at}")
    if not found:
        click.echo("no drafts")


@draft.command("show", help="A draft's text (--text) or its problems, each with its line.")
@click.argument("draft_id", type=int)
@click.option("--text", "show_text", is_flag=True, help="Print the text as written instead.")
@db_option
@ACTOR
@handled
def draft_show(draft_id: int, show_text: bool, db_path: str, email: str) -> None:
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        found = desk_drafts.get_draft(db, user, draft_id)
        check = desk_drafts.check_draft(db, user, found.text)
    if show_text:
        click.echo(found.text, nl=False)
        return
    state = "open" if found.open else "published"
    click.echo(f"draft {found.id} ({state}): {found.policy_id or '?'} v{found.version or '?'}, "
               f"{len(check.errors)} error(s), {len(check.problems)} problem(s)")  # fmt: skip
    for p in check.problems:
        where = f"line {p.line}" if p.line else "document"
        click.echo(f"  {where}: {p.severity}: {p.path or '<document>'}: {p.message}")


@draft.command("publish", help="Publish a draft through the gates (exit 2 with the problems).")
@click.argument("draft_id", type=int)
@db_option
@ACTOR
@handled
def draft_publish(draft_id: int, db_path: str, email: str) -> None:
    with opened(db_path) as db, ContainedEvaluator() as evaluator:
        user = desk_admin.find_user(db, email)
        try:
            version = desk_drafts.publish_draft(db, user, draft_id, evaluator=evaluator)
        except PublishRefused as exc:
            _refused(exc)
    click.echo(f"published {version.policy_id} version {version.version}")


@draft.command("delete", help="Delete a draft (recorded in the audit trail).")
@click.argument("draft_id", type=int)
@db_option
@ACTOR
@handled
def draft_delete(draft_id: int, db_path: str, email: str) -> None:
    with opened(db_path) as db:
        desk_drafts.delete_draft(db, desk_admin.find_user(db, email), draft_id)
    click.echo(f"draft {draft_id} deleted")


draft_commands: list[click.Command] = [publish_command, draft]
