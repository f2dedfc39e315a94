"""Impact reports on the desk: an admin starts one (from an uploaded text, a draft or a published
version), its page reloads itself while it runs, then shows the counts by kind and the changed
cases, each with the two explanations side by side, and CSV and Excel downloads. Admins only;
another organisation's report is 404; nothing is written to a case."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from models.desk import cases as desk
from models.desk import drafts as desk_drafts
from models.desk import impact as desk_impact
from models.desk.impact import ImpactRunner
from models.population.impact import ImpactJob, compare_item
from tests.desk_builders import AS_OF
from tests.test_policy_impact import POPULATION, counts, credential_wallet, draft_document
from tests.web_fixtures import Browser, build_app


class Inline:
    """The comparisons in this process: the desk tests' engine runs in-process too."""

    workers = 1

    def __init__(self, job: ImpactJob):
        self.job = job

    def submit(self, items: list) -> Any:
        job = self.job
        done = [compare_item(job.current, job.draft, i, job.as_of, job.secret) for i in items]
        return SimpleNamespace(result=lambda: done)

    def close(self) -> None:
        pass


def inline_runner(path: str) -> ImpactRunner:
    return ImpactRunner(path, b"secret", executor=Inline)


@pytest.fixture()
def desk_world(tmp_path):
    return build_world(tmp_path)


def build_world(tmp_path) -> SimpleNamespace:
    """The desk with one credit case per learner of `POPULATION`, reports run in-process."""
    built = build_app(tmp_path)
    built.app.extensions["credstack_impact"] = inline_runner(built.path)
    db = built.db()
    cases = []
    for n, (ects, qa, _) in enumerate(POPULATION):
        data = {
            "wallet": credential_wallet(n, ects, qa),
            "purpose": "credit",
            "application_date": AS_OF.isoformat(),
            "received_on": AS_OF.isoformat(),
        }
        cases.append(desk.open_case(db, built.a.officer, data))
    db.close()
    return SimpleNamespace(desk=built, cases=cases)


def browser(world, role: str, org: str = "a") -> Browser:
    b = Browser(world.desk.app.test_client())
    assert b.login(getattr(getattr(world.desk, org), role).email).status_code == 303
    return b


def finish(world) -> None:
    world.desk.app.extensions["credstack_impact"].join(10)


def test_an_admin_runs_a_report_and_reads_it(desk_world):
    world = desk_world
    db = world.desk.db()
    before = counts(db)
    admin = browser(world, "admin")
    text = yaml.safe_dump(draft_document(), allow_unicode=True)
    started = admin.post("/policies/impact", {"document_text": text, "cases": "all"})
    assert started.status_code == 303, started.get_data(as_text=True)
    page_url = started.headers["Location"]
    report_id = int(re.search(r"/policies/impact/(\d+)$", page_url).group(1))
    finish(world)
    page = admin.get(page_url)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert "7 cases compared" in body and "2 changed, 5 unchanged" in body
    kinds = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", body)
    assert kinds == [("disposition changed", "2"), ("credits changed", "2")]
    changed = [world.cases[1], world.cases[2]]
    for case in changed:
        assert f"/policies/impact/{report_id}/cases/{case.id}" in body
    assert f'/policies/impact/{report_id}/cases/{world.cases[0].id}"' not in body
    side = admin.get(f"/policies/impact/{report_id}/cases/{changed[0].id}")
    text = side.get_data(as_text=True)
    assert side.status_code == 200
    assert "In force: malarvik-msc-ds-credit version 2026.1" in text
    assert "New text: malarvik-msc-ds-credit version 2026.2" in text
    assert "Programme elective (ICT)" in text and "Free elective within" in text
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # two results on one page, each id once
    unlisted = admin.get(f"/policies/impact/{report_id}/cases/{world.cases[0].id}")
    assert unlisted.status_code == 404
    csv_text = admin.get(f"/policies/impact/{report_id}/report.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "case,case_id,kind,rule,title,from,to,error"
    assert {line.split(",")[1] for line in csv_text.splitlines()[1:]} == {
        str(c.id) for c in changed}  # fmt: skip
    book = admin.get(f"/policies/impact/{report_id}/report.xlsx")
    assert book.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(book.data))["summary"]
    assert dict(list(sheet.values)[1:]) == {"disposition_changed": 2, "credits_changed": 2}
    assert counts(db) == before  # it only tells
    db.close()


def test_the_page_reloads_itself_while_the_report_runs(desk_world):
    world = desk_world
    db = world.desk.db()
    report = desk_impact.start_report(db, world.desk.a.admin, draft_document(), "file:x.yaml")
    db.close()
    admin = browser(world, "admin")
    world.desk.app.extensions["credstack_impact"] = SimpleNamespace(wake=lambda: None)
    page = admin.get(f"/policies/impact/{report.id}")
    assert page.headers["Refresh"] == "2"
    assert "0 of 7 cases compared" in page.get_data(as_text=True)
    assert admin.get(f"/policies/impact/{report.id}/report.csv").status_code == 409
    world.desk.app.extensions["credstack_impact"] = inline_runner(world.desk.path)
    admin.get(f"/policies/impact/{report.id}")  # wakes the runner again
    finish(world)
    assert "Refresh" not in admin.get(f"/policies/impact/{report.id}").headers


def test_a_draft_and_a_published_version_can_be_compared(desk_world):
    world = desk_world
    db = world.desk.db()
    draft = desk_drafts.new_draft(db, world.desk.a.admin, yaml.safe_dump(draft_document()))
    db.close()
    admin = browser(world, "admin")
    assert admin.get(f"/policies/drafts/{draft.id}/impact").status_code == 200
    started = admin.post(f"/policies/drafts/{draft.id}/impact", {"cases": "open"})
    assert started.status_code == 303
    finish(world)
    body = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert f"draft:{draft.id}" in body and "2 changed" in body
    same = admin.post("/policies/malarvik-msc-ds-credit/2026.1/impact", {"cases": "all"})
    finish(world)
    assert "The new text changes no case." in admin.get(same.headers["Location"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"document_text": "", "cases": "all"}, "paste the policy or choose a file"),
        ({"document_text": "id: x\n", "cases": "all"}, "problem(s)"),
        ({"cases": "since", "since": ""}, "expected all, open or since:"),
        ({"against": "9.9"}, "no published version"),
    ],
)
def test_a_bad_form_says_what_is_wrong_and_starts_nothing(desk_world, form, message):
    admin = browser(desk_world, "admin")
    form = {"document_text": yaml.safe_dump(draft_document()), **form}
    response = admin.post("/policies/impact", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db = desk_world.desk.db()
    assert desk_impact.list_reports(db, desk_world.desk.a.admin) == []
    db.close()


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_only_admins_run_or_read_reports(desk_world, role):
    db = desk_world.desk.db()
    report = desk_impact.start_report(db, desk_world.desk.a.admin, draft_document(), "file:x")
    db.close()
    other = browser(desk_world, role)
    assert other.get("/policies/impact").status_code == 403
    assert other.get(f"/policies/impact/{report.id}").status_code == 403
    text = yaml.safe_dump(draft_document())
    assert other.post("/policies/impact", {"document_text": text}).status_code == 403


def test_another_organisations_report_is_not_found(desk_world):
    db = desk_world.desk.db()
    report = desk_impact.start_report(db, desk_world.desk.a.admin, draft_document(), "file:x")
    db.close()
    finish(desk_world)
    b_admin = browser(desk_world, "admin", "b")
    for path in (f"/policies/impact/{report.id}", f"/policies/impact/{report.id}/report.csv",
                 f"/policies/impact/{report.id}/cases/{desk_world.cases[1].id}"):  # fmt: skip
        assert b_admin.get(path).status_code == 404, path


def test_the_latest_report_of_a_draft_is_summed_up_for_its_publication(desk_world):
    world = desk_world
    db = world.desk.db()
    admin = world.desk.a.admin
    draft = desk_drafts.new_draft(db, admin, yaml.safe_dump(draft_document()))
    source = f"draft:{draft.id}"
    assert desk_impact.latest_summary(db, admin, source) is None
    browser(world, "admin").post(f"/policies/drafts/{draft.id}/impact", {"cases": "all"})
    finish(world)
    found = desk_impact.latest_summary(db, admin, source)
    assert found is not None
    assert (found["changed"], found["unchanged"], found["cases"]) == (2, 5, 7)
    assert found["by_kind"] == {"disposition_changed": 2, "credits_changed": 2}
    assert desk_impact.latest_summary(db, admin, source, digest="sha256:other") is None
    db.close()
