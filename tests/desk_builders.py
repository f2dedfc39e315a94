"""Shared set-up of the desk tests: organisations with staff in every role and the demo policies.

Passwords use a cheap Argon2 parameter set (the production default costs ~0.1 s per hash), and the
engine runs in-process: the desk accepts any object with `evaluate(policy, wallet, as_of)`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from engine.evaluate import evaluate
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk.records import Case, User
from models.store import database as store
from rules.document import parse_document

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
AS_OF = dt.date(2026, 9, 1)
ENIC, UNIVERSITY = "enic-recognition.yaml", "university-admissions.yaml"


class InProcess:
    """The engine without the worker process: deterministic and fast enough for tests."""

    def evaluate(
        self, policy: Any, wallet: Any, as_of: dt.date, *, organisation: str = "",
        detail: str = "full",
    ) -> dict[str, Any]:  # fmt: skip
        return evaluate(policy, wallet, as_of, detail=detail)


ENGINE = InProcess()


def wallet(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "learners" / f"{name}.json").read_text(encoding="utf-8"))


def policy_document(name: str) -> Any:
    path = FIXTURES / "policies" / name
    return parse_document(path.read_bytes(), path.name)


@dataclass
class Org:
    id: int
    slug: str
    admin: User
    officer: User
    officer2: User
    viewer: User


def make_org(
    db: store.DB, slug: str, *, four_eyes: bool = False, policies=(ENIC, UNIVERSITY)
) -> Org:
    org = store.create_organisation(db, slug, f"{slug.title()} (test)", four_eyes=four_eyes)
    staff = {}
    for local, role in (("admin", "admin"), ("officer", "officer"), ("officer2", "officer"),
                        ("viewer", "viewer")):  # fmt: skip
        data = {"email": f"{local}@{slug}.test", "display_name": local, "role": role,
                "password": PASSWORD}  # fmt: skip
        staff[local] = desk_admin.create_user(db, None, data, organisation=slug, hasher=FAST)
    for name in policies:
        desk_admin.publish_policy(db, staff["admin"], policy_document(name))
    return Org(org.id, slug, **staff)


def case_data(learner: str, purpose: str, **extra: Any) -> dict[str, Any]:
    data = {
        "wallet": wallet(learner),
        "purpose": purpose,
        "application_date": AS_OF.isoformat(),
        "received_on": AS_OF.isoformat(),
    }
    data.update(extra)
    return data


def open_enic(db: store.DB, officer: User, learner: str, **extra: Any) -> Case:
    """A recognition case (ENIC policy, purpose admission), opened by `officer`."""
    return desk.open_case(db, officer, case_data(learner, "admission", **extra))


def open_credit(db: store.DB, officer: User, learner: str, **extra: Any) -> Case:
    """A credit/stacking case (university policy), opened by `officer`."""
    return desk.open_case(db, officer, case_data(learner, "credit", **extra))


def evaluated(db: store.DB, officer: User, case: Case) -> Case:
    desk.evaluate_case(db, officer, case.id, ENGINE)
    return case


def count(db: store.DB, table: str) -> int:
    return db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def drop_guards(db: store.DB) -> None:
    """Remove the append-only triggers, as an attacker with file access could: tamper tests only."""
    names = [r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    for name in names:
        db.conn.execute(f"DROP TRIGGER {name}")
