"""Words for what the engine and the desk return: labels a recognition officer reads, not codes.

Registered as Jinja filters and globals; the templates never show raw JSON of a result.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.inputs import from_plain
from engine.wording import show
from models.messages import Message
from rules.vocabulary import ELEMENTS, VOCABULARIES
from views.pages.policy_texts import policy_text

STATUS = {
    "met": _l("Met"),
    "not_met": _l("Not met"),
    "unknown": _l("Unknown: evidence needed"),
    "not_applicable": _l("Not applicable"),
}
LEVEL = {
    "full": _l("Full recognition"),
    "partial": _l("Partial recognition"),
    "conditional": _l("Conditional recognition"),
    "alternative": _l("Alternative recognition"),
    "refused": _l("Refused"),
}
STACKING_LEVEL = {"full": _l("Award (eligible, as proposed)"), "refused": _l("Not awarded")}
CASE_STATUS = {
    "open": _l("Open"),
    "evaluated": _l("Evaluated"),
    "waiting_for_applicant": _l("Waiting for the applicant"),
    "awaiting_confirmation": _l("Awaiting a second officer's confirmation"),
    "decided": _l("Decided"),
    "reopened": _l("Reopened"),
    "appealed": _l("Appealed"),
}
ACTION = {
    "accept": _l("Accepted the proposal"),
    "override": _l("Overrode the proposal"),
    "request_evidence": _l("Requested evidence"),
    "confirm": _l("Confirmed (four-eyes)"),
}
EXCEPTION = {
    "substitute": _l("Substitute a credential"),
    "waive_condition": _l("Waive a condition"),
    "accept_with_condition": _l("Accept with a condition"),
    "partial": _l("Partial recognition"),
    "alternative": _l("Alternative recognition"),
    "refuse": _l("Refuse"),
}
KIND = {
    "initial": _l("Initial decision"),
    "correction": _l("Correction"),
    "appeal": _l("Decision on appeal"),
    "reopening": _l("Decision after reopening"),
}
PURPOSE = {
    "admission": _l("Admission"),
    "credit": _l("Credit"),
    "employment": _l("Employment track"),
}
# What one rule or target came to, as an officer weighs it: the Lisbon level of a recognition
# (a substantial difference told apart from a plain refusal), a stacking target's eligibility,
# a criterion met or not. Each has its own words and badge colour (`disposition-*` in the CSS).
DISPOSITION = {
    "full": _l("Full recognition"),
    "partial": _l("Partial recognition"),
    "conditional": _l("Conditional recognition"),
    "alternative": _l("Alternative recognition"),
    "substantial_difference": _l("Substantial difference: not recognised"),
    "refused": _l("Not recognised"),
    "unknown": _l("Unknown: evidence needed"),
    "eligible": _l("Eligible to be considered"),
    "not_eligible": _l("Not eligible"),
    "met": _l("Criterion met"),
    "not_met": _l("Criterion not met"),
    "not_applicable": _l("Not applicable"),
}
_LEVELS = ("full", "partial", "conditional", "alternative")
# The columns of the credentials table; every other element is listed under "all details".
CREDENTIAL_COLUMNS = ("title", "awarding_body", "issuer_country", "issued_on", "ects", "eqf_level")


def status_label(status: str, kind: str = "recognition") -> str:
    if kind == "stacking" and status == "met":
        return _("Eligible to be considered")
    return str(STATUS.get(status, status))


def differences(outcome: Mapping[str, Any]) -> list[str]:
    """The aspects (level, workload, quality, profile, learning outcomes) in which the
    assessment that decided a recognition rule found a substantial difference."""
    level = (outcome.get("outcome") or {}).get("level")
    found = outcome.get("assessments") or []
    deciding = [a for a in found if a.get("status") == outcome["status"]]
    chosen = next((a for a in deciding if a.get("level") == level), None) or (
        deciding[0] if deciding else None
    )
    aspects = (chosen or {}).get("aspects") or {}
    return sorted(name for name, status in aspects.items() if status == "not_met")


def disposition(outcome: Mapping[str, Any]) -> str:
    """The key of `DISPOSITION` one outcome of an evaluation comes to."""
    status, kind = outcome["status"], outcome.get("kind", "recognition")
    if status in ("unknown", "not_applicable"):
        return status
    if kind == "stacking":
        return "eligible" if status == "met" else "not_eligible"
    if kind == "criterion":
        return status
    if status == "met":
        level = (outcome.get("outcome") or outcome).get("level")
        return level if level in _LEVELS else "full"
    return "substantial_difference" if differences(outcome) else "refused"


def decided_disposition(level: str | None, kind: str = "recognition") -> str:
    """The `DISPOSITION` key of a level an officer decided (or the proposal proposes)."""
    if level is None:
        return "unknown"
    if kind == "stacking":
        return "eligible" if level == "full" else "not_eligible"
    return level if level in _LEVELS else "refused"


def disposition_label(code: str) -> str:
    return str(DISPOSITION.get(code, code))


def summary_counts(result: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(key, words, count) for each disposition the evaluation's outcomes came to, in the order
    of `DISPOSITION`, and the number of rules in which a substantial difference was found
    (also when it led to partial or alternative recognition)."""
    found: dict[str, int] = {}
    different = 0
    for o in result.get("outcomes", []):
        if o.get("not_requested"):
            continue
        code = disposition(o)
        found[code] = found.get(code, 0) + 1
        if o.get("kind", "recognition") == "recognition" and differences(o):
            different += 1
    out = [(code, disposition_label(code), found[code]) for code in DISPOSITION if code in found]
    if different:
        out.append(("difference", _("Substantial difference found"), different))
    return out


def outcome_label(outcome: Mapping[str, Any]) -> str:
    """The proposed result of one rule or target, in words."""
    detail = outcome.get("outcome") or {}
    if outcome["kind"] == "recognition":
        level = detail.get("level")
        words = str(LEVEL.get(level, "")) if level else ""
        if detail.get("pending_level"):
            pending = LEVEL.get(detail["pending_level"], detail["pending_level"])
            words += " " + _("(pending: %(level)s)", level=pending)
        if detail.get("recognised_as"):
            words += " " + _("as %(what)s", what=policy_text(detail["recognised_as"]))
        if detail.get("credits"):
            words += ", " + _("%(n)s credits", n=number(detail["credits"]))
        return words.strip() or status_label(outcome["status"])
    if outcome["status"] == "met":
        awards = policy_text(detail.get("awards") or outcome.get("title", ""))
        return _(
            "Eligible to be considered for %(awards)s; a person decides the award", awards=awards
        )
    return status_label(outcome["status"], "stacking")


def level_label(level: str | None, kind: str = "recognition") -> str:
    if level is None:
        return _("No proposal (evidence needed)")
    if kind == "stacking":
        return str(STACKING_LEVEL.get(level, LEVEL.get(level, level)))
    return str(LEVEL.get(level, level))


def message(text: Any) -> Any:
    """A message of the desk's rules (`models.messages`) in the page's language; any other
    text as it is."""
    if not isinstance(text, Message):
        return text
    return _(text.template, **{k: message(v) for k, v in text.values.items()})


# Dates as people of the page's language write them, never ambiguous (no 12/6/26).
DATE_FORMAT = "d MMM y"
TIME_FORMAT = "d MMM y HH:mm"


def number(value: Any) -> str:
    """A number in the page's language (7.5 / 7,5); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return format_decimal(value, format="#,##0.###")


# The Annex I elements (and the project's additions) in the page's language; a policy's own
# declared elements keep the label the policy gives them.
ELEMENT_WORDS = {
    "learner": _l("identification of the learner"),
    "title": _l("title"),
    "issuer_country": _l("country of the issuer"),
    "issuer_region": _l("region of the issuer"),
    "awarding_body": _l("awarding body"),
    "awarding_body_id": _l("awarding body identifier"),
    "issued_on": _l("date of issuing"),
    "learning_outcomes": _l("learning outcomes"),
    "skills": _l("skills (ESCO)"),
    "ects": _l("workload (ECTS credits)"),
    "workload_hours": _l("workload (hours)"),
    "eqf_level": _l("EQF level"),
    "qf_ehea_cycle": _l("QF-EHEA cycle"),
    "assessment_type": _l("type of assessment"),
    "participation_form": _l("form of participation"),
    "quality_assurance": _l("type of quality assurance"),
    "prerequisites": _l("prerequisites"),
    "supervision": _l("supervision and identity verification"),
    "grade": _l("grade achieved"),
    "stackability": _l("integration and stackability"),
    "further_information": _l("further information"),
    "field_of_study": _l("field of study (ISCED-F)"),
    "verification": _l("verification status"),
    "used_towards": _l("whether it was already used towards another qualification"),
    "credits": _l("credit value"),
    "framework_level": _l("qualifications framework level"),
    "qa_framework": _l("quality assurance framework"),
    "qa_agency": _l("quality assurance agency"),
    "qa_register_id": _l("quality assurance register reference"),
}


def element_words(name: str) -> str:
    if name in ELEMENT_WORDS:
        return str(ELEMENT_WORDS[name])
    element = ELEMENTS.get(name)
    return element.label if element else name.removeprefix("fact:").replace("_", " ")


def element_label(name: str) -> str:
    """An element as a column or field is headed: "Country of the issuer"."""
    text = element_words(name)
    return text[:1].upper() + text[1:]


def element_value(name: str, value: Any) -> str:
    """A stored credential value (engine plain form) in words."""
    if value is None:
        return _("not stated")
    if isinstance(value, Mapping):  # tagged plain form: a date, credits, a level, a grade
        return str(show(name, from_plain(dict(value))))
    if isinstance(value, dt.date):
        return date_label(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(element_value(name, v) for v in value)
    element = ELEMENTS.get(name)
    if element is not None and element.vocabulary and isinstance(value, str):
        return VOCABULARIES[element.vocabulary].label_of(value)
    return number(value)


def actual_value(value: Any) -> str:
    if value is None:
        return _("not stated")
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return number(value)


def provenance_label(row: Mapping[str, Any]) -> str:
    """Where a condition's value came from: the credential itself unless it was derived."""
    if row.get("actual") is None:
        return _("absent from the credential")
    return str(row.get("provenance") or _("stated on the credential"))


def credential_provenance(credential: Mapping[str, Any], name: str) -> str:
    kind, source, note = (list(credential.get("provenance", {}).get(name, ())) + ["", "", ""])[:3]
    if not kind:
        return ""
    return note or (_("stated on the credential") if kind == "native" else f"{kind} ({source})")


def date_label(value: Any) -> str:
    """A date (or the date of an ISO text) in the page's language: 6 Dec 2026, 6 dec. 2026."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    return format_date(value, DATE_FORMAT)


def moment(value: str | None) -> str:
    """A stored UTC timestamp in the page's language, e.g. '6 Dec 2026 14:05 UTC'."""
    if not value:
        return "—"
    try:
        when = dt.datetime.fromisoformat(value[:19])
    except ValueError:
        return value
    return f"{format_datetime(when, TIME_FORMAT, rebase=False)} UTC"


_NOTE = re.compile(r"^decision (\d+)( confirmed| returned to its author)?$")


def event_note(note: str, numbers: Mapping[int, int]) -> str:
    """A case event's note in words, with decisions by their number in the case (the desk
    writes notes such as "decision 12 confirmed" with the global id)."""
    found = _NOTE.match(note)
    if found is None:
        return {"evidence added": _("evidence added")}.get(note, note)
    n = numbers.get(int(found.group(1)), found.group(1))
    if found.group(2) == " confirmed":
        return _("decision %(n)s confirmed", n=n)
    if found.group(2):
        return _("decision %(n)s returned to its author", n=n)
    return _("decision %(n)s", n=n)


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
        message=message,
        case_status=lambda s: CASE_STATUS.get(s, s),
        action_label=lambda s: ACTION.get(s, s),
        exception_label=lambda s: EXCEPTION.get(s, s) if s else "",
        kind_label=lambda s: KIND.get(s, s),
        purpose_label=lambda s: PURPOSE.get(s, s),
        disposition=disposition,
        disposition_label=disposition_label,
        decided_disposition=decided_disposition,
        differences=differences,
        summary_counts=summary_counts,
        event_note=event_note,
    )
    app.jinja_env.globals.update(
        credential_columns=CREDENTIAL_COLUMNS,
        credential_provenance=credential_provenance,
        LEVELS=tuple(LEVEL),
        EXCEPTIONS=EXCEPTION,
        PURPOSES=PURPOSE,
        CASE_STATUSES=CASE_STATUS,
    )
