"""Find the rows of a reference table that a credential (or the application) matches, on a date.

Rows are indexed once per table and set of match columns, so a test costs a dictionary lookup
whatever the table's size. Text is matched without case and with spaces collapsed; codes, ids
and numbers exactly. A row is valid on a date when the date falls within its window (inclusive;
an empty end is open). Three-valued like everything else: a missing match value or date gives
unknown, never "no match".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rules.numbers import exact
from rules.policy import Atom, Table, TableTest

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


class NoRow:
    """A lookup found no row: the value is not unknown, it does not exist."""

    def __repr__(self) -> str:
        return "no matching row"


NO_ROW = NoRow()


@dataclass(frozen=True)
class Possible:
    """One of several values (rows that disagree, or a classification waiting on evidence)."""

    values: frozenset[Any]


def normal(value: Any, column_type: str) -> Any:
    if column_type == "text" and isinstance(value, str):
        return " ".join(value.casefold().split())
    if column_type == "decimal" and value is not None and not isinstance(value, str):
        return exact(value)
    return value


_indexes: dict[tuple[str, tuple[str, ...]], dict[tuple, list[tuple]]] = {}


def index(table: Table, columns: tuple[str, ...]) -> dict[tuple, list[tuple]]:
    """Rows by the values of `columns` (normalised), built once per table digest and columns."""
    key = (table.digest, columns)
    found = _indexes.get(key)
    if found is None:
        if len(_indexes) > 256:
            _indexes.clear()
        positions = [table.column(c) for c in columns]
        types = [table.columns[i].type for i in positions]
        found = {}
        for row in table.rows:
            values = tuple(normal(row[i], t) for i, t in zip(positions, types, strict=True))
            found.setdefault(values, []).append(row)
        _indexes[key] = found
    return found


def valid_on(table: Table, row: tuple, day: dt.date) -> bool:
    if table.valid_from is not None:
        start = row[table.column(table.valid_from)]
        if start is not None and day < start:
            return False
    if table.valid_to is not None:
        end = row[table.column(table.valid_to)]
        if end is not None and day > end:
            return False
    return True


def matching_rows(
    test: TableTest,
    table: Table,
    get: Callable[[str], Any],
    as_of: dt.date,
    column_status: Callable[[Atom, Any], str],
) -> tuple[str, list[tuple], list[str]]:
    """(status of "some valid row matches", rows that match, rows' statuses)."""
    values = [get(key) for _, key in test.match]
    day = get(test.on) if test.on else as_of
    if any(v is None for v in values) or day is None:
        return UNKNOWN, [], []
    columns = tuple(c for c, _ in test.match)
    types = [table.columns[table.column(c)].type for c in columns]
    wanted = tuple(normal(v, t) for v, t in zip(values, types, strict=True))
    rows = [r for r in index(table, columns).get(wanted, ()) if valid_on(table, r, day)]
    statuses = []
    for row in rows:
        found = [column_status(atom, row[table.column(atom.element[7:])]) for atom in test.where]
        statuses.append(NOT_MET if NOT_MET in found else UNKNOWN if UNKNOWN in found else MET)
    status = MET if MET in statuses else UNKNOWN if UNKNOWN in statuses else NOT_MET
    return status, [r for r, s in zip(rows, statuses, strict=True) if s == MET], statuses
