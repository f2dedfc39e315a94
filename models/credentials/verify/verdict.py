"""The outcome of checking one document's seal or proof, as rules and officers read it.

Separate facts: `integrity` (does the proof hold), the signer and whether a configured trust
anchor confirms it is the awarding body (`signer_identity`), the credential's status
(`status_check`) and its validity period (`period`). `verification` folds them into the code a
credential's `verification` element carries (rules.vocabulary): "valid" only when integrity holds
and nothing known speaks against it; everything else says what is known and what could not be
checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any

VALID, INVALID, NOT_SIGNED = "valid", "invalid", "not_signed"
UNSUPPORTED, CANNOT_VERIFY = "unsupported", "cannot_verify"
INTEGRITIES = (VALID, INVALID, NOT_SIGNED, UNSUPPORTED, CANNOT_VERIFY)

# Which of several proofs speaks for a document: the worst one. A document with one broken proof
# is broken, whatever its other proofs say.
_SEVERITY = {INVALID: 4, UNSUPPORTED: 3, CANNOT_VERIFY: 2, NOT_SIGNED: 1, VALID: 0}

STATUS_NONE = "none declared"
STATUS_UNKNOWN = "unknown: the status list is not available offline"

# Who signed, judged against the awarding body (`signer_identity`).
CONFIRMED = "confirmed"  # a configured trust anchor vouches for the key, which is the body's
UNCONFIRMED = "unconfirmed"  # it may be the body's: nothing configured says so
MISMATCH = "mismatch"  # the signer names someone else than the awarding body
# The credential's status, from its status entries (`status_check`; "" = none declared).
ACTIVE, REVOKED, SUSPENDED, UNCHECKED = "active", "revoked", "suspended", "unchecked"
# Its validity period (`period`; "" = the document states none).
CURRENT, EXPIRED, NOT_YET_VALID = "current", "expired", "not_yet_valid"
# `verification` codes beyond the integrities: integrity holds, but this is known against it.
UNTRUSTED_SIGNER, STATUS_UNCHECKED = "untrusted_signer", "status_unchecked"
VERIFICATIONS = (
    *INTEGRITIES,
    *(REVOKED, SUSPENDED, UNTRUSTED_SIGNER, EXPIRED, NOT_YET_VALID, STATUS_UNCHECKED),
)


@dataclass(frozen=True)
class Signer:
    """Who the proof says signed: a certificate subject, a DID, a key URL or an embedded key."""

    kind: str  # "certificate" | "did:key" | "key store" | "embedded jwk"
    id: str = ""  # DID / key URL / certificate serial number
    subject: str = ""  # certificate subject (RFC 4514)
    organisation: str = ""  # certificate O
    organisation_identifier: str = ""  # certificate organizationIdentifier (2.5.4.97)
    country: str = ""
    issuer: str = ""  # certificate issuer (RFC 4514)
    valid_from: dt.datetime | None = None  # certificate validity window
    valid_until: dt.datetime | None = None
    fingerprint: str = ""  # SHA-256 of the certificate (hex)
    controller: str = ""  # whose key it is, as the configured key store says


@dataclass(frozen=True)
class Verdict:
    integrity: str
    method: str = ""  # "JAdES RS256", "eddsa-rdfc-2022", "Ed25519Signature2020", "JWS RS256"
    reason: str = ""  # one plain sentence: why this integrity
    signer: Signer | None = None
    signed_at: str = ""  # as the document states it (sigT, proof created, JWT iat)
    trust: str = "unknown"
    status: str = STATUS_NONE
    signer_matches_awarding_body: bool | None = None
    path: str = ""  # where the proof sits in the document
    notes: tuple[str, ...] = ()
    parts: tuple[Verdict, ...] = field(default=())  # each proof, or embedded endorsements
    anchor: str = ""  # the configured trust anchor vouching for the signing key ("" = none)
    signer_identity: str = ""  # confirmed | unconfirmed | mismatch ("" = no signer named)
    signer_problem: str = ""  # what is known against the signer (certificate not valid then)
    status_check: str = ""  # active | revoked | suspended | unchecked ("" = none declared)
    valid_from: dt.datetime | None = None  # the credential's validity period, as stated
    valid_until: dt.datetime | None = None  # (validUntil, expirationDate, JWT exp, expires)
    period: str = ""  # current | expired | not_yet_valid ("" = no period stated)

    def __post_init__(self) -> None:
        if self.integrity not in INTEGRITIES:
            raise ValueError(f"integrity {self.integrity!r} is not one of {INTEGRITIES}")

    @property
    def verification(self) -> str:
        """The `verification` element: the integrity, unless it holds and something known speaks
        against the credential (the worst first), or its status could not be checked."""
        if self.integrity != VALID:
            return self.integrity
        if self.status_check in (REVOKED, SUSPENDED):
            return self.status_check
        if self.signer_problem:
            return UNTRUSTED_SIGNER
        if self.period in (EXPIRED, NOT_YET_VALID):
            return self.period
        if self.status_check == UNCHECKED:
            return STATUS_UNCHECKED
        return VALID

    def with_notes(self, *notes: str) -> Verdict:
        return replace(self, notes=(*self.notes, *notes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO text, empty fields left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "parts":
                value = [part.to_dict() for part in value]
            elif f.name == "signer" and value is not None:
                value = {
                    s.name: _json(getattr(value, s.name))
                    for s in fields(value)
                    if getattr(value, s.name) not in ("", None)
                }
            elif f.name == "notes":
                value = list(value)
            elif isinstance(value, dt.datetime):
                value = value.isoformat()
            if value not in ("", None, []):
                out[f.name] = value
        out["verification"] = self.verification
        return out


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def not_signed(reason: str = "the document carries no seal or proof") -> Verdict:
    return Verdict(NOT_SIGNED, reason=reason)


def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> str:
    return max((v.integrity for v in verdicts), key=_SEVERITY.__getitem__, default=NOT_SIGNED)


def combine(verdicts: list[Verdict], path: str = "") -> Verdict:
    """One verdict for a document with several proofs: the worst, with every proof as a part."""
    if len(verdicts) == 1:
        return verdicts[0]
    integrity = worst(verdicts)
    leading = next(v for v in verdicts if v.integrity == integrity)
    methods = sorted({v.method for v in verdicts if v.method})
    reason = f"{len(verdicts)} proofs; " + "; ".join(f"{v.integrity}: {v.reason}" for v in verdicts)
    return replace(
        leading, method=", ".join(methods), reason=reason, path=path, parts=tuple(verdicts)
    )


def with_embedded(top: Verdict, embedded: list[Verdict]) -> Verdict:
    """A document verdict that also reports the proofs of credentials embedded in it (endorsements).

    A signed document's own proof covers what it embeds, so it speaks for the document. An unsigned
    document is not made valid by a valid endorsement; but an embedded proof that is invalid, of an
    unsupported kind or not checkable offline is what the officer must hear about.
    """
    if not embedded:
        return top
    if top.integrity != NOT_SIGNED:
        return replace(top, parts=(*top.parts, *embedded))
    integrity = worst(embedded)
    if integrity == VALID:
        integrity = NOT_SIGNED
    if integrity == NOT_SIGNED:
        reason = "the credential itself carries no proof; its embedded endorsements are signed"
    else:
        kinds = sorted({v.reason for v in embedded if v.integrity == integrity})
        reason = (
            f"the credential itself carries no proof; {len(embedded)} embedded proof(s): "
            + "; ".join(kinds)
        )
    methods = ", ".join(sorted({v.method for v in embedded if v.method}))
    return replace(top, integrity=integrity, reason=reason, method=methods, parts=tuple(embedded))
