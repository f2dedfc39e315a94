"""The words of letters that come from codes: levels, exceptions, aspects, credential elements,
what the letter is about. Lazy strings, so each is translated in the letter's language when the
letter is rendered (`views.i18n.in_language`).

Titles, labels and options written in a policy stay as the policy wrote them (the policy language
has one title per rule); an aspect or element the desk does not know is shown by its name.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from rules.vocabulary import ELEMENTS
from views.pages import present

# The desk's words for the levels, but a letter says in full what was refused.
LEVEL = {**present.LEVEL, "refused": _l("Recognition refused")}
STACKING = {"full": _l("Awarded"), "refused": _l("Not awarded")}
EXCEPTION = {
    "substitute": _l("A credential was accepted in place of one the policy names."),
    "waive_condition": _l("A condition of the policy was waived."),
    "accept_with_condition": _l("The outcome is granted on a condition."),
    "partial": _l("Recognition is granted in part."),
    "alternative": _l("An alternative recognition is granted."),
    "refuse": _l("Recognition is refused although the rules were met."),
}
ASPECT = {
    "level": _l("level"),
    "workload": _l("workload"),
    "quality": _l("quality assurance"),
    "profile": _l("profile"),
    "learning_outcomes": _l("learning outcomes"),
    "requirements": _l("other requirements"),
}
SUBJECT = {
    "recognition": _l("recognition of your credentials"),
    "credit": _l("credit transfer"),
    "admission": _l("admission"),
    "employment": _l("recognition for employment"),
}
PURPOSE = {
    "decision": _l("Decision"),
    "refusal": _l("Decision"),
    "evidence_request": _l("Request for additional evidence"),
    "appeal_outcome": _l("Decision on appeal"),
    "revision": _l("Revised decision"),
}
ELEMENT = {
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
    "field_of_study": _l("field of study (ISCED-F)"),
    "verification": _l("verification status"),
    "used_towards": _l("whether it was already used towards another qualification"),
    "credits": _l("credit value"),
    "framework_level": _l("qualifications framework level"),
    "qa_framework": _l("quality assurance framework"),
    "qa_agency": _l("quality assurance agency"),
    "qa_register_id": _l("quality assurance register reference"),
}


def words(table: dict[str, Any], code: str | None) -> str:
    if code is None:
        return ""
    return str(table.get(code, code.replace("_", " ")))


def element_words(name: str) -> str:
    if name in ELEMENT:
        return str(ELEMENT[name])
    element = ELEMENTS.get(name)
    return element.label if element else name.removeprefix("fact:").replace("_", " ")


def aspect_list(codes: tuple[str, ...]) -> str:
    return ", ".join(words(ASPECT, c) for c in codes)
