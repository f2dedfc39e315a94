"""The policy page reads as sentences: recognition rules with their differences and tiers,
stacking targets with their slots, reference tables, declared elements, dispositions, settings;
skills by their labels; the published document one click away as YAML."""

from __future__ import annotations

import html as html_lib
import re

import pytest
import yaml

from models.desk import admin as desk_admin
from tests.desk_builders import policy_document
from tests.web_fixtures import browsers, build_app

ENIC = "/policies/enic-se-foreign-microcredentials/2026.2"
UNIVERSITY = "/policies/malarvik-msc-ds-credit/2026.1"
OU = "/policies/ou-credit-transfer/October%202024%20intake"


@pytest.fixture
def desk(tmp_path):
    desk = build_app(tmp_path)
    db = desk.db()
    try:
        document = policy_document("uk-open-university-credit-transfer.yaml")
        desk_admin.publish_policy(db, desk.a.admin, document)
    finally:
        db.close()
    return desk


def words(desk, path, language="en"):
    browser = browsers(desk)(desk.a.viewer)
    response = browser.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = page.split('<details id="document">')[0]
    return page, html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.parametrize(
    ("path", "sentences"),
    [
        (ENIC, [  # a recognition rule: scope, the differences it checks, tiers best first
            "Recognises a credential when: country of the issuer is none of [SE]",
            "Level EQF level ≥ 6 Workload notional workload (ECTS) ≥ 5",
            "Full recognition when these are met: Level, Workload, Quality, Profile, Learning "
            "outcomes; recognised as comparable to the reference micro-credential",
            "Otherwise: Refused.",
            "skills (ESCO) contains program in Python",  # a label, not the URI
        ]),
        (UNIVERSITY, [  # stacking targets and their slots; settings
            "(stacking target cert-data-foundations )",
            "Slots to fill (each credential counts once):",
            "At least 15 ECTS in all.",
            "At most 2 credentials from one awarding body.",
            "A credential counts towards one award only.",
            "Exempts from module DS101",
        ]),
        (OU, [  # reference tables, declared elements, answers
            "Table: Final dates for credit transfer applications",
            "start final date feb-2024 2023-12-07",
            "What it reads beyond Annex I",
            "Answers the office can give",
        ]),
    ],
)  # fmt: skip
def test_the_policy_page_reads_as_sentences(desk, path, sentences):
    page, text = words(desk, path)
    for sentence in sentences:
        assert sentence in text
    assert "http://data.europa.eu/esco/skill/" not in text  # only in titles and the document


def test_the_published_document_is_one_click_away_as_yaml(desk):
    page, _ = words(desk, UNIVERSITY)
    assert '<a href="#document">' in page
    shown = re.search(r'<pre class="document">(.*?)</pre>', page, re.S).group(1)
    document = yaml.safe_load(html_lib.unescape(shown))
    assert (document["id"], document["version"]) == ("malarvik-msc-ds-credit", "2026.1")


def test_the_policy_page_speaks_swedish(desk):
    _, text = words(desk, ENIC, "sv")
    assert "Erkänner en merit när:" in text and "programmera i Python" in text
