"""`/readyz`: ready to serve when the database answers and the evaluator evaluates.

`/healthz` (in `app.py`) says the process is up; this one checks what a request needs: a query
on the database and one tiny evaluation through the contained engine (its worker processes).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from flask import Blueprint, jsonify

from engine.errors import EngineError
from engine.inputs import Credential, Wallet
from rules.loader import load_policy
from views.context import get_db, get_evaluator

bp = Blueprint("health", __name__)
_PROBE = {
    "id": "readyz-probe",
    "title": "Readiness probe",
    "organisation": "credstack",
    "purpose": "credit",
    "version": "1",
    "effective_from": "2000-01-01",
    "targets": [
        {
            "id": "probe",
            "title": "Probe",
            "slots": [{"id": "any", "title": "Any", "when": [{"element": "ects", "op": "gte",
                                                              "value": 1}]}],
        }
    ],
}  # fmt: skip
_probe_policy: list[Any] = []


def _probe() -> Any:
    if not _probe_policy:
        _probe_policy.append(load_policy(dict(_PROBE), source="readyz"))
    return _probe_policy[0]


@bp.get("/readyz")
def readyz() -> Any:
    checks: dict[str, str] = {}
    try:
        get_db().conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        checks["database"] = "ok"
    except sqlite3.Error as exc:
        checks["database"] = f"failed: {exc}"
    try:
        wallet = Wallet("readyz", (Credential.of("c1", {"ects": 5.0}, {}),))
        result = get_evaluator().evaluate(_probe(), wallet, dt.date(2020, 1, 1))
        ok = result["outcomes"][0]["status"] == "met"
        checks["evaluator"] = "ok" if ok else "failed: unexpected probe result"
    except EngineError as exc:
        checks["evaluator"] = f"failed: {exc}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
