"""The results of a batch as an Excel workbook (.xlsx), written row by row (openpyxl's write-only
mode keeps memory flat) to a file beside the output and moved into place when the batch ends.

A workbook cannot be appended to, so a batch that continues one reads its rows (read-only mode,
row by row) into the new file first. An interrupted batch leaves the previous workbook as it was;
one stopped with Ctrl-C saves what it had.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

from models.population.outputs import LineSet, OutputError, Writer, row_of
from models.population.work import Evaluated

SHEET = "results"
MAX_ROWS = 1_048_576  # Excel's limit, the header row included


class WorkbookWriter(Writer):
    def __init__(self, path: Path, header: list[str]):
        self.path, self.header = path, header
        self.partial = path.with_name(f".{path.name}.partial")
        self.done = LineSet()
        self.created = not path.exists()
        self.rows = 0
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(SHEET)
        self._append(header)
        if path.exists():
            self._copy_existing()

    def _copy_existing(self) -> None:
        try:
            book = load_workbook(self.path, read_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise OutputError(
                f"{self.path}: is not a workbook of credstack batch results ({exc}); "
                "write the results to another file"
            ) from None
        try:
            sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            found = [("" if v is None else str(v)) for v in next(rows, ())]
            if found != self.header:
                raise OutputError(
                    f"{self.path}: has other columns than this policy's results; "
                    "write the results to another file"
                )
            for row in rows:
                if not row or not isinstance(row[0], int):
                    continue
                self.done.add(row[0])
                self._append(list(row[: len(self.header)]))
        finally:
            book.close()

    def _append(self, values: list[Any]) -> None:
        if self.rows >= MAX_ROWS:
            raise OutputError(
                f"{self.path}: a workbook holds at most {MAX_ROWS - 1:,} learners; "
                "write the results to a .csv or .jsonl file"
            )
        self.sheet.append([self._cell(v) for v in values])
        self.rows += 1

    def _cell(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        cell = WriteOnlyCell(self.sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
        cell.data_type = "s"  # text as written: never a formula
        return cell

    def write(self, results: Iterable[Evaluated]) -> None:
        for r in results:
            self._append(row_of(r, self.header))
            self.written = True

    def abandon(self) -> None:
        """Leave the workbook as it was (nothing is written until `close`)."""

    def close(self) -> None:
        try:
            self.book.save(self.partial)
            os.replace(self.partial, self.path)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write: {exc.strerror}") from None
        finally:
            if self.partial.exists():
                self.partial.unlink()
