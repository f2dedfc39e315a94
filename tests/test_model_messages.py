"""What the desk refuses, it says in the page's language: every message a model error carries
(`NotFound`, `Forbidden`, `Conflict`, `InvalidInput` and their kin) is made with
`models.messages.N_`, so that Babel extracts it and the pages translate it. A literal or an
f-string in such a `raise` would reach a Swedish page in English; this test names each one. The
credential elements a case page heads its columns with are in the page's language too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from models.desk import cases as desk_ops
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.messages import N_, Message
from tests.desk_builders import case_data
from tests.web_fixtures import browsers, build_app

ROOT = Path(__file__).resolve().parent.parent
# `IssuerKeyError` and `AuditKeyError` are not here: they stop the server at start-up over its
# configuration, for whoever runs it, in English like the logs; no page ever shows them.
MODEL_ERRORS = {
    "NotFound", "Forbidden", "Conflict", "InvalidInput", "InvalidDecision", "ModelError",
    "PublishRefused", "Throttled", "BatchNotReady",
}  # fmt: skip


def _untranslatable(node: ast.expr) -> bool:
    """A text written out where a message belongs: a literal, an f-string, or `"…" % x`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and _untranslatable(node.left)


def _messages(call: ast.Call) -> list[ast.expr]:
    """The message arguments of a raised model error: its text, or the values of its fields."""
    found: list[ast.expr] = []
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        found.extend(arg.values if isinstance(arg, ast.Dict) else [arg])
    return found


def _raised_name(node: ast.Raise) -> tuple[str, ast.Call] | None:
    if not isinstance(node.exc, ast.Call):
        return None
    func = node.exc.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return (name, node.exc) if name in MODEL_ERRORS else None


def untranslated_raises() -> list[str]:
    found = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and (raised := _raised_name(node)):
                name, call = raised
                if any(_untranslatable(arg) for arg in _messages(call)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                template = node.args[0] if node.args else None
                if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} N_ of no literal")
    return found


def test_every_message_a_model_error_carries_is_translatable():
    assert untranslated_raises() == []


@pytest.mark.parametrize(
    "text, caught",
    [
        ('raise Conflict("the case is decided")', True),
        ('raise NotFound(f"no case {case_id}")', True),
        ('raise InvalidInput({"reason": "state why"})', True),
        ('raise InvalidInput({"reason": N_("state why")})', False),
        ('raise Forbidden(N_("a %(role)s may not", role=role))', False),
        ('raise ValueError("not a model error")', False),
    ],
)
def test_the_check_tells_literals_from_messages(text, caught, tmp_path):
    tree = ast.parse(text)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.Raise))
    raised = _raised_name(node)
    flagged = raised is not None and any(_untranslatable(a) for a in _messages(raised[1]))
    assert flagged is caught


@pytest.mark.parametrize("kind", [NotFound, Forbidden, Conflict])
def test_a_model_error_keeps_its_message_for_translation(kind):
    message = N_("no case %(case)s", case=7)
    exc = kind(message)
    assert str(exc) == "no case 7"  # the API and the command line read English
    assert isinstance(exc.message, Message) and exc.message.template == "no case %(case)s"


def test_invalid_input_keeps_each_fields_message():
    exc = InvalidInput({"reason": N_("state why the case is reopened")})
    assert isinstance(exc.fields["reason"], Message)
    assert str(exc) == "reason: state why the case is reopened"


SV = {"Accept-Language": "sv"}


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def web(desk):
    return browsers(desk)


def opened_case(desk):
    db = desk.db()
    try:
        return desk_ops.open_case(db, desk.a.officer, case_data("farid-rahimi", "admission"))
    finally:
        db.close()


def test_a_conflict_on_the_case_page_is_in_the_page_language(desk, web):
    case = opened_case(desk)
    browser = web(desk.a.officer)
    page = browser.get(f"/cases/{case.id}", headers=SV).data
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', page).group(1).decode()
    form = {"action": "accept", "justification": "x", "idempotency_key": key}
    english = browser.post(f"/cases/{case.id}/decisions", form)
    swedish = browser.post(f"/cases/{case.id}/decisions", form, headers=SV)
    assert english.status_code == swedish.status_code == 409
    said = "a case that is open cannot take &#39;accept&#39;"
    assert said in english.get_data(as_text=True)
    shown = swedish.get_data(as_text=True)
    assert said not in shown and "&#39;accept&#39;" in shown  # Swedish, the action's code kept


def test_an_error_page_is_in_the_page_language(desk, web):
    browser = web(desk.a.officer)
    page = browser.get("/cases/999999", headers=SV)
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Not found" not in html and "no case 999999" not in html and "999999" in html
    assert "no case 999999" in browser.get("/cases/999999").get_data(as_text=True)


def test_a_credential_s_elements_are_headed_in_the_page_language(desk, web):
    case = opened_case(desk)
    browser = web(desk.a.officer)
    english = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    swedish = browser.get(f"/cases/{case.id}", headers=SV).get_data(as_text=True)
    assert "Country of the issuer" in english and "Awarding body" in english
    assert "Country of the issuer" not in swedish and "Utfärdarens land" in swedish


def test_http_errors_are_in_the_page_language_and_the_api_keeps_its_words(desk, web):
    browser = web(desk.a.officer)
    swedish = browser.get("/no/such/page", headers=SV)
    html = swedish.get_data(as_text=True)
    assert swedish.status_code == 404 and "Not Found" not in html
    assert "Det finns ingen sida på den här adressen" in html
    english = browser.get("/no/such/page").get_data(as_text=True)
    assert "Not Found" in english and "There is no page at this address" in english
    refused = browser.client.post("/cases/new", data={}, headers=SV)  # no CSRF token
    assert refused.status_code == 400 and "CSRF-skydd" in refused.get_data(as_text=True)
    api = desk.app.test_client().get("/api/v1/no-such-thing", headers=SV)
    assert api.status_code == 404 and api.get_json()["error"]["title"] == "Not Found"
