"""The explained result of an evaluation, as the OpenAPI document describes it.

Documentation only: the API returns the result exactly as the engine made it (fields are added
over time, never renamed); these schemas say what each part holds, for readers and generated
clients.
"""

from __future__ import annotations

from marshmallow import Schema, fields


def _text(description: str) -> fields.String:
    return fields.String(metadata={"description": description})


class EvidenceWantedSchema(Schema):
    credential = fields.String(
        allow_none=True, metadata={"description": "null for an applicant fact"}
    )
    element = _text("the element, applicant fact (fact:NAME) or choice (choice:NAME) needed")
    request = _text("the request in words, naming the credential by id and title")


class AlternativeSchema(Schema):
    request = _text("a next-best request kind the policy offers")
    title = fields.String()
    disposition = fields.String()
    label = fields.String()
    favourable = fields.Boolean()
    reasons = fields.List(fields.String())
    options = fields.List(fields.String())


class DecisionRowSchema(Schema):
    row = _text("the decision-table row")
    status = _text("met / not_met / unknown")


class DispositionSchema(Schema):
    item = _text("the request item")
    request = _text("the request kind asked for")
    title = fields.String()
    _for = fields.String(
        data_key="for", allow_none=True, metadata={"description": "what the item names"}
    )
    credential = fields.String(
        allow_none=True, metadata={"description": "the credential it is about"}
    )
    disposition = _text(
        "the answer's code: one the policy declares, pending_evidence or no_applicable_rule"
    )
    label = _text("the answer in the organisation's words")
    favourable = fields.Boolean()
    rows = fields.List(fields.Nested(DecisionRowSchema))
    decided_by = fields.String(
        allow_none=True, metadata={"description": "row id, 'otherwise' or null"}
    )
    possible = fields.List(
        fields.String(), metadata={"description": "pending: the answers it could become"}
    )
    provisional = fields.String(allow_none=True)
    reasons = fields.List(fields.String())
    evidence_requests = fields.List(fields.Nested(EvidenceWantedSchema))
    options = fields.List(fields.String(), metadata={"description": "offered when not favourable"})
    alternatives = fields.List(fields.Nested(AlternativeSchema))


class ConditionRowSchema(Schema):
    text = fields.String()
    status = fields.String()
    credential = fields.String()
    element = fields.String()
    actual = fields.Raw()
    expected = fields.String()
    provenance = _text(
        "how a value was obtained when it is not stated as such (converted, computed)"
    )
    warning = fields.String()
    aspect = fields.String()
    table = fields.Dict(metadata={"description": "a table test: id, title, version, rows found"})


class OutcomeSchema(Schema):
    rule = _text("the rule, target or criterion id")
    kind = _text("recognition / criterion / stacking")
    title = fields.String()
    status = _text("met / not_met / unknown / not_applicable")
    outcome = fields.Dict(
        allow_none=True, metadata={"description": "Lisbon level, credits, target"}
    )
    credentials = fields.List(fields.String())
    slots = fields.Dict(metadata={"description": "stacking: slot id → credential ids"})
    conditions = fields.List(fields.Nested(ConditionRowSchema))
    missing = fields.List(fields.String())
    evidence_requests = fields.List(fields.Nested(EvidenceWantedSchema))
    reasons = fields.List(fields.String())
    warnings = fields.List(fields.String())
    assessments = fields.List(fields.Dict(), metadata={"description": "every credential in scope"})
    not_requested = fields.Boolean()


class ConsideredSchema(Schema):
    rule = fields.String()
    kind = fields.String()
    status = _text("counted / met / not_met / unknown / not_applicable / not_requested")
    why = _text("the failed condition with the value it has and the value needed")
    level = fields.String()
    slots = fields.List(fields.String())


class CredentialReportSchema(Schema):
    credential = fields.String()
    title = fields.String(allow_none=True)
    set_aside = fields.List(fields.String(), metadata={"description": "reasons it was set aside"})
    possibly_set_aside = fields.List(fields.String())
    counted_in = fields.List(fields.String())
    considered = fields.List(fields.Nested(ConsideredSchema))


class EvaluationResultSchema(Schema):
    """The engine's explained result."""

    policy = fields.Dict(
        metadata={"description": "id, version, digest, title, organisation, purpose"}
    )
    engine = fields.Dict()
    as_of = fields.Date()
    fingerprint = _text("sha256 over the normalised inputs, the policy digest and the engine")
    summary = fields.Dict()
    dispositions = fields.List(
        fields.Nested(DispositionSchema), metadata={"description": "one per request item"}
    )
    outcomes = fields.List(fields.Nested(OutcomeSchema))
    credentials = fields.List(fields.Nested(CredentialReportSchema))
    set_aside = fields.List(fields.Dict())
    exclusions = fields.List(fields.Dict())
    unused = fields.List(fields.Dict())
    warnings = fields.List(fields.String())
