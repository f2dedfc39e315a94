"""marshmallow schemas for the structure of a policy document (conditions are parsed separately)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from rules.numbers import NumberError, constant, interval
from rules.vocabulary import ASPECTS, LISBON_OUTCOMES, PURPOSES, STATUSES

ID = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$",
    error="expected an id of letters, digits and _ . : - (at most 80 characters)",
)


class StrictNumber(fields.Number):
    """A JSON/YAML number only: no strings, no booleans, no NaN (marshmallow's Float takes "6")."""

    num_type = float

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ValidationError(f"expected a number; got {value!r}")
        return float(value)


class StrictInteger(fields.Integer):
    """A whole number only: 6.5 is an error, not 6; "6" is an error too."""

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(f"expected a whole number; got {value!r}")
        return super()._deserialize(value, attr, data, **kwargs)


class IsoDate(fields.Date):
    """An ISO date written as text (JSON) or as a YAML date."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str):
            raise ValidationError(f"expected an ISO date (YYYY-MM-DD); got {value!r}")
        return super()._deserialize(value, attr, data, **kwargs)


LANGUAGE = r"^[a-z]{2}$"
LANGUAGE_ERROR = "a two-letter language code (ISO 639-1) such as sv"


def _text(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=500), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class HoursPerEcts(fields.Field):
    """A number of hours, or {min, max} where the source gives a range (ECTS: 25 to 30)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            if isinstance(value, dict) and set(value) == {"min", "max"}:
                low, high = constant(value["min"]), constant(value["max"])
                if not 1 <= low < high <= 100:
                    raise NumberError("expected 1 ≤ min < max ≤ 100")
                return interval(low, high)
            number = constant(value) if not isinstance(value, str) else None
        except (NumberError, TypeError) as exc:
            raise ValidationError(f"expected hours from 1 to 100, or {{min, max}}: {exc}") from None
        if number is None or not 1 <= number <= 100:
            raise ValidationError(f"expected hours from 1 to 100, or {{min, max}}; got {value!r}")
        return number


class SettingsSchema(Strict):
    hours_per_ects = HoursPerEcts()
    double_counting = fields.String(validate=validate.OneOf(("forbidden", "allowed")))
    overlap = fields.Nested(
        lambda: OverlapSchema(),
    )


class OverlapSchema(Strict):
    element = fields.String(required=True, validate=validate.OneOf(("skills", "learning_outcomes")))
    min_share = StrictNumber(validate=validate.Range(min=0, max=1, min_inclusive=False))


class EquivalenceSchema(Strict):
    module = fields.String(required=True, validate=ID)
    title = _text(required=True)
    credits = StrictNumber(validate=validate.Range(min=0))
    when = fields.Raw(required=True)


class ExclusionSchema(Strict):
    id = fields.String(required=True, validate=ID)
    reason = _text(required=True)
    when = fields.Raw(required=True)


class TierSchema(Strict):
    level = fields.String(required=True, validate=validate.OneOf(LISBON_OUTCOMES[:-1]))
    requires = fields.List(fields.String(validate=validate.OneOf(ASPECTS)), required=True)
    recognised_as = _text()
    credits = StrictNumber(validate=validate.Range(min=0))
    note = _text()


class RecognitionSchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = _text(required=True)
    applies_to = fields.Raw()
    checks = fields.Dict(keys=fields.String(validate=validate.OneOf(ASPECTS)), required=True)
    outcomes = fields.List(fields.Nested(TierSchema), validate=validate.Length(min=1))
    otherwise = fields.String(validate=validate.OneOf(("refused", "alternative")))


class SlotSchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = _text(required=True)
    min = StrictInteger(validate=validate.Range(min=0, max=50))
    max = fields.Raw()  # a whole number, or "any"
    when = fields.Raw(required=True)

    @validates_schema
    def check_max(self, data: dict, **kwargs: Any) -> None:
        top = data.get("max")
        if top is None or top == "any":
            return
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValidationError(f'expected a whole number ≥ 1 or "any"; got {top!r}', "max")
        if top < data.get("min", 1):
            raise ValidationError(f"max ({top}) is below min ({data.get('min', 1)})", "max")


class ShareSchema(Strict):
    title = _text(required=True)
    when = fields.Raw(required=True)
    min_share = StrictNumber(required=True, validate=validate.Range(min=0, max=1))
    of = fields.String(validate=validate.OneOf(("ects", "count")))


class TargetSchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = _text(required=True)
    builds_on = fields.List(fields.String(validate=ID))
    slots = fields.List(fields.Nested(SlotSchema), validate=validate.Length(max=50))
    all_credentials = fields.Raw()
    min_total_ects = StrictNumber(validate=validate.Range(min=0))
    min_count = StrictInteger(validate=validate.Range(min=1, max=200))
    max_per_provider = StrictInteger(validate=validate.Range(min=1, max=200))
    shares = fields.List(fields.Nested(ShareSchema))
    awards = _text()
    credits = StrictNumber(validate=validate.Range(min=0))
    totals = fields.List(fields.Raw())


class ExpectationSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    level = fields.String(validate=validate.OneOf(LISBON_OUTCOMES))


class ExampleSchema(Strict):
    name = _text(required=True)
    as_of = IsoDate(required=True)
    wallet = fields.Raw(required=True)
    applicant = fields.Dict(keys=fields.String())
    request = fields.Raw()
    expect = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class SourceSchema(Strict):
    url = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    retrieved = IsoDate()
    note = fields.String(validate=validate.Length(max=2000))


class PolicySchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = _text(required=True)
    organisation = _text(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    effective_from = IsoDate(required=True)
    effective_to = IsoDate()
    description = fields.String()
    settings = fields.Nested(SettingsSchema)
    equivalences = fields.List(fields.Nested(EquivalenceSchema))
    exclusions = fields.List(fields.Nested(ExclusionSchema))
    recognition = fields.List(fields.Nested(RecognitionSchema))
    targets = fields.List(fields.Nested(TargetSchema))
    examples = fields.List(fields.Nested(ExampleSchema))
    # Language 2: read by their own readers (rules.declarations, rules.tables, ...), which report
    # problems with paths; here they only need to be present.
    source = fields.Raw()
    imports = fields.List(fields.Raw())
    elements = fields.Raw()
    facts = fields.Raw()
    frameworks = fields.Raw()
    credit_systems = fields.Raw()
    grade_schemes = fields.Raw()
    tables = fields.Raw()
    lookups = fields.Raw()
    computed = fields.Raw()
    classifications = fields.Raw()
    mappings = fields.Raw()
    criteria = fields.List(fields.Raw())
    dispositions = fields.Raw()
    requests = fields.Raw()
    # The policy's own texts (titles, labels, option texts, notes) in other languages, keyed by
    # the text as written: {sv: {"Credit transfer": "Tillgodoräknande"}}. Shown to people (pages,
    # letters in the applicant's language); never read by the engine.
    translations = fields.Dict(
        keys=fields.String(validate=validate.Regexp(LANGUAGE, error=LANGUAGE_ERROR)),
        values=fields.Dict(
            keys=fields.String(validate=validate.Length(min=1, max=2000)),
            values=fields.String(validate=validate.Length(min=1, max=2000)),
        ),
    )

    @validates_schema
    def check_period(self, data: dict, **kwargs: Any) -> None:
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            raise ValidationError("effective_to is before effective_from", "effective_to")
        if not data.get("recognition") and not data.get("targets") and not data.get("criteria"):
            raise ValidationError(
                "a policy needs at least one recognition rule, target or criterion"
            )
