"""CSV and XLSX writers: the file says what it holds, then the table; formulas are defused;
times keep their zone in CSV and their local wall time in XLSX; a full sheet continues on the
next."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from servicekit import exports
from servicekit.exports import FileFormat, Table, disposition

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI)


async def _batches(*batches):
    for batch in batches:
        yield batch


def _table(*batches) -> Table:
    return Table(
        name="service-log",
        about=[("report", "service-log"), ("filter.engineerId", "=HYPERLINK(1)")],
        columns=["ticketId", "title", "createTime", "score"],
        batches=_batches(*batches),
    )


async def _bytes(table: Table, file_format: FileFormat) -> bytes:
    return b"".join([chunk async for chunk in exports.chunks(table, file_format)])


async def test_csv_is_about_then_table_with_bom_and_defused_formulas():
    body = await _bytes(
        _table([["t-1", "打印机坏了", MOMENT, 5]], [["t-2", "=1+1", None, None]]), FileFormat.CSV
    )
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["report", "service-log"],
        ["filter.engineerId", "'=HYPERLINK(1)"],
        [],
        ["ticketId", "title", "createTime", "score"],
        ["t-1", "打印机坏了", "2026-11-30T09:30:00+08:00", "5"],
        ["t-2", "'=1+1", "", ""],
    ]


async def test_csv_streams_in_chunks_as_rows_arrive(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_BYTES", 100)
    batches = [[[f"t-{b}-{n}", "x" * 40, None, n] for n in range(5)] for b in range(4)]
    chunks = [c async for c in exports.csv_chunks(_table(*batches))]
    assert len(chunks) >= 4
    assert b"".join(chunks).decode("utf-8-sig").count("\r\n") == 2 + 1 + 1 + 20


async def test_xlsx_holds_the_same_rows_and_continues_past_a_full_sheet(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 6)
    rows = [[f"t-{n}", "-危险" if n == 0 else "ok", MOMENT, n] for n in range(7)]
    body = await _bytes(_table(rows[:3], rows[3:]), FileFormat.XLSX)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    sheets = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
    assert [s.title for s in workbook.worksheets] == [
        "service-log",
        "service-log (2)",
    ]
    first = sheets[0]
    assert first[0] == ["report", "service-log"]
    assert first[1] == ["filter.engineerId", "'=HYPERLINK(1)"]
    assert first[3] == ["ticketId", "title", "createTime", "score"]
    assert first[4] == ["t-0", "'-危险", datetime(2026, 11, 30, 9, 30), 0]
    data = [r for s in sheets for r in s if r and r[0] and str(r[0]).startswith("t-")]
    assert [r[0] for r in data] == [f"t-{n}" for n in range(7)]
    assert all(
        s[0 if i else 3] == ["ticketId", "title", "createTime", "score"]
        for i, s in enumerate(sheets)
    )


def test_a_download_name_is_ascii_whatever_it_says():
    assert disposition("服务日志 1.csv") == (
        "attachment; filename*=UTF-8''%E6%9C%8D%E5%8A%A1%E6%97%A5%E5%BF%97%201.csv"
    )
