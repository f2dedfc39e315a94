"""Import credential documents as learners hold them: Europass EDC (sealed or not), Open Badges
3.0 (embedded proof or VC-JWT), CLR 2.0, Open Badges 2.0; each verified offline.

`import_document(raw, filename)` recognises the format from the content (not the file name) and
returns an `ImportResult` — the engine credentials with provenance, warnings, the verdict, stacking
hints and the document with its embedded media removed — or raises `IntakeError`. Nothing is
returned half-way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from models.credentials.formats import clr, edc, elm2, ob2, openbadges
from models.credentials.formats.common import (
    check_shape,
    decode_text,
    parse_json,
    reject,
    strip_media,
)
from models.credentials.formats.result import (
    AwardingBody,
    Draft,
    ImportResult,
    StackingHint,
    judge_signer,
)
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET, learner_key
from models.credentials.verify import data_integrity, jades, jws, lifecycle
from models.credentials.verify.keys import VerifierConfig
from models.credentials.verify.verdict import Verdict, not_signed, with_embedded
from models.errors import IntakeError

__all__ = ["ImportResult", "IntakeError", "StackingHint", "import_document"]

Related = Sequence[tuple[bytes, str]]


def import_document(
    raw: bytes,
    filename: str,
    *,
    related: Related = (),
    config: VerifierConfig | None = None,
    learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET,
) -> ImportResult:
    """One document (plus, for Open Badges 2.0, its BadgeClass and Issuer) → `ImportResult`."""
    config = config or VerifierConfig.load()
    text = decode_text(raw, filename)
    if not text.strip():
        raise reject(filename, "expected a credential document; the file is empty")
    others = [parse_json(decode_text(r, name), name) for r, name in related]
    if jws.looks_compact(text):
        fmt, drafts, hints, verdict, document, identity = _from_jws(
            text.strip(), filename, config, others
        )
    else:
        data = parse_json(text, filename)
        fmt, drafts, hints, verdict, document, identity = _from_json(data, filename, config, others)
    if not drafts:
        raise reject(
            filename, f"expected at least one credential in the {fmt} document; found none"
        )
    _unique_ids(drafts)
    cleaned, removed = strip_media(document)
    credentials, warnings, verdicts = [], {}, {}
    for draft in drafts:
        credential, notes, own = draft.finish(verdict)
        credentials.append(credential)
        warnings[credential.id] = notes
        verdicts[credential.id] = own
    notes = [f"{removed} embedded media object(s) removed before storing"] if removed else []
    if related and fmt != "ob2":
        notes.append(f"{len(related)} related document(s) ignored: only Open Badges 2.0 uses them")
    shared = {
        (v.signer_identity, v.signer_matches_awarding_body)
        for v in verdicts.values()
        if v.path == verdict.path
    }
    if len(shared) == 1 and len(verdicts) == len(drafts):  # one proof for all: say it once
        signer, match = shared.pop()
        verdict = replace(verdict, signer_identity=signer, signer_matches_awarding_body=match)
    return ImportResult(
        format=fmt,
        filename=filename,
        sha256=hashlib.sha256(raw).hexdigest(),
        learner_key=learner_key(identity or "anonymous", learner_key_secret),
        credentials=tuple(credentials),
        warnings=MappingProxyType(warnings),
        verdict=verdict,
        verdicts=MappingProxyType(verdicts),
        hints=tuple(hints),
        document=cleaned,
        notes=tuple(notes),
    )


Found = tuple[str, list[Draft], list[StackingHint], Verdict, Any, str | None]


def _from_json(data: Any, source: str, config: VerifierConfig, others: list[Any]) -> Found:
    if isinstance(data, list):  # Open Badges 2.0 supplied as one array: assertion first
        assertions = [d for d in data if ob2.is_assertion(d)]
        if not assertions:
            raise reject(source, "expected an Open Badges 2.0 Assertion in the array; found none")
        return _from_json(
            assertions[0], source, config, [d for d in data if d is not assertions[0]] + others
        )
    if not isinstance(data, dict):
        raise reject(source, "expected a JSON object (a credential document)")
    if jades.is_envelope(data):
        return _from_jades(data, source, config)
    if edc.is_edc(data):
        drafts, hints = edc.import_edc(data)
        verdict = _embedded_proof(data, config)
        return "edc", drafts, hints, verdict, data, edc.learner_identity(data)
    if elm2.is_legacy(data):
        drafts, hints = elm2.import_legacy(data)
        return "elm2", drafts, hints, _embedded_proof(data, config), data, None
    return _from_vc(data, source, config, others, None)


def _from_vc(
    data: dict,
    source: str,
    config: VerifierConfig,
    others: list[Any],
    jwt: Verdict | None,
    claims: dict[str, Any] | None = None,
) -> Found:
    """A W3C VC (JSON-LD, or the `vc` claim of a VC-JWT whose verdict is `jwt` and whose other
    claims are `claims`)."""
    verdict = jwt or data_integrity.verify_document(data, config)
    embedded = [
        data_integrity.verify_document(e, config, p)
        for e, p in openbadges.embedded_endorsements(data)
    ]
    # status and validity period: what the credential says of itself, lists never fetched
    verdict = lifecycle.assess(with_embedded(verdict, embedded), data, config, claims)
    if clr.is_clr(data):
        issuer = data.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        body = AwardingBody(ids=[issuer_id] if isinstance(issuer_id, str) else [])
        verdict = judge_signer(verdict, body)
        drafts, hints = clr.import_clr(data, verdict, config, source)
        return "clr", drafts, hints, verdict, data, openbadges.learner_identity(data)
    if openbadges.ENDORSEMENT in openbadges.types_of(data) and not openbadges.is_ob3(data):
        message = (
            "an EndorsementCredential endorses an issuer or an achievement; it is not a "
            "learner's credential, so there is nothing to import"
        )
        raise reject(source, message, "type")
    if {"BadgeClass", "Issuer"} & openbadges.types_of(data):
        message = (
            "an Open Badges 2.0 BadgeClass or Issuer alone is not a credential: give the "
            "Assertion first and this file as a related document"
        )
        raise reject(source, message, "type")
    if ob2.is_assertion(data):
        draft = ob2.import_ob2(data, [o for o in others if isinstance(o, dict)])
        hosted = "hosted" in json.dumps(data.get("verification", ""))
        verdict = jwt or not_signed(
            "hosted Open Badges 2.0 assertion: verifying it needs the issuer's server, which "
            "credstack does not contact"
            if hosted
            else "the assertion carries no signature"
        )
        verdict = lifecycle.assess(verdict, data, config, claims)
        return (
            "ob2",
            [draft],
            [],
            verdict,
            {"assertion": data, "related": others},
            ob2.learner_identity(data),
        )
    if openbadges.is_ob3(data) or openbadges.is_generic_vc(data):
        fmt = "ob3" if openbadges.is_ob3(data) else "vc"
        draft = Draft(fmt, openbadges.credential_id(data, "sha256:" + _digest(data)))
        openbadges.map_credential(draft, data)
        if fmt == "vc":
            draft.warn(
                "not an Open Badges or Europass credential: only the generic VC fields were read"
            )
        return fmt, [draft], [], verdict, data, openbadges.learner_identity(data)
    raise reject(
        source,
        "expected a Europass EDC (ELM v3), Open Badges 3.0 / 2.0 or CLR 2.0 document; "
        f"got a JSON object of type {sorted(openbadges.types_of(data)) or 'none'}",
    )


def _from_jades(envelope: dict, source: str, config: VerifierConfig) -> Found:
    try:
        payload = jades.payload_bytes(envelope)
    except ValueError as exc:
        raise reject(
            source, f"expected a JAdES seal with a readable payload; {exc}", "payload"
        ) from None
    doc = parse_json(decode_text(payload, source), source, "payload")
    if not edc.is_edc(doc):
        raise reject(source, "expected a Europass credential inside the seal", "payload")
    verdict = lifecycle.assess(jades.verify_envelope(envelope, config), doc, config)
    drafts, hints = edc.import_edc(doc)
    stored = {"payload": doc, "signatures": envelope.get("signatures", envelope.get("signature"))}
    return "edc", drafts, hints, verdict, stored, edc.learner_identity(doc)


def _from_jws(token: str, source: str, config: VerifierConfig, others: list[Any]) -> Found:
    try:
        parsed = jws.parse_compact(token)
    except ValueError as exc:
        raise reject(source, f"expected a compact JWS; {exc}") from None
    check_shape(parsed.header, source, "header")
    payload = parse_json(decode_text(parsed.payload, source), source, "payload")
    if not isinstance(payload, dict):
        raise reject(source, "expected a JSON object as the JWS payload", "payload")
    stored = {"header": parsed.header, "payload": payload}
    if isinstance(payload.get("vc"), dict):
        vc = dict(payload["vc"])
        iss = payload.get("iss") if isinstance(payload.get("iss"), str) else ""
        vc.setdefault("issuer", iss)
        issuer = vc["issuer"].get("id") if isinstance(vc["issuer"], dict) else vc["issuer"]
        hints = tuple(h for h in (iss, issuer) if isinstance(h, str) and h)
        verdict = jws.verify_compact(parsed, config, hints, kind="VC-JWT")
        fmt, drafts, found, verdict, _, identity = _from_vc(
            vc, source, config, others, verdict, payload
        )
        sub = payload.get("sub") if isinstance(payload.get("sub"), str) else None
        return fmt, drafts, found, verdict, stored, identity or sub
    if ob2.is_assertion(payload):
        creator = (
            payload.get("verification", {}).get("creator")
            if isinstance(payload.get("verification"), dict)
            else None
        )
        verdict = jws.verify_compact(
            parsed, config, (creator,) if isinstance(creator, str) else (), kind="OB 2.0 JWS"
        )
        fmt, drafts, hints, verdict, _, identity = _from_vc(
            payload, source, config, others, verdict, payload
        )
        return fmt, drafts, hints, verdict, stored, identity
    raise reject(
        source, "expected a VC-JWT (with a 'vc' claim) or a signed Open Badges 2.0 assertion"
    )


def _embedded_proof(data: dict, config: VerifierConfig) -> Verdict:
    """The document's own proof (if any), with its status and validity period."""
    return lifecycle.assess(data_integrity.verify_document(data, config), data, config)


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _unique_ids(drafts: list[Draft]) -> None:
    """Nested credentials may repeat an id; a wallet needs each once."""
    seen: dict[str, int] = {}
    for draft in drafts:
        count = seen.get(draft.id, 0)
        seen[draft.id] = count + 1
        if count:
            draft.warn(f"the credential id {draft.id} appears more than once; renamed")
            draft.id = f"{draft.id}#{count + 1}"
