"""SLA clocks: warnings, breach and escalations come due in business time, once each; pauses
hold them back; meeting a target silences it; reopening runs the resolution clock on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.dispatch.domain.sla import (
    Clock,
    Escalation,
    EscalationAction,
    SlaPolicy,
    Target,
    TargetState,
    clocks_for,
)
from services.dispatch.domain.sla_clock import always_open

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
ROUND_THE_CLOCK = always_open()
POLICY = SlaPolicy(
    response=100 * S,
    resolution=1000 * S,
    warn_at=(0.75, 0.9),
    escalations=(
        Escalation(-10 * S, EscalationAction.NOTIFY_ROLE, "provider-admin"),
        Escalation(60 * S, EscalationAction.REDISPATCH),
    ),
)


def response_clock() -> Clock:
    return clocks_for(POLICY, T0, pending_approval=False)[0]


def test_alerts_come_due_at_fractions_the_deadline_and_escalation_offsets():
    alerts = response_clock().alerts(POLICY, ROUND_THE_CLOCK)
    assert [(a.key, a.due_at - T0) for a in alerts] == [
        ("warning:0.75", 75 * S),
        ("escalation:0", 90 * S),
        ("warning:0.9", 90 * S),
        ("breach", 100 * S),
        ("escalation:1", 160 * S),
    ]


def test_each_alert_is_raised_once_and_the_timer_knows_when_to_look_next():
    clock, fired = response_clock(), set()
    due = clock.due_alerts(POLICY, ROUND_THE_CLOCK, T0 + 95 * S, fired)
    assert [a.key for a in due] == ["warning:0.75", "escalation:0", "warning:0.9"]
    fired |= {a.key for a in due}
    assert clock.next_due(POLICY, ROUND_THE_CLOCK, fired) == T0 + 100 * S
    assert clock.due_alerts(POLICY, ROUND_THE_CLOCK, T0 + 95 * S, fired) == []


def test_a_pause_holds_every_alert_back_by_its_length():
    clock = response_clock()
    clock.pause(T0 + 50 * S)
    assert clock.state(ROUND_THE_CLOCK, T0 + 200 * S, POLICY) is TargetState.PAUSED
    assert clock.due_alerts(POLICY, ROUND_THE_CLOCK, T0 + 10_000 * S, set()) == []  # never
    clock.resume(T0 + 250 * S)
    assert clock.deadline(ROUND_THE_CLOCK) == T0 + 300 * S
    assert clock.state(ROUND_THE_CLOCK, T0 + 260 * S, POLICY) is TargetState.RUNNING  # 60 s
    assert clock.state(ROUND_THE_CLOCK, T0 + 280 * S, POLICY) is TargetState.WARNING  # 80 s


def test_a_met_target_raises_nothing_more():
    clock = response_clock()
    clock.meet(T0 + 40 * S)
    assert clock.state(ROUND_THE_CLOCK, T0 + 500 * S, POLICY) is TargetState.MET
    assert clock.due_alerts(POLICY, ROUND_THE_CLOCK, T0 + 500 * S, set()) == []
    assert clock.next_due(POLICY, ROUND_THE_CLOCK, set()) is None


def test_states_through_a_targets_life():
    clock = response_clock()
    states = [clock.state(ROUND_THE_CLOCK, T0 + n * S, POLICY) for n in (10, 80, 100, 150)]
    assert states == [
        TargetState.RUNNING,
        TargetState.WARNING,
        TargetState.BREACHED,
        TargetState.BREACHED,
    ]


def test_reopening_runs_the_resolution_clock_on_from_where_it_stood():
    resolution = clocks_for(POLICY, T0, pending_approval=False)[1]
    assert resolution.target is Target.RESOLUTION
    resolution.meet(T0 + 400 * S)
    resolution.reopen(T0 + 5000 * S)
    assert resolution.elapsed(ROUND_THE_CLOCK, T0 + 5100 * S) == 500 * S
    assert resolution.deadline(ROUND_THE_CLOCK) == T0 + 5600 * S


def test_approval_time_counts_only_if_the_policy_says_so():
    paused = SlaPolicy(response=100 * S, resolution=1000 * S, pause_while_pending_approval=True)
    for clock in clocks_for(paused, T0, pending_approval=True):
        assert clock.paused
    for clock in clocks_for(POLICY, T0, pending_approval=True):
        assert not clock.paused
