"""Shared set-up of the API tests: the app on a temporary database, two organisations with an API
token for each member of staff, and helpers to run the app in real server processes.

Import the fixtures into a test module by their function names (`from tests.api_fixtures import
client_fixture  # noqa: F401`); tests ask for them by fixture name (`client`), which keeps ruff's
F811 quiet. There is deliberately no conftest.py.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk.records import Case
from models.store import database as store
from tests.desk_builders import ENGINE, ENIC, ROOT, Org, make_org, open_credit, policy_document

STAFF = ("admin", "officer", "officer2", "viewer")


@dataclass
class Tenant:
    """An organisation of the test world with a bearer token per member of staff."""

    org: Org
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str = "officer", **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **headers}


def tenant(db: store.DB, slug: str, **kwargs: Any) -> Tenant:
    org = make_org(db, slug, **kwargs)
    found = Tenant(org)
    for who in STAFF:
        _, found.tokens[who] = desk_admin.issue_api_token(db, getattr(org, who), f"{who} token")
    return found


def policy_variant(name: str = ENIC, **changes: Any) -> dict[str, Any]:
    """A fixture policy as JSON-ready data, with some top-level keys changed."""
    document = json.loads(json.dumps(policy_document(name), default=str))
    document.update(copy.deepcopy(changes))
    return document


def evaluated_credit_case(db: store.DB, t: Tenant, learner: str = "amira-haddad") -> Case:
    """A credit case evaluated in-process; its proposal is all "full" for amira-haddad."""
    case = open_credit(db, t.org.officer, learner)
    desk.evaluate_case(db, t.org.officer, case.id, ENGINE)
    return case


@pytest.fixture(name="db_path")
def db_path_fixture(tmp_path: Path) -> Path:
    return tmp_path / "api.sqlite"


@pytest.fixture(name="api_app")
def api_app_fixture(db_path: Path) -> Any:
    app = create_app({"TESTING": True, "DATABASE": str(db_path)})
    app.extensions["credstack_evaluator"] = ENGINE  # the engine in-process: fast, deterministic
    return app


@pytest.fixture(name="client")
def client_fixture(api_app: Any) -> Any:
    return api_app.test_client()


@pytest.fixture(name="db")
def db_fixture(db_path: Path) -> Any:
    database = store.open_db(db_path)
    yield database
    database.close()


@pytest.fixture(name="alpha")
def alpha_fixture(db: store.DB) -> Tenant:
    return tenant(db, "alpha")


@pytest.fixture(name="beta")
def beta_fixture(db: store.DB) -> Tenant:
    return tenant(db, "beta")


# ---- real servers (concurrency and crash tests) ------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving `app:create_app()` on 127.0.0.1 in its own process group."""

    def __init__(self, db_path: Path, workers: int = 2, log: Path | None = None):
        self.db_path, self.workers = db_path, workers
        self.log = log or db_path.with_suffix(".log")
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        env = {**os.environ, "CREDSTACK_DB": str(self.db_path), "CREDSTACK_ENV": "development"}
        for _ in range(3):  # a port taken between free_port() and bind: try another
            self.port = free_port()
            command = [
                sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                "--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "1",
                "--access-logfile", "-", "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
                "app:create_app()",
            ]  # fmt: skip
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
                )
            if self._wait_ready(timeout):
                return
            self.kill()
        raise RuntimeError(f"gunicorn did not start; see {self.log}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and its workers, at once."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


def call(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:  # fmt: skip
    """(status, JSON body) of one HTTP request; connection failures raise OSError, including an
    answer cut off mid-body (a server killed while writing it), which http.client reports as
    IncompleteRead, not as an OSError."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        return _answer(request, timeout)
    except http.client.HTTPException as exc:
        raise ConnectionError(f"{method} {url}: answer cut off ({exc!r})") from exc


def _answer(request: urllib.request.Request, timeout: float) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")
