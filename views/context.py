"""What every request shares: the database connection, the contained evaluator and the desk's
own audit checkpoints.

One connection per request (closed at teardown) and one evaluator per app (its worker processes
outlive requests, so compiled policies are reused). After a request that used the database, a
cheap look at the trail's newest entry decides whether a signed checkpoint is due
(`CheckpointSchedule`); it is written after the response has gone out, on a connection of its own,
and a failure is logged (the kind of error and its message: no personal data), never raised.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g

from engine.service import ContainedEvaluator
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET
from models.desk.checkpoints import CheckpointSchedule, load_signing_key
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
            max_waiting=current_app.config.get("ENGINE_MAX_WAITING"),
        )
        current_app.extensions["credstack_evaluator"] = evaluator
    return evaluator


def checkpoint_directory(config: Any) -> Path | None:
    """AUDIT_CHECKPOINT_DIR; unset: `checkpoints/` beside the database; empty: none."""
    configured = config.get("AUDIT_CHECKPOINT_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    database = str(config["DATABASE"])
    return None if database == ":memory:" else Path(database).parent / "checkpoints"


def _checkpoint_when_due(response: Response) -> Response:
    schedule = current_app.extensions.get("credstack_checkpoints")
    db = g.get("db")
    if schedule is None or db is None:
        return response
    try:
        if schedule.due(store.newest_seq(db)):
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            write = functools.partial(_write_checkpoint, app, schedule, app.config["DATABASE"])
            response.call_on_close(write)
    except Exception as exc:  # a checkpoint never fails a request
        current_app.logger.warning("audit checkpoint check failed: %s: %s", type(exc).__name__, exc)
    return response


def _write_checkpoint(app: Flask, schedule: CheckpointSchedule, database: str) -> None:
    try:
        db = store.open_db(database, migrate=False)
        try:
            schedule.write(db)
        finally:
            db.close()
    except Exception as exc:  # after the response: nobody to tell but the log
        app.logger.warning("audit checkpoint not written: %s: %s", type(exc).__name__, exc)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    key = load_signing_key(app.config.get("AUDIT_KEY"))  # a bad key fails here, at start
    directory = checkpoint_directory(app.config)
    if directory is not None:
        app.extensions["credstack_checkpoints"] = CheckpointSchedule(
            directory,
            key,
            every=int(app.config.get("AUDIT_CHECKPOINT_EVERY", 100)),
            max_age=float(app.config.get("AUDIT_CHECKPOINT_MAX_AGE", 3600)),
        )
        app.after_request(_checkpoint_when_due)


def shutdown(app: Flask) -> Any:
    """Stop the evaluator's workers (tests and the dev server call this on exit)."""
    evaluator = app.extensions.pop("credstack_evaluator", None)
    if evaluator is not None:
        evaluator.close()
