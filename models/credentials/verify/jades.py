"""JAdES seals on Europass credentials: JWS JSON serialisation, usually with `b64: false`.

The signing input is ASCII(protected header) + "." + the payload bytes as they stand (RFC 7797
unencoded payload), checked against the first `x5c` certificate. The verdict reports the
certificate's subject, organisation identifier and validity; trust is "not on a trusted list"
until the deployment's allow-list names the certificate or the root its chain leads to (then that
entry is the verdict's trust anchor). A certificate that was not valid at the stated signing time
is a signer problem. Timestamp tokens are not checked.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature

from models.credentials.verify import keys
from models.credentials.verify.certificates import (
    BrokenCertificate,
    anchor_of,
    certificate_problem,
    load_chain,
    signer_of,
    trust_of,
    validity_notes,
)
from models.credentials.verify.jws import ALGORITHMS, verify_signature
from models.credentials.verify.verdict import (
    CANNOT_VERIFY,
    INVALID,
    UNSUPPORTED,
    VALID,
    Verdict,
    combine,
)

# Critical header parameters this verifier understands (RFC 7797 b64, and JAdES parameters whose
# presence does not change what the signature covers). sigD (detached payload) is not among them.
UNDERSTOOD = frozenset({"b64", "sigT", "adoTst", "sigPId", "srCms", "srAts", "sigPl", "sigX5ts"})
MAX_SIGNATURES = 5


def is_envelope(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and "payload" in data
        and ("signatures" in data or "signature" in data)
    )


def signatures_of(envelope: dict[str, Any]) -> list[Any]:
    if "signatures" in envelope:
        found = envelope["signatures"]
        return found if isinstance(found, list) else [found]
    return [{k: envelope.get(k) for k in ("protected", "header", "signature")}]


def protected_header(entry: Any) -> dict[str, Any]:
    """The decoded protected header of one signature entry; ValueError if unreadable."""
    if not isinstance(entry, dict) or not isinstance(entry.get("protected"), str):
        raise ValueError("the signature has no protected header")
    try:
        header = json.loads(keys.b64url_decode(entry["protected"]))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"the protected header cannot be decoded ({exc!r:.200})") from None
    if not isinstance(header, dict):
        raise ValueError("the protected header is not a JSON object")
    return header


def payload_bytes(envelope: dict[str, Any]) -> bytes:
    """The signed document: the payload as is when `b64` is false, else base64url-decoded."""
    payload = envelope.get("payload")
    if not isinstance(payload, str):
        raise ValueError("the payload is not text")
    entries = signatures_of(envelope)
    header = protected_header(entries[0]) if entries else {}
    if header.get("b64", True) is False:
        return payload.encode("utf-8")
    return keys.b64url_decode(payload)


def verify_envelope(envelope: dict[str, Any], config: keys.VerifierConfig) -> Verdict:
    entries = signatures_of(envelope)
    if not entries:
        return Verdict(INVALID, method="JAdES", reason="the seal has an empty signature list")
    where = "signatures" if "signatures" in envelope else ""
    verdicts = [
        _verify_one(envelope, entry, config, f"{where}[{i}]" if where else "signature")
        for i, entry in enumerate(entries[:MAX_SIGNATURES])
    ]
    if len(entries) > MAX_SIGNATURES:
        verdicts.append(Verdict(UNSUPPORTED, "JAdES", f"more than {MAX_SIGNATURES} signatures"))
    return combine(verdicts, where)


def _verify_one(
    envelope: dict[str, Any], entry: Any, config: keys.VerifierConfig, path: str
) -> Verdict:
    try:
        header = protected_header(entry)
    except ValueError as exc:
        return Verdict(INVALID, method="JAdES", reason=str(exc), path=path)
    alg = str(header.get("alg", ""))
    base: dict[str, Any] = {"method": f"JAdES {alg}".strip(), "path": path}
    base["signed_at"] = str(header.get("sigT", ""))
    if alg not in ALGORITHMS:
        return Verdict(UNSUPPORTED, reason=f"unsupported signature algorithm {alg!r}", **base)
    crit = header.get("crit", [])
    unknown = [c for c in crit if c not in UNDERSTOOD] if isinstance(crit, list) else [crit]
    if unknown:
        return Verdict(UNSUPPORTED, reason=f"unsupported critical header(s) {unknown}", **base)
    unencoded = header.get("b64", True) is False
    payload = envelope.get("payload")
    signature_text = entry.get("signature")
    if not isinstance(payload, str) or not isinstance(signature_text, str):
        return Verdict(INVALID, reason="the payload or the signature is not text", **base)
    try:
        signature = keys.b64url_decode(signature_text)
        data = (
            entry["protected"].encode("ascii")
            + b"."
            + payload.encode("utf-8" if unencoded else "ascii")
        )
    except (ValueError, UnicodeEncodeError) as exc:
        return Verdict(INVALID, reason=f"the signature cannot be decoded ({exc})", **base)
    notes = []
    x5c = header.get("x5c")
    if x5c is None and isinstance(entry.get("header"), dict):
        x5c = entry["header"].get("x5c")
        notes.append("the certificate is in the unprotected header")
    if x5c is None:
        return Verdict(CANNOT_VERIFY, reason="the seal carries no certificate (x5c)", **base)
    try:
        chain = load_chain(x5c)
    except BrokenCertificate as exc:
        return Verdict(INVALID, reason=f"broken signing certificate: {exc}", **base)
    signer = signer_of(chain[0])
    base |= {"signer": signer, "trust": trust_of(chain, config.trust_list)}
    base["anchor"] = anchor_of(chain, config.trust_list)
    stated = header.get("x5t#S256")
    if stated is not None and stated != _x5t(signer.fingerprint):
        reason = "the certificate does not match the header's x5t#S256 thumbprint"
        return Verdict(INVALID, reason=reason, **base)
    try:
        verify_signature(alg, chain[0].public_key(), data, signature)  # type: ignore[arg-type]
    except InvalidSignature:
        reason = "the seal does not match the document: it was changed after sealing"
        return Verdict(INVALID, reason=reason, **base)
    except keys.BadKey as exc:
        return Verdict(INVALID, reason=str(exc), **base)
    notes += validity_notes(signer, base["signed_at"], config.now)
    base["signer_problem"] = certificate_problem(signer, base["signed_at"], config.now)
    if "adoTst" in header or "etsiU" in (entry.get("header") or {}):
        notes.append("timestamp tokens were not checked")
    reason = f"{alg} seal verified with the certificate of {signer.organisation or signer.subject}"
    return Verdict(VALID, reason=reason, notes=tuple(notes), **base)


def _x5t(fingerprint_hex: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(fingerprint_hex)).decode("ascii").rstrip("=")
