"""Reports through the gateway over tickets that lived their lives through the gateway: two
enterprises, each with its provider; five tickets closed, cancelled or still open, rated or
not. Each report is checked against what happened, and against who asks: a provider's admin
never counts another provider's tickets, an enterprise's admin never another enterprise's, an
engineer and a member without `report.read` get 403."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from tests.e2e.identity.helpers import (
    ok,
    reason,
    violations,
)
from tests.e2e.reporting.conftest import ReportingStack
from tests.e2e.reporting.world import ADMIN, World


async def _report(reporting: ReportingStack, login: tuple[str, ...], path: str, **params):
    response = await reporting.client.get(
        f"/v1/reports/{path}", params=params, headers=await reporting.as_user(*login)
    )
    return response


async def _get(reporting: ReportingStack, login: tuple[str, ...], path: str, **params) -> dict:
    return await ok(await _report(reporting, login, path, **params))


async def test_volume_by_day_and_by_year_counts_each_step_and_the_backlog(
    reporting: ReportingStack, world: World
):
    for interval in ("INTERVAL_DAY", "INTERVAL_YEAR"):
        found = await _get(
            reporting, ADMIN, "volume",
            **{"filter.enterpriseId": world.a.enterprise_id, "interval": interval},
        )  # fmt: skip
        last = found["buckets"][-1]
        assert (last["created"], last["closed"], last["cancelled"], last["backlog"]) == (4, 2, 1, 1)
        assert last["resolved"] == 2
        assert all(b.get("created", 0) == 0 for b in found["buckets"][:-1])
    days = await _get(reporting, ADMIN, "volume", **{"filter.enterpriseId": world.a.enterprise_id})
    assert len(days["buckets"]) in (30, 31)  # the last 30 days by default, whole local days


async def test_a_service_type_counts_its_whole_subtree_now_and_as_of_a_moment(
    reporting: ReportingStack, world: World
):
    root = world.tickets["a1"]["serviceTypePath"][0]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for moment in ({}, {"filter.asOfTime": now}):
        for type_id, created in ((root, 4), ("no-such-type", 0)):
            found = await _get(
                reporting, ADMIN, "volume",
                **{"filter.enterpriseId": world.a.enterprise_id, "filter.serviceTypeId": type_id,
                   "interval": "INTERVAL_YEAR", **moment},
            )  # fmt: skip
            assert found["buckets"][-1].get("created", 0) == created, (type_id, moment)


async def test_the_top_ten_engineers_of_a_provider_by_count_and_by_satisfaction(
    reporting: ReportingStack, world: World
):
    e1, e2 = (e["engineerId"] for e in world.a.engineers)
    provider_admin = (world.a.provider_admin, "demo-2026")
    by_count = await _get(reporting, provider_admin, "top", dimension="DIMENSION_ENGINEER")
    assert [(e["id"], e["count"]) for e in by_count["entries"]] == [(e1, 2), (e2, 1)]
    assert all(e["displayName"] == "工程师" for e in by_count["entries"])
    by_rating = await _get(
        reporting, provider_admin, "top",
        dimension="DIMENSION_ENGINEER", measure="MEASURE_AVERAGE_SATISFACTION",
    )  # fmt: skip
    assert [(e["id"], e["averageScore"]) for e in by_rating["entries"]] == [(e1, 5.0), (e2, 3.0)]
    enterprises = await _get(
        reporting, ADMIN, "top",
        dimension="DIMENSION_ENTERPRISE", measure="MEASURE_AVERAGE_SERVICE_DURATION",
        **{"filter.providerId": world.a.provider_id},
    )  # fmt: skip
    assert [(e["id"], e["count"]) for e in enterprises["entries"]] == [(world.a.enterprise_id, 2)]
    assert enterprises["entries"][0]["averageServiceDuration"].endswith("s")


async def test_durations_overall_and_by_engineer(reporting: ReportingStack, world: World):
    found = await _get(
        reporting, ADMIN, "durations",
        groupBy="DIMENSION_ENGINEER", **{"filter.enterpriseId": world.a.enterprise_id},
    )  # fmt: skip
    assert found["service"]["count"] == 2  # closed tickets: created → closed
    assert found["resolution"]["count"] == 2
    assert found["response"]["count"] == 3  # every assigned ticket was responded to
    service = found["service"]
    assert (
        _seconds(service["minimum"]) <= _seconds(service["average"]) <= _seconds(service["maximum"])
    )
    groups = {g["id"]: g for g in found["groups"]}
    e1, e2 = (e["engineerId"] for e in world.a.engineers)
    assert set(groups) == {e1, e2}
    assert groups[e1]["response"]["count"] == 2 and groups[e1]["service"]["count"] == 1


async def test_satisfaction_and_sla_for_an_enterprise_admin(
    reporting: ReportingStack, world: World
):
    admin_a = (world.a.enterprise_admin, "demo-2026")
    found = await _get(reporting, admin_a, "satisfaction")
    assert found["byScore"] == {"5": 1, "3": 1}
    assert found["averageScore"] == 4.0 and found["count"] == 2
    rated = [bucket for bucket in found["trend"] if bucket.get("count")]
    assert [(b["count"], b["averageScore"]) for b in rated] == [(2, 4.0)]
    assert len(found["trend"]) in (30, 31)  # every day of the default range
    comments = found["comments"]
    assert sorted(c["score"] for c in comments) == [3, 5]
    assert {(c["comment"], c["engineerName"]) for c in comments} == {("好", "工程师")}
    e1, e2 = (e["engineerId"] for e in world.a.engineers)
    assert {c["score"]: c["engineerId"] for c in comments} == {5: e1, 3: e2}
    sla = await _get(reporting, admin_a, "sla")
    # The catalogue's level gives 1 h to respond and 1 day to resolve: all met so far.
    assert sla["responseTotal"] == sla["responseMet"] == 3
    assert sla["resolutionTotal"] == sla["resolutionMet"] == 2


async def test_the_workload_of_a_providers_engineers(reporting: ReportingStack, world: World):
    e1, e2 = (e["engineerId"] for e in world.a.engineers)
    provider_admin = (world.a.provider_admin, "demo-2026")
    found = await _get(reporting, provider_admin, "workload")
    rows = {e["engineerId"]: e for e in found["entries"]}
    assert set(rows) == {e1, e2}  # never another provider's engineers
    assert (rows[e1].get("open", 0), rows[e1]["handled"]) == (1, 1)  # a1 closed, a3 open
    assert (rows[e2].get("open", 0), rows[e2]["handled"]) == (0, 1)
    assert found["entries"][0]["engineerId"] == e1  # most open first
    assert rows[e1]["handledPerDay"] == round(1 / 30, 4)
    assert rows[e1]["averageResolution"].endswith("s")
    assert rows[e1]["displayName"] == "工程师"
    one = await _get(reporting, ADMIN, "workload", **{"filter.engineerId": e2})
    assert [e["engineerId"] for e in one["entries"]] == [e2]


async def test_the_service_log_lists_finished_tickets_with_names_and_pages(
    reporting: ReportingStack, world: World
):
    admin_a = (world.a.enterprise_admin, "demo-2026")
    whole = await _get(reporting, admin_a, "service-log")
    expected = {world.tickets[n]["ticketId"] for n in ("a1", "a2", "a4")}
    assert {e["ticketId"] for e in whole["entries"]} == expected
    assert "nextPageToken" not in whole or not whole["nextPageToken"]
    a1 = next(e for e in whole["entries"] if e["ticketId"] == world.tickets["a1"]["ticketId"])
    assert a1["finalStatus"] == "closed" and a1["ratingScore"] == 5 and a1["ratingComment"] == "好"
    assert a1["engineerName"] == "工程师" and a1["enterpriseName"].startswith("企业")
    assert a1["number"] == world.tickets["a1"]["number"]

    paged: list[str] = []
    token = ""
    while True:
        page = await _get(reporting, admin_a, "service-log", pageSize=1, pageToken=token)
        paged += [e["ticketId"] for e in page["entries"]]
        token = page.get("nextPageToken", "")
        if not token:
            break
    assert paged == [e["ticketId"] for e in whole["entries"]]

    e1 = world.a.engineers[0]["engineerId"]
    by_engineer = await _get(reporting, admin_a, "service-log", **{"filter.engineerId": e1})
    assert [e["ticketId"] for e in by_engineer["entries"]] == [world.tickets["a1"]["ticketId"]]


async def test_nobody_counts_another_organisations_tickets(reporting: ReportingStack, world: World):
    provider_a = (world.a.provider_admin, "demo-2026")
    other = await _get(
        reporting, provider_a, "satisfaction", **{"filter.providerId": world.b.provider_id}
    )
    assert other.get("count", 0) == 0 and not other.get("byScore")
    theirs = await _get(
        reporting, provider_a, "service-log", **{"filter.enterpriseId": world.b.enterprise_id}
    )
    assert theirs.get("entries", []) == []
    admin_b = (world.b.enterprise_admin, "demo-2026")
    own = await _get(reporting, admin_b, "satisfaction")
    assert own["byScore"] == {"4": 1}
    top = await _get(reporting, admin_b, "top", dimension="DIMENSION_ENGINEER")
    assert [e["id"] for e in top["entries"]] == [world.b.engineers[0]["engineerId"]]


@pytest.mark.parametrize(
    "path", ["volume", "durations", "top", "sla", "satisfaction", "workload", "service-log"]
)
async def test_engineers_members_and_strangers_get_no_report(
    reporting: ReportingStack, world: World, path: str
):
    engineer = (world.a.engineers[0]["phone"], "demo-2026")
    member = (world.a.member, "demo-2026")
    for login in (engineer, member):
        refused = await _report(reporting, login, path)
        assert refused.status_code == 403, login
        assert reason(refused.json()) == "PERMISSION_MISSING"
    anonymous = await reporting.client.get(f"/v1/reports/{path}")
    assert anonymous.status_code == 401


async def test_bad_filters_name_their_field(reporting: ReportingStack, world: World):
    for params, field in (
        ({"filter.timeZone": "Mars/Olympus"}, "filter.timeZone"),
        (
            {"filter.startTime": "2026-11-30T00:00:00Z", "filter.endTime": "2026-11-01T00:00:00Z"},
            "filter.startTime",
        ),
        ({"pageToken": "bm90LWEtdG9rZW4"}, "pageToken"),
        ({"pageSize": "-1"}, "pageSize"),
    ):
        refused = await _report(reporting, ADMIN, "service-log", **params)
        assert refused.status_code == 400, (params, refused.text)
        assert field in violations(refused.json()), refused.json()
    years = await _report(
        reporting, ADMIN, "volume",
        **{"filter.startTime": "2000-01-01T00:00:00Z", "interval": "INTERVAL_DAY"},
    )  # fmt: skip
    assert years.status_code == 400 and "interval" in violations(years.json())


def _seconds(value: str) -> float:
    return float(value.removesuffix("s"))


async def test_reports_as_of_a_moment_keep_to_the_callers_scope(
    reporting: ReportingStack, world: World
):
    as_of = {"filter.asOfTime": datetime.now(UTC).isoformat()}
    provider_b = (world.b.provider_admin, "demo-2026")
    other = await _get(
        reporting, provider_b, "service-log", **as_of, **{"filter.providerId": world.a.provider_id}
    )
    assert other.get("entries", []) == []
    mine = await _get(reporting, provider_b, "service-log", **as_of)
    assert mine["entries"] and {e["providerId"] for e in mine["entries"]} == {world.b.provider_id}
    admin_a = (world.a.enterprise_admin, "demo-2026")
    top = await _get(reporting, admin_a, "top", dimension="DIMENSION_ENTERPRISE", **as_of)
    assert [e["id"] for e in top["entries"]] == [world.a.enterprise_id]
    engineer = (world.a.engineers[0]["phone"], "demo-2026")
    refused = await _report(reporting, engineer, "volume", **as_of)
    assert refused.status_code == 403


async def test_service_types_carry_the_catalogues_name_and_follow_a_rename(
    reporting: ReportingStack, world: World
):
    """Tickets publishes its catalogue's changes (ticketing.tickets.catalog.v1); reporting
    names service types (and levels) from them."""
    type_id = world.tickets["a1"]["serviceTypeId"]
    mine = {"filter.enterpriseId": world.a.enterprise_id, "dimension": "DIMENSION_SERVICE_TYPE"}
    found = await _get(reporting, ADMIN, "top", **mine)
    assert [(e["id"], e["displayName"]) for e in found["entries"]] == [(type_id, "Wi-Fi")]
    renamed = f"无线网络-{type_id[:4]}"
    await ok(
        await reporting.client.patch(
            f"/v1/service-types/{type_id}",
            json={"displayName": renamed},
            headers=await reporting.as_user(*ADMIN),
        )
    )
    deadline = time.monotonic() + 30
    while (await _get(reporting, ADMIN, "top", **mine))["entries"][0]["displayName"] != renamed:
        assert time.monotonic() < deadline, "reporting never heard of the rename"
        await asyncio.sleep(0.2)
    grouped = await _get(
        reporting, ADMIN, "durations",
        groupBy="DIMENSION_SERVICE_TYPE", **{"filter.enterpriseId": world.a.enterprise_id},
    )  # fmt: skip
    assert [g["displayName"] for g in grouped["groups"]] == [renamed]
    log = await _get(
        reporting, ADMIN, "service-log", **{"filter.enterpriseId": mine["filter.enterpriseId"]}
    )
    assert log["entries"] and {e["serviceTypeName"] for e in log["entries"]} == {renamed}
    assert all(e["serviceLevelName"].startswith("级别-") for e in log["entries"])
