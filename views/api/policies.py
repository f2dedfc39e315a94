"""API routes: who am I, stateless evaluation, policies (publish = a new immutable version), the
audit trail. Thin: each route loads its input, calls one desk function and dumps the result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from marshmallow import ValidationError, fields, validate, validates_schema

from models.credentials.intake import wallet_from_document
from models.desk import admin as desk_admin
from models.desk import reads as desk_read
from models.desk.cases import ANY_ROLE, require, validated_policy
from models.desk.publishing import Supersedes
from models.desk.record_schemas import AuditEntrySchema, PolicyVersionSchema
from models.desk.records import load_input
from models.errors import IntakeError, InvalidInput, NotFound
from models.store import database as store
from rules.errors import PolicyError, Problem
from rules.loader import load_policy
from rules.policy import Policy
from rules.schema import IsoDate, PolicySchema, Strict
from views.api.result_schemas import EvaluationResultSchema
from views.api.schemas import (
    AuditQuerySchema,
    ChainReportSchema,
    EvaluateRequestSchema,
    MeSchema,
    PolicyDocumentVersionSchema,
)
from views.api.support import ApiDoc, acting_user, json_body, query, reply
from views.api.support import route as api_route
from views.context import get_db, get_evaluator, learner_key_secret
from views.rates import count_evaluation

ME = MeSchema()
POLICY_LIST = PolicyVersionSchema(many=True)
POLICY = PolicyDocumentVersionSchema()
CHAIN = ChainReportSchema()
AUDIT = AuditEntrySchema(many=True)
READ = (401, 404)


@api_route(
    "/me", "GET", ApiDoc("The user the token belongs to", "account", "any role", response=ME)
)
def me() -> Any:
    user = acting_user()
    organisation = store.get_organisation(get_db(), user.organisation_id)
    return reply(ME, {"user": user, "organisation": organisation})


# ---- stateless evaluation ---------------------------------------------------------------------


@api_route(
    "/evaluate",
    "POST",
    ApiDoc(
        "Evaluate a wallet against a policy; nothing is stored",
        "evaluation",
        "any role",
        body=EvaluateRequestSchema,
        response=EvaluationResultSchema(),
        errors=(400, 401, 404, 413, 415, 422, 429, 503),
    ),
)
def evaluate() -> Any:
    """The policy is a published version of your organisation (`policy`: {id, version}) or a
    policy document given inline (`policy_document`); `as_of` defaults to today (UTC)."""
    user = acting_user()
    require(user, *ANY_ROLE)
    values = load_input(EvaluateRequestSchema(), json_body())
    if values.get("policy") is not None:
        ref = values["policy"]
        policy = validated_policy(desk_admin.get_policy(get_db(), user, ref["id"], ref["version"]))
    else:
        policy = _inline_policy(values["policy_document"])
    document = dict(values["wallet"])
    for key in ("applicant", "request"):
        if values[key] is not None:
            document[key] = values[key]
    try:
        wallet = wallet_from_document(document, learner_key_secret(), "wallet")
    except IntakeError as exc:
        fields = {f"wallet.{p.path}".rstrip("."): p.message for p in exc.problems}
        raise InvalidInput(fields) from None
    asked = wallet.request.date if wallet.request is not None else None
    as_of = values["as_of"] or asked or dt.datetime.now(dt.UTC).date()
    count_evaluation(acting_user().id)
    organisation = str(acting_user().organisation_id)
    result = get_evaluator().evaluate(
        policy, wallet, as_of, organisation=organisation, detail=values["detail"]
    )
    return reply(None, result)


def _inline_policy(document: dict[str, Any]) -> Policy:
    try:
        return load_policy(document, source="policy_document")
    except PolicyError as exc:
        problems = [
            Problem(f"policy_document.{p.path}".rstrip("."), p.message, p.suggestion)
            for p in exc.problems
        ]
        raise PolicyError(problems, "policy_document") from None


# ---- policies ---------------------------------------------------------------------------------


@api_route(
    "/policies",
    "GET",
    ApiDoc("Every published policy version", "policies", "any role", response=POLICY_LIST),
)
def list_policies() -> Any:
    return reply(POLICY_LIST, desk_admin.list_policies(get_db(), acting_user()))


@api_route(
    "/policies/<policy_id>",
    "GET",
    ApiDoc("The versions of one policy", "policies", "any role", response=POLICY_LIST, errors=READ),
)
def list_policy_versions(policy_id: str) -> Any:
    found = [
        p for p in desk_admin.list_policies(get_db(), acting_user()) if p.policy_id == policy_id
    ]
    if not found:
        raise NotFound(f"no policy {policy_id}")
    return reply(POLICY_LIST, found)


@api_route(
    "/policies/<policy_id>/versions/<version>",
    "GET",
    ApiDoc("One policy version with its document", "policies", "any role", response=POLICY,
           errors=READ),
)  # fmt: skip
def get_policy_version(policy_id: str, version: str) -> Any:
    return reply(POLICY, desk_admin.get_policy(get_db(), acting_user(), policy_id, version))


class PublishQuerySchema(Strict):
    supersedes = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The version of the same policy id this one takes over from."},
    )
    supersedes_from = IsoDate(
        load_default=None, metadata={"description": "The date it takes over (ISO)."}
    )

    @validates_schema
    def both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("supersedes") is None) != (data.get("supersedes_from") is None):
            raise ValidationError("give supersedes and supersedes_from together", "supersedes")


@api_route(
    "/policies",
    "POST",
    ApiDoc(
        "Publish a policy version (201; 200 if this exact content is published already)",
        "policies",
        "admin",
        query=PublishQuerySchema,
        body=PolicySchema,
        response=POLICY,
        status=201,
        errors=(400, 401, 403, 409, 413, 415, 422),
    ),
)
def publish_policy() -> Any:
    """Versions are immutable: the same id and version with other content is a 409 conflict;
    there is no update or delete. Publishing is refused (422, each problem listed under
    `fields` and `problems`) while an attached example fails, a static check reports an error,
    or the effective period overlaps another version of the policy, unless the publication
    supersedes that version (`?supersedes=VERSION&supersedes_from=DATE`)."""
    db, user = get_db(), acting_user()
    options = query(PublishQuerySchema())
    document = json_body()
    before = _published(db, user, document)
    supersedes = None
    if options["supersedes"] is not None:
        supersedes = Supersedes(options["supersedes"], options["supersedes_from"])
    version = desk_admin.publish_policy(
        db, user, document, evaluator=get_evaluator(), supersedes=supersedes
    )
    status = 200 if before is not None and before.digest == version.digest else 201
    location = url_for(".get_policy_version", policy_id=version.policy_id, version=version.version)
    return reply(POLICY, version, status, location)


def _published(db: Any, user: Any, document: Any) -> Any:
    """The stored version with the id and version the document names, if any."""
    if not isinstance(document, dict):
        return None
    pid, version = document.get("id"), document.get("version")
    if not (isinstance(pid, str) and isinstance(version, str)):
        return None
    try:
        return desk_admin.get_policy(db, user, pid, version)
    except NotFound:
        return None


# ---- audit ------------------------------------------------------------------------------------


@api_route(
    "/audit/verify",
    "GET",
    ApiDoc("Verify your organisation's hash-chained audit trail", "audit", "any role",
           response=CHAIN),
)  # fmt: skip
def verify_audit() -> Any:
    return reply(CHAIN, desk_read.verify_audit(get_db(), acting_user()))


@api_route(
    "/audit",
    "GET",
    ApiDoc("The newest audit entries (no personal data)", "audit", "any role",
           query=AuditQuerySchema, response=AUDIT, errors=(401, 422)),
)  # fmt: skip
def audit_entries() -> Any:
    limit = query(AuditQuerySchema())["limit"]
    return reply(AUDIT, desk_admin.audit_log(get_db(), acting_user(), limit=limit))
