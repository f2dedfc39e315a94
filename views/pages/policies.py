"""Policies: the list, one version's page (its examples run live, a sandbox that evaluates pasted
credentials and stores nothing), and publishing a new version (admins).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

import yaml
from flask import Blueprint, flash, render_template
from flask_babel import gettext as _

from engine.examples import compare
from models.credentials.intake import example_document, wallet_from_document
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk.publishing import PublishRefused
from models.desk.records import PolicyVersion
from models.errors import Conflict, Forbidden, IntakeError, InvalidInput
from rules.errors import PolicyError
from views.context import get_db, get_evaluator, learner_key_secret
from views.pages.forms import PolicyForm, SandboxForm, load_form, policy_document, wallet_document
from views.pages.policy_texts import use_policy_texts
from views.pages.policy_words import Words
from views.pages.publish_options import SUPERSEDE_FIELDS, supersedes_from_form, written
from views.pages.web import current_user, form_fields, login_required, see_other
from views.pages.web import uploaded as uploaded_file
from views.rates import count_evaluation

bp = Blueprint("policies", __name__)


@bp.get("/policies")
@login_required
def policy_list() -> Any:
    versions = desk_admin.list_policies(get_db(), current_user())
    grouped = [
        (policy_id, sorted(items, key=lambda v: (v.published_at, v.id), reverse=True))
        for policy_id, items in groupby(versions, key=lambda v: v.policy_id)
    ]
    return render_template("policies.html", grouped=grouped)


def _policy_page(
    policy_id: str,
    version: str,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    user = current_user()
    stored = desk_admin.get_policy(get_db(), user, policy_id, version)
    use_policy_texts(stored.document)
    versions = [v for v in desk_admin.list_policies(get_db(), user) if v.policy_id == policy_id]

    policy = desk.validated_policy(stored)
    return render_template(
        "policy.html",
        stored=stored,
        policy=policy,
        versions=sorted(versions, key=lambda v: (v.published_at, v.id), reverse=True),
        examples=_run_examples(policy, str(user.organisation_id)),
        words=Words(policy),
        document=yaml.safe_dump(dict(stored.document), sort_keys=False, allow_unicode=True),
        as_written=stored.source_text,
        form=form or {"as_of": dt.date.today().isoformat()},
        errors=errors or {},
        result=result,
    ), status


def _run_examples(policy: Any, organisation: str) -> list[dict[str, Any]]:
    """Each attached example evaluated now, with its expectation met or not."""
    evaluator = get_evaluator()
    rows = []
    for example in policy.examples:
        try:
            wallet = wallet_from_document(example_document(example), learner_key_secret())
        except IntakeError as exc:
            rows.append({"example": example, "problems": [str(p) for p in exc.problems]})
            continue
        result = evaluator.evaluate(policy, wallet, example.as_of, organisation=organisation)
        rows.append({"example": example, "problems": compare(example, result)})
    return rows


@bp.get("/policies/<policy_id>/<version>")
@login_required
def policy_page(policy_id: str, version: str) -> Any:
    return _policy_page(policy_id, version)


@bp.post("/policies/<policy_id>/<version>/try")
@login_required
def try_policy(policy_id: str, version: str) -> Any:
    """The sandbox: evaluate pasted credentials; nothing is stored, nothing is audited."""
    user, form = current_user(), form_fields()
    stored = desk_admin.get_policy(get_db(), user, policy_id, version)  # scoped: 404 elsewhere
    secret = learner_key_secret()
    try:
        values = load_form(SandboxForm(), form)
        document = wallet_document(values["wallet_text"], uploaded_file("wallet_file"), secret)
        try:
            wallet = wallet_from_document(document, secret, "wallet")
        except IntakeError as exc:
            fields = {f"wallet.{p.path}".rstrip("."): p.message for p in exc.problems}
            raise InvalidInput(fields) from None
    except InvalidInput as exc:
        return _policy_page(policy_id, version, form=form, errors=exc.fields, status=422)
    count_evaluation(user.id)
    result = get_evaluator().evaluate(
        desk.validated_policy(stored), wallet, values["as_of"],
        organisation=str(user.organisation_id),
    )  # fmt: skip
    return _policy_page(policy_id, version, form=form, result=result)


def _require_admin() -> None:
    if current_user().role != "admin":
        raise Forbidden(_("Only an admin may publish policies."))


@bp.get("/policies/new")
@login_required
def new_policy() -> Any:
    _require_admin()
    return render_template("policy_new.html", form={}, errors={}, problems=[], refused=None)


@bp.post("/policies/new")
@login_required
def new_policy_post() -> Any:
    _require_admin()
    form = form_fields()
    page = {"form": form, "errors": {}, "problems": [], "refused": None}
    try:
        values = load_form(PolicyForm(), form_fields(*SUPERSEDE_FIELDS))
        upload = uploaded_file("document_file")
        document = policy_document(values["document_text"], upload)
        if not isinstance(document, dict):
            raise InvalidInput({"document": _("expected a policy: a mapping of id, title, …")})
        text = written(upload, values["document_text"])
        published: PolicyVersion = desk_admin.publish_policy(
            get_db(), current_user(), document, evaluator=get_evaluator(), source_text=text,
            supersedes=supersedes_from_form(form),
        )  # fmt: skip
    except PublishRefused as exc:
        return render_template("policy_new.html", **{**page, "refused": exc}), 422
    except (InvalidInput, Conflict) as exc:
        fields = exc.fields if isinstance(exc, InvalidInput) else {"document": exc.message}
        status = 409 if isinstance(exc, Conflict) else 422
        return render_template("policy_new.html", **{**page, "errors": fields}), status
    except PolicyError as exc:
        return render_template("policy_new.html", **{**page, "problems": list(exc.problems)}), 422
    flash(_("Published %(id)s version %(v)s.", id=published.policy_id, v=published.version))
    return see_other(
        "policies.policy_page", policy_id=published.policy_id, version=published.version
    )
