"""API routes: cases, their evaluations and their decisions (create only: nothing is updated or
deleted; a correction is a new decision). Thin: load the input, call one desk function, dump.

Decisions take an `Idempotency-Key` header: a retry with the same key and the same content is
recorded once and answered with the decision recorded the first time; the same key with other
content is a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request, url_for
from marshmallow import Schema, fields

from models.desk import cases as desk
from models.desk import reads as desk_read
from models.desk.queue import numbers_in_case
from models.desk.record_schemas import CaseSchema, DecisionSchema, EvaluationSchema
from models.desk.records import CaseFile, CaseInputSchema, load_input
from models.errors import InvalidDecision, NotFound
from rules.schema import Strict
from views.api.schemas import (
    CaseFileSchema,
    CasePageSchema,
    CaseQuerySchema,
    DecisionRequestSchema,
    EvaluationBriefSchema,
    EvidenceRequestSchema,
    ReopenRequestSchema,
    ReplayReportSchema,
)
from views.api.support import ApiDoc, acting_user, json_body, query, reply
from views.api.support import route as api_route
from views.context import get_db, get_evaluator, learner_key_secret
from views.rates import count_evaluation

CASE = CaseSchema()
CASE_PAGE = CasePageSchema()


class NumberedInCase:
    """`number_in_case`: a row's number within its case (1, 2, …), as the desk's pages and
    letters number decisions and evaluations; ids stay global. A schema instance numbers the
    rows of one case (`numbered`), so the module's instances only document the shape."""

    number_in_case = fields.Method(
        "_number",
        metadata={"type": "integer", "description": "Its number within the case, from 1"},
    )
    numbers: Mapping[int, int] = {}

    def _number(self, row: Any) -> int | None:
        return self.numbers.get(row.id)


class NumberedEvaluationSchema(NumberedInCase, EvaluationSchema):
    pass


class NumberedEvaluationBriefSchema(NumberedInCase, EvaluationBriefSchema):
    pass


class NumberedDecisionSchema(NumberedInCase, DecisionSchema):
    pass


class NumberedCaseFileSchema(CaseFileSchema):
    evaluations = fields.List(fields.Nested(NumberedEvaluationBriefSchema))
    decisions = fields.List(fields.Nested(NumberedDecisionSchema))


def numbered(schema: type[Schema], rows: Any, many: bool = False) -> Schema:
    """A schema that numbers the rows of one case (`rows`: all of the case's decisions, or
    all of its evaluations)."""
    instance = schema(many=many)
    instance.numbers = numbers_in_case([r.id for r in rows])
    return instance


CASE_FILE = NumberedCaseFileSchema()
EVALUATION = NumberedEvaluationSchema()
EVALUATIONS = NumberedEvaluationBriefSchema(many=True)
DECISION = NumberedDecisionSchema()
DECISIONS = NumberedDecisionSchema(many=True)
REPLAY = ReplayReportSchema()
READ = (401, 404)
WRITE = (400, 401, 403, 404, 409, 413, 415, 422)
IDEMPOTENCY = (
    (
        "Idempotency-Key",
        "1 to 200 characters, unique per decision: a retry with the same key is recorded once",
    ),
)


def _file(case_id: int) -> CaseFile:
    return desk_read.case_file(get_db(), acting_user(), case_id)


# ---- cases ------------------------------------------------------------------------------------


@api_route(
    "/cases",
    "POST",
    ApiDoc("Open a case", "cases", "officer", body=CaseInputSchema, response=CASE, status=201,
           errors=WRITE),
)  # fmt: skip
def create_case() -> Any:
    """The policy version is the one in force on the application date unless
    `policy_id`/`policy_version` name another; `wallet` is the learner's wallet document."""
    user = acting_user()
    desk.require(user, "officer")
    case = desk.open_case(get_db(), user, json_body(), learner_key_secret=learner_key_secret())
    return reply(CASE, case, 201, url_for(".get_case", case_id=case.id))


@api_route(
    "/cases",
    "GET",
    ApiDoc("The case queue, with the decision clock", "cases", "any role", query=CaseQuerySchema,
           response=CASE_PAGE, errors=(401, 422)),
)  # fmt: skip
def list_cases() -> Any:
    args = query(CaseQuerySchema())
    items = desk_read.case_queue(
        get_db(), acting_user(), status=args["status"], purpose=args["purpose"],
        overdue=args["overdue"],
    )  # fmt: skip
    start, limit = args["offset"], args["limit"]
    page = {"items": items[start : start + limit], "total": len(items), "limit": limit,
            "offset": start}  # fmt: skip
    return reply(CASE_PAGE, page)


@api_route(
    "/cases/<int:case_id>",
    "GET",
    ApiDoc("A case with its learner, credentials, events, evaluations and decisions", "cases",
           "any role", response=CASE_FILE, errors=READ),
)  # fmt: skip
def get_case(case_id: int) -> Any:
    body = CASE_FILE.dump(_file(case_id))
    for rows in (body["evaluations"], body["decisions"]):  # oldest first, as they were made
        for n, row in enumerate(rows, start=1):
            row["number_in_case"] = n
    return reply(None, body)


@api_route(
    "/cases/<int:case_id>/evidence",
    "POST",
    ApiDoc("Add the applicant's new or corrected credentials and facts (a new snapshot)", "cases",
           "officer", body=EvidenceRequestSchema, response=CASE, errors=WRITE),
)  # fmt: skip
def add_evidence(case_id: int) -> Any:
    user = acting_user()
    desk.require(user, "officer")
    values = load_input(EvidenceRequestSchema(), json_body())
    case = desk.add_evidence(
        get_db(), user, case_id, values["wallet"], applicant=values["applicant"],
        complete_on=values["complete_on"], received_on=values["received_on"],
        learner_key_secret=learner_key_secret(),
    )  # fmt: skip
    return reply(CASE, case)


@api_route(
    "/cases/<int:case_id>/reopen",
    "POST",
    ApiDoc("Reopen a decided case, or record an appeal", "cases", "officer",
           body=ReopenRequestSchema, response=CASE, errors=WRITE),
)  # fmt: skip
def reopen_case(case_id: int) -> Any:
    user = acting_user()
    desk.require(user, "officer")
    values = load_input(ReopenRequestSchema(), json_body())
    case = desk.reopen_case(get_db(), user, case_id, values["reason"], appeal=values["appeal"])
    return reply(CASE, case)


@api_route(
    "/cases/<int:case_id>/replay",
    "GET",
    ApiDoc("Evaluate the decided evaluation again; do outcome and fingerprint still match?",
           "cases", "any role", response=REPLAY, errors=(401, 404, 409, 503)),
)  # fmt: skip
def replay_case(case_id: int) -> Any:
    return reply(REPLAY, desk_read.replay(get_db(), acting_user(), case_id, get_evaluator()))


# ---- evaluations ------------------------------------------------------------------------------


@api_route(
    "/cases/<int:case_id>/evaluations",
    "POST",
    ApiDoc("Evaluate the case's latest credentials under its policy version (body: none or {})",
           "evaluations", "officer", response=EVALUATION, status=201, errors=WRITE + (429, 503)),
)  # fmt: skip
def create_evaluation(case_id: int) -> Any:
    user = acting_user()
    desk.require(user, "officer")
    if request.get_data(cache=True):
        load_input(Strict(), json_body())  # nothing to give: an unknown field is a 422
    count_evaluation(user.id)
    evaluation = desk.evaluate_case(get_db(), user, case_id, get_evaluator())
    location = url_for(".get_evaluation", case_id=case_id, evaluation_id=evaluation.id)
    numbering = numbered(NumberedEvaluationSchema, _file(case_id).evaluations)
    return reply(numbering, evaluation, 201, location)


@api_route(
    "/cases/<int:case_id>/evaluations",
    "GET",
    ApiDoc("The case's evaluations, oldest first (without their results)", "evaluations",
           "any role", response=EVALUATIONS, errors=READ),
)  # fmt: skip
def list_evaluations(case_id: int) -> Any:
    evaluations = _file(case_id).evaluations
    return reply(numbered(NumberedEvaluationBriefSchema, evaluations, many=True), evaluations)


@api_route(
    "/cases/<int:case_id>/evaluations/<int:evaluation_id>",
    "GET",
    ApiDoc("One evaluation with its explained result", "evaluations", "any role",
           response=EVALUATION, errors=READ),
)  # fmt: skip
def get_evaluation(case_id: int, evaluation_id: int) -> Any:
    evaluations = _file(case_id).evaluations
    found = [e for e in evaluations if e.id == evaluation_id]
    if not found:
        raise NotFound(f"no evaluation {evaluation_id} in case {case_id}")
    return reply(numbered(NumberedEvaluationSchema, evaluations), found[0])


# ---- decisions --------------------------------------------------------------------------------


@api_route(
    "/cases/<int:case_id>/decisions",
    "POST",
    ApiDoc("Record a decision: accept, override, request_evidence or confirm", "decisions",
           "officer", body=DecisionRequestSchema, response=DECISION, status=201, errors=WRITE,
           headers=IDEMPOTENCY),
)  # fmt: skip
def create_decision(case_id: int) -> Any:
    """A justification is required whenever the decision is not a full positive one, departs
    from the proposal, requests evidence, or corrects an earlier decision. With four-eyes on,
    a second officer confirms: `{"action": "confirm", "decision_id": N}`."""
    db, user = get_db(), acting_user()
    desk.require(user, "officer")
    values = load_input(DecisionRequestSchema(), _with_header_key(json_body()), InvalidDecision)
    if values["action"] == "confirm":
        decision_id = _confirmable(case_id, values)
        decision = desk.confirm(db, user, decision_id, idempotency_key=values["idempotency_key"])
    else:
        if values["decision_id"] is not None:
            raise InvalidDecision({"decision_id": "only a confirmation names a decision"})
        names = ("action", "outcomes", "exception_type", "justification", "idempotency_key")
        decision = desk.decide(db, user, case_id, {name: values[name] for name in names})
    location = url_for(".get_decision", case_id=case_id, decision_id=decision.id)
    return reply(
        numbered(NumberedDecisionSchema, _file(case_id).decisions), decision, 201, location
    )


def _with_header_key(body: Any) -> Any:
    key = request.headers.get("Idempotency-Key")
    if key is None or not isinstance(body, dict):
        return body
    if body.get("idempotency_key") not in (None, key):
        raise InvalidDecision({"idempotency_key": "differs from the Idempotency-Key header"})
    return {**body, "idempotency_key": key}


def _confirmable(case_id: int, values: dict[str, Any]) -> int:
    errors = {
        name: "a confirmation takes only decision_id (and an idempotency key)"
        for name in ("outcomes", "exception_type", "justification")
        if values[name]
    }
    if values["decision_id"] is None:
        errors["decision_id"] = "name the decision to confirm"
    if errors:
        raise InvalidDecision(errors)
    if not any(d.id == values["decision_id"] for d in _file(case_id).decisions):
        raise NotFound(f"no decision {values['decision_id']} in case {case_id}")
    return values["decision_id"]


@api_route(
    "/cases/<int:case_id>/decisions",
    "GET",
    ApiDoc("The case's decisions, oldest first", "decisions", "any role", response=DECISIONS,
           errors=READ),
)  # fmt: skip
def list_decisions(case_id: int) -> Any:
    decisions = _file(case_id).decisions
    return reply(numbered(NumberedDecisionSchema, decisions, many=True), decisions)


@api_route(
    "/cases/<int:case_id>/decisions/<int:decision_id>",
    "GET",
    ApiDoc("One decision", "decisions", "any role", response=DECISION, errors=READ),
)
def get_decision(case_id: int, decision_id: int) -> Any:
    decisions = _file(case_id).decisions
    found = [d for d in decisions if d.id == decision_id]
    if not found:
        raise NotFound(f"no decision {decision_id} in case {case_id}")
    return reply(numbered(NumberedDecisionSchema, decisions), found[0])
