"""The words of letters that come from codes: levels, exceptions, aspects, credential elements,
what the letter is about. Lazy strings, so each is translated in the letter's language when the
letter is rendered (`views.i18n.in_language`).

Titles, labels and options written in a policy stay as the policy wrote them (the policy language
has one title per rule); an aspect or element the desk does not know is shown by its name.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from views.pages import present
from views.pages.present import element_words  # noqa: F401 - letters word elements so too

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


def words(table: dict[str, Any], code: str | None) -> str:
    if code is None:
        return ""
    return str(table.get(code, code.replace("_", " ")))


def aspect_list(codes: tuple[str, ...]) -> str:
    return ", ".join(words(ASPECT, c) for c in codes)
