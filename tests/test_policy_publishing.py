"""Publishing through the gates: refused while an attached example fails or a static check
reports an error (each listed: on the upload page and the draft editor 422, on the API 422, on
the command line exit 2), refused when the effective period overlaps another version of the
policy unless it supersedes that version from a date; superseding ends the earlier version for
new cases, and the trail records what was checked (no example names, no personal data)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk.publishing import PublishRefused, Supersedes
from models.store import database as store
from models.store import policies as store_policies
from tests.api_fixtures import (  # noqa: F401 - the fixtures
    alpha_fixture,
    api_app_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
)
from tests.desk_builders import ENIC, FIXTURES, count, make_org, open_enic
from tests.web_fixtures import browsers, build_app
from views.cli.main import cli

ENIC_ID = "enic-se-foreign-microcredentials"
ENIC_TEXT = (FIXTURES / "policies" / ENIC).read_text(encoding="utf-8")
# The programming rule's level: EQF ≥ 5 and (added) ≤ 4 can never hold together, so its tiers are
# never reached (a static check error) and the examples expecting it met fail.
LEVEL = "        - {element: eqf_level, op: gte, value: 5}\n"
BROKEN_LEVEL = LEVEL + "        - {element: eqf_level, op: lte, value: 4}\n"


def text(version: str = "2027.1", start: str = "2025-01-01", end: str | None = "2026-02-28",
         broken: bool = False) -> str:  # fmt: skip
    """The ENIC policy as written, as another version over another period."""
    out = ENIC_TEXT.replace('version: "2026.2"', f'version: "{version}"')
    period = f"effective_from: {start}" + (f"\neffective_to: {end}" if end else "")
    out = out.replace("effective_from: 2026-03-01", period)
    return out.replace(LEVEL, BROKEN_LEVEL) if broken else out


def document(source: str) -> dict:
    return json.loads(json.dumps(yaml.safe_load(source), default=str))


FAILING = "Dutch micro-credential, no substantial difference: full recognition (Farid)"
FAILURE = "entry-programming: expected met, got not_met"
LINT_PATH = "recognition[1].checks.level"


def test_the_broken_text_is_refused_for_both_reasons_and_the_good_one_is_not(db):
    org = make_org(db, "alpha")
    before = (count(db, "policies"), count(db, "audit"))
    with pytest.raises(PublishRefused) as refused:
        desk_admin.publish_policy(db, org.admin, document(text(broken=True)))
    assert FAILURE in refused.value.fields[f"examples.{FAILING}"]
    assert "can never hold together" in refused.value.fields[f"lint.{LINT_PATH}"]
    assert (count(db, "policies"), count(db, "audit")) == before
    published = desk_admin.publish_policy(db, org.admin, document(text()), source_text=text())
    assert published.source_text == text()  # kept exactly, comments included
    entry = next(e for e in desk_admin.audit_log(db, org.admin) if e.event == "policy_published")
    details = entry.details
    assert details["examples"]["run"] == 6 and details["examples"]["failed"] == []
    assert details["examples"]["passed"][0] == "examples[0]" and details["impact"] is None
    assert set(details["lint"]) == {"error", "warning", "info"} and details["lint"]["error"] == 0
    assert "Farid" not in json.dumps(details)  # example names stay in the document


def test_the_upload_page_refuses_with_both_lists_and_publishes_the_good_text(tmp_path):
    desk = build_app(tmp_path)
    admin = browsers(desk)(desk.a.admin)
    response = admin.post("/policies/new", {"document_text": text(broken=True)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Examples that fail" in page and FAILURE in page and "(Farid)" in page
    assert "Errors found by the static checks" in page and f"<code>{LINT_PATH}</code>" in page
    response = admin.post("/policies/new", {"document_text": text()})
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The YAML as written" in page and "# The reference profile&#39;s ESCO skills" in page


def test_the_api_refuses_with_each_problem_listed(client, alpha):
    response = client.post("/api/v1/policies", json=document(text(broken=True)),
                           headers=alpha.auth("admin"))  # fmt: skip
    assert response.status_code == 422, response.json
    body = response.json["error"]
    assert FAILURE in body["fields"][f"examples.{FAILING}"]
    assert f"lint.{LINT_PATH}" in body["fields"]
    assert {p["path"] for p in body["problems"]} >= {f"examples.{FAILING}", f"lint.{LINT_PATH}"}
    overlap = client.post("/api/v1/policies", json=document(text(start="2027-01-01", end=None)),
                          headers=alpha.auth("admin"))  # fmt: skip
    assert overlap.status_code == 422
    assert "overlaps version 2026.2 (2026-03-01 to open)" in overlap.json["error"]["message"]
    url = "/api/v1/policies?supersedes=2026.2&supersedes_from=2027-01-01"
    accepted = client.post(url, json=document(text(start="2027-01-01", end=None)),
                           headers=alpha.auth("admin"))  # fmt: skip
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["supersedes_version"] == "2026.2"
    assert accepted.json["supersedes_from"] == "2027-01-01"
    half = client.post("/api/v1/policies?supersedes=2026.2", json=document(text()),
                       headers=alpha.auth("admin"))  # fmt: skip
    assert half.status_code == 422 and "supersedes" in half.json["error"]["fields"]


def test_the_command_line_refuses_with_exit_2_and_publishes_with_0(tmp_path):
    desk = build_app(tmp_path)
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(text(broken=True), encoding="utf-8")
    good.write_text(text(start="2027-01-01", end=None), encoding="utf-8")
    base = ["--db", desk.path, "--as", desk.a.admin.email]
    refused = CliRunner().invoke(cli, ["policy", "publish", str(bad), *base])
    assert refused.exit_code == 2, refused.output
    assert f"example failed: {FAILING}" in refused.output and FAILURE in refused.output
    assert f"static check error: {LINT_PATH}" in refused.output
    overlap = CliRunner().invoke(cli, ["policy", "publish", str(good), *base])
    assert overlap.exit_code == 2 and "effective period:" in overlap.output
    assert "overlaps version 2026.2" in overlap.output
    done = CliRunner().invoke(
        cli, ["policy", "publish", str(good), *base, "--supersedes", "2026.2", "--from",
              "2027-01-01"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"published {ENIC_ID} version 2027.1" in done.output
    db = store.open_db(desk.path)
    try:
        stored = store_policies.get_policy(db, desk.a.id, ENIC_ID, "2027.1")
    finally:
        db.close()
    assert stored.source_text == Path(good).read_text(encoding="utf-8")


# (new version's period, supersedes, refused with) — ENIC 2026.2 is in force from 2026-03-01, open
PERIODS = [
    (("2026-03-01", None), None, "overlaps version 2026.2 (2026-03-01 to open)"),
    (("2027-01-01", None), None, "overlaps version 2026.2 (2026-03-01 to open)"),
    (("2025-01-01", "2026-03-01"), None, "overlaps version 2026.2"),  # one day in common
    (("2025-01-01", "2026-02-28"), None, None),
    (("2027-01-01", None), ("2026.2", "2027-01-01"), None),
    (("2027-02-01", None), ("2026.2", "2027-01-01"), None),  # a gap is allowed
    (("2026-12-01", None), ("2026.2", "2027-01-01"), "before it supersedes version 2026.2"),
    (("2027-01-01", None), ("2026.2", "2026-03-01"), "only be superseded from a later date"),
    (("2027-01-01", None), ("9.9", "2027-01-01"), "no published version 9.9 to supersede"),
]


@pytest.mark.parametrize(("period", "supersedes", "refused"), PERIODS)
def test_effective_periods_may_not_overlap_unless_superseded(db, period, supersedes, refused):
    org = make_org(db, "alpha")
    start, end = period
    option = Supersedes(supersedes[0], dt.date.fromisoformat(supersedes[1])) if supersedes else None
    new = document(text(start=start, end=end))
    if refused is None:
        version = desk_admin.publish_policy(db, org.admin, new, supersedes=option)
        assert version.supersedes_version == (supersedes[0] if supersedes else None)
        return
    with pytest.raises(PublishRefused) as caught:
        desk_admin.publish_policy(db, org.admin, new, supersedes=option)
    assert any(refused in message for message in caught.value.overlaps), caught.value.overlaps


def test_superseding_ends_the_earlier_version_for_new_cases_only(db):
    org = make_org(db, "alpha")
    before = open_enic(db, org.officer, "farid-rahimi", application_date="2026-12-15")
    option = Supersedes("2026.2", dt.date(2027, 1, 1))
    desk_admin.publish_policy(db, org.admin, document(text(start="2027-01-01", end=None)),
                              supersedes=option)  # fmt: skip
    for day, expected in (("2026-12-31", "2026.2"), ("2027-01-01", "2027.1")):
        found = store_policies.policies_in_force(
            db, org.id, "admission", dt.date.fromisoformat(day), ENIC_ID
        )
        assert [p.version for p in found] == [expected], day
    after = open_enic(db, org.officer, "farid-rahimi", application_date="2027-02-01")
    assert (before.policy_version, after.policy_version) == ("2026.2", "2027.1")
    # 2026.2 now ends on 2026-12-31: a later version only has to keep clear of 2027.1.
    with pytest.raises(PublishRefused, match=r"overlaps version 2027\.1 \(2027-01-01 to open\)"):
        desk_admin.publish_policy(db, org.admin, document(text("2028.1", "2028-01-01", None)))
    earlier = desk_admin.publish_policy(db, org.admin, document(text("2025.1", "2025-01-01")))
    assert earlier.effective_to == dt.date(2026, 2, 28)


def test_the_same_content_again_is_the_stored_version_without_checks_or_entries(db):
    org = make_org(db, "alpha")
    entries = count(db, "audit")
    again = desk_admin.publish_policy(db, org.admin, document(ENIC_TEXT))
    assert again.version == "2026.2" and count(db, "audit") == entries
