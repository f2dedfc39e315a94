"""A policy that translates its own texts is read in the page's language on the pages about it:
the case page under the case's version and the policy page show the policy's title, its rules'
titles and what a credential is recognised as in Swedish on a Swedish page, and as written on an
English one. A text the policy does not translate stays as written."""

from __future__ import annotations

import copy

import pytest

from models.desk import admin as desk_admin
from models.desk import cases as desk_ops
from tests.desk_builders import ENGINE, case_data, policy_document
from tests.web_fixtures import browsers, build_app

SV = {"Accept-Language": "sv"}
POLICY_SV = "Erkännande av utländska mikromeriter i dataanalys (antagning till avancerad nivå)"
RULE_SV = "Utländsk mikromerit mot referensprofilen Dataanalys (EQF 6, 5 hp)"
AS_SV = "jämförbar med referensmikromeriten Dataanalys (EQF 6, 5 hp)"


@pytest.fixture
def world(tmp_path):
    desk = build_app(tmp_path)
    document = copy.deepcopy(dict(policy_document("enic-recognition.yaml")))
    document["id"] = "enic-recognition-sv"
    rule = document["recognition"][0]
    recognised_as = rule["outcomes"][0]["recognised_as"]
    document["translations"] = {"sv": {
        document["title"]: POLICY_SV, rule["title"]: RULE_SV, recognised_as: AS_SV,
    }}  # fmt: skip
    db = desk.db()
    try:
        version = desk_admin.publish_policy(db, desk.a.admin, document)
        case = desk_ops.open_case(db, desk.a.officer, {
            **case_data("greta-nowak", "admission"),
            "policy_id": version.policy_id, "policy_version": version.version,
        })  # fmt: skip
        desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
    finally:
        db.close()
    return desk, document, version, case


def test_the_policy_page_reads_the_policy_s_translations(world):
    desk, document, version, _ = world
    officer = browsers(desk)(desk.a.officer)
    url = f"/policies/{version.policy_id}/{version.version}"
    swedish = officer.get(url, headers=SV).get_data(as_text=True)
    english = officer.get(url).get_data(as_text=True)
    rule, other = document["recognition"][0], document["recognition"][1]
    heading = f'<h3 id="rule-{rule["id"]}">'
    assert f"<h1>{POLICY_SV}</h1>" in swedish and f"{heading}{RULE_SV} " in swedish
    assert f"{AS_SV}" in swedish.split('id="examples', 1)[0]
    assert f'<h3 id="rule-{other["id"]}">{other["title"]} ' in swedish  # not translated
    assert f"<h1>{document['title']}</h1>" in english and f"{heading}{rule['title']} " in english


def test_the_case_page_reads_the_translations_of_the_case_s_version(world):
    desk, document, _, case = world
    officer = browsers(desk)(desk.a.officer)
    swedish = officer.get(f"/cases/{case.id}", headers=SV).get_data(as_text=True)
    english = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    rule = document["recognition"][0]
    heading = f'id="outcome-{rule["id"]}-h">'
    assert f"{heading}{RULE_SV} " in swedish and f"{heading}{rule['title']} " in english
    assert f'<label for="outcome-{rule["id"]}">{RULE_SV} ' in swedish  # the decision form too
    assert RULE_SV not in english
