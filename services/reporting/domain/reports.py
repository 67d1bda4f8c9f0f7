"""What a report asks and what its caller may count.

Every report is scoped by who asks: the platform's staff count every ticket, a provider's admin
the tickets his provider handles, an enterprise's admin his enterprise's tickets; anyone else
(an engineer, a user without `report.read`) is refused. The scope is applied on top of the
filter, so a filter naming another organisation finds nothing rather than something.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicekit.errors import FieldViolation, invalid_argument, permission_denied

REPORT_PERMISSION = "report.read"
MAX_BUCKETS = 1_000


class Interval(enum.StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, from Monday
    MONTH = "month"
    YEAR = "year"


class Dimension(enum.StrEnum):
    SERVICE_TYPE = "service_type"
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    ENGINEER = "engineer"


class Measure(enum.StrEnum):
    TICKET_COUNT = "ticket_count"
    SERVICE_DURATION = "service_duration"  # average created → closed, shortest first
    SATISFACTION = "satisfaction"  # average rating, best first


class Report(enum.StrEnum):
    """What an export holds."""

    SERVICE_LOG = "service-log"
    VOLUME = "volume"
    DURATIONS = "durations"
    TOP_TEN = "top-ten"
    SLA_COMPLIANCE = "sla-compliance"
    SATISFACTION = "satisfaction"
    WORKLOAD = "workload"


@dataclass(frozen=True)
class Caller:
    kind: str  # "platform", "enterprise", "provider", "engineer"
    organization_id: str
    may_report: bool


@dataclass(frozen=True)
class Scope:
    """The tickets a caller may count: "" is no restriction."""

    enterprise_id: str = ""
    provider_id: str = ""


def scope_of(caller: Caller) -> Scope:
    if caller.may_report:
        if caller.kind == "platform":
            return Scope()
        if caller.kind == "enterprise" and caller.organization_id:
            return Scope(enterprise_id=caller.organization_id)
        if caller.kind == "provider" and caller.organization_id:
            return Scope(provider_id=caller.organization_id)
    raise permission_denied(
        "PERMISSION_MISSING",
        f"reports need the permission {REPORT_PERMISSION!r} held by platform, enterprise or "
        "provider staff",
    )


@dataclass(frozen=True)
class Filter:
    """A report's filter as asked; empty strings and None are "not given"."""

    start: datetime | None = None
    end: datetime | None = None
    enterprise_id: str = ""
    provider_id: str = ""
    service_type_id: str = ""
    engineer_id: str = ""
    service_level_id: str = ""
    priority: str = ""
    time_zone: str = ""
    as_of: datetime | None = None  # answer as the data stood then


@dataclass(frozen=True)
class Query:
    """A filter resolved against the caller's scope, the clock and the defaults."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    scope: Scope
    enterprise_id: str = ""
    provider_id: str = ""
    service_type_id: str = ""
    engineer_id: str = ""
    service_level_id: str = ""
    priority: str = ""
    as_of: datetime | None = None  # count the facts as they stood then; None: as they stand


def resolve(
    asked: Filter, scope: Scope, *, now: datetime, default_zone: str, default_days: int
) -> Query:
    if asked.as_of is not None:
        if asked.as_of > now:
            raise invalid_argument(
                "AS_OF_TIME_INVALID",
                [FieldViolation("filter.as_of_time", "must not be in the future")],
            )
        now = asked.as_of
    end = asked.end or now
    start = asked.start or end - timedelta(days=default_days)
    if start >= end:
        raise invalid_argument(
            "TIME_RANGE_INVALID",
            [FieldViolation("filter.start_time", "must be before filter.end_time")],
        )
    return Query(
        start=start,
        end=end,
        zone=zone_of(asked.time_zone or default_zone),
        scope=scope,
        enterprise_id=asked.enterprise_id,
        provider_id=asked.provider_id,
        service_type_id=asked.service_type_id,
        engineer_id=asked.engineer_id,
        service_level_id=asked.service_level_id,
        priority=asked.priority,
        as_of=asked.as_of,
    )


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_argument(
            "TIME_ZONE_UNKNOWN",
            [FieldViolation("filter.time_zone", f"{name!r} is not an IANA time zone")],
        ) from None


def bucket_start(moment: datetime, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start, in `zone`, of the bucket holding `moment`."""
    local = moment.astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if interval is Interval.WEEK:
        day -= timedelta(days=day.weekday())
    elif interval is Interval.MONTH:
        day = day.replace(day=1)
    elif interval is Interval.YEAR:
        day = day.replace(month=1, day=1)
    return day.replace(tzinfo=zone)


def next_bucket(start: datetime, interval: Interval) -> datetime:
    """The start of the bucket after the one starting at `start` (a local midnight)."""
    naive = start.replace(tzinfo=None)
    if interval is Interval.DAY:
        naive += timedelta(days=1)
    elif interval is Interval.WEEK:
        naive += timedelta(days=7)
    elif interval is Interval.MONTH:
        naive = (naive.replace(day=1) + timedelta(days=32)).replace(day=1)
    else:
        naive = naive.replace(year=naive.year + 1, month=1, day=1)
    return naive.replace(tzinfo=start.tzinfo)


def buckets(query: Query, interval: Interval) -> list[datetime]:
    """Every bucket start from the one holding the query's start to the one holding its end
    (exclusive), local midnights in the query's zone."""
    found: list[datetime] = []
    current = bucket_start(query.start, interval, query.zone)
    while current < query.end:
        found.append(current)
        if len(found) > MAX_BUCKETS:
            raise invalid_argument(
                "TOO_MANY_BUCKETS",
                [
                    FieldViolation(
                        "interval",
                        f"gives more than {MAX_BUCKETS} buckets over this time range; "
                        "choose a longer interval or a shorter range",
                    )
                ],
            )
        current = next_bucket(current, interval)
    return found


def fitting_interval(query: Query) -> Interval:
    """The shortest interval that cuts the query's range into at most MAX_BUCKETS buckets."""
    for interval in (Interval.DAY, Interval.WEEK, Interval.MONTH):
        days = {Interval.DAY: 1, Interval.WEEK: 7, Interval.MONTH: 31}[interval]
        if (query.end - query.start) / timedelta(days=days) < MAX_BUCKETS - 2:
            return interval
    return Interval.YEAR
