"""Storage of staff: users, their password hashes, server-side sessions and API tokens.

Only the sha256 of a session or API token is stored. Sessions and tokens are revoked by setting
`revoked_at` (the one kind of update these tables take); deactivating a user revokes both.
"""

from __future__ import annotations

import sqlite3

from models.desk.records import User
from models.errors import Conflict, NotFound
from models.store.database import (
    DB,
    _all,
    _insert,
    _one,
    _write,
    append_audit,
    get_organisation,
    now,
)


def _user(row: sqlite3.Row) -> User:
    return User(
        row["id"],
        row["organisation_id"],
        row["email"],
        row["display_name"],
        row["role"],
        bool(row["active"]),
        row["created_at"],
    )


def create_user(
    db: DB,
    actor: User | None,
    organisation_id: int,
    email: str,
    display_name: str,
    role: str,
    password_hash: str,
) -> User:
    """A new member of staff; `actor` None means the instance operator (command line, seed)."""
    with _write(db):
        get_organisation(db, organisation_id)
        if _one(db, "SELECT 1 FROM users WHERE email = ?", [email]):
            raise Conflict("a user with this e-mail address exists already")
        user_id = _insert(
            db,
            "users",
            {
                "organisation_id": organisation_id,
                "email": email,
                "display_name": display_name,
                "role": role,
                "password_hash": password_hash,
                "created_at": now(),
                "active": 1,
            },
        )
        # The e-mail address is personal data: the trail names the user by id only.
        append_audit(
            db,
            organisation_id,
            actor.id if actor else None,
            "user_created",
            f"user:{user_id}",
            {"role": role},
        )
    return get_user(db, organisation_id, user_id)


def get_user(db: DB, organisation_id: int, user_id: int) -> User:
    row = _one(
        db, "SELECT * FROM users WHERE id = ? AND organisation_id = ?", [user_id, organisation_id]
    )
    if row is None:
        raise NotFound(f"no user {user_id}")
    return _user(row)


def list_users(db: DB, organisation_id: int) -> list[User]:
    rows = _all(db, "SELECT * FROM users WHERE organisation_id = ? ORDER BY id", [organisation_id])
    return [_user(r) for r in rows]


def login_record(db: DB, email: str) -> tuple[User, str] | None:
    """The user with this e-mail address and their password hash, for the login check only."""
    row = _one(db, "SELECT * FROM users WHERE email = ?", [email.strip()])
    return (_user(row), row["password_hash"]) if row else None


def set_password_hash(db: DB, user: User, password_hash: str) -> None:
    with _write(db):
        db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user.id])


def set_user_active(db: DB, actor: User, user_id: int, active: bool) -> User:
    with _write(db):
        get_user(db, actor.organisation_id, user_id)
        db.conn.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])
        if not active:  # a deactivated user's sessions and tokens stop working at once
            at = now()
            db.conn.execute(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                [at, user_id],
            )
            db.conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                [at, user_id],
            )
        event = "user_activated" if active else "user_deactivated"
        append_audit(db, actor.organisation_id, actor.id, event, f"user:{user_id}", {})
    return get_user(db, actor.organisation_id, user_id)


def record_login_failure(db: DB, user: User | None, reason: str) -> None:
    """A failed login; no e-mail address in the trail, only the user id when there is one."""
    with _write(db):
        subject = f"user:{user.id}" if user else "user:unknown"
        org = user.organisation_id if user else None
        append_audit(db, org, None, "login_failed", subject, {"reason": reason})


# ---- sessions and API tokens: only their sha256 is stored --------------------------------------


def create_session(db: DB, user: User, token_hash: str, expires_at: str) -> None:
    with _write(db):
        _insert(
            db,
            "sessions",
            {
                "token_hash": token_hash,
                "user_id": user.id,
                "created_at": now(),
                "expires_at": expires_at,
            },
        )


_ACTIVE_USER = "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL"


def session_user(db: DB, token_hash: str) -> User | None:
    row = _one(
        db,
        f"SELECT u.* FROM sessions t {_ACTIVE_USER} AND t.expires_at > ? AND u.active = 1",
        [token_hash, now()],
    )
    return _user(row) if row else None


def revoke_session(db: DB, token_hash: str) -> None:
    with _write(db):
        db.conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            [now(), token_hash],
        )


def create_api_token(db: DB, user: User, name: str, token_hash: str) -> int:
    with _write(db):
        token_id = _insert(
            db,
            "api_tokens",
            {"token_hash": token_hash, "user_id": user.id, "name": name, "created_at": now()},
        )
        append_audit(
            db,
            user.organisation_id,
            user.id,
            "api_token_issued",
            f"api_token:{token_id}",
            {"user": user.id},
        )
    return token_id


def api_token_user(db: DB, token_hash: str) -> User | None:
    row = _one(db, f"SELECT u.* FROM api_tokens t {_ACTIVE_USER} AND u.active = 1", [token_hash])
    return _user(row) if row else None


def revoke_api_token(db: DB, actor: User, token_id: int, *, any_user: bool = False) -> None:
    """Revoke one of the actor's tokens (with `any_user`, any token of their organisation)."""
    with _write(db):
        row = _one(
            db,
            "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.id = ? AND u.organisation_id = ? AND (? OR t.user_id = ?)",
            [token_id, actor.organisation_id, int(any_user), actor.id],
        )
        if row is None:
            raise NotFound(f"no API token {token_id}")
        db.conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [now(), token_id],
        )
        append_audit(
            db, actor.organisation_id, actor.id, "api_token_revoked", f"api_token:{token_id}", {}
        )
