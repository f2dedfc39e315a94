"""The real documents in ../shared/samples/ get the verdicts their README lists.

Skipped when that folder does not exist (a clean clone): the project's own fixtures cover the same
code paths. The samples are read in place, never copied.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest

from models.credentials.formats import import_document
from models.credentials.verify import data_integrity
from models.credentials.verify.keys import KeyStore, VerifierConfig, multikey_ed25519
from models.errors import IntakeError

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present")
DEFAULT = VerifierConfig()

# README "What verification should conclude", plus the files it does not list.
EXPECTED = {
    "edc-elm/elm3-mc-annex1-signed.jsonld": "valid",
    "edc-elm/elm3-certofpart-signed.jsonld": "valid",
    "edc-elm/elm3-mc-annex1-unsigned.jsonld": "not_signed",
    "edc-elm/elm3-rdf-credential-sample.jsonld": "not_signed",
    "edc-elm/elm2-ebsi-verifiableattestation-legacy.json": "unsupported",
    "ob3/1edtech-testvector-signed-eddsa-rdfc-2022.json": "valid",
    "ob3/1edtech-validator-simple-signed.json": "valid",
    "ob3/1edtech-validator-did-key-signed.json": "valid",
    "ob3/1edtech-validator-vcdm11-ed25519signature2020.json": "valid",
    "ob3/1edtech-validator-simple-vcjwt.jwt": "cannot_verify",
    "ob3/1edtech-validator-complete.json": "valid",
    "ob3/1edtech-spec-complete.json": "unsupported",
    "ob3/1edtech-spec-basic.json": "not_signed",
    "ob3/1edtech-spec-alignment-case.json": "not_signed",
    "ob3/1edtech-spec-skill-ctdl.json": "not_signed",
    "clr2/1edtech-testvector-clr-signed-eddsa-rdfc-2022.json": "valid",
    "clr2/1edtech-validator-clr-simple-signed.json": "valid",
    "clr2/1edtech-validator-clr-simple.jwt": "valid",
    "clr2/1edtech-validator-clr-complex.json": "valid",
    "ob2/1edtech-validator-ob2-signed.jwt": "cannot_verify",
    "ob2/1edtech-validator-ob2-basic-assertion.json": "not_signed",
    "w3c-vc/w3c-vc-di-eddsa-rdfc-2022-alumni-signed.json": "valid",
}
REJECTED = {
    "ob3/1edtech-spec-endorsement.json": "EndorsementCredential",
    "ob2/1edtech-validator-ob2-badgeclass.json": "BadgeClass or Issuer alone",
    "ob2/1edtech-validator-ob2-issuer.json": "BadgeClass or Issuer alone",
}


def run(name: str, config: VerifierConfig = DEFAULT, related: tuple[str, ...] = ()):
    others = [((SAMPLES / r).read_bytes(), Path(r).name) for r in related]
    return import_document((SAMPLES / name).read_bytes(), name, related=others, config=config)


def test_every_sample_is_listed_here():
    files = {
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.glob("*/*")
        if p.parent.name != "contexts" and p.suffix in (".json", ".jsonld", ".jwt")
    }
    assert files - set(EXPECTED) - set(REJECTED) == {"w3c-vc/w3c-vc-di-eddsa-keypair.json"}


@pytest.mark.parametrize(("name", "integrity"), sorted(EXPECTED.items()))
def test_sample_verdicts(name, integrity):
    result = run(name)
    assert result.verdict.integrity == integrity, result.verdict.reason
    for credential in result.credentials:
        assert credential.values["verification"] == result.verdicts[credential.id].verification


@pytest.mark.parametrize(("name", "text"), sorted(REJECTED.items()))
def test_samples_that_are_not_learner_credentials_are_rejected(name, text):
    with pytest.raises(IntakeError, match=text):
        run(name)


@pytest.mark.parametrize(
    "name", ["edc-elm/elm3-mc-annex1-signed.jsonld", "edc-elm/elm3-certofpart-signed.jsonld"]
)
def test_the_commission_seal(name):
    verdict = run(name).verdict
    assert verdict.method == "JAdES RS256"
    assert verdict.signer.organisation_identifier == "VATES-A00000000"
    assert "CN=TEST SEAL" in verdict.signer.subject and verdict.signer.country == "ES"
    assert verdict.signer.valid_until.date() == dt.date(2025, 5, 10)
    assert verdict.trust == "not on a trusted list"
    assert any("expired on 2025-05-10" in note for note in verdict.notes)
    assert verdict.signer_matches_awarding_body is False  # ORGANIZACION TEST seals for UniZ


def test_status_is_unknown_offline_for_the_revoked_sample():
    verdict = run("ob3/1edtech-validator-vcdm11-ed25519signature2020.json").verdict
    assert verdict.method == "Ed25519Signature2020"
    assert verdict.status.startswith("unknown")


def test_clr_nested_credentials_are_verified_on_their_own():
    for name in (
        "clr2/1edtech-testvector-clr-signed-eddsa-rdfc-2022.json",
        "clr2/1edtech-validator-clr-simple-signed.json",
        "clr2/1edtech-validator-clr-simple.jwt",
    ):
        result = run(name)
        assert result.credentials
        for credential in result.credentials:
            own = result.verdicts[credential.id]
            assert own.integrity == "valid" and "verifiableCredential[" in own.path, name


def test_clr_associations_become_stacking_hints():
    result = run("clr2/1edtech-validator-clr-complex.json")
    assert len(result.credentials) == 6
    relations = [h.relation for h in result.hints]
    assert relations.count("isParentOf") == 4 and relations.count("isPartOf") == 1
    parent = result.hints[0]
    assert parent.source_credentials and parent.target_credentials


def test_keys_are_unavailable_without_their_holder():
    verdict = run("ob2/1edtech-validator-ob2-signed.jwt").verdict
    assert "key unavailable" in verdict.reason
    vcjwt = run("ob3/1edtech-validator-simple-vcjwt.jwt").verdict
    assert "names no key" in vcjwt.reason


def test_the_unsupported_cryptosuite_is_named():
    verdict = run("ob3/1edtech-spec-complete.json").verdict
    assert "eddsa-rdf-2022" in verdict.reason and verdict.parts
    assert verdict.status.startswith("unknown")  # it declares a revocation list


def test_a_configured_key_store_verifies_https_methods():
    pair = json.loads((SAMPLES / "w3c-vc" / "w3c-vc-di-eddsa-keypair.json").read_text())
    doc = json.loads(
        (SAMPLES / "w3c-vc" / "w3c-vc-di-eddsa-rdfc-2022-alumni-signed.json").read_text()
    )
    method = doc["proof"]["verificationMethod"]
    store = KeyStore({method: multikey_ed25519(pair["publicKeyMultibase"])})
    verdict = data_integrity.verify_document(doc, VerifierConfig(store))
    assert verdict.integrity == "valid" and verdict.signer.kind == "key store"
    assert verdict.trust == "key from the configured local key store"


TAMPER = [
    ("ob3/1edtech-testvector-signed-eddsa-rdfc-2022.json", "Teamwork", "Teamwerk"),
    ("ob3/1edtech-validator-did-key-signed.json", "test 1", "test 2"),
    ("ob3/1edtech-validator-vcdm11-ed25519signature2020.json", "Passes tests", "Passes tesTs"),
    (
        "clr2/1edtech-testvector-clr-signed-eddsa-rdfc-2022.json",
        '"Achievement 2"',
        '"Achievement 3"',
    ),
    (
        "w3c-vc/w3c-vc-di-eddsa-rdfc-2022-alumni-signed.json",
        "The School of Examples",
        "The School of Exampler",
    ),
]


@pytest.mark.parametrize(("name", "old", "new"), TAMPER)
def test_one_changed_character_in_the_subject_is_invalid(name, old, new):
    text = (SAMPLES / name).read_text(encoding="utf-8")
    raw = text.replace(old, new, 1).encode("utf-8")
    assert raw != text.encode("utf-8")
    assert import_document(raw, name, config=DEFAULT).verdict.integrity == "invalid"


def test_a_tampered_commission_seal_is_invalid():
    envelope = json.loads((SAMPLES / "edc-elm" / "elm3-mc-annex1-signed.jsonld").read_text())
    assert envelope["payload"].count('"Ana Andromeda"') == 1
    envelope["payload"] = envelope["payload"].replace('"Ana Andromeda"', '"Ana Andromedb"')
    result = import_document(json.dumps(envelope).encode(), "t.jsonld", config=DEFAULT)
    assert result.verdict.integrity == "invalid"


def test_annex1_micro_credential_mapping():
    result = run("edc-elm/elm3-mc-annex1-signed.jsonld")
    (credential,) = result.credentials
    values, kinds = credential.values, {n: p.kind for n, p in credential.provenance.items()}
    assert values["title"] == "Digital micro-credential creation"
    assert values["awarding_body"] == "University of Zed"
    assert (values["issuer_country"], values["issuer_region"]) == ("IE", "Dublin city")
    assert values["issued_on"] == dt.date(2023, 9, 27)
    assert values["ects"] == 2.0 and kinds["ects"] == "vocabulary"
    assert values["workload_hours"] == 60.0
    assert values["eqf_level"] == 6 and kinds["eqf_level"] == "vocabulary"
    assert values["participation_form"] == "blended"
    assert values["supervision"] == "none" and values["grade"] == "Pass"
    assert len(values["skills"]) == 4 and len(values["learning_outcomes"]) == 2
    assert kinds["assessment_type"] == kinds["quality_assurance"] == "absent"
    warnings = " ".join(result.warnings[credential.id])
    assert "P60M" in warnings and "probably 60 hours were meant" in warnings
    # the awarding body's identifier, kept for policies to declare
    assert dict(credential.extensions) == {
        "research_alliance": "Res1818",
        "verification_signer": "mismatch",  # verification facts (ORGANIZACION TEST seals)
        "certificate_valid_until": "2025-05-10",
    }
    assert "kept for policies to declare: research_alliance (" in warnings
    assert "artefact assessment" in warnings
    assert "[embedded media removed" in json.dumps(result.document)


@pytest.mark.parametrize(
    ("name", "outcome", "not_an_outcome"),
    [
        (
            "ob3/1edtech-spec-basic.json",
            "This badge recognizes the development of the capacity to collaborate within a group "
            "environment.",
            "Team members are nominated",  # a nomination procedure (criteria.narrative)
        ),
        (
            "ob3/1edtech-spec-alignment-case.json",
            "Analyze a sample text",
            "Cite strong and thorough textual evidence",  # criteria and a CASE alignment's name
        ),
    ],
)
def test_learning_outcomes_are_the_description_not_criteria_or_alignments(
    name, outcome, not_an_outcome
):
    (credential,) = run(name).credentials
    assert credential.values["learning_outcomes"] == (outcome,)
    assert credential.provenance["learning_outcomes"].kind == "free_text"
    assert not any(not_an_outcome in text for text in credential.values["learning_outcomes"])


def test_ob2_hosted_assertion_with_its_badge_class_and_issuer():
    related = ("ob2/1edtech-validator-ob2-badgeclass.json", "ob2/1edtech-validator-ob2-issuer.json")
    result = run("ob2/1edtech-validator-ob2-basic-assertion.json", related=related)
    (credential,) = result.credentials
    assert credential.values["title"] == "Example Badge"
    assert credential.values["awarding_body"] == "Example Issuer"
    assert credential.provenance["title"].kind == "inferred"  # its id differs from the badge URL


def test_no_sample_makes_a_network_call(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for name, integrity in EXPECTED.items():
        assert run(name).verdict.integrity == integrity, name
