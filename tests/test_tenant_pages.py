"""The cross-organisation matrix of the pages: every page route × verb of `app.url_map`, called by
users of organisation B with the ids of organisation A's objects, is 404 or 403 and shows none of
A's data; routes without ids act in B's own organisation and show none of A's data either. A's
rows are unchanged afterwards. The route list comes from the app itself, so a new page route is
in the matrix the moment it exists (a new kind of id fails the test until the matrix knows it).

Also generated from the url map: every unsafe page route refuses a missing CSRF token (400).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from app import create_app
from models.desk import admin as desk_admin
from models.desk import cases as desk_ops
from models.desk import drafts as desk_drafts
from models.desk import impact as desk_impact
from models.desk import issued_credentials as issued
from models.desk import letters as desk_letters
from models.store import database as store
from tests.desk_builders import ENGINE, case_data, wallet
from tests.test_impact_pages import inline_runner
from tests.web_fixtures import Browser, Desk, build_app

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
A_SECRET = "ALPHA-ONLY-JUSTIFICATION-7c1e"
ROLES = ("officer", "admin")


def page_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, method, arguments) of every page route: all but the JSON API and static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(found)


ROUTES = page_routes(create_app({"TESTING": True, "DATABASE": ":memory:"}))
MATRIX = [(role, *route) for role in ROLES for route in ROUTES]


@dataclass
class World:
    desk: Desk
    ids: dict[str, str]
    markers: list[str]
    b_case: int


def a_rows(world: World) -> dict[str, int]:
    """What organisation A has stored: must not change while B pokes at it."""
    db = world.desk.db()
    org = world.desk.a.id
    try:
        queries = {
            "audit": ("SELECT count(*) FROM audit WHERE organisation_id = ?", [org]),
            "cases": ("SELECT count(*) FROM cases WHERE organisation_id = ?", [org]),
            "decisions": ("SELECT count(*) FROM decisions WHERE organisation_id = ?", [org]),
            "policies": ("SELECT count(*) FROM policies WHERE organisation_id = ?", [org]),
            "events": (
                "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                "WHERE c.organisation_id = ?",
                [org],
            ),
            # Staff and their tokens: role, status, password and language of every account,
            # the tokens' revocation, the learners' erasure.
            "staff": (
                "SELECT group_concat(id || role || active || password_hash || "
                "coalesce(language, '-'), ',') FROM users WHERE organisation_id = ?",
                [org],
            ),
            "tokens": (
                "SELECT group_concat(t.id || coalesce(t.revoked_at, '-'), ',') FROM api_tokens t "
                "JOIN users u ON u.id = t.user_id WHERE u.organisation_id = ?",
                [org],
            ),
            "erased": (
                "SELECT count(*) FROM learners WHERE organisation_id = ? AND erased_at IS NOT NULL",
                [org],
            ),
            # Drafts: their text, last change, deletion and publication.
            "drafts": (
                "SELECT group_concat(id || text || updated_at || coalesce(deleted_at, '-') || "
                "coalesce(published_policy, '-'), ',') FROM policy_drafts "
                "WHERE organisation_id = ?",
                [org],
            ),
        }
        return {k: db.conn.execute(q, p).fetchone()[0] for k, (q, p) in queries.items()}
    finally:
        db.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    built = build_app(tmp_path_factory.mktemp("tenants"), four_eyes=True)
    a = built.a
    db = store.open_db(built.path)
    try:
        decided = desk_ops.open_case(db, a.officer, case_data("farid-rahimi", "admission"))
        evaluation = desk_ops.evaluate_case(db, a.officer, decided.id, ENGINE)
        first = desk_ops.decide(
            db,
            a.officer,
            decided.id,
            {"action": "accept", "justification": A_SECRET, "idempotency_key": "alpha-key-1"},
        )
        desk_ops.confirm(db, a.officer2, first.id)
        letter = desk_letters.issue_letter(
            db, a.officer, first.id, language="en", purpose="decision", pdf=b"%PDF-1.7 A's letter"
        )
        outcome = next(
            e.rule
            for e in desk_letters.letter_content(db, a.officer, decided.id).elements
            if e.favourable
        )
        credential = issued.issue_credential(db, a.officer, first.id, outcome,
                                             issued.load_issuer_key(None))  # fmt: skip
        pending_case = desk_ops.open_case(db, a.officer, case_data("greta-nowak", "admission"))
        desk_ops.evaluate_case(db, a.officer, pending_case.id, ENGINE)
        pending = desk_ops.decide(
            db,
            a.officer,
            pending_case.id,
            {"action": "accept", "justification": A_SECRET, "idempotency_key": "alpha-key-2"},
        )
        b_case = desk_ops.open_case(db, built.b.officer, case_data("ines-ferreira", "employment"))
        policy = desk_admin.get_policy(db, a.admin, decided.policy_id, decided.policy_version)
        a_token, _ = desk_admin.issue_api_token(db, a.officer, "alpha token")
        # A's draft, and A's impact report that lists the decided case (a rule added).
        draft = desk_drafts.new_draft(db, a.admin, based_on=(policy.policy_id, policy.version))
        changed = json.loads(json.dumps(dict(policy.document)))
        changed["recognition"].append({**changed["recognition"][0], "id": "alpha-added-rule"})
        report = desk_impact.start_report(db, a.admin, {**changed, "version": "alpha-2"}, "x")
    finally:
        db.close()
    runner = inline_runner(built.path)
    runner.wake()
    runner.join(30)
    ids = {
        "case_id": str(decided.id),
        "decision_id": str(pending.id),
        "policy_id": decided.policy_id,
        "letter_id": str(letter.id),
        "credential_id": str(credential.id),
        "version": decided.policy_version,
        "user_id": str(a.officer.id),  # an officer: B's admin must not touch A's staff
        "token_id": str(a_token),
        "draft_id": str(draft.id),
        "report_id": str(report.id),
    }
    markers = [
        "Farid Rahimi", "demo-learner-006", "Greta", A_SECRET, "alpha-key",
        a.officer.email, a.officer2.email, evaluation.fingerprint, policy.digest,
        "Recognition of foreign micro-credentials", "Zuiderzee",  # (B may echo ids it typed)
    ]  # fmt: skip
    return World(built, ids, markers, b_case.id)


def url_for_a(world: World, rule: str, arguments: tuple[str, ...]) -> str:
    unknown = set(arguments) - set(world.ids)
    assert not unknown, f"{rule}: teach the tenant matrix the id kind(s) {sorted(unknown)}"
    path = rule
    for name in arguments:
        path = path.replace(f"<int:{name}>", world.ids[name]).replace(f"<{name}>", world.ids[name])
    return path


def hostile_form(world: World, rule: str) -> dict[str, str]:
    """A form that would be accepted if the route forgot the organisation: A's case is decided
    (so a correction, a reopening or the letter would go through), A's decision awaits its
    confirmation, and a field that can name an object names A's. Routes it does not know get
    every field at once (rejected as unknown fields, which must not leak either)."""
    policy = f"{world.ids['policy_id']}@{world.ids['version']}"
    wallet_text = json.dumps(wallet("kaito-tanaka"))  # B's own input is echoed back
    forms = {
        "/cases/<int:case_id>/decisions": {
            "action": "accept",
            "justification": "B corrects A's decision",
            "idempotency_key": "alpha-key-2",  # A's key: must not return A's decision
        },
        "/cases/<int:case_id>/evaluate": {},
        "/cases/<int:case_id>/evidence": {"wallet_text": wallet_text},
        "/cases/<int:case_id>/reopen": {"reason": "B reopens", "appeal": "yes"},
        "/decisions/<int:decision_id>/confirm": {"idempotency_key": "b-confirms"},
        "/decisions/<int:decision_id>/return": {"reason": "B returns A's decision"},
        "/cases/<int:case_id>/assign": {"officer": "me"},
        "/policies/<policy_id>/<version>/try": {"as_of": "2026-09-01", "wallet_text": wallet_text},
        "/cases/new": {
            "purpose": "admission",
            "application_date": "2026-09-01",
            "received_on": "2026-09-01",
            "policy": policy,
            "wallet_text": wallet_text,
        },
        # Not a whole policy: publishing A's policy id in B would be B's own, legitimately.
        "/policies/new": {"document_text": f"id: {world.ids['policy_id']}\n"},
        "/login": {"email": "nobody@elsewhere.test", "password": "guess guess guess"},
        "/admin/staff/<int:user_id>/role": {"role": "viewer"},
        "/cases/<int:case_id>/erase-learner": {"reference": "demo-learner-006"},
        # B's own account: a token created, a language chosen; A's rows stay as they are.
        "/account/tokens": {"name": "B's token", "scopes": "decide", "expires": "30"},
        "/account/language": {"language": "sv"},
        "/logout": {},
        "/decisions/<int:decision_id>/letters": {"language": "sv"},
        "/decisions/<int:decision_id>/credentials": {"outcome": "foreign-data-analysis"},
        "/cases/<int:case_id>/address": {"address": "B writes A's address"},
        "/organisation": {"name": "Renamed by B", "signatory_name": "B's signatory"},
        # Drafts: B starting one from A's version (its own organisation has none of that id),
        # and checking, saving, publishing and deleting A's draft.
        "/policies/drafts": {"start": "copy", "based_on": policy},
        "/policies/drafts/<int:draft_id>/check": {"text": "id: b-checks\n"},
        "/policies/drafts/<int:draft_id>/save": {"text": "id: b-overwrites\n"},
        "/policies/drafts/<int:draft_id>/publish": {"text": "id: b-publishes\n"},
        "/policies/drafts/<int:draft_id>/delete": {},
    }
    if rule in forms:
        return forms[rule]
    return {k: v for form in forms.values() for k, v in form.items()}


def test_the_matrix_covers_every_page_route():
    covered = {(rule, method) for rule, method, _ in ROUTES}
    assert ("/cases/<int:case_id>/decisions", "POST") in covered
    assert ("/policies/<policy_id>/<version>", "GET") in covered
    assert len(ROUTES) >= 20, ROUTES
    print(f"tenant matrix: {len(ROUTES)} page routes × verbs, {len(MATRIX)} calls with roles")


@pytest.mark.parametrize(("role", "rule", "method", "arguments"), MATRIX)
def test_organisation_b_cannot_reach_organisation_a(world, role, rule, method, arguments):
    before = a_rows(world)
    browser = Browser(world.desk.app.test_client())
    assert browser.login(getattr(world.desk.b, role).email).status_code == 303
    path = url_for_a(world, rule, arguments)
    if method == "GET":
        response = browser.get(path)
    else:
        response = browser.post(path, hostile_form(world, rule))
    body = response.get_data(as_text=True)
    if arguments:
        assert response.status_code in (403, 404), (method, path, response.status_code)
    else:
        assert response.status_code < 500, (method, path, response.status_code)
    leaked = [m for m in world.markers if m in body]
    assert leaked == [], (method, path, leaked)
    location = response.headers.get("Location", "")
    assert not any(m in location for m in world.markers)
    assert a_rows(world) == before


@pytest.mark.parametrize(("rule", "arguments"), [(r, a) for r, m, a in ROUTES if m == "GET" and a])
def test_the_same_ids_do_open_for_organisation_a(world, rule, arguments):
    """The control: the ids are real, so B's 404s come from the scoping, not from typos."""
    browser = Browser(world.desk.app.test_client())
    admin_only = rule.startswith(("/policies/impact", "/policies/drafts")) or rule.endswith(
        "/impact"
    )  # impact reports and drafts are an admin's
    browser.login((world.desk.a.admin if admin_only else world.desk.a.viewer).email)
    response = browser.get(url_for_a(world, rule, arguments))
    assert response.status_code == 200, (rule, response.status_code)


@pytest.mark.parametrize(("rule", "arguments"), [(r, a) for r, m, a in ROUTES if m == "POST"])
def test_every_unsafe_page_route_needs_a_csrf_token(world, rule, arguments):
    before = a_rows(world)
    browser = Browser(world.desk.app.test_client())
    browser.login(world.desk.a.officer.email)
    path = url_for_a(world, rule, arguments)
    response = browser.client.post(path, data=hostile_form(world, rule))
    assert response.status_code == 400, (path, response.status_code)
    assert "security token" in response.get_data(as_text=True)
    assert a_rows(world) == before


def test_the_markers_are_on_organisation_a_pages(world):
    """The control for the leak check: A's own pages do show what B must never see."""
    browser = Browser(world.desk.app.test_client())
    browser.login(world.desk.a.viewer.email)
    ids = world.ids
    pages = [
        f"/cases/{ids['case_id']}",
        f"/cases/{ids['case_id']}/letter",
        f"/policies/{ids['policy_id']}/{ids['version']}",
    ]
    seen = "".join(browser.get(path).get_data(as_text=True) for path in pages)
    shown = [m for m in world.markers if m in seen]
    assert len(shown) >= 7, shown
