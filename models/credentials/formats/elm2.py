"""Legacy Europass ELM v2 / early EBSI VerifiableAttestation (XML-to-JSON style, @lang/#text).

Only what a recognition rule needs most is read: title, EQF level, issuer and date.
"""

from __future__ import annotations

from typing import Any

from models.credentials.formats import concepts
from models.credentials.formats.common import as_list, dig, parse_date, text_of, types_of
from models.credentials.formats.result import Draft, StackingHint


def is_legacy(doc: Any) -> bool:
    return "VerifiableAttestation" in types_of(doc) and isinstance(
        doc.get("learningAchievement"), dict
    )


def import_legacy(doc: dict[str, Any]) -> tuple[list[Draft], list[StackingHint]]:
    """ELM v2 / early EBSI VerifiableAttestation (XML-to-JSON style): title, EQF, issuer, date."""
    achievement = doc["learningAchievement"]
    draft = Draft("elm2", str(doc.get("id") or achievement.get("@id") or "elm2"))
    draft.warn("legacy ELM v2 / EBSI attestation: only title, EQF level, issuer and date are read")
    title = text_of(achievement.get("title"))
    if title:
        draft.set("title", title, "native", "learningAchievement.title.text.#text")
    ref = dig(achievement, "specifiedBy", "@idref")
    for key, spec in (doc.get("learningSpecificationReferences") or {}).items():
        for item in as_list(spec)[:50]:
            if isinstance(item, dict) and item.get("@id") == ref:
                found = concepts.eqf_level(dig(item, "eqfLevel", "@uri"))
                if found:
                    draft.set(
                        "eqf_level",
                        found[0],
                        found[2],
                        f"learningSpecificationReferences.{key}.eqfLevel.@uri",
                        found[1],
                    )
    issuer = doc.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else dig(issuer, "id")
    if isinstance(issuer_id, str):
        draft.set("awarding_body_id", issuer_id, "native", "issuer")
        draft.awarding.ids.append(issuer_id)
    day = parse_date(doc.get("issuanceDate"))
    if day:
        draft.set("issued_on", day, "native", "issuanceDate", "issue date of the attestation")
    return [draft], []
