"""Read a learner's credentials from the native JSON wallet or a CSV sheet into engine `Wallet`s.

A file is accepted whole or rejected whole, with every problem listed (`IntakeError`); nothing is
ever returned partially. The learner's own id and name never reach the engine: a wallet carries an
HMAC of the id under a secret the caller holds, so keys cannot be recomputed from guessed ids.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import hmac
import io
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import ValidationError

from engine.inputs import Credential, Provenance, Wallet
from models.credentials import schema as cs
from models.credentials.sheet import CSV_COLUMNS as CSV_COLUMNS  # documented here too
from models.credentials.sheet import Sheet
from models.credentials.terms import match_provenance
from models.errors import IntakeError, Problem, expected, problems_from

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NESTING = 40
MAX_CREDENTIALS = cs.MAX_CREDENTIALS
ANONYMOUS = "anonymous"
# For development and tests only: deployments pass their own secret (a leaked or shared key makes
# learner keys linkable across installations).
DEVELOPMENT_LEARNER_KEY_SECRET = b"credstack-DEVELOPMENT-ONLY-learner-key-secret"
_CREDENTIAL_WHAT = "a credential element name, 'id', 'provenance' or 'extensions'"


def _check_secret(secret: object) -> None:
    # A wrong secret is the caller's bug, not a problem of the file: fail before parsing.
    if not isinstance(secret, (bytes, bytearray)) or not secret:
        raise TypeError(f"learner_key_secret must be non-empty bytes, not {type(secret).__name__}")


def learner_key(learner_id: str, secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET) -> str:
    """The pseudonymous key of a learner: HMAC-SHA256 of the id under `secret`, 32 hex digits."""
    _check_secret(secret)
    digest = hmac.new(bytes(secret), learner_id.strip().encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def load_wallet_file(
    path: str | Path, learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET
) -> list[Wallet]:
    """Read a .json or .csv file; raises `IntakeError` listing every problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # say so without reading 20 MB first
            raise IntakeError([_too_big(size)], path.name)
        raw = path.read_bytes()
    except OSError as exc:
        problem = Problem("", f"cannot read the file: {exc.strerror or exc}")
        raise IntakeError([problem], path.name) from None
    return load_wallet_bytes(raw, path.name, learner_key_secret)


def load_wallet_bytes(
    raw: bytes, filename: str, learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET
) -> list[Wallet]:
    """A JSON wallet (or one credential) → [wallet]; a CSV sheet → one wallet per learner."""
    _check_secret(learner_key_secret)
    suffix = Path(filename).suffix.lower()
    if suffix not in (".json", ".csv"):
        problem = Problem("", str(expected("a .json or .csv file", filename)))
        raise IntakeError([problem], filename)
    if suffix == ".csv":
        return _read_csv(_decode(raw, filename), filename, learner_key_secret)
    return [wallet_from_document(parse_json_bytes(raw, filename), learner_key_secret, filename)]


def parse_json_bytes(raw: bytes, source: str) -> Any:
    """UTF-8 JSON (a byte order mark allowed) → data; raises `IntakeError` for text that is not
    UTF-8 or not JSON, nesting beyond the limit and keys repeated in an object."""
    return _parse_json(_decode(raw, source), source)


def wallet_from_document(
    doc: Any, learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET, source: str = "wallet"
) -> Wallet:
    """An already-parsed wallet {learner, credentials} or single credential → `Wallet`."""
    _check_secret(learner_key_secret)
    if _depth(doc) > MAX_NESTING:
        problem = Problem("", f"expected at most {MAX_NESTING} levels of nesting; got more")
        raise IntakeError([problem], source)
    if not isinstance(doc, dict):
        what = "a wallet object {learner, credentials} or one credential object"
        raise IntakeError([Problem("", str(expected(what, doc)))], source)
    problems: list[Problem] = []
    if "credentials" in doc or isinstance(doc.get("learner"), dict):  # a credential's is text
        learner_id, items = _read_wallet_keys(doc, problems)
        located = [(item, f"credentials[{i}]") for i, item in enumerate(items)]
    else:  # one credential: its own `learner` element (if usable) names the learner
        learner = doc.get("learner")
        learner_id = learner if isinstance(learner, str) and learner.strip() else ANONYMOUS
        located = [(doc, "")]
    first_path: dict[str, str] = {}
    credentials = []
    for item, path in located:
        where = f"{path}." if path else ""
        if not isinstance(item, dict):
            problems.append(Problem(path, str(expected("a credential object", item))))
            continue
        cid = item.get("id")
        if isinstance(cid, str) and cid.strip() in first_path:
            taken = f"an id not used by another credential ({first_path[cid.strip()]} has it)"
            problems.append(Problem(f"{where}id", str(expected(taken, cid))))
        elif isinstance(cid, str):
            first_path[cid.strip()] = path or "<document>"
        try:
            loaded = cs.credential_schema().load(item)
        except ValidationError as exc:
            problems += problems_from(exc.messages, path, cs.CREDENTIAL_KEYS, _CREDENTIAL_WHAT)
            continue
        credentials.append(_build(loaded, item, f"native:{where}"))
    if problems:
        raise IntakeError(problems, source)
    applicant = doc.get("applicant") if "credentials" in doc else None
    facts, sources = cs.applicant_from(applicant or {})  # checked with the wallet's keys
    request = cs.request_from(doc["request"]) if doc.get("request") is not None else None
    return Wallet(
        learner_key(learner_id, learner_key_secret),
        tuple(credentials),
        MappingProxyType(facts),
        request,
        applicant_provenance=MappingProxyType(sources),
    )


def example_document(example: Any) -> Any:
    """The wallet document of a policy example, with its applicant facts and request."""
    doc = example.wallet
    if not isinstance(doc, dict) or (example.applicant is None and example.request is None):
        return doc
    doc = dict(doc)
    if example.applicant is not None:
        doc["applicant"] = example.applicant
    if example.request is not None:
        doc["request"] = example.request
    return doc


def _read_wallet_keys(doc: dict, problems: list[Problem]) -> tuple[str, list]:
    """The wallet's learner id and its raw credential list (empty if the list itself is bad)."""
    try:
        wallet = cs.WalletSchema().load(doc)
    except ValidationError as exc:
        problems += problems_from(
            exc.messages,
            "",
            ("learner", "credentials", "applicant", "request"),
            "learner, credentials, applicant or request",
        )
        bad_list = "credentials" in exc.messages  # type: ignore[operator]
        return ANONYMOUS, [] if bad_list else doc["credentials"]
    return wallet.get("learner", {}).get("id", ANONYMOUS), wallet["credentials"]


def _build(loaded: dict, raw: dict, source_prefix: str) -> Credential:
    """Engine credential: typed values, and provenance for every value (stated or native)."""
    values, provenance = {}, {}
    stated: dict[str, dict] = loaded["provenance"]
    for name, value in loaded["values"].items():
        if name == "learner":  # personal data: never part of the engine input
            continue
        kind, note = match_provenance(name, raw[name])
        entry = stated.get(name, {"kind": kind, "note": note})
        values[name] = value
        provenance[name] = _provenance(entry, f"{source_prefix}{name}")
    for name, entry in stated.items():
        if name not in values and name != "learner":  # stated "absent": say where it was sought
            provenance[name] = _provenance(entry, f"{source_prefix}{name}")
    return Credential.of(loaded["id"], values, provenance, loaded.get("extensions"))


def _provenance(entry: dict, source: str) -> Provenance:
    return Provenance(entry["kind"], entry.get("source") or source, entry.get("note") or "")


def _too_big(size: int) -> Problem:
    return Problem("", f"expected a file of at most {MAX_FILE_BYTES:,} bytes (20 MB); got {size:,}")


def _decode(raw: bytes, source: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise IntakeError([_too_big(len(raw))], source)
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        line = raw.count(b"\n", 0, at) + 1
        message = (
            f"expected UTF-8 text; got byte 0x{raw[at]:02x} at byte offset {at} (line {line}), "
            "which is not UTF-8: save the file as UTF-8"
        )
        raise IntakeError([Problem("", message)], source) from None


def _parse_json(text: str, source: str) -> Any:
    repeated: list[str] = []

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict:
        # json keeps the last of repeated keys silently; a second "ects" is a mistake to show.
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                repeated.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=no_repeats)
    except RecursionError:
        problem = Problem("", f"expected at most {MAX_NESTING} levels of nesting; got far more")
        raise IntakeError([problem], source) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        problem = Problem("", f"expected valid JSON; got an error at {where}: {exc.msg}")
        raise IntakeError([problem], source) from None
    except ValueError as exc:  # e.g. an integer literal longer than Python's digit limit
        raise IntakeError([Problem("", f"expected valid JSON; got {exc}")], source) from None
    if repeated:
        problems = [
            Problem("", f"expected each key once per object; got {k!r} twice") for k in repeated
        ]
        raise IntakeError(problems, source)
    return data


def _depth(data: Any, level: int = 0) -> int:
    """Nesting depth, counted only up to just past the limit (so recursion stays shallow)."""
    if level > MAX_NESTING or not isinstance(data, (dict, list)):
        return level
    children = data.values() if isinstance(data, dict) else data
    return max((_depth(child, level + 1) for child in children), default=level + 1)


def _read_csv(text: str, source: str, secret: bytes) -> list[Wallet]:
    delimiter = csv_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    sheet = Sheet()
    number = 1  # rows are numbered as a spreadsheet shows them: the header is row 1
    try:
        sheet.header(next(reader, []))
        for number, row in enumerate(reader, start=2):
            sheet.row(number, row)
    except csv.Error as exc:
        sheet.problems.append(Problem(f"row {number + 1}", f"expected CSV; got {exc}"))
    for items in sheet.rows.values():
        if len(items) > MAX_CREDENTIALS:
            sheet.problems.append(_too_many(items))
    if sheet.problems:
        raise IntakeError(sheet.problems, source)
    wallets = [sheet_wallet(learner, items, secret) for learner, items in sheet.rows.items()]
    return sorted(wallets, key=lambda w: w.learner_key)


def csv_delimiter(first_line: str) -> str:
    """Spreadsheets in many EU locales save with ";" (the comma is their decimal separator)."""
    return next((d for d in (",", ";", "\t") if d in first_line), ",")


def sheet_wallet(
    learner: str,
    items: list[tuple[int, dict, dict]],
    secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET,
) -> Wallet:
    """One learner's wallet from the rows a `Sheet` kept for them (`Sheet.rows[learner]`);
    raises `IntakeError` for more credentials than one evaluation takes."""
    _check_secret(secret)
    if len(items) > MAX_CREDENTIALS:
        raise IntakeError([_too_many(items)], "sheet")
    credentials = (_build(loaded, cells, f"csv:row {n}.") for n, loaded, cells in items)
    return Wallet(learner_key(learner, secret), tuple(credentials))


def _too_many(items: list[tuple[int, dict, dict]]) -> Problem:
    message = f"expected at most {MAX_CREDENTIALS:,} credentials per learner; got {len(items):,}"
    return Problem(f"rows of the learner on row {items[0][0]}", message)
