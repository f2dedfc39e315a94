"""Public keys, found offline: did:key decoded, everything else from configured data files.

credstack never fetches a key. `did:key` carries its key in the identifier; an https key URL or a
did:web is looked up in a local key store the deployment configures (a JSON file); certificates
are trusted only when a configured allow-list names them. Both files ship empty.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_KEY_STORE = DATA / "keystore.json"
DEFAULT_TRUST_LIST = DATA / "trusted_certificates.json"
MAX_CONFIG_BYTES = 1024 * 1024

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
ED25519_MULTICODEC = b"\xed\x01"


class KeyUnavailable(Exception):
    """The key is not available offline (→ "cannot verify offline")."""


class BadKey(Exception):
    """The key named is malformed or of an unusable kind (→ "invalid")."""


def b58decode(text: str) -> bytes:
    if len(text) > 200:  # keys and signatures are short; refuse quadratic work on junk
        raise ValueError("base58 value too long")
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c in text for c in "+/= \n"):
        raise ValueError("expected base64url text without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def multibase_decode(value: str) -> bytes:
    """base58btc ('z') or base64url ('u') multibase text → bytes."""
    if not isinstance(value, str) or len(value) < 2:
        raise ValueError("expected multibase text")
    if value[0] == "z":
        return b58decode(value[1:])
    if value[0] == "u":
        return b64url_decode(value[1:])
    raise ValueError(f"unsupported multibase prefix {value[0]!r}")


def multikey_ed25519(value: str) -> ed25519.Ed25519PublicKey:
    raw = multibase_decode(value)
    if not raw.startswith(ED25519_MULTICODEC) or len(raw) != 34:
        raise ValueError("not an Ed25519 multikey (0xed01 + 32 bytes)")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def ed25519_multikey(key: ed25519.Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(ED25519_MULTICODEC + raw)


def did_key(method: str) -> ed25519.Ed25519PublicKey:
    """The Ed25519 key of `did:key:z6Mk…` (with or without its `#z6Mk…` fragment)."""
    did, _, fragment = method.partition("#")
    identifier = did.removeprefix("did:key:")
    if fragment and fragment != identifier:
        raise BadKey(f"{method}: the fragment does not name the DID's own key")
    try:
        return multikey_ed25519(identifier)
    except ValueError as exc:
        raise BadKey(f"{method} is not a usable did:key ({exc})") from None


_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


def jwk_key(jwk: Any) -> PublicKey:
    """A public JWK (RSA, EC P-256/384/521, OKP Ed25519) → key. Private members are ignored."""
    if not isinstance(jwk, dict):
        raise BadKey("the jwk is not an object")
    try:
        kty = jwk.get("kty")
        if kty == "RSA":
            n = int.from_bytes(b64url_decode(jwk["n"]), "big")
            e = int.from_bytes(b64url_decode(jwk["e"]), "big")
            if n.bit_length() < 2048:
                raise BadKey(f"RSA key of {n.bit_length()} bits is too short (at least 2048)")
            return rsa.RSAPublicNumbers(e, n).public_key()
        if kty == "EC" and jwk.get("crv") in _CURVES:
            x = int.from_bytes(b64url_decode(jwk["x"]), "big")
            y = int.from_bytes(b64url_decode(jwk["y"]), "big")
            return ec.EllipticCurvePublicNumbers(x, y, _CURVES[jwk["crv"]]).public_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadKey(f"the jwk cannot be read ({exc})") from None
    raise BadKey(f"unsupported jwk kty/crv {jwk.get('kty')!r}/{jwk.get('crv')!r}")


def pem_key(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise BadKey(f"the PEM public key cannot be read ({exc})") from None
    if not isinstance(key, (ed25519.Ed25519PublicKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise BadKey(f"unsupported key type {type(key).__name__}")
    return key


def _read_config(path: Path, what: str, list_key: str) -> list[dict[str, Any]]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ValueError(f"{what} {path}: larger than {MAX_CONFIG_BYTES:,} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what} {path}: cannot be read ({exc})") from None
    entries = data.get(list_key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{what} {path}: expected an object with a list {list_key!r} of objects")
    return entries


@dataclass(frozen=True)
class KeyStore:
    """Verification-method id (exact, fragment included) → public key, from a JSON file:

    {"keys": [{"id": "https://issuer.example/keys#1", "publicKeyMultibase": "z6Mk…"},
              {"id": "…", "publicKeyJwk": {…}}, {"id": "…", "publicKeyPem": "-----BEGIN …"}]}
    """

    keys: dict[str, PublicKey] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def load(cls, path: str | Path = DEFAULT_KEY_STORE) -> KeyStore:
        keys: dict[str, PublicKey] = {}
        for i, entry in enumerate(_read_config(Path(path), "key store", "keys")):
            key_id = entry.get("id")
            if not isinstance(key_id, str) or not key_id:
                raise ValueError(f"key store {path}: keys[{i}] has no id")
            try:
                if "publicKeyMultibase" in entry:
                    keys[key_id] = multikey_ed25519(entry["publicKeyMultibase"])
                elif "publicKeyJwk" in entry:
                    keys[key_id] = jwk_key(entry["publicKeyJwk"])
                elif "publicKeyPem" in entry:
                    keys[key_id] = pem_key(entry["publicKeyPem"])
                else:
                    raise ValueError("expected publicKeyMultibase, publicKeyJwk or publicKeyPem")
            except (BadKey, ValueError) as exc:
                raise ValueError(f"key store {path}: keys[{i}] ({key_id}): {exc}") from None
        return cls(keys, str(path))


@dataclass(frozen=True)
class TrustList:
    """Certificates a deployment trusts (e.g. qualified seals it has checked), by SHA-256:

    {"certificates": [{"sha256": "<hex of the DER certificate>", "name": "…"}]}
    """

    certificates: dict[str, str] = field(default_factory=dict)  # fingerprint → name
    source: str = ""

    @classmethod
    def load(cls, path: str | Path = DEFAULT_TRUST_LIST) -> TrustList:
        found: dict[str, str] = {}
        for i, entry in enumerate(_read_config(Path(path), "trust list", "certificates")):
            digest = str(entry.get("sha256", "")).lower().replace(":", "")
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"trust list {path}: certificates[{i}]: expected a sha256 hex")
            found[digest] = str(entry.get("name") or digest)
        return cls(found, str(path))

    def match(self, chain: list[x509.Certificate]) -> str | None:
        """The allow-list name of the signing certificate, or of its issuer in the chain if that
        issuer really signed it; None when neither is listed."""
        if not chain:
            return None
        leaf = chain[0]
        name = self.certificates.get(fingerprint(leaf))
        if name:
            return name
        for issuer in chain[1:]:
            listed = self.certificates.get(fingerprint(issuer))
            if listed and _issued_by(leaf, issuer):
                return f"{listed} (issuer of the signing certificate)"
        return None


def _issued_by(leaf: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        leaf.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class VerifierConfig:
    """What offline verification may rely on; `now` fixes the clock for expiry notes.

    `fragment_keys`: accept an Ed25519 key written in a key URL's own fragment (`https://…#z6Mk…`,
    `did:web:…#z6Mk…`) as proof of integrity, reported as unconfirmed, when the key store knows
    no key of that controller. A deployment that wants every https key configured turns it off.
    """

    key_store: KeyStore = field(default_factory=KeyStore)
    trust_list: TrustList = field(default_factory=TrustList)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    fragment_keys: bool = True

    @classmethod
    def load(
        cls, key_store: str | Path | None = None, trust_list: str | Path | None = None
    ) -> VerifierConfig:
        return cls(
            KeyStore.load(key_store or DEFAULT_KEY_STORE),
            TrustList.load(trust_list or DEFAULT_TRUST_LIST),
        )


def _fragment_key(fragment: str) -> ed25519.Ed25519PublicKey | None:
    if not fragment.startswith("z6Mk"):
        return None
    try:
        return multikey_ed25519(fragment)
    except ValueError:
        return None


@dataclass(frozen=True)
class ResolvedKey:
    key: PublicKey
    kind: str  # "did:key" | "key store"
    id: str
    trust: str


def resolve(method: Any, config: VerifierConfig) -> ResolvedKey:
    """The public key a proof's verificationMethod names, offline, or KeyUnavailable / BadKey."""
    if not isinstance(method, str) or not method:
        raise BadKey("the proof names no verification method")
    stored = config.key_store.keys.get(method)
    if stored is not None:
        return ResolvedKey(stored, "key store", method, "key from the configured local key store")
    if method.startswith("did:key:"):
        trust = "self-certifying did:key: proves integrity; the DID itself is the signer"
        return ResolvedKey(did_key(method), "did:key", method, trust)
    controller, _, fragment = method.partition("#")
    fragment_key = _fragment_key(fragment) if config.fragment_keys else None
    if fragment_key is not None:
        # Like a did:key or an embedded JWK: the key travels with the document. It proves the
        # document is intact; who holds it is only confirmed by a configured key of the controller.
        listed = [k for k in config.key_store.keys if k.partition("#")[0] == controller]
        if listed:
            raise BadKey(
                f"{method} is not among the keys the local key store lists for {controller}"
            )
        trust = (
            "unconfirmed: the key is the one named in the verification method's fragment; its "
            f"controller {controller} was not consulted (offline): proves integrity, not who "
            "signed"
        )
        return ResolvedKey(fragment_key, "the key named in its URL fragment", method, trust)
    if method.startswith("did:web:"):
        raise KeyUnavailable(
            f"{method} needs a did:web network look-up; add its key to the local key store"
        )
    if method.startswith(("https://", "http://")):
        raise KeyUnavailable(
            f"key unavailable: {method} is not in the local key store (keys are never fetched)"
        )
    raise KeyUnavailable(f"key unavailable: cannot resolve {method} offline")
