"""Storage of staff: users, their password hashes and roles, and server-side sessions.

Only the sha256 of a session token is stored. Sessions are revoked by setting `revoked_at`;
deactivating a user revokes their sessions and API tokens (`tokens`), resetting a password their
sessions. Every change an admin or the operator makes to an account (`actor_id` None: the
operator, on the command line) is an audit entry that binds the user's row (`bindings`); a
user's own language is a preference, not a record, and changes without one. The organisation
always keeps an active admin: the last one can be neither demoted nor deactivated.
"""

from __future__ import annotations

import sqlite3

from models.desk.records import User
from models.errors import Conflict, Forbidden, NotFound
from models.messages import N_
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
        row["language"],
        row["updated_at"],
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
            raise Conflict(N_("a user with this e-mail address exists already"))
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
        raise NotFound(N_("no user %(user)s", user=user_id))
    return _user(row)


def list_users(db: DB, organisation_id: int) -> list[User]:
    rows = _all(db, "SELECT * FROM users WHERE organisation_id = ? ORDER BY id", [organisation_id])
    return [_user(r) for r in rows]


def all_users(db: DB) -> list[tuple[str, User]]:
    """(organisation slug, user) of the whole instance, for the operator's command line."""
    rows = _all(
        db,
        "SELECT u.*, o.slug AS slug FROM users u JOIN organisations o ON o.id = u.organisation_id "
        "ORDER BY o.slug, u.id",
    )
    return [(r["slug"], _user(r)) for r in rows]


def login_record(db: DB, email: str) -> tuple[User, str] | None:
    """The user with this e-mail address and their password hash, for the login check only."""
    row = _one(db, "SELECT * FROM users WHERE email = ?", [email.strip()])
    return (_user(row), row["password_hash"]) if row else None


def set_password_hash(db: DB, user: User, password_hash: str) -> None:
    with _write(db):
        db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user.id])


def set_user_active(db: DB, actor: User, user_id: int, active: bool) -> User:
    return change_active(db, actor.organisation_id, actor.id, user_id, active)


def _keeps_an_admin(db: DB, organisation_id: int, user_id: int) -> None:
    """Refuse a change that would leave the organisation without an active admin."""
    others = _one(
        db,
        "SELECT count(*) AS n FROM users WHERE organisation_id = ? AND role = 'admin' "
        "AND active = 1 AND id != ?",
        [organisation_id, user_id],
    )
    if not others or not others["n"]:
        raise Conflict(
            N_("the organisation would have no active admin left; make another one first")
        )


def _revoke_sessions(db: DB, user_id: int, at: str) -> None:
    db.conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [at, user_id]
    )


def change_active(
    db: DB, organisation_id: int, actor_id: int | None, user_id: int, active: bool
) -> User:
    """(De)activate a user of the organisation; deactivating revokes their sessions and tokens."""
    with _write(db):
        user = get_user(db, organisation_id, user_id)
        if user.active == active:
            return user  # nothing changes, nothing to record
        if not active and user.role == "admin":
            _keeps_an_admin(db, organisation_id, user_id)
        at = now()
        db.conn.execute(
            "UPDATE users SET active = ?, updated_at = ? WHERE id = ?", [int(active), at, user_id]
        )
        if not active:  # a deactivated user's sessions and tokens stop working at once
            _revoke_sessions(db, user_id, at)
            db.conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                [at, user_id],
            )
        event = "user_activated" if active else "user_deactivated"
        append_audit(db, organisation_id, actor_id, event, f"user:{user_id}", {})
    return get_user(db, organisation_id, user_id)


def change_role(
    db: DB, organisation_id: int, actor_id: int | None, user_id: int, role: str
) -> User:
    with _write(db):
        user = get_user(db, organisation_id, user_id)
        if user.role == role:
            return user
        if user.role == "admin" and user.active:
            _keeps_an_admin(db, organisation_id, user_id)
        db.conn.execute(
            "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", [role, now(), user_id]
        )
        details = {"from": user.role, "to": role}
        append_audit(db, organisation_id, actor_id, "user_role_changed", f"user:{user_id}", details)
    return get_user(db, organisation_id, user_id)


def reset_password(
    db: DB, organisation_id: int, actor_id: int | None, user_id: int, password_hash: str
) -> User:
    """A new password hash; the user's sessions end (their API tokens are kept)."""
    with _write(db):
        get_user(db, organisation_id, user_id)
        at = now()
        db.conn.execute(
            "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
            [password_hash, at, user_id],
        )
        _revoke_sessions(db, user_id, at)
        append_audit(db, organisation_id, actor_id, "user_password_reset", f"user:{user_id}", {})
    return get_user(db, organisation_id, user_id)


def set_language(db: DB, user: User, language: str | None) -> User:
    """The user's own language (a preference: no audit entry)."""
    with _write(db):
        cursor = db.conn.execute(
            "UPDATE users SET language = ? WHERE id = ? AND active = 1", [language, user.id]
        )
        if not cursor.rowcount:
            raise Forbidden(N_("only an active member of staff has a language setting"))
    return get_user(db, user.organisation_id, user.id)


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
