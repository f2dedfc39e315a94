"""marshmallow schemas that dump the desk's records as JSON (for the API and its OpenAPI document).

Input schemas, which validate what users send, live beside the records in `models.desk.records`.
"""

from __future__ import annotations

from marshmallow import Schema, fields

# ---- output schemas: records → JSON ---------------------------------------------------------


class OrganisationSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    four_eyes = fields.Boolean()


class UserSchema(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    created_at = fields.String()


class PolicyVersionSchema(Schema):
    id = fields.Integer()
    policy_id = fields.String()
    version = fields.String()
    digest = fields.String()
    purpose = fields.String()
    title = fields.String()
    effective_from = fields.Date()
    effective_to = fields.Date(allow_none=True)
    published_at = fields.String()
    published_by = fields.Integer()
    supersedes_version = fields.String(allow_none=True)  # takes over from this version …
    supersedes_from = fields.Date(allow_none=True)  # … from this date


class CaseSchema(Schema):
    id = fields.Integer()
    learner_key = fields.String()
    purpose = fields.String()
    policy_id = fields.String()
    policy_version = fields.String()
    application_date = fields.Date()
    received_on = fields.Date()
    complete_on = fields.Date(allow_none=True)
    created_by = fields.Integer()
    created_at = fields.String()
    status = fields.String()


class EvaluationSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    snapshot_id = fields.Integer()
    fingerprint = fields.String()
    policy_digest = fields.String()
    engine = fields.Dict()
    as_of = fields.Date()
    created_at = fields.String()
    result = fields.Dict()


class DecisionSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    action = fields.String()
    kind = fields.String()
    outcomes = fields.Dict(keys=fields.String(), values=fields.String())
    exception_type = fields.String(allow_none=True)
    justification = fields.String()
    officer_id = fields.Integer()
    decided_at = fields.String()
    policy_id = fields.String()
    policy_version = fields.String()
    evaluation_id = fields.Integer(allow_none=True)
    fingerprint = fields.String(allow_none=True)
    previous_decision_id = fields.Integer(allow_none=True)
    requires_confirmation = fields.Boolean()
    confirmed_by = fields.Integer(allow_none=True)
    confirmed_at = fields.String(allow_none=True)


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    actor_id = fields.Integer(allow_none=True)
    event = fields.String()
    subject = fields.String()
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()
