"""The demo: two organisations, staff in every role, the demo policies and a queue of cases.

Mälarvik University (admissions and recognition office; four-eyes on, so it has two officers)
publishes the university and ENIC-style recognition policies; Nordlys Energi (an employer)
publishes the upskilling tracks. Cases are opened for the demo learners of `fixtures/demo.yaml`;
their names go to the learners table only. Nothing is printed: the caller prints the returned
credentials.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk.organisation import update_settings
from models.errors import Conflict, NotFound
from models.messages import N_
from models.store import database as store
from models.store.database import DB
from rules.document import parse_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

ORGANISATIONS = (
    ("malarvik", "Mälarvik University, Admissions and Recognition (demo)", True),
    ("nordlys", "Nordlys Energi AB, People & Learning (demo)", False),
)
STAFF = (  # organisation, e-mail local part, name, role
    ("malarvik", "admin", "Maja Admin", "admin"),
    ("malarvik", "officer", "Olle Officer", "officer"),
    ("malarvik", "officer2", "Oona Second-Officer", "officer"),
    ("malarvik", "viewer", "Vera Viewer", "viewer"),
    ("nordlys", "admin", "Nils Admin", "admin"),
    ("nordlys", "officer", "Nora Officer", "officer"),
    ("nordlys", "viewer", "Viggo Viewer", "viewer"),
)
# What the demo university's letters carry (made up, like the university): letterhead, contact,
# signatory and appeal route. Swedish universities' decisions are appealed to the Higher Education
# Appeals Board (Överklagandenämnden för högskolan) within three weeks.
LETTER_SETTINGS = {
    "malarvik": {
        "postal_address": (
            "Mälarvik University\nAdmissions and Recognition\nBox 123\n721 23 Mälarvik"
        ),
        "email": "admissions@malarvik.example",
        "web": "https://malarvik.example/admissions",
        "signatory_name": "Sara Lindgren",
        "signatory_title": "Head of Admissions",
        "appeal_text_en": (
            "You may appeal this decision to the Higher Education Appeals Board "
            "(Överklagandenämnden för högskolan). Send your appeal in writing to Mälarvik "
            "University, which forwards it to the Board."
        ),
        "appeal_text_sv": (
            "Du kan överklaga beslutet till Överklagandenämnden för högskolan. Skicka "
            "överklagandet skriftligen till Mälarviks universitet, som sänder det vidare till "
            "nämnden."
        ),
        "appeal_weeks": 3,
    },
}
POLICY_OWNER = {
    "university-admissions.yaml": "malarvik",
    "enic-recognition.yaml": "malarvik",
    "employer-upskilling.yaml": "nordlys",
}


def seed_demo(
    db: DB,
    *,
    fixtures: Path = FIXTURES,
    hasher: PasswordHasher = desk_admin.PASSWORDS,
    learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET,
) -> list[dict[str, str]]:
    """Create the demo; returns [{organisation, email, role, password}] for the caller to print.

    Raises `Conflict` if the demo organisations exist already.
    """
    for slug, _, _ in ORGANISATIONS:
        try:
            store.find_organisation(db, slug)
        except NotFound:
            continue
        raise Conflict(
            N_("the demo is seeded already (organisation %(slug)s exists)", slug=repr(slug))
        )
    for slug, name, four_eyes in ORGANISATIONS:
        organisation = store.create_organisation(db, slug, name, four_eyes=four_eyes)
        if slug in LETTER_SETTINGS:
            update_settings(db, None, LETTER_SETTINGS[slug], organisation_id=organisation.id)
    credentials, users = [], {}
    for slug, local, name, role in STAFF:
        password = secrets.token_urlsafe(12)
        email = f"{local}@{slug}.example"
        data = {"email": email, "display_name": name, "role": role, "password": password}
        users[slug, local] = desk_admin.create_user(
            db, None, data, organisation=slug, hasher=hasher
        )
        credentials.append(
            {"organisation": slug, "email": email, "role": role, "password": password}
        )
    published = {}
    manifest = parse_document((fixtures / "demo.yaml").read_bytes(), "demo.yaml")
    # The demo organisations publish the demo policies; the real published policies beside them
    # in fixtures/policies/ belong to their own organisations and are examples of the language.
    for name in sorted({Path(entry["policy"]).name for entry in manifest["demos"]}):
        path = fixtures / "policies" / name
        slug = POLICY_OWNER.get(path.name, "malarvik")
        document = parse_document(path.read_bytes(), path.name)
        published[path.name] = slug, desk_admin.publish_policy(db, users[slug, "admin"], document)
    for entry in manifest["demos"]:
        slug, policy = published[Path(entry["policy"]).name]
        for learner in entry["learners"]:
            wallet = json.loads((fixtures / learner).read_text(encoding="utf-8"))
            data = _case(wallet, policy, entry["as_of"])
            desk.open_case(db, users[slug, "officer"], data, learner_key_secret=learner_key_secret)
    return credentials


def _case(wallet: dict, policy: Any, as_of: dt.date) -> dict[str, Any]:
    return {
        "wallet": wallet,
        "purpose": policy.purpose,
        "application_date": as_of,
        "received_on": as_of,
        "complete_on": as_of,
        "policy_id": policy.policy_id,
        "policy_version": policy.version,
    }
