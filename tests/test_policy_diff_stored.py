"""`credstack policy diff A B` with published versions: A and B are each a policy file or
POLICY@VERSION read from the desk's database in the organisation of the user named by --as. The
changes are those of the same documents as files; an unknown version, a version of another
organisation or a missing --as is refused with a message and no traceback; an existing file is a
file whatever its name."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from models.desk import admin as desk_admin
from models.store import database as store
from tests.desk_builders import UNIVERSITY, make_org, policy_document
from views.cli.main import cli

POLICY = "malarvik-msc-ds-credit"
OLD, NEW = f"{POLICY}@2026.1", f"{POLICY}@2028.1"
THRESHOLD_LINE = "changed  targets[0].min_total_ects: target 'cert-data-foundations'"


def version_document(version: str, start: str, min_total_ects: float) -> dict[str, Any]:
    """The university policy as another version over another period, with another threshold
    and another condition of its first slot."""
    document = copy.deepcopy(dict(policy_document(UNIVERSITY)))
    document.pop("examples", None)  # they expect the fixture's threshold
    document.update(version=version, effective_from=start)
    document.pop("effective_to", None)
    document["targets"][0]["min_total_ects"] = min_total_ects
    document["targets"][0]["slots"][0]["when"][1]["value"] = 6  # EQF ≤ 6 → EQF ≥ 6
    return json.loads(json.dumps(document, default=str))


SECOND = version_document("2028.1", "2028-01-01", 20)


@pytest.fixture()
def world(tmp_path: Path) -> dict[str, Any]:
    """Alpha has 2026.1 (the fixture, from make_org) and 2028.1 (threshold 15 → 20); beta has
    only a version of its own, 2029.1, which alpha's staff must not see."""
    path = tmp_path / "desk.sqlite"
    db = store.open_db(path)
    try:
        alpha = make_org(db, "alpha", policies=(UNIVERSITY,))
        desk_admin.publish_policy(db, alpha.admin, SECOND, source_text=json.dumps(SECOND))
        beta = make_org(db, "beta", policies=())
        desk_admin.publish_policy(db, beta.admin, version_document("2029.1", "2029-01-01", 25))
    finally:
        db.close()
    first = json.loads(json.dumps(dict(policy_document(UNIVERSITY)), default=str))
    files = {OLD: tmp_path / "first.json", NEW: tmp_path / "second.json"}
    files[OLD].write_text(json.dumps(first), encoding="utf-8")
    files[NEW].write_text(json.dumps(SECOND), encoding="utf-8")
    return {"db": str(path), "files": files, "viewer": alpha.viewer.email, "tmp": tmp_path}


def diff(world: dict[str, Any], *args: str, acting: bool = True) -> Result:
    """The command as alpha's viewer (any role may read published versions), or with no --as."""
    actor = ["--as", world["viewer"]] if acting else []
    return CliRunner().invoke(cli, ["policy", "diff", *args, "--db", world["db"], *actor])


def changes(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_published_versions_list_the_threshold_changed_between_them(world):
    result = diff(world, OLD, NEW)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{POLICY} v2026.1 → {POLICY} v2028.1: ")
    [threshold] = [line for line in lines if THRESHOLD_LINE in line]
    assert "min total ects changed from 15 to 20" in threshold
    stored = changes(diff(world, OLD, NEW, "--json"))
    [change] = [c for c in stored if c["path"] == "targets[0].min_total_ects"]
    assert (change["kind"], change["before"], change["after"]) == ("changed", "15", "20")
    # The path of a slot is where the stored document wrote it, not where its id sorts.
    assert [c["path"] for c in stored if c["what"] == "slot"] == ["targets[0].slots[0].when"]
    # The same two documents as files: the same changes, in the same order.
    files = world["files"]
    assert stored == changes(diff(world, str(files[OLD]), str(files[NEW]), "--json"))
    backward = changes(diff(world, NEW, OLD, "--json"))
    assert [(c["path"], c["before"], c["after"]) for c in backward if c["what"] == "target"] == [
        ("targets[0].min_total_ects", "20", "15")
    ]


@pytest.mark.parametrize(("a", "b"), [(OLD, NEW), (NEW, OLD), (NEW, NEW)])
@pytest.mark.parametrize("file_side", [0, 1])
def test_a_file_against_a_published_version_is_as_two_files(world, a, b, file_side):
    files = world["files"]
    args = [a, b]
    args[file_side] = str(files[args[file_side]])  # e.g. a draft file against the version in force
    found = changes(diff(world, *args, "--json"))
    assert found == changes(diff(world, str(files[a]), str(files[b]), "--json"))
    assert any(c["path"] == "targets[0].min_total_ects" for c in found) == (a != b)
    if a == b:
        assert found == []


# (A, B, words the message must carry): what does not exist in alpha's database
MISSING = [
    (OLD, f"{POLICY}@9.9", [POLICY, "9.9"]),
    ("no-such-policy@2026.1", NEW, ["no-such-policy", "2026.1"]),
    (OLD, f"{POLICY}@2029.1", [POLICY, "2029.1"]),  # beta's version: absent for alpha
]


@pytest.mark.parametrize(("a", "b", "words"), MISSING)
def test_a_version_not_published_is_refused_naming_it(world, a, b, words):
    result = diff(world, a, b)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    message = result.output.strip()
    assert "refused" in message and all(w in message for w in words), message
    assert "Traceback" not in result.output and "change(s)" not in result.output


@pytest.mark.parametrize("stored_side", ["A", "B"])
def test_a_published_version_without_as_is_refused_asking_for_the_user(world, stored_side):
    other = str(world["files"][OLD])
    args = (NEW, other) if stored_side == "A" else (other, NEW)
    result = diff(world, *args, acting=False)
    assert result.exit_code == 2, result.output
    assert "--as" in result.output and "POLICY@VERSION" in result.output
    assert "Traceback" not in result.output and "change(s)" not in result.output


def test_an_unknown_user_and_a_missing_database_are_refused_without_traceback(world, tmp_path):
    unknown = CliRunner().invoke(
        cli, ["policy", "diff", OLD, NEW, "--db", world["db"], "--as", "nobody@alpha.test"]
    )
    assert unknown.exit_code == 2 and "no user with this e-mail address" in unknown.output
    absent = tmp_path / "absent.sqlite"
    missing = CliRunner().invoke(
        cli, ["policy", "diff", OLD, NEW, "--db", str(absent), "--as", world["viewer"]]
    )
    assert missing.exit_code == 4 and f"no database at {absent}" in missing.output
    assert not absent.exists()
    assert "Traceback" not in unknown.output + missing.output


def test_an_existing_file_named_like_a_version_is_read_as_a_file(world, monkeypatch):
    # Named exactly like the stored 2026.1 but holding 2028.1: read as a file, nothing changed.
    monkeypatch.chdir(world["tmp"])
    Path(OLD).write_text(json.dumps(SECOND), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "diff", OLD, str(world["files"][NEW])])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{POLICY} v2028.1 → {POLICY} v2028.1: 0 change(s)")
    against_stored = diff(world, OLD, NEW)
    assert against_stored.exit_code == 0, against_stored.output
    assert "0 change(s)" in against_stored.output


@pytest.mark.parametrize("name", ["drafts/second@2028.1.yaml", "@2028.1", f"{POLICY}@"])
def test_a_missing_file_that_is_not_policy_at_version_is_a_file_that_cannot_be_read(world, name):
    result = diff(world, str(world["files"][OLD]), name, acting=False)
    assert result.exit_code != 0 and f"{name}: cannot read" in result.output
    assert "Traceback" not in result.output
