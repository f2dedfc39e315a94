"""marshmallow schemas of the JSON API that are not the desk's own: request envelopes, query
strings, and the shapes of composite replies. The desk's input schemas (`models.desk.records`), its
record schemas (`models.desk.record_schemas`) and the policy language's (`rules.schema`) are used as
they are, so the OpenAPI document describes exactly what the code validates.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models.desk.record_schemas import (
    CaseSchema,
    DecisionSchema,
    OrganisationSchema,
    PolicyVersionSchema,
    UserSchema,
)
from models.desk.records import ACTIONS, CASE_STATUSES, SAFE, DecisionInputSchema
from rules.schema import IsoDate, Strict, StrictInteger
from rules.vocabulary import PURPOSES


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="expected one of {choices}; got {input!r}")


class StrictBoolean(fields.Boolean):
    """true or false only (marshmallow's Boolean also takes 1, "yes", "on" …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected true or false; got {value!r}")
        return value


class QueryInteger(fields.Integer):
    """A whole number written in a query string: digits only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,9}", value):
            raise ValidationError(f"expected a whole number; got {value!r}")
        return int(value)


def _query_flag(**kwargs: Any) -> fields.Boolean:
    return fields.Boolean(truthy={"true"}, falsy={"false"}, **kwargs)


# ---- requests ---------------------------------------------------------------------------------


class PolicyRefSchema(Strict):
    id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    version = fields.String(required=True, validate=validate.Length(min=1, max=80))


class EvaluateRequestSchema(Strict):
    """A wallet against a stored policy version (`policy`) or an inline one (`policy_document`)."""

    policy = fields.Nested(
        PolicyRefSchema, metadata={"description": "a published version of your organisation"}
    )
    policy_document = fields.Dict(
        metadata={"description": "a policy document, as published with POST /policies"}
    )
    wallet = fields.Dict(required=True, metadata={"description": "a wallet {learner, credentials}"})
    applicant = fields.Dict(
        load_default=None, metadata={"description": "the applicant's facts {name: value}"}
    )
    request = fields.Dict(
        load_default=None,
        metadata={
            "description": "what is asked: {date, items: [{request, for, credential, choices}]}"
        },
    )
    as_of = IsoDate(
        load_default=None,
        metadata={"description": "evaluation date; default the request's date, else today"},
    )
    detail = fields.String(
        load_default="full",
        validate=validate.OneOf(["full", "compact"]),
        metadata={"description": "full (default), or compact: without the rows saying why a "
                  "credential does not meet a recognition rule"},
    )  # fmt: skip

    @validates_schema
    def one_policy(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("policy" in data) == ("policy_document" in data):
            raise ValidationError("give either policy {id, version} or policy_document", "policy")


class DecisionRequestSchema(DecisionInputSchema):
    """accept / override / request_evidence as the desk takes them; confirm names a decision."""

    action = fields.String(required=True, validate=_one_of(ACTIONS))
    decision_id = StrictInteger(
        load_default=None, metadata={"description": "confirm only: the decision confirmed"}
    )


class EvidenceRequestSchema(Strict):
    wallet = fields.Dict(
        load_default=None,
        metadata={
            "description": "new or corrected credentials (a wallet document of the same "
            "learner); a credential with an id already on file replaces it"
        },
    )
    applicant = fields.Dict(
        load_default=None,
        metadata={
            "description": "facts added or corrected, {name: value, provenance: {name: "
            "{kind, source, note}}}"
        },
    )
    complete_on = IsoDate(load_default=None, allow_none=True)
    received_on = IsoDate(
        load_default=None,
        allow_none=True,
        metadata={"description": "when the items arrived (default today): may start the clock"},
    )


class ReopenRequestSchema(Strict):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=10_000), metadata=SAFE
    )
    appeal = StrictBoolean(load_default=False)


class CaseQuerySchema(Strict):
    status = fields.String(load_default=None, validate=_one_of(CASE_STATUSES))
    purpose = fields.String(load_default=None, validate=_one_of(PURPOSES))
    overdue = _query_flag(load_default=None)
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = QueryInteger(load_default=0, validate=validate.Range(min=0, max=2**31))


class AuditQuerySchema(Strict):
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))


# ---- replies ----------------------------------------------------------------------------------


class MeSchema(Schema):
    user = fields.Nested(UserSchema)
    organisation = fields.Nested(OrganisationSchema)


class PolicyDocumentVersionSchema(PolicyVersionSchema):
    document = fields.Dict()


class QueueEntrySchema(Schema):
    case = fields.Nested(CaseSchema)
    clock_from = fields.Date(allow_none=True)
    days_elapsed = fields.Integer(allow_none=True)
    due_on = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    waiting_for = fields.List(fields.String())


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(QueueEntrySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class LearnerSchema(Schema):
    key = fields.String()
    display_name = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True)
    erased_at = fields.String(allow_none=True)


class SnapshotSchema(Schema):
    id = fields.Integer()
    digest = fields.String()
    added_by = fields.Integer()
    added_at = fields.String()
    received_on = fields.Date(
        allow_none=True, metadata={"description": "when the applicant's items arrived"}
    )
    credentials = fields.Dict()


class CaseEventSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    note = fields.String()
    actor_id = fields.Integer()
    at = fields.String()


class EvaluationBriefSchema(Schema):
    """An evaluation without its result (GET the evaluation for the full explanation)."""

    id = fields.Integer()
    snapshot_id = fields.Integer()
    fingerprint = fields.String()
    policy_digest = fields.String()
    as_of = fields.Date()
    created_by = fields.Integer()
    created_at = fields.String()
    summary = fields.Function(lambda e: dict(e.result.get("summary", {})))


class CaseFileSchema(Schema):
    case = fields.Nested(CaseSchema)
    learner = fields.Nested(LearnerSchema)
    snapshots = fields.List(fields.Nested(SnapshotSchema))
    events = fields.List(fields.Nested(CaseEventSchema))
    evaluations = fields.List(fields.Nested(EvaluationBriefSchema))
    decisions = fields.List(fields.Nested(DecisionSchema))


class ReplayReportSchema(Schema):
    case_id = fields.Integer()
    evaluation_id = fields.Integer()
    decision_id = fields.Integer(allow_none=True)
    stored_fingerprint = fields.String()
    replayed_fingerprint = fields.String()
    fingerprint_matches = fields.Boolean()
    outcomes_match = fields.Boolean()
    matches = fields.Boolean()
    differences = fields.List(fields.String())


class ChainReportSchema(Schema):
    ok = fields.Boolean()
    checked = fields.Integer()
    broken_seq = fields.Integer(allow_none=True)
    reason = fields.String()


class ProblemSchema(Schema):
    path = fields.String()
    message = fields.String()


class ErrorBodySchema(Schema):
    status = fields.Integer(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)
    problems = fields.List(fields.Nested(ProblemSchema))
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "field path → message"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)
