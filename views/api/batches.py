"""API routes: batches — a population of learners evaluated in the background against a published
policy version of the organisation; its progress; its results as JSON Lines, byte for byte the
results of single evaluations. Thin: each route loads its input and calls one desk function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, send_file, url_for
from marshmallow import fields, validate

from models.desk import batches as desk_batches
from models.desk.batches import BatchRunner
from models.desk.records import load_input
from rules.schema import IsoDate, Strict
from views.api.schemas import PolicyRefSchema
from views.api.support import ApiDoc, acting_user, json_body, reply
from views.api.support import route as api_route
from views.context import get_db, learner_key_secret

READ = (401, 404)


class BatchRequestSchema(Strict):
    """Wallets to evaluate against one published version of your organisation's policy."""

    policy = fields.Nested(PolicyRefSchema, required=True)
    as_of = IsoDate(load_default=None, metadata={"description": "evaluation date; default today"})
    detail = fields.String(
        load_default="compact",
        validate=validate.OneOf(["compact", "full"]),
        metadata={"description": "compact (default): results without the rows saying why a "
                  "credential does not meet a recognition rule; full: everything"},
    )  # fmt: skip
    wallets = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=desk_batches.MAX_LEARNERS),
        metadata={"description": "wallet documents {learner, credentials, applicant, request}"},
    )


class BatchSchema(Strict):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    policy = fields.Function(lambda b: {"id": b.policy_id, "version": b.policy_version})
    as_of = fields.String()
    detail = fields.String()
    learners = fields.Integer()
    evaluated = fields.Integer()
    errors = fields.Integer(metadata={"description": "learners whose wallet was refused"})
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)
    results_sha256 = fields.String(allow_none=True)
    summary = fields.Dict(metadata={"description": "per rule, learners with each status"})
    progress = fields.Function(desk_batches.progress)
    results = fields.Function(
        lambda b: url_for(".batch_results", batch_id=b.id) if b.status == "done" else None
    )


BATCH = BatchSchema()
BATCHES = BatchSchema(many=True)


def batch_directory() -> Path:
    """BATCH_DIR; unset: `batches/` beside the database."""
    configured = current_app.config.get("BATCH_DIR")
    if configured:
        return Path(configured)
    return Path(str(current_app.config["DATABASE"])).parent / "batches"


def runner() -> BatchRunner:
    found = current_app.extensions.get("credstack_batches")
    if found is None:
        found = current_app.extensions["credstack_batches"] = BatchRunner(
            str(current_app.config["DATABASE"]),
            batch_directory(),
            learner_key_secret(),
            workers=current_app.config.get("BATCH_WORKERS", 1),
        )
    return found


@api_route(
    "/batches",
    "POST",
    ApiDoc("Evaluate a population in the background", "batches", "admin, officer",
           body=BatchRequestSchema, response=BATCH, status=202,
           errors=(400, 401, 403, 404, 413, 415, 422)),
)  # fmt: skip
def create_batch() -> Any:
    """Up to 10,000 wallets; a bad wallet becomes an error line of the results, not a refusal.
    Follow `Location` for progress; the results are at `results` once `status` is done."""
    values = load_input(BatchRequestSchema(), json_body())
    job = desk_batches.create_batch(get_db(), acting_user(), values, batch_directory())
    runner().wake()
    return reply(BATCH, job, 202, url_for(".get_batch", batch_id=job.id))


@api_route("/batches", "GET", ApiDoc("Your organisation's batches, newest first", "batches",
                                     "any role", response=BATCHES))  # fmt: skip
def list_batches() -> Any:
    return reply(BATCHES, desk_batches.list_batches(get_db(), acting_user()))


@api_route(
    "/batches/<int:batch_id>",
    "GET",
    ApiDoc("A batch: its status and progress", "batches", "any role", response=BATCH,
           errors=READ),
)  # fmt: skip
def get_batch(batch_id: int) -> Any:
    job = desk_batches.get_batch(get_db(), acting_user(), batch_id)
    if job.status in ("queued", "running"):
        runner().wake()  # a job left by a stopped process is taken up again
    return reply(BATCH, job)


@api_route(
    "/batches/<int:batch_id>/results",
    "GET",
    ApiDoc("A finished batch's results, one JSON line per learner", "batches", "any role",
           errors=(401, 404, 409), media="application/x-ndjson"),
)  # fmt: skip
def batch_results(batch_id: int) -> Any:
    """Lines `{"line", "learner", "result"}` or `{"line", "learner", "error"}` in input order;
    `results_sha256` of the batch is the sha256 of this file."""
    path = desk_batches.finished_results(get_db(), acting_user(), batch_id, batch_directory())
    return send_file(
        path.resolve(), mimetype="application/x-ndjson", as_attachment=True,
        download_name=f"batch-{batch_id}-results.jsonl",
    )  # fmt: skip
