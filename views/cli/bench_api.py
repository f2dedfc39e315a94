"""What `credstack bench --api` serves: a fresh database with one organisation, an officer with
an API token, and the synthetic 20-rule policy published; and the request it sends (that policy
and a 10-credential wallet). Kept here because `bench/` does not reach the desk itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.synthetic import AS_OF, policy_document, wallet_document
from engine.evaluate import evaluate
from models.credentials.intake import wallet_from_document
from models.desk import admin as desk_admin
from models.store import database as store
from rules.loader import load_policy

RULES, CREDENTIALS = 20, 10
# Publishing refuses a policy the static checks find an error in; the synthetic 20-rule policy of
# seed 0 has a tier that can never be reached, that of seed 2 none.
SEED = 2


def prepare(directory: Path) -> tuple[Path, str, dict[str, Any], Callable[[], Any]]:
    """(database path, API token, request body, the same evaluation in this process) for the
    API load benchmark."""
    path = directory / "bench-api.sqlite"
    db = store.open_db(path)
    try:
        store.create_organisation(db, "bench", "Benchmark University")
        admin = desk_admin.create_user(
            db, None,
            {"email": "admin@bench.test", "display_name": "Admin", "role": "admin",
             "password": "a long benchmark password"},
            organisation="bench",
        )  # fmt: skip
        document = policy_document(RULES, seed=SEED)
        version = desk_admin.publish_policy(db, admin, document)
        _, token = desk_admin.issue_api_token(db, admin, "load benchmark")
    finally:
        db.close()
    request = {
        "policy": {"id": version.policy_id, "version": version.version},
        "wallet": wallet_document(CREDENTIALS, seed=0),
        "as_of": AS_OF.isoformat(),
    }
    policy = load_policy(document)
    learner = wallet_from_document(request["wallet"])
    return path, token, request, lambda: evaluate(policy, learner, AS_OF)
