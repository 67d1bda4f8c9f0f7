"""Business time: a hand-computed table on China's 2025–2026 official calendar, and the
properties that make deadline() and elapsed() one clock (hypothesis)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.dispatch.adapters.calendars import china_calendar
from services.dispatch.domain.sla_clock import (
    BusinessCalendar,
    ClosedCalendar,
    Pause,
    always_open,
    deadline,
    elapsed,
    is_open,
    parse_hours,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = parse_hours("09:00-12:00,13:00-18:00")
WEEKDAYS = china_calendar(weekly=(OFFICE,) * 5 + ((), ()), years=[2025, 2026])
H = timedelta(hours=1)


def at(text: str) -> datetime:
    """Shanghai wall time, e.g. "2026-09-30 17:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def pause(start: str, end: str | None = None) -> Pause:
    return Pause(at(start), at(end) if end else None)


TABLE = [
    # (case, start, business hours, pauses, expected deadline)
    ("inside the morning", "2026-11-23 10:00", 2, [], "2026-11-23 12:00"),
    ("over lunch", "2026-11-23 11:00", 2, [], "2026-11-23 14:00"),
    ("raised before opening", "2026-11-23 07:00", 1, [], "2026-11-23 10:00"),
    ("Friday 17:30 over a weekend", "2026-11-27 17:30", 4, [], "2026-11-30 13:30"),
    ("eve of National Day 2026", "2026-09-30 17:30", 4, [], "2026-10-08 13:30"),
    ("make-up Saturday after National Day 2026", "2026-10-09 17:30", 4, [], "2026-10-10 13:30"),
    ("Friday 17:30 before National Day 2025: make-up Sunday", "2025-09-26 17:30", 4, [],
     "2025-09-28 13:30"),
    ("through National Day 2025 to its make-up Saturday", "2025-09-30 17:30", 20, [],
     "2025-10-11 13:30"),
    ("Spring Festival 2026: make-up Saturday then the holiday", "2026-02-13 17:00", 10, [],
     "2026-02-24 10:00"),
    ("Qingming 2026: Monday off", "2026-04-03 17:00", 2, [], "2026-04-07 10:00"),
    ("a pause subtracts exactly", "2026-11-23 09:00", 4,
     [pause("2026-11-23 10:00", "2026-11-23 11:30")], "2026-11-23 15:30"),
    ("a pause over the night", "2026-11-23 16:00", 4,
     [pause("2026-11-23 17:00", "2026-11-24 10:00")], "2026-11-24 14:00"),
    ("a pause before the start changes nothing", "2026-11-23 10:00", 1,
     [pause("2026-11-20 10:00", "2026-11-23 09:30")], "2026-11-23 11:00"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "start", "hours", "pauses", "expected"), TABLE)
def test_hand_computed_deadlines(case, start, hours, pauses, expected):
    due = deadline(at(start), hours * H, WEEKDAYS, pauses)
    assert due == at(expected), case
    assert elapsed(at(start), due, WEEKDAYS, pauses) == hours * H


def test_business_time_between_two_instants_counts_a_make_up_saturday():
    assert elapsed(at("2026-10-09 17:00"), at("2026-10-12 10:00"), WEEKDAYS) == 10 * H


def test_an_open_pause_stops_the_clock_for_good():
    assert deadline(at("2026-11-23 09:00"), 4 * H, WEEKDAYS, [pause("2026-11-23 10:00")]) is None
    assert elapsed(at("2026-11-23 09:00"), at("2026-11-30 09:00"), WEEKDAYS,
                   [pause("2026-11-23 10:00")]) == H  # fmt: skip


def test_round_the_clock():
    start = datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert deadline(start, 36 * H, always_open()) == datetime(2026, 11, 24, 22, tzinfo=UTC)


def test_a_calendar_without_hours_has_no_deadline():
    with pytest.raises(ClosedCalendar):
        deadline(at("2026-11-23 09:00"), H, BusinessCalendar())


@pytest.mark.parametrize("text", ["9-12", "09:00-08:00", "09:00-12:00,11:00-13:00", "25:00-26:00"])
def test_bad_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_hours(text)


# --- properties -------------------------------------------------------------------------------

ZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def day_hours(draw) -> tuple[tuple[int, int], ...]:  # type: ignore[no-untyped-def]
    cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    return tuple((a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b)


@st.composite
def calendars(draw) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    if draw(st.integers(0, 9)) == 0:
        return always_open()
    weekly = tuple(draw(day_hours()) for _ in range(7))
    if not any(weekly):
        weekly = (((540, 1080),), *weekly[1:])
    days = st.dates(date(2026, 1, 1), date(2026, 12, 31))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holidays=frozenset(draw(st.sets(days, max_size=40))),
        makeup_workdays=frozenset(draw(st.sets(days, max_size=10))),
        makeup_hours=draw(day_hours()),
    )


instants = st.integers(0, 364 * 24 * 3600 * 10**6).map(
    lambda us: YEAR_START + timedelta(microseconds=us)
)
durations = st.integers(0, 120 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us))


@st.composite
def pause_lists(draw, start: datetime) -> list[Pause]:  # type: ignore[no-untyped-def]
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-48 * 60, 400 * 60)))
        open_ended = draw(st.integers(0, 9)) == 0
        length = timedelta(
            minutes=draw(st.integers(0, 72 * 60)), microseconds=draw(st.integers(0, 999_999))
        )
        pauses.append(Pause(begin, None if open_ended else begin + length))
    return pauses


EXAMPLES = int(os.environ.get("TICKETING_HYPOTHESIS_EXAMPLES", "300"))
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(calendar=calendars(), start=instants, duration=durations, data=st.data())
def test_elapsed_to_the_deadline_is_the_duration_and_no_earlier_instant_reaches_it(
    calendar, start, duration, data
):
    pauses = data.draw(pause_lists(start))
    due = deadline(start, duration, calendar, pauses)
    if due is None:
        assert any(p.end is None for p in pauses)
        return
    assert elapsed(start, due, calendar, pauses) == duration
    if duration > timedelta(0):
        assert elapsed(start, due - timedelta(microseconds=1), calendar, pauses) < duration


@PROPERTY
@given(calendar=calendars(), start=instants, data=st.data())
def test_elapsed_adds_up_over_consecutive_periods(calendar, start, data):
    pauses = data.draw(pause_lists(start))
    middle = start + data.draw(durations)
    end = middle + data.draw(durations)
    whole = elapsed(start, end, calendar, pauses)
    assert whole == elapsed(start, middle, calendar, pauses) + elapsed(
        middle, end, calendar, pauses
    )
    assert whole <= end - start


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-11-23 09:00", True),  # opening minute
        ("2026-11-23 12:00", False),  # lunch: the interval ends before 12:00
        ("2026-11-23 17:59", True),
        ("2026-11-28 10:00", False),  # Saturday
        ("2026-10-01 10:00", False),  # National Day
        ("2026-10-10 10:00", True),  # its make-up Saturday
    ],
)
def test_a_calendar_is_open_in_its_hours_and_on_make_up_days(instant: str, expected: bool):
    assert is_open(WEEKDAYS, at(instant)) is expected
    assert is_open(always_open(), at(instant))


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31)))
def test_open_exactly_where_business_time_passes(naive: datetime):
    """One truth: the calendar is open at an instant iff a minute from it counts as business
    time (instants on a minute boundary)."""
    start = naive.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
    minute = timedelta(minutes=1)
    assert is_open(WEEKDAYS, start) is (elapsed(start, start + minute, WEEKDAYS, []) == minute)
