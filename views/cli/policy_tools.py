"""`credstack policy lint | diff | export` and `credstack evaluate --across DIR`: thin commands
over `rules.lint`, `rules.diff`, `rules.ctdl` and `engine.where_else`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from engine.inputs import Wallet
from engine.service import ContainedEvaluator
from engine.where_else import found_anything, left_over, where_else
from models.credentials.intake import load_wallet_bytes, load_wallet_file
from models.errors import IntakeError, Problem
from rules.ctdl import export_ctdl
from rules.diff import diff_policies
from rules.errors import PolicyError
from rules.lint import Finding, errors, lint_policy
from rules.policy import Policy
from views.cli.common import EXIT_FAILED, EXIT_INVALID, LIBRARY, handled, read_policy
from views.cli.drafts import draft_commands


def finding_lines(findings: list[Finding]) -> list[str]:
    return [f"  {f}" for f in findings]


# --- lint ------------------------------------------------------------------------------------


def credential_records(source: str) -> Iterator[dict[str, Any]]:
    """Credentials as plain dicts (element → value, declared elements under `extensions`) from
    a folder of .json / .csv wallets or a .jsonl file of wallets; bad wallets are errors."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".csv"))
        wallets = (w for f in files for w in load_wallet_file(f))
    elif path.suffix.lower() == ".jsonl":
        wallets = _jsonl_wallets(path)
    elif path.suffix.lower() in (".json", ".csv"):
        wallets = iter(load_wallet_file(path))
    else:
        problem = Problem("", "expected a folder of .json or .csv wallets, or a .jsonl file")
        raise IntakeError([problem], source)
    for wallet in wallets:
        for c in wallet.credentials:
            record: dict[str, Any] = dict(c.values)
            if c.extensions:
                record["extensions"] = dict(c.extensions)
            yield record


def _jsonl_wallets(path: Path) -> Iterator[Wallet]:
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise IntakeError([Problem("", f"cannot read: {exc.strerror}")], str(path)) from None
    for n, line in enumerate(lines, 1):
        if line.strip():
            yield from load_wallet_bytes(line, f"{path.name} line {n}.json")


@click.command("lint", help="Static checks: targets and outcomes that can never be met, "
               "contradictory conditions, shadowed tiers, rows that never fire, unused "
               "declarations, and (with --credentials) elements the credentials on file rarely "
               "carry. Exits 1 when there is an error.")  # fmt: skip
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@LIBRARY
@click.option(
    "--credentials", "source", type=click.Path(exists=True),
    help="Credentials on file for the coverage check: a folder of .json or .csv wallets, or a "
    ".jsonl file of wallets.",
)  # fmt: skip
@click.option(
    "--threshold", type=click.IntRange(1, 100), default=20, show_default=True,
    help="Coverage: report elements known on fewer than this percentage of credentials.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The findings as JSON.")
@handled
def lint_command(
    files: tuple[str, ...], library: tuple[str, ...], source: str | None, threshold: int,
    as_json: bool,
) -> None:  # fmt: skip
    records = list(credential_records(source)) if source else None
    failed = False
    report: dict[str, list[dict[str, str]]] = {}
    for name in files:
        document, p = read_policy(name, library)
        found = lint_policy(p, document, records, Fraction(threshold, 100))
        failed = failed or bool(errors(found))
        report[name] = [f.as_dict() for f in found]
        if not as_json:
            counts = {s: sum(f.severity == s for f in found) for s in ("error", "warning", "info")}
            summary = ", ".join(f"{n} {s}(s)" for s, n in counts.items() if n) or "no findings"
            click.echo(f"{name}: {summary}")
            for line in finding_lines(found):
                click.echo(line)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    if failed:
        sys.exit(EXIT_FAILED)


# --- diff ------------------------------------------------------------------------------------


@click.command("diff", help="What changed from policy version A to version B, in words: rules, "
               "tiers, targets, slots, tables and their rows, settings and declarations added, "
               "changed or removed.")  # fmt: skip
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@LIBRARY
@click.option("--json", "as_json", is_flag=True, help="The changes as JSON.")
@handled
def diff_command(old: str, new: str, library: tuple[str, ...], as_json: bool) -> None:
    doc_a, a = read_policy(old, library)
    doc_b, b = read_policy(new, library)
    changes = diff_policies(a, b, doc_a, doc_b)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in changes], indent=2, ensure_ascii=False))
        return
    click.echo(f"{a.id} v{a.version} → {b.id} v{b.version}: {len(changes)} change(s)")
    for c in changes:
        click.echo(f"  {c}")


# --- export ----------------------------------------------------------------------------------


@click.command(
    "export",
    help="Export a policy's stacking targets and recognition rules as CTDL ConditionProfiles "
    "(JSON-LD), the Credential Registry's vocabulary.",
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--ctdl", "as_ctdl", is_flag=True, required=True, help="As CTDL JSON-LD (the only "
              "format so far).")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@LIBRARY
@handled
def export_command(file: str, as_ctdl: bool, out: str | None, library: tuple[str, ...]) -> None:
    _, p = read_policy(file, library)
    text = json.dumps(export_ctdl(p), indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
        return
    try:
        Path(out).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write: {exc.strerror}") from None
    click.echo(f"{out}: {len(export_ctdl(p)['@graph'])} condition profile(s)", err=True)


policy_commands = [lint_command, diff_command, export_command, *draft_commands]


# --- evaluate --across -----------------------------------------------------------------------


def policies_in(folder: str, library: tuple[str, ...]) -> list[Policy]:
    root = Path(folder)
    if not root.is_dir():
        raise click.ClickException(f"{folder}: expected a folder of policy files")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))
    out, problems = [], []
    for f in files:
        try:
            out.append(read_policy(f, library)[1])
        except PolicyError as exc:
            problems.append(str(exc))
    if problems:
        click.echo("\n".join(problems), err=True)
        sys.exit(EXIT_INVALID)
    if not out:
        raise click.ClickException(f"{folder}: no policy files (.yaml, .yml, .json) in it")
    return out


ACROSS = click.option(
    "--across",
    type=click.Path(file_okay=False),
    help="A folder of policies: the targets and recognition rules the wallet's credentials meet "
    "or nearly meet there (with --policy: only the credentials that policy leaves unused, or "
    "all if its request is refused).",
)


def evaluate_across(
    home: Policy | None, folder: str, wallets: list[Wallet], dates: list[dt.date],
    library: tuple[str, ...], as_json: bool,
) -> None:  # fmt: skip
    """Where else each wallet's credentials would count among the policies in `folder`: with a
    home policy, the credentials it leaves unused (all of them, if the request was refused)
    against the other policies; without, every credential against every policy."""
    policies = [p for p in policies_in(folder, library) if home is None or p.id != home.id]
    payload = []
    with ContainedEvaluator() as evaluator:
        for wallet, as_of in zip(wallets, dates, strict=True):
            consider = None
            if home is not None:
                consider = left_over(evaluator.evaluate(home, wallet, as_of))
            entries = where_else(wallet, consider, policies, as_of, evaluator.evaluate)
            payload.append({"learner": wallet.learner_key[:12], "as_of": as_of.isoformat(),
                            "considered": consider, "policies": entries})  # fmt: skip
    if as_json:
        body: Any = payload[0] if len(payload) == 1 else payload
        click.echo(json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True))
        return
    for item in payload:
        click.echo(across_text(item, home))


def across_text(item: dict[str, Any], home: Policy | None) -> str:
    which = item["considered"]
    if home is None:
        head = "all credentials"
    elif which:
        head = f"credentials left by {home.id}: {', '.join(which)}"
    else:
        head = f"{home.id} leaves no credential unused"
    lines = [f"Where else would they count ({item['learner']}, {item['as_of']}; {head})"]
    for e in item["policies"]:
        p = e["policy"]
        if "error" in e:
            lines.append(f"  {p['id']} v{p['version']}: cannot evaluate: {e['error']}")
            continue
        if not (e["met"] or e["nearly"]):
            continue
        lines.append(f"  {p['title']} ({p['id']} v{p['version']})")
        for o in e["met"]:
            using = f" using {', '.join(o['credentials'])}" if o["credentials"] else ""
            lines.append(f"    met     {o['kind']:<11} {o['rule']}: {o['title']}{using}")
        for o in e["nearly"]:
            lines.append(f"    nearly  {o['kind']:<11} {o['rule']}: {o['title']} ({o['why']})")
            lines += [f"              missing: {m}" for m in o["missing"]]
    if not found_anything(item["policies"]):
        lines.append("  nothing met or nearly met in these policies")
    return "\n".join(lines)
