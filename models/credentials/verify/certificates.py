"""X.509 signing certificates (JAdES seals, JWS x5c): read the chain, describe the signer, trust."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from models.credentials.verify.keys import TrustList, fingerprint
from models.credentials.verify.verdict import Signer

ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
MAX_CHAIN = 10
MAX_CERT_CHARS = 20_000  # base64 of one certificate; real ones are 2–4 kB


class BrokenCertificate(Exception):
    pass


def load_chain(x5c: Any) -> list[x509.Certificate]:
    """The x5c list (standard base64 DER, signing certificate first) → certificates."""
    if not isinstance(x5c, list) or not x5c:
        raise BrokenCertificate("x5c is not a non-empty list of certificates")
    chain = []
    for i, text in enumerate(x5c[:MAX_CHAIN]):
        if not isinstance(text, str) or len(text) > MAX_CERT_CHARS:
            raise BrokenCertificate(f"x5c[{i}] is not a certificate in base64")
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(text, validate=True)))
        except (ValueError, binascii.Error) as exc:
            raise BrokenCertificate(f"x5c[{i}] cannot be read as a certificate ({exc})") from None
    return chain


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def signer_of(cert: x509.Certificate) -> Signer:
    subject = cert.subject
    return Signer(
        kind="certificate",
        id=format(cert.serial_number, "x"),
        subject=subject.rfc4514_string(),
        organisation=_attribute(subject, NameOID.ORGANIZATION_NAME),
        organisation_identifier=_attribute(subject, ORGANIZATION_IDENTIFIER),
        country=_attribute(subject, NameOID.COUNTRY_NAME),
        issuer=cert.issuer.rfc4514_string(),
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
        fingerprint=fingerprint(cert),
    )


def trust_of(chain: list[x509.Certificate], trust_list: TrustList) -> str:
    name = trust_list.match(chain)
    return f"allow-listed: {name}" if name else "not on a trusted list"


def anchor_of(chain: list[x509.Certificate], trust_list: TrustList) -> str:
    """The configured trust anchor vouching for the signing certificate ("" when none): a
    self-signed certificate, or one whose chain leads to nothing listed, has none."""
    name = trust_list.match(chain)
    return f"trusted list {trust_list.source or '(configured)'}: {name}" if name else ""


def certificate_problem(signer: Signer, signed_at: str, now: dt.datetime) -> str:
    """What is known against signing with this certificate ("" when nothing): it was not valid at
    the stated signing time, or the document states none and it is not valid now."""
    start, end = signer.valid_from, signer.valid_until
    if start is None or end is None:
        return ""
    window = f"valid {start.date().isoformat()} to {end.date().isoformat()}"
    when = parse_time(signed_at)
    if when is None:
        if start <= now <= end:
            return ""
        return f"the signing certificate is not valid today ({window}); no signing time is stated"
    if not start <= when <= end:
        return f"the signing certificate was not valid at the signing time {signed_at} ({window})"
    if when > now + dt.timedelta(days=1):
        return f"the stated signing time {signed_at} is in the future"
    return ""


def validity_notes(signer: Signer, signed_at: str, now: dt.datetime) -> list[str]:
    """Expiry and signing-time notes; they inform trust, they do not change integrity."""
    notes = []
    start, end = signer.valid_from, signer.valid_until
    if end is not None and end < now:
        notes.append(f"the signing certificate expired on {end.date().isoformat()}")
    if start is not None and start > now:
        notes.append(f"the signing certificate is valid only from {start.date().isoformat()}")
    when = parse_time(signed_at)
    if when is not None and start is not None and end is not None:
        if start <= when <= end:
            notes.append(
                f"the certificate was within its validity at the stated signing time {signed_at}"
            )
        else:
            notes.append(
                f"the stated signing time {signed_at} is outside the certificate's validity"
            )
    return notes


def parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
