"""Labels of vocabulary URIs: the document's own label first, then the policy's, then the table
shipped with the desk, then a readable fallback; in the page's language where one exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import render_template_string

from models.credentials.formats import import_document, vocabulary_labels
from tests.web_fixtures import build_app
from views.pages.labels import policy_labels, resolve

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
ANNEX1 = SAMPLES / "edc-elm" / "elm3-mc-annex1-unsigned.jsonld"
PYTHON = "http://data.europa.eu/esco/skill/0c7b8a16-5d29-4e3f-a4b7-2f9d6e1c8a05"  # in the table
DIGITAL = "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
ESCO_ONLY = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"  # English
UNKNOWN = "http://example.org/vocab/skills/welding-basics"
DOC = {PYTHON: {"en": "Python as the document says"}, UNKNOWN: {None: "Basic welding"}}
POLICY = {PYTHON: "Python as the policy says", UNKNOWN: "welding (policy)"}


@pytest.mark.parametrize(
    ("uri", "document", "policy", "language", "text", "source"),
    [
        (PYTHON, DOC, POLICY, "en", "Python as the document says", "document"),
        (PYTHON, None, POLICY, "en", "Python as the policy says", "policy"),
        (PYTHON, None, None, "en", "program in Python", "table"),
        (PYTHON, None, None, "sv", "programmera i Python", "table"),
        # the page's language first: the table's Swedish beats the document's English
        (PYTHON, DOC, None, "sv", "programmera i Python", "table"),
        (UNKNOWN, DOC, POLICY, "en", "Basic welding", "document"),
        (UNKNOWN, None, POLICY, "sv", "welding (policy)", "policy"),
        (UNKNOWN, None, None, "en", "welding-basics", "fallback"),
        (ESCO_ONLY, None, None, "en", "manage musical staff", "table"),
        (ESCO_ONLY, None, None, "sv", "manage musical staff", "table"),  # no Swedish: English
        ("http://data.europa.eu/snb/isced-f/0613", None, None, "sv",
         "Utveckling och analys av programvara och tillämpningar (ISCED-F 0613)", "table"),
        ("http://data.europa.eu/snb/eqf/6", None, None, "en", "EQF level 6", "table"),
        ("http://publications.europa.eu/resource/authority/language/SWE", None, None, "sv",
         "svenska", "table"),
        ("0613", None, None, "en", "0613", "fallback"),
    ],
)  # fmt: skip
def test_a_label_comes_from_the_document_then_the_policy_then_the_table(
    uri, document, policy, language, text, source
):
    label = resolve(uri, document=document, policy=policy, language=language)
    assert (label.text, label.source, label.uri) == (text, source, uri)


@pytest.mark.skipif(not ANNEX1.is_file(), reason="../shared/samples is not present")
def test_an_importer_keeps_the_label_the_document_gives_next_to_the_uri():
    raw = ANNEX1.read_bytes()
    credential = import_document(raw, "annex1.jsonld").wallet_document()["credentials"][0]
    labels = vocabulary_labels.document_labels(credential)
    assert labels[DIGITAL] == {"en": "develop digital content"}
    assert DIGITAL in credential["skills"]


def test_a_note_keeps_quotes_and_languages_and_reads_back():
    note = vocabulary_labels.note_fragment(
        {UNKNOWN: [('a "quoted" skill', "en"), ("svensk etikett", "sv")]}
    )
    assert vocabulary_labels.labels_in_note(f"3 URIs; {note}") == {
        UNKNOWN: {"en": 'a "quoted" skill', "sv": "svensk etikett"}
    }


def test_the_policy_declares_labels_of_its_own_codes(tmp_path):
    from rules.loader import load_policy

    document = {
        "id": "p", "title": "P", "organisation": "o", "purpose": "credit", "version": "1",
        "effective_from": "2026-01-01",
        "elements": {"track": {"type": "code", "label": "track",
                               "values": {UNKNOWN: "welding (declared)", "b": "B"}}},
        "criteria": [{"id": "c", "title": "C", "about": "any_credential",
                      "when": [{"element": "track", "op": "eq", "value": UNKNOWN}]}],
    }  # fmt: skip
    assert policy_labels(load_policy(document))[UNKNOWN] == "welding (declared)"


def test_the_jinja_global_renders_the_uri_in_a_title(tmp_path):
    desk = build_app(tmp_path)
    with desk.app.test_request_context("/", headers={"Accept-Language": "sv"}):
        html = render_template_string("{{ label_for(u) }}|{{ label_for(x) }}", u=PYTHON, x="<b>")
    assert html == (f'<span class="term" title="{PYTHON}">programmera i Python</span>|&lt;b&gt;')
