"""A ticket's fact is the fold of its events: duplicates change nothing, any arrival order
gives the same fact, and each time comes from the step that sets it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.domain.facts import EventKind, SlaOutcome, Status, TicketEvent, fold
from tests.unit.reporting.samples import LIFECYCLE, T0, history, state


def test_the_lifecycle_gives_every_time_and_the_reopen_count():
    fact = fold(history(LIFECYCLE))
    assert fact is not None
    hour = timedelta(hours=1)
    assert fact.created_at == T0
    assert fact.assigned_at == T0 + hour
    assert fact.first_response_at == T0 + 2 * hour  # the start, not the assignment
    assert fact.resolved_at == T0 + 5 * hour  # the last resolution counts
    assert fact.closed_at == T0 + 6 * hour
    assert fact.cancelled_at is None
    assert fact.reopen_count == 1
    assert fact.ticket.rating_score == 4
    assert fact.ticket.status is Status.CLOSED
    assert fact.version == len(LIFECYCLE)
    assert fact.finished_at == fact.ended_at == fact.closed_at


@given(st.permutations(range(len(LIFECYCLE))), st.lists(st.integers(0, len(LIFECYCLE) - 1)))
def test_order_and_repetition_of_arrival_change_nothing(order, repeats):
    events = history(LIFECYCLE)
    arrived = [events[i] for i in order] + [events[i] for i in repeats]
    assert fold(arrived) == fold(events)


def test_a_public_reply_by_the_provider_is_the_first_response():
    events = history([EventKind.CREATED, EventKind.COMMENTED, EventKind.CLAIMED])
    events[1] = replace(events[1], provider_reply=True)
    fact = fold(events)
    assert fact is not None
    assert fact.first_response_at == T0 + timedelta(hours=1)
    assert fact.assigned_at == T0 + timedelta(hours=2)


def test_the_tickets_own_first_response_stamp_wins_over_the_events():
    """Tickets stamps the first response (the start, or a public reply by anyone but the
    requester — platform staff too); dispatch's response clock stops there, and so does
    reporting's response time. Events read only for states without the stamp."""
    events = history([EventKind.CREATED, EventKind.ASSIGNED, EventKind.COMMENTED])
    replied = T0 + timedelta(hours=2)
    events[2] = replace(events[2], ticket=replace(events[2].ticket, first_response_at=replied))
    fact = fold(events)
    assert fact is not None and fact.first_response_at == replied
    snapshot = replace(events[2], event_id="s", kind=EventKind.SNAPSHOT)
    alone = fold([snapshot])
    assert alone is not None and alone.first_response_at == replied


def test_an_assignment_or_a_claim_is_not_a_response():
    fact = fold(history([EventKind.CREATED, EventKind.ASSIGNED, EventKind.CLAIMED]))
    assert fact is not None and fact.assigned_at == T0 + timedelta(hours=1)
    assert fact.first_response_at is None


def test_a_requester_comment_is_not_a_response():
    fact = fold(history([EventKind.CREATED, EventKind.COMMENTED]))
    assert fact is not None and fact.first_response_at is None


def test_a_reopened_ticket_is_back_in_the_backlog_until_resolved_again():
    fact = fold(history([EventKind.CREATED, EventKind.RESOLVED, EventKind.REOPENED]))
    assert fact is not None
    assert fact.resolved_at is None and fact.ended_at is None and fact.finished_at is None
    assert fact.reopen_count == 1


def test_cancelled_and_rejected_tickets_end_when_it_happened():
    for kind in (EventKind.CANCELLED, EventKind.REJECTED):
        fact = fold(history([EventKind.CREATED, kind]))
        assert fact is not None
        assert fact.cancelled_at == T0 + timedelta(hours=1)
        assert fact.finished_at == fact.cancelled_at


def test_a_snapshot_alone_gives_what_the_state_says_and_leaves_the_rest_unknown():
    closed = state(
        status=Status.CLOSED,
        engineer_id="eng-1",
        resolved_at=T0 + timedelta(hours=3),
        closed_at=T0 + timedelta(hours=4),
    )
    fact = fold([TicketEvent("snap", EventKind.SNAPSHOT, 7, T0 + timedelta(days=9), closed)])
    assert fact is not None
    assert fact.resolved_at == T0 + timedelta(hours=3)
    assert fact.closed_at == T0 + timedelta(hours=4)
    assert fact.assigned_at is None and fact.first_response_at is None


def test_a_snapshot_of_the_same_version_does_not_hide_the_step():
    events = history([EventKind.CREATED, EventKind.CLAIMED])
    snapshot = replace(events[1], event_id="snap", kind=EventKind.SNAPSHOT)
    fact = fold([*events, snapshot])
    assert fact is not None and fact.assigned_at == T0 + timedelta(hours=1)


def test_no_events_no_fact():
    assert fold([]) is None


def _sla(event_id: str, target: str, due_hours: float, at_hours: float, breached):  # type: ignore[no-untyped-def]
    outcome = SlaOutcome(target, T0 + timedelta(hours=due_hours), breached)
    return TicketEvent(
        event_id, EventKind.SLA, 0, T0 + timedelta(hours=at_hours), None, sla=outcome
    )


SLA_EVENTS = [
    _sla("w1", "resolution", 8, 6, None),  # a warning: the deadline, no verdict yet
    _sla("m1", "response", 2, 1, False),  # met in time
    _sla("b1", "resolution", 30, 31, True),  # paused meanwhile: a later deadline, missed
    _sla("m2", "resolution", 30, 40, False),  # met after it: still missed
]


@given(st.permutations(range(len(LIFECYCLE) + len(SLA_EVENTS))))
def test_dispatchs_sla_events_give_the_deadlines_and_the_verdicts_in_any_order(order):
    events = history(LIFECYCLE) + SLA_EVENTS
    fact = fold(events[i] for i in order)
    assert fact is not None
    assert fact.ticket.response_due_at == T0 + timedelta(hours=2)
    assert fact.ticket.resolution_due_at == T0 + timedelta(hours=30)
    assert (fact.response_breached, fact.resolution_breached) == (False, True)
    assert fact.version == len(LIFECYCLE)  # the ticket's own version


def test_sla_events_alone_make_no_fact_and_without_them_nothing_is_decided():
    assert fold(SLA_EVENTS) is None
    fact = fold(history(LIFECYCLE))
    assert fact is not None and fact.response_breached is fact.resolution_breached is None
