"""Command-line commands for staff and their API tokens: `credstack users …` and
`credstack tokens …`, acting for the instance's operator.

The operator works in any organisation; every change is recorded in that organisation's audit
trail with no actor (the operator) and never with a password or a token in it. A password or a
token is printed once, on stdout alone, so that a script can capture it; what happened goes to
stderr. Bad input prints what was expected and exits 2 (`views.cli.desk.handled`).
"""

from __future__ import annotations

import sys

import click

from models.desk import admin as desk_admin
from models.desk import logins as desk_logins
from models.desk import staff as desk_staff
from models.desk import tokens as desk_tokens
from models.desk.records import ROLES
from models.desk.scopes import DEFAULT_DAYS, MAX_DAYS, expiry, scopes_of
from models.errors import InvalidInput
from models.store.database import now
from views.cli.desk import db_option, handled, opened


@click.group("users", help="Manage staff accounts: list, create, set roles, (de)activate, reset.")
def users() -> None:
    pass


def _new_password(password_stdin: bool, prompt: bool) -> str | None:
    """The password the operator gives (stdin or a hidden prompt), or None to generate one."""
    if password_stdin and prompt:
        raise InvalidInput({"password": "expected one of --password-stdin and --prompt, not both"})
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if prompt:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return None


password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
email_option = click.option("--email", required=True, help="The user's e-mail address.")


@users.command(
    "create",
    help="Create a staff account in an organisation (by its short name); the password is "
    "prompted, read with --password-stdin, or generated with --generate-password and printed once.",
)
@db_option
@click.option("--org", "organisation", required=True, help="The organisation's short name.")
@click.option("--email", required=True, help="The user's e-mail address (their login).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin, officer or viewer.")
@click.option("--name", "display_name", help="Display name (default: the e-mail address).")
@password_stdin_option
@click.option("--generate-password", is_flag=True, help="Generate a password and print it once.")
@handled
def users_create(
    db_path: str,
    organisation: str,
    email: str,
    role: str,
    display_name: str | None,
    password_stdin: bool,
    generate_password: bool,
) -> None:
    if password_stdin and generate_password:
        raise InvalidInput({"password": "expected --password-stdin or --generate-password"})
    generated = desk_staff.generate_password() if generate_password else None
    password = generated or _new_password(password_stdin, not password_stdin)
    data = {"email": email, "display_name": display_name or email, "role": role,
            "password": password}  # fmt: skip
    with opened(db_path) as db:
        user = desk_staff.create_user(db, None, data, organisation=organisation)
    click.echo(f"created {user.role} {user.email} (user {user.id}) in {organisation}", err=True)
    if generated:
        click.echo("password (shown once):", err=True)
        click.echo(generated)


@users.command("list", help="List staff accounts: all organisations, or one with --org.")
@db_option
@click.option("--org", "organisation", help="Only this organisation (its short name).")
@handled
def users_list(db_path: str, organisation: str | None) -> None:
    with opened(db_path) as db:
        found = desk_staff.instance_staff(db, organisation)
    if not found:
        click.echo("no staff accounts")
        return
    click.echo(f"{'id':>4}  {'org':<12} {'role':<8} {'active':<6} {'last change':<20} email, name")
    for slug, u in found:
        changed = (u.updated_at or u.created_at)[:19].replace("T", " ")
        active = "yes" if u.active else "no"
        click.echo(
            f"{u.id:>4}  {slug:<12} {u.role:<8} {active:<6} {changed:<20} {u.email}, "
            f"{u.display_name}"
        )


@users.command("set-role", help="Give a user another role (admin, officer or viewer).")
@db_option
@email_option
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin, officer or viewer.")
@handled
def users_set_role(db_path: str, email: str, role: str) -> None:
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        desk_staff.change_role(db, None, user.id, role, organisation_id=user.organisation_id)
    if user.role == role:
        click.echo(f"{user.email} is {role} already: nothing changed")
    else:
        click.echo(f"{user.email}: role {user.role} → {role}")


@users.command(
    "deactivate",
    help="Deactivate a user: they cannot log in, and their sessions and API tokens stop working.",
)
@db_option
@email_option
@handled
def users_deactivate(db_path: str, email: str) -> None:
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        desk_staff.deactivate_user(db, None, user.id, organisation_id=user.organisation_id)
    click.echo(f"{user.email} deactivated; their sessions and API tokens are revoked")


@users.command(
    "activate", help="Let a deactivated user log in again (revoked tokens stay revoked)."
)
@db_option
@email_option
@handled
def users_activate(db_path: str, email: str) -> None:
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        desk_staff.activate_user(db, None, user.id, organisation_id=user.organisation_id)
    click.echo(f"{user.email} is active")


@users.command(
    "reset-password",
    help="Give a user a new password: generated and printed once, or read with "
    "--password-stdin or --prompt. Their sessions end; their API tokens are kept.",
)
@db_option
@email_option
@password_stdin_option
@click.option("--prompt", is_flag=True, help="Type the new password at a hidden prompt.")
@handled
def users_reset_password(db_path: str, email: str, password_stdin: bool, prompt: bool) -> None:
    given = _new_password(password_stdin, prompt)
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        _, password = desk_staff.reset_password(
            db, None, user.id, password=given, organisation_id=user.organisation_id
        )
    click.echo(f"password of {user.email} reset; their sessions have ended", err=True)
    if given is None:
        click.echo("new password (shown once):", err=True)
        click.echo(password)


@users.command(
    "throttles",
    help="List the login throttles (failed log-ins per account, address and account from one "
    "address); --clear KEY forgets one throttle's failures (recorded in the audit trail).",
)
@db_option
@click.option("--clear", "key", help="The key of a throttle, as listed, to clear.")
@handled
def users_throttles(db_path: str, key: str | None) -> None:
    with opened(db_path) as db:
        if key:
            cleared = desk_logins.clear_instance_throttle(db, key)
            click.echo(f"cleared {key}: {cleared} failed log-in(s) no longer count for it")
            return
        found = desk_logins.instance_throttles(db)
    if not found:
        click.echo("no login throttles")
    for t in found:
        who = f"user {t.user_id} ({t.user_email})" if t.user_id else ""
        if t.kind == "account" and not t.user_id:
            who = "an e-mail address that is no user's"
        where = f"from {t.address}" if t.kind == "pair" else t.address or ""
        wait = (
            f"every address waits {t.delay:g} s per attempt"
            if t.kind == "account"
            else f"waits until {t.waiting_until}"
        )
        click.echo(f"{t.key}\n  {t.kind}: {' '.join(filter(None, [who, where]))}; "
                   f"{t.failures} failure(s), last {t.last_failure_at}; {wait}")  # fmt: skip


@click.group("tokens", help="API tokens: create one for a user (printed once), list, revoke.")
def tokens() -> None:
    pass


@tokens.command(
    "create",
    help="Create an API token for a user and print it once. Scopes: read (GET calls) and decide "
    f"(also the calls that write; includes read). Expiry: days from now (1-{MAX_DAYS}) or the "
    "last day it works (YYYY-MM-DD).",
)
@db_option
@email_option
@click.option("--name", required=True, help="What the token is for (1 to 100 characters).")
@click.option(
    "--scope",
    "scope",
    multiple=True,
    default=("read",),
    show_default=True,
    help="read or decide; repeatable or comma-separated (read,decide).",
)
@click.option(
    "--expires",
    default=str(DEFAULT_DAYS),
    show_default=True,
    help=f"Days from now (1 to {MAX_DAYS}) or a date (YYYY-MM-DD) within a year.",
)
@handled
def tokens_create(
    db_path: str, email: str, name: str, scope: tuple[str, ...], expires: str
) -> None:
    scopes = scopes_of(scope)
    until = expiry(expires)
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        token_id, token = desk_tokens.issue_api_token(
            db, user, name, scopes=scopes, expires_at=until, by_operator=True
        )
    click.echo(
        f"token {token_id} for {user.email}: scopes {', '.join(scopes)}; works until "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC. Shown once; send it as "
        "'Authorization: Bearer <token>':",
        err=True,
    )
    click.echo(token)


def _moment(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


@tokens.command("list", help="List API tokens (never the tokens themselves): all, or one user's.")
@db_option
@click.option("--email", help="Only this user's tokens.")
@handled
def tokens_list(db_path: str, email: str | None) -> None:
    with opened(db_path) as db:
        user_id = desk_admin.find_user(db, email).id if email else None
        found = desk_tokens.instance_tokens(db, user_id)
    if not found:
        click.echo("no API tokens")
        return
    at = now()
    click.echo(f"{'id':>4}  {'state':<8} {'scopes':<12} {'created':<17} {'expires':<17} "
               f"{'last used':<17} org, user: name")  # fmt: skip
    for slug, address, t in found:
        click.echo(
            f"{t.id:>4}  {t.state(at):<8} {','.join(t.scopes):<12} {_moment(t.created_at):<17} "
            f"{_moment(t.expires_at):<17} {_moment(t.last_used_at):<17} {slug}, {address}: "
            f"{t.name}"
        )


@tokens.command("revoke", help="Revoke an API token by its id (as `tokens list` shows it).")
@db_option
@click.argument("token_id", type=click.IntRange(min=1, max=2**63 - 1))
@handled
def tokens_revoke(db_path: str, token_id: int) -> None:
    with opened(db_path) as db:
        token = desk_tokens.revoke_for_operator(db, token_id)
    click.echo(f"token {token.id} ({token.name}) revoked; it stops working at once")


staff_commands: list[click.Command] = [users, tokens]
