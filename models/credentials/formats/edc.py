"""Europass European Digital Credentials (ELM v3 JSON-LD), sealed or not, and the legacy ELM v2.

Every top-level `hasClaim` (usually a LearningAchievement) becomes one credential. Paths in the
provenance are JSON paths from the credential document (inside the seal's payload when sealed).
"""

from __future__ import annotations

from typing import Any

from engine.inputs import Provenance
from models.credentials.formats import concepts
from models.credentials.formats import edc_elements as elements
from models.credentials.formats.common import (
    as_list,
    dig,
    is_local_id,
    text_of,
    types_of,
)
from models.credentials.formats.result import Draft, StackingHint

FORMAT = "edc"
MAX_CLAIMS = 500


def is_edc(doc: Any) -> bool:
    return "EuropeanDigitalCredential" in types_of(doc)


def learner_identity(doc: dict[str, Any]) -> str | None:
    """A stable identity of the learner (hashed later): national id, else a global subject id."""
    subject = doc.get("credentialSubject")
    national = dig(subject, "nationalID")
    if isinstance(national, dict) and isinstance(national.get("notation"), str):
        where = concepts.country(national.get("spatial"))
        return f"national-id:{where[0] if where else ''}:{national['notation']}"
    sid = dig(subject, "id")
    return None if is_local_id(sid) else sid


def import_edc(doc: dict[str, Any], root: str = "") -> tuple[list[Draft], list[StackingHint]]:
    claims = as_list(dig(doc, "credentialSubject", "hasClaim"))
    base = f"{root}credentialSubject.hasClaim"
    drafts, hints = [], []
    doc_id = doc.get("id") if isinstance(doc.get("id"), str) else "edc"
    for i, claim in enumerate(claims[:MAX_CLAIMS]):
        if not isinstance(claim, dict):
            continue
        path = (
            f"{base}[{i}]" if isinstance(dig(doc, "credentialSubject", "hasClaim"), list) else base
        )
        claim_id = claim.get("id") if isinstance(claim.get("id"), str) else f"claim-{i}"
        draft = Draft(FORMAT, f"{doc_id}#{claim_id}")
        _map_claim(draft, claim, path, doc, root)
        hints += _hints(draft, claim, path)
        drafts.append(draft)
    return drafts, hints


def _organisation(draft: Draft, org: Any, path: str, kind: str, note: str = "") -> None:
    name = (
        text_of(org.get("legalName"))
        or text_of(org.get("prefLabel"))
        or text_of(org.get("altLabel"))
    )
    if name:
        draft.set("awarding_body", name, kind, f"{path}.legalName", note)
        draft.awarding.names += [n for n in (name, text_of(org.get("altLabel"))) if n]
    if not is_local_id(org.get("id")):
        draft.awarding.ids.append(org["id"])
    for key in ("eIDASIdentifier", "vatIdentifier", "registration", "taxIdentifier"):
        for ident in as_list(org.get(key))[:5]:
            number = ident.get("notation") if isinstance(ident, dict) else None
            where = concepts.country(ident.get("spatial")) if isinstance(ident, dict) else None
            if isinstance(number, str) and number.strip("0 "):
                draft.awarding.registrations.append(((where or ("",))[0], number))
                if "awarding_body_id" not in draft.values:
                    draft.set(
                        "awarding_body_id",
                        f"{key}:{(where or ('',))[0]}:{number}",
                        "native",
                        f"{path}.{key}.notation",
                    )
    if "awarding_body_id" not in draft.values and not is_local_id(org.get("id")):
        draft.set("awarding_body_id", org["id"], "native", f"{path}.id")
    for location in as_list(org.get("location"))[:5]:
        lpath = f"{path}.location"
        found = concepts.country(dig(location, "address", "countryCode"))
        if found and "issuer_country" not in draft.values:
            draft.set(
                "issuer_country", found[0], "vocabulary", f"{lpath}.address.countryCode", found[1]
            )
        region = concepts.label(dig(location, "spatialCode"))
        if region and "issuer_region" not in draft.values:
            code = dig(location, "spatialCode", "id") or ""
            draft.set(
                "issuer_region", region, "vocabulary", f"{lpath}.spatialCode", f"label of {code}"
            )


def _map_claim(
    draft: Draft, claim: dict[str, Any], path: str, doc: dict[str, Any], root: str
) -> None:
    title = text_of(claim.get("title"))
    spec = dig(claim, "specifiedBy")
    spec = spec if isinstance(spec, dict) else {}
    spath = f"{path}.specifiedBy"
    if title:
        draft.set("title", title, "native", f"{path}.title")
    elif text_of(spec.get("title")):
        draft.set("title", text_of(spec.get("title")), "native", f"{spath}.title")
    body = dig(claim, "awardedBy", "awardingBody")
    if isinstance(body, dict):
        _organisation(draft, body, f"{path}.awardedBy.awardingBody", "native")
    elif isinstance(doc.get("issuer"), dict):
        note = "the credential's issuer (the claim names no awarding body)"
        _organisation(draft, doc["issuer"], f"{root}issuer", "inferred", note)
    elements.issued_on(draft, claim, path, doc, root)
    elements.outcomes(draft, spec, spath)
    elements.credits(draft, claim, spec, path)
    elements.workload(draft, claim, spec, path)
    for key, name, vocabulary in (
        ("eqfLevel", "eqf_level", None),
        ("mode", "participation_form", "participation_form"),
    ):
        node = spec.get(key)
        if node is None:
            continue
        found = concepts.eqf_level(node) if vocabulary is None else concepts.term(vocabulary, node)
        if found:
            draft.set(name, found[0], found[2], f"{spath}.{key}", found[1])
        else:
            raw = concepts.label(node) or concepts.concept_parts(node)[0]
            draft.warn(f"{name}: the concept {raw!r} at {spath}.{key} matches no known term")
            draft.absent(name, f"{spath}.{key}", f"unrecognised concept {raw!r}")
    for j, area in enumerate(as_list(spec.get("thematicArea"))[:20]):
        found = concepts.isced(area)
        if found and "field_of_study" not in draft.values:
            others = len(as_list(spec.get("thematicArea"))) - 1
            note = found[1] + (f"; {others} other thematic area(s) not used" if others else "")
            draft.set("field_of_study", found[0], "vocabulary", f"{spath}.thematicArea[{j}]", note)
    entry = text_of(spec.get("entryRequirement"))
    if entry:
        draft.set("prerequisites", entry, "free_text", f"{spath}.entryRequirement")
    kind = concepts.label(spec.get("dcType"))
    if kind:
        draft.set("further_information", f"type: {kind}", "vocabulary", f"{spath}.dcType")
    elements.assessment(draft, claim, path)
    awarding = (body, f"{path}.awardedBy.awardingBody") if isinstance(body, dict) else (None, "")
    elements.notes_and_identifiers(draft, [(claim, path), (spec, spath), awarding])
    if not spec.get("accreditation"):
        draft.absent(
            "quality_assurance",
            f"{spath}.accreditation",
            "no accreditation or quality assurance stated",
        )


def _hints(draft: Draft, claim: dict, path: str) -> list[StackingHint]:
    hints = []
    spec = dig(claim, "specifiedBy")
    spec = spec if isinstance(spec, dict) else {}
    partial = spec.get("isPartialQualification")
    if isinstance(partial, bool):
        where = f"{path}.specifiedBy.isPartialQualification"
        hints.append(
            StackingHint(
                "isPartialQualification",
                str(spec.get("id", "")),
                str(partial).lower(),
                (draft.id,),
                provenance=Provenance("native", f"{FORMAT}:{where}"),
            )
        )
    for owner, opath in ((claim, path), (spec, f"{path}.specifiedBy")):
        for relation in ("isPartOf", "hasPart"):
            for j, target in enumerate(as_list(owner.get(relation))[:50]):
                tid = target.get("id") if isinstance(target, dict) else target
                if not isinstance(tid, str):
                    continue
                title = text_of(target.get("title")) if isinstance(target, dict) else None
                prov = Provenance("native", f"{FORMAT}:{opath}.{relation}[{j}]")
                hints.append(
                    StackingHint(
                        relation,
                        str(owner.get("id", "")),
                        tid,
                        (draft.id,),
                        target_title=title or "",
                        provenance=prov,
                    )
                )
                if relation == "isPartOf" and "stackability" not in draft.values:
                    draft.set(
                        "stackability",
                        "stackable",
                        "inferred",
                        f"{opath}.{relation}",
                        f"part of {tid}",
                    )
    if partial is True and "stackability" not in draft.values:
        draft.set(
            "stackability",
            "stackable",
            "inferred",
            f"{path}.specifiedBy.isPartialQualification",
            "a partial qualification",
        )
    return hints
