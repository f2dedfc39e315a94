"""marshmallow schemas of the native credential format: a credential, a wallet.

The same schema reads JSON values and CSV cells: `credential_schema(text=True)` is the variant
whose fields parse text cells. Field classes live in `fields` (Annex I's flat elements) and
`structured` (credits, levels, grades, declared elements, the request).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema

from models.credentials.fields import (  # noqa: F401 - the format's limits, re-exported
    LIST_SEPARATOR,
    MAX_CREDENTIALS,
    MAX_ID,
    MAX_LIST_ITEMS,
    MAX_TEXT,
    CodeField,
    CountryField,
    DateField,
    IscedField,
    ListField,
    NumberField,
    TextField,
    _text,
)
from models.credentials.structured import (  # noqa: F401 - re-exported
    ExtensionsField,
    StructuredField,
    applicant_from,
    extension_name,
    request_from,
)
from models.errors import expected, suggest
from rules.vocabulary import ELEMENTS, PROVENANCE


class IdField(fields.Field):
    """The credential id: text, unique in its wallet (checked by the caller, across credentials)."""

    def __init__(self, what: str = "the credential's id as text", **kwargs: Any):
        messages = {
            "required": f"expected {what}; it is missing",
            "null": f"expected {what}; got None",
        }
        super().__init__(required=True, error_messages=messages, **kwargs)
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value, self.what, MAX_ID).strip()


class TextOnly(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value)


class KindField(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if value in PROVENANCE:
            return value
        raise ValidationError(
            expected(f"one of {', '.join(PROVENANCE)}", value, suggest(value, PROVENANCE))
        )


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ProvenanceEntrySchema(Strict):
    kind = KindField(required=True, error_messages={"required": "expected a kind; it is missing"})
    source = TextOnly()
    note = TextOnly()


_ENTRY = ProvenanceEntrySchema()


def load_closed(schema: Schema, value: Any, what: str) -> dict:
    """Load a small object with fixed keys, naming each unknown key with a "did you mean"."""
    if not isinstance(value, dict):
        raise ValidationError(expected(what, value))
    keys = tuple(schema.fields)
    errors: dict[Any, Any] = {
        key: [expected(f"one of the keys {', '.join(keys)}", key, suggest(key, keys))]
        for key in value
        if key not in keys
    }
    try:
        loaded = schema.load({k: v for k, v in value.items() if k in keys})
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    return loaded


class ProvenanceField(fields.Field):
    """{element name: {kind, source, note}}: where each value came from."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError(expected("an object {element: {kind, source, note}}", value))
        loaded, errors = {}, {}
        for name, entry in value.items():
            try:
                if name not in ELEMENTS:
                    what = "a credential element name"
                    raise ValidationError(expected(what, name, suggest(name, ELEMENTS)))
                loaded[name] = load_closed(_ENTRY, entry, "an object {kind, source, note}")
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class _CredentialBase(Strict):
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _provenance_agrees(self, data: dict, original: Any, **kwargs: Any) -> None:
        """kind "absent" exactly when the element has no value, so provenance never contradicts."""
        stated = original.get("provenance") if isinstance(original, dict) else None
        errors = {}
        for name, entry in stated.items() if isinstance(stated, dict) else ():
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if name not in ELEMENTS or kind not in PROVENANCE:
                continue  # reported by ProvenanceField
            if original.get(name) is not None and kind == "absent":
                errors[name] = [
                    expected("a kind other than 'absent' for an element with a value", kind)
                ]
            elif original.get(name) is None and kind != "absent":
                errors[name] = [
                    expected("'absent' (or no entry) for an element without a value", kind)
                ]
        if errors:
            raise ValidationError({"provenance": errors})

    @post_load
    def _split(self, data: dict, **kwargs: Any) -> dict:
        values = {k: v for k, v in data.items() if k in ELEMENTS and v is not None}
        return {
            "id": data["id"],
            "values": values,
            "provenance": data.get("provenance", {}),
            "extensions": data.get("extensions", {}),
        }


_FIELDS = {
    "decimal": NumberField, "integer": NumberField, "date": DateField, "country": CountryField,
    "text": TextField, "code": CodeField, "isced": IscedField, "text_list": ListField,
    "uri_list": ListField, "credits": StructuredField, "level": StructuredField,
    "grade": StructuredField,
}  # fmt: skip


@cache
def credential_schema(text: bool = False) -> Schema:
    """The schema of one credential; `text=True` reads CSV cells (and has no provenance key).

    Loading returns {"id", "values" (absent elements left out), "provenance" (as stated)}.
    """
    declared: dict[str, fields.Field] = {
        name: _FIELDS[element.type](element, text) for name, element in ELEMENTS.items()
    }
    declared["id"] = IdField()
    if not text:
        declared["provenance"] = ProvenanceField()
        declared["extensions"] = ExtensionsField()
    name = "CsvCredentialSchema" if text else "CredentialSchema"
    return _CredentialBase.from_dict(declared, name=name)()


CREDENTIAL_KEYS = ("id", "provenance", "extensions", *ELEMENTS)


LEARNER_ID = IdField("the learner's id as text")


class LearnerSchema(Strict):
    """The wallet's learner: personal data, read only to derive the pseudonymous key."""

    id = LEARNER_ID
    name = TextOnly()


class LearnerField(fields.Field):
    default_error_messages = {"null": 'expected an object with "id" and optional "name"; got None'}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        return load_closed(LearnerSchema(), value, 'an object {"id": …, "name": …}')


class CredentialListField(fields.Field):
    """The raw list of credentials; each one is loaded separately so its path is known."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError(expected("a list of credential objects", value))
        if len(value) > MAX_CREDENTIALS:
            raise ValidationError(
                f"expected at most {MAX_CREDENTIALS:,} credentials in a wallet; got {len(value):,}"
            )
        return value


class WalletSchema(Strict):
    learner = LearnerField()  # optional: policy examples need no learner; it is then "anonymous"
    credentials = CredentialListField(
        required=True, error_messages={"required": "expected a list of credentials; it is missing"}
    )
    applicant = fields.Raw()  # the applicant's facts {name: value}, typed by the policy
    request = fields.Raw()  # what was asked; read by `request_from`

    @validates_schema(skip_on_field_errors=False)
    def _facts_and_request(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        if "applicant" in data:
            try:
                applicant_from(data["applicant"])
            except ValidationError as exc:
                errors["applicant"] = exc.messages
        if "request" in data:
            try:
                request_from(data["request"])
            except ValidationError as exc:
                errors["request"] = exc.messages
        if errors:
            raise ValidationError(errors)
