"""Login throttling in the database (issue 10, item 4): failures counted once across server
processes and restarts, growing waits for the guessing address only, a short capped wait for an
account under attack that never locks its owner out, and the admin page and command that show
and clear throttles, audited without e-mail or network addresses."""

from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner

from app import create_app
from models.desk import logins
from models.store import database as store
from tests.desk_builders import ENGINE
from tests.web_fixtures import Browser, build_app
from views.cli.main import cli

WRONG = "wrong password!!"
GUESSER, OWNER = "203.0.113.7", "198.51.100.20"


def browser_at(app, address: str) -> Browser:
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def entries(desk, event: str) -> list:
    db = desk.db()
    try:
        return [e for e in store.audit_entries(db) if e.event == event]
    finally:
        db.close()


def audit_dump(desk) -> str:
    db = desk.db()
    try:
        rows = db.conn.execute("SELECT subject, details FROM audit").fetchall()
        return "\n".join(f"{subject} {details}" for subject, details in rows)
    finally:
        db.close()


def fail_until_refused(browser: Browser, email: str, limit: int = 30) -> int:
    """Wrong passwords until the first 429; the number of attempts checked (401) before it."""
    for checked in range(limit):
        response = browser.login(email, WRONG)
        if response.status_code == 429:
            return checked
        assert response.status_code == 401
    raise AssertionError("never throttled")


# ---- the numbers -------------------------------------------------------------------------------


def test_waits_double_from_the_free_count_up_to_the_cap():
    waits = [logins.delay(n, 5, 1.0, 300.0) for n in range(1, 16)]
    assert waits[:4] == [0.0] * 4
    assert waits[4:13] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert waits[13:] == [300, 300]
    settings = logins.ThrottleSettings.from_config({"LOGIN_THROTTLE_PER_PAIR": "7"})
    assert settings.per_pair == 7 and settings.window == 900 and settings.account_max_delay == 4


def test_an_ipv6_client_counts_as_its_64_network():
    assert logins.client_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert logins.client_address("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert logins.client_address("::ffff:192.0.2.1") == "192.0.2.1"
    assert logins.client_address("192.0.2.1") == "192.0.2.1"


# ---- the guessing address waits; nobody else does ----------------------------------------------


def test_a_guessing_address_gets_429_with_retry_after_and_the_owner_elsewhere_gets_in(tmp_path):
    desk = build_app(tmp_path)
    guesser = browser_at(desk.app, GUESSER)
    assert fail_until_refused(guesser, desk.a.officer.email) == 5
    refused = guesser.login(desk.a.officer.email)  # the right password: not checked now
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed attempts" in text(refused)
    assert len(entries(desk, "login_failed")) == 5  # a refused attempt checks nothing
    owner = browser_at(desk.app, OWNER)
    assert owner.login(desk.a.officer.email).status_code == 303
    assert browser_at(desk.app, GUESSER).login(desk.a.viewer.email).status_code == 303


def test_the_wait_doubles_after_each_further_failure(tmp_path):
    desk = build_app(tmp_path)
    guesser = browser_at(desk.app, GUESSER)
    assert fail_until_refused(guesser, desk.a.officer.email) == 5
    time.sleep(1.05)
    assert guesser.login(desk.a.officer.email, WRONG).status_code == 401
    again = guesser.login(desk.a.officer.email)
    assert again.status_code == 429 and again.headers["Retry-After"] == "2"


def test_an_unknown_e_mail_address_is_throttled_alike_and_kept_only_as_a_hash(tmp_path):
    desk = build_app(tmp_path)
    replies = []
    for n, email in enumerate((desk.a.officer.email, "nobody@alpha.test")):
        guesser = browser_at(desk.app, f"192.0.2.{n}")
        assert fail_until_refused(guesser, email) == 5
        refused = guesser.login(email, WRONG)
        replies.append((refused.status_code, refused.headers.get("Retry-After"), text(refused)))
    assert replies[0][:2] == replies[1][:2] == (429, "1")  # the reply tells no account apart
    assert replies[1][2] == replies[0][2].replace(desk.a.officer.email, "nobody@alpha.test")
    db = desk.db()
    try:
        assert "nobody@alpha.test" not in "\n".join(db.conn.iterdump())
        accounts = {a for (a,) in db.conn.execute("SELECT account FROM login_failures")}
    finally:
        db.close()
    assert len(accounts) == 2 and f"user:{desk.a.officer.id}" in accounts
    assert any(re.fullmatch("email:[0-9a-f]{16}", a) for a in accounts)


def test_counts_survive_a_restart(tmp_path):
    desk = build_app(tmp_path)
    assert fail_until_refused(browser_at(desk.app, GUESSER), desk.a.officer.email) == 5
    restarted = create_app(dict(desk.app.config))
    restarted.extensions["credstack_evaluator"] = ENGINE
    assert browser_at(restarted, GUESSER).login(desk.a.officer.email).status_code == 429


def test_an_account_many_addresses_fail_on_makes_every_address_wait_a_few_seconds_at_most(
    tmp_path,
):
    desk = build_app(
        tmp_path,
        LOGIN_THROTTLE_PER_ACCOUNT=2,
        LOGIN_THROTTLE_FIRST_DELAY=0.25,
        LOGIN_THROTTLE_ACCOUNT_MAX_DELAY=0.5,
    )
    email = desk.a.officer.email
    for n in range(2):
        assert browser_at(desk.app, f"192.0.2.{n}").login(email, WRONG).status_code == 401
    for n in range(2, 5):  # each new guessing address is told to wait, then its guess is checked
        guesser = browser_at(desk.app, f"192.0.2.{n}")
        told = guesser.login(email, WRONG)
        assert told.status_code == 429 and told.headers["Retry-After"] == "1"
        assert "every log-in to it waits a few seconds" in text(told)
        time.sleep(0.55)
        assert guesser.login(email, WRONG).status_code == 401
    owner = browser_at(desk.app, OWNER)  # the correct password from a fresh address
    started = time.monotonic()
    told = owner.login(email)
    assert told.status_code == 429 and int(told.headers["Retry-After"]) <= 1
    time.sleep(0.55)
    assert owner.login(email).status_code == 303
    assert time.monotonic() - started < 2
    db = desk.db()
    try:
        delays = [d for (d,) in db.conn.execute("SELECT account_delay FROM login_failures")]
    finally:
        db.close()
    assert max(delays) == 0.5  # capped however many failures
    throttled = entries(desk, "login_throttled")
    assert [(e.organisation_id, e.subject, e.details["kind"]) for e in throttled] == [
        (desk.a.id, f"user:{desk.a.officer.id}", "account")
    ]
    assert email not in audit_dump(desk) and "192.0.2." not in audit_dump(desk)


# ---- admins see and clear their own throttles --------------------------------------------------


@pytest.fixture
def attacked(tmp_path):
    """An address that guessed alpha's officer until throttled, and once at beta's viewer."""
    desk = build_app(tmp_path)
    guesser = browser_at(desk.app, GUESSER)
    assert guesser.login(desk.b.viewer.email, WRONG).status_code == 401
    assert fail_until_refused(guesser, desk.a.officer.email) == 5
    return desk


def admin_browser(desk, user) -> Browser:
    browser = browser_at(desk.app, OWNER)
    assert browser.login(user.email).status_code == 303
    return browser


def test_the_admin_sees_the_throttle_of_their_account_and_clears_it(attacked):
    desk = attacked
    admin = admin_browser(desk, desk.a.admin)
    page = admin.get("/admin/logins")
    assert page.status_code == 200
    shown = text(page)
    assert (
        desk.a.officer.email in shown and GUESSER in shown and "Account from one address" in shown
    )
    key = re.search(r'name="key" value="(pair:[^"]+)"', page.get_data(as_text=True)).group(1)
    assert key.startswith(f"pair:user:{desk.a.officer.id}@") and GUESSER not in key
    assert admin.client.post("/admin/logins/clear", data={"key": key}).status_code == 400  # CSRF
    admin.refresh_token("/admin/logins")
    cleared = admin.post("/admin/logins/clear", {"key": key})
    assert cleared.status_code == 303
    after = admin.get("/admin/logins")
    assert "5 failed log-in(s) no longer count" in text(after) and key not in text(after)
    assert browser_at(desk.app, GUESSER).login(desk.a.officer.email, WRONG).status_code == 401
    [entry] = entries(desk, "login_throttle_cleared")
    assert (entry.organisation_id, entry.actor_id, entry.subject) == (
        desk.a.id, desk.a.admin.id, f"user:{desk.a.officer.id}",
    )  # fmt: skip
    assert entry.details["kind"] == "pair" and entry.details["failures"] == 5
    assert entry.details["address"] == key.rpartition("@")[2]
    [throttled] = [e for e in entries(desk, "login_throttled") if e.details["kind"] == "pair"]
    assert (
        throttled.subject == f"user:{desk.a.officer.id}" and throttled.organisation_id == desk.a.id
    )
    dump = audit_dump(desk)
    assert GUESSER not in dump and desk.a.officer.email not in dump


def test_another_organisation_neither_sees_nor_clears_it(attacked):
    desk = attacked
    key = desk_key(desk)
    other = admin_browser(desk, desk.b.admin)
    page = text(other.get("/admin/logins"))
    assert desk.a.officer.email not in page and GUESSER not in page
    assert "No account of this organisation" in page
    other.refresh_token("/admin/logins")
    assert other.post("/admin/logins/clear", {"key": key}).status_code == 404
    assert browser_at(desk.app, GUESSER).login(desk.a.officer.email).status_code == 429
    assert entries(desk, "login_throttle_cleared") == []
    officer = admin_browser(desk, desk.a.officer)
    assert officer.get("/admin/logins").status_code == 403


def test_an_address_is_shown_with_the_failures_on_the_organisation_s_accounts_only(tmp_path):
    desk = build_app(tmp_path, LOGIN_THROTTLE_PER_ADDRESS=4, LOGIN_THROTTLE_FIRST_DELAY=60)
    guesser = browser_at(desk.app, GUESSER)
    for user in (desk.a.officer, desk.b.viewer, desk.b.officer, desk.b.admin):
        assert guesser.login(user.email, WRONG).status_code == 401
    assert guesser.login(desk.a.viewer.email).status_code == 429
    beta_only = browser_at(desk.app, "192.0.2.99")  # guesses at beta's accounts only
    assert fail_until_refused(beta_only, desk.b.viewer.email) == 4
    db = desk.db()
    try:
        [alpha] = logins.list_throttles(db, desk.a.admin)  # not the address of beta's guesser
        beta = {t.address: t for t in logins.list_throttles(db, desk.b.admin)}.pop(GUESSER)
        assert (alpha.kind, alpha.failures, alpha.address) == ("address", 1, GUESSER)
        assert (beta.kind, beta.failures, beta.key) == ("address", 3, alpha.key)
        assert logins.clear_throttle(db, desk.a.admin, alpha.key) == 1
        assert logins.list_throttles(db, desk.a.admin) == []
        # beta's failures, the fourth of which started the wait, still hold the address back
        assert guesser.login(desk.a.viewer.email).status_code == 429
        assert logins.clear_throttle(db, desk.b.admin, beta.key) == 3
    finally:
        db.close()
    assert guesser.login(desk.a.viewer.email).status_code == 303
    cleared = entries(desk, "login_throttle_cleared")
    assert [(e.organisation_id, e.subject, e.details["failures"]) for e in cleared] == [
        (desk.a.id, alpha.key, 1),
        (desk.b.id, alpha.key, 3),
    ]


def desk_key(desk) -> str:
    db = desk.db()
    try:
        [pair] = [t for t in logins.instance_throttles(db) if t.kind == "pair"]
        return pair.key
    finally:
        db.close()


def test_the_operator_lists_and_clears_throttles_from_the_command_line(attacked):
    desk = attacked
    runner = CliRunner()
    listed = runner.invoke(cli, ["users", "throttles", "--db", desk.path])
    assert listed.exit_code == 0, listed.output
    key = desk_key(desk)
    assert key in listed.output and desk.a.officer.email in listed.output
    bad = runner.invoke(cli, ["users", "throttles", "--db", desk.path, "--clear", "pair:nope"])
    assert bad.exit_code == 2
    cleared = runner.invoke(cli, ["users", "throttles", "--db", desk.path, "--clear", key])
    assert cleared.exit_code == 0 and "5 failed log-in(s)" in cleared.output
    assert key not in runner.invoke(cli, ["users", "throttles", "--db", desk.path]).output
    [entry] = entries(desk, "login_throttle_cleared")
    assert (entry.organisation_id, entry.actor_id, entry.subject) == (
        desk.a.id, None, f"user:{desk.a.officer.id}",
    )  # fmt: skip
    assert browser_at(desk.app, GUESSER).login(desk.a.officer.email).status_code == 303
    verified = runner.invoke(cli, ["audit", "verify", "--db", desk.path])
    assert verified.exit_code == 0, verified.output
