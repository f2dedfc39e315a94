"""The desk decides what the applicant asked for: cases carry applicant facts and a request, the
proposal answers each request item, an officer accepts or overrides the answer, the letter states
it with its reasons and options, and the decision clock starts when the file is complete."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from models.desk import cases as desk
from models.desk import reads as desk_read
from models.errors import InvalidDecision
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
    # Months later the applicant sends the test result: the clock starts on that day.
    data = _example()
    data["wallet"]["applicant"] = data["applicant"] | {
        "english_test": "ielts",
        "english_score": 7.5,
    }
    data["wallet"]["request"] = {"items": [{"id": "r1", "request": "admission"}]}
    desk.add_evidence(db, office.officer, case.id, data["wallet"], received_on=dt.date(2021, 4, 20))
    desk.evaluate_case(db, office.officer, case.id, ENGINE)
    [item] = desk_read.case_queue(db, office.officer, today=dt.date(2021, 9, 1))
    assert item.clock_from == dt.date(2021, 4, 20)
    assert item.due_on == dt.date(2021, 8, 20) and item.overdue and item.waiting_for == ()


def test_the_audit_trail_still_verifies(db, office):
    case, _ = open_case(db, office)
    desk.decide(db, office.officer, case.id, {"action": "accept"})
    assert store.verify_audit(db).ok
