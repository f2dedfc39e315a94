"""Honest trust verdicts: integrity, who signed, status and validity period are separate facts.

The forged and lifecycle cases are fixtures made by fixtures/documents/make_trust_cases.py with
the project's own test keys: a key in the issuer URL's fragment, an EDC re-sealed with a
self-signed certificate naming the awarding body, a seal chained to a test root, status entries
with local copies of their status lists, expired credentials.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from engine.evaluate import evaluate
from engine.inputs import Wallet
from models.credentials.formats import import_document
from models.credentials.intake import wallet_from_document
from models.credentials.verify import certificates, data_integrity, jws, keys
from models.credentials.verify.keys import TrustList, VerifierConfig
from models.credentials.verify.status_lists import StatusLists
from models.credentials.verify.verdict import VERIFICATIONS
from rules.vocabulary import VOCABULARIES
from tests.builders import policy
from views.cli.imports import import_command

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "fixtures" / "documents"
SAMPLES = ROOT.parent / "shared" / "samples"
KEYSTORE, ALLOW_LIST = DOCS / "keystore.json", DOCS / "trusted-certificates.json"
ROOT_LIST = DOCS / "trust" / "trusted-root.json"
ACADEMY_LIST = DOCS / "status" / "academy-status-1.json"
UNIVERSITY_LIST = DOCS / "status" / "university-statuslist-2021.json"
DEFAULT = VerifierConfig()
EVERYTHING = VerifierConfig.load(KEYSTORE, ALLOW_LIST, (ACADEMY_LIST, UNIVERSITY_LIST))


def imported(name: str, config: VerifierConfig = DEFAULT, raw: bytes | None = None):
    data = raw if raw is not None else (DOCS / name).read_bytes()
    return import_document(data, name, config=config)


def only(result):
    (credential,) = result.credentials
    return credential, result.verdicts[credential.id]


def cli(*args: str) -> str:
    result = CliRunner().invoke(import_command, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


# Who signed


@pytest.mark.parametrize("config", [DEFAULT, EVERYTHING])
def test_a_key_in_the_issuer_urls_fragment_proves_integrity_not_the_signer(config):
    result = imported("ob3-issuer-url-fragment.json", config)
    credential, verdict = only(result)
    assert verdict.integrity == "valid"
    assert verdict.signer_identity == "unconfirmed" and verdict.anchor == ""
    assert verdict.signer_matches_awarding_body is not True
    assert credential.extensions["verification_signer"] == "unconfirmed"


def test_the_import_report_says_the_fragment_signer_is_unconfirmed():
    output = cli(DOCS / "ob3-issuer-url-fragment.json")
    assert "signer is the awarding body: unconfirmed" in output
    assert "signer is the awarding body: yes" not in output


@pytest.mark.parametrize("config", [DEFAULT, EVERYTHING])
def test_a_reseal_with_a_self_signed_certificate_naming_the_body_is_unconfirmed(config):
    credential, verdict = only(imported("edc-resealed-self-signed.jsonld", config))
    assert verdict.integrity == "valid"
    assert verdict.signer.organisation == "credstack Test University"  # it names the body
    assert verdict.signer.organisation_identifier == "VATSE-TEST0001"
    assert verdict.signer_identity == "unconfirmed" and verdict.anchor == ""
    assert verdict.signer_matches_awarding_body is None
    assert credential.extensions["verification_signer"] == "unconfirmed"


def test_the_allow_listed_seal_is_confirmed_and_only_with_its_list():
    credential, verdict = only(imported("edc-sealed.jsonld", EVERYTHING))
    assert verdict.signer_identity == "confirmed" and verdict.signer_matches_awarding_body
    assert "credstack TEST SEAL" in verdict.anchor
    assert credential.extensions["verification_signer"] == "confirmed"
    output = cli(DOCS / "edc-sealed.jsonld", "--trusted-certs", ALLOW_LIST)
    assert "signer is the awarding body: yes, confirmed by the trusted list" in output


def test_a_seal_whose_chain_leads_to_a_configured_root_is_confirmed():
    config = VerifierConfig.load(trust_list=ROOT_LIST)
    credential, verdict = only(imported("edc-sealed-chain.jsonld", config))
    assert verdict.signer_identity == "confirmed" and verdict.signer_matches_awarding_body
    assert "credstack TEST ROOT CA" in verdict.anchor
    assert only(imported("edc-sealed-chain.jsonld"))[1].signer_identity == "unconfirmed"
    # the root listed with its certificate also anchors a chain that leaves the root out
    header = json.loads(keys.b64url_decode(load("edc-sealed-chain.jsonld")["signatures"][0][
        "protected"]))  # fmt: skip
    leaf = certificates.load_chain(header["x5c"][:1])
    assert "root the signing certificate's chain leads to" in TrustList.load(ROOT_LIST).match(leaf)
    assert TrustList().match(leaf) is None


def _certificate(name: str, key, issuer: x509.Certificate | None, issuer_key, ca: bool | None):
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_a_listed_end_entity_certificate_vouches_for_no_certificate_it_signed():
    listed_key, forged_key = (rsa.generate_private_key(65537, 2048) for _ in range(2))
    listed = _certificate("Listed seal", listed_key, None, None, ca=False)
    forged = _certificate("credstack Test University", forged_key, listed, listed_key, ca=False)
    trust = TrustList({_fingerprint(listed): "a listed seal"})
    assert trust.match([listed]) == "a listed seal"
    assert trust.match([forged, listed]) is None
    root = _certificate("Root", listed_key, None, None, ca=True)
    issued = _certificate("credstack Test University", forged_key, root, listed_key, ca=False)
    assert TrustList({_fingerprint(root): "root"}).match([issued, root]) is not None


def test_a_key_store_entry_confirms_its_controller_as_the_signer():
    credential, verdict = only(imported("ob3-keystore-signed.json", EVERYTHING))
    assert verdict.signer.controller == "https://issuer.credstack.test"
    assert verdict.signer_identity == "confirmed" and verdict.signer_matches_awarding_body
    assert "key store entry" in verdict.anchor
    assert credential.extensions["verification_signer"] == "confirmed"


def test_a_did_key_is_never_confirmed():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test did:key").digest())
    did = "did:key:" + keys.ed25519_multikey(key.public_key())
    doc = {k: v for k, v in load("ob3-signed.json").items() if k != "proof"}
    doc["issuer"] = {**doc["issuer"], "id": did}  # the issuer is the DID itself
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-06-13T08:00:00Z",
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(data_integrity.hash_data(doc, proof))
    doc["proof"] = {**proof, "proofValue": "z" + keys.b58encode(signature)}
    credential, verdict = only(imported("did.json", EVERYTHING, json.dumps(doc).encode()))
    assert verdict.integrity == "valid"
    assert verdict.signer_identity == "unconfirmed" and verdict.signer_matches_awarding_body is None
    assert credential.extensions["verification_signer"] == "unconfirmed"


# Status


def load(name: str) -> dict:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["ob3-status-revoked.json", "edc-status-revoked.jsonld"])
def test_a_status_entry_without_its_list_cannot_be_checked_offline(name):
    credential, verdict = only(imported(name))
    assert verdict.integrity == "valid"
    assert verdict.status_check == "unchecked"
    assert verdict.status.startswith("unknown") and "cannot be checked offline" in verdict.status
    assert credential.values["verification"] == "status_unchecked"  # not "valid"
    assert credential.extensions["verification_status"] == "unchecked"


@pytest.mark.parametrize(
    ("name", "status_list"),
    [("ob3-status-revoked.json", ACADEMY_LIST), ("edc-status-revoked.jsonld", UNIVERSITY_LIST)],
)
def test_a_local_status_list_finds_the_revocation(name, status_list):
    config = VerifierConfig.load(status_lists=(status_list,))
    credential, verdict = only(imported(name, config))
    assert verdict.integrity == "valid" and verdict.status_check == "revoked"
    assert verdict.status.startswith("revoked: entry")
    assert credential.values["verification"] == "revoked"
    assert credential.extensions["verification_status"] == "revoked"
    output = cli(DOCS / name, "--status-list", status_list)
    assert "status: revoked" in output and "verification: revoked" in output


def _list_file(tmp_path: Path, source: Path, bits: set[int], purpose: str = "") -> Path:
    """The fixture list with other bits set (and unsigned: its proof would no longer hold)."""
    doc = json.loads(source.read_text())
    doc.pop("proof", None)
    raw = bytearray(16384)
    for bit in bits:
        raw[bit // 8] |= 0x80 >> (bit % 8)
    packed = base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode().rstrip("=")
    doc["credentialSubject"]["encodedList"] = packed
    doc["credentialSubject"]["statusPurpose"] = purpose or doc["credentialSubject"]["statusPurpose"]
    path = tmp_path / source.name
    path.write_text(json.dumps(doc))
    return path


def test_an_entry_whose_bit_is_clear_is_active_and_valid(tmp_path):
    config = VerifierConfig.load(status_lists=(_list_file(tmp_path, ACADEMY_LIST, {6, 8}),))
    credential, verdict = only(imported("ob3-status-revoked.json", config))
    assert verdict.status_check == "active" and "is not set" in verdict.status
    assert credential.values["verification"] == "valid"
    assert credential.extensions["verification_status"] == "active"


def test_a_suspension_list_suspends(tmp_path):
    doc = load("edc-unsigned.jsonld")
    doc["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "9",
        "statusListCredential": "https://academy.credstack.test/status/1",
    }
    listed = _list_file(tmp_path, ACADEMY_LIST, {9}, purpose="suspension")
    result = imported(
        "s.json", VerifierConfig.load(status_lists=(listed,)), json.dumps(doc).encode()
    )
    credential, verdict = only(result)
    assert verdict.status_check == "suspended"
    assert credential.values["verification"] == "not_signed"  # it was never more than that
    assert credential.extensions["verification_status"] == "suspended"
    wrong = VerifierConfig.load(status_lists=(_list_file(tmp_path, ACADEMY_LIST, {9}),))
    assert only(imported("s.json", wrong, json.dumps(doc).encode()))[1].status_check == "unchecked"


def test_a_status_list_whose_proof_is_broken_is_not_used(tmp_path):
    doc = json.loads(ACADEMY_LIST.read_text())
    raw = bytearray(16384)  # the same list with bit 7 cleared: an attempt to un-revoke
    doc["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(
        gzip.compress(bytes(raw))
    ).decode().rstrip("=")
    path = tmp_path / "forged-list.json"
    path.write_text(json.dumps(doc))
    credential, verdict = only(
        imported("ob3-status-revoked.json", VerifierConfig.load(status_lists=(path,)))
    )
    assert verdict.status_check == "unchecked" and "proof is invalid" in verdict.status
    assert credential.values["verification"] == "status_unchecked"


def test_status_list_files_are_checked_and_bounded(tmp_path):
    bomb = tmp_path / "bomb.json"
    doc = json.loads(UNIVERSITY_LIST.read_text())
    doc["credentialSubject"]["encodedList"] = base64.urlsafe_b64encode(
        gzip.compress(bytes(17 * 1024 * 1024))
    ).decode()
    bomb.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="larger than"):
        StatusLists.load((bomb,))
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "credentialSubject": {"type": "Other"}}')
    with pytest.raises(ValueError, match="BitstringStatusList"):
        StatusLists.load((bad,))
    result = CliRunner().invoke(
        import_command, [str(DOCS / "ob3-signed.json"), "--status-list", str(bad)]
    )
    assert result.exit_code != 0 and "status list" in result.output


# Validity period


@pytest.mark.parametrize(
    ("name", "field"),
    [("ob3-expired.json", "validUntil"), ("edc-expired.jsonld", "expirationDate")],
)
def test_an_expired_credential_is_reported_and_not_valid(name, field):
    credential, verdict = only(imported(name))
    assert verdict.integrity == "valid"
    assert verdict.period == "expired" and verdict.valid_until.date() == dt.date(2025, 6, 30)
    assert any(f"expired on 2025-06-30 ({field})" in note for note in verdict.notes)
    assert credential.values["verification"] == "expired"
    assert credential.extensions["valid_until"] == "2025-06-30"
    assert "validity period: from" in cli(DOCS / name) and "until 2025-06-30 (expired)" in cli(
        DOCS / name
    )
    before = VerifierConfig(now=dt.datetime(2025, 6, 20, tzinfo=dt.UTC))
    assert only(imported(name, before))[0].values["verification"] == "valid"


def test_the_seal_certificates_expiry_is_a_fact_a_policy_can_read():
    credential, _ = only(imported("edc-sealed.jsonld"))
    assert credential.extensions["certificate_valid_until"] == "2035-01-01"


def _seal(payload: dict, not_after: dt.datetime, signed: str) -> bytes:
    key = rsa.generate_private_key(65537, 2048)
    cert = _certificate("credstack Test University", key, None, None, ca=None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    header = {"alg": "RS256", "b64": False, "crit": ["b64", "sigT"], "sigT": signed, "x5c": [der]}
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    text = json.dumps(payload)
    signature = key.sign(f"{protected}.{text}".encode(), padding.PKCS1v15(), hashes.SHA256())
    sig = base64.urlsafe_b64encode(signature).decode().rstrip("=")
    return json.dumps(
        {"payload": text, "signatures": [{"protected": protected, "signature": sig}]}
    ).encode()


def test_a_seal_made_after_its_certificate_expired_is_not_valid():
    payload = load("edc-unsigned.jsonld")
    late = _seal(payload, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "2025-06-13T08:00:00Z")
    credential, verdict = only(imported("late.jsonld", raw=late))
    assert (
        verdict.integrity == "valid" and "not valid at the signing time" in verdict.signer_problem
    )
    assert credential.values["verification"] == "untrusted_signer"
    assert credential.extensions["certificate_valid_until"] == "2024-01-01"
    in_time = _seal(payload, dt.datetime(2025, 12, 31, tzinfo=dt.UTC), "2025-06-13T08:00:00Z")
    credential, verdict = only(imported("in-time.jsonld", raw=in_time))
    assert verdict.signer_problem == "" and credential.values["verification"] == "valid"


def test_a_vc_jwt_past_its_exp_claim_is_expired():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
    kid = "did:key:" + keys.ed25519_multikey(key.public_key())
    vc = {k: v for k, v in load("ob3-signed.json").items() if k != "proof"}
    claims = {"iss": vc["issuer"]["id"], "exp": 1735689600, "vc": vc}  # 2025-01-01

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head = b64(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    token = f"{head}.{body}.{b64(key.sign(f'{head}.{body}'.encode()))}"
    assert jws.verify_compact(jws.parse_compact(token), DEFAULT).integrity == "valid"
    credential, verdict = only(imported("t.jwt", raw=token.encode()))
    assert verdict.period == "expired" and "(the JWT's exp)" in " ".join(verdict.notes)
    assert credential.values["verification"] == "expired"


# Facts for policies


def test_a_policy_can_declare_and_require_the_verification_facts():
    p = policy(
        elements={
            "verification_signer": {
                "type": "code",
                "values": ["confirmed", "unconfirmed", "mismatch"],
                "if_absent": "not_met",
            },
            "valid_until": {"type": "date"},
        },
        criteria=[
            {
                "id": "signed-by-the-body",
                "title": "Sealed by the awarding body, confirmed",
                "about": "each_credential",
                "when": [
                    {"element": "verification", "op": "eq", "value": "valid"},
                    {"element": "verification_signer", "op": "eq", "value": "confirmed"},
                ],
            },
            {
                "id": "still-valid",
                "title": "Valid on the application date",
                "about": "each_credential",
                "when": [{"element": "valid_until", "op": "gte", "value": "2026-09-01"}],
            },
        ],
    )

    def statuses(name: str, config: VerifierConfig) -> dict[str, str]:
        document = imported(name, config).wallet_document()
        wallet = wallet_from_document(json.loads(json.dumps(document)))
        outcomes = evaluate(p, Wallet("k", wallet.credentials), dt.date(2026, 9, 1))["outcomes"]
        return {o["rule"]: o["status"] for o in outcomes}

    assert statuses("edc-sealed.jsonld", EVERYTHING)["signed-by-the-body"] == "met"
    assert (
        statuses("edc-resealed-self-signed.jsonld", EVERYTHING)["signed-by-the-body"] == "not_met"
    )
    assert statuses("ob3-issuer-url-fragment.json", DEFAULT)["signed-by-the-body"] == "not_met"
    assert statuses("ob3-expired.json", DEFAULT)["still-valid"] == "not_met"


def test_a_document_term_cannot_pose_as_a_verification_fact():
    doc = load("edc-unsigned.jsonld")
    doc["expirationDate"] = "2025-01-31T00:00:00Z"
    claim = doc["credentialSubject"]["hasClaim"]
    claim["additionalNote"] = [
        {
            "id": "urn:epass:note:9",
            "type": "Note",
            "noteLiteral": {"en": "2099-12-31"},
            "subject": {
                "id": "urn:epass:concept:9",
                "type": "Concept",
                "prefLabel": {"en": "valid until"},
            },
        }
    ]
    result = imported("note.json", raw=json.dumps(doc).encode())
    credential, _ = only(result)
    assert credential.extensions["valid_until"] == "2025-01-31"
    assert any(
        "replaced by credstack's verification fact" in w for w in result.warnings[credential.id]
    )


def test_every_verification_code_is_in_the_vocabulary():
    assert set(VERIFICATIONS) == set(VOCABULARIES["verification"].codes())


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")
def test_the_revoked_sample_is_not_valid_offline_and_its_did_web_key_is_unconfirmed():
    name = SAMPLES / "ob3" / "1edtech-validator-vcdm11-ed25519signature2020.json"
    credential, verdict = only(imported(name.name, raw=name.read_bytes()))
    assert verdict.integrity == "valid" and verdict.status_check == "unchecked"
    assert credential.values["verification"] == "status_unchecked"
    assert verdict.signer_identity == "unconfirmed"  # a key in a did:web URL's fragment
