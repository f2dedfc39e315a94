"""CLR 2.0: each nested credential imported on its own, with its own verdict; `association`
entries kept as stacking hints a policy can refer to.

Achievements listed in the ClrSubject without a credential are not awarded to the learner (the
CLR lists them for context); they are not imported, but they name the targets of hints.
"""

from __future__ import annotations

import json
from typing import Any

from engine.inputs import Provenance
from models.credentials.formats import openbadges
from models.credentials.formats.common import as_list, check_shape, reject, text_of, types_of
from models.credentials.formats.result import Draft, StackingHint
from models.credentials.verify import data_integrity, jws, lifecycle
from models.credentials.verify.keys import VerifierConfig
from models.credentials.verify.verdict import Verdict

FORMAT = "clr"
MAX_NESTED = 1_000


def is_clr(doc: Any) -> bool:
    return "ClrCredential" in types_of(doc)


def import_clr(
    doc: dict[str, Any], outer: Verdict, config: VerifierConfig, source: str
) -> tuple[list[Draft], list[StackingHint]]:
    subject = doc.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    base = "credentialSubject.verifiableCredential"
    drafts: list[Draft] = []
    for i, item in enumerate(as_list(subject.get("verifiableCredential"))[:MAX_NESTED]):
        path = f"{base}[{i}]"
        if isinstance(item, str):
            draft = _nested_jws(item, path, config, source)
        elif isinstance(item, dict):
            draft = Draft(FORMAT, openbadges.credential_id(item, f"{doc.get('id')}#{path}"))
            openbadges.map_credential(draft, item, f"{path}.")
            if "proof" in item:
                own = data_integrity.verify_document(item, config, path)
            else:
                note = "the nested credential has no proof of its own; it is covered by the CLR's"
                own = outer.with_notes(note)
            draft.verdict = lifecycle.assess(own, item, config)
        else:
            continue
        drafts.append(draft)
    return drafts, _hints(subject, drafts)


def _nested_jws(token: str, path: str, config: VerifierConfig, source: str) -> Draft:
    """A nested VC-JWT; one that cannot be read rejects the whole CLR (nothing half-way)."""
    draft = Draft(FORMAT, path)
    try:
        parsed = jws.parse_compact(token)
        payload = json.loads(parsed.payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise reject(
            source, f"expected a VC-JWT; the nested credential cannot be read ({exc})", path
        ) from None
    check_shape(payload, source, path)
    vc = payload.get("vc") if isinstance(payload, dict) else None
    if not isinstance(vc, dict):
        raise reject(source, "expected a VC-JWT with a 'vc' claim", path)
    iss = payload.get("iss") if isinstance(payload.get("iss"), str) else ""
    draft.id = openbadges.credential_id(vc, path)
    openbadges.map_credential(draft, vc, f"{path}.vc.")
    verdict = jws.verify_compact(parsed, config, (iss,), path, "VC-JWT")
    draft.verdict = lifecycle.assess(verdict, vc, config, payload)
    return draft


def _titles(subject: dict[str, Any], drafts: list[Draft]) -> dict[str, str]:
    titles = {d.achievement_id: str(d.values.get("title", "")) for d in drafts if d.achievement_id}
    for achievement in as_list(subject.get("achievement"))[:MAX_NESTED]:
        if isinstance(achievement, dict) and isinstance(achievement.get("id"), str):
            titles.setdefault(achievement["id"], text_of(achievement.get("name")) or "")
    return titles


def _hints(subject: dict[str, Any], drafts: list[Draft]) -> list[StackingHint]:
    titles = _titles(subject, drafts)
    holders: dict[str, list[str]] = {}
    for draft in drafts:
        if draft.achievement_id:
            holders.setdefault(draft.achievement_id, []).append(draft.id)
    hints = []
    for i, link in enumerate(as_list(subject.get("association"))[:MAX_NESTED]):
        if not isinstance(link, dict):
            continue
        source, target = link.get("sourceId"), link.get("targetId")
        relation = link.get("associationType")
        if not all(isinstance(x, str) and x for x in (source, target, relation)):
            continue
        where = f"{FORMAT}:credentialSubject.association[{i}]"
        hints.append(
            StackingHint(
                relation,
                source,
                target,
                tuple(holders.get(source, ())),
                tuple(holders.get(target, ())),
                titles.get(target, ""),
                Provenance(
                    "native",
                    where,
                    f"{titles.get(source, source)} {relation} {titles.get(target, target)}",
                ),
            )
        )
    return hints
