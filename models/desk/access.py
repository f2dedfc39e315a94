"""Who may do what on the desk, and the exact policy a case is judged under.

Every desk function takes the acting `User`: the organisation comes from them (never from the
caller's input) and their role is checked with `require` before anything is read or written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from engine.inputs import Wallet
from models.desk.records import Case, PolicyVersion, User
from models.errors import Forbidden, ModelError
from models.messages import N_
from models.store import policies as store_policies
from models.store.database import DB
from rules.loader import load_policy
from rules.policy import Policy

ANY_ROLE = ("admin", "officer", "viewer")
DECIDING = ("accept", "override")


class Evaluator(Protocol):
    """What the desk needs from the engine: `engine.service.ContainedEvaluator` in production."""

    def evaluate(
        self, policy: Policy, wallet: Wallet, as_of: dt.date, *, organisation: str = ""
    ) -> dict[str, Any]: ...


def require(user: User, *roles: str) -> None:
    if not user.active:
        raise Forbidden(N_("this account is deactivated"))
    if user.role not in roles:
        raise Forbidden(
            N_(
                "a %(role)s may not do this (needs: %(needs)s)",
                role=user.role,
                needs=", ".join(roles),
            )
        )


_validated: dict[str, Policy] = {}


def validated_policy(version: PolicyVersion) -> Policy:
    """The engine's policy for a stored version, checked against the digest it was stored with."""
    found = _validated.get(version.digest)
    if found is None:
        found = load_policy(dict(version.document), source=f"{version.policy_id}@{version.version}")
        if found.digest != version.digest:
            raise ModelError(
                N_("stored policy %(policy)s@%(version)s fails its digest",
                   policy=version.policy_id, version=version.version)
            )  # fmt: skip

        if len(_validated) >= 256:
            _validated.clear()
        _validated[version.digest] = found
    return found


def case_policy(db: DB, case: Case) -> Policy:
    """The exact policy version a case is judged under."""
    version = store_policies.get_policy(
        db, case.organisation_id, case.policy_id, case.policy_version
    )
    return validated_policy(version)
