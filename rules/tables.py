"""Reference tables: typed columns, a key, validity windows, rows inline or from a file.

A course catalogue, a list of approved providers with validity windows, a mapping from external
credentials to local modules, an export of a quality assurance register: each is a table
declared in the policy (or an organisation's vocabulary file). Rows are checked here: every cell
typed, no key repeated (or, with validity columns, no two windows of one key overlapping).
Conditions test "this credential matches a row of T, valid on a date, where ..." and lookups
read a column of the matched row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from rules.catalogue import CREDENTIAL, Subject
from rules.errors import Problem, describe, suggest
from rules.policy import Column, Table
from rules.values import INVALID, ValueReader

MAX_ROWS = 50_000
MAX_COLUMNS = 40
COLUMN_TYPES = ("text", "code", "integer", "decimal", "date", "country", "boolean", "uri", "isced")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, default=lambda v: _plain(v))
_TABLE_KEYS = {"title", "version", "source", "columns", "key", "valid", "rows", "file"}

# file name → parsed rows (a list of mappings or of lists); supplied by whoever loads the policy
RowSource = Callable[[str, str], Any]


class TableReader:
    def __init__(self, problems: list[Problem], rows_from_file: RowSource | None = None):
        self.problems = problems
        self.rows_from_file = rows_from_file
        self.values = ValueReader(problems)

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))

    def read_all(self, raw: Any, path: str) -> dict[str, Table]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self._problem(path, "expected a mapping of tables by id", raw)
            return {}
        out = {}
        for table_id, body in raw.items():
            where = f"{path}.{table_id}"
            if not isinstance(table_id, str) or not NAME.match(table_id):
                self._problem(
                    where, "expected a table id of lower-case letters, digits and _", table_id
                )
                continue
            found = self.read(table_id, body, where)
            if found is not None:
                out[table_id] = found
        return out

    def read(self, table_id: str, raw: Any, path: str) -> Table | None:
        if not isinstance(raw, dict):
            self._problem(
                path, "expected a table: title, version, columns, key, rows (or file)", raw
            )
            return None
        for key in sorted(set(raw) - _TABLE_KEYS, key=str):
            self.problems.append(Problem(f"{path}.{key}", "unknown key", suggest(key, _TABLE_KEYS)))
        columns = self._columns(raw.get("columns"), f"{path}.columns")
        if columns is None:
            return None
        names = [c.name for c in columns]
        key = raw.get("key")
        key = [key] if isinstance(key, str) else key
        if not isinstance(key, list) or not key or any(k not in names for k in key):
            self._problem(f"{path}.key", f"expected column names from: {', '.join(names)}", key)
            return None
        valid = raw.get("valid")
        start = end = None
        if valid is not None:
            ok = isinstance(valid, dict) and set(valid) <= {"from", "to"} and valid
            dates = {c.name for c in columns if c.type == "date"}
            if not ok or any(v not in dates for v in valid.values()):
                self._problem(
                    f"{path}.valid", "expected {from: DATE COLUMN, to: DATE COLUMN}", valid
                )
                return None
            start, end = valid.get("from"), valid.get("to")
        rows = self._raw_rows(raw, path)
        if rows is None:
            return None
        typed = self._rows(rows, columns, f"{path}.rows")
        if typed is None:
            return None
        # The rows are a set: put in one canonical order (repr tells every typed value apart
        # and is computed at C speed), which is also the order the digest reads.
        ordered = sorted(typed, key=repr)
        if not self._unique(ordered, columns, tuple(key), start, end, path):
            return None
        text = _ENCODER.encode(ordered)
        version = raw.get("version")
        if not isinstance(version, (str, int)) or isinstance(version, bool) or not str(version):
            self._problem(f"{path}.version", "expected the table's version", version)
            version = ""
        return Table(
            table_id,
            _text(raw.get("title")) or table_id,
            str(version),
            _text(raw.get("source")) or "",
            columns,
            tuple(key),
            start,
            end,
            tuple(ordered),
            hashlib.sha256(text.encode()).hexdigest(),
        )

    def _columns(self, raw: Any, path: str) -> tuple[Column, ...] | None:
        if not isinstance(raw, dict) or not 1 <= len(raw) <= MAX_COLUMNS:
            self._problem(path, f"expected a mapping of 1 to {MAX_COLUMNS} columns to types", raw)
            return None
        out = []
        for name, spec in raw.items():
            where = f"{path}.{name}"
            if not isinstance(name, str) or not NAME.match(name):
                self._problem(
                    where, "expected a column name of lower-case letters, digits, _", name
                )
                return None
            kind, values = spec, ()
            if isinstance(spec, dict):
                kind = spec.get("type")
                codes = spec.get("values")
                if kind == "code" and isinstance(codes, list) and codes:
                    values = tuple(str(c) for c in codes)
                elif kind == "code":
                    self._problem(f"{where}.values", "a code column lists its values", codes)
                    return None
            if kind not in COLUMN_TYPES:
                self._problem(where, f"expected a type: {', '.join(COLUMN_TYPES)}", kind)
                return None
            if kind == "code" and not values:
                self._problem(where, "a code column is written {type: code, values: [...]}", spec)
                return None
            out.append(Column(name, kind, values))
        return tuple(out)

    def _raw_rows(self, raw: dict, path: str) -> list | None:
        if ("rows" in raw) == ("file" in raw):
            self._problem(path, "expected either rows or file", sorted(raw))
            return None
        if "file" in raw:
            name = raw["file"]
            if not isinstance(name, str) or self.rows_from_file is None:
                self._problem(f"{path}.file", "expected a file next to the policy", name)
                return None
            try:
                rows = self.rows_from_file(name, f"{path}.file")
            except ValueError as exc:
                self.problems.append(Problem(f"{path}.file", str(exc)))
                return None
        else:
            rows = raw["rows"]
        if not isinstance(rows, list):
            self._problem(f"{path}.rows", "expected a list of rows", rows)
            return None
        if len(rows) > MAX_ROWS:
            self.problems.append(
                Problem(f"{path}.rows", f"a table has at most {MAX_ROWS:,} rows; got {len(rows):,}")
            )
            return None
        return rows

    def _rows(self, rows: list, columns: tuple[Column, ...], path: str) -> list[tuple] | None:
        names = [c.name for c in columns]
        readers = [(_fast_reader(c), c, _subject(c)) for c in columns]
        out, before = [], len(self.problems)
        for i, row in enumerate(rows):
            if type(row) is list and len(row) == len(columns):
                cells = row
            elif isinstance(row, dict) and set(row) <= set(names):
                cells = [row.get(n) for n in names]
            else:
                self._bad_row(row, names, f"{path}[{i}]")
                continue
            values = []
            for raw, (fast, column, subject) in zip(cells, readers, strict=True):
                value = fast(raw)
                if value is _SLOW:
                    value = self._cell(raw, f"{path}[{i}].{column.name}", column, subject)
                values.append(value)
            out.append(tuple(values))
            if len(self.problems) - before > 50:
                self.problems.append(Problem(path, "more than 50 problems in rows; stopped"))
                return None
        return None if len(self.problems) > before else out

    def _bad_row(self, row: Any, names: list[str], where: str) -> None:
        if isinstance(row, list):
            self._problem(where, f"expected {len(names)} cells ({', '.join(names)})", row)
        elif isinstance(row, dict):
            extra = sorted(set(row) - set(names), key=str)
            self._problem(where, f"unknown column(s); expected: {', '.join(names)}", extra)
        else:
            self._problem(where, "expected a row (a mapping or a list of cells)", row)

    def _cell(self, raw: Any, where: str, column: Column, subject: Subject) -> Any:
        """A cell read in full, its problems reported (the fast readers handle the usual cells)."""
        if raw is None or raw == "":
            return None
        kind = column.type
        if isinstance(raw, str):
            if kind in ("integer", "decimal"):
                try:  # rows from CSV files are text
                    raw = int(raw) if kind == "integer" else float(raw)
                except ValueError:
                    pass
            elif kind == "boolean":
                raw = {"true": True, "false": False, "yes": True, "no": False}.get(raw.lower(), raw)
        found = self.values.scalar(raw, where, subject)
        return None if found is INVALID else found

    def _unique(
        self, rows: list, columns: tuple, key: tuple, start: Any, end: Any, path: str
    ) -> bool:
        index = {c.name: i for i, c in enumerate(columns)}
        k = [index[n] for n in key]
        keys = [tuple(row[i] for i in k) for row in rows]
        if len(set(keys)) == len(rows) and not any(None in key_value for key_value in keys):
            return True  # the usual case: every key once, none empty
        by_key: dict[tuple, list[tuple]] = {}
        for row in rows:
            if any(row[i] is None for i in k):
                self.problems.append(
                    Problem(f"{path}.rows", f"a row has an empty key: {_show(row)}")
                )
                return False
            by_key.setdefault(tuple(row[i] for i in k), []).append(row)
        for key_value, group in by_key.items():
            if len(group) == 1:
                continue
            if start is None and end is None:
                self.problems.append(
                    Problem(f"{path}.rows", f"key {_show(key_value)} appears {len(group)} times")
                )
                return False
            windows = sorted(
                (r[index[start]] if start else dt.date.min, r[index[end]] if end else dt.date.max)
                for r in group
            )
            for (a0, a1), (b0, b1) in zip(windows, windows[1:], strict=False):
                if b0 <= (a1 or dt.date.max) and (a0 or dt.date.min) <= (b1 or dt.date.max):
                    self.problems.append(
                        Problem(
                            f"{path}.rows",
                            f"key {_show(key_value)} has overlapping validity windows "
                            f"({_show((a0, a1))} and {_show((b0, b1))})",
                        )
                    )
                    return False
        return True


_SLOW = object()  # "read this cell in full"


def _fast_reader(column: Column) -> Callable[[Any], Any]:
    """The cell reader for what tables mostly hold (text, codes, ISO dates, empty cells); any
    other cell gives `_SLOW` and is read, and reported if wrong, by `TableReader._cell`."""
    kind, codes = column.type, frozenset(column.values)

    def read(raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if type(raw) is str:
            if kind == "text" or (kind == "code" and raw in codes):
                return raw
            if kind == "date" and len(raw) == 10:
                try:
                    return dt.date.fromisoformat(raw)
                except ValueError:
                    return _SLOW
        return _SLOW

    return read


def _subject(column: Column) -> Subject:
    """A column as the subject its cells are read against (type, codes, name in messages)."""
    values = tuple((v, v) for v in column.values)
    return Subject(column.name, CREDENTIAL, "column", column.name, column.name, column.type, values)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() and len(value) <= 500 else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "denominator"):
        return str(value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(str(_plain(v)) for v in value) + ")"
    return str(_plain(value))
