"""API route: where else a case's credentials would count (`models.desk.where_else`), worked
out through the desk's contained evaluator the first time it is asked for an evaluation and kept
for it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from models.desk import where_else as desk_where_else
from views.api.support import ApiDoc, acting_user, reply
from views.api.support import route as api_route
from views.context import get_db, get_evaluator


class _Found(Schema):
    rule = fields.String()
    kind = fields.String(metadata={"description": "stacking or recognition"})
    title = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.Dict(allow_none=True)
    credentials = fields.List(fields.String())
    why = fields.String(metadata={"description": "why it counts as nearly met (nearly only)"})
    missing = fields.List(fields.String(), metadata={"description": "nearly only: what is missing"})


class _PolicyRef(Schema):
    id = fields.String()
    version = fields.String()
    title = fields.String()
    organisation = fields.String()
    digest = fields.String()


class _Entry(Schema):
    policy = fields.Nested(_PolicyRef)
    credentials = fields.List(fields.String(), metadata={"description": "the credentials tried"})
    met = fields.List(fields.Nested(_Found))
    nearly = fields.List(fields.Nested(_Found))
    error = fields.String(metadata={"description": "why the policy could not be evaluated"})


class WhereElseSchema(Schema):
    status = fields.String(metadata={"description": "found, or not_evaluated (no evaluation yet)"})
    evaluation = fields.Integer(allow_none=True, metadata={"description": "the evaluation used"})
    considered = fields.List(fields.String(), metadata={
        "description": "the credentials the evaluation leaves over (unused, or all when the "
        "request was refused)"})  # fmt: skip
    policies = fields.List(fields.Nested(_Entry))


WHERE_ELSE = WhereElseSchema()


@api_route(
    "/cases/<int:case_id>/where-else",
    "GET",
    ApiDoc("Where else the case's left-over credentials would count: the targets and "
           "recognition rules of the organisation's other policies they meet or nearly meet, "
           "with what is missing", "cases", "any role", response=WHERE_ELSE,
           errors=(401, 404, 429, 503)),
)  # fmt: skip
def case_where_else(case_id: int) -> Any:
    found = desk_where_else.case_where_else(get_db(), acting_user(), case_id, get_evaluator())
    return reply(WHERE_ELSE, found)
