"""The decision as a credential: a decided recognition or credit outcome issued to the learner as
a signed Open Badges 3.0 credential (VerifiableCredential + OpenBadgeCredential, Data Integrity
proof `eddsa-rdfc-2022`).

The issuer is the organisation that decided — by its name from the settings and, as id, the
`did:key` of its Ed25519 issuer key — never the awarding body of the credentials that were
recognised: the achievement is the recognition itself (what the credentials were recognised as,
with their credits), and its criteria say on which credentials and under which policy version it
was decided. Signing reuses the verifier's canonicalisation (`verify.data_integrity.hash_data`), so
what is signed here is exactly what `credstack import` checks. The signed bytes are stored with
the decision (`issued_credentials`), their sha256 in the trail; a download returns those bytes.

The key is `CREDSTACK_ISSUER_KEY`: a PEM Ed25519 private key, the base64 of its 32 bytes, or a
multibase private multikey (`z…`, multicodec ed25519-priv). Without one, development uses a key
derived from a fixed public text (its credentials prove nothing); the app refuses to start
elsewhere without a key of its own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.credentials.verify import data_integrity, keys
from models.desk import letters as desk_letters
from models.desk.cases import ANY_ROLE, require
from models.desk.letter_content import Element, LetterContent
from models.desk.letter_records import IssuedCredential
from models.desk.records import User
from models.errors import Conflict, InvalidInput, ModelError, NotFound
from models.messages import N_
from models.store import database as store
from models.store import letters as store_letters
from models.store.database import DB

DEVELOPMENT_ISSUER_KEY_SEED = hashlib.sha256(b"credstack-DEVELOPMENT-ONLY-issuer-key").digest()
ED25519_PRIVATE_MULTICODEC = b"\x80\x26"
CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
LEVEL_WORDS = {
    "full": "Full recognition",
    "partial": "Partial recognition",
    "conditional": "Conditional recognition",
    "alternative": "Alternative recognition",
}
_KEY_FORMS = "a PEM Ed25519 private key, the base64 of its 32 bytes, or a multibase private key"


class IssuerKeyError(ModelError):
    """The issuer key is not an Ed25519 private key in a form the desk reads."""


def load_issuer_key(text: str | bytes | None) -> Ed25519PrivateKey:
    """The configured key; None or empty: the development key. Never echoes the text."""
    if not text:
        return Ed25519PrivateKey.from_private_bytes(DEVELOPMENT_ISSUER_KEY_SEED)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data.strip(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise IssuerKeyError(f"the issuer key is not {_KEY_FORMS}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise IssuerKeyError("the issuer key is a PEM key of another kind than Ed25519")
        return key
    stripped = data.strip()
    if stripped.startswith(b"z"):
        try:
            raw = keys.multibase_decode(stripped.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            raw = b""
        if raw.startswith(ED25519_PRIVATE_MULTICODEC) and len(raw) == 34:
            return Ed25519PrivateKey.from_private_bytes(raw[2:])
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise IssuerKeyError(f"the issuer key is not {_KEY_FORMS}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def issuer_did(key: Ed25519PrivateKey) -> str:
    return "did:key:" + keys.ed25519_multikey(key.public_key())


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def credential_document(
    letter: LetterContent, element: Element, issuer: str, issued_at: dt.datetime
) -> dict[str, Any]:
    """The unsigned credential recording one decided outcome."""
    org = letter.organisation
    name = element.recognised_as or element.title
    evidence = "; ".join(f"{c.title} ({c.awarding_body})" for c in element.credentials)
    level = LEVEL_WORDS.get(element.level, "Awarded")
    if element.kind == "stacking":
        level = "Awarded by decision of the organisation"
    narrative = (
        f"{level}: {element.title}. Decided by {org.name} (decision {letter.decision_number} "
        f"in case {letter.case_reference}, {letter.decided_on.isoformat()}) under the policy "
        f'"{letter.policy_title}", version {letter.policy_version}'
        + (f", on the evidence of: {evidence}." if evidence else ".")
        + (f" {element.note}" if element.note else "")
    )
    description = (
        f"Recognition by {org.name} of prior learning as {name}. {org.name} decided the "
        "recognition; it did not award the credentials recognised"
        + (f" ({evidence})." if evidence else ".")
    )
    profile: dict[str, Any] = {"id": issuer, "type": ["Profile"], "name": org.name}
    if org.web:
        profile["url"] = org.web
    if org.email:
        profile["email"] = org.email
    achievement: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["Achievement"],
        "name": name,
        "description": description,
        "criteria": {"narrative": narrative},
    }
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": letter.applicant_name or "",
                "identityType": "name",
                "hashed": False,
            }
        ],
        "achievement": achievement,
        "result": [{"type": ["Result"], "value": level}],
    }
    if element.credits:
        achievement["creditsAvailable"] = _number(element.credits)
        subject["creditsEarned"] = _number(element.credits)
    return {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile,
        "validFrom": _stamp(issued_at),
        "awardedDate": f"{letter.decided_on.isoformat()}T00:00:00Z",
        "name": name,
        "description": description,
        "credentialSubject": subject,
    }


def sign(document: dict[str, Any], key: Ed25519PrivateKey, at: dt.datetime) -> dict[str, Any]:
    """`document` with an `eddsa-rdfc-2022` proof by `key` (verification method: its did:key)."""
    did = issuer_did(key)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": data_integrity.EDDSA_RDFC_2022,
        "created": _stamp(at),
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(data_integrity.hash_data(document, proof))
    return {**document, "proof": {**proof, "proofValue": "z" + keys.b58encode(signature)}}


def issuable_outcomes(letter: LetterContent) -> list[Element]:
    """The outcomes of a decision that may become a credential: recognised (any positive level)
    or, for a stacking target, awarded."""
    return [e for e in letter.elements if e.favourable]


def issue_credential(
    db: DB,
    user: User,
    decision_id: int,
    outcome: str,
    key: Ed25519PrivateKey,
    *,
    now: dt.datetime | None = None,
) -> IssuedCredential:
    """Sign and keep the credential of one decided outcome of a final decision."""
    decision = desk_letters.check_issuable(db, user, decision_id)
    if decision.action == "request_evidence":
        raise Conflict(N_("an evidence request decides nothing to issue as a credential"))
    letter = desk_letters.letter_content(db, user, decision.case_id, decision.id)
    element = next((e for e in issuable_outcomes(letter) if e.rule == outcome), None)
    if element is None:
        choices = ", ".join(e.rule for e in issuable_outcomes(letter)) or N_("none")
        raise InvalidInput(
            {"outcome": N_("not a recognised or awarded outcome (%(choices)s)", choices=choices)}
        )
    if letter.applicant_name is None:
        raise Conflict(N_("the learner's identity is erased: there is nobody to issue it to"))
    moment = now or dt.datetime.now(dt.UTC)
    signed = sign(credential_document(letter, element, issuer_did(key), moment), key, moment)
    body = (json.dumps(signed, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    with store.transaction(db):
        desk_letters.check_issuable(db, user, decision_id)  # still final under the write lock
        return store_letters.insert_credential(
            db, user, case_id=decision.case_id, decision_id=decision.id, outcome=outcome,
            document=body,
        )  # fmt: skip


def get_issued(db: DB, user: User, credential_id: int) -> IssuedCredential:
    """The stored signed credential; handing it out is recorded in the trail as an export."""
    require(user, *ANY_ROLE)
    found = store_letters.get_credential(db, user.organisation_id, credential_id)
    store.record_event(db, user, "export", f"issued_credential:{credential_id}",
                       {"case": found.case_id, "sha256": found.sha256})  # fmt: skip
    return found


def latest_of_decision(db: DB, user: User, decision_id: int) -> IssuedCredential:
    """The newest credential issued on a decision."""
    require(user, *ANY_ROLE)
    found = store_letters.credentials_of_decision(db, user.organisation_id, decision_id)
    if not found:
        raise NotFound(N_("no credential issued on decision %(decision)s", decision=decision_id))
    return get_issued(db, user, found[-1].id)


def credentials_of_case(db: DB, user: User, case_id: int) -> list[IssuedCredential]:
    require(user, *ANY_ROLE)
    return store_letters.credentials_of_case(db, user.organisation_id, case_id)
