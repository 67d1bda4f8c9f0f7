"""Business calendars with China's official schedule: statutory holidays and the make-up
working days (调休) that the State Council announces, from the `holidays` package."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime

from holidays.countries.china import China

from services.dispatch.domain.sla_clock import BusinessCalendar, Hours


def china_calendar(
    *,
    weekly: tuple[Hours, ...],
    years: Iterable[int],
    timezone: str = "Asia/Shanghai",
    makeup_hours: Hours = (),
) -> BusinessCalendar:
    """`weekly` hours (Monday first), closed on China's public holidays of `years`, open on
    their make-up working days (with `makeup_hours`, by default Monday's)."""
    wanted = sorted(set(years))
    official = China(years=wanted)  # type: ignore[no-untyped-call]  # its __init__ is untyped
    return BusinessCalendar(
        timezone=timezone,
        weekly=weekly,
        holidays=frozenset(official.keys()),
        makeup_workdays=frozenset(d for d in official.weekend_workdays if d.year in wanted),
        makeup_hours=makeup_hours,
    )


@functools.cache
def official_days(country: str) -> tuple[frozenset[date], frozenset[date]]:
    """A country's official holidays and make-up working days from 2019 to three years
    ahead (what the `holidays` package knows); none for "" (no official calendar)."""
    if country != "CN":
        return frozenset(), frozenset()
    years = range(2019, datetime.now(UTC).year + 4)
    official = China(years=years)  # type: ignore[no-untyped-call]  # its __init__ is untyped
    return frozenset(official.keys()), frozenset(official.weekend_workdays)
