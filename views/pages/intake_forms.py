"""The forms of keying in a paper certificate and of uploading many applicants at once, read into
the native wallet document and the case data `desk.open_case` takes.

A paper certificate's credentials are fields `c<i>.<element>` (i = 0, 1, …), one block of the
Annex I elements per credential; every value keyed in carries the provenance "keyed in from paper
by <officer>". Errors the intake finds at `wallet.credentials[i].<element>` are shown beside the
field `c<i>.<element>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import fields, validate

from models.credentials.schema import LIST_SEPARATOR
from models.errors import InvalidInput
from rules.schema import IsoDate
from rules.vocabulary import PURPOSES
from views.pages.forms import MAX_TEXT, _Form, _one_of, load_form

MAX_CREDENTIALS = 10
# The Annex I elements of the form, in the Recommendation's order: (element, required).
MANDATORY = (
    "title", "issuer_country", "awarding_body", "issued_on", "learning_outcomes", "ects",
    "eqf_level", "assessment_type", "participation_form", "quality_assurance",
)  # fmt: skip
OPTIONAL = (
    "framework_level", "qf_ehea_cycle", "prerequisites", "supervision", "grade", "stackability",
    "further_information",
)  # fmt: skip
CHOICES = ("assessment_type", "participation_form", "quality_assurance", "supervision",
           "stackability", "qf_ehea_cycle")  # fmt: skip
_FIELD = re.compile(r"c(\d+)\.(\w+)")
_WALLET = re.compile(r"wallet\.credentials\[(\d+)\]\.(\w+)")


class PaperCaseForm(_Form):
    """What is said of the case and the learner; the credentials are read separately."""

    class Meta:
        unknown = "exclude"  # the credential blocks `c<i>.*` are read by `paper_credentials`

    learner_id = fields.String(required=True, validate=validate.Length(max=200))
    learner_name = fields.String(load_default=None, validate=validate.Length(max=300))
    purpose = fields.String(required=True, validate=_one_of(PURPOSES))
    application_date = IsoDate(required=True)
    received_on = IsoDate(required=True)
    policy = fields.String(load_default=None, validate=validate.Length(max=200))


def credential_count(form: Mapping[str, str]) -> int:
    indices = [int(m.group(1)) for key in form if (m := _FIELD.fullmatch(key))]
    return min(max(indices, default=0) + 1, MAX_CREDENTIALS)


def paper_credentials(form: Mapping[str, str], officer: str) -> list[dict[str, Any]]:
    """The credential blocks as native credentials, each value with its paper provenance;
    `InvalidInput` on `c<i>.title` for a block left empty."""
    out, errors = [], {}
    note = f"keyed in from paper by {officer}"
    for i in range(credential_count(form)):
        values: dict[str, Any] = {}
        for element in (*MANDATORY, *OPTIONAL):
            text = (form.get(f"c{i}.{element}") or "").strip()
            if text:
                values[element] = _typed(element, text)
        if not values:
            errors[f"c{i}.title"] = _("key in this credential or remove the block")
            continue
        provenance = {
            name: {"kind": "native", "source": f"paper:credentials[{i}].{name}", "note": note}
            for name in values
        }
        out.append({"id": f"paper-{i + 1}", **values, "provenance": provenance})
    if errors:
        raise InvalidInput(errors)
    return out


def _typed(element: str, text: str) -> Any:
    if element == "learning_outcomes":
        lines = [x.strip() for x in re.split(rf"\n|{re.escape(LIST_SEPARATOR)}", text)]
        return [x for x in lines if x]
    if element == "framework_level":
        framework, _sep, level = text.partition(":")
        return {"framework": framework.strip(), "level": level.strip()}
    if element in ("ects", "eqf_level"):
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text  # the intake names the element and the value
        return int(number) if element == "eqf_level" and number.is_integer() else number
    return text


def paper_case(form: Mapping[str, str], officer: str) -> dict[str, Any]:
    """The paper form → `desk.open_case` data; every problem of the case fields and of the
    credential blocks at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values = load_form(PaperCaseForm(), form)
    except InvalidInput as exc:
        errors.update(exc.fields)
    try:
        credentials = paper_credentials(form, officer)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(errors)
    learner = {"id": values["learner_id"]}
    if values["learner_name"]:
        learner["name"] = values["learner_name"]
    data = {k: values[k] for k in ("purpose", "application_date", "received_on")}
    if values["policy"]:
        policy_id, _sep, version = values["policy"].partition("@")
        data.update(policy_id=policy_id, policy_version=version or None)
    data["wallet"] = {"learner": learner, "credentials": credentials}
    return data


def field_errors(fields_: Mapping[str, str]) -> dict[str, str]:
    """Intake errors at `wallet.credentials[i].element` → beside the field `c<i>.element`."""
    out = {}
    for key, message in fields_.items():
        found = _WALLET.match(key)
        if found:
            out[f"c{found.group(1)}.{found.group(2)}"] = message
        elif key == "wallet.learner":
            out["learner_id"] = message
        else:
            out[key] = message
    return out


class BulkForm(_Form):
    purpose = fields.String(required=True, validate=_one_of(PURPOSES))
    application_date = IsoDate(required=True)
    received_on = IsoDate(required=True)
    policy = fields.String(load_default=None, validate=validate.Length(max=200))
    sheet_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    confirm = fields.String(load_default=None, validate=_one_of(("yes",)))
    keep = ("sheet_text",)
