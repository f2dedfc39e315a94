"""Storage of an organisation's letter settings and of applicants' postal addresses.

Settings are state an admin changes: one row per organisation (its `id` is the organisation's),
replaced on each change, every change recorded in the trail with the names of the fields that
changed (never their values: a signatory's name or an address is nobody's business in the trail).
A postal address is the learner's personal data: it lives on the learner row, erasure blanks it,
and the trail says only that an address was set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.desk.letter_records import OrganisationSettings
from models.desk.records import User
from models.store.cases import get_case
from models.store.database import DB, _one, _write, append_audit, get_organisation, now

_FIELDS = (
    "postal_address email phone web signatory_name signatory_title logo logo_type "
    "appeal_text_en appeal_text_sv appeal_weeks default_language"
).split()


def get_settings(db: DB, organisation_id: int) -> OrganisationSettings:
    """The organisation's settings; defaults (empty, 3 weeks, English) until an admin sets them."""
    organisation = get_organisation(db, organisation_id)
    row = _one(db, "SELECT * FROM organisation_settings WHERE id = ?", [organisation_id])
    names = (*_FIELDS, "updated_at", "updated_by")
    values: dict[str, Any] = {k: row[k] for k in names} if row else {}
    return OrganisationSettings(organisation_id, organisation.name, **values)


def save_settings(
    db: DB, actor: User | None, organisation_id: int, changes: Mapping[str, Any]
) -> OrganisationSettings:
    """Apply `changes` (settings fields and optionally `name`); `actor` None: the operator."""
    with _write(db):
        before = get_settings(db, organisation_id)
        changed = sorted(k for k, v in changes.items() if getattr(before, k) != v)
        if not changed:
            return before
        who = actor.id if actor else None
        if "name" in changed:
            db.conn.execute(
                "UPDATE organisations SET name = ? WHERE id = ?", [changes["name"], organisation_id]
            )
            append_audit(db, organisation_id, who, "organisation_renamed",
                         f"organisation:{organisation_id}", {})  # fmt: skip
        values = {k: changes.get(k, getattr(before, k)) for k in _FIELDS}
        values |= {"id": organisation_id, "updated_at": now(), "updated_by": who}
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        db.conn.execute(
            f"INSERT OR REPLACE INTO organisation_settings ({names}) VALUES ({marks})",
            list(values.values()),
        )
        # The row was rewritten (its updated_at at least): its entry binds it as it is now.
        append_audit(db, organisation_id, who, "organisation_settings_changed",
                     f"organisation:{organisation_id}", {"fields": changed})  # fmt: skip
        return get_settings(db, organisation_id)


def learner_address(db: DB, organisation_id: int, learner_key: str) -> str | None:
    row = _one(
        db,
        "SELECT postal_address FROM learners WHERE organisation_id = ? AND key = ?",
        [organisation_id, learner_key],
    )
    return row["postal_address"] if row else None


def set_learner_address(db: DB, actor: User, case_id: int, address: str | None) -> None:
    """The postal address of the case's applicant (None or empty: none known)."""
    with _write(db):
        case = get_case(db, actor.organisation_id, case_id)
        db.conn.execute(
            "UPDATE learners SET postal_address = ? WHERE organisation_id = ? AND key = ? "
            "AND erased_at IS NULL",
            [address or None, actor.organisation_id, case.learner_key],
        )
        append_audit(db, actor.organisation_id, actor.id, "applicant_address_set",
                     f"case:{case_id}", {"learner": case.learner_key})  # fmt: skip
