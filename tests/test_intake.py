"""Native credential intake: strict typed values, every problem listed, bounds, no personal data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.inputs import Credits, Level, Wallet, check_value, wallet_from_plain, wallet_to_plain
from models.credentials import terms
from models.credentials.intake import (
    CSV_COLUMNS,
    DEVELOPMENT_LEARNER_KEY_SECRET,
    MAX_CREDENTIALS,
    MAX_FILE_BYTES,
    learner_key,
    load_wallet_bytes,
    load_wallet_file,
    wallet_from_document,
)
from models.errors import IntakeError
from rules.vocabulary import ELEMENTS, VOCABULARIES

DATA = Path(__file__).parent / "data"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
SNB = "http://data.europa.eu/snb"
ESCO = "http://data.europa.eu/esco/skill/"


def one(**elements: object) -> dict:
    """A wallet document with one credential made of `elements`."""
    return {"learner": {"id": "L1"}, "credentials": [{"id": "c1", **elements}]}


def loaded(**elements: object):
    return wallet_from_document(one(**elements)).credentials[0]


def problems(doc: object) -> list[tuple[str, str, str | None]]:
    with pytest.raises(IntakeError) as info:
        wallet_from_document(doc)
    return [(p.path, p.message, p.suggestion) for p in info.value.problems]


def csv_bytes(header: list[str], *rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def csv_problems(raw: bytes) -> list[str]:
    with pytest.raises(IntakeError) as info:
        load_wallet_bytes(raw, "sheet.csv")
    return [str(p) for p in info.value.problems]


# --- typed values, JSON -------------------------------------------------------------------------

GOOD = [
    ("ects", 5, 5.0),
    ("ects", 7.5, 7.5),
    ("ects", 0, 0.0),
    ("workload_hours", 150, 150.0),
    ("eqf_level", 1, 1),
    ("eqf_level", 8, 8),
    ("issued_on", "2024-05-01", dt.date(2024, 5, 1)),
    ("issued_on", dt.date(2020, 2, 29), dt.date(2020, 2, 29)),  # parsed YAML (policy examples)
    ("issuer_country", "se", "SE"),
    ("issuer_country", " SE ", "SE"),
    ("issuer_country", f"{COUNTRY}SWE", "SE"),
    ("issuer_country", "https://publications.europa.eu/resource/authority/country/fin", "FI"),
    ("issuer_country", "EL", "GR"),
    ("issuer_country", "uk", "GB"),
    ("title", "Data analysis", "Data analysis"),
    ("grade", "A", "A"),
    ("assessment_type", "written_exam", "written_exam"),
    ("assessment_type", "Written Examination", "written_exam"),
    ("assessment_type", "  EXAM ", "written_exam"),
    ("participation_form", f"{SNB}/learning-assessment/920fbb3cbe", "online"),
    ("participation_form", "Face-to-Face", "onsite"),
    ("supervision", f"{SNB}/supervision-verification/c598449d64", "none"),
    ("qf_ehea_cycle", "first cycle  (bachelor)", "first"),
    ("field_of_study", "06", "06"),
    ("field_of_study", "061", "061"),
    ("field_of_study", "0613", "0613"),
    ("skills", [f"{ESCO}abc", "urn:x:y"], (f"{ESCO}abc", "urn:x:y")),
    ("learning_outcomes", ["Explain X", "Apply Y"], ("Explain X", "Apply Y")),
    ("used_towards", [], ()),  # known to be used towards nothing; absent would be unknown
]


@pytest.mark.parametrize(("name", "raw", "value"), GOOD)
def test_good_values_are_typed(name, raw, value):
    credential = loaded(**{name: raw})
    assert credential.values[name] == value
    assert type(credential.values[name]) is type(value)
    check_value(name, credential.values[name])


BAD = [
    ("ects", "5", "expected a number from 0 to 10000; got '5'", None),
    ("ects", True, "expected a number from 0 to 10000; got True", None),
    ("ects", -1, "expected a number from 0 to 10000; got -1", None),
    ("ects", math.nan, "expected a number from 0 to 10000; got nan", None),
    ("ects", math.inf, "expected a number from 0 to 10000; got inf", None),
    ("ects", 10**400, "expected a number from 0 to 10000; got 1000", None),
    ("workload_hours", [60], "expected a number from 0 to 300000; got [60]", None),
    # Past the documented ranges: refused here, not left to fail inside the engine.
    ("ects", 1e16, "expected a number from 0 to 10000; got 1e+16", None),
    ("ects", 1e308, "expected a number from 0 to 10000; got 1e+308", None),
    ("ects", 10000.5, "expected a number from 0 to 10000; got 10000.5", None),
    ("workload_hours", 300001, "expected a number from 0 to 300000; got 300001", None),
    (
        "credits",
        {"system": "nz_credit", "value": 1e10},
        "expected a number of credits from 0 to 1000000; got 10000000000.0",
        None,
    ),
    (
        "grade",
        {"scheme": "percent", "value": 1e16},
        "expected a grade (and maximum) as numbers from -1000000 to 1000000",
        None,
    ),
    (
        "grade",
        {"scheme": "points", "value": 5, "max": 1e300},
        "expected a grade (and maximum) as numbers from -1000000 to 1000000",
        None,
    ),
    ("eqf_level", 6.5, "expected a whole number from 1 to 8; got 6.5", None),
    ("eqf_level", 6.0, "expected a whole number from 1 to 8; got 6.0", None),
    ("eqf_level", "6", "expected a whole number from 1 to 8; got '6'", None),
    ("eqf_level", 9, "expected a whole number from 1 to 8; got 9", None),
    ("eqf_level", 0, "expected a whole number from 1 to 8; got 0", None),
    ("eqf_level", False, "expected a whole number from 1 to 8; got False", None),
    ("issued_on", "2024-13-01", "expected a date written YYYY-MM-DD; got '2024-13-01'", None),
    ("issued_on", "2023-02-29", "expected a date written YYYY-MM-DD; got '2023-02-29'", None),
    ("issued_on", "01/05/2024", "expected a date written YYYY-MM-DD; got '01/05/2024'", None),
    ("issued_on", "20240501", "expected a date written YYYY-MM-DD; got '20240501'", None),
    ("issued_on", "2024-05-01T10:00", "expected a date written YYYY-MM-DD; got '2024-05", None),
    ("issued_on", 20240501, "expected a date written YYYY-MM-DD; got 20240501", None),
    ("issuer_country", "SWE", "expected an ISO 3166-1 alpha-2 country code", "SE"),
    ("issuer_country", "XX", "got 'XX'", None),
    ("issuer_country", "Sweden", "got 'Sweden'", None),
    ("issuer_country", f"{COUNTRY}XYZ", "got 'http://publications.europa.eu/res", None),
    ("issuer_country", 46, "got 46", None),
    ("assessment_type", "writen_exam", "expected one of written_exam, oral_exam, ", "written_exam"),
    ("assessment_type", "oral exm", "(or a term's label or EU vocabulary URI); got", "oral_exam"),
    ("participation_form", "hybrid", "expected one of online, onsite, blended", None),
    ("participation_form", f"{SNB}/learning-assessment/0000000000", "got 'http://data", None),
    ("supervision", 1, "expected one of none, supervised_no_id, ", None),
    ("field_of_study", 613, 'expected an ISCED-F code of 2 to 4 digits as text, e.g. "0613"', None),
    ("field_of_study", "6", "digits as text, e.g. \"0613\"; got '6'", None),
    ("field_of_study", "06131", "got '06131'", None),
    ("field_of_study", "06a", "got '06a'", None),
    ("title", "", "expected non-empty text; got ''", None),
    ("title", "   ", "expected non-empty text; got '   '", None),
    ("title", 5, "expected non-empty text; got 5", None),
    ("title", ["x"], "expected non-empty text; got ['x']", None),
    ("title", "a\x00b", "expected non-empty text without the character U+0000", None),
    ("title", "x" * 10_001, "expected non-empty text of at most 10,000 characters", None),
    ("skills", f"{ESCO}abc", "expected a list of an absolute URI (scheme:…) items; got", None),
    ("learning_outcomes", "Explain X", "expected a list of non-empty text items; got", None),
    ("learning_outcomes", ["x"] * 1001, "expected at most 1000 items; got 1001", None),
]


@pytest.mark.parametrize(("name", "raw", "message", "suggestion"), BAD)
def test_bad_values_name_path_expected_and_given(name, raw, message, suggestion):
    [(path, text, hint)] = problems(one(**{name: raw}))
    assert path == f"credentials[0].{name}"
    assert text.startswith("expected ")
    assert message in text
    assert hint == suggestion


LIST_ITEMS = [
    (
        "skills",
        [f"{ESCO}ok", "not a uri"],
        1,
        "expected an absolute URI (scheme:…); got 'not a uri'",
    ),
    ("skills", ["", f"{ESCO}ok"], 0, "expected an absolute URI (scheme:…); got ''"),
    ("skills", [5], 0, "expected an absolute URI (scheme:…); got 5"),
    ("learning_outcomes", ["ok", " "], 1, "expected non-empty text; got ' '"),
    ("used_towards", [None], 0, "expected non-empty text; got None"),
]


@pytest.mark.parametrize(("name", "raw", "index", "message"), LIST_ITEMS)
def test_bad_list_items_have_their_index_in_the_path(name, raw, index, message):
    assert problems(one(**{name: raw})) == [(f"credentials[0].{name}[{index}]", message, None)]


def test_null_and_missing_elements_are_absent_never_false():
    credential = loaded(ects=None, eqf_level=None, title="T")
    assert dict(credential.values) == {"title": "T"}
    assert set(credential.provenance) == {"title"}


# --- vocabulary terms and countries -------------------------------------------------------------

SPELLINGS = [
    (vocabulary.name, term.code, spelling, how)
    for vocabulary in VOCABULARIES.values()
    for term in vocabulary.terms
    for spelling, how in [
        (term.code, "code"),
        (term.code.upper(), "code"),
        *((label, "label") for label in (term.label, *term.aliases)),
        (term.label.upper(), "label"),
        *((uri, "uri") for uri in term.uris),
    ]
]
ELEMENT_OF = {e.vocabulary: e.name for e in ELEMENTS.values() if e.vocabulary}


@pytest.mark.parametrize(("vocabulary", "code", "spelling", "how"), SPELLINGS)
def test_every_term_is_read_by_code_label_alias_or_uri(vocabulary, code, spelling, how):
    name = ELEMENT_OF[vocabulary]
    credential = loaded(**{name: spelling})
    assert credential.values[name] == code
    provenance = credential.provenance[name]
    assert provenance.kind == ("vocabulary" if how == "uri" else "native")
    assert provenance.source == f"native:credentials[0].{name}"
    if how == "uri":
        assert provenance.note == f"from {spelling}"


def test_a_code_wins_over_another_terms_label():
    # "online" is both a code and a label in participation_form; both mean the code here.
    assert loaded(participation_form="online").values["participation_form"] == "online"


EU_EEA_AND_NEIGHBOURS = {
    "AUT": "AT", "BEL": "BE", "BGR": "BG", "HRV": "HR", "CYP": "CY", "CZE": "CZ", "DNK": "DK",
    "EST": "EE", "FIN": "FI", "FRA": "FR", "DEU": "DE", "GRC": "GR", "HUN": "HU", "IRL": "IE",
    "ITA": "IT", "LVA": "LV", "LTU": "LT", "LUX": "LU", "MLT": "MT", "NLD": "NL", "POL": "PL",
    "PRT": "PT", "ROU": "RO", "SVK": "SK", "SVN": "SI", "ESP": "ES", "SWE": "SE",
    "ISL": "IS", "LIE": "LI", "NOR": "NO", "CHE": "CH", "GBR": "GB", "USA": "US", "UKR": "UA",
    "TUR": "TR", "SRB": "RS", "ALB": "AL", "BIH": "BA", "MNE": "ME", "MKD": "MK", "MDA": "MD",
    "GEO": "GE", "XKX": "XK", "CAN": "CA", "IND": "IN", "CHN": "CN",
}  # fmt: skip


@pytest.mark.parametrize(("alpha3", "alpha2"), sorted(EU_EEA_AND_NEIGHBOURS.items()))
def test_eu_country_uris_map_to_alpha2(alpha3, alpha2):
    credential = loaded(issuer_country=COUNTRY + alpha3)
    assert credential.values["issuer_country"] == alpha2
    assert credential.provenance["issuer_country"].kind == "vocabulary"
    assert loaded(issuer_country=alpha2.lower()).values["issuer_country"] == alpha2


def test_the_country_table_is_complete_iso_3166():
    assert len(terms.ALPHA3_TO_ALPHA2) == 250  # 249 ISO codes + Kosovo
    assert all(len(a2) == 2 and len(a3) == 3 for a3, a2 in terms.ALPHA3_TO_ALPHA2.items())


# --- provenance ---------------------------------------------------------------------------------


def test_stated_provenance_is_kept_and_default_source_filled_in():
    credential = loaded(
        ects=5,
        grade=None,
        provenance={
            "ects": {"kind": "inferred", "note": "150 h at 30 h/ECTS"},
            "grade": {"kind": "absent"},
        },
    )
    assert credential.provenance["ects"].kind == "inferred"
    assert credential.provenance["ects"].source == "native:credentials[0].ects"
    assert credential.provenance["ects"].note == "150 h at 30 h/ECTS"
    assert credential.provenance["grade"].kind == "absent"
    assert "grade" not in credential.values


PROVENANCE_BAD = [
    ({"ects": 5, "provenance": {"ects": {"kind": "absent"}}}, "credentials[0].provenance.ects",
     "expected a kind other than 'absent' for an element with a value; got 'absent'"),
    ({"provenance": {"ects": {"kind": "inferred"}}}, "credentials[0].provenance.ects",
     "expected 'absent' (or no entry) for an element without a value; got 'inferred'"),
    ({"ects": 5, "provenance": {"ects": {"kind": "guess"}}}, "credentials[0].provenance.ects.kind",
     "expected one of native, vocabulary, extension, free_text, inferred, absent; got 'guess'"),
    ({"ects": 5, "provenance": {"ects": {}}}, "credentials[0].provenance.ects.kind",
     "expected a kind; it is missing"),
    ({"ects": 5, "provenance": {"ects": {"kind": "native", "sorce": "x"}}},
     "credentials[0].provenance.ects.sorce",
     "expected one of the keys kind, source, note; got 'sorce'"),
    ({"provenance": {"ecst": {"kind": "absent"}}}, "credentials[0].provenance.ecst",
     "expected a credential element name; got 'ecst'"),
    ({"provenance": {"ects": "inferred"}}, "credentials[0].provenance.ects",
     "expected an object {kind, source, note}; got 'inferred'"),
    ({"provenance": ["ects"]}, "credentials[0].provenance",
     "expected an object {element: {kind, source, note}}; got ['ects']"),
]  # fmt: skip


@pytest.mark.parametrize(("elements", "path", "message"), PROVENANCE_BAD)
def test_bad_provenance(elements, path, message):
    assert [(p, m) for p, m, _ in problems(one(**elements))] == [(path, message)]


# --- structure, paths, all errors at once -------------------------------------------------------

STRUCTURE_BAD = [
    ({"learner": {"id": "L"}}, "credentials", "expected a list of credentials; it is missing",
     None),
    ({"credentials": {}}, "credentials", "expected a list of credential objects; got {}", None),
    ({"credentials": [], "lerner": {}}, "lerner",
     "expected learner, credentials, applicant or request; got the unknown key 'lerner'",
     "learner"),
    ({"credentials": [], "learner": {"name": "N"}}, "learner.id",
     "expected the learner's id as text; it is missing", None),
    ({"credentials": [], "learner": {"id": " "}}, "learner.id",
     "expected the learner's id as text; got ' '", None),
    ({"credentials": [], "learner": "L"}, "learner",
     "expected an object {\"id\": …, \"name\": …}; got 'L'", None),
    ({"credentials": [7]}, "credentials[0]", "expected a credential object; got 7", None),
    ({"credentials": [{}]}, "credentials[0].id",
     "expected the credential's id as text; it is missing", None),
    ({"credentials": [{"id": "c", "eqf": 6}]}, "credentials[0].eqf",
     "expected a credential element name, 'id', 'provenance' or 'extensions'; "
     "got the unknown key 'eqf'",
     "eqf_level"),
    ({"credentials": [{"id": "a"}, {"id": "a"}]}, "credentials[1].id",
     "expected an id not used by another credential (credentials[0] has it); got 'a'", None),
    ({"credentials": [{"id": "a" * 201}]}, "credentials[0].id",
     "expected the credential's id as text of at most 200 characters; got", None),
    ({"id": "c", "ects": "5"}, "ects", "expected a number from 0 to 10000; got '5'", None),
    ([{"id": "c"}], "", "expected a wallet object {learner, credentials} or one credential", None),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "path", "message", "suggestion"), STRUCTURE_BAD)
def test_structure_problems(doc, path, message, suggestion):
    [(got_path, got_message, got_suggestion)] = problems(doc)
    assert (got_path, got_suggestion) == (path, suggestion)
    assert got_message.startswith(message)


@pytest.mark.parametrize("name", ["intake_wallet_errors.json", "intake_wallet_bad_rows.csv"])
def test_every_problem_of_a_file_is_listed_and_nothing_returned(name):
    # The expected report sits beside the file, so a reader sees what a rejected upload says.
    with pytest.raises(IntakeError) as info:
        load_wallet_file(DATA / name)
    expected = (DATA / name).with_suffix(".expected.txt").read_text(encoding="utf-8")
    assert str(info.value) + "\n" == expected
    assert len(info.value.problems) == len(expected.splitlines()) - 1
    for problem in info.value.problems:
        assert problem.path and "expected " in problem.message and "got" in problem.message


def test_json_problems_carry_paths_and_suggestions():
    with pytest.raises(IntakeError) as info:
        load_wallet_file(DATA / "intake_wallet_errors.json")
    found = {p.path: p.suggestion for p in info.value.problems}
    assert found["credentials[0].eqf"] == "eqf_level"
    assert found["credentials[0].issuer_country"] == "SE"
    assert found["credentials[0].assessment_type"] == "written_exam"
    assert found["learner.nmae"] == "name"
    assert "credentials[1].skills[1]" in found and "credentials[2]" in found


def test_good_json_wallet_file():
    [wallet] = load_wallet_file(DATA / "intake_wallet_good.json")
    assert wallet.learner_key == learner_key("learner-0042")
    first, second = wallet.credentials
    assert first.id == "uu-data-101" and first.values["participation_form"] == "online"
    assert first.provenance["issuer_country"].kind == "vocabulary"
    assert second.provenance["workload_hours"].source == "transcript p. 2"
    assert second.provenance["quality_assurance"].kind == "absent"
    assert "quality_assurance" not in second.values and "ects" not in second.values
    for credential in wallet.credentials:
        for name, value in credential.values.items():
            check_value(name, value)
            assert name in credential.provenance


def test_single_credential_document_uses_its_learner_element_or_anonymous():
    wallet = wallet_from_document({"id": "c", "learner": "Jo Doe", "ects": 3})
    assert wallet.learner_key == learner_key("Jo Doe")
    assert dict(wallet.credentials[0].values) == {"ects": 3.0}
    assert wallet.credentials[0].provenance["ects"].source == "native:ects"
    assert wallet_from_document({"id": "c"}).learner_key == learner_key("anonymous")


# --- personal data ------------------------------------------------------------------------------


def test_a_wallet_without_learner_is_anonymous():  # policy examples need no learner
    wallet = wallet_from_document({"credentials": [{"id": "c", "eqf_level": 6}]})
    assert wallet.learner_key == learner_key("anonymous")


def test_learner_id_and_name_never_reach_the_wallet():
    doc = {
        "learner": {"id": "pupil-ID-5567", "name": "Zoë Quist"},
        "credentials": [{"id": "c1", "learner": "Zoë Quist", "title": "T"}],
    }
    wallet = wallet_from_document(doc)
    for secret in ("pupil-ID-5567", "Zoë Quist", "Quist"):
        assert secret not in repr(wallet)
    assert "learner" not in wallet.credentials[0].values
    assert "learner" not in wallet.credentials[0].provenance


def test_learner_key_is_an_hmac_under_the_callers_secret():
    key = learner_key("pupil-1", b"k1")
    assert key == hmac.new(b"k1", b"pupil-1", hashlib.sha256).hexdigest()[:32]
    assert len(key) == 32 and int(key, 16) >= 0
    assert learner_key("pupil-1", b"k2") != key
    wallet = wallet_from_document({"learner": {"id": "pupil-1"}, "credentials": []}, b"k1")
    assert wallet.learner_key == key
    assert DEVELOPMENT_LEARNER_KEY_SECRET.startswith(b"credstack-DEVELOPMENT-ONLY")


@pytest.mark.parametrize("secret", ["text", b"", None])
def test_a_bad_secret_is_a_programming_error(secret):
    with pytest.raises(TypeError):
        wallet_from_document({"id": "c"}, secret)


def test_the_same_learner_gets_the_same_key_from_json_and_csv():
    [from_json] = load_wallet_file(DATA / "intake_wallet_good.json")
    from_csv = load_wallet_file(DATA / "intake_wallet_good.csv")
    assert from_json.learner_key in [w.learner_key for w in from_csv]


# --- CSV ----------------------------------------------------------------------------------------

DOCUMENTED_COLUMNS = (
    "learner_id, credential_id, title, awarding_body, awarding_body_id, issuer_country, issued_on, "
    "ects, workload_hours, eqf_level, qf_ehea_cycle, assessment_type, participation_form, "
    "quality_assurance, supervision, field_of_study, skills, learning_outcomes, verification, "
    "used_towards, stackability, prerequisites, grade, further_information, credits, "
    "framework_level, qa_framework, qa_agency, qa_register_id"
).split(", ")


def test_csv_columns_are_documented_as_data():
    assert [c.name for c in CSV_COLUMNS] == DOCUMENTED_COLUMNS
    for column in CSV_COLUMNS:
        assert column.help and "\n" not in column.help
        assert column.name in ("learner_id", "credential_id") or column.name in ELEMENTS
    assert "|" in next(c.help for c in CSV_COLUMNS if c.name == "skills")


def test_good_csv_gives_one_wallet_per_learner_sorted_by_key():
    wallets = load_wallet_file(DATA / "intake_wallet_good.csv")
    assert [w.learner_key for w in wallets] == sorted(w.learner_key for w in wallets)
    by_key = {w.learner_key: w for w in wallets}
    anna, other = by_key[learner_key("learner-0042")], by_key[learner_key("learner-0077")]
    assert [c.id for c in anna.credentials] == ["uu-data-101", "mooc-stats-2"]
    first, second = anna.credentials
    assert first.values["learning_outcomes"] == (
        "Clean a tabular data set",
        "Fit and interpret a linear model",
    )
    assert first.values["ects"] == 5.0 and first.values["eqf_level"] == 6
    assert first.values["issued_on"] == dt.date(2024, 6, 14)
    assert first.provenance["ects"].source == "csv:row 2.ects"
    assert "ects" not in second.values and "grade" not in second.values  # empty cell = absent
    assert second.values["issuer_country"] == "DE"
    assert second.values["assessment_type"] == "online_quiz"
    [security] = other.credentials
    assert security.values["title"] == "Network Security, Part 1"
    assert security.values["issuer_country"] == "PL"
    assert security.provenance["issuer_country"].kind == "vocabulary"
    assert security.values["ects"] == 2.5


def test_bad_csv_rows_are_reported_by_row_and_credential():
    with pytest.raises(IntakeError) as info:
        load_wallet_file(DATA / "intake_wallet_bad_rows.csv")
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "row 2 (credential c7): ects",
        "row 2 (credential c7): eqf_level",
        "row 3 (credential c8): issuer_country",
        "row 3 (credential c8): issued_on",
        "row 3 (credential c8): ects",
        "row 3 (credential c8): assessment_type",
        "row 4 (credential c7): credential_id",
        "row 4 (credential c7): skills",
        "row 5 (credential c9): learner_id",
    ]
    assert str(info.value.problems[1]) == (
        "row 2 (credential c7): eqf_level: expected a whole number from 1 to 8; got '9'"
    )


CSV_CELLS_GOOD = [
    ("ects", "5", 5.0),
    ("ects", " 7.5 ", 7.5),
    ("ects", "0", 0.0),
    ("workload_hours", "150", 150.0),
    ("eqf_level", "6", 6),
    ("eqf_level", "08", 8),
    ("issued_on", "2024-01-31", dt.date(2024, 1, 31)),
    ("issuer_country", "fi", "FI"),
    ("field_of_study", "0613", "0613"),
    ("skills", f"{ESCO}a | {ESCO}b", (f"{ESCO}a", f"{ESCO}b")),
    ("learning_outcomes", "only one", ("only one",)),
    ("used_towards", "Cert A|Cert B", ("Cert A", "Cert B")),
    ("supervision", "Supervised Onsite With Identity Verification", "supervised_onsite_id"),
    ("title", "  padded  ", "padded"),
]


@pytest.mark.parametrize(("column", "cell", "value"), CSV_CELLS_GOOD)
def test_csv_cells_are_parsed_strictly_but_plainly(column, cell, value):
    [wallet] = load_wallet_bytes(
        csv_bytes(["learner_id", "credential_id", column], ["L", "c", cell]), "x.csv"
    )
    assert wallet.credentials[0].values[column] == value
    check_value(column, wallet.credentials[0].values[column])


CSV_CELLS_BAD = [
    ("ects", "5 ECTS", "expected a number from 0 to 10000, written in digits; got '5 ECTS'", None),
    ("ects", "7,5", "expected a number from 0 to 10000, written in digits; got '7,5'", "7.5"),
    ("ects", "-1", "expected a number from 0 to 10000, written in digits; got '-1'", None),
    ("ects", "1e3", "got '1e3'", None),
    ("ects", "NaN", "got 'NaN'", None),
    ("eqf_level", "9", "expected a whole number from 1 to 8; got '9'", None),
    ("eqf_level", "6.0", "expected a whole number from 1 to 8, written in digits; got '6.0'", None),
    ("eqf_level", "six", "got 'six'", None),
    ("issued_on", "31.01.2024", "expected a date written YYYY-MM-DD; got '31.01.2024'", None),
    ("field_of_study", "613a", "got '613a'", None),
    ("skills", f"{ESCO}a||{ESCO}b", "item 2: expected an absolute URI (scheme:…); got ''", None),
    ("learning_outcomes", "a|", "item 2: expected non-empty text; got ''", None),
    ("participation_form", "hybrid", "expected one of online, onsite, blended", None),
]


@pytest.mark.parametrize(("column", "cell", "message", "suggestion"), CSV_CELLS_BAD)
def test_bad_csv_cells(column, cell, message, suggestion):
    raw = csv_bytes(["learner_id", "credential_id", column], ["L", "c3", cell])
    with pytest.raises(IntakeError) as info:
        load_wallet_bytes(raw, "x.csv")
    [problem] = info.value.problems
    assert problem.path == f"row 2 (credential c3): {column}"
    assert message in problem.message
    assert problem.suggestion == suggestion


COLUMN = "expected a documented column name, or the name of an element a policy declares"
CSV_HEADER_BAD = [
    (["learner_id", "credential_id", "eqf"],
     f"header (row 1), column 3: {COLUMN}; got 'eqf' "
     "(did you mean 'eqf_level'?)"),
    (["learner_id", "credential_id", "learner"],
     f"header (row 1), column 3: {COLUMN}; got 'learner' "
     "(did you mean 'learner_id'?)"),
    (["learner_id", "credential_id", "ects", "ECTS"],
     "header (row 1), column 4: expected a documented column name not used before; got 'ects'"),
    (["learner_id", "", "credential_id"],
     f"header (row 1), column 2: {COLUMN}; got ''"),
    (["credential_id", "title"], "header (row 1): expected a column 'learner_id'; it is missing"),
    (["learner_id", "title"], "header (row 1): expected a column 'credential_id'; it is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "message"), CSV_HEADER_BAD)
def test_bad_csv_header(header, message):
    assert message in csv_problems(csv_bytes(header))


def test_csv_header_is_case_insensitive_and_trailing_empty_columns_are_ignored():
    raw = b"Learner_ID, Credential_ID ,ECTS,,\nL,c,5,,\n\n"
    [wallet] = load_wallet_bytes(raw, "x.CSV")
    assert dict(wallet.credentials[0].values) == {"ects": 5.0}


def test_csv_with_semicolons_and_a_byte_order_mark():
    raw = "\ufefflearner_id;credential_id;ects\nL;c;7.5\n".encode()
    [wallet] = load_wallet_bytes(raw, "x.csv")
    assert wallet.credentials[0].values["ects"] == 7.5


def test_csv_row_problems():
    raw = b'learner_id,credential_id,title\nL,c1,T,extra\n,,T\n"L,c2\n'
    assert csv_problems(raw) == [
        "row 2 (credential c1): expected at most 3 cells (one per column); got 4",
        "row 3: learner_id: expected a value; got an empty cell",
        "row 3: credential_id: expected a value; got an empty cell",
        "row 4: expected CSV; got unexpected end of data",
    ]


def test_csv_learner_ids_are_checked_like_ids():
    raw = csv_bytes(["learner_id", "credential_id"], ["x" * 201, "c1"], ["a\x00b", "c2"])
    assert [p.split(";")[0] for p in csv_problems(raw)] == [
        "row 2 (credential c1): learner_id: expected the learner's id as text of at most 200 "
        "characters",
        "row 3 (credential c2): learner_id: expected the learner's id as text without the "
        "character U+0000",
    ]


def test_csv_rows_of_one_learner_form_one_wallet_and_ids_repeat_across_learners():
    raw = csv_bytes(["learner_id", "credential_id"], ["B", "c1"], ["A", "c1"], ["B", "c2"])
    wallets = load_wallet_bytes(raw, "x.csv")
    assert sorted(len(w.credentials) for w in wallets) == [1, 2]
    assert {w.learner_key for w in wallets} == {learner_key("A"), learner_key("B")}
    assert "'A'" not in repr(wallets) and "'B'" not in repr(wallets)


def test_csv_learner_ids_never_reach_the_wallets():
    raw = csv_bytes(["learner_id", "credential_id", "title"], ["pupil-ID-5567", "c", "T"])
    assert "pupil-ID-5567" not in repr(load_wallet_bytes(raw, "x.csv"))


def test_empty_csv():
    assert csv_problems(b"") == ["header (row 1): expected column names; got none"]


# --- bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["big.json", "big.csv"])
def test_files_over_20_mb_are_refused(name):
    with pytest.raises(IntakeError, match="expected a file of at most 20,971,520 bytes"):
        load_wallet_bytes(b" " * (MAX_FILE_BYTES + 1), name)


def test_large_files_are_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 10)  # sparse: nothing to read
    with pytest.raises(IntakeError, match="got 20,971,530"):
        load_wallet_file(path)


@pytest.mark.parametrize(
    ("raw", "offset", "line"),
    [(b'{"id": "caf\xe9"}', 11, 1), (b'{\n"id":\n"\xff"}', 9, 3), (b"\xef\xbb\xbf\n\x80", 4, 2)],
)
def test_non_utf8_bytes_are_refused_with_their_offset(raw, offset, line):
    for name in ("x.json", "x.csv"):
        with pytest.raises(IntakeError) as info:
            load_wallet_bytes(raw, name)
        [problem] = info.value.problems
        assert f"at byte offset {offset} (line {line})" in problem.message
        assert problem.message.startswith("expected UTF-8 text; got byte 0x")


@pytest.mark.parametrize("depth", [41, 100, 5_000, 200_000])
def test_deep_nesting_is_refused_without_a_traceback(depth):
    raw = ('{"id": "c", "title": ' + "[" * depth + "]" * depth + "}").encode()
    with pytest.raises(IntakeError, match="expected at most 40 levels of nesting"):
        load_wallet_bytes(raw, "x.json")


def test_forty_levels_are_fine_structurally():
    nested: object = "x"
    for _ in range(38):
        nested = [nested]
    with pytest.raises(IntakeError) as info:  # valid depth: reaches the type check
        wallet_from_document({"id": "c", "title": nested})
    assert info.value.problems[0].path == "title"


def test_more_than_5000_credentials_are_refused():
    doc = {"credentials": [{"id": f"c{i}"} for i in range(MAX_CREDENTIALS + 1)]}
    assert problems(doc) == [
        ("credentials", "expected at most 5,000 credentials in a wallet; got 5,001", None)
    ]
    assert len(wallet_from_document({"credentials": doc["credentials"][:-1]}).credentials) == 5000


def test_more_than_5000_csv_rows_of_one_learner_are_refused():
    rows = [["L", f"c{i}"] for i in range(MAX_CREDENTIALS + 1)] + [["M", "c1"]]
    assert csv_problems(csv_bytes(["learner_id", "credential_id"], *rows)) == [
        "rows of the learner on row 2: expected at most 5,000 credentials per learner; got 5,001"
    ]


JSON_BAD = [
    (b'{"id": "c",}', "expected valid JSON; got an error at line 1, column 12: Expecting property"),
    (b"", "expected valid JSON; got an error at line 1, column 1: Expecting value"),
    (b'{"id": "c", "ects": 1, "ects": 2}', "expected each key once per object; got 'ects' twice"),
    (b"[1, 2]", "expected a wallet object {learner, credentials} or one credential object"),
    (b"1" * 5000, "expected valid JSON; got Exceeds the limit"),
]


@pytest.mark.parametrize(("raw", "message"), JSON_BAD)
def test_bad_json_documents(raw, message):
    with pytest.raises(IntakeError) as info:
        load_wallet_bytes(raw, "x.json")
    assert info.value.problems[0].message.startswith(message)


def test_only_json_and_csv_files_are_read(tmp_path):
    with pytest.raises(IntakeError, match=r"expected a \.json or \.csv file; got 'w\.xml'"):
        load_wallet_bytes(b"<x/>", "w.xml")
    with pytest.raises(IntakeError, match="cannot read the file"):
        load_wallet_file(tmp_path / "missing.json")


# --- property: random valid credentials round-trip, typed ----------------------------------------

_TEXT = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="|"),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
_TERMS = {
    name: st.sampled_from(VOCABULARIES[e.vocabulary].codes())
    for name, e in ELEMENTS.items()
    if e.vocabulary
}
VALUES = {
    # Hundredths print without an exponent, as a CSV cell must be written ("1e-05" is refused).
    "decimal": st.one_of(st.integers(0, 10_000), st.integers(0, 10**6).map(lambda n: n / 100)),
    "integer": st.integers(1, 8),
    "date": st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat),
    "country": st.sampled_from(sorted(terms.ALPHA2)),
    "text": _TEXT,
    "isced": st.from_regex(r"[0-9]{2,4}", fullmatch=True),
    "text_list": st.lists(_TEXT, min_size=1, max_size=4),
    "uri_list": st.lists(
        st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True).map(ESCO.__add__), min_size=1, max_size=3
    ),
    "grade": _TEXT.filter(lambda t: ":" not in t),
    "credits": st.fixed_dictionaries(
        {"system": st.sampled_from(("ects", "nz_credit")), "value": st.integers(0, 120)}
    ),
    "level": st.fixed_dictionaries(
        {"framework": st.sampled_from(("nzqf", "scqf")), "level": st.sampled_from(("1", "7"))}
    ),
}
CREDENTIAL = st.fixed_dictionaries(
    {},
    optional={
        name: _TERMS[name] if name in _TERMS else VALUES[e.type]
        for name, e in ELEMENTS.items()
        if name != "learner"
    },
)


def _expected(name: str, raw: object) -> object:
    kind = ELEMENTS[name].type
    return {
        "decimal": float,
        "date": dt.date.fromisoformat,
        "text_list": tuple,
        "uri_list": tuple,
        "credits": lambda v: Credits(v["system"], Fraction(v["value"])),
        "level": lambda v: Level(v["framework"], v["level"]),
    }.get(kind, lambda v: v)(raw)


def _check(wallet: Wallet, credentials: list[dict]) -> None:
    assert [c.id for c in wallet.credentials] == [f"c{i}" for i in range(len(credentials))]
    for credential, raw in zip(wallet.credentials, credentials, strict=True):
        assert set(credential.values) == set(raw)
        for name, value in credential.values.items():
            check_value(name, value)
            assert value == _expected(name, raw[name])
            assert type(value) is type(_expected(name, raw[name]))
            assert credential.provenance[name].kind == "native"


@settings(max_examples=60, deadline=None)
@given(st.lists(CREDENTIAL, max_size=6), _TEXT)
def test_random_valid_wallets_round_trip_through_json(credentials, learner):
    doc = {
        "learner": {"id": learner},
        "credentials": [{"id": f"c{i}", **c} for i, c in enumerate(credentials)],
    }
    [wallet] = load_wallet_bytes(json.dumps(doc).encode(), "w.json")
    _check(wallet, credentials)
    assert wallet.learner_key == learner_key(learner)


@settings(max_examples=60, deadline=None)
@given(st.lists(CREDENTIAL.filter(bool), min_size=1, max_size=6))
def test_random_valid_wallets_round_trip_through_csv(credentials):
    columns = [c.name for c in CSV_COLUMNS]
    credentials = [{k: v for k, v in c.items() if k in columns} for c in credentials]

    def cell(value: object) -> str:
        if isinstance(value, dict):  # credits SYSTEM:VALUE, framework_level FRAMEWORK:LEVEL
            first = value.get("system", value.get("framework"))
            return f"{first}:{value.get('value', value.get('level'))}"
        return "|".join(value) if isinstance(value, list) else str(value)

    rows = [
        ["L", f"c{i}", *(cell(c[k]) if k in c else "" for k in columns[2:])]
        for i, c in enumerate(credentials)
    ]
    [wallet] = load_wallet_bytes(csv_bytes(columns, *rows), "w.csv")
    _check(wallet, credentials)


# --- the applicant's facts and where they came from --------------------------------------------


def test_applicant_facts_carry_their_provenance():
    doc = {
        "credentials": [],
        "applicant": {
            "english_score": 7.5,
            "nationality": "SE",
            "provenance": {
                "english_score": {"kind": "document", "source": "IELTS Test Report Form",
                                  "note": "checked online"},
                "nationality": {"kind": "finding"},
            },
        },
    }  # fmt: skip
    wallet = wallet_from_document(doc)
    assert dict(wallet.applicant) == {"english_score": 7.5, "nationality": "SE"}
    sources = {k: (p.kind, p.source, p.note) for k, p in wallet.applicant_provenance.items()}
    assert sources == {
        "english_score": ("document", "IELTS Test Report Form", "checked online"),
        "nationality": ("finding", "", ""),
    }
    again = wallet_from_plain(wallet_to_plain(wallet))  # stored with the case, read back
    assert again.applicant_provenance == wallet.applicant_provenance


FACT_PROVENANCE_BAD = [
    ({"score": 7, "provenance": {"score": {"kind": "native"}}}, "applicant.provenance.score.kind",
     "expected one of stated, document, verified, finding; got 'native'"),
    ({"score": 7, "provenance": {"scor": {"kind": "stated"}}}, "applicant.provenance.scor",
     "expected the name of a fact given above; got 'scor'"),
    ({"score": 7, "provenance": {"score": {"kind": "stated", "by": "x"}}},
     "applicant.provenance.score", "expected {kind, source, note}; got"),
    ({"score": 7, "provenance": {"score": {"kind": "stated", "source": " "}}},
     "applicant.provenance.score", "expected non-empty text; got ' '"),
    ({"score": 7, "provenance": ["score"]}, "applicant.provenance",
     "expected an object {fact: {kind, source, note}}; got ['score']"),
]  # fmt: skip


@pytest.mark.parametrize(("applicant", "path", "message"), FACT_PROVENANCE_BAD)
def test_bad_fact_provenance_names_the_path(applicant, path, message):
    [(where, said, _)] = problems({"credentials": [], "applicant": applicant})
    assert where == path and said.startswith(message)
