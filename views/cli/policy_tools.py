"""`credstack policy lint | diff | export` and `credstack evaluate --across DIR`: thin commands
over `rules.lint`, `rules.diff`, `rules.ctdl` and `engine.where_else`. `policy diff` also reads
published versions (POLICY@VERSION) from the desk's database."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from engine.inputs import Wallet
from engine.service import ContainedEvaluator
from engine.where_else import found_anything, left_over, where_else
from models.credentials.intake import load_wallet_bytes, load_wallet_file
from models.desk import admin as desk_admin
from models.desk.access import validated_policy
from models.errors import IntakeError, Problem
from rules.ctdl import export_ctdl
from rules.diff import diff_policies
from rules.errors import PolicyError
from rules.lint import Finding, errors, lint_policy
from rules.policy import Policy
from rules.schema import ID
from views.cli.common import EXIT_FAILED, EXIT_INVALID, LIBRARY, handled, read_policy
from views.cli.desk import db_option, opened
from views.cli.desk import handled as desk_handled
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


Side = tuple[Mapping[str, Any], Policy]  # the document as written and its validated form


def stored_name(arg: str) -> tuple[str, str] | None:
    """(policy id, version) when `arg` names a published version: POLICY@VERSION with an id as
    the policy language allows one. An existing file stays a file, whatever its name."""
    if Path(arg).exists():
        return None
    policy_id, at, version = arg.partition("@")
    if at and ID.regex.match(policy_id) and 0 < len(version.strip()) <= 40:
        return policy_id, version
    return None


def diff_sides(
    args: tuple[str, str], library: tuple[str, ...], db_path: str, email: str | None
) -> list[Side]:
    """Each argument read as a policy file or as a published version of the acting user's
    organisation; the database is opened only when a version is named."""
    names = [stored_name(arg) for arg in args]
    stored: dict[tuple[str, str], Side] = {}
    if any(names):
        if not email:
            raise click.UsageError(
                "--as: name the user whose organisation's published versions are read "
                "(A or B is POLICY@VERSION)"
            )
        with opened(db_path) as db:
            user = desk_admin.find_user(db, email)
            for name in filter(None, names):
                version = desk_admin.get_policy(db, user, *name)
                # The stored document, not the source text: the diff reads only where slots and
                # translations were written, which the document keeps, and it needs no library.
                stored[name] = version.document, validated_policy(version)
    return [
        stored[name] if name else read_policy(arg, library)
        for arg, name in zip(args, names, strict=True)
    ]


@click.command("diff", help="What changed from policy version A to version B, in words: rules, "
               "tiers, targets, slots, tables and their rows, settings and declarations added, "
               "changed or removed. A and B are each a policy file or a version published on "
               "the desk, POLICY@VERSION (e.g. uni-admission@2026.1), read from --db in the "
               "organisation of the user named by --as; an existing file is always a file."
               )  # fmt: skip
@click.argument("old", metavar="A", type=click.Path(dir_okay=False))
@click.argument("new", metavar="B", type=click.Path(dir_okay=False))
@LIBRARY
@db_option
@click.option("--as", "email", help="E-mail address of the user whose organisation's published "
              "versions are read (needed when A or B is POLICY@VERSION).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The changes as JSON.")
@desk_handled  # an unknown user or version, a missing database: one message, never a traceback
@handled
def diff_command(
    old: str, new: str, library: tuple[str, ...], db_path: str, email: str | None, as_json: bool
) -> None:
    (doc_a, a), (doc_b, b) = diff_sides((old, new), library, db_path, email)
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
