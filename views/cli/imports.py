"""`credstack import FILE [RELATED…] [--json]`: show what a credential document imports as.

Prints, per credential, every Annex I element with its value and provenance, the warnings, and the
verification verdict; `--json` prints the whole `ImportResult`. Bad input (unreadable, not a
credential, over the limits) exits 2 with the problems listed, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.inputs import Level
from models.credentials.formats import ImportResult, import_document
from models.credentials.formats.common import MAX_DOCUMENT_BYTES
from models.credentials.verify import Verdict, VerifierConfig
from models.errors import IntakeError, Problem
from rules.vocabulary import ELEMENTS

EXIT_INVALID = 2
FORMAT_NAMES = {
    "edc": "Europass EDC (ELM v3)",
    "elm2": "legacy Europass ELM v2",
    "ob3": "Open Badges 3.0",
    "ob2": "Open Badges 2.0",
    "clr": "CLR 2.0",
    "vc": "W3C Verifiable Credential",
}


def _read(path: str) -> bytes:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:  # say so without reading 50 MB first
            message = f"expected a document of at most 20 MB; got {size:,} bytes"
            raise IntakeError([Problem("", message)], file.name)
        return file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror or exc}") from None


@click.command(
    "import",
    help=(
        "Import a credential document (Europass EDC, Open Badges 3.0/2.0, CLR 2.0) and verify it "
        "offline. Prints the Annex I elements with their provenance per credential and the "
        "verification verdict. For a hosted Open Badges 2.0 assertion, give its BadgeClass and "
        "Issuer files as RELATED."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("related", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--keys",
    type=click.Path(dir_okay=False, exists=True),
    envvar="CREDSTACK_KEY_STORE",
    help="Local key store (JSON) for https / did:web verification methods.",
)
@click.option(
    "--trusted-certs",
    type=click.Path(dir_okay=False, exists=True),
    envvar="CREDSTACK_TRUSTED_CERTS",
    help="Allow-list (JSON) of trusted seal certificates or their roots, by SHA-256.",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    envvar="CREDSTACK_STATUS_LISTS",
    help="Local copy of a status list credential (Bitstring Status List or StatusList2021), "
    "found by its id; repeat for several.",
)
def import_command(
    file: str,
    related: tuple[str, ...],
    as_json: bool,
    keys: str | None,
    trusted_certs: str | None,
    status_lists: tuple[str, ...],
) -> None:
    try:
        config = VerifierConfig.load(keys, trusted_certs, status_lists)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        others = [(_read(name), Path(name).name) for name in related]
        result = import_document(_read(file), Path(file).name, related=others, config=config)
    except IntakeError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(result))


def _verdict_lines(verdict: Verdict, indent: str = "  ") -> list[str]:
    lines = [f"{indent}integrity: {verdict.integrity} ({verdict.method or 'no proof'})"]
    lines.append(f"{indent}reason: {verdict.reason}")
    signer = verdict.signer
    if signer is not None:
        who = signer.subject or signer.id
        lines.append(f"{indent}signer: {signer.kind} {who}")
        if signer.organisation_identifier:
            lines.append(f"{indent}organisation identifier: {signer.organisation_identifier}")
        if signer.valid_from and signer.valid_until:
            window = f"{signer.valid_from.date()} to {signer.valid_until.date()}"
            lines.append(f"{indent}certificate validity: {window}")
    if verdict.signed_at:
        lines.append(f"{indent}signed at: {verdict.signed_at}")
    lines.append(f"{indent}trust: {verdict.trust}")
    lines.append(f"{indent}status: {verdict.status}")
    lines.append(f"{indent}signer is the awarding body: {_signer_text(verdict)}")
    if verdict.signer_problem:
        lines.append(f"{indent}signer problem: {verdict.signer_problem}")
    if verdict.valid_from or verdict.valid_until:
        period = " ".join(
            f"{word} {when.date()}"
            for word, when in (("from", verdict.valid_from), ("until", verdict.valid_until))
            if when
        )
        lines.append(f"{indent}validity period: {period} ({verdict.period.replace('_', ' ')})")
    lines.append(f"{indent}verdict for policies (verification): {verdict.verification}")
    lines += [f"{indent}note: {note}" for note in verdict.notes]
    for part in verdict.parts:
        lines.append(f"{indent}- {part.path or 'proof'}: {part.integrity} — {part.reason}")
    return lines


def _signer_text(verdict: Verdict) -> str:
    if verdict.signer_identity == "confirmed":
        return f"yes, confirmed by the {verdict.anchor}"
    if verdict.signer_identity == "mismatch":
        return "no: the signer names someone else"
    if verdict.signer_identity == "unconfirmed" and verdict.anchor:
        if verdict.integrity != "valid":
            return "unconfirmed: the proof does not hold"
        return f"unconfirmed: the {verdict.anchor} vouches for the key; no awarding body to compare"
    if verdict.signer_identity == "unconfirmed":
        return "unconfirmed: no configured trust anchor (key store, trusted list) vouches for it"
    return {True: "yes", False: "no", None: "unknown"}[verdict.signer_matches_awarding_body]


def render(result: ImportResult) -> str:
    name = FORMAT_NAMES.get(result.format, result.format)
    count = len(result.credentials)
    lines = [f"{result.filename}: {name}, {count} credential(s)", "document verification:"]
    lines += _verdict_lines(result.verdict)
    for credential in result.credentials:
        lines += ["", f"credential {credential.id}"]
        for element in ELEMENTS:
            if element not in credential.values and element not in credential.provenance:
                continue
            value = credential.values.get(element, "— (unknown)")
            if isinstance(value, tuple):
                value = "; ".join(value)
            elif isinstance(value, Level):
                value = f"{value.framework} {value.level}"
            provenance = credential.provenance.get(element)
            text = str(value)
            text = text if len(text) <= 90 else text[:87] + "…"
            lines.append(f"  {element}: {text}")
            if provenance is not None:
                detail = f"{provenance.kind}, {provenance.source}"
                lines.append(
                    f"      [{detail}]" + (f" {provenance.note}" if provenance.note else "")
                )
        if credential.extensions:
            lines.append("  extensions (a policy may declare these):")
            for name, value in sorted(credential.extensions.items()):
                text = json.dumps(value, ensure_ascii=False, default=str)
                lines.append(f"    {name}: {text if len(text) <= 80 else text[:77] + '…'}")
        own = result.verdicts[credential.id]
        if own.path != result.verdict.path or own.integrity != result.verdict.integrity:
            lines.append("  verification of this credential:")
            lines += _verdict_lines(own, "    ")
        lines += [f"  warning: {w}" for w in result.warnings.get(credential.id, ())]
    if result.hints:
        lines += ["", "stacking hints:"]
        for hint in result.hints:
            target = f"{hint.target}" + (f" ({hint.target_title})" if hint.target_title else "")
            lines.append(f"  {hint.source} {hint.relation} {target}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)
