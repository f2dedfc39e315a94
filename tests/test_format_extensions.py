"""Imported documents, the facts beyond Annex I: Open Badges extension terms and alignments, EDC
notes and identifiers — mapped where credstack knows the term, otherwise kept for policies to
declare and named in the import report. Learning outcomes are never award criteria or alignment
names.

Everything goes through `import_document`, on small synthetic documents built here (unsigned).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.evaluate import evaluate
from engine.inputs import Level, Wallet
from models.credentials.formats import import_document
from models.credentials.intake import wallet_from_document
from tests.builders import policy
from views.cli.imports import import_command

ROOT = Path(__file__).resolve().parent.parent
EDC = json.loads((ROOT / "fixtures" / "documents" / "edc-unsigned.jsonld").read_text())
ACHIEVEMENT = "credentialSubject.achievement"


def extension(name: str, /, **terms: object) -> dict:
    """An edubadges-style extension object: {"type": ["Extension", "extensions:NAME"], …}."""
    return {"@context": f"https://example.org/{name}/context.json",
            "type": ["Extension", f"extensions:{name}"], **terms}  # fmt: skip


def badge(achievement: dict | None = None, subject: dict | None = None) -> bytes:
    doc = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:4d2f3c1e-credstack-test-badge",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "https://academy.credstack.test/issuer",
            "type": ["Profile"],
            "name": "credstack Test Academy",
        },
        "validFrom": "2025-03-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:credstack-test-learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://academy.credstack.test/achievements/regression",
                "type": ["Achievement"],
                "name": "Regression Modelling",
                "description": "Learners fit and interpret linear regression models.",
                "criteria": {"narrative": "Nominated by peers after the final project."},
                **(achievement or {}),
            },
            **(subject or {}),
        },
    }
    return json.dumps(doc).encode()


def imported(raw: bytes, name: str = "badge.json"):
    result = import_document(raw, name)
    (credential,) = result.credentials
    return result, credential


def warnings_of(result, credential) -> str:
    return "\n".join(result.warnings[credential.id])


# --- the term table: which names and values map to which element --------------------------------

MAPPED = [
    # achievement properties added, element, value
    ({"ECTS": 5}, "ects", 5.0),
    ({"extensions:ECTSExtension": extension("ECTSExtension", ECTS=2.5)}, "ects", 2.5),
    ({"ects_credits": "7,5 ECTS"}, "ects", 7.5),
    ({"extensions:ECTSExtension": extension("ECTSExtension", value=4)}, "ects", 4.0),
    ({"Study-Load": "120 hours"}, "workload_hours", 120.0),
    ({"SBU": 84}, "workload_hours", 84.0),
    ({"workload": "PT30H"}, "workload_hours", 30.0),
    ({"notionalLearningHours": "56 uur"}, "workload_hours", 56.0),
    ({"extensions:EQFExtension": extension("EQFExtension", EQF=6)}, "eqf_level", 6),
    ({"eqfLevel": "EQF level 5"}, "eqf_level", 5),
    ({"EQF": "http://data.europa.eu/snb/eqf/7"}, "eqf_level", 7),
    ({"ModeOfLearning": "Online"}, "participation_form", "online"),
    ({"participation_form": "Face-to-face"}, "participation_form", "onsite"),
    (
        {"deliveryMode": "http://data.europa.eu/snb/learning-assessment/e92d221e4d"},
        "participation_form",
        "blended",
    ),  # fmt: skip
    ({"assessmentType": "Written examination"}, "assessment_type", "written_exam"),
    ({"type_of_assessment": "portfolio"}, "assessment_type", "project"),
    ({"supervision": "Unsupervised, no identity verification"}, "supervision", "none"),
    (
        {"supervisionType": "onsite with identity verification"},
        "supervision",
        "supervised_onsite_id",
    ),  # fmt: skip
    (
        {"IdentityVerification": "proctored online with ID check"},
        "supervision",
        "supervised_online_id",
    ),  # fmt: skip
    (
        {"supervisionType": "supervised with no identity verification"},
        "supervision",
        "supervised_no_id",
    ),  # fmt: skip
    (
        {"QualityAssurance": "Programme accredited by NVAO"},
        "quality_assurance",
        "external_accreditation",
    ),  # fmt: skip
    ({"quality-assurance": "national_register"}, "quality_assurance", "national_register"),
    (
        {
            "extensions:LearningOutcomeExtension": extension(
                "LearningOutcomeExtension",
                LearningOutcome="Explain the assumptions of least squares",
            )
        },
        "learning_outcomes",
        ("Explain the assumptions of least squares",),
    ),  # fmt: skip
    (
        {"learningOutcomes": ["Fit a model", {"en": "Interpret coefficients"}]},
        "learning_outcomes",
        ("Fit a model", "Interpret coefficients"),
    ),  # fmt: skip
]


@pytest.mark.parametrize(("added", "element", "value"), MAPPED)
def test_common_european_terms_map_to_annex_elements(added, element, value):
    result, credential = imported(badge(added))
    assert credential.values[element] == value
    provenance = credential.provenance[element]
    ((term, raw),) = added.items()
    assert provenance.kind == "extension"
    assert provenance.source.startswith(f"ob3:{ACHIEVEMENT}.{term}")
    assert "kept for policies to declare" not in warnings_of(result, credential)
    if term.startswith("extensions:"):  # an extension object: its property is the term
        raw = {k: v for k, v in raw.items() if k not in ("@context", "type")}
        assert dict(credential.extensions) == raw
    else:
        assert dict(credential.extensions) == {term: raw}  # kept as written, too


NOT_MAPPED = [
    # achievement properties added, the element it names, why it is not used
    ({"supervisionType": "supervised online"}, "supervision", "does not name one kind"),
    ({"identityChecked": True}, "supervision", "does not name one kind"),
    ({"participationType": "onsite or blended"}, "participation_form", "names no single form"),
    ({"participationType": ["online", "onsite"]}, "participation_form", "names 2 values"),
    ({"assessmentType": "testing"}, "assessment_type", "names no single type"),
    ({"EQF": 9}, "eqf_level", "not an EQF level from 1 to 8"),
    ({"workload": "P3M"}, "workload_hours", "3 months, not learning hours"),
    ({"ECTS": "about five"}, "ects", "not a number of ECTS credits"),
    ({"ECTS": True}, "ects", "true/false"),
    ({"qualityAssurance": "not accredited"}, "quality_assurance", "does not name one type"),
]


@pytest.mark.parametrize(("added", "element", "why"), NOT_MAPPED)
def test_a_value_that_names_no_single_code_is_kept_not_guessed(added, element, why):
    result, credential = imported(badge(added))
    ((term, raw),) = added.items()
    assert element not in credential.values
    assert credential.extensions[term] == raw
    assert credential.provenance[element].kind == "absent"
    assert term in credential.provenance[element].note
    warnings = warnings_of(result, credential)
    assert f"{element}: {term} = " in warnings and why in warnings
    assert f"kept for policies to declare: {term} ({ACHIEVEMENT}.{term})" in warnings


def test_term_names_match_without_case_accents_or_punctuation():
    for name in ("ECTS", "ects", "E.C.T.S.", "ects-credits", "extensions:ECTSExtension", "ÉCTS"):
        result, credential = imported(badge({name: 3}))
        assert credential.values["ects"] == 3.0, name
        assert credential.provenance["ects"].kind == "extension"


# --- the regression: a study load in an Open Badges 3.0 extension ----------------------------


def test_a_study_load_of_240_hours_becomes_workload_hours_240():
    load = extension("StudyLoadExtension", StudyLoad=240)
    result, credential = imported(badge({"extensions:StudyLoadExtension": load}))
    assert credential.values["workload_hours"] == 240
    provenance = credential.provenance["workload_hours"]
    assert provenance.kind == "extension"
    assert provenance.source == f"ob3:{ACHIEVEMENT}.extensions:StudyLoadExtension.StudyLoad"
    assert "StudyLoad = 240" in provenance.note
    assert credential.extensions["StudyLoad"] == 240
    entry = result.wallet_document()["credentials"][0]
    assert entry["workload_hours"] == 240 and entry["extensions"] == {"StudyLoad": 240}
    assert entry["provenance"]["workload_hours"]["kind"] == "extension"
    report = result.to_dict()["credentials"][0]
    assert report["elements"]["workload_hours"]["value"] == 240
    assert report["extensions"] == {"StudyLoad": 240}


# --- terms credstack does not map: kept, reported, usable by a policy -------------------------

EDUBADGE = {
    "extensions:ECTSExtension": extension("ECTSExtension", ECTS=2.5),
    "extensions:StudyLoadExtension": extension("StudyLoadExtension", StudyLoad=70),
    "extensions:EQFExtension": extension("EQFExtension", EQF=6),
    "extensions:LanguageExtension": extension("LanguageExtension", Language="nl_NL"),
    "extensions:EducationProgramIdentifierExtension": extension(
        "EducationProgramIdentifierExtension", EducationProgramIdentifier=50086
    ),
    "timeInvestment": 12,
}


def test_terms_not_mapped_are_kept_and_listed_in_the_import_report():
    result, credential = imported(badge(EDUBADGE))
    got = {n: (credential.values[n], credential.provenance[n].kind) for n in credential.values}
    assert got["ects"] == (2.5, "extension") and got["workload_hours"] == (70, "extension")
    assert got["eqf_level"] == (6, "extension")
    assert dict(credential.extensions) == {
        "ECTS": 2.5,
        "StudyLoad": 70,
        "EQF": 6,
        "Language": "nl_NL",
        "EducationProgramIdentifier": 50086,
        "timeInvestment": 12,
    }
    (listing,) = [w for w in result.warnings[credential.id] if "kept for policies" in w]
    assert listing.startswith("kept for policies to declare: Language (")
    for name in ("Language", "EducationProgramIdentifier", "timeInvestment"):
        assert f"{name} ({ACHIEVEMENT}." in listing
    for mapped in ("ECTS (", "StudyLoad (", "EQF ("):
        assert mapped not in listing
    report = result.to_dict()["credentials"][0]
    assert report["extensions"]["EducationProgramIdentifier"] == 50086
    assert listing in report["warnings"]


def test_a_wallet_of_an_imported_badge_keeps_its_extensions_and_a_policy_maps_them():
    result, _ = imported(badge(EDUBADGE))
    wallet = wallet_from_document(json.loads(json.dumps(result.wallet_document())))
    (credential,) = wallet.credentials
    assert credential.extensions["Language"] == "nl_NL"
    assert credential.values["workload_hours"] == 70
    p = policy(
        elements={"teaching_language": {"type": "code", "values": ["nl_NL", "en_EN"]}},
        mappings=[{"source": "Language", "element": "teaching_language"}],
        criteria=[
            {
                "id": "k",
                "title": "Taught in Dutch",
                "about": "each_credential",
                "when": [{"element": "teaching_language", "op": "eq", "value": "nl_NL"}],
            }
        ],
    )
    outcomes = evaluate(p, Wallet("k", wallet.credentials), dt.date(2026, 9, 1))["outcomes"]
    assert {o["rule"]: o["status"] for o in outcomes}["k"] == "met"


def test_subject_terms_are_read_but_personal_data_is_not_kept():
    subject = {
        "email": "learner@example.org",
        "extensions:RecipientProfileExtension": extension("RecipientProfileExtension", name="J"),
        "extensions:ECTSExtension": extension("ECTSExtension", ECTS=3),
        "cohort": "2025-spring",
    }
    result, credential = imported(badge(subject=subject))
    assert credential.values["ects"] == 3.0
    assert dict(credential.extensions) == {"ECTS": 3, "cohort": "2025-spring"}
    warnings = warnings_of(result, credential)
    assert "may be personal data" in warnings and "credentialSubject.email" in warnings
    assert "learner@example.org" not in json.dumps(result.wallet_document())


def test_a_mapped_term_that_disagrees_with_another_source_is_named_not_used():
    added = {"SBU": 84, "extensions:StudyLoadExtension": extension("X", StudyLoad=90)}
    result, credential = imported(badge(added))
    assert credential.values["workload_hours"] == 84
    assert "StudyLoad says 90; the value 84 from ob3:" in warnings_of(result, credential)
    assert credential.extensions["StudyLoad"] == 90


def test_extension_values_fit_a_wallet():
    deep = {"a": {"b": {"c": {"d": 1}}}}
    result, credential = imported(badge({"nested": deep, "note": "x\x00y"}))
    assert credential.extensions["nested"]["a"]["b"]["c"] == json.dumps({"d": 1})  # 3 levels
    assert credential.extensions["note"] == "xy"
    wallet_from_document(result.wallet_document())  # a case can hold it


# --- alignments ---------------------------------------------------------------------------------

ALIGNED = [
    # one alignment, element, value
    ({"targetType": "ext:EQF", "targetName": "EQF level 4", "targetCode": "4"}, "eqf_level", 4),
    (
        {"targetFramework": "European Qualifications Framework", "targetName": "Level 5"},
        "eqf_level",
        5,
    ),  # fmt: skip
    ({"targetName": "EQF 7", "targetUrl": "https://example.org/eqf"}, "eqf_level", 7),
    (
        {"targetFramework": "NLQF", "targetName": "NLQF niveau 4+"},
        "framework_level",
        Level("nlqf", "4+"),
    ),  # fmt: skip
    (
        {"targetType": "ext:NLQF", "targetCode": "6", "targetName": "Bachelor"},
        "framework_level",
        Level("nlqf", "6"),
    ),  # fmt: skip
    (
        {
            "targetFramework": "Scottish Credit and Qualifications Framework",
            "targetCode": "SCQF Level 9",
        },
        "framework_level",
        Level("scqf", "9"),
    ),  # fmt: skip
    ({"targetName": "RQF Entry Level 3"}, "framework_level", Level("rqf", "E3")),
    ({"targetFramework": "NZQF", "targetCode": "7"}, "framework_level", Level("nzqf", "7")),
    (
        {
            "targetFramework": "New Zealand Qualifications and Credentials Framework",
            "targetName": "Level 5",
        },
        "framework_level",
        Level("nzqf", "5"),
    ),  # fmt: skip
    ({"targetName": "AQF level 8"}, "framework_level", Level("aqf", "8")),
    ({"targetName": "NFQ Level 9"}, "framework_level", Level("nfq_ie", "9")),
    ({"targetName": "DQR-Niveau 6"}, "framework_level", Level("dqr", "6")),
    ({"targetName": "SeQF nivå 5"}, "framework_level", Level("seqf", "5")),
    ({"targetName": "FHEQ level 7"}, "framework_level", Level("fheq", "7")),
    ({"targetName": "HKQF Level 4"}, "framework_level", Level("hkqf", "4")),
    (
        {
            "targetType": "ext:QualityAssurance",
            "targetFramework": "NVAO",
            "targetCode": "AV-7381",
            "targetDescription": "Accreditatie van de opleiding",
        },
        "qa_register_id",
        "AV-7381",
    ),  # fmt: skip
    (
        {
            "targetType": "ext:QualityAssurance",
            "targetFramework": "NVAO",
            "targetCode": "AV-7381",
            "targetDescription": "Accreditatie van de opleiding",
        },
        "qa_agency",
        "NVAO",
    ),  # fmt: skip
    (
        {
            "targetType": "ext:QualityAssurance",
            "targetFramework": "NVAO",
            "targetCode": "AV-7381",
            "targetDescription": "Accreditatie van de opleiding",
        },
        "quality_assurance",
        "external_accreditation",
    ),  # fmt: skip
    (
        {
            "targetFramework": "DEQAR",
            "targetName": "Institutional review",
            "targetUrl": "https://data.deqar.eu/report/123",
        },
        "qa_register_id",
        "https://data.deqar.eu/report/123",
    ),  # fmt: skip
    (
        {"targetType": "Accreditation", "targetFramework": "ANECA", "targetName": "Grado"},
        "quality_assurance",
        "external_accreditation",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("alignment", "element", "value"), ALIGNED)
def test_alignments_to_eqf_national_levels_and_quality_assurance(alignment, element, value):
    result, credential = imported(badge({"alignment": [{"type": ["Alignment"], **alignment}]}))
    assert credential.values[element] == value
    assert credential.provenance[element].kind == "extension"
    assert credential.provenance[element].source.startswith(f"ob3:{ACHIEVEMENT}.alignment[0]")
    assert credential.values["learning_outcomes"] == (
        "Learners fit and interpret linear regression models.",
    )
    if element == "framework_level":  # written as a native wallet writes it
        entry = result.wallet_document()["credentials"][0]
        assert entry["framework_level"] == {"framework": value.framework, "level": value.level}
        assert wallet_from_document(entry).credentials[0].values["framework_level"] == value


def test_a_register_alignment_does_not_claim_an_agency_or_an_accreditation():
    alignment = {"targetFramework": "DEQAR", "targetName": "Institutional review",
                 "targetUrl": "https://data.deqar.eu/report/123"}  # fmt: skip
    _, credential = imported(badge({"alignment": [alignment]}))
    assert "qa_agency" not in credential.values
    assert "quality_assurance" not in credential.values


@pytest.mark.parametrize(
    ("alignment", "text"),
    [
        ({"targetFramework": "SCQF", "targetCode": "13"}, "'13' is not one of its levels"),
        ({"targetName": "FHEQ level 3"}, "is not one of its levels (4, 5, 6, 7, 8)"),
        ({"targetType": "ext:EQF", "targetName": "EQF level 9"}, "no level from 1 to 8"),
    ],
)
def test_a_level_a_framework_does_not_have_is_not_guessed(alignment, text):
    result, credential = imported(badge({"alignment": [alignment]}))
    element = "eqf_level" if "EQF" in json.dumps(alignment) else "framework_level"
    assert element not in credential.values
    assert credential.provenance[element].kind == "absent"
    assert text in warnings_of(result, credential)


# --- learning outcomes: statements or the description, never criteria or alignment names -------

CASE_ITEM = {
    "type": ["Alignment"],
    "targetType": "CFItem",
    "targetName": "Cite strong and thorough textual evidence",
    "targetUrl": "https://caseregistry.imsglobal.org/uri/74f5bb7d",
}


def test_learning_outcomes_are_never_the_criteria_or_alignment_names():
    result, credential = imported(badge({"alignment": [CASE_ITEM]}))
    assert credential.values["learning_outcomes"] == (
        "Learners fit and interpret linear regression models.",
    )
    provenance = credential.provenance["learning_outcomes"]
    assert provenance.kind == "free_text" and provenance.source.endswith("achievement.description")
    text = json.dumps(result.to_dict()["credentials"][0]["elements"])
    assert "Nominated by peers" not in text and "Cite strong" not in text


def test_explicit_outcome_statements_win_over_the_description():
    added = {"learningOutcome": ["Fit a model", "Interpret coefficients"], "alignment": [CASE_ITEM]}
    _, credential = imported(badge(added))
    assert credential.values["learning_outcomes"] == ("Fit a model", "Interpret coefficients")
    assert credential.provenance["learning_outcomes"].kind == "extension"


def test_without_description_or_statements_the_outcomes_are_unknown():
    doc = json.loads(badge({"alignment": [CASE_ITEM]}))
    del doc["credentialSubject"]["achievement"]["description"]
    _, credential = imported(json.dumps(doc).encode())
    assert "learning_outcomes" not in credential.values
    assert "award criteria are not outcomes" in credential.provenance["learning_outcomes"].note


def test_open_badges_2_badge_class_extensions_alignments_and_outcomes():
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://badges.credstack.test/assertions/1",
        "recipient": {"type": "email", "hashed": False, "identity": "learner@example.org"},
        "badge": "https://badges.credstack.test/badges/regression",
        "issuedOn": "2024-11-05T00:00:00Z",
        "verification": {"type": "hosted"},
    }
    badge_class = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "BadgeClass",
        "id": "https://badges.credstack.test/badges/regression",
        "name": "Regression (test)",
        "description": "Fit and interpret regression models.",
        "criteria": {"narrative": "Nominated by the course team."},
        "issuer": "https://badges.credstack.test/issuer",
        "alignment": [{"targetName": "EQF level 5", "targetUrl": "https://example.org/eqf"}],
        "extensions:ECTSExtension": extension("ECTSExtension", ECTS=3),
        "extensions:StudyLoadExtension": extension("StudyLoadExtension", StudyLoad=84),
        "extensions:LanguageExtension": extension("LanguageExtension", Language="en_EN"),
    }
    issuer = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Issuer",
        "id": "https://badges.credstack.test/issuer",
        "name": "credstack Test Badges",
    }
    raw = json.dumps([assertion, badge_class, issuer]).encode()
    result, credential = imported(raw, "bundle.json")
    assert credential.values["ects"] == 3.0 and credential.values["workload_hours"] == 84
    assert credential.provenance["ects"].source == "ob2:badge.extensions:ECTSExtension.ECTS"
    assert credential.values["eqf_level"] == 5
    assert credential.provenance["eqf_level"].source == "ob2:badge.alignment[0].targetName"
    assert credential.values["learning_outcomes"] == ("Fit and interpret regression models.",)
    assert credential.extensions["Language"] == "en_EN"
    assert "kept for policies to declare: Language (badge." in warnings_of(result, credential)
    assert "learner@example.org" not in json.dumps(result.wallet_document())


# --- Europass EDC: notes and identifiers; local concepts in any language -----------------------


def edc(claim_changes: dict | None = None, spec_changes: dict | None = None) -> bytes:
    doc = copy.deepcopy(EDC)
    claim = doc["credentialSubject"]["hasClaim"]
    claim.update(claim_changes or {})
    claim["specifiedBy"].update(spec_changes or {})
    return json.dumps(doc).encode()


def concept(*labels: dict, scheme: str = "urn:epass:conceptScheme:local") -> dict:
    return {
        "id": "urn:epass:concept:local-1",
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
        "prefLabel": labels[0],
        **({"altLabel": list(labels[1:])} if labels[1:] else {}),
    }


CLAIM = "credentialSubject.hasClaim"


def test_edc_notes_and_identifiers_are_kept_by_label_and_scheme():
    notes = [
        {"id": "urn:epass:note:2", "type": "Note",
         "noteLiteral": {"en": "Two written exams and a project."},
         "subject": concept({"en": "Assessment details", "sv": "Bedömning"})},
        {"id": "urn:epass:note:3", "type": "Note",
         "noteLiteral": {"fr": "Cours donné en anglais."},
         "subject": concept({"fr": "Langue d'enseignement"})},
        {"id": "urn:epass:note:4", "type": "Note", "noteLiteral": {"en": "Untyped remark."}},
    ]  # fmt: skip
    identifiers = [
        {"id": "urn:epass:identifier:9", "type": "Identifier", "schemeName": "Course code",
         "notation": "ADA-101"},
        {"id": "urn:epass:identifier:10", "type": "Identifier",
         "schemeAgency": {"en": "Ladok (Sweden)"}, "notation": "LDK-77"},
    ]  # fmt: skip
    result, credential = imported(
        edc({"additionalNote": notes}, {"identifier": identifiers}), "edc.jsonld"
    )
    assert dict(credential.extensions) == {
        "assessment_details": "Two written exams and a project.",
        "langue_d_enseignement": "Cours donné en anglais.",
        "additional_note": "Untyped remark.",
        "course_code": "ADA-101",
        "ladok_sweden": "LDK-77",
    }
    (listing,) = [w for w in result.warnings[credential.id] if "kept for policies" in w]
    assert f"assessment_details ({CLAIM}.additionalNote[0])" in listing
    assert f"course_code ({CLAIM}.specifiedBy.identifier[0])" in listing
    assert f"ladok_sweden ({CLAIM}.specifiedBy.identifier[1])" in listing
    entry = result.wallet_document()["credentials"][0]
    assert entry["extensions"]["course_code"] == "ADA-101"
    assert "97168A" not in json.dumps(entry)  # the learner's own identifiers are never read
    assert wallet_from_document(entry).credentials[0].extensions["course_code"] == "ADA-101"


def test_an_edc_note_on_a_known_term_fills_an_element_the_document_lacks():
    note = {"id": "urn:epass:note:5", "type": "Note",
            "noteLiteral": {"en": "The programme is accredited by UKÄ."},
            "subject": concept({"en": "Quality assurance"})}  # fmt: skip
    same = {"id": "urn:epass:note:6", "type": "Note", "noteLiteral": {"en": "150 hours"},
            "subject": concept({"en": "Workload"})}  # fmt: skip
    result, credential = imported(edc({"additionalNote": [note, same]}), "edc.jsonld")
    assert credential.values["quality_assurance"] == "external_accreditation"
    provenance = credential.provenance["quality_assurance"]
    assert (provenance.kind, provenance.source) == (
        "extension",
        f"edc:{CLAIM}.additionalNote[0]",
    )
    assert credential.values["workload_hours"] == 150  # the native value, which the note repeats
    assert credential.provenance["workload_hours"].kind == "native"
    assert credential.extensions["quality_assurance"] == "The programme is accredited by UKÄ."


@pytest.mark.parametrize(
    ("key", "node", "element", "value"),
    [
        ("mode", concept({"fr": "En ligne", "nl": "  ONLINE "}), "participation_form", "online"),
        ("mode", concept({"pt": "FACE-TO-FACE"}), "participation_form", "onsite"),
        ("mode", concept({"it": " Blènded "}), "participation_form", "blended"),
        ("mode", concept({"en": ["Blended"]}), "participation_form", "blended"),
        ("eqfLevel", concept({"fr": "Niveau 6 du CEC"}), "eqf_level", 6),
        (
            "eqfLevel",
            concept({"de": "Stufe 5"}, scheme="http://data.europa.eu/snb/eqf/25831c2"),
            "eqf_level",
            5,
        ),  # fmt: skip
    ],
)
def test_local_concepts_match_by_label_in_any_language(key, node, element, value):
    _, credential = imported(edc(spec_changes={key: node}), "edc.jsonld")
    assert credential.values[element] == value
    assert "local id urn:epass:concept:local-1" in credential.provenance[element].note


def test_clr_nested_achievements_read_their_extension_terms():
    nested = json.loads(badge(EDUBADGE))
    clr = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        ],
        "id": "urn:uuid:credstack-test-clr",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": "https://academy.credstack.test/issuer", "type": ["Profile"]},
        "validFrom": "2025-03-01T00:00:00Z",
        "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [nested]},
    }
    result = import_document(json.dumps(clr).encode(), "clr.json")
    (credential,) = result.credentials
    assert result.format == "clr"
    assert credential.values["workload_hours"] == 70 and credential.values["ects"] == 2.5
    assert credential.provenance["workload_hours"].source == (
        "clr:credentialSubject.verifiableCredential[0].credentialSubject.achievement"
        ".extensions:StudyLoadExtension.StudyLoad"
    )
    assert credential.extensions["EducationProgramIdentifier"] == 50086


def test_the_import_command_shows_extensions_and_national_levels(tmp_path):
    alignment = {"targetFramework": "NLQF", "targetName": "NLQF niveau 4+"}
    path = tmp_path / "badge.json"
    path.write_bytes(badge({**EDUBADGE, "alignment": [alignment]}))
    result = CliRunner().invoke(import_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert "  framework_level: nlqf 4+" in result.output
    listed = result.output.split("extensions (a policy may declare these):\n", 1)[1]
    assert "    EducationProgramIdentifier: 50086\n" in listed
    assert '    Language: "nl_NL"\n' in listed


# --- ESCO skills named by label only: matched to the shipped ESCO v1.2.0 label table ------------

ESCO = "http://data.europa.eu/esco/skill/"
DIGITAL_CONTENT = f"{ESCO}5fd5c985-eaaa-47aa-8314-62359c54505a"  # develop digital content
MUSICAL_STAFF = f"{ESCO}0005c151-5b5a-4a66-8aac-60e734beb1ab"  # manage musical staff
ENERGY_SAVING = f"{ESCO}0037c821-2898-4919-b96e-7ed1cd89554c"  # develop energy saving concepts
HASKELL = f"{ESCO}000f1d3d-220f-4789-9c0a-cc742521fb02"
PYTHON = f"{ESCO}ccd0a1d9-afda-43d9-b901-96344886e14d"  # Python (computer programming)
CPP = f"{ESCO}b633eb55-8f1f-4ae6-ab4c-2022ffe2cb7f"
OUTCOME = f"{CLAIM}.specifiedBy.learningOutcome[0]"


def local_skill(labels: dict, cid: str = "urn:epass:concept:skill-1") -> dict:
    scheme = {"id": "urn:epass:conceptScheme:local-skills", "type": "ConceptScheme"}
    return {"id": cid, "type": "Concept", "prefLabel": labels, "inScheme": scheme}


def edc_outcome(**skills: object) -> bytes:
    outcome = {"id": "urn:epass:learningOutcome:9", "type": "LearningOutcome",
               "title": {"en": "Make digital content for a campaign"}, **skills}  # fmt: skip
    return edc(spec_changes={"learningOutcome": [outcome]})


def skill_warnings(result, credential) -> list[str]:
    return [w for w in result.warnings[credential.id] if w.startswith("skills:")]


@pytest.mark.parametrize(
    ("labels", "uri", "how"),
    [
        (
            {"en": "  Develop  DIGITAL content. "},
            DIGITAL_CONTENT,
            "'develop digital content' (en, ESCO v1.2.0 label table); "
            "the document says 'Develop  DIGITAL content.' (en)",
        ),
        ({"fr": "Gérer le personnel musical"}, MUSICAL_STAFF, "'gérer le personnel musical' (fr, "),
        # the table writes d’économie d’énergie: punctuation is compared only when nothing matched
        (
            {"fr": "élaborer des concepts d'économie d'energie"},
            ENERGY_SAVING,
            "'élaborer des concepts d’économie d’énergie' (fr, ",
        ),
        ({"sv": "Haskell"}, HASKELL, "the document says 'Haskell' (sv)"),  # no sv: every language
        ({"de": "Python (computer programming)"}, PYTHON, "(computer programming)' (en, "),
    ],
)
def test_an_edc_local_skill_concept_is_matched_by_its_preferred_label(labels, uri, how):
    result, credential = imported(edc_outcome(relatedESCOSkill=local_skill(labels)), "e.jsonld")
    assert credential.values["skills"] == (uri,)
    provenance = credential.provenance["skills"]
    assert provenance.kind == "inferred"
    assert provenance.source == f"edc:{OUTCOME}.relatedESCOSkill"
    assert (
        f"{uri} at {OUTCOME}.relatedESCOSkill: matched by ESCO preferred label" in provenance.note
    )
    assert how in provenance.note and "ESCO v1.2.0 label table" in provenance.note
    assert skill_warnings(result, credential) == []
    entry = result.wallet_document()["credentials"][0]  # a case can hold it
    assert wallet_from_document(entry).credentials[0].values["skills"] == (uri,)


def test_a_label_is_read_in_its_own_language_only_when_the_table_has_that_language():
    # "gérer le personnel musical" is the French label: tagged English, it names no skill
    tagged = local_skill({"en": "gérer le personnel musical"})
    result, credential = imported(edc_outcome(relatedESCOSkill=tagged), "e.jsonld")
    assert "skills" not in credential.values
    (warning,) = skill_warnings(result, credential)
    assert "matches no ESCO preferred label" in warning
    # without a language (an Open Badge without inLanguage) every language of the table is read
    alignment = {"targetType": "ext:Skill", "targetName": "gérer le personnel musical"}
    _, badge_credential = imported(badge({"alignment": [alignment]}))
    assert badge_credential.values["skills"] == (MUSICAL_STAFF,)


def test_an_edc_local_related_skill_is_matched_and_another_schemes_concept_is_left_alone():
    digcomp = {"id": "http://data.europa.eu/snb/dcf/u69o196gu6", "type": "Concept",
               "prefLabel": {"en": "Developing digital content"}}  # fmt: skip
    local = local_skill({"en": "Haskell"}, "urn:epass:concept:skill-2")
    result, credential = imported(edc_outcome(relatedSkill=[digcomp, local]), "e.jsonld")
    assert credential.values["skills"] == (HASKELL,)
    assert credential.provenance["skills"].source == f"edc:{OUTCOME}.relatedSkill[1]"
    assert skill_warnings(result, credential) == []  # the DigComp concept is not an ESCO skill


def test_an_unknown_label_is_named_in_a_warning_and_adds_no_skill():
    concept = local_skill({"en": "Advanced basket weaving for quantum engineers"})
    result, credential = imported(edc_outcome(relatedESCOSkill=concept), "e.jsonld")
    assert "skills" not in credential.values
    assert skill_warnings(result, credential) == [
        "skills: skill 'Advanced basket weaving for quantum engineers' "
        f"({OUTCOME}.relatedESCOSkill) matches no ESCO preferred label "
        "(ESCO v1.2.0 label table); not added"
    ]
    provenance = credential.provenance["skills"]
    assert provenance.kind == "absent" and "matches no ESCO preferred label" in provenance.note


def test_an_ambiguous_label_is_named_in_a_warning_and_not_guessed():
    # in ESCO's French labels, "distribuer des tracts" is both "deliver leaflets" and
    # "hand out flyers"
    concept = local_skill({"fr": "Distribuer des tracts"})
    result, credential = imported(edc_outcome(relatedESCOSkill=concept), "e.jsonld")
    assert "skills" not in credential.values
    (warning,) = skill_warnings(result, credential)
    assert warning.startswith(
        f"skills: skill 'Distribuer des tracts' ({OUTCOME}.relatedESCOSkill) matches 2 ESCO skills:"
    )
    assert f"{ESCO}5c350ac7-57f4-492f-a5b6-4e5d7241b771 ('deliver leaflets')" in warning
    assert f"{ESCO}9323960d-bb41-4bae-bdd2-c331a6146822 ('hand out flyers')" in warning
    assert warning.endswith("none was added")


def test_labels_of_one_concept_that_name_different_skills_are_ambiguous():
    concept = local_skill({"en": "Haskell", "fr": "Gérer le personnel musical"})
    result, credential = imported(edc_outcome(relatedESCOSkill=concept), "e.jsonld")
    assert "skills" not in credential.values
    assert "matches 2 ESCO skills" in skill_warnings(result, credential)[0]


def test_an_edc_skill_stated_by_uri_keeps_its_uri_and_a_label_adds_only_new_skills():
    stated = {
        "id": DIGITAL_CONTENT,
        "type": "Concept",
        "prefLabel": {"en": "develop digital content"},
    }
    same = local_skill({"en": "develop digital content"})
    other = local_skill({"en": "Haskell"}, "urn:epass:concept:skill-2")
    changes = {"relatedESCOSkill": [stated, same], "relatedSkill": other}
    result, credential = imported(edc_outcome(**changes), "e.jsonld")
    assert credential.values["skills"] == (DIGITAL_CONTENT, HASKELL)  # no URI twice
    provenance = credential.provenance["skills"]
    assert provenance.kind == "inferred"  # one of them rests on a label
    assert provenance.note.startswith("1 ESCO URI(s) from relatedESCOSkill; ")
    assert f"{HASKELL} at {OUTCOME}.relatedSkill: matched by" in provenance.note
    matched = provenance.note.split("; ", 1)[1].split("; labels in the document: ")[0]
    assert DIGITAL_CONTENT not in matched  # stated, not matched by a label
    assert f'"develop digital content"@en <{DIGITAL_CONTENT}>' in provenance.note
    assert skill_warnings(result, credential) == []


def test_skills_stated_only_by_uri_stay_vocabulary():
    stated = {
        "id": DIGITAL_CONTENT,
        "type": "Concept",
        "prefLabel": {"en": "develop digital content"},
    }
    same = local_skill({"en": "Develop digital content"})
    _, credential = imported(edc_outcome(relatedESCOSkill=[stated, same]), "e.jsonld")
    assert credential.values["skills"] == (DIGITAL_CONTENT,)
    assert credential.provenance["skills"].kind == "vocabulary"


@pytest.mark.parametrize(
    ("alignment", "uri"),
    [
        ({"targetType": "ext:Skill", "targetName": "Python (computer programming)"}, PYTHON),
        ({"targetFramework": "ESCO", "targetName": "C++"}, CPP),  # not C#: punctuation counts
        (
            {"targetType": "ceasn:Competency", "targetName": "develop digital content"},
            DIGITAL_CONTENT,
        ),
        (
            {
                "targetFramework": "European Skills, Competences, Qualifications and Occupations",
                "targetName": "Haskell",
                "targetUrl": "https://example.org/skills/haskell",
            },
            HASKELL,
        ),  # fmt: skip
    ],
)
def test_an_open_badge_alignment_naming_an_esco_skill_by_label_gives_its_uri(alignment, uri):
    result, credential = imported(badge({"alignment": [{"type": ["Alignment"], **alignment}]}))
    assert credential.values["skills"] == (uri,)
    provenance = credential.provenance["skills"]
    assert provenance.kind == "inferred"
    assert provenance.source == f"ob3:{ACHIEVEMENT}.alignment[0].targetName"
    assert "matched by ESCO preferred label" in provenance.note
    assert skill_warnings(result, credential) == []
    # the alignment's name is still not a learning outcome
    assert credential.values["learning_outcomes"] == (
        "Learners fit and interpret linear regression models.",
    )


def test_an_open_badge_in_french_reads_the_french_labels():
    alignment = {"targetType": "ext:Skill", "targetName": "Python (programmation informatique)"}
    _, credential = imported(badge({"inLanguage": "fr", "alignment": [alignment]}))
    assert credential.values["skills"] == (PYTHON,)
    note = credential.provenance["skills"].note
    assert "label 'Python (programmation informatique)' (fr, ESCO v1.2.0 label table)" in note


def test_an_open_badge_alignment_with_an_ambiguous_or_unknown_skill_name_adds_nothing():
    alignments = [
        {"targetType": "ext:Skill", "targetName": "C"},  # C++ and C# without punctuation
        {"targetType": "ext:Skill", "targetName": "Regression modelling wizardry"},
        {"targetType": "CFItem", "targetName": "Haskell"},  # a CASE item, not a skill
    ]
    result, credential = imported(badge({"alignment": alignments}))
    assert "skills" not in credential.values
    ambiguous, unknown = skill_warnings(result, credential)
    assert ambiguous.startswith(
        f"skills: skill 'C' ({ACHIEVEMENT}.alignment[0].targetName) matches 2"
    )
    assert f"{CPP} ('C++')" in ambiguous and "('C#')" in ambiguous
    assert unknown.startswith("skills: skill 'Regression modelling wizardry' (")
    assert "matches no ESCO preferred label" in unknown


def test_an_alignment_uri_is_kept_and_the_same_skill_by_label_is_not_added_twice():
    alignments = [
        {"targetType": "ext:Skill", "targetName": "Python (computer programming)"},
        {"targetName": "Python", "targetUrl": PYTHON},
    ]
    _, credential = imported(badge({"alignment": alignments}))
    assert credential.values["skills"] == (PYTHON,)
    assert credential.provenance["skills"].kind == "vocabulary"
    assert credential.provenance["skills"].note == (
        f'ESCO URIs named by alignments; labels in the document: "Python" <{PYTHON}>'
    )


def test_skills_are_never_taken_from_award_criteria():
    criteria = {"narrative": "Develop digital content; Python (computer programming); Haskell"}
    result, credential = imported(badge({"criteria": criteria}))
    assert "skills" not in credential.values
    assert skill_warnings(result, credential) == []


def test_a_result_description_of_a_skill_the_learner_has_a_result_for():
    descriptions = [
        {"id": "urn:uuid:rd-haskell", "type": ["ResultDescription"], "name": "Haskell",
         "resultType": "ext:Skill"},
        {"id": "urn:uuid:rd-content", "type": ["ResultDescription"], "name": "Final project",
         "resultType": "Status",
         "alignment": [{"targetType": "ext:Skill", "targetName": "develop digital content"}]},
        {"id": "urn:uuid:rd-python", "type": ["ResultDescription"],
         "name": "Python (computer programming)", "resultType": "ext:Skill"},  # no result for it
    ]  # fmt: skip
    results = [
        {"type": ["Result"], "resultDescription": "urn:uuid:rd-haskell", "status": "Completed"},
        {"type": ["Result"], "resultDescription": "urn:uuid:rd-content", "status": "Completed"},
    ]
    result, credential = imported(badge({"resultDescription": descriptions}, {"result": results}))
    assert credential.values["skills"] == (HASKELL, DIGITAL_CONTENT)
    note = credential.provenance["skills"].note
    assert f"{HASKELL} at {ACHIEVEMENT}.resultDescription[0].name" in note
    assert (
        f"{DIGITAL_CONTENT} at {ACHIEVEMENT}.resultDescription[1].alignment[0].targetName" in note
    )
    assert skill_warnings(result, credential) == []


def test_an_open_badges_2_alignment_to_esco_by_label():
    assertion = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
                 "id": "https://badges.credstack.test/assertions/2",
                 "recipient": {"type": "email", "hashed": False, "identity": "l@example.org"},
                 "badge": {"type": "BadgeClass", "id": "https://badges.credstack.test/b/2",
                           "name": "Digital content (test)", "issuer": "https://badges.credstack.test/i",
                           "alignment": [{"targetName": "Develop digital content",
                                          "targetFramework": "ESCO"}]},
                 "issuedOn": "2024-11-05T00:00:00Z",
                 "verification": {"type": "hosted"}}  # fmt: skip
    _, credential = imported(json.dumps(assertion).encode(), "assertion.json")
    assert credential.values["skills"] == (DIGITAL_CONTENT,)
    assert credential.provenance["skills"].source == "ob2:badge.alignment[0].targetName"


SAMPLE = ROOT.parent / "shared" / "samples" / "edc-elm" / "elm3-mc-annex1-unsigned.jsonld"


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared samples not available")
def test_the_commission_sample_with_local_skill_ids_finds_the_same_esco_skills():
    original = import_document(SAMPLE.read_bytes(), SAMPLE.name).credentials[0]
    doc = json.loads(SAMPLE.read_text())
    text = json.dumps(doc).replace(ESCO, "urn:epass:concept:local-skill-")
    result = import_document(text.encode(), SAMPLE.name)
    (credential,) = result.credentials
    assert len(original.values["skills"]) == 4
    assert credential.values["skills"] == original.values["skills"]  # by their English labels
    assert original.provenance["skills"].kind == "vocabulary"
    assert credential.provenance["skills"].kind == "inferred"
    assert skill_warnings(result, credential) == []


def test_the_label_table_is_shipped_with_the_package_and_read_once():
    import tomllib

    from models.credentials.formats import esco_labels

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = data["tool"]["setuptools"]["package-data"]["models.credentials.formats"]
    assert "data/*" in declared and esco_labels.DATA.parent.name == "data"
    table = esco_labels.table()
    assert esco_labels.table() is table
    assert table.languages == ("en", "fr") and len(table.labels["en"]) == 13_931
    assert table.labels["en"][PYTHON] == "Python (computer programming)"
    assert table.labels["fr"][PYTHON] == "Python (programmation informatique)"
    assert all(uri.startswith(ESCO) for uri in table.labels["en"])
