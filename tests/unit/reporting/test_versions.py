"""A ticket's fact through time (what `asOfTime` answers from): each version is the fold of
what was known by then, whatever order the events arrived in."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain.facts import EventKind, fold, known_at, versions
from tests.unit.reporting.samples import LIFECYCLE, T0, history


def _as_of(timed, moment):
    return fold(e for at, e in timed if at <= moment)


def test_in_order_each_event_is_a_version_when_it_changes_the_fact():
    events = history(LIFECYCLE)
    timed = [(e.occurred_at + timedelta(seconds=1), e) for e in events]
    found = versions(timed, since=T0 - timedelta(days=1))
    assert [at for at, _ in found] == [at for at, _ in timed]
    assert found[-1][1] == fold(events)


def test_a_repeated_event_makes_no_version():
    events = history([EventKind.CREATED, EventKind.ASSIGNED])
    timed = [(e.occurred_at, e) for e in events]
    again = (events[1].occurred_at + timedelta(minutes=5), events[1])
    assert versions([*timed, again], since=T0) == versions(timed, since=T0)


def test_versions_since_a_moment_continue_what_was_known_before_it():
    events = history(LIFECYCLE)
    timed = [(e.occurred_at, e) for e in events]
    middle = timed[3][0]
    assert versions(timed, since=middle) == versions(timed, since=T0)[3:]


@settings(max_examples=60, deadline=None)
@given(delays=st.lists(st.integers(0, 600), min_size=len(LIFECYCLE), max_size=len(LIFECYCLE)))
def test_any_arrival_order_gives_the_fold_of_what_was_known_at_each_moment(delays):
    events = history(LIFECYCLE, step=timedelta(minutes=1))
    timed = [
        (known_at(e.occurred_at, e.occurred_at + timedelta(minutes=d)), e)
        for e, d in zip(events, delays, strict=True)
    ]
    found = versions(timed, since=T0 - timedelta(days=1))
    for at, fact in found:
        assert fact == _as_of(timed, at)
    moments = sorted({at for at, _ in timed})
    for moment in moments:  # between versions the fact does not change
        current = [fact for at, fact in found if at <= moment][-1]
        assert current == _as_of(timed, moment)
