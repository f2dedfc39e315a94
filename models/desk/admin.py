"""The desk's administration: logging in and sessions, policy publishing, learner erasure.

Staff accounts are managed in `models.desk.staff` and API tokens in `models.desk.tokens`; their
main functions are named here too, where the desk's callers have always found them. Session
tokens are 256-bit random strings given to the caller once; only their sha256 is stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.desk.cases import ANY_ROLE, require
from models.desk.publishing import publish as publish_policy  # noqa: F401 - the desk's name
from models.desk.records import AuditEntry, Learner, PolicyVersion, User
from models.desk.staff import (  # noqa: F401 - named here for the desk's callers
    PASSWORDS,
    create_user,
    deactivate_user,
    list_users,
)
from models.desk.tokens import (  # noqa: F401 - named here for the desk's callers
    api_token_user,
    issue_api_token,
    revoke_api_token,
    token_hash,
)
from models.errors import Forbidden, NotFound
from models.messages import N_
from models.store import database as store
from models.store import policies as store_policies
from models.store import users as store_users
from models.store.database import DB

SESSION_TTL = dt.timedelta(hours=8)
_BAD_LOGIN = N_("wrong e-mail address or password")


def authenticate(db: DB, email: str, password: str, *, hasher: PasswordHasher = PASSWORDS) -> User:
    """The active user with these credentials, or `Forbidden` (and a `login_failed` entry)."""
    found = store_users.login_record(db, email)
    if found is None:
        # Hash anyway so a wrong address takes as long as a wrong password.
        _verify(hasher, _dummy_hash(hasher), password)
        store_users.record_login_failure(db, None, "unknown_user")
        raise Forbidden(_BAD_LOGIN)
    user, stored = found
    if not _verify(hasher, stored, password):
        store_users.record_login_failure(db, user, "bad_password")
        raise Forbidden(_BAD_LOGIN)
    if not user.active:
        store_users.record_login_failure(db, user, "inactive")
        raise Forbidden(_BAD_LOGIN)
    if hasher.check_needs_rehash(stored):
        store_users.set_password_hash(db, user, hasher.hash(password))
    return user


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(db: DB, user: User, *, ttl: dt.timedelta = SESSION_TTL) -> str:
    """A server-side session; the returned token goes into the session cookie."""
    require(user, *ANY_ROLE)
    token = secrets.token_urlsafe(32)
    expires = (dt.datetime.now(dt.UTC) + ttl).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store_users.create_session(db, user, token_hash(token), expires)
    return token


def session_user(db: DB, token: str) -> User | None:
    """The user of a live session (not expired, not revoked, user active), else None."""
    return store_users.session_user(db, token_hash(token))


def end_session(db: DB, token: str) -> None:
    store_users.revoke_session(db, token_hash(token))


# ---- policies and learners ---------------------------------------------------------------------


def list_policies(db: DB, user: User) -> list[PolicyVersion]:
    require(user, *ANY_ROLE)
    return store_policies.list_policies(db, user.organisation_id)


def get_policy(db: DB, user: User, policy_id: str, version: str) -> PolicyVersion:
    require(user, *ANY_ROLE)
    return store_policies.get_policy(db, user.organisation_id, policy_id, version)


def erase_learner(db: DB, user: User, learner_key: str) -> Learner:
    """Erase a learner's identity (name, own id); their cases keep the pseudonymous key."""
    require(user, "admin")
    return store_policies.erase_learner(db, user, learner_key)


def audit_log(db: DB, user: User, *, limit: int = 100) -> list[AuditEntry]:
    """The newest entries of the user's organisation's trail (no personal data in them)."""
    require(user, *ANY_ROLE)
    return list(store.audit_entries(db, user.organisation_id, newest_first=True, limit=limit))


def find_user(db: DB, email: str) -> User:
    """The user with this e-mail address, for the command line (which acts for the operator)."""
    found = store_users.login_record(db, email)
    if found is None:
        raise NotFound(N_("no user with this e-mail address"))

    return found[0]
