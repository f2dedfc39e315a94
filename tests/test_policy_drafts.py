"""Policy drafts: a problem's path mapped to the line of the text it points at (a table of cases),
the editor on the desk (Check without saving, in HTML and JSON; Save, Publish, Delete, each
recorded in the trail without the text; read-only for other roles), the readable diff between
versions and from a draft, and the `credstack policy draft` commands."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from click.testing import CliRunner

from models.desk import drafts as desk_drafts
from models.desk.draft_check import check_text, compose, line_of
from models.store import database as store
from tests.desk_builders import ENIC, FIXTURES
from tests.web_fixtures import browsers, build_app
from views.cli.main import cli

ENIC_ID = "enic-se-foreign-microcredentials"
ENIC_TEXT = (FIXTURES / "policies" / ENIC).read_text(encoding="utf-8")

SMALL = """\
id: p
recognition:
  - id: r
    checks:
      level:
        - {element: eqf_level, op: gte, value: 6}
targets:
  - id: t
    slots:
      core:
        min: 1
requests:
  award:
    decision:
      rows:
        - id: first
          disposition: x
        - key: second
          disposition: y
"""

# (problem path, the line it points at: the key it ends at, else its deepest part in the text)
LINES = [
    ("id", 1),
    ("recognition", 2),
    ("recognition[0]", 3),
    ("recognition[0].checks.level", 5),
    ("recognition[0].checks.level[0]", 6),
    ("recognition[0].checks.level[0].element", 6),
    ("recognition[0].checks.workload", 4),  # not written: where it would go
    ("recognition[0].checks.levle (key)", 4),
    ("targets[0].slots[0].min", 11),  # a list in the path, written as a mapping by id
    ("targets[0].slots.core", 10),
    ("requests.award.decision.rows[1]", 18),
    ("requests.award.decision.rows.first", 16),  # rows named by their id or key
    ("requests.award.decision.rows.second.disposition", 19),
    ("recognition[5]", 2),
    ("nothing.here", None),
    ("", None),
]


@pytest.mark.parametrize(("path", "line"), LINES)
def test_a_problem_path_points_at_a_line(path, line):
    assert line_of(compose(SMALL), path) == line


CONTRADICTION = ENIC_TEXT.replace(
    "        - {element: eqf_level, op: gte, value: 6}\n",
    "        - {element: eqf_level, op: gte, value: 6}\n"
    "        - {element: eqf_level, op: lte, value: 5}\n",
)
# (text, check, severity, path, line, words in the message)
CHECKS = [
    (CONTRADICTION, "contradiction", "error", "recognition[0].checks.level", 27, "never hold"),
    (ENIC_TEXT.replace("element: eqf_level, op: gte, value: 6", "element: eqf_levl, op: gte, "
     "value: 6"), "schema", "error", "recognition[0].checks.level[0].element", 28, "eqf_levl"),
    (ENIC_TEXT.replace("checks:\n      level:", "checks:\n      levle:", 1), "schema", "error",
     "recognition[0].checks.levle (key)", 27, "Must be one of"),
    ("id: x\ntitle: [unclosed\n", "syntax", "error", "", 3, "cannot be parsed"),
    (ENIC_TEXT, None, None, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("source", "check", "severity", "path", "line", "words"), CHECKS)
def test_the_check_of_a_text_gives_each_problem_its_line(source, check, severity, path, line,
                                                         words):  # fmt: skip
    found = check_text(source).problems
    if check is None:
        assert found == ()
        return
    problem = next(p for p in found if p.path == path)
    assert (problem.check, problem.severity, problem.line) == (check, severity, line)
    assert words in problem.message


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


def textarea(page: str) -> str:
    return unescape(re.search(r'<textarea id="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def entries(desk, event: str) -> list[dict]:
    db = store.open_db(desk.path)
    try:
        rows = db.conn.execute("SELECT details FROM audit WHERE event = ? ORDER BY seq", [event])
        return [json.loads(r[0]) for r in rows]
    finally:
        db.close()


def start(admin, **form) -> str:
    response = admin.post("/policies/drafts", form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def test_an_admin_writes_checks_saves_and_publishes_a_draft(desk):
    make = browsers(desk)
    admin = make(desk.a.admin)
    editor = start(admin, start="template")
    assert textarea(admin.get(editor).get_data(as_text=True)) == desk_drafts.TEMPLATE
    mine = ENIC_TEXT.replace('version: "2026.2"', 'version: "2027.1"').replace(
        "effective_from: 2026-03-01", "effective_from: 2027-01-01"
    )
    extra = "value: 6}\n        - {element: eqf_level, op: lte, value: 5}\n"
    checked = admin.post(f"{editor}/check", {"text": mine.replace("value: 6}\n", extra, 1)})
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'data-line="27">line 27</a>' in page
    assert "never hold together" in page and "nothing was saved" in page
    assert textarea(admin.get(editor).get_data(as_text=True)) == desk_drafts.TEMPLATE  # unsaved
    as_json = admin.post(f"{editor}/check", {"text": "id: [x\n"},
                         headers={"Accept": "application/json"})  # fmt: skip
    assert as_json.json["errors"] == 1 and "line 2" in as_json.json["html"]
    saved = admin.post(f"{editor}/save", {"text": mine})
    assert saved.status_code == 303 and textarea(admin.get(editor).get_data(as_text=True)) == mine
    [created] = entries(desk, "policy_draft_created")
    [change] = entries(desk, "policy_draft_saved")
    assert change["policy_id"] == ENIC_ID and change["version"] == "2027.1"
    assert len(change["text_sha256"]) == 64 and "text" not in change and "text" not in created
    refused = admin.post(f"{editor}/publish", {"text": mine})  # 2026.2 is open-ended
    assert refused.status_code == 422
    assert "overlaps version 2026.2 (2026-03-01 to open)" in refused.get_data(as_text=True)
    done = admin.post(f"{editor}/publish", {"text": mine, "supersedes_version": "2026.2",
                                            "supersedes_from": "2027-01-01"})  # fmt: skip
    assert done.status_code == 303
    assert done.headers["Location"] == f"/policies/{ENIC_ID}/2027.1"
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "supersedes version 2026.2" in page and "# Demo policy (synthetic)" in page
    assert entries(desk, "policy_draft_published")[0]["row"] > 0
    assert entries(desk, "policy_published")[-1]["draft"] == int(editor.rsplit("/", 1)[1])
    closed = admin.get(editor).get_data(as_text=True)
    assert "Published as" in closed and "Publish this draft" not in closed
    assert admin.post(f"{editor}/save", {"text": mine}).status_code == 422
    assert f'href="{editor}"' not in admin.get("/policies/drafts").get_data(as_text=True)


def test_drafts_start_from_a_version_or_a_file_and_are_deleted(desk):
    admin = browsers(desk)(desk.a.admin)
    copied = start(admin, start="copy", based_on=f"{ENIC_ID}@2026.2")
    assert f"id: {ENIC_ID}" in textarea(admin.get(copied).get_data(as_text=True))
    upload = {"start": "upload", "document_file": (__import__("io").BytesIO(ENIC_TEXT.encode()),
                                                   "enic.yaml")}  # fmt: skip
    response = admin.post("/policies/drafts", upload, content_type="multipart/form-data")
    uploaded = response.headers["Location"]
    assert textarea(admin.get(uploaded).get_data(as_text=True)) == ENIC_TEXT  # comments kept
    no_file = admin.post("/policies/drafts", {"start": "upload"})
    assert no_file.status_code == 422 and "choose a file" in no_file.get_data(as_text=True)
    no_version = admin.post("/policies/drafts", {"start": "copy"})
    assert no_version.status_code == 422
    assert admin.post(f"{copied}/delete").status_code == 303
    assert admin.get(copied).status_code == 404
    assert len(entries(desk, "policy_draft_deleted")) == 1
    listed = admin.get("/policies/drafts").get_data(as_text=True)
    assert f'href="{uploaded}"' in listed and f'href="{copied}"' not in listed


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_other_roles_read_and_check_a_draft_but_change_nothing(desk, role):
    make = browsers(desk)
    editor = start(make(desk.a.admin), start="template")
    other = make(getattr(desk.a, role))
    page = other.get(editor).get_data(as_text=True)
    assert "readonly" in page and "Publish this draft" not in page and ">Save<" not in page
    assert other.post(f"{editor}/check", {"text": "id: x\n"}).status_code == 200
    for action in ("save", "publish", "delete"):
        assert other.post(f"{editor}/{action}", {"text": "id: x\n"}).status_code == 403
    assert other.post("/policies/drafts", {"start": "template"}).status_code == 403
    assert entries(desk, "policy_draft_saved") == []


def test_the_diff_pages_say_what_changed_in_words(desk):
    admin = browsers(desk)(desk.a.admin)
    newer = (ENIC_TEXT.replace('version: "2026.2"', 'version: "2027.1"')
             .replace("effective_from: 2026-03-01", "effective_from: 2027-01-01")
             .replace("ects, op: gte, value: 5}", "ects, op: gte, value: 4}"))  # fmt: skip
    assert "ects, op: gte, value: 4}" in newer
    editor = start(admin, start="copy", based_on=f"{ENIC_ID}@2026.2")
    admin.post(f"{editor}/save", {"text": newer})
    draft_page = admin.get(f"{editor}/diff").get_data(as_text=True)
    assert "Compared with enic-se-foreign-microcredentials version 2026.2" in draft_page
    assert 'id="diff-changed"' in draft_page and "ECTS" in draft_page
    admin.post(f"{editor}/publish", {"text": newer, "supersedes_version": "2026.2",
                                     "supersedes_from": "2027-01-01"})  # fmt: skip
    page = admin.get(f"/policies/{ENIC_ID}/diff?from=2026.2&to=2027.1").get_data(as_text=True)
    assert 'id="diff-changed"' in page and "2026-03-01" in page and "2027-01-01" in page
    assert 'id="diff-added"' not in page
    same = admin.get(f"/policies/{ENIC_ID}/diff?from=2027.1&to=2027.1").get_data(as_text=True)
    assert "No changes" in same
    policy_page = admin.get(f"/policies/{ENIC_ID}/2027.1").get_data(as_text=True)
    assert f"/policies/{ENIC_ID}/diff?to=2027.1" in policy_page
    assert admin.get(f"/policies/{ENIC_ID}/diff?from=9&to=2027.1").status_code == 404


def test_the_draft_commands(desk, tmp_path):
    base = ["--db", desk.path, "--as", desk.a.admin.email]
    source = tmp_path / "p.yaml"
    source.write_text(ENIC_TEXT.replace('version: "2026.2"', 'version: "2025.1"').replace(
        "effective_from: 2026-03-01", "effective_from: 2025-01-01\neffective_to: 2026-02-28"),
        encoding="utf-8")  # fmt: skip
    made = CliRunner().invoke(cli, ["policy", "draft", "create", str(source), *base])
    assert made.exit_code == 0 and f"{ENIC_ID} version 2025.1" in made.output, made.output
    draft_id = made.output.split()[1].rstrip(":")
    listed = CliRunner().invoke(cli, ["policy", "draft", "list", *base])
    assert f"{draft_id}  {ENIC_ID} v2025.1" in listed.output
    shown = CliRunner().invoke(cli, ["policy", "draft", "show", draft_id, "--text", *base])
    assert shown.output == source.read_text(encoding="utf-8")
    problems = CliRunner().invoke(cli, ["policy", "draft", "show", draft_id, *base])
    assert "0 error(s)" in problems.output
    published = CliRunner().invoke(cli, ["policy", "draft", "publish", draft_id, *base])
    assert published.exit_code == 0 and "version 2025.1" in published.output, published.output
    again = CliRunner().invoke(cli, ["policy", "draft", "publish", draft_id, *base])
    assert again.exit_code == 2
    other = CliRunner().invoke(cli, ["policy", "draft", "create", *base])
    other_id = other.output.split()[1].rstrip(":")
    gone = CliRunner().invoke(cli, ["policy", "draft", "delete", other_id, *base])
    assert gone.exit_code == 0
    assert CliRunner().invoke(cli, ["policy", "draft", "show", other_id, *base]).exit_code == 2
    beta = ["--db", desk.path, "--as", desk.b.admin.email]
    assert CliRunner().invoke(cli, ["policy", "draft", "show", draft_id, *beta]).exit_code == 2


def test_publishing_a_draft_records_the_impact_report_of_its_exact_text(desk):
    """The impact report's summary goes into the `policy_published` entry, only when the
    report was run on the text that is published."""
    from models.desk import impact as desk_impact
    from rules.loader import parse_document
    from tests.test_impact_pages import inline_runner

    newer = ENIC_TEXT.replace('version: "2026.2"', 'version: "2027.1"').replace(
        "effective_from: 2026-03-01", "effective_from: 2027-01-01"
    )
    db = desk.db()
    try:
        draft = desk_drafts.new_draft(db, desk.a.admin, newer)
        document = parse_document(newer.encode(), "d.yaml")
        report = desk_impact.start_report(db, desk.a.admin, document, f"draft:{draft.id}")
    finally:
        db.close()
    runner = inline_runner(desk.path)
    runner.wake()
    runner.join(30)
    admin = browsers(desk)(desk.a.admin)
    editor = f"/policies/drafts/{draft.id}"
    assert f'href="{editor}/impact"' in admin.get(editor).get_data(as_text=True)
    done = admin.post(f"{editor}/publish", {"text": newer, "supersedes_version": "2026.2",
                                            "supersedes_from": "2027-01-01"})  # fmt: skip
    assert done.status_code == 303
    impact = entries(desk, "policy_published")[-1]["impact"]
    assert impact["report"] == report.id and impact["against"] == f"{ENIC_ID}@2026.2"


def test_publishing_an_invalid_text_saves_it_and_says_why_it_was_not_published(desk):
    admin = browsers(desk)(desk.a.admin)
    editor = start(admin, start="template")
    published = len(entries(desk, "policy_published"))
    broken = desk_drafts.TEMPLATE.replace("eqf_level", "eqf_levl")
    response = admin.post(f"{editor}/publish", {"text": broken})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not published" in page
    assert "did you mean <code>eqf_level</code>" in page
    assert textarea(admin.get(editor).get_data(as_text=True)) == broken  # saved, not published
    assert len(entries(desk, "policy_published")) == published
