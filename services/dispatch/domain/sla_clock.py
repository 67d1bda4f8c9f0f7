"""Business time: the one clock every SLA target is measured on.

`elapsed(start, end, calendar, pauses)` is the business time between two instants;
`deadline(start, duration, calendar, pauses)` is the earliest instant by which `duration` of
business time has passed since `start`. Both walk the same sequence of open spans (the
calendar's business hours as UTC instants, minus the pauses), so they are exact inverses:
`elapsed(s, deadline(s, d)) == d`, and no earlier instant reaches `d`.

A calendar is business hours per weekday in its own time zone (several intervals a day), plus
holidays (closed) and make-up working days (调休: open with `makeup_hours`, by default Monday's),
or simply 24×7. Wall-clock hours that a daylight-saving change skips or repeats count as the
real time they span; spans are kept in order and never overlap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
SCAN_LIMIT_DAYS = 3 * 366  # a calendar with no open hour for this long has none at all
Hours = tuple[tuple[int, int], ...]  # (start minute, end minute) of the day, end ≤ 1440


class ClosedCalendar(ValueError):
    """The calendar has no business hours within the scan limit: no deadline exists."""


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Shanghai"
    weekly: tuple[Hours, ...] = ((),) * 7  # Monday first
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    makeup_hours: Hours = ()
    always_open: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, day: date) -> Hours:
        if day in self.holidays:
            return ()
        if day in self.makeup_workdays:
            return self.makeup_hours or self.weekly[0]
        return self.weekly[day.weekday()]


def is_open(calendar: BusinessCalendar, instant: datetime) -> bool:
    """Whether the calendar is open at `instant`: within its hours that day (holidays closed,
    make-up working days open), in its time zone."""
    if calendar.always_open:
        return True
    local = instant.astimezone(calendar.zone)
    minute = local.hour * 60 + local.minute
    return any(first <= minute < last for first, last in calendar.hours_on(local.date()))


def always_open() -> BusinessCalendar:
    return BusinessCalendar(timezone="UTC", always_open=True)


@dataclass(frozen=True)
class Pause:
    """The clock stops from `start` until `end` (None: still paused)."""

    start: datetime
    end: datetime | None = None


@dataclass
class _Spans:
    """Open spans of a calendar from an instant on, as ordered, disjoint UTC intervals."""

    calendar: BusinessCalendar
    since: datetime
    pauses: list[Pause] = field(default_factory=list)
    until: datetime | None = None  # no need to look past this instant

    def __iter__(self) -> Iterator[tuple[datetime, datetime]]:
        return _minus_pauses(self._open(), sorted(self.pauses, key=lambda p: p.start))

    def _open(self) -> Iterator[tuple[datetime, datetime]]:
        if self.calendar.always_open:
            yield self.since, datetime.max.replace(tzinfo=UTC)
            return
        zone, previous_end = self.calendar.zone, self.since
        day = self.since.astimezone(zone).date() - timedelta(days=1)
        closed_days = 0
        last_day = self.until.astimezone(zone).date() if self.until else date.max
        while closed_days <= SCAN_LIMIT_DAYS:
            if day > last_day:
                return
            hours = self.calendar.hours_on(day)
            closed_days = closed_days + 1 if not hours else 0
            for first, last in hours:
                start = max(_instant(day, first, zone), previous_end)
                end = _instant(day, last, zone)
                if end > start:
                    yield start, end
                    previous_end = end
            day += timedelta(days=1)
        raise ClosedCalendar("the calendar has no business hours")


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock minute of `day` (1440: the next midnight)."""
    wall = datetime.combine(day, time(0)) + timedelta(minutes=minute)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _minus_pauses(
    spans: Iterator[tuple[datetime, datetime]], pauses: Sequence[Pause]
) -> Iterator[tuple[datetime, datetime]]:
    for start, end in spans:
        for pause in pauses:
            pause_end = pause.end or datetime.max.replace(tzinfo=UTC)
            if pause_end <= start or pause.start >= end:
                continue
            if pause.start > start:
                yield start, pause.start
            start = max(start, pause_end)
            if start >= end:
                break
        if start < end:
            yield start, end
        if any(p.end is None and p.start <= end for p in pauses):
            return  # paused for good from here on


def elapsed(
    start: datetime, end: datetime, calendar: BusinessCalendar, pauses: Sequence[Pause] = ()
) -> timedelta:
    """Business time between `start` and `end` (zero if `end` is not after `start`)."""
    total = timedelta(0)
    if end <= start:
        return total
    for span_start, span_end in _Spans(calendar, start, list(pauses), until=end):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total


def deadline(
    start: datetime, duration: timedelta, calendar: BusinessCalendar, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """The earliest instant by which `duration` of business time has passed since `start`;
    None while an open pause stops the clock before then."""
    remaining = duration
    if remaining <= timedelta(0):
        return start
    for span_start, span_end in _Spans(calendar, start, list(pauses)):
        length = span_end - span_start
        if remaining <= length:
            return span_start + remaining
        remaining -= length
    return None


def parse_hours(text: str) -> Hours:
    """ "09:00-12:00,13:00-18:00" → ((540, 720), (780, 1080)); "" → closed. Intervals must be
    in order and not overlap; "24:00" ends a day."""
    hours: list[tuple[int, int]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, sep, last = part.partition("-")
        if not sep:
            raise ValueError(f"{part!r} is not HH:MM-HH:MM")
        start, end = _minute(first), _minute(last)
        if not start < end or (hours and start < hours[-1][1]):
            raise ValueError(f"{part!r} is empty, reversed or overlaps the previous interval")
        hours.append((start, end))
    return tuple(hours)


def _minute(text: str) -> int:
    hour, sep, minute = text.strip().partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ValueError(f"{text!r} is not HH:MM")
    value = int(hour) * 60 + int(minute)
    if int(minute) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value
