"""Batch jobs: a population of learners evaluated against one published policy version, in the
background (the API's /batches).

A job's wallets are written to `<directory>/<id>.wallets.jsonl` when it is created (inside the
transaction that creates its row); `BatchRunner` evaluates them in this process's background
thread, through the same batch path as `credstack batch` (chunks in crash-contained workers,
results in input order, byte for byte the results of single evaluations), into
`<id>.results.jsonl`. The job's row records progress and, at the end, the counts, a summary per
rule and the sha256 of the results file; the wallets file is then deleted. A job whose process
died is taken up again by the next runner once its heartbeat is stale, and resumes where its
results file ends. Files and rows are the organisation's: every read checks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from models.desk.background import QueueRunner
from models.desk.cases import require, validated_policy
from models.desk.records import BatchJob, User
from models.desk.words import job_status_word
from models.errors import Conflict, InvalidInput
from models.messages import N_
from models.population.outputs import open_writer
from models.population.runner import PoolExecutor, Totals, run
from models.population.sources import JsonLinesSource
from models.population.work import Job
from models.store import batches as store_batches
from models.store import database as store
from models.store import policies as store_policies

MAX_LEARNERS = 10_000  # per job through the API; larger populations: `credstack batch`
STALE_SECONDS = 120.0  # a running job silent this long is taken up by another runner
BEAT_SECONDS = 2.0


class BatchNotReady(Conflict):
    """The results of a batch that has not finished were asked for."""


def wallets_path(directory: Path, job_id: int) -> Path:
    return directory / f"{job_id}.wallets.jsonl"


def results_path(directory: Path, job_id: int) -> Path:
    return directory / f"{job_id}.results.jsonl"


def create_batch(db: store.DB, user: User, values: dict[str, Any], directory: Path) -> BatchJob:
    """Queue a job: `values` holds `policy` {id, version}, `as_of`, `detail` (of the results:
    compact unless full is asked for) and `wallets` (documents)."""
    require(user, "admin", "officer")
    ref, wallets = values["policy"], values["wallets"]
    if not 1 <= len(wallets) <= MAX_LEARNERS:
        raise InvalidInput(
            {"wallets": N_("expected 1 to %(most)s wallets", most=format(MAX_LEARNERS, ","))}
        )
    version = store_policies.get_policy(db, user.organisation_id, ref["id"], ref["version"])
    validated_policy(version)  # a version the engine cannot load is refused now, not later
    as_of = values.get("as_of") or dt.datetime.now(dt.UTC).date()
    directory.mkdir(parents=True, exist_ok=True)

    def write_input(job_id: int) -> None:
        target = wallets_path(directory, job_id)
        partial = target.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as f:
            for wallet in wallets:
                f.write(json.dumps(wallet, ensure_ascii=False, separators=(",", ":")) + "\n")
        os.chmod(partial, 0o600)  # learners' credentials: readable by this service only
        os.replace(partial, target)

    return store_batches.create_batch(
        db, user.organisation_id, user.id, version.policy_id, version.version,
        as_of.isoformat(), values.get("detail") or "compact", len(wallets), write_input,
    )  # fmt: skip


def get_batch(db: store.DB, user: User, job_id: int) -> BatchJob:
    require(user, "admin", "officer", "viewer")
    return store_batches.get_batch(db, user.organisation_id, job_id)


def list_batches(db: store.DB, user: User) -> list[BatchJob]:
    require(user, "admin", "officer", "viewer")
    return store_batches.list_batches(db, user.organisation_id)


def finished_results(db: store.DB, user: User, job_id: int, directory: Path) -> Path:
    """The results file of a finished job of the user's organisation."""
    job = get_batch(db, user, job_id)
    if job.status != "done":
        raise BatchNotReady(
            N_("batch %(job)s is %(status)s; its results are not ready",
               job=job.id, status=job_status_word(job.status))
        )  # fmt: skip

    return results_path(directory, job.id)


def progress(job: BatchJob) -> dict[str, Any]:
    """Counts, share done, learners per second and an estimate of the time left."""
    done = job.evaluated + job.errors
    out: dict[str, Any] = {"done": done, "share": round(done / job.learners, 4)}
    if job.started_at and job.status == "running" and done:
        started = dt.datetime.fromisoformat(job.started_at.replace("Z", "+00:00"))
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        rate = done / seconds if seconds > 0 else 0.0
        out["learners_per_second"] = round(rate, 1)
        out["seconds_left"] = round((job.learners - done) / rate, 1) if rate else None
    return out


class BatchRunner(QueueRunner):
    """Runs the queued jobs of the database, one at a time, in one background thread of this
    process (started by `wake`, ending when nothing is left to do)."""

    thread_name = "credstack-batches"
    stale_seconds = STALE_SECONDS

    def __init__(self, database: str, directory: Path, secret: bytes, workers: int = 1):
        super().__init__(database)
        self.directory, self.secret, self.workers = directory, secret, workers

    def claim(self, db: store.DB, stale_before: str) -> BatchJob | None:
        return store_batches.claim_next(db, stale_before)

    def run(self, db: store.DB, item: BatchJob) -> BatchJob:
        return self.run_job(db, item)

    def run_job(self, db: store.DB, job: BatchJob) -> BatchJob:
        try:
            version = store_policies.get_policy(
                db, job.organisation_id, job.policy_id, job.policy_version
            )
            policy = validated_policy(version)
            as_of = dt.date.fromisoformat(job.as_of)
            source = JsonLinesSource(wallets_path(self.directory, job.id))
            path = results_path(self.directory, job.id)
            writer = open_writer(path, policy, as_of, job.detail)
            work = Job(policy, as_of, self.secret, detail=job.detail)
            executor = PoolExecutor(work, workers=self.workers)
            last = [0.0]
            done_before = _counted(path)  # lines an earlier run of this job wrote (resumed)

            def beat(totals: Totals) -> None:
                if time.monotonic() - last[0] >= BEAT_SECONDS:
                    last[0] = time.monotonic()
                    evaluated = done_before[0] + totals.evaluated
                    store_batches.beat(db, job.id, evaluated, done_before[1] + totals.errors)

            try:
                run(source, executor, writer, on_progress=beat)
            finally:
                writer.close()
                executor.close()
        except Exception as exc:  # the job fails; the service goes on (no learner data in it)
            evaluated, errors = _counted(results_path(self.directory, job.id))
            failure = f"{type(exc).__name__}: the batch could not be completed"
            return store_batches.finish(db, job, "failed", evaluated, errors, {}, None, failure)
        evaluated, errors, summary, digest = _results(results_path(self.directory, job.id))
        finished = store_batches.finish(db, job, "done", evaluated, errors, summary, digest)
        wallets_path(self.directory, job.id).unlink(missing_ok=True)
        return finished


def _counted(path: Path) -> tuple[int, int]:
    """(evaluated, errors): the whole lines of a results file."""
    if not path.exists():
        return 0, 0
    evaluated = errors = 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                continue  # cut short: the next run drops it
            if b',"result":{' in raw:
                evaluated += 1
            else:
                errors += 1
    return evaluated, errors


def _results(path: Path) -> tuple[int, int, dict[str, Any], str]:
    """One pass over a finished results file: (evaluated, errors, the learners with each
    status per rule — no learner named —, the file's sha256)."""
    evaluated = errors = 0
    counts: Counter[tuple[str, str]] = Counter()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for raw in f:
            digest.update(raw)
            row = json.loads(raw)
            if "result" not in row:
                errors += 1
                continue
            evaluated += 1
            for o in row["result"]["outcomes"]:
                counts[(o["rule"], o["status"])] += 1
    per_rule: dict[str, dict[str, int]] = {}
    for (rule, status), n in sorted(counts.items()):
        per_rule.setdefault(rule, {})[status] = n
    return evaluated, errors, {"outcomes": per_rule}, "sha256:" + digest.hexdigest()
