"""Storage of login throttling: failed log-ins, and the waits announced to client addresses.

One row per failed log-in (`login_failures`) counts for three throttles at once: its account
("user:12", or "email:<keyed hash>" for an e-mail address that is no user's), its client address
(kept in clear for the admins it concerns, and as a short keyed hash) and the (account, address)
pair. Each row carries the delay it imposed on each throttle, decided by `models.desk.logins` when
it was written, so what the desk enforces and what the admin page and the command line list come
from the same rows, without the app's settings. A delay set to NULL means the failure no longer
counts for that throttle (cleared by an admin, or the pair logged in since); a row counting for
none is deleted, and so is every row past its `expires_at`.

`login_waits` holds the waits announced to an address trying an account that many addresses
failed on: its first attempt after `ready_at` is checked and uses the wait up.

State, not records: no row is bound by an audit entry (`bindings`). The entries this module
writes (`login_throttled`, `login_throttle_cleared`) name users by id and addresses by their hash.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from models.desk.records import LoginThrottle
from models.errors import InvalidInput, NotFound
from models.messages import N_
from models.store.bindings import ALL
from models.store.database import DB, _all, _insert, _one, _write, append_audit

KINDS = ("account", "address", "pair")
_ACCOUNT = r"(?:user:[0-9]{1,19}|email:[0-9a-f]{8,64})"
_HASH = r"[0-9a-f]{8,64}"
_KEY = re.compile(
    rf"account:(?P<account>{_ACCOUNT})|address:(?P<address>{_HASH})"
    rf"|pair:(?P<pair_account>{_ACCOUNT})@(?P<pair_address>{_HASH})"
)
_USERS = "LEFT JOIN users u ON u.id = f.user_id"
_IN_ORG = "f.user_id IN (SELECT id FROM users WHERE organisation_id = ?)"


@dataclass(frozen=True)
class AttemptState:
    """What the next attempt of one account from one address meets (counted, unexpired rows)."""

    pair_failures: int
    pair_until: str | None
    address_failures: int
    address_until: str | None
    account_failures: int
    account_delay: float
    ready_at: str | None  # a wait announced to this address for this account


def _rows(kind: str) -> str:
    """SQL selecting the rows of one throttle of `kind`; parameters as `_params` gives them."""
    return {
        "account": "f.account = ?",
        "address": "f.address_hash = ?",
        "pair": "f.account = ? AND f.address_hash = ?",
    }[kind]


def _params(kind: str, account: str | None, address_hash: str | None) -> list[Any]:
    return {"account": [account], "address": [address_hash], "pair": [account, address_hash]}[kind]


def prune(db: DB, now: str) -> None:
    """Forget failures and waits past their expiry."""
    with _write(db):
        db.conn.execute("DELETE FROM login_failures WHERE expires_at <= ?", [now])
        db.conn.execute("DELETE FROM login_waits WHERE expires_at <= ?", [now])


def attempt_state(db: DB, account: str, address_hash: str, now: str) -> AttemptState:
    counts = {}
    for kind, until in (("pair", "MAX(pair_until)"), ("address", "MAX(address_until)"),
                        ("account", "MAX(account_delay)")):  # fmt: skip
        row = db.conn.execute(
            f"SELECT COUNT(*), {until} FROM login_failures f WHERE {_rows(kind)} "
            f"AND f.{kind}_delay IS NOT NULL AND f.expires_at > ?",
            [*_params(kind, account, address_hash), now],
        ).fetchone()
        counts[kind] = row
    wait = _one(
        db,
        "SELECT ready_at FROM login_waits WHERE account = ? AND address_hash = ? "
        "AND expires_at > ?",
        [account, address_hash, now],
    )
    return AttemptState(
        counts["pair"][0],
        counts["pair"][1],
        counts["address"][0],
        counts["address"][1],
        counts["account"][0],
        float(counts["account"][1] or 0),
        wait["ready_at"] if wait else None,
    )


def announce_wait(db: DB, account: str, address_hash: str, ready_at: str, expires_at: str) -> None:
    with _write(db):
        db.conn.execute(
            "INSERT OR REPLACE INTO login_waits (account, address_hash, ready_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            [account, address_hash, ready_at, expires_at],
        )


def use_wait(db: DB, account: str, address_hash: str) -> None:
    with _write(db):
        _forget_wait(db, account, address_hash)


def _forget_wait(db: DB, account: str, address_hash: str) -> None:
    db.conn.execute(
        "DELETE FROM login_waits WHERE account = ? AND address_hash = ?", [account, address_hash]
    )


def add_failure(db: DB, row: dict[str, Any]) -> int:
    """A log-in attempt about to be checked, counted as failed until it succeeds."""
    with _write(db):
        return _insert(db, "login_failures", row)


def forget_pair(db: DB, failure_id: int, account: str, address_hash: str) -> None:
    """A successful log-in: its own row goes, and the pair's earlier failures stop counting for
    the pair (they still count for the account and the address until they expire)."""
    with _write(db):
        db.conn.execute("DELETE FROM login_failures WHERE id = ?", [failure_id])
        db.conn.execute(
            "UPDATE login_failures SET pair_delay = NULL, pair_until = NULL "
            "WHERE account = ? AND address_hash = ?",
            [account, address_hash],
        )
        _forget_wait(db, account, address_hash)
        _drop_spent(db)


def _drop_spent(db: DB) -> None:
    db.conn.execute(
        "DELETE FROM login_failures "
        "WHERE pair_delay IS NULL AND address_delay IS NULL AND account_delay IS NULL"
    )


def settle_failure(
    db: DB, failure_id: int, at: str, expires_at: str, pair_until: str | None,
    address_until: str | None,
) -> None:  # fmt: skip
    """The attempt failed: its waits run from now; a throttle its failure starts delaying (the
    first row of it with a delay) goes into the audit trail."""
    with _write(db):
        row = _one(
            db,
            f"SELECT f.*, u.organisation_id AS org FROM login_failures f {_USERS} WHERE f.id = ?",
            [failure_id],
        )
        if row is None:  # cleared meanwhile
            return
        db.conn.execute(
            "UPDATE login_failures SET at = ?, expires_at = ?, "
            "pair_until = CASE WHEN pair_delay > 0 THEN ? END, "
            "address_until = CASE WHEN address_delay > 0 THEN ? END WHERE id = ?",
            [at, expires_at, pair_until, address_until, failure_id],
        )
        for kind in KINDS:
            if row[f"{kind}_delay"]:
                _audit_if_first(db, row, kind, at)


def _audit_if_first(db: DB, row: sqlite3.Row, kind: str, now: str) -> None:
    earlier, failures = db.conn.execute(
        f"SELECT COALESCE(SUM(f.id < ? AND f.{kind}_delay > 0), 0), COUNT(*) FROM login_failures "
        f"f WHERE {_rows(kind)} AND f.{kind}_delay IS NOT NULL AND f.expires_at > ?",
        [row["id"], *_params(kind, row["account"], row["address_hash"]), now],
    ).fetchone()
    if earlier:
        return
    details: dict[str, Any] = {"kind": kind, "failures": failures}
    details["delay"] = round(row[f"{kind}_delay"], 3)
    if kind == "address":
        subject, org = f"address:{row['address_hash']}", None  # the instance's chain
    elif row["user_id"] is None:
        return  # an e-mail address that is no user's: its login_failed entries say enough
    else:
        subject, org = f"user:{row['user_id']}", row["org"]
        if kind == "pair":
            details["address"] = row["address_hash"]
    append_audit(db, org, None, "login_throttled", subject, details)


# ---- what admins and the operator see and clear ------------------------------------------------


def list_throttles(db: DB, now: str, organisation_id: Any = ALL) -> list[LoginThrottle]:
    """Every throttle whose failures impose a delay: of one organisation's accounts (and the
    addresses that failed on them, counting only those failures), or with `ALL` the instance's."""
    scoped = organisation_id is not ALL
    org_where, org_params = (f" AND {_IN_ORG}", [organisation_id]) if scoped else ("", [])
    found: list[LoginThrottle] = []
    for row in _all(
        db,
        "SELECT f.account, f.user_id, u.email, u.organisation_id, COUNT(*) AS n, MAX(f.at) AS "
        f"last, MAX(f.account_delay) AS delay FROM login_failures f {_USERS} WHERE "
        f"f.account_delay IS NOT NULL AND f.expires_at > ?{org_where} GROUP BY f.account "
        "HAVING MAX(f.account_delay) > 0 ORDER BY last DESC",
        [now, *org_params],
    ):
        found.append(LoginThrottle("account", f"account:{row['account']}", row["n"], row["last"],
                                   row["delay"], None, row["user_id"], row["email"],
                                   row["organisation_id"]))  # fmt: skip
    for row in _all(
        db,
        "SELECT f.account, f.address_hash, MAX(f.address) AS address, f.user_id, u.email, "
        "u.organisation_id, COUNT(*) AS n, MAX(f.at) AS last, MAX(f.pair_delay) AS delay, "
        f"MAX(f.pair_until) AS until FROM login_failures f {_USERS} WHERE f.pair_delay IS NOT "
        f"NULL AND f.expires_at > ?{org_where} GROUP BY f.account, f.address_hash "
        "HAVING MAX(f.pair_delay) > 0 ORDER BY last DESC",
        [now, *org_params],
    ):
        key = f"pair:{row['account']}@{row['address_hash']}"
        found.append(LoginThrottle("pair", key, row["n"], row["last"], row["delay"], row["until"],
                                   row["user_id"], row["email"], row["organisation_id"],
                                   row["address"], row["address_hash"]))  # fmt: skip
    # An address is shown to an organisation only if it failed on one of its accounts, with
    # those failures only; its wait is the address's own (it is what that organisation's staff
    # meet from there).
    mine = f"({_IN_ORG})" if scoped else "1"
    for row in _all(
        db,
        f"SELECT f.address_hash, MAX(f.address) AS address, SUM({mine}) AS n, "
        f"MAX(CASE WHEN {mine} THEN f.at END) AS last, MAX(f.address_delay) AS delay, "
        "MAX(f.address_until) AS until FROM login_failures f WHERE f.address_delay IS NOT NULL "
        "AND f.expires_at > ? GROUP BY f.address_hash HAVING MAX(f.address_delay) > 0 "
        f"AND SUM({mine}) > 0 ORDER BY last DESC",
        [*org_params, *org_params, now, *org_params],
    ):
        found.append(LoginThrottle("address", f"address:{row['address_hash']}", row["n"],
                                   row["last"], row["delay"], row["until"], address=row["address"],
                                   address_hash=row["address_hash"]))  # fmt: skip
    return found


def parse_key(key: str) -> tuple[str, str | None, str | None]:
    """(kind, account, address hash) of a throttle's key as `list_throttles` writes it."""
    found = _KEY.fullmatch(key.strip())
    if found is None:
        raise InvalidInput(
            {"key": N_("expected account:user:ID, address:HASH or pair:user:ID@HASH (as listed)")}
        )
    if found["account"]:
        return "account", found["account"], None
    if found["address"]:
        return "address", None, found["address"]
    return "pair", found["pair_account"], found["pair_address"]


def clear_throttle(
    db: DB, actor_id: int | None, key: str, now: str, organisation_id: Any = ALL
) -> int:
    """Stop counting one throttle's failures (only those on the organisation's accounts, unless
    `ALL`): one `login_throttle_cleared` entry per organisation concerned. The number cleared;
    `NotFound` when there is none (another organisation's throttle looks absent)."""
    kind, account, address_hash = parse_key(key)
    where, params = _rows(kind), _params(kind, account, address_hash)
    if organisation_id is not ALL:
        where, params = f"{where} AND {_IN_ORG}", [*params, organisation_id]
    with _write(db):
        groups = _all(
            db,
            f"SELECT u.organisation_id AS org, f.user_id, COUNT(*) AS n FROM login_failures f "
            f"{_USERS} WHERE {where} AND f.{kind}_delay IS NOT NULL AND f.expires_at > ? "
            "GROUP BY u.organisation_id, f.user_id ORDER BY u.organisation_id, f.user_id",
            [*params, now],
        )
        if not groups:
            raise NotFound(N_("no such login throttle"))
        until = "" if kind == "account" else f", {kind}_until = NULL"
        db.conn.execute(
            f"UPDATE login_failures SET {kind}_delay = NULL{until} "
            f"WHERE id IN (SELECT f.id FROM login_failures f WHERE {where})",
            params,
        )
        waits = {"account": "account = ?", "address": "address_hash = ?",
                 "pair": "account = ? AND address_hash = ?"}[kind]  # fmt: skip
        wait_params = _params(kind, account, address_hash)
        if organisation_id is not ALL:
            waits += " AND account IN (SELECT 'user:' || id FROM users WHERE organisation_id = ?)"
            wait_params.append(organisation_id)
        db.conn.execute(f"DELETE FROM login_waits WHERE {waits}", wait_params)
        _drop_spent(db)
        _audit_cleared(db, actor_id, kind, address_hash, groups)
    return sum(g["n"] for g in groups)


def _audit_cleared(
    db: DB, actor_id: int | None, kind: str, address_hash: str | None, groups: list[sqlite3.Row]
) -> None:
    by_org: dict[int | None, list[sqlite3.Row]] = {}
    for group in groups:
        by_org.setdefault(group["org"], []).append(group)
    for org, rows in by_org.items():
        details: dict[str, Any] = {"kind": kind, "failures": sum(r["n"] for r in rows)}
        if kind == "address":
            subject = f"address:{address_hash}"
        else:
            user = rows[0]["user_id"]
            subject = f"user:{user}" if user is not None else "user:unknown"
            if kind == "pair":
                details["address"] = address_hash
        append_audit(db, org, actor_id, "login_throttle_cleared", subject, details)
