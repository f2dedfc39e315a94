"""The desk decides what the applicant asked for: cases carry applicant facts and a request, the
proposal answers each request item, an officer accepts or overrides the answer, the letter states
it with its reasons and options, and the decision clock starts when the file is complete."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.inputs import wallet_from_plain
from models.desk import cases as desk
from models.desk import reads as desk_read
from models.errors import InvalidDecision, InvalidInput
from models.store import database as store
from tests.desk_builders import ENGINE, make_org, policy_document

MIT = "us-mit-scm-blended-admission.yaml"
RECEIVED = dt.date(2021, 1, 10)


def _example() -> dict:
    doc = policy_document(MIT)
    example = doc["examples"][0]
    wallet = json.loads(json.dumps(example["wallet"], default=str))
    wallet["learner"] = {"id": "L-2021-0042", "name": "Lucas W."}
    applicant = json.loads(json.dumps(example["applicant"], default=str))
    return {"wallet": wallet, "applicant": applicant}


@pytest.fixture
def office(db):
    return make_org(db, "mit", policies=(MIT,))


def open_case(db, org, applicant_changes: dict | None = None, request: dict | None = None):
    data = _example()
    data["applicant"].update(applicant_changes or {})
    data["applicant"] = {k: v for k, v in data["applicant"].items() if v is not None}
    data.update(
        purpose="admission",
        application_date=RECEIVED.isoformat(),
        received_on=RECEIVED.isoformat(),
        request=request or {"items": [{"id": "r1", "request": "admission"}]},
    )
    case = desk.open_case(db, org.officer, data)
    return case, desk.evaluate_case(db, org.officer, case.id, ENGINE)


def test_a_case_carries_the_request_and_the_applicants_facts(db, office):
    _, evaluation = open_case(db, office)
    [answer] = evaluation.result["dispositions"]
    assert (answer["item"], answer["disposition"]) == ("r1", "referred")


def test_accepting_a_favourable_answer_needs_no_justification_and_the_letter_states_it(db, office):
    case, _ = open_case(db, office)
    decision = desk.decide(db, office.officer, case.id, {"action": "accept"})
    assert decision.outcomes["request:r1"] == "referred"


def test_a_pending_answer_cannot_be_accepted(db, office):
    case, evaluation = open_case(db, office, {"english_test": None, "english_score": None})
    assert evaluation.result["dispositions"][0]["disposition"] == "pending_evidence"
    with pytest.raises(InvalidDecision) as info:
        desk.decide(db, office.officer, case.id, {"action": "accept"})
    assert "request r1" in info.value.fields["outcomes"]


def test_an_unfavourable_answer_needs_a_justification_and_withholding_options_does_too(db, office):
    case, evaluation = open_case(db, office, {"work_experience_months": 18})
    assert evaluation.result["dispositions"][0]["disposition"] == "not_eligible"
    with pytest.raises(InvalidDecision) as info:
        desk.decide(db, office.officer, case.id, {"action": "accept"})
    assert "not a full positive one" in info.value.fields["justification"]
    decision = desk.decide(
        db, office.officer, case.id,
        {"action": "accept", "justification": "Eighteen months of work; two years are required."},
    )  # fmt: skip
    assert decision.outcomes["request:r1"] == "not_eligible"
    assert "options:r1" not in decision.outcomes  # the options are offered


def test_an_override_states_another_answer_the_policy_declares(db, office):
    case, _ = open_case(db, office, {"work_experience_months": 18})
    with pytest.raises(InvalidDecision) as info:
        desk.decide(db, office.officer, case.id, {
            "action": "override", "exception_type": "waive_condition",
            "dispositions": {"r1": "admitted"}, "justification": "x",
        })  # fmt: skip
    allowed = "expected one of: no_applicable_rule, not_eligible, referred"
    assert allowed in info.value.fields["dispositions.r1"]
    decision = desk.decide(db, office.officer, case.id, {
        "action": "override", "exception_type": "waive_condition",
        "dispositions": {"r1": "referred"},
        "justification": "Military service counts as work experience in this office's practice.",
    })  # fmt: skip
    assert decision.outcomes["request:r1"] == "referred"


def test_withholding_the_declared_options_is_recorded_and_needs_a_justification(db, office):
    case, _ = open_case(db, office, {"work_experience_months": 18})
    decision = desk.decide(db, office.officer, case.id, {
        "action": "accept", "offer_options": False, "justification": "Options discussed by phone.",
    })  # fmt: skip
    assert decision.outcomes["options:r1"] == "withheld"


def test_the_clock_waits_for_a_complete_file_and_starts_when_the_last_item_arrives(db, office):
    case, _ = open_case(db, office, {"english_test": None, "english_score": None})
    [item] = desk_read.case_queue(db, office.officer, today=dt.date(2021, 3, 1))
    assert item.clock_from is None and item.due_on is None and not item.overdue
    assert any("English language test" in w for w in item.waiting_for)
    # Months later the applicant sends the test result, and only that: the clock starts then.
    result = {"english_test": "ielts", "english_score": 7.5}
    desk.add_evidence(
        db, office.officer, case.id, applicant=result, received_on=dt.date(2021, 4, 20)
    )
    desk.evaluate_case(db, office.officer, case.id, ENGINE)
    [item] = desk_read.case_queue(db, office.officer, today=dt.date(2021, 9, 1))
    assert item.clock_from == dt.date(2021, 4, 20)
    assert item.due_on == dt.date(2021, 8, 20) and item.overdue and item.waiting_for == ()


def test_the_audit_trail_still_verifies(db, office):
    case, _ = open_case(db, office)
    desk.decide(db, office.officer, case.id, {"action": "accept"})
    assert store.verify_audit(db).ok


def test_evidence_adds_facts_and_credentials_to_what_the_case_holds(db, office):
    case, _ = open_case(db, office, {"english_test": None, "english_score": None})
    facts = {
        "english_test": "ielts",
        "english_score": 7.5,
        "provenance": {
            "english_score": {"kind": "document", "source": "IELTS Test Report Form 21GB0042"}
        },
    }
    desk.add_evidence(db, office.officer, case.id, applicant=facts, received_on=dt.date(2021, 2, 1))
    extra = _example()["wallet"]
    extra["credentials"] = [{"id": "sc9x", "title": "Another course", "issued_on": "2020-01-01"}]
    desk.add_evidence(db, office.officer, case.id, extra, received_on=dt.date(2021, 2, 3))
    evaluation = desk.evaluate_case(db, office.officer, case.id, ENGINE)
    [answer] = evaluation.result["dispositions"]  # the request stayed with the case
    assert (answer["item"], answer["disposition"]) == ("r1", "referred")
    file = desk_read.case_file(db, office.viewer, case.id)
    latest = wallet_from_plain(dict(file.snapshots[-1].credentials))
    assert [c.id for c in latest.credentials] == [
        "sc0x",
        "sc1x",
        "sc2x",
        "sc3x",
        "sc4x",
        "cfx",
        "sc9x",
    ]
    rows = {
        f.name: f
        for f in desk_read.applicant_facts(file.snapshots, desk.case_policy(db, file.case))
    }
    score, work = rows["english_score"], rows["work_experience_months"]
    assert (score.value, score.received_on) == ("7.5", dt.date(2021, 2, 1))
    assert score.source == "from a supporting document: IELTS Test Report Form 21GB0042"
    assert (work.received_on, work.source, work.declared) == (RECEIVED, "", True)
    assert rows["english_test"].value == "IELTS (Academic)"  # a code, by its label


BAD_EVIDENCE = [
    ({}, "wallet", "give new or corrected credentials, applicant facts or both"),
    ({"applicant": {"score": 1, "provenance": {"score": {"kind": "rumour"}}}},
     "applicant.provenance.score.kind", "expected one of stated, document, verified, finding"),
]  # fmt: skip


@pytest.mark.parametrize(("given", "path", "message"), BAD_EVIDENCE)
def test_bad_evidence_is_refused_with_its_path_and_nothing_is_added(
    db, office, given, path, message
):
    case, _ = open_case(db, office)
    before = len(desk_read.case_file(db, office.viewer, case.id).snapshots)
    with pytest.raises(InvalidInput) as caught:
        desk.add_evidence(db, office.officer, case.id, **given)
    assert caught.value.fields[path].startswith(message)
    assert len(desk_read.case_file(db, office.viewer, case.id).snapshots) == before
