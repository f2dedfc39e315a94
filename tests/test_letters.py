"""Letters people can send: per purpose and decision kind, the letter states the decided outcome
(not the proposal) with the credentials by title and awarding body, the signatory, the contact,
the appeal route and the case reference; issued as a PDF (English or Swedish, tagged, fonts
embedded) that is kept as sent: a download returns the stored bytes, whose sha256 the audit entry
holds. The settings page is for the organisation's admins only."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from models.desk import admin as desk_admin
from models.desk import cases as desk_ops
from models.desk import organisation as desk_org
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import letters as store_letters
from tests.desk_builders import ENGINE, case_data
from tests.web_fixtures import browsers, build_app
from views.cli.main import cli

SETTINGS = {
    "postal_address": "Box 118\n221 00 Lund",
    "email": "antagning@alpha.test",
    "phone": "+46 46 000 00 00",
    "signatory_name": "Karin Sjöberg",
    "signatory_title": "Head of Admissions",
    "appeal_text_en": "You may appeal to the Higher Education Appeals Board.",
    "appeal_text_sv": "Beslutet kan överklagas till Överklagandenämnden för högskolan.",
    "appeal_weeks": 3,
}


@pytest.fixture
def desk(tmp_path):
    built = build_app(tmp_path)
    db = built.db()
    try:
        desk_org.update_settings(db, built.a.admin, SETTINGS)
    finally:
        db.close()
    return built


@pytest.fixture
def web(desk):
    return browsers(desk)


def decided(desk, learner: str, purpose: str, *decisions: dict) -> int:
    """A case of organisation A with the given decisions recorded in order; its id."""
    db = desk.db()
    try:
        case = desk_ops.open_case(db, desk.a.officer, case_data(learner, purpose))
        desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
        for data in decisions:
            if data.get("reopen"):
                desk_ops.reopen_case(db, desk.a.officer, case.id, "appeal", appeal=True)
                desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
                continue
            desk_ops.decide(db, desk.a.officer, case.id, data)
        return case.id
    finally:
        db.close()


ACCEPT = {"action": "accept", "justification": "The workload differs substantially."}
CASES = [
    # (learner, purpose, decisions, said, never said)
    ("greta-nowak", "admission", [ACCEPT],
     ["Partial recognition", "Analiza danych w Pythonie", "Politechnika Wiślańska",
      "Decision: recognition of your credentials", "The workload differs substantially."],
     ["is proposed for", "'g1'", "g1)"]),
    ("kaito-tanaka", "admission", [ACCEPT], ["Recognition refused", "How to appeal"],
     ["is proposed for"]),
    ("amira-haddad", "credit", [ACCEPT],
     ["Decision: credit transfer", "Certificate in Data Foundations", "Awarded"], ["'a1'"]),
    ("farid-rahimi", "admission",
     [{"action": "override", "outcomes": {"foreign-data-analysis": "partial"},
       "exception_type": "partial", "justification": "Only part of the profile is covered."}],
     ["Partial recognition", "Recognition is granted in part.", "Zuiderzee University"],
     ["is proposed for"]),
    ("chiara-russo", "admission",
     [{"action": "request_evidence", "justification": "Send the accreditation statement."}],
     ["Request for additional evidence", "What we need from you", "type of quality assurance",
      "Data Wrangling with Python", "How to send it", "antagning@alpha.test"],
     ["How to appeal", "'c1'"]),
    ("greta-nowak", "admission",
     [ACCEPT, {"reopen": True}, ACCEPT | {"justification": "On appeal."}],
     ["Decision on appeal", "You appealed against our decision", "On appeal."], []),
]  # fmt: skip


@pytest.mark.parametrize(("learner", "purpose", "decisions", "said", "unsaid"), CASES)
def test_each_letter_states_the_decided_outcome_in_its_own_words(
    desk, web, learner, purpose, decisions, said, unsaid
):
    case_id = decided(desk, learner, purpose, *decisions)
    response = web(desk.a.viewer).get(f"/cases/{case_id}/letter")
    assert response.status_code == 200
    page = response.get_data(as_text=True).replace("&#39;", "'")
    for words in [*said, "Karin Sjöberg", "Head of Admissions", "Box 118", str(case_id)]:
        assert words in page, words
    for words in unsaid:
        assert words not in page, words
    # digests only in the verification footer
    footer = page.index('class="letter-verification"')
    digest = page.index("policy digest")
    assert digest > footer


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> list[bool]:
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"]
            found.append(any(k.startswith("/FontFile") for k in descriptor))
    return found


def newest_decision(desk, case_id: int) -> int:
    db = desk.db()
    try:
        found = store_decisions.decisions(db, desk.a.id, case_id)
        return [d for d in found if d.action != "confirm"][-1].id
    finally:
        db.close()


def letter_links(desk, case_id: int) -> list[str]:
    db = desk.db()
    try:
        return [f"/letters/{x.id}" for x in store_letters.letters_of_case(db, desk.a.id, case_id)]
    finally:
        db.close()


def issue(browser, desk, case_id: int, language: str, **form) -> str:
    decision_id = newest_decision(desk, case_id)
    browser.refresh_token(f"/cases/{case_id}/letter")
    response = browser.post(f"/decisions/{decision_id}/letters", {"language": language, **form})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return letter_links(desk, case_id)[-1]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Partial recognition", "How to appeal", "within 3 weeks", "Our reference"]),
        ("sv", ["Delvis erkännande", "Så överklagar du", "inom 3 veckor", "Vårt diarienummer",
                "Överklagandenämnden för högskolan"]),
    ],
)  # fmt: skip
def test_the_issued_pdf_is_kept_as_sent_in_the_language_chosen(desk, web, language, words):
    case_id = decided(desk, "greta-nowak", "admission", ACCEPT)
    officer = web(desk.a.officer)
    link = issue(officer, desk, case_id, language)
    first = officer.get(link)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = pdf_text(first.data)
    for word in [*words, "Analiza danych w Pythonie", "Politechnika Wiślańska", "Karin Sjöberg",
                 "antagning@alpha.test", "Greta Nowak", str(case_id)]:  # fmt: skip
        assert word in text, word
    assert "'g1'" not in text and "proposed" not in text
    assert embedded_fonts(first.data) and all(embedded_fonts(first.data))
    reader = PdfReader(io.BytesIO(first.data))
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]  # tagged PDF
    digest = hashlib.sha256(first.data).hexdigest()
    again = web(desk.a.viewer).get(link)
    assert again.data == first.data and again.headers["X-Content-SHA256"] == digest
    db = desk.db()
    try:
        [entry] = [e for e in store.audit_entries(db, desk.a.id) if e.event == "letter_issued"]
        assert entry.details["sha256"] == digest and entry.details["language"] == language
        assert "Greta" not in json.dumps(entry.details)  # no personal data in the trail
        assert store.verify_audit(db, desk.a.id).ok
    finally:
        db.close()


def test_an_evidence_request_gets_its_letter_with_the_deadline(desk, web):
    case_id = decided(desk, "chiara-russo", "admission", CASES[4][2][0])
    officer = web(desk.a.officer)
    link = issue(officer, desk, case_id, "sv", reply_by="2099-01-31")
    text = pdf_text(officer.get(link).data)
    assert "31 januari 2099" in text and "Data Wrangling with Python" in text
    assert "Begäran om komplettering" in text


def test_a_letter_waits_for_the_second_officer(tmp_path):
    built = build_app(tmp_path, four_eyes=True)
    case_id = decided(built, "greta-nowak", "admission", ACCEPT)
    officer = browsers(built)(built.a.officer)
    officer.refresh_token(f"/cases/{case_id}/letter")
    decision_id = newest_decision(built, case_id)
    refused = officer.post(f"/decisions/{decision_id}/letters", {"language": "en"})
    assert refused.status_code == 409 and letter_links(built, case_id) == []
    db = built.db()
    try:
        desk_ops.confirm(db, built.a.officer2, decision_id)
    finally:
        db.close()
    officer.refresh_token(f"/cases/{case_id}/letter")
    issued = officer.post(f"/decisions/{decision_id}/letters", {"language": "en"})
    assert issued.status_code == 303 and len(letter_links(built, case_id)) == 1


def test_settings_page_is_for_admins_of_their_own_organisation(desk, web):
    for who in ("officer", "viewer"):
        assert web(getattr(desk.a, who)).get("/organisation").status_code == 403
    admin = web(desk.a.admin)
    page = admin.get("/organisation").get_data(as_text=True)
    assert "Karin Sjöberg" in page
    other = web(desk.b.admin).get("/organisation").get_data(as_text=True)
    assert "Karin Sjöberg" not in other and "Beta" in other
    form = {k: str(v) for k, v in SETTINGS.items()} | {"name": "Alpha University",
                                                        "default_language": "sv"}  # fmt: skip
    admin.refresh_token("/organisation")
    bad = admin.post("/organisation", form | {"logo": (io.BytesIO(b"<svg><script/></svg>"),
                                                        "l.svg")})  # fmt: skip
    assert bad.status_code == 422 and "scripts" in bad.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    saved = admin.post("/organisation", form | {"logo": (io.BytesIO(png), "logo.png")})
    assert saved.status_code == 303
    db = desk.db()
    try:
        settings = desk_org.settings(db, desk.a.admin)
        assert settings.name == "Alpha University" and settings.logo == png
        assert desk_org.settings(db, desk.b.admin).name != "Alpha University"
        assert store.verify_audit(db, desk.a.id).ok
    finally:
        db.close()


def test_org_cli_shows_and_sets_the_settings(desk):
    env = {"CREDSTACK_DB": desk.path}
    runner = CliRunner()
    result = runner.invoke(cli, ["org", "set", "--org", "beta", "--signatory", "Per Ek",
                                 "--appeal-weeks", "4", "--address", "Gatan 1\\n111 11 Ort"],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["org", "show", "--org", "beta"], env=env).output
    assert "signatory_name: Per Ek" in shown and "appeal_weeks: 4" in shown
    assert "Gatan 1 / 111 11 Ort" in shown
    bad = runner.invoke(cli, ["org", "set", "--org", "beta", "--appeal-weeks", "99"], env=env)
    assert bad.exit_code == 2 and "appeal_weeks" in bad.output


POLICY_SV = "Erkännande av utländska mikromeriter i dataanalys (antagning till avancerad nivå)"
RULE_SV = "Utländsk mikromerit mot referensprofilen Dataanalys (EQF 6, 5 hp)"


def test_a_letter_speaks_the_policys_own_translations(desk, web):
    """The policy's texts (its title, its rules' titles) come in the letter's language when
    the policy translates them, and as written when it does not."""
    from tests.desk_builders import policy_document

    document = copy.deepcopy(dict(policy_document("enic-recognition.yaml")))
    document["id"] = "enic-recognition-sv"
    english_rule = document["recognition"][0]["title"]
    document["translations"] = {"sv": {document["title"]: POLICY_SV, english_rule: RULE_SV}}
    db = desk.db()
    try:
        version = desk_admin.publish_policy(db, desk.a.admin, document)
        case = desk_ops.open_case(db, desk.a.officer, {
            **case_data("greta-nowak", "admission"),
            "policy_id": version.policy_id, "policy_version": version.version,
        })  # fmt: skip
        desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
        desk_ops.decide(db, desk.a.officer, case.id, ACCEPT)
    finally:
        db.close()
    officer = web(desk.a.officer)
    swedish = " ".join(pdf_text(officer.get(issue(officer, desk, case.id, "sv")).data).split())
    english = " ".join(pdf_text(officer.get(issue(officer, desk, case.id, "en")).data).split())
    assert POLICY_SV in swedish and RULE_SV in swedish and english_rule not in swedish
    assert document["title"] in english and english_rule in english and RULE_SV not in english


def test_a_letter_numbers_the_decision_within_its_case(desk, web):
    decided(desk, "kaito-tanaka", "admission", ACCEPT)  # decisions of other cases come first
    case_id = decided(desk, "greta-nowak", "admission", ACCEPT)
    page = web(desk.a.viewer).get(f"/cases/{case_id}/letter").get_data(as_text=True)
    assert re.search(r"<dt>Decision</dt><dd>1, ", page), page[:2000]


def test_the_issued_letter_is_announced_by_its_number_in_the_case(desk, web):
    decided(desk, "kaito-tanaka", "admission", ACCEPT)
    other = decided(desk, "kaito-tanaka", "admission", ACCEPT)
    officer = web(desk.a.officer)
    issue(officer, desk, other, "en")  # letters of another case come first
    case_id = decided(desk, "greta-nowak", "admission", ACCEPT)
    issue(officer, desk, case_id, "en")
    page = officer.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Letter 1 issued (PDF" in page and "Letter 1 (PDF, English)" in page
