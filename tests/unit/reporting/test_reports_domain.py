"""Who may count what, the default range, and buckets cut in the caller's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.reporting.domain.reports import (
    Caller,
    Filter,
    Interval,
    Scope,
    buckets,
    resolve,
    scope_of,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("caller", "scope"),
    [
        (Caller("platform", "", True), Scope()),
        (Caller("enterprise", "ent-a", True), Scope(enterprise_id="ent-a")),
        (Caller("provider", "prov-a", True), Scope(provider_id="prov-a")),
    ],
)
def test_staff_with_the_permission_count_their_own_tickets(caller, scope):
    assert scope_of(caller) == scope


@pytest.mark.parametrize(
    "caller",
    [
        Caller("engineer", "prov-a", True),
        Caller("enterprise", "ent-a", False),
        Caller("provider", "prov-a", False),
        Caller("platform", "", False),
        Caller("enterprise", "", True),
    ],
)
def test_anyone_else_is_refused(caller):
    with pytest.raises(DomainError) as refused:
        scope_of(caller)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


def test_no_range_is_the_last_30_days_in_the_default_zone():
    query = resolve(Filter(), Scope(), now=NOW, default_zone="Asia/Shanghai", default_days=30)
    assert (query.start, query.end) == (NOW - timedelta(days=30), NOW)
    assert query.zone == SHANGHAI


def test_a_backwards_range_and_an_unknown_zone_name_their_fields():
    for asked, field in (
        (Filter(start=NOW, end=NOW - timedelta(days=1)), "filter.start_time"),
        (Filter(time_zone="Mars/Olympus"), "filter.time_zone"),
        (Filter(time_zone="../../etc/passwd"), "filter.time_zone"),
    ):
        with pytest.raises(DomainError) as refused:
            resolve(asked, Scope(), now=NOW, default_zone="UTC", default_days=30)
        assert refused.value.violations[0].field == field


def _query(start: datetime, end: datetime, zone: str = "Asia/Shanghai"):
    return resolve(
        Filter(start=start, end=end, time_zone=zone),
        Scope(),
        now=NOW,
        default_zone="UTC",
        default_days=30,
    )


def test_days_start_at_local_midnight():
    # 2026-11-29 20:00 UTC is 04:00 on the 30th in Shanghai.
    query = _query(datetime(2026, 11, 28, 20, tzinfo=UTC), datetime(2026, 11, 30, 1, tzinfo=UTC))
    assert [b.isoformat() for b in buckets(query, Interval.DAY)] == [
        "2026-11-29T00:00:00+08:00",
        "2026-11-30T00:00:00+08:00",
    ]


def test_weeks_start_on_monday_months_on_the_first_years_on_new_year():
    query = _query(datetime(2025, 12, 31, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    weeks = buckets(query, Interval.WEEK)
    assert weeks[0].isoformat() == "2025-12-29T00:00:00+08:00"
    assert all(w.weekday() == 0 for w in weeks)
    assert [m.date().isoformat() for m in buckets(query, Interval.MONTH)] == [
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    assert [y.year for y in buckets(query, Interval.YEAR)] == [2025, 2026]


def test_too_many_buckets_is_a_clear_error():
    query = _query(datetime(2000, 1, 1, tzinfo=UTC), NOW)
    with pytest.raises(DomainError) as refused:
        buckets(query, Interval.DAY)
    assert refused.value.violations[0].field == "interval"


def test_the_fitting_interval_is_the_shortest_under_the_bucket_cap():
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from services.reporting.domain.reports import Interval, Query, Scope, buckets, fitting_interval

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for days, expected in ((30, Interval.DAY), (2_000, Interval.WEEK), (20_000, Interval.MONTH),
                           (40_000, Interval.YEAR)):  # fmt: skip
        query = Query(start, start + timedelta(days=days), ZoneInfo("Asia/Shanghai"), Scope())
        assert fitting_interval(query) is expected
        assert len(buckets(query, expected)) <= 1_000
