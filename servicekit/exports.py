"""Tables written as CSV or XLSX files, streamed: rows arrive in batches and leave as chunks of
bytes, so an export of a million rows never sits in memory.

A file starts with what it is about (the report's name, its filters, when it was cut) as
name/value rows, then a blank row, then the header row and the data. CSV is UTF-8 with a
byte-order mark so Excel opens Chinese text correctly; XLSX is written by openpyxl's write-only
workbook (rows go to a temporary file as they come; the zip is then read out in chunks) and
continues on a new sheet past Excel's row limit. Text that a spreadsheet would run as a formula
(starting with = + - @ or a tab) is written with a leading apostrophe (OWASP's CSV injection
advice), in both formats."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

Cell = str | int | float | datetime | None
Batch = Sequence[Sequence[Cell]]
CHUNK_BYTES = 64 * 1024
XLSX_MAX_ROWS = 1_048_576
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileFormat(Enum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def content_type(self) -> str:
        if self is FileFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    """A report as rows: `about` is written above the header (name/value pairs), `batches`
    yields the data a batch at a time, each row in `columns` order."""

    name: str
    about: Sequence[tuple[str, str]]
    columns: Sequence[str]
    batches: AsyncIterable[Batch]


def disposition(filename: str) -> str:
    """A Content-Disposition for a download, ASCII-safe whatever the name (RFC 6266/5987)."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return safe_text(value)
    return value


def _xlsx_cell(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: local time of the file
    if isinstance(value, str):
        return safe_text(value)
    return value


def chunks(table: Table, file_format: FileFormat) -> AsyncIterator[bytes]:
    return csv_chunks(table) if file_format is FileFormat.CSV else xlsx_chunks(table)


async def csv_chunks(table: Table) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerows([name, safe_text(value)] for name, value in table.about)
    writer.writerow([])
    writer.writerow(table.columns)
    async for batch in table.batches:
        writer.writerows([_csv_cell(v) for v in row] for row in batch)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Sheets:
    """Write-only worksheets of one workbook, a new one whenever a sheet is full."""

    def __init__(self, table: Table):
        self.workbook = Workbook(write_only=True)
        self._table = table
        self._sheet: Any = None
        self._rows = 0
        self._bold = Font(bold=True)

    def _header(self) -> list[Any]:
        assert self._sheet is not None
        cells: list[Any] = []
        for name in self._table.columns:
            cell = WriteOnlyCell(self._sheet, value=name)
            cell.font = self._bold
            cells.append(cell)
        return cells

    def _new_sheet(self) -> None:
        number = len(self.workbook.worksheets) + 1
        title = self._table.name[:28] if number == 1 else f"{self._table.name[:24]} ({number})"
        self._sheet = self.workbook.create_sheet(title)
        self._rows = 0
        if number == 1:
            for name, value in self._table.about:
                self._append([name, safe_text(value)])
            self._append([])
        self._append(self._header())

    def _append(self, row: Sequence[Any]) -> None:
        assert self._sheet is not None
        self._sheet.append(row)
        self._rows += 1

    def start(self) -> None:
        self._new_sheet()

    def add(self, batch: Batch) -> None:
        for row in batch:
            if self._rows >= XLSX_MAX_ROWS:
                self._new_sheet()
            cells: list[Any] = []
            for value in row:
                converted = _xlsx_cell(value)
                if isinstance(converted, datetime):
                    cell = WriteOnlyCell(self._sheet, value=converted)
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                    cells.append(cell)
                else:
                    cells.append(converted)
            self._append(cells)


async def xlsx_chunks(table: Table) -> AsyncIterator[bytes]:
    sheets = _Sheets(table)
    sheets.start()
    async for batch in table.batches:
        await asyncio.to_thread(sheets.add, batch)
    with tempfile.TemporaryFile() as file:
        await asyncio.to_thread(sheets.workbook.save, file)
        await asyncio.to_thread(file.seek, 0)
        while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
            yield chunk
