"""The staff pages (admins, their own organisation), the account page of every member of staff
(language, API tokens shown once and stored hashed) and erasing a learner from the case page."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from models.desk import cases as desk
from models.store import database as store
from tests.desk_builders import case_data
from tests.web_fixtures import browsers, build_app

TOKEN_FIELD = re.compile(r'id="new-token" class="secret" value="([^"]+)"')
PASSWORD_FIELD = re.compile(r'id="new-password" class="secret" value="([^"]+)"')


@pytest.fixture
def desk_app(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def browser(desk_app):
    return browsers(desk_app)


def rows(desk_app, sql, params=()):
    db = desk_app.db()
    try:
        return db.conn.execute(sql, params).fetchall()
    finally:
        db.close()


def audit_events(desk_app):
    return [(r[0], r[1], r[2]) for r in rows(desk_app, "SELECT event, subject, details FROM audit")]


def verified(desk_app) -> bool:
    db = desk_app.db()
    try:
        return store.verify_audit(db).ok
    finally:
        db.close()


# ---- the staff pages --------------------------------------------------------------------------


def test_an_admin_sees_their_own_organisation_staff_only(desk_app, browser):
    page = browser(desk_app.a.admin).get("/admin/staff")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "officer@alpha.test" in html and "viewer@alpha.test" in html
    assert "@beta.test" not in html
    assert "Last change" in html and "Reset password" in html
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_only_admins_reach_the_staff_pages(desk_app, browser, role):
    web = browser(getattr(desk_app.a, role))
    assert web.get("/admin/staff").status_code == 403
    target = desk_app.a.officer2.id
    assert web.post(f"/admin/staff/{target}/deactivate").status_code == 403
    assert web.post(f"/admin/staff/{target}/role", {"role": "admin"}).status_code == 403
    assert web.post("/admin/staff", {"email": "x@alpha.test", "display_name": "X",
                                     "role": "admin"}).status_code == 403  # fmt: skip
    nav = web.get("/account").get_data(as_text=True)
    assert 'href="/account"' in nav and 'href="/admin/staff"' not in nav


def test_an_admin_adds_a_member_of_staff_who_logs_in_with_the_password_shown_once(
    desk_app, browser
):
    admin = browser(desk_app.a.admin)
    assert 'href="/admin/staff"' in admin.get("/account").get_data(as_text=True)
    form = {"email": "new.officer@alpha.test", "display_name": "Nova Officer", "role": "officer"}
    page = admin.post("/admin/staff", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    password = PASSWORD_FIELD.search(html).group(1)
    assert len(password) >= 20 and "shown only this once" in html
    stored = rows(desk_app, "SELECT password_hash FROM users WHERE email = ?", [form["email"]])
    assert stored[0][0].startswith("$argon2") and password not in stored[0][0]
    assert password not in admin.get("/admin/staff").get_data(as_text=True)  # never again
    assert browsers(desk_app)().login(form["email"], password).status_code == 303
    created = [e for e in audit_events(desk_app) if e[0] == "user_created"][-1]
    assert password not in str(created) and form["email"] not in str(created)


@pytest.mark.parametrize(
    ("form", "status", "field", "message"),
    [
        ({"email": "not-an-address", "display_name": "X", "role": "officer"}, 422, "email",
         "Give a valid e-mail address."),
        ({"email": "y@alpha.test", "display_name": "", "role": "officer"}, 422, "display_name",
         "Give a name of 1 to 200 characters"),
        ({"email": "y@alpha.test", "display_name": "Y", "role": "boss"}, 422, "role",
         "Choose admin, officer or viewer."),
        ({"email": "officer@beta.test", "display_name": "Y", "role": "viewer"}, 409, "email",
         "exists already"),
    ],
)  # fmt: skip
def test_a_bad_new_member_of_staff_is_refused_beside_the_field(
    desk_app, browser, form, status, field, message
):
    before = rows(desk_app, "SELECT count(*) FROM users")[0][0]
    page = browser(desk_app.a.admin).post("/admin/staff", form)
    html = page.get_data(as_text=True)
    assert page.status_code == status and message in html
    assert 'aria-invalid="true"' in html and 'id="new-password"' not in html
    assert rows(desk_app, "SELECT count(*) FROM users")[0][0] == before


def test_an_admin_changes_a_role_deactivates_reactivates_and_resets_a_password(desk_app, browser):
    a = desk_app.a
    admin = browser(a.admin)
    officer2 = browser(a.officer2)  # logged in: the reset must end this session
    response = admin.post(f"/admin/staff/{a.officer2.id}/role", {"role": "viewer"})
    assert response.status_code == 303
    assert "is now viewer" in admin.get("/admin/staff").get_data(as_text=True)
    assert rows(desk_app, "SELECT role FROM users WHERE id = ?", [a.officer2.id])[0][0] == "viewer"

    page = admin.post(f"/admin/staff/{a.officer2.id}/password")
    password = PASSWORD_FIELD.search(page.get_data(as_text=True)).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    assert officer2.get("/cases").status_code == 303  # the session ended: back to the login
    assert browsers(desk_app)().login(a.officer2.email, password).status_code == 303

    assert admin.post(f"/admin/staff/{a.officer2.id}/deactivate").status_code == 303
    assert browsers(desk_app)().login(a.officer2.email, password).status_code == 401
    assert admin.post(f"/admin/staff/{a.officer2.id}/activate").status_code == 303
    assert browsers(desk_app)().login(a.officer2.email, password).status_code == 303

    events = [e for e in audit_events(desk_app) if e[1] == f"user:{a.officer2.id}"]
    events = [e for e in events if e[0] != "login_failed"]  # the log-in while deactivated
    assert [e[0] for e in events][-4:] == [
        "user_role_changed", "user_password_reset", "user_deactivated", "user_activated"
    ]  # fmt: skip
    assert password not in str(events) and a.officer2.email not in str(events)
    assert verified(desk_app)


def test_an_admin_cannot_change_themselves_nor_leave_the_organisation_without_an_admin(
    desk_app, browser
):
    a = desk_app.a
    admin = browser(a.admin)
    for path, form in [("role", {"role": "viewer"}), ("deactivate", {}), ("password", {})]:
        assert admin.post(f"/admin/staff/{a.admin.id}/{path}", form).status_code == 403
    # a second admin may demote the first, but not the last one standing
    assert admin.post(f"/admin/staff/{a.officer.id}/role", {"role": "admin"}).status_code == 303
    second = browser(a.officer)
    assert second.post(f"/admin/staff/{a.admin.id}/role", {"role": "viewer"}).status_code == 303
    last = second.post(f"/admin/staff/{a.admin.id}/deactivate")
    assert last.status_code == 303  # a viewer now: deactivating them leaves an admin
    page = browsers(desk_app)(a.officer)  # the only admin left
    refused = page.post(f"/admin/staff/{a.officer2.id}/role", {"role": "boss"})
    assert refused.status_code == 422 and "choose admin, officer or viewer" in refused.get_data(
        as_text=True
    )


def test_the_last_active_admin_cannot_be_demoted_by_another_route(desk_app):
    from models.desk import staff as desk_staff
    from models.errors import Conflict

    a = desk_app.a
    db = desk_app.db()
    try:
        with pytest.raises(Conflict, match="no active admin"):
            desk_staff.change_role(db, None, a.admin.id, "viewer", organisation_id=a.id)
        with pytest.raises(Conflict, match="no active admin"):
            desk_staff.deactivate_user(db, None, a.admin.id, organisation_id=a.id)
    finally:
        db.close()


def test_another_organisation_s_staff_cannot_be_changed(desk_app, browser):
    admin_b = browser(desk_app.b.admin)
    target = desk_app.a.officer.id
    for path, form in [("role", {"role": "viewer"}), ("deactivate", {}), ("activate", {}),
                       ("password", {})]:  # fmt: skip
        assert admin_b.post(f"/admin/staff/{target}/{path}", form).status_code == 404
    assert rows(desk_app, "SELECT role, active FROM users WHERE id = ?", [target])[0] == (
        "officer",
        1,
    )


# ---- the account page -------------------------------------------------------------------------


def test_the_account_page_shows_who_you_are(desk_app, browser):
    page = browser(desk_app.a.viewer).get("/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "viewer@alpha.test" in html and "API tokens" in html and "You have no API token" in html
    assert browsers(desk_app)().get("/account").status_code == 303  # anonymous: to the login


def test_a_token_is_shown_once_stored_hashed_and_listed(desk_app, browser):
    web = browser(desk_app.a.officer)
    form = {"name": "nightly import", "scopes": ["read", "decide"], "expires": "30"}
    page = web.post("/account/tokens", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = TOKEN_FIELD.search(html).group(1)
    assert len(token) >= 40 and "shown only this once" in html
    assert token not in page.headers.get("Location", "")
    stored = rows(desk_app, "SELECT token_hash, scopes, expires_at FROM api_tokens")
    assert stored[0][0] == hashlib.sha256(token.encode()).hexdigest()
    assert stored[0][1] == "read decide" and stored[0][2] is not None
    for file in (Path(desk_app.path), Path(desk_app.path + "-wal")):
        assert not file.exists() or token.encode() not in file.read_bytes()
    listed = web.get("/account").get_data(as_text=True)
    assert token not in listed and "nightly import" in listed and "read, decide" in listed
    issued = [e for e in audit_events(desk_app) if e[0] == "api_token_issued"]
    assert token not in str(issued) and '"scopes":["read","decide"]' in issued[-1][2]


@pytest.mark.parametrize(
    ("form", "field_message"),
    [
        ({"name": "", "scopes": ["read"], "expires": "30"}, "Give the token a name"),
        ({"name": "x" * 101, "scopes": ["read"], "expires": "30"}, "Give the token a name"),
        ({"name": "ok", "expires": "30"}, "Choose read, decide or both."),
        ({"name": "ok", "scopes": ["write"], "expires": "30"}, "Choose read, decide or both."),
        ({"name": "ok", "scopes": ["read"], "expires": "3650"}, "listed expiry periods"),
        ({"name": "ok", "scopes": ["read"]}, "listed expiry periods"),
        ({"name": "bad\u202ename", "scopes": ["read"], "expires": "90"}, "control characters"),
    ],
)
def test_a_bad_token_form_creates_nothing(desk_app, browser, form, field_message):
    page = browser(desk_app.a.officer).post("/account/tokens", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and field_message in html
    assert 'id="new-token"' not in html
    assert rows(desk_app, "SELECT count(*) FROM api_tokens")[0][0] == 0


def test_revoking_on_the_account_page_touches_only_your_own_tokens(desk_app, browser):
    officer = browser(desk_app.a.officer)
    officer.post("/account/tokens", {"name": "mine", "scopes": ["read"], "expires": "90"})
    token_id = rows(desk_app, "SELECT id FROM api_tokens")[0][0]
    admin = browser(desk_app.a.admin)  # an admin too: the account page is about their own
    assert admin.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert browser(desk_app.b.officer).post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert officer.post(f"/account/tokens/{token_id}/revoke").status_code == 303
    html = officer.get("/account").get_data(as_text=True)
    assert "revoked" in html and "is revoked" in html
    assert rows(desk_app, "SELECT revoked_at IS NOT NULL FROM api_tokens")[0][0] == 1
    assert verified(desk_app)


def test_an_admin_sees_every_token_of_the_organisation_and_revokes_a_leaver_s(desk_app, browser):
    officer = browser(desk_app.a.officer)
    officer.post("/account/tokens", {"name": "nightly export", "scopes": ["read"], "expires": "90"})
    created = officer.post(
        "/account/tokens", {"name": "case sync", "scopes": ["read", "decide"], "expires": "30"}
    )
    token = TOKEN_FIELD.search(created.get_data(as_text=True)).group(1)
    browser(desk_app.b.officer).post(
        "/account/tokens", {"name": "other organisation", "scopes": ["read"], "expires": "30"}
    )
    api = desk_app.app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/cases", headers=bearer).status_code == 200
    admin = browser(desk_app.a.admin)
    html = admin.get("/admin/staff").get_data(as_text=True)
    section = html[html.index('id="org-tokens-h"') :]
    assert "nightly export" in section and "case sync" in section
    assert "other organisation" not in html  # another organisation's tokens stay unseen
    assert "Revoke the token case sync of" in section  # the owner is named on the button
    token_id = rows(desk_app, "SELECT id FROM api_tokens WHERE name = 'case sync'")[0][0]
    for outsider in (desk_app.a.officer, desk_app.b.admin):  # not an admin, or not theirs
        answer = browser(outsider).post(f"/admin/tokens/{token_id}/revoke")
        assert answer.status_code in (403, 404)
    assert api.get("/api/v1/cases", headers=bearer).status_code == 200
    revoked = admin.post(f"/admin/tokens/{token_id}/revoke")
    assert revoked.status_code == 303 and "org-tokens-h" in revoked.headers["Location"]
    assert api.get("/api/v1/cases", headers=bearer).status_code == 401
    after = admin.get("/admin/staff").get_data(as_text=True)
    assert f"Token {token_id} is revoked" in after
    states = rows(desk_app, "SELECT name, revoked_at IS NOT NULL FROM api_tokens ORDER BY id")
    assert states == [("nightly export", 0), ("case sync", 1), ("other organisation", 0)]
    revocations = [e for e in audit_events(desk_app) if e[0] == "api_token_revoked"]
    assert [e[1] for e in revocations] == [f"api_token:{token_id}"]
    assert verified(desk_app)


def test_the_language_is_stored_on_the_user(desk_app, browser):

    web = browser(desk_app.a.officer)
    assert web.post("/account/language", {"language": "sv"}).status_code == 303
    assert rows(desk_app, "SELECT language FROM users WHERE id = ?", [desk_app.a.officer.id]) == [
        ("sv",)
    ]
    # a new browser, no cookie, an English browser: the user's own setting wins
    fresh = browsers(desk_app)(desk_app.a.officer)
    html = fresh.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="sv">' in html and "API-nycklar" in html
    assert web.post("/account/language", {"language": "xx"}).status_code == 303
    assert rows(desk_app, "SELECT language FROM users WHERE id = ?", [desk_app.a.officer.id]) == [
        ("sv",)
    ]
    # the switch on every page stores the choice too
    web.post("/language", {"language": "en", "next": "/account"})
    assert rows(desk_app, "SELECT language FROM users WHERE id = ?", [desk_app.a.officer.id]) == [
        ("en",)
    ]
    assert web.post("/account/language", {"language": ""}).status_code == 303
    assert rows(desk_app, "SELECT language FROM users WHERE id = ?", [desk_app.a.officer.id]) == [
        (None,)
    ]


# ---- erasing a learner from the case page -----------------------------------------------------


@pytest.fixture
def case_id(desk_app):
    db = desk_app.db()
    try:
        return desk.open_case(db, desk_app.a.officer, case_data("farid-rahimi", "admission")).id
    finally:
        db.close()


def learner_row(desk_app, case_id):
    return rows(
        desk_app,
        "SELECT l.display_name, l.external_id, l.erased_at FROM learners l JOIN cases c "
        "ON c.learner_key = l.key AND c.organisation_id = l.organisation_id WHERE c.id = ?",
        [case_id],
    )[0]


def test_an_admin_erases_the_learner_from_the_case_page(desk_app, browser, case_id):
    name, own_id, _ = learner_row(desk_app, case_id)
    admin = browser(desk_app.a.admin)
    page = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Erase the learner" in page and own_id in page

    wrong = admin.post(f"/cases/{case_id}/erase-learner", {"reference": "not-the-id"})
    assert wrong.status_code == 422 and "Nothing was erased" in wrong.get_data(as_text=True)
    assert learner_row(desk_app, case_id)[2] is None

    done = admin.post(f"/cases/{case_id}/erase-learner", {"reference": own_id})
    assert done.status_code == 303
    after = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "identity erased" in after and name not in after and own_id not in after
    assert learner_row(desk_app, case_id)[:2] == (None, None)
    entry = [e for e in audit_events(desk_app) if e[0] == "learner_erased"]
    assert len(entry) == 1 and name not in str(entry) and own_id not in str(entry)
    assert entry[0][1].startswith("learner:")
    assert verified(desk_app)


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_only_an_admin_may_erase(desk_app, browser, case_id, role):
    _, own_id, _ = learner_row(desk_app, case_id)
    web = browser(getattr(desk_app.a, role))
    assert "Erase the learner" not in web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert web.post(f"/cases/{case_id}/erase-learner", {"reference": own_id}).status_code == 403
    assert learner_row(desk_app, case_id)[2] is None
    assert (
        browser(desk_app.b.admin)
        .post(f"/cases/{case_id}/erase-learner", {"reference": own_id})
        .status_code
        == 404
    )
    assert learner_row(desk_app, case_id)[2] is None
