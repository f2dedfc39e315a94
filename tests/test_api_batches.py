"""The API's batches: a population evaluated in the background against a published policy
version, through the same batch path as `credstack batch`; progress while it runs; results as
JSON Lines equal byte for byte to single evaluations; scoped to the organisation; a job whose
process stopped is taken up again and resumed; the audit trail names no learner."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from engine.batch import canonical
from engine.evaluate import evaluate
from models.credentials.intake import wallet_from_document
from models.desk import batches as desk_batches
from models.desk.cases import validated_policy
from models.store import database as store
from models.store import policies as store_policies
from tests.api_fixtures import (  # noqa: F401 - the fixtures
    alpha_fixture,
    api_app_fixture,
    beta_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
)
from tests.desk_builders import ENIC, ROOT, policy_document

AS_OF = "2026-09-01"
LEARNERS = ("amira-haddad", "bjorn-lindqvist", "chiara-russo")
BAD = {"learner": {"id": "x-1"}, "credentials": [{"id": "c1", "title": "T", "ects": -5}]}


def _wallet(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "fixtures" / "learners" / f"{name}.json").read_text())


def _body(**changes: Any) -> dict[str, Any]:
    doc = policy_document(ENIC)
    body = {
        "policy": {"id": doc["id"], "version": str(doc["version"])},
        "as_of": AS_OF,
        "wallets": [_wallet(n) for n in LEARNERS] + [BAD],
    }
    return body | changes


def _download(client: Any, url: str, auth: dict[str, str]) -> Any:
    """The response, read and closed (the file it streams is released)."""
    response = client.get(url, headers=auth)
    response.get_data()
    response.close()
    return response


def _finish(app: Any) -> None:
    app.extensions["credstack_batches"].join(120)


def _single(db: store.DB, org_id: int, body: dict[str, Any], wallet: dict[str, Any]) -> str:
    ref = body["policy"]
    version = store_policies.get_policy(db, org_id, ref["id"], ref["version"])
    learner = wallet_from_document(wallet, b"credstack-DEVELOPMENT-ONLY-learner-key-secret")
    as_of = dt.date.fromisoformat(AS_OF)
    detail = body.get("detail", "compact")
    result = evaluate(validated_policy(version), learner, as_of, detail=detail)
    return canonical(result)


@pytest.mark.parametrize("detail", [None, "full"])
def test_a_batch_runs_in_the_background_and_its_results_are_single_evaluations(
    client, api_app, alpha, db, detail
):
    body = _body() if detail is None else _body(detail=detail)
    started = client.post("/api/v1/batches", json=body, headers=alpha.auth())
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["status"] in ("queued", "running") and job["learners"] == 4
    assert job["detail"] == (detail or "compact")
    assert started.headers["Location"].endswith(f"/api/v1/batches/{job['id']}")
    _finish(api_app)
    done = client.get(started.headers["Location"], headers=alpha.auth()).get_json()
    assert (done["status"], done["evaluated"], done["errors"]) == ("done", 3, 1)
    assert done["progress"]["done"] == 4 and done["progress"]["share"] == 1.0
    per_rule = done["summary"]["outcomes"]
    assert per_rule and all(sum(counts.values()) == 3 for counts in per_rule.values())
    got = _download(client, done["results"], alpha.auth())
    assert got.status_code == 200 and got.mimetype == "application/x-ndjson"
    assert done["results_sha256"] == "sha256:" + hashlib.sha256(got.data).hexdigest()
    lines = got.data.decode().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [1, 2, 3, 4]
    for line, (name, wallet) in zip(
        lines[:3], zip(LEARNERS, body["wallets"], strict=False), strict=True
    ):
        expected = _single(db, alpha.org.id, body, wallet)
        assert json.loads(line)["learner"] == wallet["learner"]["id"], name
        assert line.split(',"result":', 1)[1][:-1] == expected, name  # byte for byte
    bad = json.loads(lines[3])
    assert "result" not in bad and "ects" in bad["error"]
    directory = Path(str(api_app.config["DATABASE"])).parent / "batches"
    assert not desk_batches.wallets_path(directory, job["id"]).exists()  # deleted when done


def test_batches_belong_to_their_organisation(client, api_app, alpha, beta):
    job = client.post("/api/v1/batches", json=_body(), headers=alpha.auth()).get_json()
    _finish(api_app)
    for path in (f"/api/v1/batches/{job['id']}", f"/api/v1/batches/{job['id']}/results"):
        assert _download(client, path, beta.auth()).status_code == 404
    assert client.get("/api/v1/batches", headers=beta.auth()).get_json() == []
    listed = client.get("/api/v1/batches", headers=alpha.auth("viewer")).get_json()
    assert [b["id"] for b in listed] == [job["id"]]


@pytest.mark.parametrize(
    ("who", "change", "status"),
    [
        ("viewer", {}, 403),
        ("officer", {"wallets": []}, 422),
        ("officer", {"policy": {"id": "no-such-policy", "version": "1"}}, 404),
        ("officer", {"as_of": "2026-02-30"}, 422),
    ],
)
def test_a_batch_that_cannot_be_run_is_refused_and_nothing_is_kept(
    client, alpha, who, change, status
):
    answer = client.post("/api/v1/batches", json=_body(**change), headers=alpha.auth(who))
    assert answer.status_code == status, answer.get_json()
    assert client.get("/api/v1/batches", headers=alpha.auth()).get_json() == []


def test_results_are_not_served_before_the_batch_is_done(client, api_app, alpha, monkeypatch):
    monkeypatch.setattr(desk_batches.BatchRunner, "wake", lambda self: None)
    job = client.post("/api/v1/batches", json=_body(), headers=alpha.auth()).get_json()
    waiting = client.get(f"/api/v1/batches/{job['id']}/results", headers=alpha.auth())
    assert waiting.status_code == 409 and "queued" in waiting.get_json()["error"]["message"]
    monkeypatch.undo()
    assert client.get(f"/api/v1/batches/{job['id']}", headers=alpha.auth()).status_code == 200
    _finish(api_app)  # reading it woke a runner
    got = _download(client, f"/api/v1/batches/{job['id']}/results", alpha.auth())
    assert got.status_code == 200 and got.data.count(b"\n") == 4


def test_a_job_whose_process_stopped_is_resumed_from_its_results(
    client, api_app, alpha, db, monkeypatch
):
    monkeypatch.setattr(desk_batches.BatchRunner, "wake", lambda self: None)
    body = _body()
    job = client.post("/api/v1/batches", json=body, headers=alpha.auth()).get_json()
    directory = Path(str(api_app.config["DATABASE"])).parent / "batches"
    # A process took the job, wrote its first learner and half a line, and died.
    db.conn.execute(
        "UPDATE batches SET status = 'running', heartbeat_at = '2000-01-01T00:00:00.000000Z' "
        "WHERE id = ?",
        [job["id"]],
    )
    db.conn.commit()
    first = _single(db, alpha.org.id, body, body["wallets"][0])
    learner = json.dumps(body["wallets"][0]["learner"]["id"])
    partial = f'{{"line":1,"learner":{learner},"result":{first}}}\n{{"line":2,"lear'
    desk_batches.results_path(directory, job["id"]).write_text(partial)
    monkeypatch.undo()
    client.get(f"/api/v1/batches/{job['id']}", headers=alpha.auth())  # wakes a runner
    _finish(api_app)
    done = client.get(f"/api/v1/batches/{job['id']}", headers=alpha.auth()).get_json()
    assert (done["status"], done["evaluated"], done["errors"]) == ("done", 3, 1)
    lines = _download(client, done["results"], alpha.auth()).data.decode().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [1, 2, 3, 4]
    second = _single(db, alpha.org.id, body, body["wallets"][1])
    assert lines[1].split(',"result":', 1)[1][:-1] == second


def test_the_audit_trail_records_batches_without_naming_learners(client, api_app, alpha, db):
    job = client.post("/api/v1/batches", json=_body(), headers=alpha.auth()).get_json()
    _finish(api_app)
    rows = db.conn.execute(
        "SELECT event, subject, details FROM audit WHERE subject = ?", [f"batch:{job['id']}"]
    ).fetchall()
    assert [r[0] for r in rows] == ["batch_created", "batch_finished"]
    text = json.dumps([list(r) for r in rows])
    for wallet in _body()["wallets"]:
        assert wallet["learner"]["id"] not in text
