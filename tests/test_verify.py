"""Offline verification: JAdES seals, Data Integrity proofs, JWS; keys, contexts and limits.

Everything runs on the project's own synthetic fixtures (fixtures/documents/, signed with test
keys made by make_documents.py), so it passes in a clean clone.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import socket
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from models.credentials.formats import import_document
from models.credentials.verify import contexts, data_integrity, jades, jws, keys
from models.credentials.verify.keys import KeyStore, TrustList, VerifierConfig
from models.credentials.verify.verdict import Verdict

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "fixtures" / "documents"
DEFAULT = VerifierConfig()
CONFIGURED = VerifierConfig.load(DOCS / "keystore.json", DOCS / "trusted-certificates.json")


def load(name: str) -> dict:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def verdict_of(name: str, config: VerifierConfig = DEFAULT, related: tuple = ()) -> Verdict:
    return import_document((DOCS / name).read_bytes(), name, related=related, config=config).verdict


@pytest.mark.parametrize(
    ("name", "default", "configured"),
    [
        ("edc-sealed.jsonld", "valid", "valid"),
        ("edc-sealed-tampered.jsonld", "invalid", "invalid"),
        ("edc-broken-certificate.jsonld", "invalid", "invalid"),
        ("edc-unsigned.jsonld", "not_signed", "not_signed"),
        ("ob3-signed.json", "valid", "valid"),
        ("ob3-signed-tampered.json", "invalid", "invalid"),
        ("ob3-unknown-context.json", "cannot_verify", "cannot_verify"),
        ("ob3-keystore-signed.json", "cannot_verify", "valid"),
        ("ob3-vcjwt.jwt", "valid", "valid"),
        ("clr-signed.json", "valid", "valid"),
        ("ob2-assertion.json", "not_signed", "not_signed"),
        ("ob2-signed.jwt", "cannot_verify", "valid"),
    ],
)
def test_fixture_verdicts(name, default, configured):
    assert verdict_of(name).integrity == default
    assert verdict_of(name, CONFIGURED).integrity == configured


def test_jades_reports_the_certificate_and_trust():
    verdict = verdict_of("edc-sealed.jsonld")
    assert verdict.method == "JAdES RS256"
    assert verdict.signer.kind == "certificate"
    assert "credstack TEST SEAL" in verdict.signer.subject
    assert verdict.signer.organisation_identifier == "VATSE-TEST0001"
    assert verdict.signer.valid_from.year == 2025 and verdict.signer.valid_until.year == 2035
    assert verdict.trust == "not on a trusted list"
    # same organisation name and VAT number, but a self-signed certificate nothing vouches for
    assert verdict.signer_matches_awarding_body is None
    assert verdict.signer_identity == "unconfirmed"
    trusted = verdict_of("edc-sealed.jsonld", CONFIGURED)
    assert trusted.trust.startswith("allow-listed: credstack TEST SEAL")
    assert trusted.signer_matches_awarding_body is True  # the allow-list confirms it
    assert trusted.signer_identity == "confirmed"


def test_a_tampered_seal_keeps_its_signer_but_is_invalid():
    verdict = verdict_of("edc-sealed-tampered.jsonld")
    assert "changed after sealing" in verdict.reason
    assert verdict.signer.organisation == "credstack Test University"


def test_a_broken_certificate_is_a_clear_invalid_verdict():
    verdict = verdict_of("edc-broken-certificate.jsonld")
    assert verdict.reason.startswith("broken signing certificate")


def _reseal(envelope: dict, **changes) -> dict:
    """The envelope with protected-header fields changed (the signature no longer matters)."""
    entry = envelope["signatures"][0]
    header = json.loads(keys.b64url_decode(entry["protected"]))
    header.update(changes)
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    return {**envelope, "signatures": [{**entry, "protected": protected}]}


@pytest.mark.parametrize(
    ("changes", "integrity", "text"),
    [
        ({"alg": "HS256"}, "unsupported", "unsupported signature algorithm"),
        ({"crit": ["b64", "sigD"]}, "unsupported", "unsupported critical header"),
        ({"x5t#S256": "AAAA"}, "invalid", "x5t#S256"),
        ({"x5c": []}, "invalid", "broken signing certificate"),
        ({"sigT": "2020-01-01T00:00:00Z"}, "invalid", "changed after sealing"),
    ],
)
def test_jades_header_problems(changes, integrity, text):
    verdict = jades.verify_envelope(_reseal(load("edc-sealed.jsonld"), **changes), DEFAULT)
    assert verdict.integrity == integrity and text in verdict.reason


def test_a_seal_without_certificate_cannot_be_verified():
    envelope = load("edc-sealed.jsonld")
    entry = envelope["signatures"][0]
    header = json.loads(keys.b64url_decode(entry["protected"]))
    del header["x5c"]
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    envelope["signatures"][0] = {**entry, "protected": protected}
    assert jades.verify_envelope(envelope, DEFAULT).integrity == "cannot_verify"


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (
            ("credentialSubject", "achievement", "name"),
            "Statistics in Practice",
            "Statistics in Practise",
        ),
        (
            ("credentialSubject", "id"),
            "did:example:credstack-test-learner",
            "did:example:credstack-test-learnef",
        ),
        (("issuer", "name"), "credstack Test Academy", "credstack Test Acadamy"),
        (("validFrom",), "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z"),
    ],
)
def test_one_changed_character_anywhere_signed_is_invalid(path, old, new):
    doc = load("ob3-signed.json")
    node = doc
    for key in path[:-1]:
        node = node[key]
    assert node[path[-1]] == old
    node[path[-1]] = new
    verdict = data_integrity.verify_document(doc, DEFAULT)
    assert verdict.integrity == "invalid" and "changed after signing" in verdict.reason


def test_a_property_outside_the_contexts_is_not_covered_so_invalid():
    doc = load("ob3-signed.json")
    doc["credentialSubject"]["achievement"]["ectsCredits"] = 30  # no context defines it
    verdict = data_integrity.verify_document(doc, DEFAULT)
    assert verdict.integrity == "invalid" and "does not cover" in verdict.reason


@pytest.mark.parametrize(
    ("change", "integrity", "text"),
    [
        ({"cryptosuite": "eddsa-rdf-2022"}, "unsupported", "eddsa-rdf-2022"),
        ({"type": "BbsBlsSignature2020"}, "unsupported", "BbsBlsSignature2020"),
        ({"proofPurpose": "authentication"}, "invalid", "assertionMethod"),
        ({"verificationMethod": "did:key:zNotAKey"}, "invalid", "not a usable did:key"),
        (
            {"verificationMethod": "https://nowhere.credstack.test/keys#k1"},
            "cannot_verify",
            "key unavailable",
        ),
        ({"verificationMethod": "did:web:nowhere.credstack.test#k1"}, "cannot_verify", "did:web"),
        ({"verificationMethod": None}, "invalid", "no verification method"),
        ({"proofValue": "z0OIl"}, "invalid", "cannot be decoded"),
    ],
)
def test_proof_problems_get_clear_verdicts(change, integrity, text):
    doc = load("ob3-signed.json")
    doc["proof"].update(change)
    verdict = data_integrity.verify_document(doc, DEFAULT)
    assert verdict.integrity == integrity and text in verdict.reason


def test_a_key_of_another_signer_in_the_key_store_is_invalid():
    doc = load("ob3-keystore-signed.json")
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    store = KeyStore({doc["proof"]["verificationMethod"]: other})
    verdict = data_integrity.verify_document(doc, VerifierConfig(store))
    assert verdict.integrity == "invalid"


def _signed(doc: dict, key: ed25519.Ed25519PrivateKey, method: str) -> dict:
    doc = {k: v for k, v in doc.items() if k != "proof"}
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-06-13T08:00:00Z",
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(data_integrity.hash_data(doc, proof))
    return {**doc, "proof": {**proof, "proofValue": "z" + keys.b58encode(signature)}}


def test_fragment_keys_are_unconfirmed_and_can_be_turned_off():
    key = ed25519.Ed25519PrivateKey.generate()
    method = f"https://academy.credstack.test/issuer#{keys.ed25519_multikey(key.public_key())}"
    doc = _signed(load("ob3-signed.json"), key, method)
    result = import_document(json.dumps(doc).encode(), "f.json", config=DEFAULT)
    assert result.verdict.integrity == "valid" and result.verdict.trust.startswith("unconfirmed")
    assert result.verdict.signer_matches_awarding_body is None  # the issuer's URL, unconfirmed
    assert result.verdict.signer_identity == "unconfirmed"
    strict = data_integrity.verify_document(doc, VerifierConfig(fragment_keys=False))
    assert strict.integrity == "cannot_verify" and "key unavailable" in strict.reason


def test_a_fragment_key_is_refused_when_the_store_knows_other_keys_of_its_controller():
    doc = load("ob3-signed.json")
    key = keys.did_key(doc["proof"]["verificationMethod"])
    multikey = keys.ed25519_multikey(key)
    store = KeyStore({"https://academy.credstack.test/issuer#key-0": key})
    doc["proof"]["verificationMethod"] = f"https://academy.credstack.test/issuer#{multikey}"
    verdict = data_integrity.verify_document(doc, VerifierConfig(store))
    assert verdict.integrity == "invalid" and "not among the keys" in verdict.reason


def test_unknown_context_never_touches_the_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("credstack tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    verdict = verdict_of("ob3-unknown-context.json")
    assert verdict.integrity == "cannot_verify"
    assert "https://contexts.credstack.test/unknown/v1" in verdict.reason
    for path in sorted(DOCS.glob("*")):  # every fixture, every verifier, offline
        if path.suffix in (".json", ".jsonld", ".jwt") and "key" not in path.name:
            try:
                verdict_of(path.name, CONFIGURED)
            except Exception as exc:  # BadgeClass/Issuer alone are rejected, not a network call
                assert "network" not in str(exc)
    assert attempts == []


def test_pinned_contexts_match_their_hashes():
    for url in contexts.pinned_urls():
        assert contexts.document_loader(url)["document"]


def test_a_changed_pinned_context_is_refused(tmp_path, monkeypatch):
    for path in contexts.CONTEXTS.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    target = tmp_path / "ob-v3p0-3.0.3.json"
    target.write_text(target.read_text().replace('"name"', '"nane"', 1))
    monkeypatch.setattr(contexts, "CONTEXTS", tmp_path)
    contexts._load.cache_clear()
    data_integrity._RESOLVED.clear()
    try:
        verdict = data_integrity.verify_document(load("ob3-signed.json"), DEFAULT)
    finally:
        contexts._load.cache_clear()
        data_integrity._RESOLVED.clear()
    assert verdict.integrity == "cannot_verify" and "sha256" in verdict.reason


def test_canonicalisation_is_bounded():
    doc = load("ob3-signed.json")
    doc["credentialSubject"]["result"] = [
        {"type": ["Result"], "value": str(i), "status": "Completed"} for i in range(9_000)
    ]
    started = time.monotonic()
    verdict = data_integrity.verify_document(doc, DEFAULT)
    assert verdict.integrity == "cannot_verify" and "JSON objects" in verdict.reason
    assert time.monotonic() - started < 1


def test_canonicalisation_counts_statements(monkeypatch):
    monkeypatch.setattr(data_integrity, "MAX_QUADS", 20)
    verdict = data_integrity.verify_document(load("ob3-signed.json"), DEFAULT)
    assert verdict.integrity == "cannot_verify" and "RDF statements" in verdict.reason


def test_blank_node_hashing_is_bounded(monkeypatch):
    monkeypatch.setattr(data_integrity, "MAX_HASH_N_DEGREE_CALLS", 3)
    doc = load("ob3-signed.json")
    # Identical anonymous nodes make RDFC-1.0 hash N-degree quads, the expensive step.
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "B"} for _ in range(6)]
    verdict = data_integrity.verify_document(doc, DEFAULT)
    assert verdict.integrity == "cannot_verify" and "too complex" in verdict.reason


def _compact(payload: dict, key, header: dict) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head, body = b64(json.dumps(header).encode()), b64(json.dumps(payload).encode())
    data = f"{head}.{body}".encode()
    if isinstance(key, rsa.RSAPrivateKey):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(data)
    return f"{head}.{body}.{b64(signature)}"


def _jwk(key) -> dict:
    numbers = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "e": "AQAB", "n": base64.urlsafe_b64encode(n).decode().rstrip("=")}
    x, y = (v.to_bytes(32, "big") for v in (numbers.x, numbers.y))
    enc = {k: base64.urlsafe_b64encode(v).decode().rstrip("=") for k, v in (("x", x), ("y", y))}
    return {"kty": "EC", "crv": "P-256", **enc}


@pytest.mark.parametrize(
    ("alg", "make"),
    [
        ("PS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
    ],
)
def test_compact_jws_with_embedded_keys(alg, make):
    key = make()
    token = _compact({"hello": "world"}, key, {"alg": alg, "jwk": _jwk(key)})
    verdict = jws.verify_compact(jws.parse_compact(token), DEFAULT)
    assert verdict.integrity == "valid" and verdict.signer.kind == "embedded jwk"
    assert verdict.signer_matches_awarding_body is None
    assert "not who signed" in verdict.trust
    head, body, sig = token.split(".")
    changed = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    tampered = jws.verify_compact(jws.parse_compact(f"{head}.{changed}.{sig}"), DEFAULT)
    assert tampered.integrity == "invalid"


def test_compact_jws_edge_cases():
    key = ed25519.Ed25519PrivateKey.generate()
    unsigned = _compact({"a": 1}, key, {"alg": "none"})
    assert jws.verify_compact(jws.parse_compact(unsigned), DEFAULT).integrity == "not_signed"
    crit = _compact({"a": 1}, key, {"alg": "EdDSA", "crit": ["exp"], "exp": 1})
    assert jws.verify_compact(jws.parse_compact(crit), DEFAULT).integrity == "unsupported"
    wrong = _compact(
        {"a": 1}, key, {"alg": "RS256", "kid": "did:key:" + keys.ed25519_multikey(key.public_key())}
    )
    assert jws.verify_compact(jws.parse_compact(wrong), DEFAULT).integrity == "invalid"
    with pytest.raises(ValueError):
        jws.parse_compact("not.a.jws!")


def test_key_store_and_trust_list_files_are_validated(tmp_path):
    bad = tmp_path / "keys.json"
    bad.write_text('{"keys": [{"id": "https://x.test/k", "publicKeyMultibase": "zzz"}]}')
    with pytest.raises(ValueError, match="keys\\[0\\]"):
        KeyStore.load(bad)
    bad.write_text("[]")
    with pytest.raises(ValueError, match="expected an object"):
        KeyStore.load(bad)
    trust = tmp_path / "trust.json"
    trust.write_text('{"certificates": [{"sha256": "12"}]}')
    with pytest.raises(ValueError, match="sha256"):
        TrustList.load(trust)
    assert KeyStore.load().keys == {} and TrustList.load().certificates == {}


def test_multibase_and_did_key_round_trip():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    multikey = keys.ed25519_multikey(key)
    assert multikey.startswith("z6Mk")
    assert keys.did_key(f"did:key:{multikey}").public_bytes_raw() == key.public_bytes_raw()
    assert keys.b58decode(keys.b58encode(b"\0\0abc")) == b"\0\0abc"
    with pytest.raises(keys.BadKey):
        keys.did_key(f"did:key:{multikey}#z6MkOther")


def test_verdicts_are_json_ready():
    for name in ("edc-sealed.jsonld", "clr-signed.json", "ob2-signed.jwt"):
        text = json.dumps(verdict_of(name).to_dict())
        assert json.loads(text)["integrity"]


def test_embedded_endorsement_proofs_are_reported():
    doc = load("ob3-signed.json")
    del doc["proof"]
    endorsement = copy.deepcopy(load("ob3-signed.json"))
    endorsement["type"] = ["VerifiableCredential", "EndorsementCredential"]  # breaks its proof
    doc["credentialSubject"]["achievement"]["endorsement"] = [endorsement]
    raw = json.dumps(doc).encode()
    result = import_document(raw, "endorsed.json", config=DEFAULT)
    assert result.verdict.integrity == "invalid"
    assert result.verdict.parts[0].path.endswith("achievement.endorsement[0].proof")
    assert hashlib.sha256(raw).hexdigest() == result.sha256
