"""What every request shares: the database connection and the contained evaluator.

One connection per request (closed at teardown) and one evaluator per app (its worker processes
outlive requests, so compiled policies are reused).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from engine.service import ContainedEvaluator
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET
from models.store import database as store


def get_db() -> store.DB:
    if "db" not in g:
        g.db = store.open_db(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def learner_key_secret() -> bytes:
    """The key of the pseudonymous learner keys; the pages and the API must use the same one."""
    secret = current_app.config.get("LEARNER_KEY_SECRET") or DEVELOPMENT_LEARNER_KEY_SECRET
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def get_evaluator() -> ContainedEvaluator:
    evaluator = current_app.extensions.get("credstack_evaluator")
    if evaluator is None:
        evaluator = ContainedEvaluator(
            size=current_app.config.get("ENGINE_WORKERS", 1),
            timeout=current_app.config.get("ENGINE_TIMEOUT", 20.0),
        )
        current_app.extensions["credstack_evaluator"] = evaluator
    return evaluator


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)


def shutdown(app: Flask) -> Any:
    """Stop the evaluator's workers (tests and the dev server call this on exit)."""
    evaluator = app.extensions.pop("credstack_evaluator", None)
    if evaluator is not None:
        evaluator.close()
