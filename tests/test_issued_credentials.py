"""The decision as a credential: a decided outcome issued as a signed Open Badges 3.0 credential
that `credstack import` verifies (issuer named), while a tampered copy fails; stored as issued and
served by the API with the sha256 the audit entry holds."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk import cases as desk_ops
from models.desk import issued_credentials as issued
from models.desk import organisation as desk_org
from models.errors import Conflict
from models.store import database as store
from tests.desk_builders import ENGINE, case_data
from tests.web_fixtures import build_app
from views.cli.main import cli


@pytest.fixture
def world(tmp_path):
    desk = build_app(tmp_path)
    db = desk.db()
    desk_org.update_settings(db, desk.a.admin, {"name": "Alpha Recognition Office"})
    case = desk_ops.open_case(db, desk.a.officer, case_data("greta-nowak", "admission"))
    desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
    accept = {"action": "accept", "justification": "Workload differs."}
    decision = desk_ops.decide(db, desk.a.officer, case.id, accept)
    credential = issued.issue_credential(
        db, desk.a.officer, decision.id, "foreign-data-analysis", issued.load_issuer_key(None)
    )
    yield desk, db, decision, credential
    db.close()


def test_the_issued_credential_verifies_and_a_tampered_copy_does_not(world, tmp_path):
    desk, db, _, credential = world
    document = json.loads(credential.document)
    assert document["issuer"]["name"] == "Alpha Recognition Office"
    assert document["issuer"]["id"].startswith("did:key:z6Mk")
    assert "Politechnika Wiślańska" in document["credentialSubject"]["achievement"]["criteria"][
        "narrative"]  # fmt: skip
    assert document["awardedDate"].startswith(credential.created_at[:4])
    good = tmp_path / "credential.json"
    good.write_bytes(credential.document)
    result = CliRunner().invoke(cli, ["import", str(good), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)["verdict"]
    assert verdict["integrity"] == "valid", verdict
    assert "Alpha Recognition Office" in result.output
    document["credentialSubject"]["result"][0]["value"] = "Full recognition"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document))
    tampered = json.loads(CliRunner().invoke(cli, ["import", str(bad), "--json"]).output)
    assert tampered["verdict"]["integrity"] == "invalid"
    [entry] = [e for e in store.audit_entries(db, desk.a.id) if e.event == "credential_issued"]
    assert entry.details["sha256"] == hashlib.sha256(credential.document).hexdigest()
    assert "Greta" not in json.dumps(entry.details)
    assert store.verify_audit(db, desk.a.id).ok


def test_the_api_returns_the_stored_bytes_and_other_organisations_get_404(world):
    desk, db, decision, credential = world
    _, token = desk_admin.issue_api_token(db, desk.a.viewer, "viewer token")
    _, other = desk_admin.issue_api_token(db, desk.b.admin, "b token")
    client = desk.app.test_client()
    path = f"/api/v1/decisions/{decision.id}/credential"
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.data == credential.document
    assert response.headers["X-Content-SHA256"] == credential.sha256
    foreign = client.get(path, headers={"Authorization": f"Bearer {other}"})
    assert foreign.status_code == 404
    spec = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}).json
    assert "/api/v1/decisions/{decision_id}/credential" in spec["paths"]


def test_an_evidence_request_or_a_refused_outcome_is_no_credential(world):
    desk, db, _, _ = world
    case = desk_ops.open_case(db, desk.a.officer, case_data("chiara-russo", "admission"))
    request = desk_ops.request_evidence(db, desk.a.officer, case.id, "Send the QA statement.")
    with pytest.raises(Conflict):
        issued.issue_credential(db, desk.a.officer, request.id, "entry-programming",
                                issued.load_issuer_key(None))  # fmt: skip
