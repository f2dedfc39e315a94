"""Small builders shared by the tests: a policy document around the parts a test cares about."""

from __future__ import annotations

from rules.loader import load_policy
from rules.policy import Policy


def policy_doc(**parts: object) -> dict:
    doc: dict = {
        "id": "p",
        "title": "P",
        "organisation": "O",
        "purpose": "credit",
        "version": "1",
        "effective_from": "2020-01-01",
    }
    doc.update(parts)
    return doc


def policy(**parts: object) -> Policy:
    return load_policy(policy_doc(**parts))
