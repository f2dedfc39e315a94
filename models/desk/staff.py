"""Staff of an organisation: creating accounts, roles, (de)activation, password resets and each
member of staff's own language.

Admins manage the staff of their own organisation; the operator (the command line, `actor`
None) manages any organisation's, named by `organisation_id`. An admin changes neither their own
role nor their own status nor their own password here (another admin, or the operator, does),
and no change leaves an organisation without an active admin. Every change is an audit entry
naming the user by id only: no e-mail address, name or password goes into the trail.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile) and
rehashed on login when the parameters change. A generated password has 120 random bits and is
given to the caller once; only its hash is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher

from models.desk.cases import ANY_ROLE, require
from models.desk.records import ROLES, User, UserInputSchema, load_input
from models.desk.scopes import language_of
from models.errors import Forbidden, InvalidInput
from models.messages import N_
from models.store import database as store
from models.store import users as store_users
from models.store.database import DB

PASSWORDS = PasswordHasher()
MIN_PASSWORD, MAX_PASSWORD = 12, 1024


def generate_password() -> str:
    """20 URL-safe characters (120 random bits): typed once, then changed by nobody but an
    admin's reset."""
    return secrets.token_urlsafe(15)


def create_user(
    db: DB,
    actor: User | None,
    data: Mapping[str, Any],
    *,
    organisation: str | None = None,
    hasher: PasswordHasher = PASSWORDS,
) -> User:
    """An admin adds staff to their own organisation; with no actor (the command line, the
    seed) `organisation` names the organisation by its slug."""
    if actor is not None:
        require(actor, "admin")
        org_id = actor.organisation_id
    elif organisation is None:
        raise InvalidInput({"organisation": N_("name the organisation")})
    else:
        org_id = store.find_organisation(db, organisation).id
    values = load_input(UserInputSchema(), data)
    return store_users.create_user(
        db,
        actor,
        org_id,
        values["email"].strip(),
        values["display_name"].strip(),
        values["role"],
        hasher.hash(values["password"]),
    )


def list_users(db: DB, actor: User) -> list[User]:
    require(actor, "admin")
    return store_users.list_users(db, actor.organisation_id)


def _acting(actor: User | None, organisation_id: int | None, user_id: int, refusal: str) -> int:
    """The organisation a change acts in: the admin's own, or the operator's choice. `refusal`
    (an `N_` message, whole so that it translates as one sentence) is what an admin acting on
    themselves is told."""
    if actor is None:
        if organisation_id is None:
            raise InvalidInput({"organisation": N_("name the organisation")})
        return organisation_id
    require(actor, "admin")
    if user_id == actor.id:
        raise Forbidden(refusal)
    return actor.organisation_id


def deactivate_user(
    db: DB, actor: User | None, user_id: int, *, organisation_id: int | None = None
) -> User:
    """Deactivate a user: their sessions and API tokens stop working at once."""
    refusal = N_("an admin cannot deactivate themselves; another admin can")
    org = _acting(actor, organisation_id, user_id, refusal)
    return store_users.change_active(db, org, actor.id if actor else None, user_id, False)


def activate_user(
    db: DB, actor: User | None, user_id: int, *, organisation_id: int | None = None
) -> User:
    """Let a deactivated user log in again (their revoked sessions and tokens stay revoked)."""
    refusal = N_("an admin cannot reactivate themselves; another admin can")
    org = _acting(actor, organisation_id, user_id, refusal)
    return store_users.change_active(db, org, actor.id if actor else None, user_id, True)


def change_role(
    db: DB, actor: User | None, user_id: int, role: str, *, organisation_id: int | None = None
) -> User:
    if role not in ROLES:
        raise InvalidInput(
            {"role": N_("expected one of %(choices)s; got %(got)s",
                        choices=", ".join(ROLES), got=repr(role))}
        )  # fmt: skip
    refusal = N_("an admin cannot change the role of themselves; another admin can")
    org = _acting(actor, organisation_id, user_id, refusal)
    return store_users.change_role(db, org, actor.id if actor else None, user_id, role)


def reset_password(
    db: DB,
    actor: User | None,
    user_id: int,
    *,
    password: str | None = None,
    organisation_id: int | None = None,
    hasher: PasswordHasher = PASSWORDS,
) -> tuple[User, str]:
    """(user, new password): the given one, or a generated one. Their sessions end."""
    if password is None:
        password = generate_password()
    elif not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            {"password": N_("expected %(least)s to %(most)s characters; got %(got)s",
                            least=MIN_PASSWORD, most=MAX_PASSWORD, got=len(password))}
        )  # fmt: skip
    refusal = N_("an admin cannot reset the password of themselves; another admin can")
    org = _acting(actor, organisation_id, user_id, refusal)
    actor_id = actor.id if actor else None
    user = store_users.reset_password(db, org, actor_id, user_id, hasher.hash(password))
    return user, password


def set_language(db: DB, user: User, language: str | None) -> User:
    """A member of staff's own language ("en", "sv"; None or "" for the browser's choice)."""
    require(user, *ANY_ROLE)
    return store_users.set_language(db, user, language_of(language))


def instance_staff(db: DB, organisation: str | None = None) -> list[tuple[str, User]]:
    """(organisation slug, user) of the instance or of one organisation, for the operator."""
    if organisation is not None:
        store.find_organisation(db, organisation)  # NotFound names the unknown slug
    return [(slug, u) for slug, u in store_users.all_users(db) if organisation in (None, slug)]
