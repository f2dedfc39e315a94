"""Impact reports over a cohort file on the desk: an admin uploads a draft and a file of learners
who are not cases, and the report lists, by line, exactly the learners whose outcome the draft
changes. The file is kept only while the report runs; no learner's id or name is kept, shown or
audited; nothing is written to a case."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import pytest
import yaml
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from models.store import database as store
from tests.desk_builders import AS_OF
from tests.test_impact_pages import browser, build_world, finish
from tests.test_policy_impact import POPULATION, counts, credential_wallet, draft_document

CHANGED_LINES = [n + 1 for n, (_, _, kinds) in enumerate(POPULATION) if kinds]


def cohort_jsonl() -> bytes:
    lines = [json.dumps(credential_wallet(n, ects, qa)) for n, (ects, qa, _) in
             enumerate(POPULATION)]  # fmt: skip
    return ("\n".join(lines) + "\n").encode("utf-8")


def form(content: bytes, name: str = "applicants-2025.jsonl", **extra: str) -> dict:
    text = yaml.safe_dump(draft_document(), allow_unicode=True)
    return {"document_text": text, "cases": "cohort", "cohort_as_of": AS_OF.isoformat(),
            "cohort_file": (io.BytesIO(content), name), **extra}  # fmt: skip


def post_in_memory(user, data: dict):
    """A multipart post whose body is built in memory: the test client's own builder spools a
    body over 500 KB to a temporary file it never closes."""
    fields = {k: FileStorage(v[0], v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    body, length, boundary = stream_encode_multipart(
        {"csrf_token": user.token, **fields}, use_tempfile=False
    )
    return user.client.post("/policies/impact", input_stream=body, content_length=length,
                            content_type=f'multipart/form-data; boundary="{boundary}"')  # fmt: skip


@pytest.fixture()
def desk_world(tmp_path):
    return build_world(tmp_path)


def rows_of(db, table: str) -> int:
    return db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_cohort_report_lists_the_changed_learners_by_line_and_keeps_no_one(desk_world):
    world = desk_world
    db = world.desk.db()
    before = counts(db)
    admin = browser(world, "admin")
    started = admin.post("/policies/impact", form(cohort_jsonl()))
    assert started.status_code == 303, started.get_data(as_text=True)
    report_id = int(re.search(r"/policies/impact/(\d+)$", started.headers["Location"]).group(1))
    finish(world)
    page = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "7 learners of the cohort file applicants-2025.jsonl" in page
    assert "7 cases compared" in page and "2 changed, 5 unchanged" in page
    lines = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>\s*<td><ul", page)]
    assert lines == CHANGED_LINES
    kinds = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", page)
    assert kinds == [("disposition changed", "2"), ("credits changed", "2")]
    csv_text = admin.get(f"/policies/impact/{report_id}/report.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "line,kind,rule,title,from,to,error"
    assert sorted({int(line.split(",")[0]) for line in csv_text.splitlines()[1:]}) == (
        CHANGED_LINES)  # fmt: skip
    trail = [e for e in store.audit_entries(db) if e.event == "impact_report_run"]
    assert len(trail) == 1 and len(trail[0].details["cohort_sha256"]) == 64
    for shown in (page, csv_text, json.dumps(trail[0].details)):
        assert "impact-learner" not in shown and "Impact Learner" not in shown
    kept = db.conn.execute("SELECT changes FROM impact_cohort_rows").fetchall()
    assert len(kept) == 2 and not any("impact-learner" in r[0] for r in kept)
    assert rows_of(db, "impact_cohorts") == 0  # the file went with the run
    assert counts(db) == before  # it only tells
    db.close()


@pytest.mark.parametrize(
    "content, name, extra, field, message",
    [
        (b"a,b\n", "cohort.txt", {}, "cohort_file", "expected a .jsonl file of wallets"),
        (None, "", {}, "cohort_file", "Choose the cohort file"),
        (b"", "empty.jsonl", {}, "cohort_file", "the file holds no learner"),
        (b"{}\n", "one.jsonl", {"cohort_as_of": "31/12/2025"}, "cohort_as_of", "Expected a date"),
    ],
)
def test_a_cohort_that_cannot_be_read_is_refused_and_starts_nothing(
    desk_world, content, name, extra, field, message
):
    admin = browser(desk_world, "admin")
    sent = form(content or b"", name, **extra)
    if content is None:
        del sent["cohort_file"]  # none chosen
    refused = admin.post("/policies/impact", sent)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and message in body
    assert f'id="{field}"' in body and 'aria-invalid="true"' in body
    db = desk_world.desk.db()
    try:
        assert rows_of(db, "impact_reports") == 0 and rows_of(db, "impact_cohorts") == 0
    finally:
        db.close()


def test_a_cohort_larger_than_a_request_may_be_is_taken_from_an_admin_only(desk_world):
    """The desk refuses requests over 2 MB; a cohort file may be larger, from an admin. (The
    report is only queued here: comparing 5,000 learners is not what this test is about.)"""
    desk_world.desk.app.extensions["credstack_impact"] = SimpleNamespace(wake=lambda: None)
    big = cohort_jsonl() + b"\n".join(json.dumps(credential_wallet(
        100 + n, 4, True)).encode() for n in range(5_000)) + b"\n"  # fmt: skip
    assert len(big) > 2 * 1024 * 1024
    officer = browser(desk_world, "officer")
    assert post_in_memory(officer, form(big)).status_code == 413
    admin = browser(desk_world, "admin")
    started = post_in_memory(admin, form(big))
    assert started.status_code == 303, started.get_data(as_text=True)[:500]
    db = desk_world.desk.db()
    try:
        cases = db.conn.execute("SELECT cases FROM impact_reports").fetchone()[0]
        assert cases == len(POPULATION) + 5_000
    finally:
        db.close()
