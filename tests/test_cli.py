"""The command line, as a user meets it: help everywhere, clear errors, documented vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rules.operators import OPERATORS
from rules.vocabulary import ELEMENTS
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
UNIVERSITY = FIXTURES / "policies" / "university-admissions.yaml"
AMIRA = FIXTURES / "learners" / "amira-haddad.json"
EVALUATE_AMIRA = ["evaluate", "--policy", str(UNIVERSITY), "--wallet", str(AMIRA),
                  "--as-of", "2026-09-01", "--json"]  # fmt: skip


@pytest.fixture
def runner():
    return CliRunner()


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += all_commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(cli))
def test_every_command_has_help(runner, name, command):
    assert command.help and len(command.help) > 10, name
    result = runner.invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert command.help.split(".")[0] in " ".join(result.output.split())


def test_readme_documents_every_element_operator_and_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in [*ELEMENTS, *OPERATORS] if f"`{n}`" not in readme]
    missing += [n for n, _ in all_commands(cli) if f"credstack {n}" not in readme]
    assert missing == []


def test_policy_check_accepts_the_demo_policies(runner):
    files = sorted(str(p) for p in (FIXTURES / "policies").glob("*.yaml"))
    result = runner.invoke(cli, ["policy", "check", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == len(files)


def test_policy_check_lists_problems_and_exits_2(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(UNIVERSITY.read_text(encoding="utf-8").replace("eqf_level", "eqf_levle", 1))
    result = runner.invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code == 2
    assert "did you mean 'eqf_level'" in result.output
    assert "Traceback" not in result.output


def test_evaluate_json_has_the_documented_fields(runner):
    result = runner.invoke(cli, EVALUATE_AMIRA)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"policy", "engine", "as_of", "fingerprint", "outcomes", "unused"} <= set(data)
    assert {"id", "version", "digest"} <= set(data["policy"])
    for outcome in data["outcomes"]:
        assert {
            "rule",
            "kind",
            "status",
            "outcome",
            "credentials",
            "conditions",
            "missing",
            "evidence_requests",
            "reasons",
        } <= set(outcome)
        assert outcome["status"] in ("met", "not_met", "unknown", "not_applicable")


def test_evaluate_is_reproducible_from_the_command_line(runner):
    assert runner.invoke(cli, EVALUATE_AMIRA).output == runner.invoke(cli, EVALUATE_AMIRA).output


@pytest.mark.parametrize(
    ("wallet", "expected"),
    [
        (b'{"credentials": [{"id": "c1", "ects": "5"}]}', "credentials[0].ects"),
        (b'{"credentials": [', "wallet"),
        (b"\xff\xfe", "UTF-8"),
        (json.dumps({"credentials": [{"id": f"c{i}"} for i in range(10_000)]}).encode(), "5000"),
        (b"[" * 5000 + b"]" * 5000, "nest"),
    ],
)
def test_bad_wallets_exit_2_with_a_message(runner, tmp_path, wallet, expected):
    path = tmp_path / "wallet.json"
    path.write_bytes(wallet)
    result = runner.invoke(cli, ["evaluate", "--policy", str(UNIVERSITY), "--wallet", str(path)])
    assert result.exit_code == 2, result.output
    assert expected.lower() in result.output.lower().replace(",", "")
    assert "Traceback" not in result.output


def test_bad_date_is_a_usage_error(runner):
    result = runner.invoke(
        cli,
        ["evaluate", "--policy", str(UNIVERSITY), "--wallet", str(AMIRA), "--as-of", "1/9/2026"],
    )
    assert result.exit_code == 2
    assert "expected an ISO date" in result.output


def test_policy_test_runs_the_examples_of_every_demo_policy(runner):
    files = sorted(str(p) for p in (FIXTURES / "policies").glob("*.yaml"))
    result = runner.invoke(cli, ["policy", "test", *files])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert result.output.count("pass ") >= 12


def test_policy_test_fails_when_an_expectation_is_wrong(runner, tmp_path):
    text = UNIVERSITY.read_text(encoding="utf-8")
    policy = tmp_path / "p.yaml"
    # Flip every expectation of the diploma target: the examples must now fail.
    policy.write_text(text.replace("diploma-applied-ds: met", "diploma-applied-ds: not_met"))
    assert policy.read_text() != text
    result = runner.invoke(cli, ["policy", "test", str(policy)])
    assert result.exit_code == 1
    assert "FAIL" in result.output


def test_demo_runs_and_explains(runner):
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "[MET]" in result.output and "[NOT MET]" in result.output
    assert "[UNKNOWN]" in result.output and "evidence:" in result.output


def test_evaluate_an_imported_europass_document(runner):
    document = FIXTURES / "documents" / "edc-sealed.jsonld"
    result = runner.invoke(
        cli,
        [
            "evaluate",
            "--policy",
            str(UNIVERSITY),
            "--document",
            str(document),
            "--as-of",
            "2026-09-01",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcomes"] and data["fingerprint"].startswith("sha256:")


def test_evaluate_needs_exactly_one_source_of_credentials(runner):
    result = runner.invoke(cli, ["evaluate", "--policy", str(UNIVERSITY)])
    assert result.exit_code == 2
    assert "either --wallet or --document" in result.output


def test_the_readme_worked_example_asks_for_the_english_test(runner):
    mit = FIXTURES / "policies" / "us-mit-scm-blended-admission.yaml"
    args = ["evaluate", "--policy", str(mit),
            "--wallet", str(FIXTURES / "learners" / "lena-weber-scm.json"),
            "--request", str(FIXTURES / "requests" / "lena-weber-scm-admission.json"),
            "--as-of", "2021-01-10", "--json"]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    [answer] = out["dispositions"]
    assert answer["disposition"] == "pending_evidence"
    assert sorted(answer["possible"]) == ["not_eligible", "referred"]
    asked = {e["element"] for e in answer["evidence_requests"]}
    assert asked == {"fact:english_test", "fact:english_score"}
    status = {o["rule"]: o["status"] for o in out["outcomes"]}
    assert status["micromasters-scm"] == "met" and status["english"] == "unknown"
    [english] = [o for o in out["outcomes"] if o["rule"] == "english"]
    found = {c["element"]: c.get("provenance") for c in english["conditions"]}
    assert found["fact:english_speaking_nation"] == "the office's finding (Germany)"


def test_serve_on_a_busy_port_says_so_and_creates_nothing(runner, tmp_path):
    import socket

    from views.cli.serve import serve_command

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = tmp_path / "desk.sqlite"
        result = runner.invoke(serve_command, ["--port", str(port), "--db", str(db)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "--port" in result.output and "Traceback" not in result.output
    assert not db.exists()
