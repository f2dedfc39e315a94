"""An impact report as a table: one line per change of a case (or per case that could not be
compared), for CSV and Excel downloads and `credstack policy impact --out`.

Cells a spreadsheet would run as a formula start with an apostrophe; no learner is named (a case
is its reference and id; a cohort learner its line, and its id only when the caller adds it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

HEADER = ["case", "case_id", "kind", "rule", "title", "from", "to", "error"]
# A cohort on the desk: the learner's line in the file, nothing that names them.
LINE_HEADER = ["line", "kind", "rule", "title", "from", "to", "error"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def lines(rows: Iterable[Mapping[str, Any]], header: list[str] = HEADER) -> list[list[Any]]:
    """The header, then a line per change; `rows` are report rows (reference, case_id, changes
    or error) or cohort rows (line, learner, changes or error). Under `LINE_HEADER` a row is
    its line alone."""
    out: list[list[Any]] = [list(header)]
    for row in rows:
        key = row.get("reference", row.get("line"))
        ident = [] if header == LINE_HEADER else [row.get("case_id", row.get("learner"))]
        if row.get("error"):
            out.append([key, *ident, "error", None, None, None, None, row["error"]])
            continue
        for c in row.get("changes", []):
            out.append([key, *ident, c["kind"], c.get("rule"), c.get("title"),
                        _cell(c.get("from")), _cell(c.get("to")), None])  # fmt: skip
    return out


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list | dict) else value


def _safe(value: Any) -> Any:
    if not isinstance(value, str):
        return "" if value is None else value
    value = " ".join(value.splitlines())
    return "'" + value if value.startswith(_FORMULA) else value


def to_csv(table: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line in table:
        writer.writerow([_safe(v) for v in line])
    return buffer.getvalue()


def to_xlsx(table: list[list[Any]], summary: Mapping[str, int] | None = None) -> bytes:
    """The changes on a sheet "changes", and the counts by kind on a sheet "summary"."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("changes")
    for line in table:
        sheet.append([_safe(v) for v in line])
    if summary is not None:
        counts = book.create_sheet("summary")
        counts.append(["kind", "cases"])
        for kind, n in summary.items():
            counts.append([kind, n])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
