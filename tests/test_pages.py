"""The server-rendered pages through Flask's test client: every page with GET and POST, errors
beside fields with nothing stored, redirects after each POST, CSRF, roles, the decision clock,
idempotent double submits, inert script in free text, four-eyes, replay, the letter, policies,
the sandbox, publishing, the audit page, readiness."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from models.desk import cases as desk_ops
from models.desk.checkpoints import generate_key
from tests.desk_builders import (
    ENGINE,
    PASSWORD,
    case_data,
    count,
    drop_guards,
    policy_document,
    wallet,
)
from tests.web_fixtures import Browser, browsers, build_app
from views.pages.web import CSRF_COOKIE, SESSION_COOKIE

ROOT = Path(__file__).resolve().parent.parent

ENIC_PAGE = "/policies/enic-se-foreign-microcredentials/2026.2"
XSS = '<script>alert("owned")</script>'


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def web(desk):
    return browsers(desk)


def opened(desk, officer, learner="farid-rahimi", purpose="admission", evaluate=False, **extra):
    db = desk.db()
    try:
        case = desk_ops.open_case(db, officer, case_data(learner, purpose, **extra))
        if evaluate:
            desk_ops.evaluate_case(db, officer, case.id, ENGINE)
        return case
    finally:
        db.close()


def rows(desk, table: str) -> int:
    db = desk.db()
    try:
        return count(db, table)
    finally:
        db.close()


def idempotency_key(html: bytes, form: str = "decisions") -> str:
    match = re.search(rb'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the decision form carries an idempotency key"
    return match.group(1).decode()


def text(response) -> str:
    return response.get_data(as_text=True)


# ---- logging in and out --------------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(desk, web):
    anonymous = web()
    response = anonymous.get("/cases?status=open")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")
    assert anonymous.get("/").headers["Location"].endswith("/login")
    anonymous.refresh_token()
    response = anonymous.post(
        "/login", {"email": desk.a.viewer.email, "password": PASSWORD, "next": "/cases?status=open"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/cases?status=open"
    assert anonymous.get("/").headers["Location"].endswith("/cases")


def test_login_page_is_labelled_and_sets_a_safe_session_cookie(desk, web):
    browser = web()
    page = text(browser.get("/login"))
    assert '<label for="email">' in page and '<label for="password">' in page
    response = browser.login(desk.a.officer.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if SESSION_COOKIE in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Path=/" in cookie


def test_session_cookie_is_secure_outside_development(tmp_path):
    built = build_app(
        tmp_path,
        ENV_NAME="production",
        SECRET_KEY="s" * 40,
        LEARNER_KEY_SECRET="k" * 40,
        AUDIT_KEY=generate_key(),
        ISSUER_KEY=generate_key(),
    )
    client = built.app.test_client()
    page = client.get("/login", base_url="https://desk.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": built.a.officer.email, "password": PASSWORD},
        base_url="https://desk.example",
    )
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies if SESSION_COOKIE in c)


def test_wrong_password_is_refused_without_a_session(desk, web):
    browser = web()
    response = browser.login(desk.a.officer.email, "not the password at all")
    assert response.status_code == 401
    assert "wrong e-mail address or password" in text(response)
    assert not any(SESSION_COOKIE in c for c in response.headers.getlist("Set-Cookie"))
    assert browser.get("/cases").status_code == 303


def test_login_redirect_never_leaves_the_site(desk, web):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        browser = web()
        browser.refresh_token()
        response = browser.post(
            "/login", {"email": desk.a.viewer.email, "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/cases"


def test_logout_revokes_the_server_side_session(desk, web):
    browser = web(desk.a.officer)
    token = browser.client.get_cookie(SESSION_COOKIE).value
    assert browser.post("/logout").status_code == 303
    assert browser.get("/cases").status_code == 303  # the cookie is gone
    browser.client.set_cookie(SESSION_COOKIE, token)  # and the old token opens nothing
    assert browser.get("/cases").status_code == 303


def test_login_is_throttled_per_address_and_pair_but_never_locks_the_account(tmp_path):
    built = build_app(tmp_path, LOGIN_THROTTLE_PER_PAIR=3, LOGIN_THROTTLE_PER_ADDRESS=5)
    browser = Browser(built.app.test_client())
    for _ in range(3):
        assert browser.login(built.a.officer.email, "wrong password!!").status_code == 401
    waits = browser.login(built.a.officer.email)  # the right password, from the guessing address
    assert waits.status_code == 429 and "Too many failed attempts" in text(waits)
    assert waits.headers["Retry-After"] == "1"
    assert browser.login(built.a.viewer.email).status_code == 303  # another e-mail is fine
    browser = Browser(built.app.test_client())
    for _ in range(2):
        browser.login(built.b.viewer.email, "wrong password!!")
    assert browser.login(built.b.officer.email).status_code == 429  # the address is spent
    elsewhere = Browser(built.app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert elsewhere.login(built.a.officer.email).status_code == 303  # the account is not locked


# ---- CSRF --------------------------------------------------------------------------------------


def test_forged_or_missing_csrf_token_is_400_and_stores_nothing(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.officer)
    decisions = rows(desk, "decisions")
    form = {"action": "accept", "justification": "as proposed", "idempotency_key": "k1"}
    forged = browser.client.post(
        f"/cases/{case.id}/decisions", data={**form, "csrf_token": "f" * 64}
    )
    assert forged.status_code == 400 and "security token" in text(forged)
    missing = browser.client.post(f"/cases/{case.id}/decisions", data=form)
    assert missing.status_code == 400
    browser.client.delete_cookie(CSRF_COOKIE)  # a token without its cookie is no token
    assert browser.post(f"/cases/{case.id}/decisions", form).status_code == 400
    assert rows(desk, "decisions") == decisions
    anonymous = web()
    login = anonymous.client.post(
        "/login", data={"email": desk.a.officer.email, "password": PASSWORD}
    )
    assert login.status_code == 400 and not anonymous.client.get_cookie(SESSION_COOKIE)


def test_csrf_token_is_bound_to_the_session(desk, web):
    first, second = web(desk.a.officer), web(desk.a.officer2)
    case = opened(desk, desk.a.officer, evaluate=True)
    second.token = first.token  # another session's token
    response = second.post(f"/cases/{case.id}/evaluate")
    assert response.status_code == 400


# ---- the case queue ----------------------------------------------------------------------------


def test_queue_filters_and_the_decision_clock(desk, web):
    old = opened(desk, desk.a.officer, received_on="2020-01-10", application_date="2020-01-10",
                 policy_id="enic-se-foreign-microcredentials", policy_version="2026.2")  # fmt: skip
    fresh = opened(desk, desk.a.officer, "amira-haddad", "credit")
    browser = web(desk.a.viewer)
    page = text(browser.get("/cases"))
    assert f"Case {old.reference}<" in page and f"Case {fresh.reference}<" in page
    assert "Overdue" in page and "Farid Rahimi" in page  # the applicant by name
    days = (dt.datetime.now(dt.UTC).date() - dt.date(2020, 1, 10)).days
    assert f"{days} days elapsed" in page and "10 May 2020" in page  # due 4 calendar months later
    overdue = text(browser.get("/cases?overdue=yes"))
    assert f"Case {old.reference}<" in overdue and f"Case {fresh.reference}<" not in overdue
    not_overdue = text(browser.get("/cases?overdue=no"))
    assert f"Case {old.reference}<" not in not_overdue and f"Case {fresh.reference}<" in not_overdue
    credit = text(browser.get("/cases?purpose=credit"))
    assert f"Case {old.reference}<" not in credit and f"Case {fresh.reference}<" in credit
    assert f"Case {fresh.reference}<" not in text(browser.get("/cases?status=decided"))
    bad = browser.get("/cases?status=bogus")
    assert bad.status_code == 422 and "choose one of the listed options" in text(bad)


# ---- opening a case ----------------------------------------------------------------------------


def test_new_case_from_pasted_json_redirects_to_the_case(desk, web):
    browser = web(desk.a.officer)
    page = text(browser.get("/cases/new"))
    for field in ("purpose", "application_date", "received_on", "complete_on", "policy",
                  "wallet_text", "wallet_file"):  # fmt: skip
        assert f'<label for="{field}"' in page
    response = browser.post("/cases/new", {
        "purpose": "admission", "application_date": "2026-09-01", "received_on": "2026-09-02",
        "complete_on": "2026-09-03", "policy": "", "wallet_text": json.dumps(wallet("li-wei")),
    })  # fmt: skip
    assert response.status_code == 303
    case_page = text(browser.get(response.headers["Location"]))
    assert "Li Wei" in case_page and "enic-se-foreign-microcredentials version 2026.2" in case_page
    assert "Not evaluated yet" in case_page


def test_new_case_from_an_uploaded_csv_and_a_named_policy_version(desk, web):
    browser = web(desk.a.officer)
    sheet = (
        "learner_id,credential_id,title,ects,eqf_level,issuer_country,issued_on,skills\n"
        "csv-learner-1,k1,Applied statistics,6,6,DE,2025-03-01,"
        "http://data.europa.eu/esco/skill/a|http://data.europa.eu/esco/skill/b\n"
    )
    response = browser.post("/cases/new", {
        "purpose": "credit", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "policy": "malarvik-msc-ds-credit@2026.1",
        "wallet_file": (io.BytesIO(sheet.encode()), "wallet.csv"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303, text(response)
    page = text(browser.get(response.headers["Location"]))
    assert "Applied statistics" in page and "malarvik-msc-ds-credit version 2026.1" in page


def test_new_case_from_an_uploaded_europass_document_is_evaluated_end_to_end(desk, web):
    """Issue 4: an imported (sealed) Europass credential goes through the desk like a wallet."""
    document = ROOT / "fixtures" / "documents" / "edc-sealed.jsonld"
    browser = web(desk.a.officer)
    response = browser.post("/cases/new", {
        "purpose": "credit", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "policy": "malarvik-msc-ds-credit@2026.1",
        "wallet_file": (io.BytesIO(document.read_bytes()), "edc-sealed.jsonld"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303, text(response)
    case_url = response.headers["Location"]
    page = text(browser.get(case_url))
    assert "signature valid" in page  # the verification verdict travels as an element
    evaluated = browser.post(case_url + "/evaluate", {})
    assert evaluated.status_code == 303, text(evaluated)
    assert "The engine's proposal" in text(browser.get(case_url))


def test_new_case_errors_are_shown_beside_the_fields_and_nothing_is_stored(desk, web):
    browser = web(desk.a.officer)
    cases = rows(desk, "cases")
    empty = browser.post("/cases/new", {"purpose": "", "application_date": "2026-13-01"})
    page = text(empty)
    assert empty.status_code == 422
    assert 'id="err-purpose"' in page and 'id="err-application_date"' in page
    assert 'aria-invalid="true"' in page
    bad_wallet = wallet("li-wei")
    bad_wallet["credentials"][0]["ects"] = "lots"
    response = browser.post("/cases/new", {
        "purpose": "admission", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "wallet_text": json.dumps(bad_wallet),
    })  # fmt: skip
    assert response.status_code == 422 and "credentials[0].ects" in text(response)
    assert "lots" in text(response)  # the entered text is kept for correction
    no_wallet = browser.post("/cases/new", {
        "purpose": "admission", "application_date": "2026-09-01", "received_on": "2026-09-01",
    })  # fmt: skip
    assert "paste the learner" in text(no_wallet)
    assert rows(desk, "cases") == cases


def test_a_viewer_cannot_open_a_case(desk, web):
    browser = web(desk.a.viewer)
    cases = rows(desk, "cases")
    response = browser.post("/cases/new", {
        "purpose": "admission", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "wallet_text": json.dumps(wallet("li-wei")),
    })  # fmt: skip
    assert response.status_code == 403 and rows(desk, "cases") == cases
    assert "New case" not in text(browser.get("/cases"))


# ---- the case page -----------------------------------------------------------------------------


def test_case_page_explains_the_proposal_in_words(desk, web):
    case = opened(desk, desk.a.officer, "chiara-russo", "credit", evaluate=True)
    page = text(web(desk.a.viewer).get(f"/cases/{case.id}"))
    assert "The learner's credentials" in page and "Chiara" in page
    assert "Unknown: evidence needed" in page and "Evidence to request" in page
    assert "Condition by condition" in page and '<th scope="col">Stated value</th>' in page
    assert "Credentials not used" in page and "Credentials used, by slot" in page
    assert "Not met" in page and "stated on the credential" in page
    assert "{&#39;" not in page, page[page.find("{&#39;") - 300 : page.find("{&#39;") + 300]
    assert '"outcomes"' not in page  # words, not JSON or reprs
    assert 'id="decide"' not in page  # a viewer reads, an officer decides


def test_evaluate_accept_and_see_the_decision_in_the_history(desk, web):
    case = opened(desk, desk.a.officer, "amira-haddad", "credit")
    browser = web(desk.a.officer)
    response = browser.post(f"/cases/{case.id}/evaluate")
    assert response.status_code == 303 and response.headers["Location"].endswith("#proposal")
    page = browser.get(f"/cases/{case.id}").data
    assert b"Eligible to be considered" in page and b"Re-evaluate" in page
    response = browser.post(f"/cases/{case.id}/decisions", {
        "action": "accept", "justification": "", "idempotency_key": idempotency_key(page),
    })  # fmt: skip
    assert response.status_code == 303  # all full: no justification needed
    after = text(browser.get(f"/cases/{case.id}"))
    assert "Decision 1</strong> · Initial decision · Accepted the proposal" in after
    assert "Decided" in after and "Decision letter" in after


def test_missing_justification_shows_beside_the_field_and_stores_nothing(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)  # alternative recognition proposed
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    before = rows(desk, "decisions"), rows(desk, "audit")
    response = browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "   ", "idempotency_key": key},
    )
    page = text(response)
    assert response.status_code == 422
    assert 'id="err-justification"' in page and "a justification is required" in page
    assert 'aria-describedby="justification-hint err-justification"' in page
    assert f'value="{key}"' in page  # the same key: a corrected resubmit still records once
    assert (rows(desk, "decisions"), rows(desk, "audit")) == before


def test_override_needs_its_exception_type_and_records_the_outcomes(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    form = {"action": "override", "outcome.entry-programming": "full",
            "justification": "work experience covers the missing workload",
            "idempotency_key": key}  # fmt: skip
    response = browser.post(f"/cases/{case.id}/decisions", form)
    assert response.status_code == 422 and 'id="err-exception_type"' in text(response)
    form["exception_type"] = "waive_condition"
    assert browser.post(f"/cases/{case.id}/decisions", form).status_code == 303
    page = text(browser.get(f"/cases/{case.id}"))
    assert "Overrode the proposal" in page and "Waive a condition" in page
    assert "<code>entry-programming</code>: Full recognition" in page


def test_double_submit_of_one_form_records_one_decision(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    form = {"action": "accept", "justification": "alternative route as proposed",
            "idempotency_key": key}  # fmt: skip
    first = browser.post(f"/cases/{case.id}/decisions", form)
    second = browser.post(f"/cases/{case.id}/decisions", form)
    assert first.status_code == second.status_code == 303
    assert rows(desk, "decisions") == 1


def test_script_in_free_text_renders_inert(desk, web):
    hostile = wallet("farid-rahimi")
    hostile["learner"]["name"] = XSS
    hostile["credentials"][0]["title"] = XSS
    browser = web(desk.a.officer)
    response = browser.post("/cases/new", {
        "purpose": "admission", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "wallet_text": json.dumps(hostile),
    })  # fmt: skip
    location = response.headers["Location"]
    browser.post(f"{location}/evaluate")
    key = idempotency_key(browser.get(location).data)
    browser.post(f"{location}/decisions",
                 {"action": "accept", "justification": XSS, "idempotency_key": key})  # fmt: skip
    for path in (location, f"{location}/letter"):
        page = text(browser.get(path))
        assert "<script>" not in page and "&lt;script&gt;alert(" in page
    unsafe = browser.post("/cases/new", {"purpose": XSS, "wallet_text": XSS})
    assert "<script>alert" not in text(unsafe)


def test_request_evidence_then_add_it_and_evaluate_again(desk, web):
    case = opened(desk, desk.a.officer, "chiara-russo", "credit", evaluate=True)
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    missing = browser.post(f"/cases/{case.id}/decisions",
                           {"action": "request_evidence", "idempotency_key": key})  # fmt: skip
    assert missing.status_code == 422 and "state which evidence" in text(missing)
    asked = browser.post(f"/cases/{case.id}/decisions", {
        "action": "request_evidence", "idempotency_key": key,
        "justification": "Please send the transcript with the ECTS of c2.",
    })  # fmt: skip
    assert asked.status_code == 303
    assert "Waiting for the applicant" in text(browser.get(f"/cases/{case.id}"))
    bad = browser.post(f"/cases/{case.id}/evidence", {"wallet_text": "{not json"})
    assert bad.status_code == 422 and "expected JSON" in text(bad)
    added = browser.post(f"/cases/{case.id}/evidence", {
        "wallet_text": json.dumps(wallet("chiara-russo")), "complete_on": "2026-09-20",
    })  # fmt: skip
    assert added.status_code == 303
    page = text(browser.get(f"/cases/{case.id}"))
    assert "Snapshot 2 of 2" in page and "new credentials arrived after this evaluation" in page
    assert "due by 20 Jan 2027" in page


def test_deciding_before_evaluating_is_a_conflict_on_the_page(desk, web):
    case = opened(desk, desk.a.officer)
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    response = browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "x", "idempotency_key": key},
    )
    assert response.status_code == 409 and "cannot take &#39;accept&#39;" in text(response)
    assert rows(desk, "decisions") == 0


def test_a_viewer_cannot_evaluate_or_decide(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.viewer)
    assert browser.post(f"/cases/{case.id}/evaluate").status_code == 403
    response = browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "x", "idempotency_key": "v"},
    )
    assert response.status_code == 403 and rows(desk, "decisions") == 0
    assert "Re-evaluate" not in text(browser.get(f"/cases/{case.id}"))


def test_four_eyes_a_second_officer_confirms(tmp_path):
    built = build_app(tmp_path, four_eyes=True)
    case = opened(built, built.a.officer, evaluate=True)
    first = Browser(built.app.test_client())
    first.login(built.a.officer.email)
    key = idempotency_key(first.get(f"/cases/{case.id}").data)
    first.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "as proposed", "idempotency_key": key},
    )
    page = text(first.get(f"/cases/{case.id}"))
    assert "Awaiting a second officer" in page and "a different officer must confirm" in page
    assert first.post("/decisions/1/confirm", {"idempotency_key": "c1"}).status_code == 403
    second = Browser(built.app.test_client())
    second.login(built.a.officer2.email)
    page = second.get(f"/cases/{case.id}").data
    assert b"Confirm decision 1" in page
    confirm_key = re.findall(rb'name="idempotency_key" value="([^"]+)"', page)[0].decode()
    for _ in range(2):  # a double click confirms once
        response = second.post("/decisions/1/confirm", {"idempotency_key": confirm_key})
        assert response.status_code == 303
    assert rows(built, "decisions") == 2
    after = text(second.get(f"/cases/{case.id}"))
    assert "Confirmed by you" in after and "Decided" in after
    letter = text(second.get(f"/cases/{case.id}/letter"))
    assert "Draft" not in letter


def test_reopen_and_appeal_are_linked_in_the_history(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "as proposed", "idempotency_key": key},
    )
    empty = browser.post(f"/cases/{case.id}/reopen", {"reason": " "})
    assert empty.status_code == 422 and 'id="err-reason"' in text(empty)
    response = browser.post(
        f"/cases/{case.id}/reopen",
        {"reason": "applicant appeals the workload finding", "appeal": "yes"},
    )
    assert response.status_code == 303
    assert "Appealed" in text(browser.get(f"/cases/{case.id}"))
    browser.post(f"/cases/{case.id}/evaluate")
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    browser.post(f"/cases/{case.id}/decisions", {
        "action": "override", "exception_type": "waive_condition",
        "outcome.entry-programming": "full", "justification": "appeal upheld",
        "idempotency_key": key,
    })  # fmt: skip
    page = text(browser.get(f"/cases/{case.id}"))
    assert "Decision on appeal" in page and '<a href="#decision-1">follows decision 1</a>' in page
    assert browser.post(f"/cases/{case.id}/reopen", {"reason": "x"}).status_code == 303
    assert browser.post(f"/cases/{case.id}/reopen", {"reason": "y"}).status_code == 409


def test_replay_and_the_printable_letter(desk, web):
    case = opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.officer)
    assert browser.get(f"/cases/{case.id}/letter").status_code == 404  # no decision yet
    replay = text(browser.get(f"/cases/{case.id}/replay"))
    assert "Still matches" in replay and "sha256:" in replay
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "as proposed", "idempotency_key": key},
    )
    exports = rows(desk, "audit")
    letter = text(browser.get(f"/cases/{case.id}/letter"))
    assert "Alternative recognition" in letter and "Full recognition" in letter
    assert "Recognition of foreign micro-credentials" in letter and "version 2026.2" in letter
    assert "enic-se-foreign-microcredentials" not in letter  # the policy by its title
    assert "How to appeal" in letter and "within 3 weeks" in letter
    assert "No substantial difference was found in" in letter  # reasons per element
    assert rows(desk, "audit") == exports + 1  # the letter is an export, in the trail
    with browser.get("/static/style.css") as css:
        assert "@media print" in text(css)


# ---- policies ----------------------------------------------------------------------------------


def test_policy_list_and_page_run_the_examples(desk, web):
    browser = web(desk.a.viewer)
    listing = text(browser.get("/policies"))
    assert "enic-se-foreign-microcredentials" in listing and "2026.2" in listing
    assert "Publish a" not in listing  # viewers do not publish
    page = text(browser.get(ENIC_PAGE))
    assert "Passes" in page and "Fails" not in page
    assert page.count('<span class="badge status-met">Passes</span>') == 6
    assert "Try this policy" in page and "Digest" in page


def test_sandbox_evaluates_pasted_credentials_and_stores_nothing(desk, web):
    browser = web(desk.a.viewer)
    browser.refresh_token(ENIC_PAGE)
    before = [rows(desk, t) for t in ("cases", "evaluations", "audit", "learners")]
    response = browser.post(f"{ENIC_PAGE}/try", {
        "as_of": "2026-09-01", "wallet_text": json.dumps(wallet("farid-rahimi")),
    })  # fmt: skip
    assert response.status_code == 200
    page = text(response)
    assert "Result (not stored)" in page and "Alternative recognition" in page
    bad = browser.post(f"{ENIC_PAGE}/try", {"as_of": "someday", "wallet_text": "[]"})
    assert bad.status_code == 422 and 'id="err-as_of"' in text(bad)
    assert [rows(desk, t) for t in ("cases", "evaluations", "audit", "learners")] == before


def test_publishing_a_new_version_needs_an_admin_and_lists_problems_by_path(desk, web):
    officer = web(desk.a.officer)
    assert officer.get("/policies/new").status_code == 403
    assert officer.post("/policies/new", {"document_text": "id: x"}).status_code == 403
    admin = web(desk.a.admin)
    assert '<label for="document_text">' in text(admin.get("/policies/new"))
    broken = policy_document("enic-recognition.yaml")
    broken["purpos"] = broken.pop("purpose")
    before = rows(desk, "policies")
    response = admin.post("/policies/new", {"document_text": json.dumps(broken, default=str)})
    page = text(response)
    assert response.status_code == 422 and "<code>purpos</code>" in page
    assert "did you mean <code>purpose</code>" in page
    assert rows(desk, "policies") == before
    newer = policy_document("enic-recognition.yaml")
    newer["version"] = "2027.1"
    newer["effective_from"], newer["effective_to"] = "2025-01-01", "2026-02-28"  # no overlap
    upload = json.dumps(newer, default=str).encode()
    response = admin.post("/policies/new",
                          {"document_file": (io.BytesIO(upload), "enic-2027.json")},
                          content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"] == "/policies/enic-se-foreign-microcredentials/2027.1"
    page = text(admin.get(response.headers["Location"]))
    assert "2026.2" in page and "2027.1" in page  # the versions of the policy
    clash = dict(newer, title="Another title")
    response = admin.post("/policies/new", {"document_text": json.dumps(clash, default=str)})
    assert response.status_code == 409


# ---- audit, readiness, limits ------------------------------------------------------------------


def test_audit_page_shows_entries_and_the_chain_verdict(desk, web):
    opened(desk, desk.a.officer, evaluate=True)
    browser = web(desk.a.viewer)
    page = text(browser.get("/audit"))
    assert "Chain verified" in page and "Opened case" in page
    db = desk.db()
    try:
        drop_guards(db)
        db.conn.execute(
            "UPDATE audit SET subject = 'case:999' WHERE seq = "
            "(SELECT max(seq) FROM audit WHERE organisation_id = ?)",
            [desk.a.id],
        )
        db.conn.commit()
    finally:
        db.close()
    assert "Chain broken" in text(browser.get("/audit"))


def test_readyz_checks_the_database_and_the_evaluator(desk, web):
    response = web().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "evaluator": "ok"}}


def test_pages_carry_the_security_headers_and_no_inline_script_or_style(desk, web):
    browser = web(desk.a.officer)
    case = opened(desk, desk.a.officer, evaluate=True)
    for path in ("/login", "/cases", f"/cases/{case.id}", ENIC_PAGE, "/audit"):
        response = (web() if path == "/login" else browser).get(path)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = text(response)
        assert "<script" not in page and " style=" not in page and "<style" not in page
        assert 'tabindex="-1"' in page and 'class="skip-link"' in page


def test_an_oversized_body_is_refused(tmp_path):
    built = build_app(tmp_path, MAX_CONTENT_LENGTH=10_000)
    browser = Browser(built.app.test_client())
    browser.login(built.a.officer.email)
    response = browser.post("/cases/new", {"wallet_text": "x" * 20_000})
    assert response.status_code == 413 and rows(built, "cases") == 0


@pytest.mark.parametrize("path", ["/nothing", "/cases/0", "/cases/99999"])
def test_unknown_pages_are_404_pages(desk, web, path):
    response = web(desk.a.viewer).get(path)
    assert response.status_code == 404 and "<h1>" in text(response)


def test_the_database_file_is_untouched_by_reading_pages(desk, web):
    browser = web(desk.a.viewer)
    before = rows(desk, "audit")
    for path in ("/cases", "/policies", ENIC_PAGE, "/audit"):
        browser.get(path)
    assert rows(desk, "audit") == before


def test_a_case_with_a_request_shows_the_answer_first_and_the_letter_states_it(desk, web):
    """Issue: the desk decides the request. The answer, its reasons and the options the policy
    offers appear on the case page and in the letter."""
    browser = web(desk.a.officer)
    response = browser.post("/cases/new", {
        "purpose": "credit", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "policy": "malarvik-msc-ds-credit@2026.1",
        "wallet_text": json.dumps(wallet("bjorn-lindqvist")),
        "request_text": json.dumps({"items": [{"request": "elective"}]}),
        "applicant_text": json.dumps({"admission_offer": True}),
    })  # fmt: skip
    assert response.status_code == 303, text(response)
    case_url = response.headers["Location"]
    assert browser.post(case_url + "/evaluate", {}).status_code == 303
    html = browser.get(case_url).data
    page = text(browser.get(case_url))
    asked = page.index("What the applicant asked for")
    assert asked < page.index("Rules, criteria and targets")
    assert "Credit not granted" in page and "individual assessment of your prior learning" in page
    assert 'name="disposition.r1"' in page
    refused = browser.post(case_url + "/decisions", {
        "action": "accept", "justification": "", "idempotency_key": idempotency_key(html),
    })  # fmt: skip
    assert refused.status_code == 422 and "not a full positive one" in text(refused)
    html = browser.get(case_url).data
    decided = browser.post(case_url + "/decisions", {
        "action": "accept", "idempotency_key": idempotency_key(html),
        "justification": "No credential reaches EQF level 6 with quality assurance.",
    })  # fmt: skip
    assert decided.status_code == 303, text(decided)
    letter = text(browser.get(case_url + "/letter"))
    assert "Our decision on your request" in letter and "Credit as a programme elective" in letter
    assert "Credit not granted" in letter
    assert "Ask the programme board for an individual assessment" in letter
    assert "Ask for exemption from a specific module instead." in letter


def test_the_new_case_form_refuses_a_request_that_is_not_json(desk, web):
    browser = web(desk.a.officer)
    response = browser.post("/cases/new", {
        "purpose": "credit", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "policy": "malarvik-msc-ds-credit@2026.1",
        "wallet_text": json.dumps(wallet("bjorn-lindqvist")),
        "request_text": "{items: [}",
    })  # fmt: skip
    assert response.status_code == 422 and "expected a JSON object" in text(response)


def test_the_case_page_lists_the_facts_and_evidence_can_add_facts_alone(desk, web):
    browser = web(desk.a.officer)
    response = browser.post("/cases/new", {
        "purpose": "credit", "application_date": "2026-09-01", "received_on": "2026-09-01",
        "policy": "malarvik-msc-ds-credit@2026.1",
        "wallet_text": json.dumps(wallet("bjorn-lindqvist")),
        "request_text": json.dumps({"items": [{"request": "elective"}]}),
        "applicant_text": json.dumps({"admission_offer": False, "provenance": {
            "admission_offer": {"kind": "stated", "source": "application form"}}}),
    })  # fmt: skip
    assert response.status_code == 303, text(response)
    case_url = response.headers["Location"]
    page = text(browser.get(case_url))
    facts = page[page.index("The applicant's facts") : page.index("The engine's proposal")]
    assert "holds an offer of admission to the MSc Data Science" in facts
    assert "stated by the applicant: application form" in facts and "2026-09-01" in facts
    bad = browser.post(case_url + "/evidence", {
        "applicant_text": json.dumps({"admission_offer": True, "provenance": {
            "admission_offer": {"kind": "hearsay"}}}),
    })  # fmt: skip
    assert bad.status_code == 422 and "expected one of stated, document, verified" in text(bad)
    added = browser.post(case_url + "/evidence", {
        "applicant_text": json.dumps({"admission_offer": True, "provenance": {
            "admission_offer": {"kind": "document", "source": "offer letter 2026-117"}}}),
        "received_on": "2026-09-15",
    })  # fmt: skip
    assert added.status_code == 303, text(added)
    page = text(browser.get(case_url))
    facts = page[page.index("The applicant's facts") : page.index("The engine's proposal")]
    assert "from a supporting document: offer letter 2026-117" in facts and "2026-09-15" in facts
    assert "Snapshot 2 of 2" in page


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "a justification is required: the decision is not a full positive one"),
        ("sv", "en motivering krävs: beslutet är inte helt bifallande"),
    ],
)
def test_the_rules_refusal_is_given_in_the_page_language(desk, web, language, said):
    case = opened(desk, desk.a.officer, evaluate=True)  # alternative recognition proposed
    browser = web(desk.a.officer)
    key = idempotency_key(browser.get(f"/cases/{case.id}").data)
    response = browser.post(
        f"/cases/{case.id}/decisions",
        {"action": "accept", "justification": "", "idempotency_key": key},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    page = text(response)
    assert page.count(said) == 2  # in the summary above the form and beside the field
