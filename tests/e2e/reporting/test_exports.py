"""Exports through the gateway: the service log as CSV and as XLSX holds the same rows as its
pages, with the filters written above them; other reports export their answer; the scope and
the errors are the report's own."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.e2e.identity.helpers import ok, reason, violations
from tests.e2e.reporting.conftest import ReportingStack
from tests.e2e.reporting.world import ADMIN, World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _export(reporting: ReportingStack, login: tuple[str, ...], **params):
    return await reporting.client.get(
        "/v1/reports:export", params=params, headers=await reporting.as_user(*login)
    )


def _split(rows: list[list]) -> tuple[dict, list[str], list[list]]:
    """(about, header, data) of an export's rows: name/value rows, a blank row, the table."""
    blank = next(i for i, row in enumerate(rows) if not any(v not in (None, "") for v in row))
    about = {row[0]: row[1] for row in rows[:blank]}
    return about, list(rows[blank + 1]), [list(r) for r in rows[blank + 2 :]]


def _csv_rows(body: bytes) -> list[list]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(body: bytes) -> list[list]:
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]


async def _pages(reporting: ReportingStack, login: tuple[str, ...], **params) -> list[dict]:
    entries, token = [], ""
    while True:
        page = await ok(
            await reporting.client.get(
                "/v1/reports/service-log",
                params={**params, "pageSize": 1, "pageToken": token},
                headers=await reporting.as_user(*login),
            )
        )
        entries += page.get("entries", [])
        if not (token := page.get("nextPageToken", "")):
            return entries


async def test_the_service_log_as_csv_and_xlsx_holds_the_rows_of_its_pages(
    reporting: ReportingStack, world: World
):
    admin_a = (world.a.enterprise_admin, "demo-2026")
    paged = await _pages(reporting, admin_a)
    assert len(paged) >= 3
    expected = [(e["ticketId"], e["number"], e["finalStatus"], e["title"]) for e in paged]
    assert any("\t" in title and '"' in title for *_, title in expected)  # escaping matters
    for file_format, reader, media in (
        ("EXPORT_FORMAT_CSV", _csv_rows, "text/csv"),
        ("EXPORT_FORMAT_XLSX", _xlsx_rows, XLSX),
    ):
        response = await _export(reporting, admin_a, format=file_format)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        assert response.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
        about, header, data = _split(reader(response.content))
        assert about["report"] == "service-log"
        assert about["scope"] == f"enterprise {world.a.enterprise_id}"
        assert about["filter.timeZone"] == "Asia/Shanghai"
        column = {name: i for i, name in enumerate(header)}
        assert [
            tuple(r[column[c]] for c in ("ticketId", "number", "finalStatus", "title"))
            for r in data
        ] == expected
        names = {r[column["enterpriseName"]] for r in data}
        assert names == {e.get("enterpriseName", "") for e in paged}
        closed = [r for r in data if r[column["finalStatus"]] == "closed"]
        assert closed and all(r[column["closeTime"]] for r in closed)


async def test_a_filtered_export_says_its_filter_and_keeps_to_it(
    reporting: ReportingStack, world: World
):
    e1 = world.a.engineers[0]["engineerId"]
    params = {"filter.engineerId": e1, "filter.timeZone": "Europe/Berlin"}
    paged = await _pages(reporting, ADMIN, **params)
    response = await _export(reporting, ADMIN, **params)
    about, header, data = _split(_csv_rows(response.content))
    assert about["filter.engineerId"] == e1
    assert about["filter.timeZone"] == "Europe/Berlin"
    assert about["scope"] == "platform"
    assert [r[header.index("ticketId")] for r in data] == [e["ticketId"] for e in paged]
    assert all(r[header.index("engineerId")] == e1 for r in data)
    assert all(r[header.index("createTime")].endswith(("+01:00", "+02:00")) for r in data)


async def test_reports_export_their_answer(reporting: ReportingStack, world: World):
    enterprise = {"filter.enterpriseId": world.a.enterprise_id}
    volume = await ok(
        await reporting.client.get(
            "/v1/reports/volume",
            params={**enterprise, "interval": "INTERVAL_MONTH"},
            headers=await reporting.as_user(*ADMIN),
        )
    )
    response = await _export(
        reporting, ADMIN, report="EXPORTED_REPORT_VOLUME", interval="INTERVAL_MONTH", **enterprise
    )
    about, header, data = _split(_csv_rows(response.content))
    assert about["interval"] == "month"
    assert header == ["startTime", "created", "resolved", "closed", "cancelled", "backlog"]
    assert [int(r[1]) for r in data] == [b.get("created", 0) for b in volume["buckets"]]
    assert [int(r[5]) for r in data] == [b.get("backlog", 0) for b in volume["buckets"]]

    response = await _export(
        reporting, (world.a.provider_admin, "demo-2026"),
        report="EXPORTED_REPORT_TOP_TEN", dimension="DIMENSION_ENGINEER",
        format="EXPORT_FORMAT_XLSX",
    )  # fmt: skip
    about, header, data = _split(_xlsx_rows(response.content))
    assert about["scope"] == f"provider {world.a.provider_id}"
    e1, e2 = (e["engineerId"] for e in world.a.engineers)
    assert [(r[1], r[3]) for r in data] == [(e1, 2), (e2, 1)]

    for report in ("DURATIONS", "SLA_COMPLIANCE", "WORKLOAD", "SATISFACTION"):
        response = await _export(reporting, ADMIN, report=f"EXPORTED_REPORT_{report}", **enterprise)
        assert response.status_code == 200
        about, header, data = _split(_csv_rows(response.content))
        assert about["report"] == report.lower().replace("_", "-")
        assert data
    satisfaction = _split(_csv_rows(response.content))[2]
    assert {int(score): int(n) for score, n in satisfaction} == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}


async def test_exports_are_refused_like_their_reports(reporting: ReportingStack, world: World):
    engineer = (world.a.engineers[0]["phone"], "demo-2026")
    refused = await _export(reporting, engineer)
    assert refused.status_code == 403
    assert reason(refused.json()) == "PERMISSION_MISSING"
    assert (await reporting.client.get("/v1/reports:export")).status_code == 401
    bad = await _export(reporting, ADMIN, **{"filter.timeZone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert "filter.timeZone" in violations(bad.json())
    bad = await _export(reporting, ADMIN, format="EXPORT_FORMAT_PDF")
    assert bad.status_code == 400
    assert "format" in violations(bad.json())
    provider_b = (world.b.provider_admin, "demo-2026")
    other = await _export(reporting, provider_b, **{"filter.providerId": world.a.provider_id})
    assert _split(_csv_rows(other.content))[2] == []
