"""Open Badges 2.0: an Assertion with its BadgeClass and Issuer, supplied together (never fetched).

A hosted assertion names its BadgeClass and Issuer by URL; credstack does not look them up, so the
caller supplies them (extra files, or one JSON array). When the supplied BadgeClass has another id
than the assertion names, it is used only if it is the only one supplied, with a warning.
"""

from __future__ import annotations

from typing import Any

from models.credentials.formats import alignments, extensions
from models.credentials.formats import extension_terms as standard
from models.credentials.formats.common import dig, parse_date, text_of, types_of
from models.credentials.formats.result import Draft

FORMAT = "ob2"


def is_assertion(doc: Any) -> bool:
    return "Assertion" in types_of(doc) or (
        isinstance(doc, dict) and "recipient" in doc and "badge" in doc
    )


def _find(
    ref: Any, related: list[dict[str, Any]], kind: str, draft: Draft, what: str
) -> tuple[dict | None, bool]:
    """(document, exact) for a reference that is an embedded object or an id among `related`."""
    if isinstance(ref, dict):
        return ref, True
    candidates = [d for d in related if kind in types_of(d)]
    for doc in candidates:
        if doc.get("id") == ref:
            return doc, True
    if len(candidates) == 1:
        draft.warn(
            f"the {what} supplied ({candidates[0].get('id')}) has another id than the one named "
            f"({ref}); it was used because it is the only {kind} supplied"
        )
        return candidates[0], False
    draft.warn(f"the {what} {ref} was not supplied (credstack never fetches it)")
    return None, False


def learner_identity(assertion: dict[str, Any]) -> str | None:
    identity = dig(assertion, "recipient", "identity")
    return identity if isinstance(identity, str) and identity else None


def import_ob2(
    assertion: dict[str, Any], related: list[dict[str, Any]], fmt: str = FORMAT
) -> Draft:
    aid = assertion.get("id") if isinstance(assertion.get("id"), str) else "ob2-assertion"
    draft = Draft(fmt, aid)
    badge, exact = _find(assertion.get("badge"), related, "BadgeClass", draft, "BadgeClass")
    kind = "native" if exact else "inferred"
    if badge is not None:
        name = text_of(badge.get("name"))
        if name:
            draft.set("title", name, kind, "badge.name")
        issuer, exact_issuer = _find(badge.get("issuer"), related, "Issuer", draft, "Issuer")
        if isinstance(badge.get("issuer"), str):
            draft.awarding.ids.append(badge["issuer"])
        if issuer is not None:
            ikind = "native" if exact and exact_issuer else "inferred"
            if text_of(issuer.get("name")):
                draft.set("awarding_body", text_of(issuer.get("name")), ikind, "badge.issuer.name")
                draft.awarding.names.append(text_of(issuer.get("name")) or "")
            if isinstance(issuer.get("id"), str):
                draft.set("awarding_body_id", issuer["id"], ikind, "badge.issuer.id")
                draft.awarding.ids.append(issuer["id"])
        _outcomes(draft, badge)
        description = text_of(badge.get("description"))
        if description:
            draft.set("further_information", description, "free_text", "badge.description")
    day = parse_date(assertion.get("issuedOn"))
    if day:
        draft.set("issued_on", day, "native", "issuedOn")
    for name in ("eqf_level", "participation_form", "assessment_type", "quality_assurance", "ects"):
        if name not in draft.provenance:
            draft.absent(name, "badge", "Open Badges 2.0 has no field for it")
    return draft


def _outcomes(draft: Draft, badge: dict[str, Any]) -> None:
    """Extension terms of the BadgeClass (edubadges' "extensions:ECTSExtension"…), its alignments,
    and learning outcomes: explicit statements, else the description — never the criteria."""
    extensions.apply(draft, extensions.terms_of(draft, badge, "badge", standard.OB2_BADGE_CLASS))
    alignments.read(draft, alignments.alignments(badge, "badge"), "badge.alignment")
    if "learning_outcomes" in draft.values:
        return
    description = text_of(badge.get("description"))
    criteria = badge.get("criteria")
    if description:
        note = "the badge's description; it states no learning outcomes of its own"
        draft.set("learning_outcomes", (description,), "free_text", "badge.description", note)
    elif isinstance(criteria, str):
        draft.absent(
            "learning_outcomes", "badge.criteria", f"criteria only by URL {criteria} (not fetched)"
        )
