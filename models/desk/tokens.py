"""API tokens: issued to a member of staff (by themselves, or by the operator on the command line),
listed, revoked, and checked on every API call.

A token is 256 random bits given to the caller once; only its sha256 is stored, so a copy of the
database opens no door. It works while it is not revoked, not expired and its user is active;
its scopes (`models.desk.scopes`) say whether it may write. The audit trail records who issued
or revoked which token, its scopes and expiry: never the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from models.desk.cases import ANY_ROLE, require
from models.desk.records import User
from models.desk.scopes import (
    MAX_DAYS,
    SCOPES,
    ApiToken,
    TokenAccess,
    scopes_of,
    timestamp,
)
from models.errors import InvalidInput
from models.messages import N_
from models.store import tokens as store_tokens
from models.store.database import DB
from rules.characters import unsafe_character

MAX_NAME = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME:
        raise InvalidInput(
            {"name": N_("expected a name of 1 to %(most)s characters", most=MAX_NAME)}
        )
    why = unsafe_character(text)
    if why:
        raise InvalidInput({"name": N_("the text %(why)s; remove it", why=why)})
    return text


def issue_api_token(
    db: DB,
    user: User,
    name: str,
    *,
    scopes: tuple[str, ...] = SCOPES,
    expires_at: dt.datetime | None = None,
    by_operator: bool = False,
) -> tuple[int, str]:
    """(token id, token): the token is shown once and never stored. `expires_at` None: it does
    not expire (only code and tests issue such tokens; the pages and the command line give at
    most a year)."""
    require(user, *ANY_ROLE)
    clean = _name(name)
    stored = scopes_of(scopes)
    if expires_at is not None:
        now = dt.datetime.now(dt.UTC)
        if not now < expires_at <= now + dt.timedelta(days=MAX_DAYS + 1):
            raise InvalidInput(
                {"expires": N_("expected a time within the next %(days)s days", days=MAX_DAYS)}
            )
    token = secrets.token_urlsafe(32)
    token_id = store_tokens.create_api_token(
        db,
        user,
        clean,
        token_hash(token),
        scopes=stored,
        expires_at=timestamp(expires_at) if expires_at else None,
        actor_id=None if by_operator else user.id,
    )
    return token_id, token


def token_access(db: DB, token: str) -> TokenAccess | None:
    """What a presented token allows, or None (unknown, revoked, expired, user deactivated)."""
    return store_tokens.token_access(db, token_hash(token))


def api_token_user(db: DB, token: str) -> User | None:
    access = token_access(db, token)
    return access.user if access else None


def my_tokens(db: DB, user: User) -> list[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones included)."""
    require(user, *ANY_ROLE)
    return store_tokens.list_tokens(db, user.organisation_id, user.id)


def organisation_tokens(db: DB, admin: User) -> list[ApiToken]:
    """Every token of the admin's organisation, newest first (revoked and expired included)."""
    require(admin, "admin")
    return store_tokens.list_tokens(db, admin.organisation_id)


def revoke_organisation_token(db: DB, admin: User, token_id: int) -> None:
    """An admin revokes any token of the organisation (a lost one, a leaver's)."""
    require(admin, "admin")
    store_tokens.revoke_api_token(db, admin, token_id, any_user=True)


def revoke_api_token(db: DB, user: User, token_id: int, *, own_only: bool = False) -> None:
    """Users revoke their own tokens; admins any token of their organisation (unless
    `own_only`: the account page acts on the user's own tokens only)."""
    require(user, *ANY_ROLE)
    any_user = user.role == "admin" and not own_only
    store_tokens.revoke_api_token(db, user, token_id, any_user=any_user)


def instance_tokens(db: DB, user_id: int | None = None) -> list[tuple[str, str, ApiToken]]:
    """(organisation slug, e-mail, token) of every token, or one user's: for the operator."""
    return store_tokens.all_tokens(db, user_id)


def revoke_for_operator(db: DB, token_id: int) -> ApiToken:
    return store_tokens.revoke_for_operator(db, token_id)
