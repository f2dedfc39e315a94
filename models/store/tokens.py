"""Storage of API tokens: only their sha256, with scopes, expiry, revocation and last use.

A token works while it is not revoked, not expired and its user is active; revoking sets
`revoked_at` (deactivating a user revokes all of theirs, `users.change_active`). Issuing and
revoking are audit entries that bind the token's row; `last_used_at` is state, written at most
once a minute per token so that the API's reads do not each take the write lock.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from models.desk.records import User
from models.desk.scopes import ApiToken, TokenAccess, scopes_text, stored_scopes
from models.errors import NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now
from models.store.users import _user

TOUCH_EVERY = dt.timedelta(minutes=1)


def _token(row: sqlite3.Row) -> ApiToken:
    return ApiToken(
        row["id"],
        row["user_id"],
        row["name"],
        stored_scopes(row["scopes"]),
        row["created_at"],
        row["expires_at"],
        row["revoked_at"],
        row["last_used_at"],
    )


def create_api_token(
    db: DB,
    user: User,
    name: str,
    token_hash: str,
    *,
    scopes: tuple[str, ...],
    expires_at: str | None,
    actor_id: int | None,
) -> int:
    """A token for `user`, issued by themselves (`actor_id` their id) or the operator (None)."""
    with _write(db):
        token_id = _insert(
            db,
            "api_tokens",
            {
                "token_hash": token_hash,
                "user_id": user.id,
                "name": name,
                "created_at": now(),
                "scopes": scopes_text(scopes),
                "expires_at": expires_at,
            },
        )
        details = {"user": user.id, "scopes": list(scopes), "expires_at": expires_at}
        append_audit(
            db, user.organisation_id, actor_id, "api_token_issued", f"api_token:{token_id}", details
        )
    return token_id


def token_access(db: DB, token_hash: str) -> TokenAccess | None:
    """The user and scopes of a live token (not revoked, not expired, user active), else None;
    notes when it was used (to the minute)."""
    at = now()
    row = _one(
        db,
        "SELECT u.*, t.id AS token_id, t.scopes AS token_scopes, t.last_used_at AS token_used "
        "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? "
        "AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) "
        "AND u.active = 1",
        [token_hash, at],
    )
    if row is None:
        return None
    stale = (dt.datetime.now(dt.UTC) - TOUCH_EVERY).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if row["token_used"] is None or row["token_used"] < stale:
        with _write(db):
            db.conn.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [at, row["token_id"]]
            )
    return TokenAccess(_user(row), row["token_id"], stored_scopes(row["token_scopes"]))


def list_tokens(db: DB, organisation_id: int, user_id: int | None = None) -> list[ApiToken]:
    """The tokens of one user of the organisation (or of all its users), newest first."""
    rows = _all(
        db,
        "SELECT t.* FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE u.organisation_id = ? AND (? IS NULL OR t.user_id = ?) ORDER BY t.id DESC",
        [organisation_id, user_id, user_id],
    )
    return [_token(r) for r in rows]


def all_tokens(db: DB, user_id: int | None = None) -> list[tuple[str, str, ApiToken]]:
    """(organisation slug, user e-mail, token) of the instance, for the operator."""
    rows = _all(
        db,
        "SELECT t.*, u.email AS email, o.slug AS slug FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id "
        "WHERE (? IS NULL OR t.user_id = ?) ORDER BY t.id",
        [user_id, user_id],
    )
    return [(r["slug"], r["email"], _token(r)) for r in rows]


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
            raise NotFound(N_("no API token %(token)s", token=token_id))
        _revoke(db, actor.organisation_id, actor.id, token_id)


def revoke_for_operator(db: DB, token_id: int) -> ApiToken:
    """Revoke any token of the instance (the command line acts for the operator)."""
    with _write(db):
        row = _one(
            db,
            "SELECT t.*, u.organisation_id AS org FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.id = ?",
            [token_id],
        )
        if row is None:
            raise NotFound(N_("no API token %(token)s", token=token_id))
        _revoke(db, row["org"], None, token_id)
        found = _one(db, "SELECT * FROM api_tokens WHERE id = ?", [token_id])
    return _token(found or row)


def _revoke(db: DB, organisation_id: int, actor_id: int | None, token_id: int) -> None:
    cursor = db.conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        [now(), token_id],
    )
    if cursor.rowcount:  # revoking a revoked token changes nothing and records nothing
        append_audit(
            db, organisation_id, actor_id, "api_token_revoked", f"api_token:{token_id}", {}
        )
