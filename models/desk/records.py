"""The desk's domain records (frozen) and the marshmallow schemas that read and write them.

Records are what the store returns and the desk passes around; they hold no personal data except
`Learner` (the one place a learner's name and own id live) and staff e-mail addresses in `User`.
Input schemas validate at the boundary (`unknown=RAISE`, strict numbers, closed vocabularies);
the schemas that dump records for the JSON API are in `models.desk.record_schemas`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from models.errors import InvalidInput
from rules.characters import SAFE_TEXT_PATTERN, unsafe_character
from rules.schema import IsoDate, Strict, StrictInteger
from rules.vocabulary import LISBON_OUTCOMES, PURPOSES

ROLES = ("admin", "officer", "viewer")
CASE_STATUSES = (
    "open",
    "evaluated",
    "waiting_for_applicant",
    "awaiting_confirmation",
    "decided",
    "reopened",
    "appealed",
)
ACTIONS = ("accept", "override", "request_evidence", "confirm")
DECISION_KINDS = ("initial", "correction", "appeal", "reopening")
EXCEPTION_TYPES = (
    "substitute",
    "waive_condition",
    "accept_with_condition",
    "partial",
    "alternative",
    "refuse",
)
LEVELS = LISBON_OUTCOMES
MAX_JUSTIFICATION = 10_000


@dataclass(frozen=True)
class Organisation:
    id: int
    slug: str
    name: str
    four_eyes: bool


@dataclass(frozen=True)
class User:
    """A member of staff; the organisation is the tenant of every call they make."""

    id: int
    organisation_id: int
    email: str
    display_name: str
    role: str
    active: bool
    created_at: str
    language: str | None = None  # their own choice of the desk's language; None: not chosen
    updated_at: str | None = None  # the last change of role, status or password


@dataclass(frozen=True)
class PolicyVersion:
    """One published, immutable policy version; `document` is the JSON as written."""

    id: int
    organisation_id: int
    policy_id: str
    version: str
    digest: str
    purpose: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    published_at: str
    published_by: int
    document: Mapping[str, Any] = field(repr=False)
    source_text: str | None = field(default=None, repr=False)  # as written; None before 0009
    supersedes_version: str | None = None  # takes over from this version of the same policy id
    supersedes_from: dt.date | None = None  # … from this date


@dataclass(frozen=True)
class Learner:
    key: str  # pseudonymous (HMAC of the learner's own id): what every other table holds
    organisation_id: int
    display_name: str | None  # personal data; None once erased
    external_id: str | None  # personal data; None once erased
    created_at: str
    erased_at: str | None


@dataclass(frozen=True)
class Case:
    id: int
    organisation_id: int
    learner_key: str
    purpose: str
    policy_id: str
    policy_version: str
    application_date: dt.date
    received_on: dt.date
    complete_on: dt.date | None
    created_by: int
    created_at: str
    status: str  # the latest case event
    reference: str = ""  # the organisation's human reference, e.g. "2026-0042" (never changes)


@dataclass(frozen=True)
class Snapshot:
    id: int
    case_id: int
    digest: str  # sha256 of the canonical JSON of `credentials`
    added_by: int
    added_at: str
    credentials: Mapping[str, Any] = field(repr=False)  # engine.inputs.wallet_to_plain
    received_on: dt.date | None = None  # when the applicant's items arrived (None: not recorded)


@dataclass(frozen=True)
class CaseEvent:
    id: int
    case_id: int
    status: str
    note: str
    actor_id: int
    at: str


@dataclass(frozen=True)
class Evaluation:
    id: int
    case_id: int
    snapshot_id: int
    fingerprint: str
    policy_digest: str
    engine: Mapping[str, Any]
    as_of: dt.date
    created_by: int
    created_at: str
    result: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Decision:
    """One append-only decision entry; a confirmation is its own entry pointing at the decision."""

    id: int
    case_id: int
    organisation_id: int
    action: str
    kind: str
    # rule or target id → Lisbon level decided; "request:ITEM" → the disposition of that item
    outcomes: Mapping[str, str]
    exception_type: str | None
    justification: str
    officer_id: int
    decided_at: str
    policy_id: str
    policy_version: str
    evaluation_id: int | None
    fingerprint: str | None
    previous_decision_id: int | None
    idempotency_key: str | None
    requires_confirmation: bool
    confirmed_by: int | None = None  # read from the confirming entry, never stored here
    confirmed_at: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    organisation_id: int | None  # None: instance-wide (e.g. a login failure for no known user)
    actor_id: int | None
    event: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str
    # The row the entry records ("decisions:12") and the sha256 of its bound columns then; both
    # None for an entry that records no row, or one written before entries bound their rows.
    row_ref: str | None = None
    row_hash: str | None = None


@dataclass(frozen=True)
class LoginThrottle:
    """Failed log-ins counted for one account, one client address or one (account, address)
    pair, within the window; `key` names it for clearing and holds no e-mail or address."""

    kind: str  # "account", "address" or "pair"
    key: str
    failures: int
    last_failure_at: str
    delay: float  # the wait the newest failure imposed (account: every address, per attempt)
    waiting_until: str | None  # pair and address: no attempt is checked before then
    user_id: int | None = None
    user_email: str | None = None
    organisation_id: int | None = None
    address: str | None = None
    address_hash: str | None = None


@dataclass(frozen=True)
class BatchJob:
    """A population evaluated against one policy version; its wallets and results are files."""

    id: int
    organisation_id: int
    created_by: int
    created_at: str
    policy_id: str
    policy_version: str
    as_of: str
    detail: str  # of the results: compact or full (engine.evaluate.evaluate)
    learners: int
    status: str  # queued, running, done, failed
    evaluated: int = 0
    errors: int = 0
    started_at: str | None = None
    heartbeat_at: str | None = None
    finished_at: str | None = None
    failure: str | None = None
    results_sha256: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueItem:
    """A case in the queue with its decision clock (calendar months from the complete file).

    While the file is incomplete (the latest evaluation still needs evidence) there is no
    deadline: `clock_from`, `due_on` and `days_elapsed` are None and `waiting_for` says what the
    file needs."""

    case: Case
    clock_from: dt.date | None
    days_elapsed: int | None
    due_on: dt.date | None
    overdue: bool
    waiting_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows; the learner's name only if not erased."""

    case: Case
    learner: Learner
    snapshots: tuple[Snapshot, ...]
    events: tuple[CaseEvent, ...]
    evaluations: tuple[Evaluation, ...]
    decisions: tuple[Decision, ...]


@dataclass(frozen=True)
class ReplayReport:
    """A decided case evaluated again under its stored policy version and snapshot."""

    case_id: int
    evaluation_id: int
    decision_id: int | None
    stored_fingerprint: str
    replayed_fingerprint: str
    outcomes_match: bool
    differences: tuple[str, ...]

    @property
    def fingerprint_matches(self) -> bool:
        return self.stored_fingerprint == self.replayed_fingerprint

    @property
    def matches(self) -> bool:
        return self.fingerprint_matches and self.outcomes_match


# ---- input schemas: the boundary of the desk -----------------------------------------------


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="expected one of {choices}; got {input!r}")


def safe_text(value: str) -> None:
    """Free text an officer writes (justifications, reasons, names) carries no control or
    bidirectional-override character: what a record says is what it shows."""
    why = unsafe_character(value)
    if why:
        raise ValidationError(f"the text {why}; remove it")


def _free_text(maximum: int, minimum: int = 0) -> list:
    return [validate.Length(min=minimum, max=maximum), safe_text]


SAFE = {"pattern": SAFE_TEXT_PATTERN}  # what the API document says of free text


class DecisionInputSchema(Strict):
    action = fields.String(required=True, validate=_one_of(ACTIONS[:3]))
    outcomes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.String(validate=_one_of(LEVELS)),
        load_default=dict,
    )
    # The answer to each request item (override only): {item id: disposition code}.
    dispositions = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=80)),
        values=fields.String(validate=validate.Length(min=1, max=80)),
        load_default=dict,
    )
    # Whether the letter offers the applicant the options the policy declares for an answer
    # that is not favourable; withholding them needs a justification.
    offer_options = fields.Boolean(load_default=True)
    exception_type = fields.String(
        load_default=None, allow_none=True, validate=_one_of(EXCEPTION_TYPES)
    )
    justification = fields.String(
        load_default="", validate=_free_text(MAX_JUSTIFICATION), metadata=SAFE
    )
    idempotency_key = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=200)
    )


class CaseInputSchema(Strict):
    # the native wallet document; models.credentials.intake checks it
    wallet = fields.Dict(required=True)
    # the applicant's facts and what they ask for (may also be inside the wallet document)
    applicant = fields.Dict(load_default=None, allow_none=True)
    request = fields.Dict(load_default=None, allow_none=True)
    purpose = fields.String(required=True, validate=_one_of(PURPOSES))
    application_date = IsoDate(required=True)
    received_on = IsoDate(required=True)
    complete_on = IsoDate(load_default=None, allow_none=True)
    policy_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    policy_version = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=80)
    )


class UserInputSchema(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    display_name = fields.String(required=True, validate=_free_text(200, 1), metadata=SAFE)
    role = fields.String(required=True, validate=_one_of(ROLES))
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=12, max=1024, error="expected {min} to {max} characters"),
    )


class ConfirmInputSchema(Strict):
    decision_id = StrictInteger(required=True)
    idempotency_key = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=200)
    )


def load_input(
    schema: Schema, data: Any, error: type[InvalidInput] = InvalidInput
) -> dict[str, Any]:
    """Validate `data`; on failure raise `error` with one message per field path."""
    if not isinstance(data, Mapping):
        raise error({"_schema": f"expected an object; got {type(data).__name__}"})
    try:
        return schema.load(dict(data))
    except ValidationError as exc:
        raise error(flatten(exc.messages)) from None


def flatten(messages: Any, path: str = "") -> dict[str, str]:
    """marshmallow's nested messages → {"outcomes.x.value": "message"} (first message per path)."""
    if isinstance(messages, Mapping):
        out: dict[str, str] = {}
        for key, value in messages.items():
            sub = path if key == "_schema" and path else f"{path}.{key}" if path else str(key)
            out.update(flatten(value, sub))
        return out
    if isinstance(messages, list) and messages:
        if all(isinstance(m, str) for m in messages):
            return {path or "_schema": str(messages[0])}
        out = {}
        for m in messages:
            out.update(flatten(m, path))
        return out
    return {path or "_schema": str(messages)}
