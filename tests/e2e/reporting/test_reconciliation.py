"""Reconciliation (issue 11): random ticket histories (hypothesis) for a few hundred tickets go
through Kafka — each event once or more, in a shuffled order, so one ticket's events arrive
repeated and out of order — into the recorder; every report, read through the gateway, must
then say what a brute-force computation over the same histories says.

The oracle below does not fold events: it reads each ticket's life as the generator planned it
(when it was created, first answered, resolved, closed, cancelled; how it was rated) and counts
with plain Python. Each example lives in a window of its own in the past (so the real tickets of
the other reporting tests never fall in it); the tickets of earlier examples stay in the oracle,
since they are in reporting too (a ticket still open then is backlog now).

Not covered here: dispatch's SLA events (the SLA report is checked against the due times the
tickets carry) and "as of" (tests/e2e/reporting/test_rebuild.py)."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bench.ticket_histories import Step, envelope_of, lived
from servicekit.kafka import create_producer
from services.reporting.adapters.tables import ledger, ticket_facts
from services.reporting.domain.facts import EventKind, Status, TicketEvent, TicketState
from tests.e2e.reporting.conftest import ReportingStack
from tests.e2e.reporting.world import ADMIN

TOPIC = "ticketing.tickets.ticket.v1"
WINDOW = timedelta(days=20)
BASE = datetime(2011, 1, 3, tzinfo=UTC)
_windows = itertools.count()
ENGINEERS = {"p0": ("e0", "e1"), "p1": ("e2",)}
DESIGNATED = {"c0": ("p0",), "c1": ("p0", "p1"), "c2": ("p1",)}
PATHS = [("t0", f"t0-{b}", f"t0-{b}-{c}") for b in range(2) for c in range(2)] + [
    ("t1", "t1-0", "t1-0-0")
]
LEVELS = ("gold", "silver", "")  # "": no service level, no due times
HOURS = {"gold": 4, "silver": 24}
PRIORITIES = ("low", "normal", "high", "urgent")
ZONES = ("Asia/Shanghai", "UTC", "America/New_York")
_PRIORITY_PB = {p: f"PRIORITY_{p.upper()}" for p in PRIORITIES}


@dataclass
class Life:
    """One ticket as the generator planned it, and what the oracle reads of it."""

    ticket_id: str
    number: str
    enterprise: str
    provider: str
    engineer: str  # "" until assigned
    path: tuple[str, ...]
    level: str
    priority: str
    status: Status
    created: datetime
    responded: datetime | None
    resolved: datetime | None  # the last resolution, while resolved or closed
    closed: datetime | None
    cancelled: datetime | None  # cancelled or rejected
    reopened: int
    score: int
    comment: str
    response_due: datetime | None
    resolution_due: datetime | None

    @property
    def ended(self) -> datetime | None:
        return self.closed or self.cancelled

    @property
    def finished(self) -> datetime | None:
        return self.ended or (self.resolved if self.status is Status.RESOLVED else None)


def lives(
    rnd: random.Random, window: int, tag: str, count: int
) -> tuple[list[Life], list[TicketEvent]]:
    """`count` tickets created in the window, each lived for a random part of a random life.
    (Hypothesis draws the seed, not each step: drawing thousands of values one by one is more
    than its engine is made for.)"""
    start = BASE + window * 6 * WINDOW
    found: list[Life] = []
    events: list[TicketEvent] = []

    def minutes() -> timedelta:
        return timedelta(minutes=rnd.randint(1, rnd.choice((60, 600, 3_000))))

    for n in range(count):
        enterprise = rnd.choice(sorted(DESIGNATED))
        provider = rnd.choice(DESIGNATED[enterprise])
        level = rnd.choice(LEVELS)
        created = start + timedelta(minutes=rnd.randint(0, int(WINDOW.total_seconds()) // 60))
        hours = HOURS.get(level)
        path = rnd.choice(PATHS)
        state = TicketState(
            ticket_id=f"{tag}-{n:04d}",
            number=f"R{tag}{n:04d}",
            title=f"对账 {n}",
            enterprise_id=f"{tag}-{enterprise}",
            requester_id=f"{tag}-{enterprise}-u",
            provider_id=f"{tag}-{provider}",
            engineer_id="",
            service_type_id=path[-1],
            service_type_path=path,
            service_level_id=level,
            priority=rnd.choice(PRIORITIES),
            channel="web",
            status=Status.PENDING_ASSIGNMENT,
            created_at=created,
            updated_at=created,
            response_due_at=created + timedelta(hours=hours / 4) if hours else None,
            resolution_due_at=created + timedelta(hours=hours) if hours else None,
        )
        steps = [Step(EventKind.CREATED, timedelta(0))]
        approval = rnd.choice(("none", "none", "approved", "rejected"))
        if approval != "none":
            steps = [Step(EventKind.CREATED, timedelta(0), {"status": Status.PENDING_APPROVAL})]
            kind = EventKind.APPROVED if approval == "approved" else EventKind.REJECTED
            steps.append(Step(kind, minutes()))
        if approval != "rejected":
            if rnd.randrange(10) == 0:
                steps.append(Step(EventKind.CANCELLED, minutes()))
            else:
                engineer = f"{tag}-{rnd.choice(ENGINEERS[provider])}"
                steps.append(Step(EventKind.ASSIGNED, minutes(), {"engineer_id": engineer}))
                steps.append(Step(EventKind.STARTED, minutes()))
                for _ in range(rnd.randint(0, 2)):
                    reply = rnd.random() < 0.5
                    steps.append(Step(EventKind.COMMENTED, minutes(), reply=reply))
                steps.append(Step(EventKind.RESOLVED, minutes()))
                if rnd.randrange(6) == 0:
                    steps.append(Step(EventKind.REOPENED, minutes()))
                    steps.append(Step(EventKind.RESOLVED, minutes()))
                steps.append(Step(EventKind.CLOSED, minutes()))
                if rnd.random() < 0.6:
                    rating = {
                        "rating_score": rnd.randint(1, 5),
                        "rating_comment": rnd.choice(("", "很快", "太慢了")),
                    }
                    steps.append(Step(EventKind.RATED, minutes(), rating))
        # Most tickets live their whole life; the rest stop at a random step (not yet).
        kept = len(steps) if rnd.random() < 0.7 else rnd.randint(1, len(steps))
        ticket = lived(state, steps[:kept])
        events += ticket
        found.append(_life(ticket))
    return found, events


def _life(events: list[TicketEvent]) -> Life:
    """What the oracle reads of one ticket: its planned steps, in order, as they happened."""
    last = events[-1].ticket
    assert last is not None
    times: dict[EventKind, datetime] = {}
    responded = None
    for event in events:
        times[event.kind] = event.occurred_at
        answers = event.kind is EventKind.STARTED or event.provider_reply
        if responded is None and answers:
            responded = event.occurred_at
    done = last.status in (Status.RESOLVED, Status.CLOSED)
    return Life(
        ticket_id=last.ticket_id,
        number=last.number,
        enterprise=last.enterprise_id,
        provider=last.provider_id,
        engineer=last.engineer_id,
        path=last.service_type_path,
        level=last.service_level_id,
        priority=last.priority,
        status=last.status,
        created=last.created_at,
        responded=responded,
        resolved=times[EventKind.RESOLVED] if done else None,
        closed=times.get(EventKind.CLOSED) if last.status is Status.CLOSED else None,
        cancelled=times.get(EventKind.CANCELLED) or times.get(EventKind.REJECTED),
        reopened=sum(e.kind is EventKind.REOPENED for e in events),
        score=last.rating_score,
        comment=last.rating_comment,
        response_due=last.response_due_at,
        resolution_due=last.resolution_due_at,
    )


# --- the oracle -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """A report's filter, as the test asks it and the oracle applies it."""

    start: datetime
    end: datetime
    zone: str
    enterprise: str = ""
    provider: str = ""
    engineer: str = ""
    service_type: str = ""
    level: str = ""
    priority: str = ""

    def params(self) -> dict[str, str]:
        found = {
            "filter.startTime": _ts(self.start),
            "filter.endTime": _ts(self.end),
            "filter.timeZone": self.zone,
        }
        for name, value in (
            ("enterpriseId", self.enterprise),
            ("providerId", self.provider),
            ("engineerId", self.engineer),
            ("serviceTypeId", self.service_type),
            ("serviceLevelId", self.level),
            ("priority", _PRIORITY_PB.get(self.priority, "")),
        ):
            if value:
                found[f"filter.{name}"] = value
        return found

    def matches(self, t: Life) -> bool:
        return (
            (not self.enterprise or t.enterprise == self.enterprise)
            and (not self.provider or t.provider == self.provider)
            and (not self.engineer or t.engineer == self.engineer)
            and (not self.service_type or self.service_type in t.path)
            and (not self.level or t.level == self.level)
            and (not self.priority or t.priority == self.priority)
        )

    def within(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bucket(moment: datetime, interval: str, zone: ZoneInfo) -> datetime:
    day = moment.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    elif interval == "year":
        day = day.replace(month=1, day=1)
    return day.replace(tzinfo=None)


def _starts(ask: Ask, interval: str) -> list[datetime]:
    """Every bucket (local, naive) from the one holding the start to the end."""
    zone = ZoneInfo(ask.zone)
    found = [_bucket(ask.start, interval, zone)]
    while True:
        local = found[-1]
        if interval == "day":
            local += timedelta(days=1)
        elif interval == "week":
            local += timedelta(days=7)
        elif interval == "month":
            local = (local + timedelta(days=32)).replace(day=1)
        else:
            local = local.replace(year=local.year + 1)
        if local.replace(tzinfo=zone) >= ask.end:
            return found
        found.append(local)


def volume(tickets: list[Life], ask: Ask, interval: str) -> list[tuple[int, ...]]:
    zone = ZoneInfo(ask.zone)
    starts = _starts(ask, interval)
    first = starts[0].replace(tzinfo=zone)
    rows = []
    for i, local in enumerate(starts):
        begin = local.replace(tzinfo=zone)
        ends = starts[i + 1].replace(tzinfo=zone) if i + 1 < len(starts) else ask.end
        within = Ask(**{**ask.__dict__, "start": max(begin, first), "end": ends})
        mine = [t for t in tickets if ask.matches(t)]
        counts = [
            sum(within.within(getattr(t, name)) for t in mine)
            for name in ("created", "resolved", "closed", "cancelled")
        ]
        backlog = sum(t.created < ends and (t.ended is None or t.ended >= ends) for t in mine)
        rows.append((*counts, backlog))
    return rows


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "count": len(values),
        "average": sum(values) / len(values),
        "median": _percentile(values, 0.5),
        "p90": _percentile(values, 0.9),
        "minimum": min(values),
        "maximum": max(values),
    }


def _seconds_between(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else (later - earlier).total_seconds()


def _parts(tickets: Iterable[Life]) -> dict[str, dict[str, float] | None]:
    tickets = list(tickets)
    found = {}
    for part, end in (("response", "responded"), ("resolution", "resolved"), ("service", "closed")):
        seconds = [_seconds_between(getattr(t, end), t.created) for t in tickets]
        found[part] = _stats([s for s in seconds if s is not None])
    return found


DIMENSIONS: dict[str, Callable[[Life], str]] = {
    "DIMENSION_SERVICE_TYPE": lambda t: t.path[-1],
    "DIMENSION_ENTERPRISE": lambda t: t.enterprise,
    "DIMENSION_PROVIDER": lambda t: t.provider,
    "DIMENSION_ENGINEER": lambda t: t.engineer,
}


def durations(tickets: list[Life], ask: Ask, group_by: str) -> dict[str, Any]:
    mine = [t for t in tickets if ask.matches(t) and ask.within(t.created)]
    groups: dict[str, list[Life]] = defaultdict(list)
    for t in mine:
        key = DIMENSIONS[group_by](t)
        if key:
            groups[key].append(t)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {**_parts(mine), "groups": [(key, _parts(members)) for key, members in ordered]}


def top(
    tickets: list[Life], ask: Ask, dimension: str, measure: str
) -> list[tuple[str, int, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for t in tickets:
        key = DIMENSIONS[dimension](t)
        if not key or not ask.matches(t) or not ask.within(t.created):
            continue
        if measure == "MEASURE_AVERAGE_SERVICE_DURATION":
            if t.closed is not None:
                groups[key].append((t.closed - t.created).total_seconds())
        elif measure == "MEASURE_AVERAGE_SATISFACTION":
            if t.score:
                groups[key].append(float(t.score))
        else:
            groups[key].append(0.0)
    rows = [(key, len(v), sum(v) / len(v)) for key, v in groups.items()]
    if measure == "MEASURE_AVERAGE_SERVICE_DURATION":
        rows.sort(key=lambda r: (r[2], r[0]))
    elif measure == "MEASURE_AVERAGE_SATISFACTION":
        rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    else:
        rows.sort(key=lambda r: (-r[1], r[0]))
    return rows[:10]


def sla(tickets: list[Life], ask: Ask) -> tuple[int, int, int, int]:
    """Every window is long past: a target with a due time counts, met when done in time."""
    mine = [t for t in tickets if ask.matches(t) and ask.within(t.created)]
    return (
        sum(t.response_due is not None for t in mine),
        sum(
            t.response_due is not None and t.responded is not None and t.responded <= t.response_due
            for t in mine
        ),
        sum(t.resolution_due is not None for t in mine),
        sum(
            t.resolution_due is not None
            and t.resolved is not None
            and t.resolved <= t.resolution_due
            for t in mine
        ),
    )


def satisfaction(tickets: list[Life], ask: Ask, interval: str) -> dict[str, Any]:
    rated = [t for t in tickets if ask.matches(t) and ask.within(t.created) and t.score]
    zone = ZoneInfo(ask.zone)
    starts = _starts(ask, interval)
    trend: dict[datetime, list[int]] = {start: [] for start in starts}
    # The trend, like the volume, widens the range to the whole bucket holding its start.
    widened = Ask(**{**ask.__dict__, "start": starts[0].replace(tzinfo=zone)})
    for t in tickets:
        if t.score and widened.matches(t) and widened.within(t.created):
            trend[_bucket(t.created, interval, zone)].append(t.score)
    commented = sorted(
        (t for t in rated if t.comment),
        key=lambda t: (t.finished is not None, t.finished or BASE, t.ticket_id),
        reverse=True,
    )
    return {
        "by_score": dict(Counter(str(t.score) for t in rated)),
        "count": len(rated),
        "average": round(sum(t.score for t in rated) / len(rated), 4) if rated else 0.0,
        "trend": [
            (start, len(s), round(sum(s) / len(s), 4) if s else 0.0) for start, s in trend.items()
        ],
        "comments": [(t.ticket_id, t.score, t.comment) for t in commented[:20]],
    }


def workload(tickets: list[Life], ask: Ask) -> list[tuple[str, int, int, float | None]]:
    rows = []
    by_engineer: dict[str, list[Life]] = defaultdict(list)
    for t in tickets:
        if t.engineer and ask.matches(t):
            by_engineer[t.engineer].append(t)
    for engineer, mine in by_engineer.items():
        still_open = [
            t for t in mine
            if t.created < ask.end
            and (t.resolved is None or t.resolved >= ask.end)
            and (t.ended is None or t.ended >= ask.end)
        ]  # fmt: skip
        handled = [t for t in mine if ask.within(t.finished)]
        resolutions = [(t.resolved - t.created).total_seconds() for t in handled if t.resolved]
        average = sum(resolutions) / len(resolutions) if resolutions else None
        if still_open or handled:
            rows.append((engineer, len(still_open), len(handled), average))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return rows


def service_log(tickets: list[Life], ask: Ask) -> list[tuple[str, str, int, int]]:
    mine = [t for t in tickets if ask.matches(t) and ask.within(t.finished)]
    mine.sort(key=lambda t: (t.finished, t.ticket_id), reverse=True)
    return [(t.ticket_id, t.status.value, t.score, t.reopened) for t in mine]


# --- the reports as the gateway answers them --------------------------------------------


def _seconds(value: str | None) -> float | None:
    return None if value is None else float(value.removesuffix("s"))


def _local(value: str, zone: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _close(found: dict[str, Any], expected: dict[str, float] | None, where: str) -> None:
    """Durations agree to the millisecond the API rounds them to."""
    if expected is None:
        assert not found.get("count"), (where, found)
        return
    assert found.get("count") == expected["count"], (where, found, expected)
    for name in ("average", "median", "p90", "minimum", "maximum"):
        value = _seconds(found.get(name, "0s"))
        assert value is not None and abs(value - expected[name]) <= 0.0015, (
            where, name, found, expected,
        )  # fmt: skip


class Gateway:
    def __init__(self, reporting: ReportingStack):
        self.reporting = reporting

    async def get(self, path: str, ask: Ask, **params: str) -> dict[str, Any]:
        response = await self.reporting.client.get(
            f"/v1/reports/{path}",
            params={**ask.params(), **params},
            headers=await self.reporting.as_user(*ADMIN),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def check(self, tickets: list[Life], ask: Ask) -> None:
        for interval in ("day", "week", "month", "year"):
            found = await self.get("volume", ask, interval=f"INTERVAL_{interval.upper()}")
            rows = [
                tuple(
                    b.get(k, 0) for k in ("created", "resolved", "closed", "cancelled", "backlog")
                )
                for b in found["buckets"]
            ]
            starts = [_local(b["startTime"], ask.zone) for b in found["buckets"]]
            assert starts == _starts(ask, interval), (interval, ask)
            assert rows == volume(tickets, ask, interval), (interval, ask)
        for group_by in DIMENSIONS:
            found = await self.get("durations", ask, groupBy=group_by)
            expected = durations(tickets, ask, group_by)
            for part in ("response", "resolution", "service"):
                _close(found.get(part, {}), expected[part], f"{part} {ask}")
            groups = found.get("groups", [])
            assert [g["id"] for g in groups] == [key for key, _ in expected["groups"]], ask
            for group, (key, parts) in zip(groups, expected["groups"], strict=True):
                for part in ("response", "resolution", "service"):
                    _close(group.get(part, {}), parts[part], f"{group_by} {key} {part}")
            for measure in (
                "MEASURE_TICKET_COUNT",
                "MEASURE_AVERAGE_SERVICE_DURATION",
                "MEASURE_AVERAGE_SATISFACTION",
            ):
                found = await self.get("top", ask, dimension=group_by, measure=measure)
                expected_top = top(tickets, ask, group_by, measure)
                entries = found.get("entries", [])
                assert [(e["id"], e["count"]) for e in entries] == [
                    (key, n) for key, n, _ in expected_top
                ], (group_by, measure, ask)
                for entry, (_, _, value) in zip(entries, expected_top, strict=True):
                    if measure == "MEASURE_AVERAGE_SERVICE_DURATION":
                        assert abs(_seconds(entry["averageServiceDuration"]) - value) <= 0.0015
                    elif measure == "MEASURE_AVERAGE_SATISFACTION":
                        assert entry["averageScore"] == round(value, 4)
        found = await self.get("sla", ask)
        assert tuple(
            found.get(k, 0)
            for k in ("responseTotal", "responseMet", "resolutionTotal", "resolutionMet")
        ) == sla(tickets, ask), ask
        found = await self.get("satisfaction", ask, interval="INTERVAL_WEEK")
        expected_rating = satisfaction(tickets, ask, "week")
        assert found.get("byScore", {}) == expected_rating["by_score"], ask
        assert found.get("count", 0) == expected_rating["count"]
        assert found.get("averageScore", 0.0) == expected_rating["average"]
        assert [
            (_local(b["startTime"], ask.zone), b.get("count", 0), b.get("averageScore", 0.0))
            for b in found["trend"]
        ] == expected_rating["trend"], ask
        assert [
            (c["ticketId"], c["score"], c["comment"]) for c in found.get("comments", [])
        ] == expected_rating["comments"], ask
        found = await self.get("workload", ask)
        expected_load = workload(tickets, ask)
        entries = found.get("entries", [])
        assert [(e["engineerId"], e.get("open", 0), e.get("handled", 0)) for e in entries] == [
            row[:3] for row in expected_load
        ], ask
        for entry, (*_, average) in zip(entries, expected_load, strict=True):
            if average is None:
                assert "averageResolution" not in entry
            else:
                assert abs(_seconds(entry["averageResolution"]) - average) <= 0.0015
        log, token = [], ""
        while True:
            page = await self.get("service-log", ask, pageSize="37", pageToken=token)
            log += [
                (e["ticketId"], e["finalStatus"], e.get("ratingScore", 0), e.get("reopenCount", 0))
                for e in page.get("entries", [])
            ]
            token = page.get("nextPageToken", "")
            if not token:
                break
        assert log == service_log(tickets, ask), ask


# --- the test ---------------------------------------------------------------------------

_fed: list[Life] = []  # every example's tickets: all of them are in reporting


@dataclass(repr=False)
class Case:
    tickets: list[Life]
    sent: list[TicketEvent]  # in the order produced, repeats included
    asks: list[Ask]
    seed: int

    def __repr__(self) -> str:
        return f"Case(seed={self.seed}, tickets={len(self.tickets)}, sent={len(self.sent)})"


@st.composite
def deliveries(draw: st.DrawFn) -> Case:
    window = next(_windows)
    seed = draw(st.integers(0, 2**32))
    rnd = random.Random(seed)
    tag = f"rc{window:02d}x{rnd.randrange(10**6):06d}"
    tickets, events = lives(rnd, window, tag, draw(st.integers(200, 300)))
    repeats = draw(st.floats(0, 0.5))
    sent = events + [e for e in events if rnd.random() < repeats]
    rnd.shuffle(sent)
    start = BASE + window * 6 * WINDOW
    zone = draw(st.sampled_from(ZONES))
    whole = Ask(start=start, end=start + WINDOW + timedelta(days=3), zone=zone)
    picked = rnd.choice([t for t in tickets if t.engineer] or tickets)
    narrower = [
        Ask(start=start + timedelta(days=2), end=start + timedelta(days=9), zone=zone),
        Ask(start=start, end=whole.end, zone=zone, enterprise=picked.enterprise),
        Ask(start=start, end=whole.end, zone=zone, provider=picked.provider),
        Ask(start=start, end=whole.end, zone=zone, engineer=picked.engineer),
        Ask(start=start, end=whole.end, zone=zone, service_type=picked.path[1]),
        Ask(
            start=start,
            end=whole.end,
            zone=zone,
            level=picked.level,
            priority=picked.priority,
        ),
    ]
    return Case(tickets, sent, [whole, draw(st.sampled_from(narrower))], seed)


async def _recorded(reporting: ReportingStack, events: list[TicketEvent]) -> None:
    """Waits until the ledger holds every event once and every fact its last version."""
    ids = sorted({e.ticket.ticket_id for e in events if e.ticket})
    last: dict[str, int] = defaultdict(int)
    for e in events:
        assert e.ticket is not None
        last[e.ticket.ticket_id] = max(last[e.ticket.ticket_id], e.version)
    distinct = len({e.event_id for e in events})
    deadline = time.monotonic() + 90
    while True:
        async with reporting.deps.engine.connect() as db:
            recorded = await db.scalar(
                select(func.count()).select_from(ledger).where(ledger.c.aggregate_id.in_(ids))
            )
            versions = dict(
                (
                    await db.execute(
                        select(ticket_facts.c.ticket_id, ticket_facts.c.version).where(
                            ticket_facts.c.ticket_id.in_(ids)
                        )
                    )
                ).all()
            )
        if recorded == distinct and versions == last:
            return
        assert time.monotonic() < deadline, f"recorded {recorded} of {distinct} events"
        await asyncio.sleep(0.2)


@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each try goes through Kafka
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(case=deliveries())
async def test_every_report_says_what_a_count_of_the_events_says(
    reporting: ReportingStack, case: Case
):
    tickets, sent, asks = case.tickets, case.sent, case.asks
    producer = create_producer(reporting.deps.settings.kafka_bootstrap)
    await producer.start()
    try:
        for event in sent:
            envelope = envelope_of(event)
            await producer.send(
                TOPIC, envelope.SerializeToString(), key=envelope.aggregate_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()
    await _recorded(reporting, sent)
    _fed.extend(tickets)
    gateway = Gateway(reporting)
    for ask in asks:
        await gateway.check(_fed, ask)
