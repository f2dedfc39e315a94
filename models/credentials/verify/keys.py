"""Public keys, found offline: did:key decoded, everything else from configured data files.

credstack never fetches a key. `did:key` carries its key in the identifier; an https key URL or a
did:web is looked up in a local key store the deployment configures (a JSON file); certificates
are trusted only when a configured allow-list names them (or the root their chain leads to). Both
files ship empty. Local copies of status lists are configured the same way (`status_lists`).
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

from models.credentials.verify.status_lists import StatusLists

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

    {"keys": [{"id": "https://issuer.example/keys#1", "publicKeyMultibase": "z6Mk…",
               "controller": "https://issuer.example"},
              {"id": "…", "publicKeyJwk": {…}}, {"id": "…", "publicKeyPem": "-----BEGIN …"}]}

    An entry is a trust anchor: it says whose key it is, `controller` (by default the id without
    its fragment), so a proof made with it confirms that controller as the signer.
    """

    keys: dict[str, PublicKey] = field(default_factory=dict)
    source: str = ""
    controllers: dict[str, str] = field(default_factory=dict)  # key id → controller, if stated

    @classmethod
    def load(cls, path: str | Path = DEFAULT_KEY_STORE) -> KeyStore:
        keys: dict[str, PublicKey] = {}
        controllers: dict[str, str] = {}
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
                controller = entry.get("controller")
                if controller is not None and (not isinstance(controller, str) or not controller):
                    raise ValueError("controller: expected the id of the key's holder")
            except (BadKey, ValueError) as exc:
                raise ValueError(f"key store {path}: keys[{i}] ({key_id}): {exc}") from None
            if controller:
                controllers[key_id] = controller
        return cls(keys, str(path), controllers)

    def controller(self, key_id: str) -> str:
        return self.controllers.get(key_id) or key_id.partition("#")[0]


@dataclass(frozen=True)
class TrustList:
    """Certificates a deployment trusts (qualified seals it has checked, or the roots that issue
    them), by SHA-256; an entry may carry the certificate itself (base64 DER), so a chain that
    leaves its root out can still be built to it:

    {"certificates": [{"sha256": "<hex of the DER certificate>", "name": "…",
                       "certificate": "<base64 DER, optional>"}]}
    """

    certificates: dict[str, str] = field(default_factory=dict)  # fingerprint → name
    source: str = ""
    roots: tuple[tuple[x509.Certificate, str], ...] = ()  # listed certificates given in full

    @classmethod
    def load(cls, path: str | Path = DEFAULT_TRUST_LIST) -> TrustList:
        found: dict[str, str] = {}
        roots = []
        for i, entry in enumerate(_read_config(Path(path), "trust list", "certificates")):
            where = f"trust list {path}: certificates[{i}]"
            digest = str(entry.get("sha256", "")).lower().replace(":", "")
            cert = None
            if "certificate" in entry:
                try:
                    der = base64.b64decode(str(entry["certificate"]), validate=True)
                    cert = x509.load_der_x509_certificate(der)
                except ValueError as exc:
                    raise ValueError(f"{where}: the certificate cannot be read ({exc})") from None
                if digest and digest != fingerprint(cert):
                    raise ValueError(f"{where}: sha256 is not the certificate's")
                digest = fingerprint(cert)
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"{where}: expected a sha256 hex")
            found[digest] = str(entry.get("name") or digest)
            if cert is not None:
                roots.append((cert, found[digest]))
        return cls(found, str(path), tuple(roots))

    def match(self, chain: list[x509.Certificate]) -> str | None:
        """The allow-list name of the signing certificate, or of a certificate its chain leads to
        (each link checked: issued, and signed, by the next, a CA); None when none is listed."""
        if not chain:
            return None
        name = self.certificates.get(fingerprint(chain[0]))
        if name:
            return name
        current = chain[0]
        for depth, issuer in enumerate(chain[1:MAX_CHAIN_LINKS], start=1):
            if not _issued_by(current, issuer):
                break
            listed = self.certificates.get(fingerprint(issuer))
            if listed:
                return f"{listed} ({_WHICH.get(depth, 'in the chain')} of the signing certificate)"
            current = issuer
        for root, listed in self.roots:
            if _issued_by(current, root):
                return f"{listed} (the root the signing certificate's chain leads to)"
        return None


MAX_CHAIN_LINKS = 10
_WHICH = {1: "issuer"}


def _issued_by(leaf: x509.Certificate, issuer: x509.Certificate) -> bool:
    """`issuer` signed `leaf` and may issue certificates (a CA, or an old root without the
    basic-constraints extension that signed itself)."""
    try:
        leaf.verify_directly_issued_by(issuer)
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return issuer.subject == issuer.issuer
    except (ValueError, TypeError, InvalidSignature):
        return False
    return constraints.ca


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
    status_lists: StatusLists = field(default_factory=StatusLists)

    @classmethod
    def load(
        cls,
        key_store: str | Path | None = None,
        trust_list: str | Path | None = None,
        status_lists: tuple[str | Path, ...] | list[str | Path] = (),
    ) -> VerifierConfig:
        return cls(
            KeyStore.load(key_store or DEFAULT_KEY_STORE),
            TrustList.load(trust_list or DEFAULT_TRUST_LIST),
            status_lists=StatusLists.load(status_lists),
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
    anchor: str = ""  # the configured entry vouching for the key
    controller: str = ""  # whose key that entry says it is


def resolve(method: Any, config: VerifierConfig) -> ResolvedKey:
    """The public key a proof's verificationMethod names, offline, or KeyUnavailable / BadKey."""
    if not isinstance(method, str) or not method:
        raise BadKey("the proof names no verification method")
    stored = config.key_store.keys.get(method)
    if stored is not None:
        controller = config.key_store.controller(method)
        anchor = f"key store entry {method} (key of {controller})"
        trust = "key from the configured local key store"
        return ResolvedKey(stored, "key store", method, trust, anchor, controller)
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
