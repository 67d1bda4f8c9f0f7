"""A ticket's SLA clocks moved by the states tickets' events carry: pauses while waiting on
the customer (and pending approval when the policy says so), the first response and the
resolution meet their targets, a reopen resumes, cancelling stops; alerts are raised once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.dispatch.domain.sla import Target, TargetState
from services.dispatch.domain.sla_clock import always_open
from services.dispatch.domain.sla_config import BUILT_IN_POLICY, PolicySpec, escalation
from services.dispatch.domain.sla_tracking import SlaFacts, TicketClocks

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
M = timedelta(minutes=1)
CAL = always_open()
POLICY = BUILT_IN_POLICY.policy()
FACTS = SlaFacts("t1", "pending_assignment", T0, "level", response_target=60 * M,
                 resolution_target=240 * M, enterprise_id="ent", requester_id="req")  # fmt: skip


def _started(facts: SlaFacts = FACTS, policy=POLICY) -> TicketClocks:
    tracked = TicketClocks.start(facts, "", policy)
    assert tracked is not None
    tracked.observe(facts, facts.created_at, policy, CAL)
    return tracked


def test_a_level_without_targets_has_no_clocks():
    assert TicketClocks.start(replace(FACTS, response_target=None, resolution_target=None),
                              "", POLICY) is None  # fmt: skip


def test_first_response_and_resolution_meet_their_targets():
    tracked = _started()
    [met] = tracked.observe(replace(FACTS, status="in_progress", first_response_at=T0 + 30 * M),
                            T0 + 30 * M, POLICY, CAL)  # fmt: skip
    assert (met.target, met.breached, met.elapsed) == (Target.RESPONSE, False, 30 * M)
    [late] = tracked.observe(
        replace(FACTS, status="resolved", first_response_at=T0 + 30 * M,
                resolved_at=T0 + 300 * M), T0 + 300 * M, POLICY, CAL)  # fmt: skip
    assert (late.target, late.breached, late.due_at) == (Target.RESOLUTION, True, T0 + 240 * M)
    assert tracked.next_due(POLICY, CAL) is None
    assert tracked.state(Target.RESOLUTION, POLICY, CAL, T0 + 400 * M) is TargetState.MET


def test_waiting_on_the_customer_pauses_and_the_reply_resumes():
    tracked = _started()
    tracked.observe(replace(FACTS, status="in_progress", first_response_at=T0 + 10 * M),
                    T0 + 10 * M, POLICY, CAL)  # fmt: skip
    tracked.observe(replace(FACTS, status="waiting_on_customer"), T0 + 60 * M, POLICY, CAL)
    assert tracked.deadline(Target.RESOLUTION, CAL) is None  # paused for good, for now
    assert tracked.state(Target.RESOLUTION, POLICY, CAL, T0 + 999 * M) is TargetState.PAUSED
    assert tracked.due_alerts(POLICY, CAL, T0 + 999 * M) == []
    tracked.observe(replace(FACTS, status="in_progress"), T0 + 180 * M, POLICY, CAL)
    assert tracked.deadline(Target.RESOLUTION, CAL) == T0 + 360 * M  # 120 minutes paused


def test_pending_approval_counts_unless_the_policy_pauses_it():
    waiting = replace(FACTS, status="pending_approval")
    counted = _started(waiting)
    assert counted.deadline(Target.RESPONSE, CAL) == T0 + 60 * M
    pausing = PolicySpec("p", "p", pause_while_pending_approval=True).policy()
    paused = _started(waiting, pausing)
    assert paused.deadline(Target.RESPONSE, CAL) is None
    paused.observe(FACTS, T0 + 45 * M, pausing, CAL)  # approved after 45 minutes
    assert paused.deadline(Target.RESPONSE, CAL) == T0 + 105 * M


def test_a_reopen_resumes_the_resolution_clock_from_where_it_stood():
    tracked = _started()
    tracked.observe(replace(FACTS, status="resolved", first_response_at=T0 + 5 * M,
                            resolved_at=T0 + 100 * M), T0 + 100 * M, POLICY, CAL)  # fmt: skip
    tracked.observe(replace(FACTS, status="in_progress", first_response_at=T0 + 5 * M),
                    T0 + 160 * M, POLICY, CAL)  # fmt: skip
    # 100 minutes used, 140 left from the reopen.
    assert tracked.deadline(Target.RESOLUTION, CAL) == T0 + 300 * M


def test_alerts_come_due_once_each_and_stop_when_cancelled():
    policy = PolicySpec("p", "p", warn_at=(0.5,),
                        escalations=(escalation(30 * M, "provider_admin"),)).policy()  # fmt: skip
    tracked = _started(policy=policy)
    assert tracked.next_due(policy, CAL) == T0 + 30 * M  # half the response target
    first = tracked.due_alerts(policy, CAL, T0 + 61 * M)
    assert [(a.target, a.key) for a in first] == [
        (Target.RESPONSE, "warning:0.5"), (Target.RESPONSE, "breach")]  # fmt: skip
    assert tracked.due_alerts(policy, CAL, T0 + 61 * M) == []
    assert tracked.next_due(policy, CAL) == T0 + 90 * M  # the escalation, 30 after the deadline
    escalated = tracked.due_alerts(policy, CAL, T0 + 121 * M)
    assert [a.key for a in escalated] == ["escalation:0", "warning:0.5"]
    tracked.observe(replace(FACTS, status="cancelled"), T0 + 122 * M, policy, CAL)
    assert tracked.next_due(policy, CAL) is None
    assert tracked.due_alerts(policy, CAL, T0 + 999 * M) == []
    assert tracked.state(Target.RESOLUTION, policy, CAL, T0 + 999 * M) is TargetState.STOPPED
