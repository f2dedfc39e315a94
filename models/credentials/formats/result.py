"""The result of an import, and the draft an importer fills for each credential it finds.

A draft records every element with its provenance (kind from rules.vocabulary.PROVENANCE; source =
format + JSON path). Values that break an element's type or range are not stored: they become a
warning and an "absent" provenance entry keeping the raw value, so nothing invalid reaches the
engine and nothing is silently lost.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from engine.inputs import Credential, Level, Provenance, Wallet, check_value
from models.credentials.formats.common import MAX_TEXT
from models.credentials.verify.verdict import (
    CONFIRMED,
    EXPIRED,
    MISMATCH,
    NOT_YET_VALID,
    UNCONFIRMED,
    UNTRUSTED_SIGNER,
    VALID,
    Verdict,
)
from rules.vocabulary import ELEMENTS, MANDATORY_ELEMENTS

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


@dataclass(frozen=True)
class StackingHint:
    """An issuer-supplied relation a stacking policy can refer to (CLR association, isPartOf)."""

    relation: str  # isPartOf, isParentOf, hasPart, isPartialQualification, …
    source: str  # the achievement / specification id the relation starts from
    target: str
    source_credentials: tuple[str, ...] = ()  # imported credentials holding the source
    target_credentials: tuple[str, ...] = ()
    target_title: str = ""
    provenance: Provenance = field(default_factory=lambda: Provenance("native"))

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v not in ("", ()) and k != "provenance"}
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
        out["provenance"] = _provenance_dict(self.provenance)
        return out


@dataclass
class AwardingBody:
    """What the importer knows of the awarding body, to compare with the signer."""

    names: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # URIs / DIDs
    registrations: list[tuple[str, str]] = field(default_factory=list)  # (country, number)


class Draft:
    """One credential being imported."""

    def __init__(self, fmt: str, credential_id: str):
        self.fmt = fmt
        self.id = credential_id
        self.values: dict[str, Any] = {}
        self.provenance: dict[str, Provenance] = {}
        self.warnings: list[str] = []
        self.awarding = AwardingBody()
        self.verdict: Verdict | None = None  # its own proof, when it has one (CLR nested)
        self.achievement_id = ""  # what CLR associations refer to
        # Terms a policy may declare (`elements:` or `mappings:`), as written: extension terms of
        # Open Badges, EDC notes and identifiers. Filled through `formats.extensions.keep`.
        self.extensions: dict[str, Any] = {}

    def source(self, path: str) -> str:
        return f"{self.fmt}:{path}"

    def set(self, name: str, value: Any, kind: str, path: str, note: str = "") -> bool:
        problem = _problem(name, value)
        if problem:
            self.warn(f"{name}: {problem}; the value was not used")
            self.absent(name, path, f"unusable value {str(value)[:200]!r}: {problem}")
            return False
        self.values[name] = value
        self.provenance[name] = Provenance(kind, self.source(path), note[:MAX_TEXT])
        return True

    def absent(self, name: str, path: str, note: str) -> None:
        if name not in self.values:
            self.provenance[name] = Provenance("absent", self.source(path), note[:MAX_TEXT])

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def finish(self, verdict: Verdict) -> tuple[Credential, tuple[str, ...], Verdict]:
        """The engine credential: verification from the verdict (and its facts in `extensions`,
        see `verification_facts`); every mandatory element still missing recorded as absent."""
        own = judge_signer(self.verdict or verdict, self.awarding)
        note = f"{own.method}: {own.reason}" if own.method else own.reason
        if own.verification != own.integrity:
            note = f"{_against(own)}; the proof holds ({note})"
        where = f"credstack verification of the {self.fmt} document" + (
            f" at {own.path}" if own.path else ""
        )
        self.values["verification"] = own.verification
        self.provenance["verification"] = Provenance("inferred", where, note[:MAX_TEXT])
        for name, value in verification_facts(own).items():
            if name in self.extensions:
                self.warn(
                    f"the document's own term '{name}' was replaced by credstack's verification "
                    "fact of that name"
                )
            self.extensions[name] = value
        for name in MANDATORY_ELEMENTS:
            if name != "learner" and name not in self.provenance:
                self.absent(name, "(nowhere)", "not stated in the document")
        credential = Credential.of(self.id, self.values, self.provenance, self.extensions)
        return credential, tuple(self.warnings), own


def verification_facts(verdict: Verdict) -> dict[str, str]:
    """The verdict's facts a policy may declare and require (credential `extensions`), each only
    when the document gives it: `verification_signer` (confirmed | unconfirmed | mismatch),
    `verification_status` (active | revoked | suspended | unchecked), `valid_until` and
    `certificate_valid_until` (dates)."""
    facts = {}
    if verdict.signer_identity:
        facts["verification_signer"] = verdict.signer_identity
    if verdict.status_check:
        facts["verification_status"] = verdict.status_check
    if verdict.valid_until is not None:
        facts["valid_until"] = verdict.valid_until.date().isoformat()
    signer = verdict.signer
    if signer is not None and signer.kind == "certificate" and signer.valid_until is not None:
        facts["certificate_valid_until"] = signer.valid_until.date().isoformat()
    return facts


def _against(verdict: Verdict) -> str:
    """What speaks against a credential whose proof holds (or what could not be checked)."""
    code = verdict.verification
    if code == UNTRUSTED_SIGNER:
        return f"untrusted signer: {verdict.signer_problem}"
    if code == EXPIRED and verdict.valid_until is not None:
        return f"expired: valid until {verdict.valid_until.date().isoformat()}"
    if code == NOT_YET_VALID and verdict.valid_from is not None:
        return f"not yet valid: valid from {verdict.valid_from.date().isoformat()}"
    return f"status {verdict.status}"


def _problem(name: str, value: Any) -> str | None:
    element = ELEMENTS[name]
    try:
        check_value(name, value)
    except TypeError as exc:
        return str(exc)
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if isinstance(item, str) and (not item.strip() or len(item) > MAX_TEXT):
            return f"expected text of 1 to {MAX_TEXT:,} characters"
        if element.type == "uri_list" and not _URI.fullmatch(item):
            return f"expected absolute URIs; got {item[:100]!r}"
    if isinstance(value, (int, float)):
        low, high = element.minimum, element.maximum
        if not math.isfinite(value):
            return "not a finite number"
        if low is not None and value < low:
            return f"{value:g} is below the minimum {low:g}"
        if high is not None and value > high:
            return f"{value:g} is above the maximum {high:g}"
    if isinstance(value, tuple) and len(value) > 1000:
        return "more than 1,000 items"
    return None


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def judge_signer(verdict: Verdict, body: AwardingBody) -> Verdict:
    """`verdict` with whether its signer is the awarding body: confirmed only when a configured
    trust anchor vouches for the key and the identity it gives (certificate organisation or
    registration, key-store controller) is the body's, and the proof holds; mismatch when the
    signer names someone else; otherwise unconfirmed (did:key, a key in a URL fragment, an
    embedded key, a certificate nothing configured vouches for). Nothing to compare keeps a
    judgement already made (a CLR's credentials against the CLR's issuer)."""
    signer = verdict.signer
    if signer is None:
        return verdict
    same = None if signer.kind == "embedded jwk" else _same_body(verdict, body)
    if same is None and verdict.signer_identity:
        return verdict
    identity = UNCONFIRMED
    if same is False:
        identity = MISMATCH
    elif same and verdict.anchor and verdict.integrity == VALID:
        identity = CONFIRMED
    match = {CONFIRMED: True, MISMATCH: False}.get(identity)
    return replace(verdict, signer_identity=identity, signer_matches_awarding_body=match)


def signer_matches(verdict: Verdict, body: AwardingBody) -> bool | None:
    """Whether the signer is the awarding body: True only when confirmed (`judge_signer`)."""
    return judge_signer(verdict, body).signer_matches_awarding_body


def _same_body(verdict: Verdict, body: AwardingBody) -> bool | None:
    """Whether the identity the signer states is the awarding body's: None when either side
    gives nothing to compare."""
    signer = verdict.signer
    if signer is None:
        return None
    if signer.kind == "certificate":
        names = {_norm(n) for n in body.names if n}
        org_id = signer.organisation_identifier
        # organizationIdentifier is "VAT" + country + "-" + number (ETSI EN 319 412-1).
        m = re.fullmatch(r"[A-Z]{3}([A-Z]{2})-(.+)", org_id)
        regs = {(c.upper(), _norm(n)) for c, n in body.registrations if n}
        if not names and not regs:
            return None
        if signer.organisation and _norm(signer.organisation) in names:
            return True
        return bool(m and (m.group(1), _norm(m.group(2))) in regs)
    controller = signer.controller or signer.id.partition("#")[0]
    if not body.ids:
        return None
    return controller in body.ids or signer.id in body.ids


@dataclass(frozen=True)
class ImportResult:
    """Everything one import produced. Credentials and their verdicts share ids."""

    format: str
    filename: str
    sha256: str  # of the bytes as received (the stored document has its media removed)
    learner_key: str
    credentials: tuple[Credential, ...]
    warnings: MappingProxyType[str, tuple[str, ...]]  # by credential id
    verdict: Verdict  # the document's
    verdicts: MappingProxyType[str, Verdict]  # by credential id
    hints: tuple[StackingHint, ...]
    document: Any  # the cleaned document, media removed
    notes: tuple[str, ...] = ()  # about the document as a whole (media removed, files ignored)

    def wallet(self) -> Wallet:
        return Wallet(self.learner_key, self.credentials)

    def wallet_document(self) -> dict[str, Any]:
        """The imported credentials as a native wallet document (values with provenance), so a
        case can hold them like any other wallet. The learner is known only by the import's
        pseudonymous key: no name or national id leaves the original document."""
        credentials = []
        for c in self.credentials:
            entry: dict[str, Any] = {"id": c.id}
            for name, value in c.values.items():
                if name in ("learner", "grade"):
                    continue  # personal data stays in the original document only
                entry[name] = _written(value)
            entry["provenance"] = {
                k: _provenance_dict(p) for k, p in c.provenance.items() if k in entry
            }
            if c.extensions:
                entry["extensions"] = dict(c.extensions)
            credentials.append(entry)
        return {"learner": {"id": f"imported:{self.learner_key}"}, "credentials": credentials}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "filename": self.filename,
            "sha256": self.sha256,
            "learner_key": self.learner_key,
            "verdict": self.verdict.to_dict(),
            "credentials": [
                credential_dict(c, self.warnings.get(c.id, ()), self.verdicts[c.id])
                for c in self.credentials
            ],
            "hints": [h.to_dict() for h in self.hints],
            "notes": list(self.notes),
        }


def _written(value: Any) -> Any:
    """An element value as a native wallet writes it (lists, ISO dates, {framework, level})."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Level):
        return {"framework": value.framework, "level": value.level}
    return value.isoformat() if hasattr(value, "isoformat") else value


def _provenance_dict(p: Provenance) -> dict[str, str]:
    return {k: v for k, v in (("kind", p.kind), ("source", p.source), ("note", p.note)) if v}


def credential_dict(c: Credential, warnings: tuple[str, ...], verdict: Verdict) -> dict[str, Any]:
    elements = {}
    for name in ELEMENTS:
        if name in c.values or name in c.provenance:
            value = _written(c.values.get(name))
            entry = {"value": value} if name in c.values else {}
            if name in c.provenance:
                entry["provenance"] = _provenance_dict(c.provenance[name])
            elements[name] = entry
    return {
        "id": c.id,
        "elements": elements,
        "extensions": dict(c.extensions),
        "warnings": list(warnings),
        "verdict": verdict.to_dict(),
    }
