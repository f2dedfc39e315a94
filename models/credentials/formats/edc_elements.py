"""The ELM v3 elements that take judgement to read: dates, outcomes, credits, workload, assessment,
and the notes and identifiers kept for policies to declare.

Split from `edc` to keep each module readable in one sitting; same conventions (JSON paths from the
credential document, provenance kind per value).
"""

from __future__ import annotations

from typing import Any

from models.credentials.formats import concepts, esco_labels, extensions
from models.credentials.formats.common import (
    as_list,
    describe_calendar,
    dig,
    is_local_id,
    parse_date,
    parse_duration,
    text_of,
    texts_of,
)
from models.credentials.formats.result import Draft


def issued_on(draft: Draft, claim: dict, path: str, doc: dict, root: str) -> None:
    candidates = [
        (dig(claim, "awardedBy", "awardingDate"), f"{path}.awardedBy.awardingDate", "native", ""),
        (
            doc.get("issued"),
            f"{root}issued",
            "native",
            "issue date of the credential (no awarding date)",
        ),
        (
            doc.get("issuanceDate"),
            f"{root}issuanceDate",
            "native",
            "issue date of the credential (no awarding date)",
        ),
        (
            doc.get("validFrom"),
            f"{root}validFrom",
            "inferred",
            "start of validity (no awarding or issue date)",
        ),
    ]
    for raw, where, kind, note in candidates:
        day = parse_date(raw)
        if day:
            draft.set("issued_on", day, kind, where, note)
            return


def outcomes(draft: Draft, spec: dict, spath: str) -> None:
    """Learning outcomes (their titles) and skills: the ESCO URIs of `relatedESCOSkill`; a skill
    there without one, or a local concept in `relatedSkill`, by its prefLabel (`esco_labels`)."""
    outcomes, found, keys = [], esco_labels.Found(), {}
    for j, outcome in enumerate(as_list(spec.get("learningOutcome"))[:200]):
        if not isinstance(outcome, dict):
            continue
        text = text_of(outcome.get("title")) or text_of(outcome.get("definition"))
        if text:
            outcomes.append(text)
        where = f"{spath}.learningOutcome[{j}]"
        for key in ("relatedESCOSkill", "relatedSkill"):
            for skill, at in esco_labels.named_concepts(outcome.get(key), f"{where}.{key}"):
                uri = concepts.esco_skill(skill)
                cid = concepts.concept_parts(skill)[0]
                if uri:
                    found.stated(uri, esco_labels.labels_of(dig(skill, "prefLabel")))
                    keys[key] = True
                elif key == "relatedESCOSkill" or is_local_id(cid):  # not another scheme's URI
                    labels = esco_labels.labels_of(dig(skill, "prefLabel"))
                    found.named.append(esco_labels.Named(labels, at))
    if outcomes:
        draft.set(
            "learning_outcomes", tuple(outcomes), "native", f"{spath}.learningOutcome[*].title"
        )
    uris = len(dict.fromkeys(found.uris))
    note = f"{uris} ESCO URI(s) from {' and '.join(keys)}" if uris else ""
    esco_labels.settle(draft, found, f"{spath}.learningOutcome[*].relatedESCOSkill", note)


def credits(draft: Draft, claim: dict, spec: dict, path: str) -> None:
    for key, where in (("creditReceived", path), ("creditPoint", f"{path}.specifiedBy")):
        source = claim if key == "creditReceived" else spec
        for j, credit in enumerate(as_list(source.get(key))[:20]):
            how = concepts.is_ects(dig(credit, "framework")) if isinstance(credit, dict) else None
            if not how:
                continue
            raw = credit.get("point")
            try:
                points = float(str(raw).replace(",", ".").strip())
            except ValueError:
                draft.warn(f"ects: the credit point {raw!r} at {where}.{key} is not a number")
                continue
            note = f"{how}; point {raw!r}" + (" (a string in ELM)" if isinstance(raw, str) else "")
            draft.set("ects", points, "vocabulary", f"{where}.{key}[{j}].point", note)
            return


def workload(draft: Draft, claim: dict, spec: dict, path: str) -> None:
    """Notional hours from ISO 8601 durations; calendar durations (P60M = 60 months) are not
    learning hours, and one that repeats another's number of hours is flagged as a likely typo."""
    found = [
        (claim.get("workload"), f"{path}.workload"),
        (spec.get("volumeOfLearning"), f"{path}.specifiedBy.volumeOfLearning"),
    ]
    for k, activity in enumerate(as_list(claim.get("influencedBy"))[:20]):
        apath = f"{path}.influencedBy[{k}]"
        if isinstance(activity, dict):
            found.append((activity.get("workload"), f"{apath}.workload"))
            found.append(
                (
                    dig(activity, "specifiedBy", "volumeOfLearning"),
                    f"{apath}.specifiedBy.volumeOfLearning",
                )
            )
    parsed = [(raw, where, parse_duration(raw)) for raw, where in found if raw is not None]
    hours = [(raw, where, p[0]) for raw, where, p in parsed if p and p[0] is not None]
    own = [h for h in hours if ".influencedBy" not in h[1]]
    notes = []
    for raw, where, p in parsed:
        if p is None:
            draft.warn(f"workload_hours: {raw!r} at {where} is not an ISO 8601 duration")
        elif p[0] is None:
            numbers = set(p[1].values())
            same = [h for h in hours if len(numbers) == 1 and h[2] in numbers]
            text = f"{raw} at {where} is {describe_calendar(p[1])}, not learning hours"
            if same:
                other, at, number = same[0]
                text += f", while {other} at {at} says {number:g} hours"
                text += f": probably {number:g} hours were meant"
            draft.warn(f"implausible volume of learning: {text}")
            notes.append(f"{raw} at {where} is implausible ({describe_calendar(p[1])})")
    if own:
        raw, where, value = own[0]
        draft.set("workload_hours", value, "native", where, "; ".join([f"from {raw}", *notes]))
    else:
        draft.absent(
            "workload_hours",
            f"{path}.specifiedBy.volumeOfLearning",
            "; ".join(notes) or "no volume of learning stated",
        )


def assessment(draft: Draft, claim: dict, path: str) -> None:
    for k, assessment in enumerate(as_list(claim.get("provenBy"))[:20]):
        if not isinstance(assessment, dict):
            continue
        apath = f"{path}.provenBy" + (f"[{k}]" if isinstance(claim.get("provenBy"), list) else "")
        grade = text_of(assessment.get("grade"))
        if grade and "grade" not in draft.values:
            draft.set("grade", grade, "native", f"{apath}.grade")
        node = dig(assessment, "specifiedBy", "dcType") or assessment.get("dcType")
        if node is not None and "assessment_type" not in draft.values:
            found = concepts.term("assessment_type", node)
            cid, scheme, _ = concepts.concept_parts(node)
            if found:
                where = f"{apath}.specifiedBy.dcType"
                draft.set("assessment_type", found[0], found[2], where, found[1])
            else:
                label = concepts.label(node)
                local = "a local concept" if is_local_id(cid) else "a concept"
                draft.warn(
                    f"assessment_type: {label!r} is {local} ({cid}) in scheme "
                    f"{scheme or '(none)'} that matches no assessment type"
                )
                draft.absent(
                    "assessment_type",
                    f"{apath}.specifiedBy.dcType",
                    f"not recognised: {local} {cid} labelled {label!r}",
                )
        verification = assessment.get("idVerification")
        if verification is not None and "supervision" not in draft.values:
            found = concepts.term("supervision", verification)
            if found:
                where = f"{apath}.idVerification"
                draft.set("supervision", found[0], found[2], where, found[1])
            else:
                label = concepts.label(verification)
                where = f"{apath}.idVerification"
                draft.warn(f"supervision: {label!r} at {where} matches no known term")


def _at(owner: dict, key: str, path: str, j: int) -> str:
    return f"{path}.{key}[{j}]" if isinstance(owner.get(key), list) else f"{path}.{key}"


def notes_and_identifiers(draft: Draft, owners: list[tuple[Any, str]]) -> None:
    """`additionalNote` (keyed by the label of its subject/type concept, in any language) and
    `identifier` (keyed by its scheme name, else its scheme agency) of the claim, its
    specification and its awarding body, kept as extension terms: a note whose label is a term
    credstack maps ("Workload", "Quality assurance") may also fill that element when the
    document gives no native value. The learner's own identifiers are never read."""
    notes: dict[str, tuple[str, list[str], str]] = {}  # key → (label, texts, first path)
    terms = []
    for owner, path in owners:
        if not isinstance(owner, dict):
            continue
        for j, note in enumerate(as_list(owner.get("additionalNote"))[:50]):
            where = _at(owner, "additionalNote", path, j)
            kinds = ("subject", "dcType", "noteType", "type")  # the concept saying what it is
            node = next((note[k] for k in kinds if isinstance(note.get(k), dict)), None)
            label = concepts.label(node) if isinstance(note, dict) and node else None
            texts = texts_of(note.get("noteLiteral") if isinstance(note, dict) else note)
            if texts:
                key = extensions.slug(label) if label else "additional_note"
                entry = notes.setdefault(key, (label or "additional note", [], where))
                entry[1].append(texts[0])
        for j, ident in enumerate(as_list(owner.get("identifier"))[:20]):
            where = _at(owner, "identifier", path, j)
            if isinstance(ident, str):
                terms.append(
                    extensions.Term("identifier", ident, where, "identifier", mappable=False)
                )
                continue
            if not isinstance(ident, dict) or not text_of(ident.get("notation")):
                continue
            scheme = text_of(ident.get("schemeName")) or text_of(ident.get("schemeAgency"))
            key = extensions.slug(scheme) if scheme else "identifier"
            notation = text_of(ident.get("notation"))
            name = scheme or "identifier"
            terms.append(extensions.Term(name, notation, where, key, mappable=False))
    kept = [
        extensions.Term(label, texts[0] if len(texts) == 1 else texts, where, key)
        for key, (label, texts, where) in notes.items()
    ]
    extensions.apply(draft, kept + terms)
