"""What a credential states about its own life: its status entries, checked against local copies
of status lists, and its validity period (validFrom / validUntil / expirationDate / OB 2.0
`expires` / the JWT's nbf and exp).

Nothing is fetched: a status entry whose list was not supplied is "unchecked", never "active".
`assess` adds these facts to a verdict; a document that states nothing leaves them as they were
(a nested credential without a status of its own keeps what its container's verdict says).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from models.credentials.verify import data_integrity
from models.credentials.verify.certificates import parse_time
from models.credentials.verify.keys import VerifierConfig
from models.credentials.verify.status_lists import StatusList
from models.credentials.verify.verdict import (
    ACTIVE,
    CURRENT,
    EXPIRED,
    INVALID,
    NOT_YET_VALID,
    REVOKED,
    SUSPENDED,
    UNCHECKED,
    VALID,
    Verdict,
)

MAX_ENTRIES = 10
LIST_ENTRIES = frozenset({"BitstringStatusListEntry", "StatusList2021Entry"})
PURPOSES = {"revocation": REVOKED, "suspension": SUSPENDED}
_WORDS = {ACTIVE: "active", REVOKED: "revoked", SUSPENDED: "suspended", UNCHECKED: "unknown"}


@dataclass(frozen=True)
class _Finding:
    code: str  # active | revoked | suspended | unchecked; "" for an entry not about validity
    text: str


def assess(
    verdict: Verdict,
    document: Any,
    config: VerifierConfig,
    claims: dict[str, Any] | None = None,
) -> Verdict:
    """`verdict` with the document's status and validity period (`claims`: a JWT's claims)."""
    if not isinstance(document, dict):
        return verdict
    return _period(_status(verdict, document, config), document, config.now, claims or {})


def _status(verdict: Verdict, document: dict[str, Any], config: VerifierConfig) -> Verdict:
    raw = document.get("credentialStatus")
    if raw in (None, "", [], {}):
        return verdict
    entries = raw if isinstance(raw, list) else [raw]
    findings = [_check(entry, config) for entry in entries[:MAX_ENTRIES]]
    if len(entries) > MAX_ENTRIES:
        findings.append(_Finding(UNCHECKED, f"more than {MAX_ENTRIES} status entries"))
    codes = {f.code for f in findings}
    code = next((c for c in (REVOKED, SUSPENDED, UNCHECKED, ACTIVE) if c in codes), "")
    text = "; ".join(f.text for f in findings)
    if not code:  # only entries about something else (a message, a refresh)
        return verdict.with_notes(text)
    return replace(verdict, status_check=code, status=f"{_WORDS[code]}: {text}")


def _check(entry: Any, config: VerifierConfig) -> _Finding:
    if not isinstance(entry, dict):
        return _Finding(UNCHECKED, "a status entry that is not an object cannot be read")
    kinds = entry.get("type")
    kinds = {kinds} if isinstance(kinds, str) else set(kinds if isinstance(kinds, list) else [])
    named = ", ".join(sorted(str(k) for k in kinds)) or "untyped"
    if not kinds & LIST_ENTRIES:
        where = entry.get("id") if isinstance(entry.get("id"), str) else ""
        return _Finding(
            UNCHECKED,
            f"cannot be checked offline: a {named} status entry{f' ({where})' if where else ''}; "
            "credstack reads Bitstring Status List and StatusList2021 entries against local copies",
        )
    url = entry.get("statusListCredential")
    purpose = str(entry.get("statusPurpose") or "").lower()
    index, size = _number(entry.get("statusListIndex")), _number(entry.get("statusSize", 1))
    if not isinstance(url, str) or not url or index is None or size is None or not 1 <= size <= 8:
        return _Finding(
            UNCHECKED, f"the {named} entry lacks a readable statusListCredential or index"
        )
    if purpose not in PURPOSES:
        return _Finding("", f"a '{purpose or '?'}' status entry ({url}) is not about validity")
    listed = config.status_lists.get(url)
    where = f"{purpose} list {url}, index {index}"
    if listed is None:
        return _Finding(
            UNCHECKED,
            f"cannot be checked offline: no local copy of the {where} was supplied "
            "(credstack import --status-list FILE)",
        )
    if listed.purpose != purpose:
        return _Finding(
            UNCHECKED, f"the local copy of {url} is a {listed.purpose} list, not a {purpose} list"
        )
    trusted, how = _list_proof(listed, config)
    if not trusted:
        return _Finding(UNCHECKED, f"the local copy of {url} ({listed.source}) is not used: {how}")
    value = listed.entry(index, size)
    if value is None:
        return _Finding(UNCHECKED, f"index {index} lies beyond the local copy of {url}")
    said = f"entry {index} of the {purpose} list {url} is {'set' if value else 'not set'}"
    said += f" (local copy {listed.source}; {how})"
    return _Finding(PURPOSES[purpose] if value else ACTIVE, said)


def _number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


def _list_proof(listed: StatusList, config: VerifierConfig) -> tuple[bool, str]:
    """Whether a supplied list may be used, and what its own proof says: a list whose proof is
    broken is not used; an unsigned one is the operator's copy, and said to be."""
    if "proof" not in listed.document:
        return True, "the list is not signed: it is the copy the deployment supplied"
    found = data_integrity.verify_document(listed.document, config)
    if found.integrity == INVALID:
        return False, f"its proof is invalid ({found.reason})"
    if found.integrity == VALID:
        return True, f"its proof holds ({found.method})"
    return True, f"its proof could not be checked ({found.reason})"


def _period(
    verdict: Verdict, document: dict[str, Any], now: dt.datetime, claims: dict[str, Any]
) -> Verdict:
    notes: list[str] = []
    ends, starts = [], []
    for name in ("validUntil", "expirationDate", "expires"):
        _read(document.get(name), name, ends, notes)
    _read(document.get("validFrom"), "validFrom", starts, notes)
    _epoch(claims.get("exp"), "the JWT's exp", ends)
    _epoch(claims.get("nbf"), "the JWT's nbf", starts)
    if not ends and not starts:
        return verdict.with_notes(*notes) if notes else verdict
    until = min(ends) if ends else None
    since = max(starts) if starts else None
    period = CURRENT
    if until is not None and until[0] < now:
        period = EXPIRED
        notes.append(f"the credential expired on {until[0].date().isoformat()} ({until[1]})")
    elif since is not None and since[0] > now:
        period = NOT_YET_VALID
        notes.append(f"the credential is valid only from {since[0].date().isoformat()}")
    return replace(
        verdict,
        valid_from=since[0] if since else None,
        valid_until=until[0] if until else None,
        period=period,
        notes=(*verdict.notes, *notes),
    )


def _read(value: Any, name: str, into: list, notes: list[str]) -> None:
    if value in (None, ""):
        return
    when = parse_time(value) if isinstance(value, str) else None
    if when is None:
        notes.append(f"{name} {str(value)[:60]!r} cannot be read as a date; it was not used")
    else:
        into.append((when, name))


def _epoch(value: Any, name: str, into: list) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            into.append((dt.datetime.fromtimestamp(value, dt.UTC), name))
        except (OverflowError, OSError, ValueError):
            pass
