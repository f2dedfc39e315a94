"""API tokens as data: their scopes and expiry, and the rules for reading what a caller asks for.

Pure: no storage, no web. A token's scopes are `read` (the API's GET calls) and `decide` (the
calls that write: cases, evaluations, decisions, batches). `decide` includes `read`: a token that
may record a decision may also read the case it decides, so the stored scopes are either
"read" or "read decide". Tokens are valid for at most a year; a date given is the last day the
token works (until midnight UTC).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from models.desk.records import User
from models.errors import InvalidInput
from models.messages import N_

SCOPES = ("read", "decide")
READ_ONLY = ("read",)
MAX_DAYS = 365
DEFAULT_DAYS = 90
EXPIRY_CHOICES = (30, 90, 365)  # the account page's choices, in days
LANGUAGES = ("en", "sv")  # the languages a member of staff may choose (views.i18n speaks them)


@dataclass(frozen=True)
class ApiToken:
    """An API token as its owner and the desk see it: never the token itself (only its sha256
    is stored)."""

    id: int
    user_id: int
    name: str
    scopes: tuple[str, ...]  # READ_ONLY or SCOPES
    created_at: str
    expires_at: str | None  # None: issued before tokens expired (migration 0006)
    revoked_at: str | None
    last_used_at: str | None  # to the minute

    def state(self, at: str) -> str:
        """ "revoked", "expired" or "active" at the time `at` (the store's time format)."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"


@dataclass(frozen=True)
class TokenAccess:
    """What a presented token lets its holder do: act as `user` within `scopes`."""

    user: User
    token_id: int
    scopes: tuple[str, ...]

    @property
    def may_write(self) -> bool:
        return "decide" in self.scopes


def scopes_of(values: Iterable[str]) -> tuple[str, ...]:
    """The scopes asked for (names, or comma-separated lists of names) as stored: `decide`
    brings `read` with it. Unknown or no names → `InvalidInput` naming the expected ones."""
    names = [n.strip().lower() for value in values for n in str(value).split(",") if n.strip()]
    unknown = sorted({n for n in names if n not in SCOPES})
    if unknown:
        raise InvalidInput(
            {"scopes": N_("expected read and/or decide; got %(got)s",
                          got=", ".join(map(repr, unknown)))}
        )  # fmt: skip
    if not names:
        raise InvalidInput({"scopes": N_("expected at least one scope: read and/or decide")})
    return SCOPES if "decide" in names else READ_ONLY


def stored_scopes(text: str) -> tuple[str, ...]:
    return SCOPES if "decide" in text.split() else READ_ONLY


def scopes_text(scopes: tuple[str, ...]) -> str:
    return " ".join(scopes)


_DAYS = re.compile(r"^\d{1,6}$")


def expiry(value: str | int, now: dt.datetime | None = None) -> dt.datetime:
    """When a token asked for with `value` stops working: a number of days (1 to 365) from now,
    or a date (ISO, after today, at most a year ahead) at the end of which it stops."""
    now = now or dt.datetime.now(dt.UTC)
    text = str(value).strip()
    expected = N_("expected a number of days (1 to %(most)s) or a date (YYYY-MM-DD)", most=MAX_DAYS)
    if _DAYS.match(text):
        days = int(text)
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(
                {"expires": N_("%(expected)s; %(days)s days is out of range",
                               expected=expected, days=days)}
            )  # fmt: skip
        return now + dt.timedelta(days=days)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            {"expires": N_("%(expected)s; got %(got)s", expected=expected, got=repr(text[:40]))}
        ) from None
    if not now.date() < day <= now.date() + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(
            {"expires": N_("expected a date after today and at most %(most)s days ahead; "
                           "got %(got)s", most=MAX_DAYS, got=day.isoformat())}
        )  # fmt: skip
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def timestamp(moment: dt.datetime) -> str:
    """As the store writes times: ISO-8601 UTC with microseconds and a Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def language_of(value: str | None) -> str | None:
    """A language a member of staff may choose, or None for "not chosen" (empty)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().lower()
    if text not in LANGUAGES:
        raise InvalidInput(
            {"language": N_("expected one of %(choices)s; got %(got)s",
                            choices=", ".join(LANGUAGES), got=repr(text[:20]))}
        )  # fmt: skip
    return text
