"""The OpenAPI document tells the truth about the API: schemathesis generates requests from it
(every operation, every check, a bounded number of examples and a fixed seed) against the app
served on the demo data, as an officer and as an administrator, and finds nothing wrong.
`schemathesis.toml` says where a body that fits the schema may still be refused with a 422."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from models.desk import admin as desk_admin
from models.desk.seed import seed_demo
from views.context import get_db

ROOT = Path(__file__).resolve().parent.parent
TOOL = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    app = create_app({"DATABASE": str(tmp_path_factory.mktemp("api") / "desk.sqlite")})
    tokens = {}
    with app.app_context():
        db = get_db()
        seed_demo(db)
        for role in ("officer", "admin"):
            user = desk_admin.find_user(db, f"{role}@malarvik.example")
            _, tokens[role] = desk_admin.issue_api_token(db, user, "api document check")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens
    server.shutdown()


@pytest.mark.skipif(not TOOL.exists(), reason="schemathesis is a dev dependency: make test has it")
@pytest.mark.parametrize("role", ["officer", "admin"])
def test_schemathesis_finds_no_failure(served, role, tmp_path):
    base, tokens = served
    result = subprocess.run(
        [str(TOOL), "run", f"{base}/api/v1/openapi.json",
         "-H", f"Authorization: Bearer {tokens[role]}", "--checks", "all",
         "--max-examples", "8", "--seed", "20261206", "--continue-on-failure",
         "--report-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    tail = result.stdout[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in tail and "failure" not in tail.split("SUMMARY")[-1].lower(), tail
    shutil.rmtree(ROOT / ".schemathesis", ignore_errors=True)
