"""Open Badges 3.0 (OpenBadgeCredential / AchievementCredential, VC 1.1 or 2.0) and plain VCs.

OB 3.0 has no native field for EQF level, form of participation, assessment type, supervision or
quality assurance: those stay unknown unless an extension term or an alignment states them (then
they are read as "extension": see `extensions` and `alignments`). `creditsAvailable` has no unit,
so it becomes ECTS only when an alignment to the ECTS framework says so; otherwise the raw number
is kept in the provenance note. Learning outcomes are explicit outcome statements (extension
terms), else the achievement's description; never the award criteria or an alignment's name.
Skills: the ESCO URIs of alignments (also those of result descriptions the learner has a result
for); a skill they name by label only is looked up in ESCO's preferred labels (`esco_labels`).
"""

from __future__ import annotations

import re
from typing import Any

from models.credentials.formats import alignments, concepts, esco_labels, extensions
from models.credentials.formats import extension_terms as standard
from models.credentials.formats.common import as_list, dig, parse_date, text_of, types_of
from models.credentials.formats.result import Draft
from models.credentials.terms import ALPHA3_TO_ALPHA2, match_country

OB3_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
ENDORSEMENT = "EndorsementCredential"
NO_FIELD = {
    "eqf_level": "EQF level",
    "participation_form": "form of participation",
    "assessment_type": "assessment type",
    "supervision": "supervision or identity verification",
    "quality_assurance": "quality assurance",
}
MAX_ALIGNMENTS = alignments.MAX_ALIGNMENTS


def is_ob3(doc: Any) -> bool:
    return bool(OB3_TYPES & types_of(doc))


def is_generic_vc(doc: Any) -> bool:
    return "VerifiableCredential" in types_of(doc) and isinstance(
        doc.get("credentialSubject"), dict
    )


def learner_identity(doc: dict[str, Any]) -> str | None:
    subject = _subject(doc)
    if isinstance(subject.get("id"), str) and subject["id"]:
        return subject["id"]
    identity = dig(subject, "identifier", "identityHash")
    return identity if isinstance(identity, str) and identity else None


def _subject(doc: dict[str, Any]) -> dict[str, Any]:
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    return subject if isinstance(subject, dict) else {}


def embedded_endorsements(doc: Any, path: str = "") -> list[tuple[dict[str, Any], str]]:
    """Endorsement credentials inside a document (on the credential, achievement, issuer…)."""
    found: list[tuple[dict[str, Any], str]] = []
    stack = [(doc, path)]
    while stack and len(found) < 50:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{where}.{key}" if where else key
                if key == "endorsement":
                    items = as_list(value)
                    for i, item in enumerate(items[:50]):
                        if isinstance(item, dict) and "proof" in item:
                            found.append((item, f"{sub}[{i}]" if isinstance(value, list) else sub))
                elif key != "proof":
                    stack.append((value, sub))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node[:MAX_ALIGNMENTS]))
    return found


def _issuer(draft: Draft, issuer: Any, path: str) -> None:
    if isinstance(issuer, str):
        draft.set("awarding_body_id", issuer, "native", path)
        draft.awarding.ids.append(issuer)
        return
    if not isinstance(issuer, dict):
        return
    name = text_of(issuer.get("name"))
    if name:
        draft.set("awarding_body", name, "native", f"{path}.name")
        draft.awarding.names.append(name)
    if isinstance(issuer.get("id"), str):
        draft.set("awarding_body_id", issuer["id"], "native", f"{path}.id")
        draft.awarding.ids.append(issuer["id"])
    address = issuer.get("address") if isinstance(issuer.get("address"), dict) else {}
    for key in ("addressCountryCode", "addressCountry"):
        raw = address.get(key)
        if not isinstance(raw, str) or "issuer_country" in draft.values:
            continue
        found = match_country(raw)
        alpha2 = found[0] if found else ALPHA3_TO_ALPHA2.get(raw.strip().upper())
        if alpha2:
            draft.set("issuer_country", alpha2, "native", f"{path}.address.{key}", f"from {raw!r}")
        else:
            draft.absent(
                "issuer_country", f"{path}.address.{key}", f"{raw!r} is not an ISO 3166 code"
            )
            draft.warn(
                f"issuer_country: {raw!r} at {path}.address.{key} is a name, not a country code"
            )
    region = text_of(address.get("addressRegion"))
    if region:
        draft.set("issuer_region", region, "native", f"{path}.address.addressRegion")


def map_credential(draft: Draft, doc: dict[str, Any], root: str = "") -> None:
    """Fill a draft from an OB 3.0 credential (or a plain VC: only what a VC has)."""
    subject = _subject(doc)
    spath = f"{root}credentialSubject"
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    apath = f"{spath}.achievement"
    draft.achievement_id = str(achievement.get("id", ""))
    if text_of(achievement.get("name")):
        draft.set("title", text_of(achievement.get("name")), "native", f"{apath}.name")
    elif text_of(doc.get("name")):
        draft.set(
            "title", text_of(doc.get("name")), "native", f"{root}name", "the credential's name"
        )
    _issuer(draft, doc.get("issuer"), f"{root}issuer")
    for key in ("awardedDate", "validFrom", "issuanceDate"):
        day = parse_date(doc.get(key))
        if day:
            draft.set("issued_on", day, "native", f"{root}{key}")
            break
    terms = extensions.terms_of(draft, achievement, apath, standard.OB3_ACHIEVEMENT)
    if draft.fmt != "vc":  # a plain VC's subject is not an achievement subject
        terms += extensions.terms_of(draft, subject, spath, standard.OB3_SUBJECT, personal=True)
    extensions.apply(draft, terms)
    language = (
        achievement.get("inLanguage") if isinstance(achievement.get("inLanguage"), str) else None
    )
    found = alignments.alignments(achievement, apath)
    alignments.read(draft, found, f"{apath}.alignment", language)
    outcomes_from_description(draft, achievement, apath)
    _credits(draft, achievement, subject, apath, spath)
    _results(draft, subject, achievement, spath)
    _result_skills(draft, subject, achievement, apath, language)
    extra = [
        f"{label}: {text_of(achievement.get(key))}"
        for key, label in (
            ("achievementType", "achievement type"),
            ("fieldOfStudy", "field of study"),
            ("specialization", "specialization"),
        )
        if text_of(achievement.get(key))
    ]
    if extra:
        draft.set("further_information", "; ".join(extra), "native", f"{apath}.achievementType")
    if text_of(achievement.get("fieldOfStudy")):
        field = text_of(achievement.get("fieldOfStudy"))
        note = f"fieldOfStudy {field!r} is free text, not an ISCED-F code"
        draft.absent("field_of_study", f"{apath}.fieldOfStudy", note)
    for name, what in NO_FIELD.items():
        if name not in draft.provenance:
            draft.absent(name, apath, f"Open Badges 3.0 has no native field for {what}")


def outcomes_from_description(draft: Draft, achievement: dict[str, Any], path: str) -> None:
    """Learning outcomes: explicit statements (already read from extension terms), else the
    achievement's description. Award criteria say how the badge is earned (or who nominates
    for it), and an alignment names a target: neither is a learning outcome."""
    if "learning_outcomes" in draft.values:
        return
    description = text_of(achievement.get("description"))
    if description:
        note = "the achievement's description; it states no learning outcomes of its own"
        draft.set("learning_outcomes", (description,), "free_text", f"{path}.description", note)
    elif "learning_outcomes" not in draft.provenance:
        note = "no description or learning outcome statement (award criteria are not outcomes)"
        draft.absent("learning_outcomes", f"{path}.description", note)


def _ects_alignment(achievement: dict[str, Any], apath: str) -> str | None:
    for alignment, where in alignments.alignments(achievement, apath):
        for key in ("targetUrl", "targetFramework", "targetName"):
            value = alignment.get(key)
            if isinstance(value, str) and concepts.is_ects(
                value if key == "targetUrl" else {"prefLabel": value}
            ):
                return f"{where}.{key}"
    return None


def _credits(draft: Draft, achievement: dict, subject: dict, apath: str, spath: str) -> None:
    raw, where = achievement.get("creditsAvailable"), f"{apath}.creditsAvailable"
    if raw is None:
        raw, where = subject.get("creditsEarned"), f"{spath}.creditsEarned"
    if raw is None:
        return
    unit = _ects_alignment(achievement, apath)
    number = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
    if unit and number is not None:
        note = f"unit ECTS from the alignment at {unit}"
        extensions.offer(draft, "ects", float(number), where, note)
    else:
        draft.absent(
            "ects",
            where,
            f"{where.rsplit('.', 1)[1]} {raw!r} has no unit in Open Badges 3.0; "
            "not read as ECTS or hours",
        )


def _results(draft: Draft, subject: dict, achievement: dict, spath: str) -> None:
    names, levels = {}, {}
    for description in as_list(achievement.get("resultDescription"))[:100]:
        if isinstance(description, dict):
            names[description.get("id")] = text_of(description.get("name"))
            for level in as_list(description.get("rubricCriterionLevel"))[:100]:
                if isinstance(level, dict):
                    levels[level.get("id")] = text_of(level.get("name")) or text_of(
                        level.get("level")
                    )
    parts = []
    for result in as_list(subject.get("result"))[:100]:
        if not isinstance(result, dict):
            continue
        value = (
            text_of(result.get("value"))
            or levels.get(result.get("achievedLevel"))
            or text_of(result.get("status"))
        )
        if value:
            label = names.get(result.get("resultDescription"))
            parts.append(f"{label}: {value}" if label else value)
    if parts:
        draft.set("grade", "; ".join(dict.fromkeys(parts)), "native", f"{spath}.result")


def _result_skills(
    draft: Draft, subject: dict, achievement: dict, apath: str, language: str | None
) -> None:
    """Skills of the result descriptions the learner has a result for: the ESCO URIs their
    alignments name, a skill an alignment names by targetName only, and a result description
    whose resultType says it is a skill (by its name)."""
    reached = {
        r.get("resultDescription") for r in as_list(subject.get("result")) if isinstance(r, dict)
    }
    described = achievement.get("resultDescription")
    found = esco_labels.Found()
    for description, where in esco_labels.named_concepts(described, f"{apath}.resultDescription"):
        rid = description.get("id") if isinstance(description, dict) else None
        if not isinstance(rid, str) or not rid or rid not in reached:
            continue
        aligned = alignments.skills_of(alignments.alignments(description, where), language)
        found.uris += aligned.uris
        found.named += aligned.named
        if not aligned.uris and alignments.is_skill({"targetType": description.get("resultType")}):
            labels = esco_labels.labels_of(description.get("name"), language)
            found.named.append(esco_labels.Named(labels, f"{where}.name"))
    path = f"{apath}.resultDescription[*].alignment[*].targetUrl"
    esco_labels.settle(draft, found, path, "ESCO URIs named by result descriptions' alignments")


def credential_id(doc: dict[str, Any], fallback: str) -> str:
    cid = doc.get("id")
    return cid if isinstance(cid, str) and re.fullmatch(r"\S{1,500}", cid) else fallback
