"""The cross-organisation matrix of the JSON API: every route and verb in `app.url_map` under /api/,
called by each member of organisation B (admin, officer, viewer) with the ids of organisation A's
objects, answers 404 or 403 (never 2xx on A's objects), leaks nothing of A in its body, and writes
nothing of A's.

The table of requests must name every API route and verb exactly: a new route fails
`test_the_matrix_covers_every_api_route_and_verb` until it is added here.
"""

from __future__ import annotations

import pytest

from app import create_app
from models.desk import admin as desk_admin
from models.desk import batches as desk_batches
from models.desk import cases as desk
from models.store import database as store
from tests.api_fixtures import Tenant, evaluated_credit_case, policy_variant, tenant
from tests.desk_builders import ENGINE, ENIC, case_data, wallet

SECRET_TITLE = "Alpha's unpublished admissions rule (secret title)"
SECRET_JUSTIFICATION = "ALPHA-ONLY justification: the applicant's thesis covers the gap"
ROLES = ("admin", "officer", "viewer")
MISSING = {"case_id": 999_999, "evaluation_id": 999_998, "decision_id": 999_997,
           "policy_id": "no-such-policy", "version": "0", "name": "swagger-ui.css",
           "batch_id": 999_996}  # fmt: skip
IDS = {403, 404}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("tenants") / "tenants.sqlite"
    db = store.open_db(path)
    a = tenant(db, "alpha", four_eyes=True)
    b = tenant(db, "beta")
    policy = desk_admin.publish_policy(
        db, a.org.admin, policy_variant(ENIC, id="alpha-secret-policy", title=SECRET_TITLE)
    )
    case = evaluated_credit_case(db, a)  # amira-haddad: only organisation A knows her
    data = {"action": "accept", "justification": SECRET_JUSTIFICATION,
            "idempotency_key": "shared-key"}  # fmt: skip
    decision = desk.decide(db, a.org.officer, case.id, data)  # awaits a second officer
    evaluation_id = db.conn.execute(
        "SELECT id FROM evaluations WHERE case_id = ?", [case.id]
    ).fetchone()[0]
    own_case = evaluated_credit_case(db, b, "bjorn-lindqvist")
    last_hash = db.conn.execute(
        "SELECT hash FROM audit WHERE organisation_id = ? ORDER BY seq DESC LIMIT 1", [a.org.id]
    ).fetchone()[0]
    fingerprint = db.conn.execute(
        "SELECT fingerprint FROM evaluations WHERE id = ?", [evaluation_id]
    ).fetchone()[0]
    secrets = {
        case.learner_key, "Amira Haddad", "demo-learner-001", SECRET_TITLE,
        SECRET_JUSTIFICATION, policy.digest, last_hash, fingerprint, "alpha.test", "Alpha (test)",
    }  # fmt: skip
    batch = desk_batches.create_batch(
        db, a.org.officer,
        {"policy": {"id": "alpha-secret-policy", "version": policy.version},
         "as_of": None, "wallets": [wallet("amira-haddad")]},
        path.parent / "batches",
    )  # fmt: skip
    ids = {
        "case_id": case.id, "evaluation_id": evaluation_id, "decision_id": decision.id,
        "policy_id": "alpha-secret-policy", "version": policy.version, "name": "swagger-ui.css",
        "batch_id": batch.id,
    }  # fmt: skip
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    app.extensions["credstack_evaluator"] = ENGINE
    yield {"db": db, "a": a, "b": b, "ids": ids, "secrets": secrets, "app": app,
           "own_case": own_case, "decision": decision}  # fmt: skip
    db.close()


def requests_for(ids: dict, b_case: int) -> dict[tuple[str, str], tuple[object, set[int] | dict]]:
    """(endpoint, method) → (JSON body or None, expected statuses: a set, or one per role)."""
    a_policy = {"id": ids["policy_id"], "version": ids["version"]}
    officer_only = {"admin": {403}, "officer": {404}, "viewer": {403}}
    ok = {200}
    return {
        ("api_v1.me", "GET"): (None, ok),
        ("api_v1.evaluate", "POST"): (
            {"policy": a_policy, "wallet": wallet("amira-haddad"), "as_of": "2026-09-01"}, {404}),
        ("api_v1.list_policies", "GET"): (None, ok),
        ("api_v1.list_policy_versions", "GET"): (None, {404}),
        ("api_v1.get_policy_version", "GET"): (None, {404}),
        # Policy ids are per organisation: B may publish the same id; A's must not show through.
        ("api_v1.publish_policy", "POST"): (
            policy_variant(ENIC, id=ids["policy_id"], title="Beta's own"),
            {"admin": {200, 201}, "officer": {403}, "viewer": {403}}),
        ("api_v1.verify_audit", "GET"): (None, ok),
        ("api_v1.audit_entries", "GET"): (None, ok),
        # A's policy named in the body of a new case: refused as input (422), or by role. (The
        # purpose does not fit it either, so this holds once B has published that id too.)
        ("api_v1.create_case", "POST"): (
            case_data("amira-haddad", "credit", policy_id=ids["policy_id"],
                      policy_version=ids["version"]),
            {"admin": {403}, "officer": {422}, "viewer": {403}}),
        ("api_v1.list_cases", "GET"): (None, ok),
        ("api_v1.get_case", "GET"): (None, {404}),
        ("api_v1.add_evidence", "POST"): ({"wallet": wallet("amira-haddad")}, officer_only),
        ("api_v1.reopen_case", "POST"): ({"reason": "appeal"}, officer_only),
        ("api_v1.replay_case", "GET"): (None, {404}),
        ("api_v1.case_where_else", "GET"): (None, {404}),
        ("api_v1.create_evaluation", "POST"): (None, officer_only),
        ("api_v1.list_evaluations", "GET"): (None, {404}),
        ("api_v1.get_evaluation", "GET"): (None, {404}),
        ("api_v1.create_decision", "POST"): (
            {"action": "accept", "justification": "x"}, officer_only),
        ("api_v1.list_decisions", "GET"): (None, {404}),
        ("api_v1.get_decision", "GET"): (None, {404}),
        ("api_v1.get_decision_credential", "GET"): (None, {404}),
        ("api_v1.get_decision_letter", "GET"): (None, {404}),
        ("api_v1.create_batch", "POST"): (
            {"policy": a_policy, "wallets": [wallet("amira-haddad")]},
            {"admin": {404}, "officer": {404}, "viewer": {403}}),
        ("api_v1.list_batches", "GET"): (None, ok),
        ("api_v1.get_batch", "GET"): (None, {404}),
        ("api_v1.batch_results", "GET"): (None, {404}),
        ("api_docs.openapi", "GET"): (None, ok),
        ("api_docs.docs", "GET"): (None, ok),
        ("api_docs.docs_asset", "GET"): (None, ok),
    }  # fmt: skip


def api_routes(app) -> dict[tuple[str, str], str]:
    """(endpoint, method) → URL rule, for every route under /api/."""
    return {
        (rule.endpoint, method): rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }


def fill(rule: str, ids: dict) -> str:
    url = rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in url, f"no id for a parameter of {rule}: add it to the world's ids"
    return url


def _title(response) -> str | None:
    body = response.json if response.is_json else None
    return body["error"]["title"] if isinstance(body, dict) and "error" in body else None


def test_the_matrix_covers_every_api_route_and_verb(world):
    routes = api_routes(world["app"])
    assert set(requests_for(world["ids"], 0)) == set(routes)


def a_rows(db: store.DB, org_id: int) -> dict[str, int]:
    tables = {
        "audit": "organisation_id = ?",
        "policies": "organisation_id = ?",
        "cases": "organisation_id = ?",
        "decisions": "organisation_id = ?",
        "learners": "organisation_id = ?",
        "evaluations": "case_id IN (SELECT id FROM cases WHERE organisation_id = ?)",
        "case_events": "case_id IN (SELECT id FROM cases WHERE organisation_id = ?)",
        "case_snapshots": "case_id IN (SELECT id FROM cases WHERE organisation_id = ?)",
        "batches": "organisation_id = ?",
    }
    return {
        table: db.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", [org_id]).fetchone()[
            0
        ]
        for table, where in tables.items()
    }


def test_organisation_b_cannot_reach_organisation_a(world):
    db, a, b, ids = world["db"], world["a"], world["b"], world["ids"]
    client = world["app"].test_client()
    table = requests_for(ids, world["own_case"].id)
    absent = requests_for(MISSING, world["own_case"].id)
    before = a_rows(db, a.org.id)
    failures, calls = [], 0
    for (endpoint, method), rule in sorted(api_routes(world["app"]).items()):
        body, expected = table[(endpoint, method)]
        for role in ROLES:
            want = expected[role] if isinstance(expected, dict) else expected
            response = client.open(fill(rule, ids), method=method, json=body, headers=b.auth(role))
            text = response.get_data(as_text=True)
            leaked = sorted(s for s in world["secrets"] if s in text)
            # The same request with ids that exist nowhere: A's ids must look just as absent.
            other_body = absent[(endpoint, method)][0]
            other = client.open(
                fill(rule, MISSING), method=method, json=other_body, headers=b.auth(role)
            )
            calls += 2
            oracle = (response.status_code, _title(response)) != (other.status_code, _title(other))
            if response.status_code not in want or leaked or oracle:
                failures.append((method, rule, role, response.status_code, other.status_code,
                                 leaked, text[:200]))  # fmt: skip
            response.close()
            other.close()
    assert failures == []
    assert a_rows(db, a.org.id) == before  # nothing of A's written, not even an audit entry
    assert store.verify_audit(db).ok
    print(
        f"\ntenant matrix: {len(table)} routes x verbs x {len(ROLES)} roles of B, {calls} requests "
        "(A's ids, and ids that exist nowhere): 0 leaks, A's ids indistinguishable from absent"
    )


def test_b_cannot_confirm_a_decision_of_a_through_its_own_case(world):
    db, a, b = world["db"], world["a"], world["b"]
    client = world["app"].test_client()
    url = f"/api/v1/cases/{world['own_case'].id}/decisions"
    confirm = {"action": "confirm", "decision_id": world["decision"].id}
    before = a_rows(db, a.org.id)
    response = client.post(url, json=confirm, headers=b.auth("officer"))
    assert response.status_code == 404
    assert not any(s in response.get_data(as_text=True) for s in world["secrets"])
    assert a_rows(db, a.org.id) == before


def test_an_idempotency_key_of_a_does_not_return_a_decision_of_a(world: dict) -> None:
    b: Tenant = world["b"]
    client = world["app"].test_client()
    url = f"/api/v1/cases/{world['own_case'].id}/decisions"
    body = {"action": "accept", "justification": "Beta's own reasons"}
    response = client.post(
        url, json=body, headers=b.auth("officer", **{"Idempotency-Key": "shared-key"})
    )
    assert response.status_code == 201, response.json
    assert response.json["id"] != world["decision"].id
    assert response.json["case_id"] == world["own_case"].id
    assert not any(s in response.get_data(as_text=True) for s in world["secrets"])


def test_b_lists_show_nothing_of_a(world):
    b = world["b"]
    client = world["app"].test_client()
    cases = client.get("/api/v1/cases?limit=1000", headers=b.auth("viewer")).json
    assert {item["case"]["id"] for item in cases["items"]} == {world["own_case"].id}
    policies = client.get("/api/v1/policies", headers=b.auth("viewer")).json
    assert SECRET_TITLE not in {p["title"] for p in policies}
    entries = client.get("/api/v1/audit?limit=1000", headers=b.auth("viewer")).json
    own = (
        world["db"]
        .conn.execute("SELECT count(*) FROM audit WHERE organisation_id = ?", [b.org.id])
        .fetchone()[0]
    )
    assert len(entries) == own
