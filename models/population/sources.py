"""Wallets of a population, read as a stream: a folder of .json wallets (by file name), a .jsonl
file (one wallet document per line) or a CSV wallet sheet (a learner's rows together).

Each learner becomes an `Item`: its line (the file's position in the folder, the line of the
.jsonl file, the row of the learner's first row in the sheet), and what a worker makes a wallet
of (the document's bytes, the learner's rows). Nothing is parsed here that a worker can parse, and
nothing is held but the learner being read; a sheet remembers an 8-byte hash of each learner id
it has seen, to refuse a learner whose rows appear in two places.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from models.credentials.intake import MAX_CREDENTIALS, MAX_FILE_BYTES, csv_delimiter
from models.credentials.sheet import Sheet
from models.errors import IntakeError

SUFFIXES = (".jsonl", ".csv")  # and a folder of .json files
_BLOCK = 1 << 20


class SourceError(Exception):
    """The wallets cannot be read at all (no such file, an unknown kind, a bad sheet header)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One learner as read. `kind` says what `data` is: "json" (a wallet document's bytes),
    "rows" (a sheet's header and the learner's numbered rows), "wallet" (an engine wallet as
    plain data) or "error" (why this line could not be read: a message)."""

    line: int
    kind: str
    data: Any
    learner: str | None = None  # the id as given, when known before the worker reads the data
    source: str = ""  # named in error messages: the file in a folder


class Source:
    """A stream of `Item`s in input order; `count()` says how many there are (a quick pass)."""

    name: str = ""

    def __iter__(self) -> Iterator[Item]:
        raise NotImplementedError

    def count(self) -> int | None:
        return None


def open_source(path: Path) -> Source:
    """The source for a folder, a .jsonl file or a .csv sheet; raises `SourceError`."""
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return JsonLinesSource(path)
    if suffix == ".csv":
        return SheetSource(path)
    raise SourceError(
        f"{path}: expected a folder of .json wallets, a .jsonl file or a .csv wallet sheet"
    )


class FolderSource(Source):
    def __init__(self, path: Path):
        self.name = str(path)
        try:
            self.files = sorted(
                p.name for p in path.iterdir() if p.suffix.lower() == ".json" and p.is_file()
            )
        except OSError as exc:
            raise SourceError(f"{path}: cannot read the folder: {exc.strerror}") from None
        self.path = path

    def count(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[Item]:
        for number, name in enumerate(self.files, start=1):
            file = self.path / name
            try:
                size = file.stat().st_size
                if size > MAX_FILE_BYTES:
                    message = f"expected a file of at most 20 MB; got {size:,} bytes"
                    yield Item(number, "error", f"{name}: {message}", source=name)
                    continue
                yield Item(number, "json", file.read_bytes(), source=name)
            except OSError as exc:
                message = f"{name}: cannot read the file: {exc.strerror}"
                yield Item(number, "error", message, source=name)


class JsonLinesSource(Source):
    def __init__(self, path: Path):
        self.name = str(path)
        self.path = path

    def count(self) -> int:
        lines, last = 0, b"\n"
        with open(self.path, "rb") as f:
            while block := f.read(_BLOCK):
                lines += block.count(b"\n")
                last = block[-1:]
        return lines + (last != b"\n")

    def __iter__(self) -> Iterator[Item]:
        with open(self.path, "rb") as f:
            number = 0
            while True:
                raw = f.readline(MAX_FILE_BYTES + 1)
                if not raw:
                    return
                number += 1
                if len(raw) > MAX_FILE_BYTES and not raw.endswith(b"\n"):
                    _skip_line(f)
                    message = "<document>: expected a wallet of at most 20 MB on one line"
                    yield Item(number, "error", message)
                elif raw.strip():
                    yield Item(number, "json", raw)


def _skip_line(f: IO[bytes]) -> None:
    while (rest := f.readline(_BLOCK)) and not rest.endswith(b"\n"):
        pass


class SheetSource(Source):
    """A CSV wallet sheet, one learner at a time: the rows of a learner must be together."""

    def __init__(self, path: Path):
        self.name = str(path)
        self.path = path
        with self._open() as f:
            first = f.readline()
            f.seek(0)
            self.delimiter = csv_delimiter(first.rstrip("\r\n"))
            try:
                self.header = next(csv.reader(f, delimiter=self.delimiter, strict=True), [])
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SourceError(f"{path}: row 1: expected a CSV header; got {exc}") from None
        sheet = Sheet()
        sheet.header(self.header)
        if sheet.problems:
            raise IntakeError(sheet.problems, str(path))
        self.learner_column = sheet.columns.index("learner_id")

    def _open(self) -> IO[str]:
        try:
            return open(self.path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read the file: {exc.strerror}") from None

    def _rows(self, f: IO[str]) -> Iterator[tuple[int, list[str], str | None]]:
        """Numbered rows after the header (numbered as a spreadsheet shows them), blank ones
        left out; a row that is not CSV ends the sheet: (its number, [], what is wrong)."""
        reader = csv.reader(f, delimiter=self.delimiter, strict=True)
        number = 1
        try:
            next(reader, None)
            for number, row in enumerate(reader, start=2):
                if any(cell.strip() for cell in row):
                    yield number, row, None
        except (csv.Error, UnicodeDecodeError) as exc:
            message = f"row {number + 1}: expected UTF-8 CSV; got {exc}; the sheet ends here"
            yield number + 1, [], message

    def count(self) -> int:
        groups, current = 0, None
        with self._open() as f:
            for _, row, broken in self._rows(f):
                learner = self._learner(row) if broken is None else ""
                if learner != current or not learner:
                    groups += 1
                current = learner
        return groups

    def _learner(self, row: list[str]) -> str:
        return row[self.learner_column].strip() if self.learner_column < len(row) else ""

    def __iter__(self) -> Iterator[Item]:
        seen: set[bytes] = set()
        group: _Group | None = None
        held: list[Item] = []  # rows without a learner id, reported after the learner around them
        with self._open() as f:
            for number, row, broken in self._rows(f):
                if broken is not None:  # the learner being read may have had more rows
                    if group is not None:
                        yield Item(group.first, "error", broken, group.learner)
                    yield from held
                    if group is None:
                        yield Item(number, "error", broken)
                    return
                learner = self._learner(row)
                if not learner:
                    if group is None:
                        yield _no_learner(number)
                    else:
                        held.append(_no_learner(number))
                    continue
                if group is not None and learner == group.learner:
                    group.add(number, row)
                    continue
                if group is not None:
                    yield group.item(self.header)
                    yield from held
                    held.clear()
                key = hashlib.blake2b(learner.encode("utf-8"), digest_size=8).digest()
                group = _Group(learner, number, again=key in seen)
                seen.add(key)
                group.add(number, row)
            if group is not None:
                yield group.item(self.header)
            yield from held


def _no_learner(number: int) -> Item:
    return Item(number, "error", f"row {number}: learner_id: expected a value; got an empty cell")


class _Group:
    """The rows of the learner being read (at most one more than a wallet may hold)."""

    def __init__(self, learner: str, first: int, again: bool):
        self.learner, self.first, self.again = learner, first, again
        self.rows: list[tuple[int, list[str]]] = []
        self.count = 0
        self.last = first

    def add(self, number: int, row: list[str]) -> None:
        self.count += 1
        self.last = number
        if self.count <= MAX_CREDENTIALS and not self.again:
            self.rows.append((number, row))

    def item(self, header: list[str]) -> Item:
        where = f"row {self.first}" if self.last == self.first else f"rows {self.first}–{self.last}"
        if self.again:
            message = (
                f"{where}: expected all the rows of a learner together; this learner's rows "
                "also appear earlier in the sheet"
            )
            return Item(self.first, "error", message, self.learner)
        if self.count > MAX_CREDENTIALS:
            message = (
                f"{where}: expected at most {MAX_CREDENTIALS:,} credentials per learner; "
                f"got {self.count:,}"
            )
            return Item(self.first, "error", message, self.learner)
        return Item(self.first, "rows", (header, self.rows), self.learner)
