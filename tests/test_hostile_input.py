"""Input a careless user or an attacker sends: row ids SQLite cannot hold, text that is not
Unicode, control and bidirectional-override characters in free text, methods a route does not
take. Each gets a 4xx with a clear message (a non-zero exit on the command line), never a 500 or
a traceback, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.desk import cases as desk
from models.errors import InvalidInput
from rules.characters import unsafe_character
from tests.api_fixtures import (  # noqa: F401 - the fixtures
    alpha_fixture,
    api_app_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
    evaluated_credit_case,
    policy_variant,
)
from tests.desk_builders import count
from views.cli.main import cli

TOO_BIG = [2**63, 2**64, 10**30]


@pytest.mark.parametrize("number", TOO_BIG)
def test_a_row_id_sqlite_cannot_hold_is_not_found(client, alpha, number):
    for url in (f"/api/v1/cases/{number}", f"/api/v1/cases/{number}/replay"):
        response = client.get(url, headers=alpha.auth())
        assert response.status_code == 404, (url, response.get_data(as_text=True))
    assert client.get(f"/cases/{number}").status_code in (302, 404)  # login first, or not found


def test_a_method_a_route_does_not_take_says_which_it_does(client, alpha):
    response = client.delete("/api/v1/evaluate", headers=alpha.auth())
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    page = client.put("/login")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


LONE_SURROGATE = '{"action": "accept", "justification": "ok \\ud800"}'


def test_text_that_is_not_unicode_is_a_bad_request_and_nothing_is_written(client, db, alpha):
    case = evaluated_credit_case(db, alpha)
    before = count(db, "decisions")
    response = client.post(
        f"/api/v1/cases/{case.id}/decisions",
        data=LONE_SURROGATE,
        headers=alpha.auth(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    message = response.json["error"]["message"]
    assert "invalid Unicode at justification" in message and "U+D800" in message
    assert count(db, "decisions") == before


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Approved \u202edesufer", "a right-to-left override, U+202E"),
        ("Approved\x00", "a control character, U+0000"),
        ("bell \x07", "a control character, U+0007"),
        ("isolate \u2067x\u2069", "a right-to-left isolate, U+2067"),
    ],
)
def test_free_text_refuses_control_and_bidi_override_characters(client, db, alpha, text, what):
    case = evaluated_credit_case(db, alpha)
    before = count(db, "decisions")
    body = {"action": "accept", "justification": text}
    response = client.post(f"/api/v1/cases/{case.id}/decisions", json=body, headers=alpha.auth())
    assert response.status_code == 422, response.get_data(as_text=True)
    assert what in response.json["error"]["fields"]["justification"]
    assert count(db, "decisions") == before


def test_line_breaks_tabs_and_right_to_left_marks_stay_allowed():
    assert unsafe_character("Line one\n\tline two\r\n") is None
    assert unsafe_character("\u05e9\u05dc\u05d5\u05dd \u200f(123)") is None  # Hebrew, RLM


def test_a_reopen_reason_with_a_bidi_override_is_refused(db, alpha):
    case = evaluated_credit_case(db, alpha)
    desk.decide(db, alpha.org.officer, case.id, {"action": "accept"})
    with pytest.raises(InvalidInput) as caught:
        desk.reopen_case(db, alpha.org.officer, case.id, "appeal \u202dlodged")
    assert "left-to-right override" in caught.value.fields["reason"]


def test_a_policy_with_text_that_is_not_unicode_is_refused_with_its_path(client, alpha):
    document = policy_variant(title="Recognition \ud800")
    raw = json.dumps(document)  # json escapes the lone surrogate as \\ud800
    response = client.post(
        "/api/v1/policies",
        data=raw,
        headers=alpha.auth("admin", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert "invalid Unicode at title" in response.json["error"]["message"]


def test_the_command_line_refuses_such_a_policy_without_a_traceback(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_variant(title="Credit \ud800")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "check", str(path)])
    assert result.exit_code == 2
    assert "title: contains a lone surrogate (not valid Unicode), U+D800" in result.output
    assert "Traceback" not in result.output
    bidi = tmp_path / "bidi.yaml"
    bidi.write_text('id: x\ntitle: "Credit \\u202e"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "check", str(bidi)])
    assert result.exit_code == 2 and "right-to-left override, U+202E" in result.output


def _too_wide_for_one_fact() -> dict:
    """Valid policy language, but more fields than one engine fact can carry."""
    doc = policy_variant()
    for key in ("recognition", "targets", "equivalences", "exclusions", "examples"):
        doc.pop(key, None)
    doc["elements"] = {f"e{i}": {"type": "decimal"} for i in range(210)}
    doc["criteria"] = [
        {"id": f"k{i}", "title": "K", "about": "each_credential",
         "when": [{"element": f"e{i}", "op": "gte", "value": 1}]}
        for i in range(210)
    ]  # fmt: skip
    return doc


def test_a_policy_the_engine_cannot_run_is_refused_when_checked_and_published(
    client, alpha, tmp_path
):
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(_too_wide_for_one_fact()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "check", str(path)])
    assert result.exit_code == 2 and "the engine cannot run this policy" in result.output
    body = _too_wide_for_one_fact()
    response = client.post("/api/v1/policies", json=body, headers=alpha.auth("admin"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "fact fields" in response.json["error"]["message"]


def test_credentials_the_policy_cannot_read_exit_2_not_as_an_engine_fault(tmp_path):
    root = Path(__file__).resolve().parent.parent / "fixtures"
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"applicant": {"admission_offer": "perhaps"}}), "utf-8")
    result = CliRunner().invoke(cli, [
        "evaluate", "--policy", str(root / "policies" / "university-admissions.yaml"),
        "--wallet", str(root / "learners" / "amira-haddad.json"),
        "--request", str(request), "--as-of", "2026-09-01",
    ])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "applicant.admission_offer" in result.output and "engine error" not in result.output
