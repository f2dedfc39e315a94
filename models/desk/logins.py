"""Logging in, with throttling that slows guessing down and cannot be turned into a lock-out.

Failed log-ins are counted in the database (`models.store.throttle`): every server process and
every restart sees the same counts. A failure counts for `window` seconds, for three throttles:

- the (account, address) pair: from its `per_pair`-th failure on, the next attempt of that account
  from that address is checked only `first_delay` seconds after the newest failure, twice as long
  after each further failure, up to `max_delay` (1, 2, 4 … 300 s by default);
- the client address (an IPv6 address counts as its /64 network): the same from its
  `per_address`-th failure on, whichever accounts it tried;
- the account: from its `per_account`-th failure on (from any addresses), every address, a new
  one too, is told to wait before its next attempt at that account is checked: `first_delay`,
  doubling with further failures, never more than `account_max_delay` (4 s). The attempt after
  that wait is checked.

A waiting attempt is refused (`Throttled`: 429 with Retry-After) before any password is checked
and counts for nothing. Only the address that failed waits long; the account's own throttle is
short and capped, so the correct password from an address with no failures of its own is refused
for at most `account_max_delay` seconds, however many addresses guess at the account.

An attempt counts as failed from the moment it is let through (in the same IMMEDIATE transaction
as the check), so concurrent attempts in several processes are counted exactly; a successful log-in
takes its own count back and ends its pair's throttle. Addresses are kept in clear only in the
throttle's own rows, which expire; the audit trail gets user ids and short keyed hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from argon2 import PasswordHasher

from models.desk import admin
from models.desk.cases import require
from models.desk.records import LoginThrottle, User
from models.errors import Forbidden, ModelError
from models.store import database as store
from models.store import throttle as store_throttle
from models.store import users as store_users
from models.store.throttle import AttemptState

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class ThrottleSettings:
    """The numbers, each from the app config key in `CONFIG` (seconds and failure counts)."""

    window: float = 15 * 60
    per_pair: int = 5
    per_address: int = 20
    per_account: int = 10
    first_delay: float = 1.0
    max_delay: float = 300.0
    account_max_delay: float = 4.0

    def __post_init__(self) -> None:
        if self.window <= 0 or min(getattr(self, f.name) for f in fields(self)) < 0:
            raise ValueError("login throttle settings: the window > 0, every other number >= 0")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ThrottleSettings:
        given = {}
        for f in fields(cls):
            if CONFIG[f.name] in config:
                given[f.name] = (int if f.type == "int" else float)(config[CONFIG[f.name]])
        return cls(**given)


CONFIG = {
    "window": "LOGIN_THROTTLE_WINDOW_SECONDS",
    "per_pair": "LOGIN_THROTTLE_PER_PAIR",
    "per_address": "LOGIN_THROTTLE_PER_ADDRESS",
    "per_account": "LOGIN_THROTTLE_PER_ACCOUNT",
    "first_delay": "LOGIN_THROTTLE_FIRST_DELAY",
    "max_delay": "LOGIN_THROTTLE_MAX_DELAY",
    "account_max_delay": "LOGIN_THROTTLE_ACCOUNT_MAX_DELAY",
}


class Throttled(ModelError):
    """The attempt must wait; nothing was checked. `.retry_after` in whole seconds."""

    def __init__(self, kind: str, retry_after: int):
        self.kind, self.retry_after = kind, retry_after
        if kind == "account":
            message = (
                "This account has had many failed log-ins. To slow guessing down, every log-in "
                f"to it waits a few seconds: wait {retry_after} seconds and submit again."
            )
        else:
            message = (
                "Too many failed attempts from your network address. "
                f"Wait {retry_after} seconds and try again."
            )
        super().__init__(message)


@dataclass(frozen=True)
class _Attempt:
    failure_id: int
    pair_delay: float
    address_delay: float


def delay(failures: int, free: int, first: float, cap: float) -> float:
    """The wait after the `failures`-th failure: none before the `free`-th, then `first`,
    doubling with each further failure, never more than `cap`."""
    if failures < free or free < 1:
        return 0.0
    return float(min(first * 2 ** min(failures - free, 64), cap))


def client_address(raw: str | None) -> str:
    """The address a throttle counts: IPv4 as is, IPv6 as its /64 network."""
    try:
        ip = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return (raw or "-")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keyed_hash(secret: bytes, purpose: str, value: str) -> str:
    """A short keyed hash (64 bits): what the audit trail holds instead of an address."""
    return hmac.new(secret, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:16]


def _iso(moment: dt.datetime) -> str:
    return moment.strftime(_FORMAT)


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.strptime(text, _FORMAT).replace(tzinfo=dt.UTC) if text else None


def _after(moment: dt.datetime, seconds: float) -> str | None:
    return _iso(moment + dt.timedelta(seconds=seconds)) if seconds else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now_text() -> str:
    """Now as the throttles' timestamps are written (they sort as text)."""
    return _iso(_now())


def decide(
    state: AttemptState, settings: ThrottleSettings, now: dt.datetime
) -> tuple[str, dt.datetime, bool] | None:
    """None: check the attempt. Else (throttle, checked not before, announce a new wait)."""
    waits = [(u, k) for u, k in ((_parse(state.pair_until), "pair"),
                                 (_parse(state.address_until), "address")) if u]  # fmt: skip
    until, kind = max(waits, default=(None, ""))
    if until is not None and until > now:
        return kind, until, False
    if state.account_delay > 0:
        ready = _parse(state.ready_at)
        if ready is None:
            wait = min(state.account_delay, settings.account_max_delay)
            return "account", now + dt.timedelta(seconds=wait), True
        if ready > now:
            return "account", ready, False
    return None


def login(
    db: store.DB,
    email: str,
    password: str,
    address: str | None,
    *,
    secret: bytes,
    settings: ThrottleSettings = ThrottleSettings(),  # noqa: B008 - frozen
    hasher: PasswordHasher = admin.PASSWORDS,
) -> User:
    """The user with these credentials, or `Throttled` (nothing checked) or `Forbidden`."""
    found = store_users.login_record(db, email)
    user = found[0] if found else None
    if user is not None:
        account = f"user:{user.id}"
    else:  # an e-mail address that is no user's is throttled alike, and kept only as a hash
        account = f"email:{keyed_hash(secret, 'login-email', email.strip().lower())}"
    place = client_address(address)
    hashed = keyed_hash(secret, "login-address", place)
    attempt = _let_through(db, settings, account, user, place, hashed)
    try:
        authenticated = admin.authenticate(db, email, password, hasher=hasher)
    except Forbidden:
        now = _now()  # the waits run from the failure's answer, not from its start
        store_throttle.settle_failure(
            db,
            attempt.failure_id,
            _iso(now),
            _after(now, settings.window),
            _after(now, attempt.pair_delay),
            _after(now, attempt.address_delay),
        )
        raise
    store_throttle.forget_pair(db, attempt.failure_id, account, hashed)
    return authenticated


def _let_through(
    db: store.DB, s: ThrottleSettings, account: str, user: User | None, place: str, hashed: str
) -> _Attempt:
    """Check the throttles and count the attempt as failed, or raise `Throttled`: one
    IMMEDIATE transaction, so no other process checks or counts in between."""
    with store.transaction(db):
        now = _now()  # once the write lock is held: no other process decides in between
        text = _iso(now)
        store_throttle.prune(db, text)
        state = store_throttle.attempt_state(db, account, hashed, text)
        verdict = decide(state, s, now)
        if verdict is None:
            if state.ready_at is not None:
                store_throttle.use_wait(db, account, hashed)
            pair = delay(state.pair_failures + 1, s.per_pair, s.first_delay, s.max_delay)
            spot = delay(state.address_failures + 1, s.per_address, s.first_delay, s.max_delay)
            whole = delay(
                state.account_failures + 1, s.per_account, s.first_delay, s.account_max_delay
            )
            failure_id = store_throttle.add_failure(
                db,
                {
                    "at": text,
                    "expires_at": _after(now, s.window),
                    "account": account,
                    "user_id": user.id if user else None,
                    "address": place,
                    "address_hash": hashed,
                    "pair_delay": pair,
                    "address_delay": spot,
                    "account_delay": whole,
                    # Until it is settled, the attempt holds its pair and address back as if
                    # it had failed now: no concurrent attempt slips past the count.
                    "pair_until": _after(now, pair),
                    "address_until": _after(now, spot),
                },
            )
            return _Attempt(failure_id, pair, spot)
        kind, until, announce = verdict
        if announce:
            store_throttle.announce_wait(db, account, hashed, _iso(until), _after(until, s.window))
    raise Throttled(kind, max(1, math.ceil((until - now).total_seconds())))


# ---- what admins and the operator see and clear ------------------------------------------------


def list_throttles(db: store.DB, actor: User) -> list[LoginThrottle]:
    """The throttles of the admin's organisation's accounts and of the addresses that failed on
    them (counting those failures only)."""
    require(actor, "admin")
    return store_throttle.list_throttles(db, _iso(_now()), actor.organisation_id)


def clear_throttle(db: store.DB, actor: User, key: str) -> int:
    """Forget one throttle's failures on the admin's organisation's accounts (audited); the
    number forgotten. Another organisation's throttle is `NotFound`."""
    require(actor, "admin")
    return store_throttle.clear_throttle(db, actor.id, key, _iso(_now()), actor.organisation_id)


def instance_throttles(db: store.DB) -> list[LoginThrottle]:
    """Every throttle of the instance, for the command line (which acts for the operator)."""
    return store_throttle.list_throttles(db, _iso(_now()))


def clear_instance_throttle(db: store.DB, key: str) -> int:
    """The operator clears a throttle whole (audited with no actor)."""
    return store_throttle.clear_throttle(db, None, key, _iso(_now()))
