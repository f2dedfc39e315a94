"""JSON Web Signatures: the algorithms, and compact JWS (VC-JWT, signed Open Badges 2.0).

The key comes from the header (an embedded `jwk`, a `kid` or an `x5c` chain), or from the local key
store under a hint the format supplies (the JWT `iss`, the OB 2.0 `verification.creator`). A key
that travels inside the document proves the document is unchanged since signing, not who signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

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
from models.credentials.verify.verdict import (
    CANNOT_VERIFY,
    INVALID,
    UNSUPPORTED,
    VALID,
    Signer,
    Verdict,
    not_signed,
)

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
ALGORITHMS = tuple(f"{p}{n}" for p in ("RS", "PS", "ES") for n in _HASHES) + ("EdDSA",)
MAX_TOKEN = 5 * 1024 * 1024


class Unsupported(Exception):
    pass


def verify_signature(alg: str, key: keys.PublicKey, data: bytes, signature: bytes) -> None:
    """Raise InvalidSignature, Unsupported (unknown alg) or keys.BadKey (key of the wrong kind)."""
    if alg not in ALGORITHMS:
        raise Unsupported(f"unsupported signature algorithm {alg!r}")
    if alg == "EdDSA":
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise keys.BadKey("EdDSA needs an Ed25519 key")
        key.verify(signature, data)
        return
    digest = _HASHES[alg[2:]]()
    if alg.startswith(("RS", "PS")):
        if not isinstance(key, rsa.RSAPublicKey):
            raise keys.BadKey(f"{alg} needs an RSA key")
        pad: padding.AsymmetricPadding = padding.PKCS1v15()
        if alg.startswith("PS"):
            pad = padding.PSS(padding.MGF1(digest), digest.digest_size)
        key.verify(signature, data, pad, digest)
        return
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise keys.BadKey(f"{alg} needs an EC key")
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise InvalidSignature()
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest))


@dataclass(frozen=True)
class CompactJws:
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


def looks_compact(text: str) -> bool:
    parts = text.strip().split(".")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return len(parts) == 3 and all(set(p) <= alphabet for p in parts) and bool(parts[0])


def parse_compact(token: str) -> CompactJws:
    """Split and decode a compact JWS; ValueError when it is not one."""
    token = token.strip()
    if len(token) > MAX_TOKEN or not looks_compact(token):
        raise ValueError("not a compact JWS (three base64url parts separated by '.')")
    head, body, sig = token.split(".")
    try:
        header = json.loads(keys.b64url_decode(head))
        payload = keys.b64url_decode(body)
        signature = keys.b64url_decode(sig)
    except RecursionError:
        raise ValueError("the JWS header is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the JWS cannot be decoded ({exc})") from None
    if not isinstance(header, dict):
        raise ValueError("the JWS header is not a JSON object")
    return CompactJws(header, payload, f"{head}.{body}".encode("ascii"), signature)


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public JWK (hex), to name an embedded key."""
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    wanted = members.get(str(jwk.get("kty")), tuple(sorted(jwk)))
    canonical = json.dumps({k: jwk.get(k) for k in wanted}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Found:
    key: keys.PublicKey
    signer: Signer
    trust: str
    anchor: str = ""


def _key_for(jws: CompactJws, config: keys.VerifierConfig, hints: tuple[str, ...]) -> _Found:
    """The key and who holds it, or raises KeyUnavailable / BadKey / BrokenCertificate."""
    header = jws.header
    if "jwk" in header:
        jwk = header["jwk"]
        key = keys.jwk_key(jwk)
        signer = Signer(kind="embedded jwk", id=f"jwk-thumbprint:{thumbprint(jwk)}")
        trust = "embedded key: proves the document is unchanged since signing, not who signed it"
        return _Found(key, signer, trust)
    if "x5c" in header:
        chain = load_chain(header["x5c"])
        trust, anchor = trust_of(chain, config.trust_list), anchor_of(chain, config.trust_list)
        return _Found(chain[0].public_key(), signer_of(chain[0]), trust, anchor)  # type: ignore[arg-type]
    candidates = []
    kid = header.get("kid")
    if isinstance(kid, str) and kid:
        candidates.append(kid)
        candidates += [f"{h}{kid}" for h in hints if kid.startswith("#")]
    candidates += [h for h in hints if h]
    for candidate in candidates:
        try:
            resolved = keys.resolve(candidate, config)
        except keys.KeyUnavailable:
            continue
        signer = Signer(kind=resolved.kind, id=resolved.id, controller=resolved.controller)
        return _Found(resolved.key, signer, resolved.trust, resolved.anchor)
    named = ", ".join(dict.fromkeys(candidates)) or "its issuer"
    if isinstance(kid, str) and kid:
        raise keys.KeyUnavailable(
            f"key unavailable: {named} is not in the local key store (keys are never fetched)"
        )
    raise keys.KeyUnavailable(
        f"key unavailable: the JWS header names no key (no kid, jwk or x5c) and the local key "
        f"store has none for {named}"
    )


def verify_compact(
    jws: CompactJws,
    config: keys.VerifierConfig,
    hints: tuple[str, ...] = (),
    path: str = "",
    kind: str = "JWS",
) -> Verdict:
    """Verdict on a compact JWS; `hints` are key ids to try in the key store (issuer, creator)."""
    alg = str(jws.header.get("alg", ""))
    base: dict[str, Any] = {"method": f"{kind} {alg}".strip(), "path": path}
    if alg.lower() == "none":
        return not_signed("the JWS declares alg 'none': it is not signed")
    if alg not in ALGORITHMS:
        return Verdict(UNSUPPORTED, reason=f"unsupported signature algorithm {alg!r}", **base)
    if jws.header.get("crit"):
        crit = jws.header["crit"]
        return Verdict(UNSUPPORTED, reason=f"unsupported critical header(s) {crit!r}", **base)
    base["signed_at"] = _issued_at(jws.payload)
    try:
        found = _key_for(jws, config, hints)
    except keys.KeyUnavailable as exc:
        return Verdict(CANNOT_VERIFY, reason=f"cannot verify offline: {exc}", **base)
    except (keys.BadKey, BrokenCertificate) as exc:
        return Verdict(INVALID, reason=str(exc), **base)
    signer, notes = found.signer, []
    base |= {"signer": signer, "trust": found.trust, "anchor": found.anchor}
    try:
        verify_signature(alg, found.key, jws.signing_input, jws.signature)
    except InvalidSignature:
        reason = "the signature does not match the document: it was changed after signing"
        return Verdict(INVALID, reason=reason, **base)
    except keys.BadKey as exc:
        return Verdict(INVALID, reason=str(exc), **base)
    if signer.kind == "certificate":
        notes += validity_notes(signer, base["signed_at"], config.now)
        base["signer_problem"] = certificate_problem(signer, base["signed_at"], config.now)
    notes += _time_claims(jws.payload, config.now)
    reason = f"{alg} signature verified ({signer.kind})"
    return Verdict(VALID, reason=reason, notes=tuple(notes), **base)


def claims_of(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _issued_at(payload: bytes) -> str:
    """The JWT `iat` as ISO text ("" when absent): the time the signer states it signed."""
    value = claims_of(payload).get("iat")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return ""
    return ""


def _time_claims(payload: bytes, now: dt.datetime) -> list[str]:
    """JWT exp/nbf are about the credential's validity, not the signature: say, don't fail."""
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    notes = []
    for name, what in (("exp", "expired"), ("nbf", "not valid before")):
        value = claims.get(name) if isinstance(claims, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                when = dt.datetime.fromtimestamp(value, dt.UTC)
            except (OverflowError, OSError, ValueError):
                continue
            if (name == "exp" and when < now) or (name == "nbf" and when > now):
                notes.append(f"the JWT is {what} {when.date().isoformat()}")
    return notes
