"""Organisation vocabulary files and table files: how a policy's imports are found and inlined.

A policy may import an organisation's vocabulary file by id and version (`imports:
[{vocabulary: ID, version: V}]`) and declare tables whose rows live in a file (`file:
courses.csv`). `expand` turns such a policy into a self-contained document: the imported
declarations and the file rows are written into it, and the imports are recorded with the digest
of what was imported. What is stored, digested and replayed is always the expanded document, so
a policy version never changes when a file beside it does.

Where files come from is the caller's business: a `Library` answers `vocabulary(id, version)`
and `rows(name)`. `DirectoryLibrary` reads them from folders (the command line);
the desk supplies its own.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any, Protocol

from rules.document import parse_document
from rules.errors import PolicyError, Problem

MERGED = ("elements", "facts", "frameworks", "credit_systems", "grade_schemes", "tables")
MAX_FILE_BYTES = 20 * 1024 * 1024
_VOCABULARY_KEYS = {"vocabulary", "version", "title", "organisation", "description", "mappings"}
_VOCABULARY_KEYS |= set(MERGED)


class Library(Protocol):
    def vocabulary(self, vocabulary_id: str, version: str) -> dict: ...

    def rows(self, name: str) -> list: ...


class NoLibrary:
    """For documents that must already be self-contained (stored policy versions)."""

    def vocabulary(self, vocabulary_id: str, version: str) -> dict:
        raise ValueError(
            "imports cannot be resolved here; publish the expanded policy "
            "(`credstack policy expand FILE` writes it)"
        )

    def rows(self, name: str) -> list:
        raise ValueError(
            "table files cannot be read here; publish the expanded policy "
            "(`credstack policy expand FILE` writes it)"
        )


class DirectoryLibrary:
    """Vocabulary files (*.yaml, *.yml, *.json with `vocabulary` and `version`) and table files
    (CSV with a header row, or a YAML/JSON list) from a list of folders, first match wins."""

    def __init__(self, folders: list[str | Path]):
        self.folders = [Path(f) for f in folders]

    def _read(self, path: Path) -> bytes:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes")
        return path.read_bytes()

    def vocabulary(self, vocabulary_id: str, version: str) -> dict:
        seen = []
        for folder in self.folders:
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.suffix.lower() not in (".yaml", ".yml", ".json"):
                    continue
                try:
                    data = parse_document(self._read(path), path.name)
                except (PolicyError, OSError):
                    continue
                if isinstance(data, dict) and "vocabulary" in data:
                    seen.append(f"{data.get('vocabulary')} {data.get('version')}")
                    if data["vocabulary"] == vocabulary_id and str(data.get("version")) == version:
                        return data
        known = ", ".join(sorted(set(seen))) or "none"
        raise ValueError(
            f"no vocabulary file '{vocabulary_id}' version {version} in "
            f"{', '.join(str(f) for f in self.folders)}; found: {known}"
        )

    def rows(self, name: str) -> list:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"a table file is named without folders; got {name!r}")
        for folder in self.folders:
            path = folder / name
            if path.is_file():
                raw = self._read(path)
                if path.suffix.lower() == ".csv":
                    try:
                        text = raw.decode("utf-8-sig")
                    except UnicodeDecodeError:
                        raise ValueError(f"{name} is not UTF-8 text") from None
                    return [dict(r) for r in csv.DictReader(io.StringIO(text))]
                try:
                    data = parse_document(raw, path.name)
                except PolicyError as exc:
                    raise ValueError(exc.summary()) from None
                if not isinstance(data, list):
                    raise ValueError(f"{name} must hold a list of rows")
                return data
        raise ValueError(f"no table file {name!r} next to the policy")


_IMMUTABLE = frozenset((str, int, float, bool, type(None), dt.date, dt.datetime))


def digest_of(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def expand(doc: dict, library: Library | None) -> tuple[dict, list[Problem]]:
    """The self-contained document: imports inlined (recorded with their digests), table files
    read into rows. Problems are returned, not raised, so the caller reports them all."""
    library = library or NoLibrary()
    problems: list[Problem] = []
    out = _copy(doc)
    imports = out.get("imports")
    if imports is not None and not isinstance(imports, list):
        return out, [Problem("imports", "expected a list of {vocabulary, version}")]
    recorded = []
    for i, item in enumerate(imports or []):
        path = f"imports[{i}]"
        if (
            isinstance(item, dict)
            and "digest" in item
            and set(item) == {"vocabulary", "version", "digest"}
        ):
            recorded.append(item)  # already expanded
            continue
        if not isinstance(item, dict) or set(item) != {"vocabulary", "version"}:
            problems.append(Problem(path, "expected {vocabulary: ID, version: V}"))
            continue
        vocabulary_id, version = str(item["vocabulary"]), str(item["version"])
        try:
            data = library.vocabulary(vocabulary_id, version)
        except (ValueError, OSError) as exc:
            problems.append(Problem(path, str(exc)))
            continue
        unknown = sorted(set(data) - _VOCABULARY_KEYS, key=str)
        if unknown:
            problems.append(Problem(path, f"the vocabulary file has unknown keys: {unknown}"))
            continue
        problems += _merge(out, data, path)
        recorded.append(
            {"vocabulary": vocabulary_id, "version": version, "digest": digest_of(data)}
        )
    if imports is not None:
        out["imports"] = recorded
    tables = out.get("tables")
    if isinstance(tables, dict):
        for table_id, body in tables.items():
            if isinstance(body, dict) and "file" in body and isinstance(body["file"], str):
                try:
                    rows = library.rows(body["file"])
                except (ValueError, OSError) as exc:
                    problems.append(Problem(f"tables.{table_id}.file", str(exc)))
                    continue
                body.pop("file")
                body["rows"] = rows
    return out, problems


def _copy(doc: dict) -> dict:
    """A copy of a parsed document to expand in place; table rows (tens of thousands of cells
    nothing downstream changes) are shared, not copied."""

    def copied(node: Any) -> Any:
        if type(node) is dict:
            return {k: copied(v) for k, v in node.items()}
        if type(node) is list:
            return [copied(v) for v in node]
        return node if type(node) in _IMMUTABLE else copy.deepcopy(node)

    def table(body: Any) -> Any:
        if not isinstance(body, dict):
            return copied(body)
        return {n: v if n == "rows" else copied(v) for n, v in body.items()}

    return {
        k: {t: table(b) for t, b in v.items()}
        if k == "tables" and isinstance(v, dict)
        else copied(v)
        for k, v in doc.items()
    }


def _merge(doc: dict, data: dict, path: str) -> list[Problem]:
    problems = []
    for section in MERGED:
        theirs = data.get(section)
        if theirs is None:
            continue
        if not isinstance(theirs, dict):
            problems.append(Problem(path, f"the vocabulary file's {section} must be a mapping"))
            continue
        mine = doc.setdefault(section, {})
        if not isinstance(mine, dict):
            continue
        for name, body in theirs.items():
            if name in mine:
                problems.append(
                    Problem(
                        f"{section}.{name}", f"also declared by the imported vocabulary ({path})"
                    )
                )
            else:
                mine[name] = body
    if data.get("mappings"):
        doc.setdefault("mappings", [])
        if isinstance(doc["mappings"], list) and isinstance(data["mappings"], list):
            doc["mappings"] = list(data["mappings"]) + doc["mappings"]
    return problems
