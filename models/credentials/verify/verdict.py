"""The outcome of checking one document's seal or proof, as rules and officers read it.

`integrity` uses the codes of the `verification` vocabulary (rules.vocabulary), so a credential's
`verification` element is the verdict's integrity as it stands. Everything else says who signed,
when, whether that signer is trusted or is the awarding body, and what could not be checked.
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

    def __post_init__(self) -> None:
        if self.integrity not in INTEGRITIES:
            raise ValueError(f"integrity {self.integrity!r} is not one of {INTEGRITIES}")

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
            if value not in ("", None, []):
                out[f.name] = value
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
