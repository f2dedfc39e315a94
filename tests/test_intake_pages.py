"""Opening cases without a file: a paper certificate keyed in (its values, its provenance, errors
beside the fields with nothing stored) and a spreadsheet of many applicants (one case each;
refused rows by line, nothing opened)."""

from __future__ import annotations

import re

import pytest

from models.desk import reads as desk_read
from tests.desk_builders import count
from tests.web_fixtures import browsers, build_app

PAPER = {
    "learner_id": "P-2026-0042", "learner_name": "Saga Lind", "purpose": "admission",
    "application_date": "2026-09-01", "received_on": "2026-09-01",
    "c0.title": "Data analysis with Python", "c0.issuer_country": "NL",
    "c0.awarding_body": "Universiteit Leiden", "c0.issued_on": "2025-06-30",
    "c0.learning_outcomes": "clean data\nvisualise data", "c0.ects": "7,5", "c0.eqf_level": "6",
    "c0.assessment_type": "written_exam", "c0.participation_form": "online",
    "c0.quality_assurance": "external_accreditation", "c0.supervision": "supervised_onsite_id",
}  # fmt: skip
SHEET = """applicant,applicant_name,credential_id,title,ects,eqf_level,issuer_country
A-1,Ada One,a1,Statistics,5,6,NL
A-1,Ada One,a2,Python,7.5,6,NL
B-2,Bo Two,b1,SQL,3,5,IE
"""


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def officer(desk):
    return browsers(desk)(desk.a.officer)


def tables(desk):
    db = desk.db()
    try:
        return [count(db, t) for t in ("cases", "case_snapshots", "learners", "audit")]
    finally:
        db.close()


def test_a_paper_certificate_becomes_a_case_with_the_keyed_values(desk, officer):
    form = {**PAPER, "c1.title": "Second certificate", "c1.ects": "2", "c1.issuer_country": "SE"}
    response = officer.post("/cases/new/paper", form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case_id = int(re.search(r"/cases/(\d+)", response.headers["Location"]).group(1))
    db = desk.db()
    try:
        found = desk_read.case_file(db, desk.a.officer, case_id)
    finally:
        db.close()
    first, second = found.snapshots[-1].credentials["credentials"]
    assert first["values"]["title"] == "Data analysis with Python"
    assert first["values"]["ects"] == 7.5 and first["values"]["eqf_level"] == 6
    assert first["values"]["learning_outcomes"] == ["clean data", "visualise data"]
    assert first["provenance"]["ects"] == [
        "native",
        "paper:credentials[0].ects",
        "keyed in from paper by officer",
    ]
    assert second["values"]["title"] == "Second certificate"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"c0.ects": "seven"}, "c0.ects"),
        ({"c0.eqf_level": "11"}, "c0.eqf_level"),
        ({"c0.issued_on": "30/06/2025"}, "c0.issued_on"),
        ({"c0.issuer_country": "Narnia"}, "c0.issuer_country"),
        ({"learner_id": ""}, "learner_id"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored(desk, officer, changes, field):
    before = tables(desk)
    response = officer.post("/cases/new/paper", {**PAPER, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field_id = field.replace(".", "-")
    assert f'id="err-{field_id}"' in page or f'id="err-{field}"' in page
    assert f'href="#{field_id}"' in page  # the error summary links to the field
    assert tables(desk) == before


def test_a_sheet_of_applicants_is_previewed_then_opens_one_case_each(desk, officer):
    form = {"purpose": "admission", "application_date": "2026-09-01",
            "received_on": "2026-09-01", "sheet_text": SHEET}  # fmt: skip
    before = tables(desk)
    preview = officer.post("/cases/new/bulk", form)
    assert preview.status_code == 200
    assert "Preview: 2 case(s) will be opened" in preview.get_data(as_text=True)
    assert tables(desk) == before  # a preview writes nothing
    done = officer.post("/cases/new/bulk", {**form, "confirm": "yes"})
    page = done.get_data(as_text=True)
    assert "2 case(s) opened." in page
    assert tables(desk)[0] == before[0] + 2
    db = desk.db()
    try:
        ids = [int(n) for n in re.findall(r"/cases/(\d+)", page)]
        wallets = [desk_read.case_file(db, desk.a.officer, i).snapshots[-1].credentials
                   for i in ids]  # fmt: skip
        entries = list(db.conn.execute("SELECT details FROM audit WHERE event='cases_imported'"))
    finally:
        db.close()
    assert sorted(len(w["credentials"]) for w in wallets) == [1, 2]
    assert len(entries) == 1 and "Ada" not in entries[0][0]  # no names in the trail


def test_a_sheet_with_bad_rows_opens_nothing_and_names_the_lines(desk, officer):
    bad = SHEET + "C-3,Cy,c1,Broken,lots,6,NL\nD-4,Di,d1,Also broken,5,12,NL\n"
    before = tables(desk)
    response = officer.post("/cases/new/bulk", {
        "purpose": "admission", "application_date": "2026-09-01",
        "received_on": "2026-09-01", "sheet_text": bad, "confirm": "yes"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "row 5" in page and "row 6" in page
    assert tables(desk) == before
