"""Writing a batch's results in input order, and finding where an interrupted batch stopped.

`.jsonl`: one line per learner, `{"line": n, "learner": ..., "result": {...}}` (the result as
canonical JSON, byte for byte what one evaluation gives) or `{"line": n, "learner": ...,
"error": "..."}`. `.csv` (and `.xlsx`, in `workbook`): one row per learner with the counts of
outcome statuses and one column per rule, target and criterion (and its level, for recognition
rules).

An output that exists is continued: the lines it holds are skipped (`Writer.done`), a last line
cut short by an interruption is dropped, and an output of another policy version, date or
layout is refused rather than mixed.
"""

from __future__ import annotations

import bisect
import csv
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from models.population.work import Evaluated
from rules.policy import Policy

STATUSES = ("met", "not_met", "unknown", "not_applicable")
_LINE = re.compile(rb'\{"line":(\d+),"learner":')
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class OutputError(Exception):
    """The output cannot be written or continued (another batch's file, an unknown kind)."""


class LineSet:
    """Line numbers as sorted, disjoint ranges: a batch written in order is one range, however
    many learners it has."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []  # inclusive
        self.size = 0

    def add(self, line: int) -> None:
        if self.ends and self.ends[-1] + 1 == line:
            self.ends[-1] = line  # the usual case: the next line in order
        elif line in self:
            return
        else:
            k = bisect.bisect(self.starts, line)
            self.starts.insert(k, line)
            self.ends.insert(k, line)
            self._merge(k)
        self.size += 1

    def _merge(self, k: int) -> None:
        if k + 1 < len(self.starts) and self.ends[k] + 1 == self.starts[k + 1]:
            self.ends[k] = self.ends.pop(k + 1)
            del self.starts[k + 1]
        if k > 0 and self.ends[k - 1] + 1 == self.starts[k]:
            self.ends[k - 1] = self.ends.pop(k)
            del self.starts[k]

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, int):
            return False
        k = bisect.bisect(self.starts, line) - 1
        return k >= 0 and line <= self.ends[k]

    def __len__(self) -> int:
        return self.size


class Writer:
    """Results go in with `write` (a chunk at a time, in input order); `close` finishes the file;
    `abandon` closes it and removes it if this writer created it and wrote no result."""

    done: LineSet
    path: Path
    created: bool = False
    written: bool = False

    def write(self, results: Iterable[Evaluated]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abandon(self) -> None:
        self.close()
        if self.created and not self.written:
            self.path.unlink(missing_ok=True)


def open_writer(path: Path, policy: Policy, as_of: Any, detail: str = "full") -> Writer:
    """The writer for `path` by its suffix, continuing what the file already holds."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return JsonLinesWriter(path, policy, as_of.isoformat(), detail)
    if suffix == ".csv":
        return SheetWriter(path, columns(policy))
    if suffix == ".xlsx":
        from models.population.workbook import WorkbookWriter

        return WorkbookWriter(path, columns(policy))
    raise OutputError(f"{path}: expected a .jsonl, .csv or .xlsx file to write the results to")


# --- JSON Lines ----------------------------------------------------------------------------------


def jsonl_line(r: Evaluated) -> str:
    learner = json.dumps(r.learner, ensure_ascii=False)
    if r.text is not None:
        return f'{{"line":{r.line},"learner":{learner},"result":{r.text}}}\n'
    error = json.dumps(r.error, ensure_ascii=False)
    return f'{{"line":{r.line},"learner":{learner},"error":{error}}}\n'


class JsonLinesWriter(Writer):
    def __init__(self, path: Path, policy: Policy, as_of: str, detail: str = "full"):
        self.path, self.detail = path, detail
        self.done = LineSet()
        self.created = not path.exists()
        try:
            self.file: BinaryIO = open(path, "a+b")  # closed by close()
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
        try:
            self._resume(policy.digest, as_of)
        except BaseException:
            self.file.close()
            raise

    def _resume(self, digest: str, as_of: str) -> None:
        f = self.file
        f.seek(0)
        kept = 0  # bytes of whole lines
        checked = False
        for number, raw in enumerate(f, start=1):
            if not raw.endswith(b"\n"):
                break  # cut short by an interruption: dropped below
            found = _LINE.match(raw)
            if found is None or not raw.endswith(b"}\n"):
                raise OutputError(
                    f"{self.path}: line {number} is not a result of credstack batch; "
                    "write the results to another file"
                )
            if not checked and b',"result":{' in raw:
                _check_same_batch(self.path, json.loads(raw)["result"], digest, as_of, self.detail)
                checked = True
            self.done.add(int(found.group(1)))
            kept += len(raw)
        f.truncate(kept)
        f.seek(0, os.SEEK_END)

    def write(self, results: Iterable[Evaluated]) -> None:
        for r in results:  # a line at a time: a chunk of large results is never copied whole
            self.file.write(jsonl_line(r).encode("utf-8"))
            self.written = True
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def _check_same_batch(
    path: Path, result: dict[str, Any], digest: str, as_of: str, detail: str
) -> None:
    was = (result.get("policy", {}).get("digest"), result.get("as_of"))
    if result.get("detail", "full") != detail:
        raise OutputError(
            f"{path}: holds {result.get('detail', 'full')} results; to continue it, give the "
            "same --detail, or write the results to another file"
        )
    if was != (digest, as_of):
        raise OutputError(
            f"{path}: holds results of another policy version or application date "
            f"(digest {str(was[0])[:12]}…, as of {was[1]}); to continue it, give the same policy "
            "and --as-of, or write the results to another file"
        )


# --- spreadsheet rows ----------------------------------------------------------------------------


def columns(policy: Policy) -> list[str]:
    """line, learner, error, the counts of statuses, then each rule's status (and level)."""
    levels = {r.id for r in policy.recognition}
    rules: list[str] = []
    for rule in sorted(policy.rule_ids()):
        rules += [rule, f"{rule}:level"] if rule in levels else [rule]
    return ["line", "learner", "error", *STATUSES, *rules]


def row_of(r: Evaluated, header: list[str]) -> list[Any]:
    """The cells of one learner's row under `header` (numbers as numbers, text as written)."""
    if r.error is not None:
        return [r.line, r.learner, r.error] + [None] * (len(header) - 3)
    cells: dict[str, Any] = dict.fromkeys(STATUSES, 0)
    for rule, status, level in r.outcomes:
        cells[status] += 1
        cells[rule] = status
        if level is not None:
            cells[f"{rule}:level"] = level
    return [r.line, r.learner, None] + [cells.get(name) for name in header[3:]]


def _text_cell(value: Any) -> Any:
    """One line per cell; text a spreadsheet would run as a formula starts with an apostrophe."""
    if not isinstance(value, str):
        return "" if value is None else value
    value = " ".join(value.splitlines())
    return "'" + value if value.startswith(_SPREADSHEET_FORMULA) else value


class SheetWriter(Writer):
    """A CSV file, UTF-8, comma-separated, one row per learner."""

    def __init__(self, path: Path, header: list[str]):
        self.path, self.header = path, header
        self.done = LineSet()
        self.created = not path.exists()
        try:
            if path.exists():
                with open(path, "r+b") as raw:
                    _drop_cut_line(raw)
            self.file = open(path, "a+", encoding="utf-8", newline="")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
        try:
            self._resume()
        except BaseException:
            self.file.close()
            raise
        self.writer = csv.writer(self.file, lineterminator="\n")
        if self.file.tell() == 0:
            self.writer.writerow(header)
            self.file.flush()

    def _resume(self) -> None:
        f = self.file
        f.seek(0)
        rows = csv.reader(f, strict=True)
        try:
            found = next(rows, None)
            if found is not None and found != self.header:
                raise OutputError(
                    f"{self.path}: has other columns than this policy's results; "
                    "write the results to another file"
                )
            for row in rows:
                if len(row) != len(self.header) or not row[0].isdigit():
                    raise csv.Error(f"row {rows.line_num} is not a learner's result")
                self.done.add(int(row[0]))
        except csv.Error as exc:
            raise OutputError(
                f"{self.path}: is not a CSV file of credstack batch results ({exc}); "
                "write the results to another file"
            ) from None
        f.seek(0, os.SEEK_END)

    def write(self, results: Iterable[Evaluated]) -> None:
        for r in results:
            self.writer.writerow([_text_cell(v) for v in row_of(r, self.header)])
            self.written = True
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def _drop_cut_line(f: BinaryIO) -> None:
    """Truncate a file after its last newline: what follows was cut short."""
    end = f.seek(0, os.SEEK_END)
    position = end
    while position > 0:
        step = min(position, 1 << 16)
        f.seek(position - step)
        block = f.read(step)
        at = block.rfind(b"\n")
        if at >= 0:
            keep = position - step + at + 1
            if keep != end:
                f.truncate(keep)
            return
        position -= step
    f.truncate(0)
