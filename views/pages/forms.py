"""Forms of the pages, read through marshmallow into the plain data the desk functions take.

A form schema turns what a browser sends (strings; empty meaning "not given"; one field per
outcome) into the desk's input; the desk validates that input again with its own schemas. Every
error is a `models.errors.InvalidInput` whose `.fields` the page shows beside each field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, fields, pre_load, validate

from models.credentials.formats import import_document
from models.credentials.intake import load_wallet_bytes
from models.credentials.schema import LIST_SEPARATOR
from models.desk.queue_records import SORTS, VIEWS, QueueQuery
from models.desk.records import ACTIONS, CASE_STATUSES, EXCEPTION_TYPES, LEVELS, load_input
from models.errors import IntakeError, InvalidInput
from rules.errors import PolicyError, Problem
from rules.loader import parse_document
from rules.schema import IsoDate, Strict
from rules.vocabulary import ELEMENTS, PURPOSES

OUTCOME_PREFIX = "outcome."
DISPOSITION_PREFIX = "disposition."
MAX_TEXT = 2 * 1024 * 1024


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="choose one of the listed options")


class _Form(Strict):
    """Empty fields are "not given"; surrounding white space is not part of a value."""

    @pre_load
    def blanks(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        out = {}
        for key, value in data.items():
            value = value.strip() if isinstance(value, str) and key not in self.keep else value
            if value != "":
                out[key] = value
        return out

    keep: tuple[str, ...] = ()


class LoginForm(_Form):
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, validate=validate.Length(max=1024))
    next = fields.String(load_default=None, validate=validate.Length(max=2000))
    keep = ("password",)


class QueueFilter(_Form):
    class Meta:
        unknown = EXCLUDE  # a bookmarked query string may carry anything

    status = fields.String(load_default=None, validate=_one_of(CASE_STATUSES))
    purpose = fields.String(load_default=None, validate=_one_of(PURPOSES))
    overdue = fields.String(load_default=None, validate=_one_of(("yes", "no")))
    view = fields.String(load_default=None, validate=_one_of(VIEWS))
    q = fields.String(load_default="", validate=validate.Length(max=200))
    policy = fields.String(load_default=None, validate=validate.Length(max=200))
    sort = fields.String(load_default="due", validate=_one_of(SORTS))
    dir = fields.String(load_default="asc", validate=_one_of(("asc", "desc")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


def queue_query(values: Mapping[str, Any]) -> QueueQuery:
    """The queue's query string → the desk's query. Without a view, a status filter looks at
    every case (a bookmark of ?status=decided keeps meaning what it meant)."""
    view = values["view"] or ("all" if values["status"] else "open")
    return QueueQuery(
        view=view,
        status=values["status"],
        purpose=values["purpose"],
        policy=values["policy"],
        overdue={"yes": True, "no": False}.get(values["overdue"] or ""),
        search=values["q"],
        sort=values["sort"],
        descending=values["dir"] == "desc",
        page=values["page"],
    )


class AssignForm(_Form):
    # "me": take the case; "": nobody; else the id of an officer of the organisation
    officer = fields.String(load_default="", validate=validate.Length(max=20))


def assigned_officer(form: Mapping[str, str], me: int) -> int | None:
    value = load_form(AssignForm(), form)["officer"]
    if value == "me":
        return me
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput({"officer": "choose one of the listed options"})
    return int(value)


class ReturnForm(_Form):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=10_000),
        error_messages={"required": "state why the decision goes back to its author"},
    )


class CaseForm(_Form):
    purpose = fields.String(required=True, validate=_one_of(PURPOSES))
    application_date = IsoDate(required=True)
    received_on = IsoDate(required=True)
    complete_on = IsoDate(load_default=None)
    policy = fields.String(load_default=None, validate=validate.Length(max=200))
    wallet_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    request_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    applicant_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    keep = ("wallet_text", "request_text", "applicant_text")


class DecisionForm(_Form):
    action = fields.String(
        required=True, validate=_one_of(ACTIONS[:3]), error_messages={"required": "choose one"}
    )
    exception_type = fields.String(load_default=None, validate=_one_of(EXCEPTION_TYPES))
    justification = fields.String(load_default="", validate=validate.Length(max=10_000))
    idempotency_key = fields.String(load_default=None, validate=validate.Length(max=200))
    outcomes = fields.Dict(
        keys=fields.String(), values=fields.String(validate=_one_of(LEVELS)), load_default=dict
    )
    dispositions = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Length(max=80)),
        load_default=dict,
    )
    withhold_options = fields.String(load_default=None, validate=_one_of(("yes",)))


class KeyForm(_Form):
    class Meta:
        unknown = EXCLUDE  # a button's form: nothing else in it means anything

    idempotency_key = fields.String(load_default=None, validate=validate.Length(max=200))


class ReopenForm(_Form):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=10_000),
        error_messages={"required": "state why the case is reopened"},
    )
    appeal = fields.Boolean(load_default=False, truthy={"yes"}, falsy={"no"})


class EvidenceForm(_Form):
    complete_on = IsoDate(load_default=None)
    received_on = IsoDate(load_default=None)
    wallet_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    applicant_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    keep = ("wallet_text", "applicant_text")


class SandboxForm(_Form):
    as_of = IsoDate(required=True)
    wallet_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    keep = ("wallet_text",)


class PolicyForm(_Form):
    document_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    keep = ("document_text",)


def load_form(schema: _Form, data: Mapping[str, Any]) -> dict[str, Any]:
    return load_input(schema, data)


def decision_input(form: Mapping[str, str]) -> dict[str, Any]:
    """The decision form → `desk.decide` input. Outcomes and the exception type belong to an
    override only: for the other actions their (default) selections are not sent on."""

    def picked(prefix: str) -> dict[str, str]:
        return {
            key[len(prefix) :]: value
            for key, value in form.items()
            if key.startswith(prefix) and value.strip()
        }

    plain = {
        k: v for k, v in form.items() if not k.startswith((OUTCOME_PREFIX, DISPOSITION_PREFIX))
    }
    values = load_form(
        DecisionForm(),
        {**plain, "outcomes": picked(OUTCOME_PREFIX), "dispositions": picked(DISPOSITION_PREFIX)},
    )
    values["offer_options"] = values.pop("withhold_options") != "yes"
    if values["action"] != "override":
        values["outcomes"], values["dispositions"], values["exception_type"] = {}, {}, None
    return values


def case_input(form: Mapping[str, str], upload: tuple[bytes, str] | None, secret: bytes) -> dict:
    """The new-case form → `desk.open_case` input (the wallet read from the upload or text)."""
    values = load_form(CaseForm(), form)
    data = {k: values[k] for k in ("purpose", "application_date", "received_on", "complete_on")}
    if values["policy"]:
        policy_id, _, version = values["policy"].partition("@")
        data.update(policy_id=policy_id, policy_version=version or None)
    data["wallet"] = wallet_document(values["wallet_text"], upload, secret)
    for key in ("request", "applicant"):
        found = json_object(values[f"{key}_text"], key)
        if found is not None:
            data[key] = found
    return data


def json_object(text: str, key: str) -> dict | None:
    """A pasted JSON object (None when nothing was pasted); `InvalidInput` on `key` otherwise."""
    if not text.strip():
        return None
    try:
        found = json.loads(text)
    except ValueError as exc:
        raise InvalidInput({key: f"expected a JSON object; {exc}"}) from None
    if not isinstance(found, dict):
        raise InvalidInput({key: "expected a JSON object {…}"})
    return found


def wallet_document(text: str, upload: tuple[bytes, str] | None, secret: bytes) -> dict:
    """A pasted or uploaded wallet (native JSON, or a CSV sheet of one learner) as the native
    wallet document; `InvalidInput` on `wallet` (or `wallet.<path>`) otherwise."""
    if upload is not None:
        raw, name = upload
    elif text.strip():
        raw = text.encode("utf-8")
        name = "pasted.json" if text.lstrip()[:1] in "{[" else "pasted.csv"
    else:
        raise InvalidInput({"wallet": "paste the learner's credentials or choose a file"})
    if name.lower().endswith(".csv"):
        return _csv_document(raw, name, secret)
    if not name.lower().endswith((".json", ".jsonld", ".jwt")):
        raise InvalidInput(
            {"wallet": f"expected a .json, .jsonld, .jwt or .csv file; got {name!r}"}
        )
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput({"wallet": "expected UTF-8 text"}) from None
    except ValueError as exc:
        if raw.lstrip()[:1] in (b"{", b"["):
            raise InvalidInput({"wallet": f"expected JSON; {exc}"}) from None
        document = None  # not JSON at all: maybe a VC-JWT or a compact JWS
    if isinstance(document, dict) and "credentials" in document:
        return document
    return _imported_document(raw, name)


def _imported_document(raw: bytes, name: str) -> dict:
    """A Europass EDC, Open Badges or CLR document: imported and verified offline, then held
    as a native wallet (every element keeps its provenance and the verification verdict)."""
    try:
        return import_document(raw, name).wallet_document()
    except IntakeError as exc:
        fields = {f"wallet.{p.path}".rstrip("."): p.message for p in exc.problems}
        raise InvalidInput(fields or {"wallet": str(exc)}) from None


def _csv_document(raw: bytes, name: str, secret: bytes) -> dict:
    try:
        wallets = load_wallet_bytes(raw, name, secret)  # every row problem, as the CLI reports it
    except IntakeError as exc:
        fields = {f"wallet.{p.path}".rstrip("."): p.message for p in exc.problems}
        raise InvalidInput(fields) from None
    if len(wallets) != 1:
        raise InvalidInput({"wallet": f"a case is one learner; this sheet has {len(wallets)}"})
    text = raw.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    learner = ""
    credentials = []
    for row in rows:
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue
        learner = cells.pop("learner_id", "") or learner
        credential = {"id": cells.pop("credential_id", "")}
        credential.update({k: _typed(k, v) for k, v in cells.items() if v})
        credentials.append(credential)
    return {"learner": {"id": learner}, "credentials": credentials}


def _typed(element: str, text: str) -> Any:
    kind = ELEMENTS[element].type if element in ELEMENTS else "text"
    if kind in ("text_list", "uri_list"):
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    try:
        if kind == "integer":
            return int(text)
        if kind == "decimal":
            return float(text)
    except ValueError:
        return text  # the wallet check names the element and the value
    return text


def policy_document(text: str, upload: tuple[bytes, str] | None) -> Any:
    """A policy from an uploaded YAML/JSON file or pasted text (YAML reads JSON too)."""
    if upload is not None:
        raw, name = upload
        if not name.lower().endswith((".yaml", ".yml", ".json")):
            message = f"expected a .yaml, .yml or .json file; got {name!r}"
            raise PolicyError([Problem("", message)], name)
        return parse_document(raw, name)
    if not text.strip():
        raise InvalidInput({"document": "paste the policy or choose a file"})
    return parse_document(text.encode("utf-8"), "pasted.yaml")
