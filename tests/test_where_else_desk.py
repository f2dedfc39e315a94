"""Where else a case's credentials would count, on the case page and the API: a fixture learner's
recognition case (ENIC policy) whose left-over credentials meet rules of the organisation's second
policy (the university's); worked out once through the desk's evaluator, then kept."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.desk import admin as desk_admin
from models.desk import cases as desk
from tests.desk_builders import ENGINE, case_data
from tests.web_fixtures import Browser, build_app


class Counting:
    """The desk's evaluator, counting the evaluations asked of it."""

    def __init__(self) -> None:
        self.calls = 0

    def evaluate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return ENGINE.evaluate(*args, **kwargs)


@pytest.fixture()
def world(tmp_path):
    built = build_app(tmp_path)
    counting = Counting()
    built.app.extensions["credstack_evaluator"] = counting
    db = built.db()
    case = desk.open_case(db, built.a.officer, case_data("amira-haddad", "admission"))
    fresh = desk.open_case(db, built.a.officer, case_data("elin-johansson", "admission"))
    desk.evaluate_case(db, built.a.officer, case.id, ENGINE)
    _, token = desk_admin.issue_api_token(db, built.a.viewer, "viewer token")
    _, b_token = desk_admin.issue_api_token(db, built.b.admin, "beta token")
    db.close()
    return {"desk": built, "case": case, "fresh": fresh, "evaluator": counting,
            "token": token, "b_token": b_token}  # fmt: skip


def login(world, role: str = "officer") -> Browser:
    browser = Browser(world["desk"].app.test_client())
    assert browser.login(getattr(world["desk"].a, role).email).status_code == 303
    return browser


def section(body: str) -> str:
    found = re.search(r'<section id="where-else".*?</section>', body, re.S)
    assert found, "no where-else section on the case page"
    return found.group(0)


def test_the_case_page_finds_rules_of_a_second_policy_when_asked(world):
    browser = login(world)
    case = world["case"]
    before = section(browser.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "a2, a3, a4, a5" in before  # what the ENIC evaluation leaves over
    assert "Look in the organisation" in before and "Met:" not in before
    assert world["evaluator"].calls == 0  # showing the page works nothing out
    asked = browser.post(f"/cases/{case.id}/where-else")
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith(f"/cases/{case.id}#where-else")
    after = section(browser.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "MSc Data Science: admission and credit for micro-credentials" in after
    assert re.search(
        r"Met:</strong> Credit as a programme elective[^<]*<code>elective-credit", after
    )
    assert "exemption-ds102" in after
    calls = world["evaluator"].calls
    assert calls == 1  # one other policy, evaluated once through the desk's evaluator
    browser.post(f"/cases/{case.id}/where-else")
    assert world["evaluator"].calls == calls  # kept for the evaluation


def test_a_case_not_yet_evaluated_says_so(world):
    body = login(world, "viewer").get(f"/cases/{world['fresh'].id}").get_data(as_text=True)
    assert "Evaluate the case first" in section(body)


def test_the_api_lists_the_targets_met_with_the_credentials_used(world):
    client = world["desk"].app.test_client()
    case = world["case"]
    response = client.get(f"/api/v1/cases/{case.id}/where-else",
                          headers={"Authorization": f"Bearer {world['token']}"})  # fmt: skip
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "found" and body["considered"] == ["a2", "a3", "a4", "a5"]
    (entry,) = body["policies"]
    assert entry["policy"]["id"] == "malarvik-msc-ds-credit"
    met = {o["rule"]: o for o in entry["met"]}
    assert met["elective-credit"]["kind"] == "recognition"
    assert set(met["elective-credit"]["credentials"]) <= {"a2", "a3", "a4", "a5"}
    other = client.get(f"/api/v1/cases/{case.id}/where-else",
                       headers={"Authorization": f"Bearer {world['b_token']}"})  # fmt: skip
    assert other.status_code == 404
    doc = client.get("/api/v1/openapi.json").json
    assert "/api/v1/cases/{case_id}/where-else" in doc["paths"]
