"""Organisation vocabulary files and table files: a policy imports declarations by id and
version and reads table rows from CSV; expanded, it is one self-contained document whose digest
no longer depends on the files beside it. Through `load_policy_file` and the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.evaluate import evaluate
from engine.inputs import Credential, Wallet
from rules.errors import PolicyError
from rules.loader import load_policy, load_policy_file
from views.cli.main import cli

AS_OF = dt.date(2026, 9, 1)

VOCABULARY = {
    "vocabulary": "acme-terms",
    "version": "2026.1",
    "title": "Acme University shared terms",
    "elements": {"track": {"type": "code", "values": {"verified": "Verified", "audit": "Audit"}}},
    "mappings": [{"source": "https://example.org/ext#track", "element": "track"}],
    "tables": {
        "providers": {
            "title": "Approved providers",
            "version": "2026-03",
            "columns": {
                "provider": "text",
                "status": {"type": "code", "values": ["approved", "suspended"]},
                "since": "date",
                "hours": "decimal",
            },
            "key": ["provider"],
            "file": "providers.csv",
        }
    },
}
PROVIDERS_CSV = (
    "provider,status,since,hours\n"
    "Acme Academy,approved,2019-01-01,25.5\n"
    "Open Uni,suspended,2020-06-01,\n"
)
POLICY = {
    "id": "acme-credit",
    "title": "Acme credit",
    "organisation": "Acme University",
    "purpose": "credit",
    "version": "1",
    "effective_from": "2026-01-01",
    "imports": [{"vocabulary": "acme-terms", "version": "2026.1"}],
    "criteria": [
        {
            "id": "approved",
            "title": "Verified, from an approved provider",
            "about": "each_credential",
            "when": [
                {"element": "track", "op": "eq", "value": "verified"},
                {
                    "table": "providers",
                    "match": {"provider": "awarding_body"},
                    "where": [{"column": "status", "op": "eq", "value": "approved"}],
                },
            ],
        }
    ],
}


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A policy folder with vocabularies/ and tables/ beside the policy, as an office keeps them."""
    (tmp_path / "vocabularies").mkdir()
    (tmp_path / "tables").mkdir()
    write(tmp_path / "vocabularies", "acme.yaml", VOCABULARY)
    write(tmp_path / "tables", "providers.csv", PROVIDERS_CSV)
    write(tmp_path, "policy.yaml", POLICY)
    return tmp_path


def status(policy, body: str, extensions: dict) -> str:
    cred = Credential.of("c1", {"awarding_body": body}, extensions=extensions)
    [outcome] = evaluate(policy, Wallet("k", (cred,)), AS_OF)["outcomes"]
    return outcome["status"]


def test_imported_declarations_and_table_files_are_used(files: Path):
    policy = load_policy_file(files / "policy.yaml")
    assert status(policy, "acme  academy", {"track": "verified"}) == "met"
    assert status(policy, "Open Uni", {"track": "verified"}) == "not_met"
    assert status(policy, "Acme Academy", {"https://example.org/ext#track": "audit"}) == "not_met"
    [(vocabulary, version, digest)] = policy.imports
    assert (vocabulary, version, len(digest)) == ("acme-terms", "2026.1", 64)
    [table] = policy.tables
    hours = {row[0]: row[3] for row in table.rows}
    assert hours == {"Acme Academy": 25.5, "Open Uni": None}  # CSV text read as typed cells


def test_a_missing_vocabulary_version_names_what_was_found(files: Path):
    wrong = {"imports": [{"vocabulary": "acme-terms", "version": "9"}]}
    write(files, "policy.yaml", POLICY | wrong)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(files / "policy.yaml")
    [problem] = caught.value.problems
    assert problem.path == "imports[0]"
    assert "no vocabulary file 'acme-terms' version 9" in problem.message
    assert "found: acme-terms 2026.1" in problem.message


def test_a_policy_cannot_redeclare_what_it_imports(files: Path):
    write(files, "policy.yaml", POLICY | {"elements": {"track": {"type": "text"}}})
    with pytest.raises(PolicyError) as caught:
        load_policy_file(files / "policy.yaml")
    assert [p.path for p in caught.value.problems] == ["elements.track"]
    assert "also declared by the imported vocabulary (imports[0])" in str(caught.value)


BAD_FILES = [
    ("providers.csv", "provider,status,since,hours\nAcme,closed,2019-01-01,1\n",
     "tables.providers.rows[0].status", "'closed' is not a status code"),
    ("providers.csv", "provider,status,since,hours\nAcme,approved,1 May 2019,1\n",
     "tables.providers.rows[0].since", "expected an ISO date"),
    ("other.csv", "x\n", "tables.providers.file", "no table file 'providers.csv'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "path", "message"), BAD_FILES)
def test_bad_table_files_are_reported_with_the_cell(files, name, text, path, message):
    (files / "tables" / "providers.csv").unlink()
    write(files / "tables", name, text)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(files / "policy.yaml")
    [problem] = caught.value.problems
    assert problem.path == path and message in problem.message


def test_a_table_file_is_named_without_folders(files: Path):
    vocabulary = json.loads(json.dumps(VOCABULARY))
    vocabulary["tables"]["providers"]["file"] = "../secrets.csv"
    write(files / "vocabularies", "acme.yaml", vocabulary)
    with pytest.raises(PolicyError, match="a table file is named without folders"):
        load_policy_file(files / "policy.yaml")


def test_the_expanded_policy_is_self_contained_and_keeps_its_digest(files: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["policy", "expand", str(files / "policy.yaml")])
    assert result.exit_code == 0, result.output
    expanded = json.loads(result.output)
    assert expanded["imports"][0]["digest"] == load_policy_file(files / "policy.yaml").imports[0][2]
    assert expanded["elements"]["track"]["type"] == "code"
    assert "file" not in expanded["tables"]["providers"] and expanded["tables"]["providers"]["rows"]
    alone = load_policy(expanded)  # no library: nothing left to resolve
    before = load_policy_file(files / "policy.yaml").digest
    assert alone.digest == before
    # A file changing beside the policy changes the policy read from the files, never the
    # expanded version (what the desk stores and replays).
    write(files / "tables", "providers.csv", PROVIDERS_CSV.replace("suspended", "approved"))
    assert load_policy_file(files / "policy.yaml").digest != before
    assert load_policy(expanded).digest == before


def test_an_unexpanded_policy_is_refused_where_no_files_can_be_read():
    with pytest.raises(PolicyError) as caught:
        load_policy(POLICY)
    assert "publish the expanded policy" in str(caught.value)


def test_the_command_line_reads_a_library_folder(tmp_path: Path):
    library = tmp_path / "shared"
    library.mkdir()
    write(library, "acme.yaml", VOCABULARY)
    write(library, "providers.csv", PROVIDERS_CSV)
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    write(policy_dir, "policy.yaml", POLICY)
    runner = CliRunner()
    alone = runner.invoke(cli, ["policy", "check", str(policy_dir / "policy.yaml")])
    assert alone.exit_code == 2 and "imports[0]: no vocabulary file 'acme-terms'" in alone.output
    found = runner.invoke(
        cli, ["policy", "check", str(policy_dir / "policy.yaml"), "--library", str(library)]
    )
    assert found.exit_code == 0 and "ok — acme-credit v1" in found.output
