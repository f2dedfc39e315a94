"""Words for what the engine and the desk return: labels a recognition officer reads, not codes.

Registered as Jinja filters and globals; the templates never show raw JSON of a result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Flask

from engine.inputs import from_plain
from engine.wording import show
from rules.vocabulary import ELEMENTS, VOCABULARIES

STATUS = {
    "met": "Met",
    "not_met": "Not met",
    "unknown": "Unknown: evidence needed",
    "not_applicable": "Not applicable",
}
LEVEL = {
    "full": "Full recognition",
    "partial": "Partial recognition",
    "conditional": "Conditional recognition",
    "alternative": "Alternative recognition",
    "refused": "Refused",
}
STACKING_LEVEL = {"full": "Award (eligible, as proposed)", "refused": "Not awarded"}
CASE_STATUS = {
    "open": "Open",
    "evaluated": "Evaluated",
    "waiting_for_applicant": "Waiting for the applicant",
    "awaiting_confirmation": "Awaiting a second officer's confirmation",
    "decided": "Decided",
    "reopened": "Reopened",
    "appealed": "Appealed",
}
ACTION = {
    "accept": "Accepted the proposal",
    "override": "Overrode the proposal",
    "request_evidence": "Requested evidence",
    "confirm": "Confirmed (four-eyes)",
}
EXCEPTION = {
    "substitute": "Substitute a credential",
    "waive_condition": "Waive a condition",
    "accept_with_condition": "Accept with a condition",
    "partial": "Partial recognition",
    "alternative": "Alternative recognition",
    "refuse": "Refuse",
}
KIND = {
    "initial": "Initial decision",
    "correction": "Correction",
    "appeal": "Decision on appeal",
    "reopening": "Decision after reopening",
}
PURPOSE = {"admission": "Admission", "credit": "Credit", "employment": "Employment track"}
# The columns of the credentials table; every other element is listed under "all details".
CREDENTIAL_COLUMNS = ("title", "awarding_body", "issuer_country", "issued_on", "ects", "eqf_level")


def status_label(status: str, kind: str = "recognition") -> str:
    if kind == "stacking" and status == "met":
        return "Eligible to be considered"
    return STATUS.get(status, status)


def outcome_label(outcome: Mapping[str, Any]) -> str:
    """The proposed result of one rule or target, in words."""
    detail = outcome.get("outcome") or {}
    if outcome["kind"] == "recognition":
        level = detail.get("level")
        words = LEVEL.get(level, "") if level else ""
        if detail.get("pending_level"):
            words += f" (pending: {LEVEL.get(detail['pending_level'], detail['pending_level'])})"
        if detail.get("recognised_as"):
            words += f" as {detail['recognised_as']}"
        if detail.get("credits"):
            words += f", {number(detail['credits'])} credits"
        return words.strip() or status_label(outcome["status"])
    if outcome["status"] == "met":
        awards = detail.get("awards") or outcome.get("title", "")
        return f"Eligible to be considered for {awards}; a person decides the award"
    return status_label(outcome["status"], "stacking")


def level_label(level: str | None, kind: str = "recognition") -> str:
    if level is None:
        return "No proposal (evidence needed)"
    if kind == "stacking":
        return STACKING_LEVEL.get(level, LEVEL.get(level, level))
    return LEVEL.get(level, level)


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def element_label(name: str) -> str:
    element = ELEMENTS.get(name)
    return element.label[:1].upper() + element.label[1:] if element else name


def element_value(name: str, value: Any) -> str:
    """A stored credential value (engine plain form) in words."""
    if value is None:
        return "not stated"
    if isinstance(value, Mapping):  # tagged plain form: a date, credits, a level, a grade
        return str(show(name, from_plain(dict(value))))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(element_value(name, v) for v in value)
    element = ELEMENTS.get(name)
    if element is not None and element.vocabulary and isinstance(value, str):
        return VOCABULARIES[element.vocabulary].label_of(value)
    return number(value)


def actual_value(value: Any) -> str:
    if value is None:
        return "not stated"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return number(value)


def provenance_label(row: Mapping[str, Any]) -> str:
    """Where a condition's value came from: the credential itself unless it was derived."""
    if row.get("actual") is None:
        return "absent from the credential"
    return str(row.get("provenance") or "stated on the credential")


def credential_provenance(credential: Mapping[str, Any], name: str) -> str:
    kind, source, note = (list(credential.get("provenance", {}).get(name, ())) + ["", "", ""])[:3]
    if not kind:
        return ""
    return note or ("stated on the credential" if kind == "native" else f"{kind} ({source})")


def date_label(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def moment(value: str | None) -> str:
    """A stored UTC timestamp as 'YYYY-MM-DD HH:MM UTC'."""
    if not value:
        return "—"
    return f"{value[:10]} {value[11:16]} UTC"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        status_label=status_label,
        outcome_label=outcome_label,
        level_label=level_label,
        element_label=element_label,
        element_value=element_value,
        actual_value=actual_value,
        provenance_label=provenance_label,
        date_label=date_label,
        moment=moment,
        number=number,
        case_status=lambda s: CASE_STATUS.get(s, s),
        action_label=lambda s: ACTION.get(s, s),
        exception_label=lambda s: EXCEPTION.get(s, s) if s else "",
        kind_label=lambda s: KIND.get(s, s),
        purpose_label=lambda s: PURPOSE.get(s, s),
    )
    app.jinja_env.globals.update(
        credential_columns=CREDENTIAL_COLUMNS,
        credential_provenance=credential_provenance,
        LEVELS=tuple(LEVEL),
        EXCEPTIONS=EXCEPTION,
        PURPOSES=PURPOSE,
        CASE_STATUSES=CASE_STATUS,
    )
