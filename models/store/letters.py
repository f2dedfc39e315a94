"""Storage of issued letters and credentials: append-only rows holding the exact bytes sent.

Each row is written with the trail entry that records it (bound: `bindings`), whose details carry
the sha256 of the bytes; a row is never updated, so the letter kept is the letter sent.
"""

from __future__ import annotations

import hashlib
import sqlite3

from models.desk.letter_records import IssuedCredential, IssuedLetter
from models.desk.records import User
from models.errors import NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now

_LETTER_LIST = (
    "SELECT id, organisation_id, case_id, decision_id, language, purpose, reply_by, sha256, "
    "created_at, created_by, length(pdf) AS size FROM letters"
)
_CREDENTIAL_LIST = (
    "SELECT id, organisation_id, case_id, decision_id, outcome, sha256, created_at, created_by, "
    "length(document) AS size FROM issued_credentials"
)


def _letter(row: sqlite3.Row, pdf: bytes = b"") -> IssuedLetter:
    return IssuedLetter(
        *(row[k] for k in ("id", "organisation_id", "case_id", "decision_id", "language")),
        *(row[k] for k in ("purpose", "reply_by", "sha256", "created_at", "created_by", "size")),
        pdf=pdf,
    )


def _credential(row: sqlite3.Row, document: bytes = b"") -> IssuedCredential:
    keys = "id organisation_id case_id decision_id outcome sha256 created_at created_by size"
    return IssuedCredential(*(row[k] for k in keys.split()), document=document)


def insert_letter(
    db: DB,
    actor: User,
    *,
    case_id: int,
    decision_id: int,
    language: str,
    purpose: str,
    reply_by: str | None,
    pdf: bytes,
) -> IssuedLetter:
    digest = hashlib.sha256(pdf).hexdigest()
    with _write(db):
        row = {"organisation_id": actor.organisation_id, "case_id": case_id,
               "decision_id": decision_id, "language": language, "purpose": purpose,
               "reply_by": reply_by, "pdf": pdf, "sha256": digest, "created_at": now(),
               "created_by": actor.id}  # fmt: skip
        letter_id = _insert(db, "letters", row)
        details = {"letter": letter_id, "decision": decision_id, "language": language,
                   "purpose": purpose, "sha256": digest}  # fmt: skip
        append_audit(
            db, actor.organisation_id, actor.id, "letter_issued", f"case:{case_id}", details
        )
        return get_letter(db, actor.organisation_id, letter_id)


def get_letter(db: DB, organisation_id: int, letter_id: int) -> IssuedLetter:
    row = _one(db, f"{_LETTER_LIST} WHERE id = ? AND organisation_id = ?",
               [letter_id, organisation_id])  # fmt: skip
    if row is None:
        raise NotFound(N_("no letter %(letter)s", letter=letter_id))
    pdf = db.conn.execute("SELECT pdf FROM letters WHERE id = ?", [letter_id]).fetchone()[0]
    return _letter(row, bytes(pdf))


def letters_of_case(db: DB, organisation_id: int, case_id: int) -> list[IssuedLetter]:
    rows = _all(db, f"{_LETTER_LIST} WHERE organisation_id = ? AND case_id = ? ORDER BY id",
                [organisation_id, case_id])  # fmt: skip
    return [_letter(r) for r in rows]


def insert_credential(
    db: DB, actor: User, *, case_id: int, decision_id: int, outcome: str, document: bytes
) -> IssuedCredential:
    digest = hashlib.sha256(document).hexdigest()
    with _write(db):
        row = {"organisation_id": actor.organisation_id, "case_id": case_id,
               "decision_id": decision_id, "outcome": outcome, "document": document,
               "sha256": digest, "created_at": now(), "created_by": actor.id}  # fmt: skip
        credential_id = _insert(db, "issued_credentials", row)
        details = {"credential": credential_id, "decision": decision_id, "outcome": outcome,
                   "sha256": digest}  # fmt: skip
        append_audit(
            db, actor.organisation_id, actor.id, "credential_issued", f"case:{case_id}", details
        )
        return get_credential(db, actor.organisation_id, credential_id)


def get_credential(db: DB, organisation_id: int, credential_id: int) -> IssuedCredential:
    row = _one(db, f"{_CREDENTIAL_LIST} WHERE id = ? AND organisation_id = ?",
               [credential_id, organisation_id])  # fmt: skip
    if row is None:
        raise NotFound(N_("no issued credential %(credential)s", credential=credential_id))
    raw = db.conn.execute(
        "SELECT document FROM issued_credentials WHERE id = ?", [credential_id]
    ).fetchone()[0]
    return _credential(row, bytes(raw))


def credentials_of_case(db: DB, organisation_id: int, case_id: int) -> list[IssuedCredential]:
    rows = _all(db, f"{_CREDENTIAL_LIST} WHERE organisation_id = ? AND case_id = ? ORDER BY id",
                [organisation_id, case_id])  # fmt: skip
    return [_credential(r) for r in rows]


def credentials_of_decision(
    db: DB, organisation_id: int, decision_id: int
) -> list[IssuedCredential]:
    rows = _all(db, f"{_CREDENTIAL_LIST} WHERE organisation_id = ? AND decision_id = ? "
                "ORDER BY id", [organisation_id, decision_id])  # fmt: skip
    return [_credential(r) for r in rows]
