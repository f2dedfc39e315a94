"""The JSON API through Flask's test client: every endpoint with its success and error answers.

Errors always have the one shape `{"error": {status, title, message, problems?, fields?}}`; the
organisation comes from the token, never from the request; roles are enforced; bodies are loaded
strictly (unknown fields and wrong types are 422, malformed JSON 400, oversized bodies 413).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from engine.errors import EngineQuarantined
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.store import database as store
from tests.api_fixtures import (  # noqa: F401 - the fixtures
    alpha_fixture,
    api_app_fixture,
    beta_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
    evaluated_credit_case,
    policy_variant,
    tenant,
)
from tests.desk_builders import (
    AS_OF,
    ENGINE,
    ENIC,
    case_data,
    count,
    drop_guards,
    open_credit,
    open_enic,
    wallet,
)
from views.api.support import MAX_NESTING

ENIC_ID, ENIC_VERSION = "enic-se-foreign-microcredentials", "2026.2"
CREDIT_ID, CREDIT_VERSION = "malarvik-msc-ds-credit", "2026.1"


def error(response, status: int) -> dict:
    """The error body, after checking the status and the stable shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json["error"]
    assert body["status"] == status
    assert set(body) <= {"status", "title", "message", "problems", "fields"}
    assert body["title"] and body["message"]
    return body


def post(client, url, body, headers, **kwargs):
    return client.post(url, json=body, headers=headers, **kwargs)


def rows(db) -> dict[str, int]:
    return {t: count(db, t) for t in ("cases", "evaluations", "decisions", "audit", "policies")}


# ---- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token abc"],
)
def test_a_missing_or_unknown_token_is_401(client, alpha, header):
    headers = {} if header is None else {"Authorization": header}
    for method, url in (("GET", "/api/v1/cases"), ("POST", "/api/v1/cases")):
        response = client.open(url, method=method, headers=headers, json={})
        body = error(response, 401)
        assert "Bearer" in body["message"] or "token" in body["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_or_a_deactivated_user_is_401(client, db, alpha):
    token_id, token = desk_admin.issue_api_token(db, alpha.org.viewer, "temporary")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    desk_admin.revoke_api_token(db, alpha.org.viewer, token_id)
    error(client.get("/api/v1/me", headers=headers), 401)
    desk_admin.deactivate_user(db, alpha.org.admin, alpha.org.officer2.id)
    error(client.get("/api/v1/me", headers=alpha.auth("officer2")), 401)


def test_me_names_the_user_and_organisation_of_the_token(client, alpha):
    body = client.get("/api/v1/me", headers=alpha.auth("viewer")).json
    assert body["user"]["email"] == "viewer@alpha.test" and body["user"]["role"] == "viewer"
    assert body["organisation"]["slug"] == "alpha"
    assert "password" not in json.dumps(body) and "hash" not in json.dumps(body)


def test_responses_carry_security_headers_and_are_not_cached(client, alpha):
    response = client.get("/api/v1/me", headers=alpha.auth())
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ---- bad bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"purpose": ', "malformed JSON"),
        (b"", "malformed JSON"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": NaN}', "not a JSON number"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        (b"[" * (MAX_NESTING + 2) + b"]" * (MAX_NESTING + 2), "deeper than"),
    ],
)
def test_malformed_json_is_400_and_nothing_is_stored(client, db, alpha, raw, why):
    before = rows(db)
    for url in ("/api/v1/cases", "/api/v1/policies", "/api/v1/evaluate"):
        response = client.post(
            url, data=raw, headers=alpha.auth("admin" if "polic" in url else "officer"),
            content_type="application/json",
        )  # fmt: skip
        assert why in error(response, 400)["message"]
    assert rows(db) == before


def test_a_body_that_is_not_json_is_415(client, alpha):
    response = client.post("/api/v1/cases", data="purpose=credit", headers=alpha.auth())
    error(response, 415)


def test_an_oversized_body_is_413_and_nothing_is_stored(client, db, alpha, api_app):
    before = rows(db)
    limit = api_app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"wallet": {"learner": {"id": "x"}, "padding": "x" * limit}})
    for url in ("/api/v1/cases", "/api/v1/evaluate", "/api/v1/cases/1/decisions"):
        response = client.post(url, data=big, headers=alpha.auth(), content_type="application/json")
        error(response, 413)
    assert rows(db) == before


def test_a_json_value_that_is_not_an_object_is_422(client, alpha):
    body = error(post(client, "/api/v1/cases", [1, 2], alpha.auth()), 422)
    assert body["fields"] == {"_schema": "expected an object; got list"}


# ---- stateless evaluation ---------------------------------------------------------------------


def evaluate_body(**extra):
    body = {"policy": {"id": ENIC_ID, "version": ENIC_VERSION}, "wallet": wallet("farid-rahimi"),
            "as_of": AS_OF.isoformat()}  # fmt: skip
    body.update(extra)
    return body


def test_evaluate_a_stored_policy_stores_nothing(client, db, alpha):
    before = rows(db)
    response = post(client, "/api/v1/evaluate", evaluate_body(), alpha.auth("viewer"))
    assert response.status_code == 200, response.json
    result = response.json
    assert result["policy"]["id"] == ENIC_ID and result["as_of"] == AS_OF.isoformat()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", result["fingerprint"])
    assert {o["rule"] for o in result["outcomes"]} >= {"entry-programming"}
    assert rows(db) == before


def test_evaluate_an_inline_policy_gives_the_same_fingerprint(client, alpha):
    stored = post(client, "/api/v1/evaluate", evaluate_body(), alpha.auth()).json
    inline = evaluate_body(policy_document=policy_variant(ENIC))
    del inline["policy"]
    response = post(client, "/api/v1/evaluate", inline, alpha.auth())
    assert response.status_code == 200
    assert response.json["fingerprint"] == stored["fingerprint"]


def test_evaluate_gives_a_compact_result_on_asking(client, alpha):
    jonas = wallet("jonas-berg")  # six assessments not met under this policy
    full = post(client, "/api/v1/evaluate", evaluate_body(wallet=jonas), alpha.auth()).json
    body = evaluate_body(wallet=jonas, detail="compact")
    response = post(client, "/api/v1/evaluate", body, alpha.auth())
    compact = response.json
    assert response.status_code == 200 and compact["detail"] == "compact" and "detail" not in full
    assert compact["fingerprint"] == full["fingerprint"]
    assert [o["status"] for o in compact["outcomes"]] == [o["status"] for o in full["outcomes"]]

    def kept(result):  # the assessments a compact result keeps: met or unknown
        rows = [a for o in result["outcomes"] for a in o.get("assessments", [])]
        return [a for a in rows if a["status"] in ("met", "unknown")], len(rows)

    (compact_rows, compact_all), (full_rows, full_all) = kept(compact), kept(full)
    assert compact_rows == full_rows and compact_all == len(full_rows) < full_all


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"detail": "brief"}, "detail"),
        ({"policy": None}, "policy"),
        ({"policy_document": {"id": "x"}}, "policy"),  # both given
        ({"colour": "blue"}, "colour"),
        ({"as_of": 20260901}, "as_of"),
        ({"as_of": "1 Sept 2026"}, "as_of"),
        ({"wallet": "farid"}, "wallet"),
        ({"policy": {"id": ENIC_ID}}, "policy.version"),
        ({"policy": {"id": ENIC_ID, "version": 2026.2}}, "policy.version"),
        ({"policy": {"id": ENIC_ID, "version": "2026.2", "org": "beta"}}, "policy.org"),
    ],
)
def test_evaluate_refuses_bad_input(client, alpha, change, field):
    body = evaluate_body(**change)
    if body.get("policy") is None:
        del body["policy"]
    assert field in error(post(client, "/api/v1/evaluate", body, alpha.auth()), 422)["fields"]


def test_evaluate_reports_wallet_and_policy_problems_with_their_paths(client, alpha):
    bad_wallet = wallet("farid-rahimi")
    bad_wallet["credentials"][0]["ects"] = "seven"
    body = error(post(client, "/api/v1/evaluate", evaluate_body(wallet=bad_wallet), alpha.auth()),
                 422)  # fmt: skip
    assert "wallet.credentials[0].ects" in body["fields"]
    inline = evaluate_body(policy_document=policy_variant(ENIC, purpos="admission"))
    del inline["policy"]
    body = error(post(client, "/api/v1/evaluate", inline, alpha.auth()), 422)
    assert body["title"] == "Invalid policy"
    assert any(p["path"] == "policy_document.purpos" for p in body["problems"])


def test_evaluate_refuses_numbers_beyond_their_range_and_quarantined_inputs_clearly(
    api_app, client, alpha
):
    huge = wallet("farid-rahimi")
    huge["credentials"][0]["ects"] = 1e16  # used to fail inside the engine (a 503)
    body = error(post(client, "/api/v1/evaluate", evaluate_body(wallet=huge), alpha.auth()), 422)
    assert body["fields"]["wallet.credentials[0].ects"] == (
        "expected a number from 0 to 10000; got 1e+16"
    )

    class Quarantining:
        def evaluate(self, *args: object, **kwargs: object) -> None:
            raise EngineQuarantined("this evaluation stopped the evaluation engine; refused")

    api_app.extensions["credstack_evaluator"] = Quarantining()
    body = error(post(client, "/api/v1/evaluate", evaluate_body(), alpha.auth()), 503)
    assert body["title"] == "Evaluation refused for now"
    assert body["message"] == "this evaluation stopped the evaluation engine; refused"


def test_evaluate_another_organisations_policy_is_404(client, db, alpha, beta):
    desk_admin.publish_policy(db, alpha.org.admin, policy_variant(id="alpha-only"))
    body = evaluate_body(policy={"id": "alpha-only", "version": ENIC_VERSION})
    assert post(client, "/api/v1/evaluate", body, alpha.auth()).status_code == 200
    error(post(client, "/api/v1/evaluate", body, beta.auth()), 404)


# ---- policies ---------------------------------------------------------------------------------


def test_list_and_read_policies(client, alpha):
    listed = client.get("/api/v1/policies", headers=alpha.auth("viewer")).json
    assert {(p["policy_id"], p["version"]) for p in listed} == {
        (ENIC_ID, ENIC_VERSION), (CREDIT_ID, CREDIT_VERSION)}  # fmt: skip
    assert all("document" not in p for p in listed)
    versions = client.get(f"/api/v1/policies/{ENIC_ID}", headers=alpha.auth("viewer")).json
    assert [v["version"] for v in versions] == [ENIC_VERSION]
    one = client.get(f"/api/v1/policies/{ENIC_ID}/versions/{ENIC_VERSION}",
                     headers=alpha.auth("viewer")).json  # fmt: skip
    assert one["document"]["id"] == ENIC_ID and re.fullmatch(r"[0-9a-f]{64}", one["digest"])
    error(client.get("/api/v1/policies/nope", headers=alpha.auth()), 404)
    error(client.get(f"/api/v1/policies/{ENIC_ID}/versions/9", headers=alpha.auth()), 404)


def test_publishing_creates_an_immutable_version(client, db, alpha):
    # A period before 2026.2's (open-ended) one: versions of one policy may not overlap.
    document = policy_variant(version="2027.1", effective_from="2025-01-01",
                              effective_to="2026-02-28")  # fmt: skip
    response = post(client, "/api/v1/policies", document, alpha.auth("admin"))
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"/api/v1/policies/{ENIC_ID}/versions/2027.1")
    assert response.json["version"] == "2027.1"
    again = post(client, "/api/v1/policies", document, alpha.auth("admin"))
    assert again.status_code == 200 and again.json["digest"] == response.json["digest"]
    changed = dict(document, title="Another title")
    error(post(client, "/api/v1/policies", changed, alpha.auth("admin")), 409)
    versions = client.get(f"/api/v1/policies/{ENIC_ID}", headers=alpha.auth()).json
    assert sorted(v["version"] for v in versions) == ["2026.2", "2027.1"]
    url = f"/api/v1/policies/{ENIC_ID}/versions/2027.1"
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.open(url, method=method, headers=alpha.auth("admin")).status_code == 405


@pytest.mark.parametrize("who", ["officer", "viewer"])
def test_only_an_admin_publishes(client, db, alpha, who):
    before = rows(db)
    response = post(client, "/api/v1/policies", policy_variant(version="9"), alpha.auth(who))
    assert "admin" in error(response, 403)["message"]
    assert rows(db) == before


def test_an_invalid_policy_is_422_with_every_problem(client, db, alpha):
    before = rows(db)
    document = policy_variant(version="9", purpose="holiday", colour="blue")
    body = error(post(client, "/api/v1/policies", document, alpha.auth("admin")), 422)
    paths = {p["path"] for p in body["problems"]}
    assert {"purpose", "colour"} <= paths
    assert rows(db) == before


# ---- cases ------------------------------------------------------------------------------------


def test_open_list_and_read_a_case(client, alpha):
    response = post(client, "/api/v1/cases", case_data("farid-rahimi", "admission"), alpha.auth())
    assert response.status_code == 201, response.json
    case = response.json
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")
    assert (case["status"], case["policy_id"], case["policy_version"]) == (
        "open", ENIC_ID, ENIC_VERSION)  # fmt: skip
    listed = client.get("/api/v1/cases", headers=alpha.auth("viewer")).json
    assert listed["total"] == 1 and listed["items"][0]["case"]["id"] == case["id"]
    assert {"days_elapsed", "due_on", "overdue", "clock_from"} <= set(listed["items"][0])
    page = client.get(f"/api/v1/cases/{case['id']}", headers=alpha.auth("viewer")).json
    assert page["case"] == case
    assert page["learner"]["display_name"] == "Farid Rahimi"
    assert len(page["snapshots"]) == 1 and page["snapshots"][0]["credentials"]["credentials"]
    assert [e["status"] for e in page["events"]] == ["open"]
    assert page["evaluations"] == [] and page["decisions"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"purpose": 5}, "purpose"),
        ({"purpose": "holiday"}, "purpose"),
        ({"application_date": "yesterday"}, "application_date"),
        ({"wallet": []}, "wallet"),
        ({"policy_version": "9", "policy_id": ENIC_ID}, "policy_version"),
        ({"complete_on": "2026-01-01"}, "complete_on"),
    ],
)
def test_a_bad_case_is_422_and_nothing_is_stored(client, db, alpha, change, field):
    before = rows(db)
    data = {**case_data("farid-rahimi", "admission"), **change}
    assert field in error(post(client, "/api/v1/cases", data, alpha.auth()), 422)["fields"]
    assert rows(db) == before


def test_missing_fields_and_a_learner_without_id_are_422(client, alpha):
    body = error(post(client, "/api/v1/cases", {}, alpha.auth()), 422)
    assert {"wallet", "purpose", "application_date", "received_on"} <= set(body["fields"])
    anonymous = case_data("farid-rahimi", "admission")
    del anonymous["wallet"]["learner"]
    assert "wallet.learner" in error(post(client, "/api/v1/cases", anonymous, alpha.auth()),
                                     422)["fields"]  # fmt: skip


def test_a_viewer_or_admin_cannot_open_a_case(client, alpha):
    for who in ("viewer", "admin"):
        response = post(client, "/api/v1/cases", {"nothing": 1}, alpha.auth(who))
        error(response, 403)  # the role is checked before the body


def test_case_filters_and_paging(client, db, alpha):
    today = dt.datetime.now(dt.UTC).date()
    long_ago = (today - dt.timedelta(days=200)).isoformat()
    for name in ("farid-rahimi", "greta-nowak", "li-wei"):
        open_enic(db, alpha.org.officer, name, received_on=long_ago)
    credit = open_credit(db, alpha.org.officer, "amira-haddad", received_on=today.isoformat())
    desk.evaluate_case(db, alpha.org.officer, credit.id, ENGINE)

    def ids(query):
        response = client.get(f"/api/v1/cases?{query}", headers=alpha.auth("viewer"))
        assert response.status_code == 200, response.json
        return [item["case"]["id"] for item in response.json["items"]]

    assert ids("purpose=credit") == [credit.id]
    assert ids("status=evaluated") == [credit.id]
    assert len(ids("purpose=admission&overdue=true")) == 3  # received 200 days ago
    assert ids("overdue=false") == [credit.id]
    assert ids("limit=2") == [1, 2] and ids("limit=2&offset=2") == [3, 4]
    for query, field in [("status=lost", "status"), ("overdue=yes", "overdue"),
                         ("limit=0", "limit"), ("limit=1.5", "limit"), ("colour=red", "colour"),
                         ("purpose=credit&purpose=admission", "purpose")]:  # fmt: skip
        response = client.get(f"/api/v1/cases?{query}", headers=alpha.auth())
        assert field in error(response, 422)["fields"], query


def test_an_unknown_case_is_404(client, alpha):
    for url in ("/api/v1/cases/999", "/api/v1/cases/999/evaluations",
                "/api/v1/cases/999/decisions", "/api/v1/cases/999/replay"):  # fmt: skip
        error(client.get(url, headers=alpha.auth()), 404)
    error(post(client, "/api/v1/cases/999/evaluations", None, alpha.auth()), 404)
    error(post(client, "/api/v1/cases/999/decisions", {"action": "accept"}, alpha.auth()), 404)


# ---- evaluations ------------------------------------------------------------------------------


def test_evaluate_a_case_then_read_its_evaluations(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "farid-rahimi")
    response = client.post(f"/api/v1/cases/{case.id}/evaluations", headers=alpha.auth())
    assert response.status_code == 201, response.json
    evaluation = response.json
    assert response.headers["Location"].endswith(
        f"/api/v1/cases/{case.id}/evaluations/{evaluation['id']}")  # fmt: skip
    assert evaluation["result"]["fingerprint"] == evaluation["fingerprint"]
    again = post(client, f"/api/v1/cases/{case.id}/evaluations", {}, alpha.auth())
    assert again.status_code == 201
    listed = client.get(f"/api/v1/cases/{case.id}/evaluations", headers=alpha.auth("viewer")).json
    assert [e["id"] for e in listed] == [evaluation["id"], again.json["id"]]
    assert "result" not in listed[0] and listed[0]["summary"]
    one = client.get(f"/api/v1/cases/{case.id}/evaluations/{evaluation['id']}",
                     headers=alpha.auth("viewer"))  # fmt: skip
    assert one.json == evaluation
    other = open_enic(db, alpha.org.officer, "greta-nowak")
    error(client.get(f"/api/v1/cases/{other.id}/evaluations/{evaluation['id']}",
                     headers=alpha.auth()), 404)  # fmt: skip


def test_evaluation_errors(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "farid-rahimi")
    url = f"/api/v1/cases/{case.id}/evaluations"
    error(client.post(url, headers=alpha.auth("viewer")), 403)
    assert "colour" in error(post(client, url, {"colour": 1}, alpha.auth()), 422)["fields"]
    error(client.post(url, data=b"{", headers=alpha.auth(), content_type="application/json"), 400)
    assert count(db, "evaluations") == 0
    post(client, url, None, alpha.auth())
    decide = {"action": "accept", "justification": "as proposed"}
    assert (
        post(client, f"/api/v1/cases/{case.id}/decisions", decide, alpha.auth()).status_code == 201
    )
    assert "reopen" in error(client.post(url, headers=alpha.auth()), 409)["message"]


# ---- decisions --------------------------------------------------------------------------------


def test_accept_records_a_decision_and_the_case_is_decided(client, db, alpha):
    case = evaluated_credit_case(db, alpha)
    url = f"/api/v1/cases/{case.id}/decisions"
    response = post(client, url, {"action": "accept"}, alpha.auth())  # all full: none needed
    assert response.status_code == 201, response.json
    decision = response.json
    assert response.headers["Location"].endswith(f"{url}/{decision['id']}")
    assert decision["outcomes"]["diploma-applied-ds"] == "full" and decision["kind"] == "initial"
    assert client.get(url, headers=alpha.auth("viewer")).json == [decision]
    assert client.get(f"{url}/{decision['id']}", headers=alpha.auth("viewer")).json == decision
    page = client.get(f"/api/v1/cases/{case.id}", headers=alpha.auth("viewer")).json
    assert page["case"]["status"] == "decided" and page["decisions"] == [decision]
    error(client.get(f"{url}/999", headers=alpha.auth()), 404)


def test_a_missing_justification_is_422_and_nothing_is_stored(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "amira-haddad")  # conditional: not a full positive
    desk.evaluate_case(db, alpha.org.officer, case.id, ENGINE)
    url, before = f"/api/v1/cases/{case.id}/decisions", rows(db)
    body = error(post(client, url, {"action": "accept"}, alpha.auth()), 422)
    assert "justification is required" in body["fields"]["justification"]
    body = error(post(client, url, {"action": "accept", "justification": "   "}, alpha.auth()), 422)
    assert "justification" in body["fields"]
    overriding = {"action": "override", "exception_type": "waive_condition",
                  "outcomes": {"foreign-data-analysis": "full"}}  # fmt: skip
    assert "justification" in error(post(client, url, overriding, alpha.auth()), 422)["fields"]
    assert rows(db) == before
    overriding["justification"] = "The condition was met by the applicant's thesis."
    assert post(client, url, overriding, alpha.auth()).json["action"] == "override"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "approve"}, "action"),
        ({}, "action"),
        ({"action": "accept", "colour": "blue"}, "colour"),
        ({"action": "accept", "justification": 42}, "justification"),
        ({"action": "override", "outcomes": ["full"]}, "outcomes"),
        ({"action": "override", "outcomes": {"x": "excellent"}}, "outcomes.x.value"),
        ({"action": "accept", "decision_id": 1}, "decision_id"),
        ({"action": "accept", "idempotency_key": ""}, "idempotency_key"),
        ({"action": "confirm"}, "decision_id"),
        ({"action": "confirm", "decision_id": "1"}, "decision_id"),
        ({"action": "confirm", "decision_id": 1, "justification": "ok"}, "justification"),
    ],
)
def test_a_bad_decision_is_422(client, db, alpha, body, field):
    case = evaluated_credit_case(db, alpha)
    before = rows(db)
    response = post(client, f"/api/v1/cases/{case.id}/decisions", body, alpha.auth())
    assert field in error(response, 422)["fields"]
    assert rows(db) == before


def test_decisions_need_an_officer_and_an_evaluation(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "farid-rahimi")
    url = f"/api/v1/cases/{case.id}/decisions"
    for who in ("viewer", "admin"):
        error(post(client, url, {"action": "accept", "justification": "x"}, alpha.auth(who)), 403)
    body = {"action": "accept", "justification": "x"}
    assert "open cannot take" in error(post(client, url, body, alpha.auth()), 409)["message"]
    assert count(db, "decisions") == 0


def test_an_idempotent_retry_records_once_and_returns_the_same_decision(client, db, alpha):
    case = evaluated_credit_case(db, alpha)
    url = f"/api/v1/cases/{case.id}/decisions"
    headers = alpha.auth(**{"Idempotency-Key": "retry-1"})
    first = post(client, url, {"action": "accept"}, headers)
    second = post(client, url, {"action": "accept"}, headers)
    third = post(client, url, {"action": "accept", "idempotency_key": "retry-1"}, alpha.auth())
    assert first.status_code == second.status_code == third.status_code == 201
    assert first.json == second.json == third.json
    assert count(db, "decisions") == 1
    changed = {"action": "accept", "justification": "other content"}
    assert "idempotency key" in error(post(client, url, changed, headers), 409)["message"]
    mismatch = {"action": "accept", "idempotency_key": "retry-2"}
    assert "idempotency_key" in error(post(client, url, mismatch, headers), 422)["fields"]
    other_officer = alpha.auth("officer2", **{"Idempotency-Key": "retry-1"})
    error(post(client, url, {"action": "accept"}, other_officer), 409)
    assert count(db, "decisions") == 1


def test_request_evidence_add_it_and_decide(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "chiara-russo")
    url = f"/api/v1/cases/{case.id}"
    post(client, f"{url}/evaluations", None, alpha.auth())
    ask = {"action": "request_evidence"}
    assert "justification" in error(post(client, f"{url}/decisions", ask, alpha.auth()),
                                    422)["fields"]  # fmt: skip
    ask["justification"] = "Send the transcript of the data analysis course."
    assert post(client, f"{url}/decisions", ask, alpha.auth()).status_code == 201
    assert client.get(url, headers=alpha.auth()).json["case"]["status"] == "waiting_for_applicant"
    evidence = {"wallet": wallet("chiara-russo"), "complete_on": "2026-09-15"}
    error(post(client, f"{url}/evidence", evidence, alpha.auth("viewer")), 403)
    error(post(client, f"{url}/evidence", {**evidence, "colour": 1}, alpha.auth()), 422)
    other = {"wallet": wallet("greta-nowak")}
    assert "wallet.learner.id" in error(post(client, f"{url}/evidence", other, alpha.auth()),
                                        422)["fields"]  # fmt: skip
    response = post(client, f"{url}/evidence", evidence, alpha.auth())
    assert response.status_code == 200, response.json
    assert response.json["status"] == "open" and response.json["complete_on"] == "2026-09-15"
    page = client.get(url, headers=alpha.auth()).json
    assert len(page["snapshots"]) == 2
    facts = {
        "applicant": {
            "first_language": "it",
            "provenance": {"first_language": {"kind": "finding", "note": "interview"}},
        },
        "received_on": "2026-09-16",
    }
    bad = {"applicant": {"first_language": "it", "provenance": {"first_language": {"kind": "x"}}}}
    fields = error(post(client, f"{url}/evidence", bad, alpha.auth()), 422)["fields"]
    assert "applicant.provenance.first_language.kind" in fields
    error(post(client, f"{url}/evidence", {}, alpha.auth()), 422)  # nothing to add
    assert post(client, f"{url}/evidence", facts, alpha.auth()).status_code == 200
    page = client.get(url, headers=alpha.auth()).json
    assert len(page["snapshots"]) == 3 and page["snapshots"][-1]["received_on"] == "2026-09-16"


def test_reopen_replay_and_correct(client, db, alpha):
    case = evaluated_credit_case(db, alpha)
    url = f"/api/v1/cases/{case.id}"
    error(post(client, f"{url}/reopen", {"reason": "appeal"}, alpha.auth()), 409)  # not decided
    first = post(client, f"{url}/decisions", {"action": "accept"}, alpha.auth()).json
    replay = client.get(f"{url}/replay", headers=alpha.auth("viewer")).json
    assert replay["matches"] and replay["decision_id"] == first["id"]
    for body, field in [({}, "reason"), ({"reason": "x", "appeal": "yes"}, "appeal"),
                        ({"reason": "x", "appeal": 1}, "appeal")]:  # fmt: skip
        assert field in error(post(client, f"{url}/reopen", body, alpha.auth()), 422)["fields"]
    error(post(client, f"{url}/reopen", {"reason": "x"}, alpha.auth("viewer")), 403)
    response = post(client, f"{url}/reopen", {"reason": "The applicant appeals.", "appeal": True},
                    alpha.auth())  # fmt: skip
    assert response.status_code == 200 and response.json["status"] == "appealed"
    again = post(client, f"{url}/decisions", {"action": "accept"}, alpha.auth())
    assert "justification" in error(again, 422)["fields"]  # an appeal states why
    again = post(client, f"{url}/decisions", {"action": "accept", "justification": "Upheld."},
                 alpha.auth())  # fmt: skip
    assert again.json["kind"] == "appeal" and again.json["previous_decision_id"] == first["id"]


def test_replay_without_an_evaluation_is_a_conflict_with_the_cases_state(client, db, alpha):
    case = open_enic(db, alpha.org.officer, "farid-rahimi")
    body = error(client.get(f"/api/v1/cases/{case.id}/replay", headers=alpha.auth()), 409)
    assert "no evaluation to replay" in body["message"]


def test_four_eyes_confirmation(client, db):
    t = tenant(db, "gamma", four_eyes=True)
    case = evaluated_credit_case(db, t)
    url = f"/api/v1/cases/{case.id}/decisions"
    decision = post(client, url, {"action": "accept"}, t.auth()).json
    assert decision["requires_confirmation"] is True
    confirm = {"action": "confirm", "decision_id": decision["id"]}
    assert "different officer" in error(post(client, url, confirm, t.auth()), 403)["message"]
    other = evaluated_credit_case(db, t, "bjorn-lindqvist")
    error(post(client, f"/api/v1/cases/{other.id}/decisions", confirm, t.auth("officer2")), 404)
    headers = t.auth("officer2", **{"Idempotency-Key": "confirm-1"})
    response = post(client, url, confirm, headers)
    assert response.status_code == 201, response.json
    assert response.json["action"] == "confirm"
    assert post(client, url, confirm, headers).json == response.json  # idempotent
    assert "confirmed already" in error(post(client, url, confirm, t.auth("officer2")),
                                        409)["message"]  # fmt: skip
    listed = client.get(url, headers=t.auth("viewer")).json
    assert listed[0]["confirmed_by"] == t.org.officer2.id and len(listed) == 2


# ---- audit ------------------------------------------------------------------------------------


def test_audit_verify_and_entries(client, db, alpha, beta):
    evaluated_credit_case(db, alpha)
    report = client.get("/api/v1/audit/verify", headers=alpha.auth("viewer")).json
    own = db.conn.execute("SELECT count(*) FROM audit WHERE organisation_id = ?",
                          [alpha.org.id]).fetchone()[0]  # fmt: skip
    assert report == {"ok": True, "checked": own, "broken_seq": None, "reason": ""}
    entries = client.get("/api/v1/audit?limit=3", headers=alpha.auth("viewer")).json
    assert len(entries) == 3 and entries[0]["seq"] > entries[1]["seq"]
    error(client.get("/api/v1/audit?limit=abc", headers=alpha.auth()), 422)
    error(client.get("/api/v1/audit?limit=5000", headers=alpha.auth()), 422)


def test_audit_verify_reports_a_broken_chain(client, db, alpha):
    drop_guards(db)
    db.conn.execute("UPDATE audit SET subject = 'tampered' WHERE organisation_id = ? "
                    "AND seq = (SELECT min(seq) FROM audit WHERE organisation_id = ?)",
                    [alpha.org.id, alpha.org.id])  # fmt: skip
    report = client.get("/api/v1/audit/verify", headers=alpha.auth()).json
    assert report["ok"] is False and "altered" in report["reason"]


# ---- the OpenAPI document and its browser -----------------------------------------------------


def test_the_openapi_document_describes_every_api_route(client, api_app):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and spec["security"] == [{"bearer": []}]
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = set()
    for rule in api_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith("api_v1."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and documented == routed
    _assert_refs_resolve(spec, spec)
    schemas = spec["components"]["schemas"]
    assert schemas["DecisionRequest"]["additionalProperties"] is False  # unknown=RAISE
    assert {"wallet", "purpose"} <= set(schemas["CaseInput"]["required"])
    assert "Policy" in schemas and schemas["Policy"]["additionalProperties"] is False
    decide = spec["paths"]["/api/v1/cases/{case_id}/decisions"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in decide["parameters"])
    queue = spec["paths"]["/api/v1/cases"]["get"]
    assert {p["name"] for p in queue["parameters"]} >= {"status", "purpose", "overdue"}


def _assert_refs_resolve(node, spec):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            target = spec
            for part in ref.removeprefix("#/").split("/"):
                assert part in target, ref
                target = target[part]
        for value in node.values():
            _assert_refs_resolve(value, spec)
    elif isinstance(node, list):
        for value in node:
            _assert_refs_resolve(value, spec)


def test_the_docs_page_uses_local_assets_and_no_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in page and "https://" not in page and " style=" not in page
    for url in re.findall(r'(?:src|href)="(/[^"]+)"', page):
        with client.get(url) as asset:
            assert asset.status_code == 200, url
    assert client.get("/api/docs/assets/index.html").status_code == 404
    assert client.get("/api/docs/assets/..%2Fapp.py").status_code == 404


def test_nothing_is_stored_by_reading(client, db, alpha):
    case = evaluated_credit_case(db, alpha)
    before = rows(db)
    for url in ("/api/v1/me", "/api/v1/policies", "/api/v1/cases", f"/api/v1/cases/{case.id}",
                f"/api/v1/cases/{case.id}/evaluations", f"/api/v1/cases/{case.id}/decisions",
                "/api/v1/audit", "/api/v1/audit/verify"):  # fmt: skip
        assert client.get(url, headers=alpha.auth("viewer")).status_code == 200, url
    assert rows(db) == before
    assert store.verify_audit(db).ok


def test_swagger_ui_renders_in_a_real_browser_under_the_csp(api_app):
    """Debian's chromium through Playwright: the docs render with no CSP violation or error."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed")
    server = make_server("127.0.0.1", 0, api_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page()
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.goto(f"http://127.0.0.1:{server.server_port}/api/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
            page.locator(".opblock-summary").first.click()
            page.wait_for_selector(".opblock-body", timeout=5_000)
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)
    spec = api_app.test_client().get("/api/v1/openapi.json").json
    assert operations == sum(len(ops) for ops in spec["paths"].values())
    assert problems == []


def test_decisions_and_evaluations_carry_their_number_within_the_case(client, db, alpha):
    first = evaluated_credit_case(db, alpha)  # its evaluation and decision come first globally
    post(client, f"/api/v1/cases/{first.id}/decisions", {"action": "accept"}, alpha.auth())
    case = evaluated_credit_case(db, alpha)
    post(client, f"/api/v1/cases/{case.id}/evaluations", {}, alpha.auth())
    url = f"/api/v1/cases/{case.id}/decisions"
    made = post(client, url, {"action": "accept"}, alpha.auth()).json
    assert made["number_in_case"] == 1 and made["id"] > 1
    evaluations = client.get(f"/api/v1/cases/{case.id}/evaluations", headers=alpha.auth()).json
    assert [e["number_in_case"] for e in evaluations] == [1, 2]
    assert evaluations[0]["id"] > 1
    one = client.get(f"{url}/{made['id']}", headers=alpha.auth()).json
    assert one == made and client.get(url, headers=alpha.auth()).json == [made]
    page = client.get(f"/api/v1/cases/{case.id}", headers=alpha.auth()).json
    assert page["decisions"] == [made]
    assert [e["number_in_case"] for e in page["evaluations"]] == [1, 2]
