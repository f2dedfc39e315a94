"""Data Integrity proofs: `eddsa-rdfc-2022` and the older `Ed25519Signature2020`, offline.

Both sign SHA-256(RDFC-1.0 of the proof options) ‖ SHA-256(RDFC-1.0 of the document without its
proof) with Ed25519. Canonicalisation (pyld, URDNA2015 = RDFC-1.0) loads contexts from the pinned
cache only, is bounded in size and in the work its blank-node hashing may do, and refuses documents
with properties their contexts do not define — such properties would not be covered by the
signature, so a forger could change them freely.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, JsonLdProcessor

from models.credentials.verify import keys
from models.credentials.verify.contexts import ContextCorrupted, UnknownContext, document_loader
from models.credentials.verify.verdict import (
    CANNOT_VERIFY,
    INVALID,
    STATUS_NONE,
    STATUS_UNKNOWN,
    UNSUPPORTED,
    VALID,
    Signer,
    Verdict,
    combine,
    not_signed,
)

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
ED25519_2020 = "Ed25519Signature2020"
MAX_QUADS = 20_000
# pyld's expansion is quadratic in the values one node has for one property; a few thousand
# objects already take seconds, so bigger documents are refused before any JSON-LD work.
MAX_OBJECTS = 3_000
MAX_HASH_N_DEGREE_CALLS = 5_000  # RDFC-1.0 asks implementations to bound this ("poison graphs")


class _BoundedCache(dict):
    """pyld's resolved-context cache: ours holds only pinned contexts and a bounded number of
    inline ones (a document could otherwise fill it with thousands of distinct contexts)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= 200:
            self.clear()
        super().__setitem__(key, value)


_RESOLVED = _BoundedCache()


class TooComplex(Exception):
    pass


class NotCovered(Exception):
    pass


class _BoundedRdfc(URDNA2015):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self.calls += 1
        if self.calls > MAX_HASH_N_DEGREE_CALLS:
            raise TooComplex("blank-node structure too complex to canonicalise")
        return super().hash_n_degree_quads(id_, issuer)


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 N-Quads of a JSON-LD document; raises UnknownContext, NotCovered, TooComplex,
    ContextCorrupted or JsonLdError."""
    dropped: list[str] = []
    unknown: list[str] = []

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        try:
            return document_loader(url, options)
        except UnknownContext:
            unknown.append(url)
            raise

    processor = JsonLdProcessor(on_property_dropped=lambda p: dropped.append(str(p)))
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(_RESOLVED, loader),
        "base": "",
        "processingMode": "json-ld-1.1",
    }
    try:
        dataset = processor.to_rdf(document, options)
    except JsonLdError as exc:
        if unknown:
            raise UnknownContext(unknown[0]) from None
        corrupted = _cause(exc, ContextCorrupted)
        if corrupted:
            raise corrupted from None
        raise
    if dropped:
        names = ", ".join(sorted(set(dropped))[:5])
        raise NotCovered(f"properties not defined by the document's contexts: {names}")
    if sum(len(triples) for triples in dataset.values()) > MAX_QUADS:
        raise TooComplex(f"more than {MAX_QUADS:,} RDF statements")
    return _BoundedRdfc().main(dataset, {"format": "application/n-quads"})


def _cause(exc: BaseException, kind: type[Exception]) -> Exception | None:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def hash_data(
    document: dict[str, Any], proof: dict[str, Any], document_hash: bytes | None = None
) -> bytes:
    """What an Ed25519 Data Integrity signature signs (proof options hash, then document hash)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    if document_hash is None:
        document_hash = hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest()
    return hashlib.sha256(canonicalize(options).encode("utf-8")).digest() + document_hash


def count_objects(value: Any, limit: int) -> int:
    """JSON objects in a document, counted up to just past `limit` (no recursion)."""
    count, stack = 0, [value]
    while stack and count <= limit:
        node = stack.pop()
        if isinstance(node, dict):
            count += 1
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def method_of(proof: dict[str, Any]) -> str:
    kind = str(proof.get("type", ""))
    suite = proof.get("cryptosuite")
    return str(suite) if kind == "DataIntegrityProof" and suite else kind or "unknown proof"


def verify_document(
    document: dict[str, Any], config: keys.VerifierConfig, path: str = ""
) -> Verdict:
    """The verdict on a JSON-LD credential's embedded proof(s); "not signed" when it has none."""
    raw = document.get("proof")
    if raw is None:
        return not_signed()
    proofs = raw if isinstance(raw, list) else [raw]
    where = f"{path}.proof" if path else "proof"
    if count_objects(document, MAX_OBJECTS) > MAX_OBJECTS:
        reason = f"cannot verify: more than {MAX_OBJECTS:,} JSON objects to canonicalise"
        methods = ", ".join(sorted({method_of(p) for p in proofs if isinstance(p, dict)}))
        return Verdict(CANNOT_VERIFY, method=methods, reason=reason, path=where)
    digest: list[bytes] = []  # the document's hash, shared by all its proofs
    verdicts = [
        _verify_one(
            document, proof, config, f"{where}[{i}]" if isinstance(raw, list) else where, digest
        )
        for i, proof in enumerate(proofs[:10])
    ]
    if len(proofs) > 10:
        verdicts.append(Verdict(UNSUPPORTED, reason="more than 10 proofs", path=where))
    status = STATUS_UNKNOWN if document.get("credentialStatus") else STATUS_NONE
    return replace(combine(verdicts, where), status=status)


def _verify_one(
    document: dict[str, Any],
    proof: Any,
    config: keys.VerifierConfig,
    path: str,
    digest: list[bytes],
) -> Verdict:
    if not isinstance(proof, dict):
        return Verdict(INVALID, reason="the proof is not an object", path=path)
    method = method_of(proof)
    supported = (proof.get("type") == "DataIntegrityProof" and method == EDDSA_RDFC_2022) or (
        proof.get("type") == ED25519_2020
    )
    base = {"method": method, "path": path, "signed_at": str(proof.get("created", ""))}
    if not supported:
        reason = f"unsupported proof {method!r} (supported: {EDDSA_RDFC_2022}, {ED25519_2020})"
        return Verdict(UNSUPPORTED, reason=reason, **base)
    if proof.get("proofPurpose") != "assertionMethod":
        purpose = proof.get("proofPurpose")
        return Verdict(INVALID, reason=f"proof purpose {purpose!r} is not assertionMethod", **base)
    try:
        resolved = keys.resolve(proof.get("verificationMethod"), config)
    except keys.KeyUnavailable as exc:
        return Verdict(CANNOT_VERIFY, reason=str(exc), **base)
    except keys.BadKey as exc:
        return Verdict(INVALID, reason=str(exc), **base)
    signer = Signer(kind=resolved.kind, id=resolved.id, controller=resolved.controller)
    base |= {"signer": signer, "trust": resolved.trust, "anchor": resolved.anchor}
    if not isinstance(resolved.key, ed25519.Ed25519PublicKey):
        return Verdict(INVALID, reason=f"{method} needs an Ed25519 key", **base)
    try:
        signature = keys.multibase_decode(proof.get("proofValue", ""))
    except ValueError as exc:
        return Verdict(INVALID, reason=f"the proofValue cannot be decoded ({exc})", **base)
    try:
        if not digest:
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            digest.append(hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest())
        data = hash_data(document, proof, digest[0])
    except UnknownContext as exc:
        reason = f"cannot verify offline: {exc}; contexts are never fetched"
        return Verdict(CANNOT_VERIFY, reason=reason, **base)
    except (TooComplex, ContextCorrupted) as exc:
        return Verdict(CANNOT_VERIFY, reason=f"cannot verify: {exc}", **base)
    except NotCovered as exc:
        return Verdict(
            INVALID, reason=f"the signature does not cover the whole document: {exc}", **base
        )
    except (JsonLdError, RecursionError, TypeError, ValueError) as exc:
        reason = f"the document is not valid JSON-LD, so its proof cannot hold ({_short(exc)})"
        return Verdict(INVALID, reason=reason, **base)
    try:
        resolved.key.verify(signature, data)
    except InvalidSignature:
        reason = "the signature does not match the document: it was changed after signing"
        return Verdict(INVALID, reason=reason, **base)
    return Verdict(VALID, reason=f"{method} signature verified ({resolved.kind})", **base)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
