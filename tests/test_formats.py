"""Importers: what each format maps to which Annex I element, with which provenance; bad input.

Runs on the project's own synthetic documents (fixtures/documents/), so a clean clone tests all.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.evaluate import evaluate
from models.credentials.formats import import_document
from models.credentials.verify.keys import VerifierConfig
from models.errors import IntakeError
from rules.loader import load_policy_file
from rules.vocabulary import ELEMENTS, MANDATORY_ELEMENTS, PROVENANCE
from views.cli.imports import import_command

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "fixtures" / "documents"
STATISTICS = "http://data.europa.eu/esco/skill/e5d1f9a3-8c46-4b2e-9a70-6d3b1e8f4c92"
PYTHON = "http://data.europa.eu/esco/skill/0c7b8a16-5d29-4e3f-a4b7-2f9d6e1c8a05"
OB2 = ("ob2-badgeclass.json", "ob2-issuer.json")


def imported(name: str, related: tuple[str, ...] = (), config: VerifierConfig | None = None):
    others = [((DOCS / r).read_bytes(), r) for r in related]
    return import_document((DOCS / name).read_bytes(), name, related=others, config=config)


def only(result):
    assert len(result.credentials) == 1
    return result.credentials[0]


def summary(credential) -> dict:
    """element → (value, provenance kind) for the elements that have a value."""
    return {n: (v, credential.provenance[n].kind) for n, v in credential.values.items()}


EDC_EXPECTED = {
    "title": ("Applied Data Analysis", "native"),
    "awarding_body": ("credstack Test University", "native"),
    "awarding_body_id": ("vatIdentifier:SE:TEST0001", "native"),
    "issuer_country": ("SE", "vocabulary"),
    "issued_on": (dt.date(2025, 6, 12), "native"),
    "learning_outcomes": (
        ("Apply statistical analysis to real data sets", "Program data pipelines in Python"),
        "native",
    ),
    "skills": ((STATISTICS, PYTHON), "vocabulary"),
    "ects": (5.0, "vocabulary"),
    "workload_hours": (150.0, "native"),
    "eqf_level": (6, "vocabulary"),
    "participation_form": ("online", "vocabulary"),
    "assessment_type": ("written_exam", "native"),
    "supervision": ("supervised_onsite_id", "native"),
    "grade": ("Pass with distinction", "native"),
    "prerequisites": ("Basic programming in any language.", "free_text"),
    "stackability": ("stackable", "inferred"),
    "field_of_study": ("0542", "vocabulary"),
}


@pytest.mark.parametrize("name", ["edc-unsigned.jsonld", "edc-sealed.jsonld"])
def test_edc_maps_every_annex_element_with_provenance(name):
    result = imported(name)
    assert result.format == "edc"
    credential = only(result)
    got = summary(credential)
    assert {k: got[k] for k in EDC_EXPECTED} == EDC_EXPECTED
    verification = "valid" if "sealed" in name else "not_signed"
    assert got["verification"] == (verification, "inferred")
    assert "quality_assurance" not in credential.values  # unknown, never false
    assert credential.provenance["quality_assurance"].kind == "absent"
    eqf = credential.provenance["eqf_level"]
    assert "scheme http://data.europa.eu/snb/eqf/25831c2 + label 'Level 6'" in eqf.note
    assert eqf.source == "edc:credentialSubject.hasClaim.specifiedBy.eqfLevel"
    assert "a string in ELM" in credential.provenance["ects"].note


def test_edc_flags_a_calendar_duration_that_means_hours():
    result = imported("edc-unsigned.jsonld")
    credential = only(result)
    warnings = result.warnings[credential.id]
    assert any("P150M" in w and "probably 150 hours were meant" in w for w in warnings)
    assert "P150M" in credential.provenance["workload_hours"].note


def test_edc_hints_media_and_learner_key():
    result = imported("edc-sealed.jsonld")
    relations = {(h.relation, h.target) for h in result.hints}
    assert ("isPartialQualification", "true") in relations
    assert ("isPartOf", "urn:credstack:test:qualification:msc-data-science") in relations
    text = json.dumps(result.document)
    assert "embedded media removed" in text and result.notes
    assert "Testa" not in result.learner_key and len(result.learner_key) == 32
    assert result.learner_key == imported("edc-unsigned.jsonld").learner_key


def test_every_imported_element_records_provenance():
    for path in sorted(DOCS.glob("*")):
        if path.suffix not in (".json", ".jsonld", ".jwt") or path.stem.startswith(
            ("ob2-b", "ob2-i")
        ):
            continue
        if path.name in ("keystore.json", "trusted-certificates.json"):
            continue
        related = OB2 if path.name == "ob2-assertion.json" else ()
        for credential in imported(path.name, related).credentials:
            for name in credential.values:
                provenance = credential.provenance[name]
                assert provenance.kind in PROVENANCE and provenance.kind != "absent"
                assert provenance.source, (path.name, name)
            for name in MANDATORY_ELEMENTS:
                if name != "learner":
                    assert name in credential.provenance, (path.name, name)
            assert "learner" not in credential.values  # personal data never reaches the engine


def test_open_badges_3_leaves_what_it_cannot_carry_unknown():
    credential = only(imported("ob3-signed.json"))
    got = summary(credential)
    assert got["title"] == ("Statistics in Practice", "native")
    assert got["awarding_body"] == ("credstack Test Academy", "native")
    assert got["issuer_country"] == ("NL", "native")
    assert got["issuer_region"] == ("Utrecht", "native")
    assert got["issued_on"] == (dt.date(2025, 3, 1), "native")
    assert got["skills"] == ((STATISTICS,), "vocabulary")
    assert got["grade"] == ("B", "native")
    # the description, not the award criteria ("Passed the … assessment") nor the ESCO alignment
    assert got["learning_outcomes"] == (
        ("Statistics in Practice, a synthetic test course.",),
        "free_text",
    )
    assert "further_information" in got and "Course" in got["further_information"][0]
    for name in ("eqf_level", "participation_form", "assessment_type", "supervision"):
        assert name not in credential.values
        assert "no native field" in credential.provenance[name].note
    assert "ects" not in credential.values and "workload_hours" not in credential.values
    assert "creditsAvailable 3 has no unit" in credential.provenance["ects"].note


def _badge(**achievement_changes) -> bytes:
    doc = json.loads((DOCS / "ob3-signed.json").read_text())
    del doc["proof"]
    doc["credentialSubject"]["achievement"].update(achievement_changes)
    return json.dumps(doc).encode()


def test_open_badges_3_reads_ects_and_eqf_only_from_alignments_that_say_so():
    alignment = [
        {
            "type": ["Alignment"],
            "targetName": "ECTS",
            "targetFramework": "European Credit Transfer System",
        },
        {
            "type": ["Alignment"],
            "targetName": "EQF 5",
            "targetUrl": "http://data.europa.eu/snb/eqf/5",
        },
        {
            "type": ["Alignment"],
            "targetName": "online",
            "targetUrl": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe",
        },
    ]
    credential = only(import_document(_badge(alignment=alignment), "b.json"))
    got = summary(credential)
    assert got["ects"] == (3.0, "extension")
    assert got["eqf_level"] == (5, "extension")
    assert got["participation_form"] == ("online", "extension")
    assert only(import_document(_badge(), "b.json")).values.get("verification") == "not_signed"


def test_vc_jwt_maps_like_the_json_ld_badge():
    jwt = only(imported("ob3-vcjwt.jwt"))
    ld = only(imported("ob3-signed.json"))
    assert {k: v for k, v in jwt.values.items()} == {k: v for k, v in ld.values.items()}


def test_clr_imports_each_nested_credential_with_its_own_verdict_and_hints():
    result = imported("clr-signed.json")
    assert result.format == "clr"
    titles = [c.values["title"] for c in result.credentials]
    assert titles == ["Statistics in Practice", "Python for Data"]
    for credential in result.credentials:
        verdict = result.verdicts[credential.id]
        assert verdict.integrity == "valid" and ".verifiableCredential[" in verdict.path
    assert (
        result.verdict.integrity == "valid" and result.verdict.signer_matches_awarding_body is False
    )
    hints = [(h.relation, h.source_credentials, h.target_title) for h in result.hints]
    assert hints == [
        ("isPartOf", (result.credentials[0].id,), "Certificate in Data (test)"),
        ("isPartOf", (result.credentials[1].id,), "Certificate in Data (test)"),
    ]
    assert result.hints[0].provenance.source == "clr:credentialSubject.association[0]"


def test_open_badges_2_hosted_with_its_badge_class_and_issuer():
    credential = only(imported("ob2-assertion.json", OB2))
    got = summary(credential)
    assert got["title"] == ("SQL Foundations (test)", "native")
    assert got["awarding_body"] == ("credstack Test Badges", "native")
    assert got["issued_on"] == (dt.date(2024, 11, 5), "native")
    assert got["skills"][0] == (
        "http://data.europa.eu/esco/skill/7a4e6c02-3f91-4d8b-b5e2-9c0a1d7f3e68",
    )
    assert got["verification"][0] == "not_signed"
    assert got["learning_outcomes"] == (("A synthetic test badge.",), "free_text")  # not criteria
    bundle = json.dumps([json.loads((DOCS / n).read_text()) for n in ("ob2-assertion.json", *OB2)])
    assert only(import_document(bundle.encode(), "bundle.json")).values == credential.values


def test_open_badges_2_without_or_with_a_mismatched_badge_class():
    result = imported("ob2-assertion.json")
    credential = only(result)
    assert "title" not in credential.values
    assert any("not supplied" in w for w in result.warnings[credential.id])
    badge = json.loads((DOCS / "ob2-badgeclass.json").read_text())
    badge["id"] = "https://elsewhere.credstack.test/badge"
    raw = (DOCS / "ob2-assertion.json").read_bytes()
    other = import_document(raw, "a.json", related=[(json.dumps(badge).encode(), "b.json")])
    assert other.credentials[0].provenance["title"].kind == "inferred"
    assert any("another id" in w for w in other.warnings[other.credentials[0].id])


def test_signed_open_badges_2_with_the_issuer_key():
    config = VerifierConfig.load(DOCS / "keystore.json")
    result = imported("ob2-signed.jwt", OB2, config)
    assert result.verdict.integrity == "valid" and result.format == "ob2"
    assert only(result).values["title"] == "SQL Foundations (test)"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Verifiab', "truncated"),
        (b"[" * 100_000 + b"]" * 100_000, "levels of nesting"),
        (b"[" * 50 + b"1" + b"]" * 50, "levels of nesting"),
        (json.dumps({"a": list(range(20_000))}).encode(), "arrays of at most"),
        (json.dumps({"a": [[0] * 9_000 for _ in range(12)]}).encode(), "JSON values"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"   ", "empty"),
        (b'{"type": "Thing"}', "expected a Europass EDC"),
        (b"42", "JSON object"),
        (b"eyJhbGciOiJub25lIn0.e30.", "expected a VC-JWT"),
        (b"eyJhbGciOiJub25lIn0.!!!.", "expected valid JSON"),
    ],
)
def test_bad_input_is_rejected_whole_with_a_reason(raw, text):
    started = time.monotonic()
    with pytest.raises(IntakeError) as caught:
        import_document(raw, "bad.json")
    assert text in str(caught.value), str(caught.value)
    assert time.monotonic() - started < 5


def test_a_50_mb_document_is_refused_before_parsing():
    started = time.monotonic()
    with pytest.raises(IntakeError, match="at most 20 MB"):
        import_document(b" " * (50 * 1024 * 1024), "big.json")
    assert time.monotonic() - started < 2


def test_an_endorsement_is_not_a_learners_credential():
    doc = json.loads((DOCS / "ob3-signed.json").read_text())
    doc["type"] = ["VerifiableCredential", "EndorsementCredential"]
    with pytest.raises(IntakeError, match="EndorsementCredential"):
        import_document(json.dumps(doc).encode(), "e.json")


def test_an_imported_europass_credential_evaluates_against_a_demo_policy():
    policy = load_policy_file(ROOT / "fixtures" / "policies" / "university-admissions.yaml")
    wallet = imported("edc-sealed.jsonld").wallet()
    outcomes = {o["rule"]: o for o in evaluate(policy, wallet, dt.date(2026, 9, 1))["outcomes"]}
    elective = outcomes["elective-credit"]
    assert elective["status"] == "unknown"  # QA is not in the document: ask, do not refuse
    requested = {r.get("element") for r in elective["evidence_requests"]}
    assert "quality_assurance" in requested


# The command line


def test_cli_prints_elements_provenance_and_verdict():
    result = CliRunner().invoke(import_command, [str(DOCS / "edc-sealed.jsonld")])
    assert result.exit_code == 0, result.output
    assert "integrity: valid (JAdES RS256)" in result.output
    assert "trust: not on a trusted list" in result.output
    assert "eqf_level: 6" in result.output and "[vocabulary, edc:" in result.output
    assert "quality_assurance: — (unknown)" in result.output
    assert "warning: implausible volume of learning" in result.output


def test_cli_json_related_and_configuration(tmp_path):
    args = [str(DOCS / "ob2-signed.jwt"), *(str(DOCS / n) for n in OB2), "--json"]
    result = CliRunner().invoke(import_command, [*args, "--keys", str(DOCS / "keystore.json")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"]["integrity"] == "valid"
    assert data["credentials"][0]["elements"]["title"]["value"] == "SQL Foundations (test)"
    env = {"CREDSTACK_TRUSTED_CERTS": str(DOCS / "trusted-certificates.json")}
    sealed = CliRunner(env=env).invoke(import_command, [str(DOCS / "edc-sealed.jsonld")])
    assert "trust: allow-listed" in sealed.output


def test_cli_bad_input_exits_2_with_the_reason(tmp_path):
    truncated = tmp_path / "t.json"
    truncated.write_text('{"type": ["VerifiableCredential"')
    result = CliRunner().invoke(import_command, [str(truncated)])
    assert result.exit_code == 2 and "truncated" in result.output
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: 50 MB on paper, nothing written
        handle.truncate(50 * 1024 * 1024)
    result = CliRunner().invoke(import_command, [str(big)])
    assert result.exit_code == 2 and "at most 20 MB" in result.output
    bad_keys = tmp_path / "keys.json"
    bad_keys.write_text("{}")
    result = CliRunner().invoke(
        import_command, [str(DOCS / "ob3-signed.json"), "--keys", str(bad_keys)]
    )
    assert result.exit_code != 0 and "key store" in result.output
    missing = CliRunner().invoke(import_command, [str(tmp_path / "nope.json")])
    assert missing.exit_code != 0 and "cannot read" in missing.output


def test_every_element_name_the_cli_prints_is_an_annex_element():
    output = CliRunner().invoke(import_command, [str(DOCS / "clr-signed.json")]).output
    names = {
        line.split(":")[0].strip()
        for line in output.splitlines()
        if line.startswith("  ") and not line.startswith("    ")
    }
    assert {n for n in names if n in ELEMENTS} >= {"title", "awarding_body", "verification"}
