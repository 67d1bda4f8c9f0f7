"""The SLA use cases on fakes: tickets' states start and move the clocks (SlaMet when met),
the timer raises each alert once, calendars and policies are the platform's, name bad fields,
refuse a level measured twice, and repair open tickets' deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.dispatch.domain.events import SlaAlertRaised, SlaTargetMet
from services.dispatch.domain.sla import Target, TargetState
from services.dispatch.domain.sla_clock import parse_hours
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec
from services.dispatch.domain.sla_tracking import SlaFacts
from services.dispatch.service_layer import sla
from tests.unit.dispatch.fakes import World, world

PLATFORM = Principal(user_id="admin", kind="platform",
                     permissions=frozenset({"dispatch.read", "dispatch.write"}))  # fmt: skip
PROVIDER = Principal(user_id="pa", kind="provider", organization_id="prov",
                     permissions=frozenset({"dispatch.read", "dispatch.write"}))  # fmt: skip
REQUESTER = Principal(user_id="req", kind="enterprise", organization_id="ent")
COLLEAGUE = Principal(user_id="other", kind="enterprise", organization_id="ent")
H = timedelta(hours=1)


@pytest.fixture
def w() -> World:
    return world()


def _facts(w: World, **changes: object) -> SlaFacts:
    base = SlaFacts("t1", "pending_assignment", w.clock(), "level", response_target=H,
                    resolution_target=4 * H, enterprise_id="ent", requester_id="req")  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


async def _track(w: World, facts: SlaFacts) -> None:
    async with w.deps.uow() as uow:
        await sla.track(uow, facts, w.clock())
        await uow.commit()


async def test_a_ticket_is_measured_and_its_first_response_is_met(w: World):
    created = _facts(w)
    await _track(w, created)
    w.clock.now += 10 * timedelta(minutes=1)
    await _track(w, replace(created, status="in_progress", first_response_at=w.clock(),
                            provider_id="prov", engineer_id="eng"))  # fmt: skip
    [met] = [e for e in w.state.events if isinstance(e, SlaTargetMet)]
    assert (met.met.target, met.met.breached, met.ticket.engineer_id) == (
        Target.RESPONSE, False, "eng",
    )  # fmt: skip
    view = await sla.get_ticket_sla(w.deps, REQUESTER, "t1")
    states = {t.target: t.state for t in view.targets}
    assert states == {Target.RESPONSE: TargetState.MET, Target.RESOLUTION: TargetState.RUNNING}
    for outsider in (COLLEAGUE, replace(PROVIDER, organization_id="other-prov")):
        with pytest.raises(DomainError) as refused:
            await sla.get_ticket_sla(w.deps, outsider, "t1")
        assert refused.value.code is ErrorCode.NOT_FOUND
    assert (await sla.get_ticket_sla(w.deps, PROVIDER, "t1")).ticket_id == "t1"


async def test_the_timer_raises_each_alert_once(w: World):
    await _track(w, _facts(w))
    w.clock.now += 2 * H
    assert await sla.fire_due(w.deps) == 1
    raised = [e for e in w.state.events if isinstance(e, SlaAlertRaised)]
    assert [(e.alert.target, e.alert.key) for e in raised] == [
        (Target.RESPONSE, "warning:0.75"),
        (Target.RESPONSE, "warning:0.9"),
        (Target.RESPONSE, "breach"),
    ]
    assert raised[-1].deadline == raised[0].deadline  # the target's deadline, not the alert's
    assert await sla.fire_due(w.deps) == 0  # nothing more is due
    w.clock.now += 3 * H
    await sla.fire_due(w.deps)
    keys = [(e.alert.target, e.alert.key) for e in w.state.events
            if isinstance(e, SlaAlertRaised)]  # fmt: skip
    assert len(keys) == len(set(keys)) == 6


async def test_calendars_and_policies_are_checked_and_the_platforms(w: World):
    bad = CalendarSpec("", " ", timezone="Mars/Olympus", holiday_country="US")
    with pytest.raises(DomainError) as refused:
        await sla.create_calendar(w.deps, PLATFORM, bad, [])
    assert {v.field for v in refused.value.violations} == {
        "business_calendar.display_name", "business_calendar.time_zone",
        "business_calendar.holiday_country", "business_calendar.weekly_hours",
    }  # fmt: skip
    office = CalendarSpec("", "工作日", weekly=(parse_hours("09:00-18:00"),) * 5 + ((), ()))
    with pytest.raises(DomainError) as refused:
        await sla.create_calendar(w.deps, PROVIDER, office, [])
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    calendar = await sla.create_calendar(w.deps, PLATFORM, office, [])
    policy, _ = await sla.create_policy(
        w.deps, PLATFORM, PolicySpec("", "标准", frozenset({"level"}), calendar.value.id)
    )
    with pytest.raises(DomainError) as refused:
        await sla.create_policy(w.deps, PLATFORM, PolicySpec("", "again", frozenset({"level"})))
    assert [v.field for v in refused.value.violations] == ["sla_policy.service_level_ids"]
    with pytest.raises(DomainError) as refused:
        await sla.create_policy(w.deps, PLATFORM, PolicySpec("", "x", calendar_id="nope",
                                                             warn_at=(1.5,)))  # fmt: skip
    assert [v.field for v in refused.value.violations] == ["sla_policy.warning_fractions"]
    assert policy.value.version == 1


async def test_a_policy_change_repairs_open_tickets_deadlines(w: World):
    w.clock.now = w.clock.now.replace(hour=17, minute=30)  # a Monday, 17:30 UTC
    await _track(w, _facts(w))
    await _track(w, _facts(w, ticket_id="t2", status="cancelled"))
    before = w.state.clocks["t1"][2]
    office = CalendarSpec("", "工作日", timezone="UTC",
                          weekly=(parse_hours("09:00-18:00"),) * 5 + ((), ()))  # fmt: skip
    calendar = await sla.create_calendar(w.deps, PLATFORM, office, [])
    policy, moved = await sla.create_policy(
        w.deps, PLATFORM, PolicySpec("", "标准", frozenset({"level"}), calendar.value.id)
    )
    assert moved == 2  # t1's two targets; t2 is cancelled
    response_due, resolution_due = w.state.clocks["t1"][2]
    next_day = w.clock.now + timedelta(days=1)
    assert response_due == next_day.replace(hour=9, minute=30)  # 1 h: 17:30–18, 9–9:30
    assert resolution_due == next_day.replace(hour=12, minute=30)
    assert response_due != before[0]
    _, moved = await sla.update_policy(
        w.deps, PLATFORM, replace(policy.value, service_level_ids=frozenset())
    )
    assert moved == 2 and w.state.clocks["t1"][2] == before  # round the clock again
    assert w.state.clocks["t1"][0].policy_id == ""


async def test_escalation_levels_raise_the_priority_and_re_dispatch(w: World):
    from services.dispatch.domain.events import DecisionKind, DecisionState, RecordedDecision
    from services.dispatch.domain.routing import Decision, TicketFacts
    from services.dispatch.domain.sla import EscalationAction
    from services.dispatch.domain.sla_config import escalation
    from services.dispatch.service_layer.ports import TicketState
    from services.dispatch.service_layer.routing import apply_pending

    levels = (
        escalation(timedelta(0), "provider_admin", EscalationAction.RAISE_PRIORITY),
        escalation(H / 2, "platform_admin", EscalationAction.REDISPATCH),
    )
    await sla.create_policy(w.deps, PLATFORM, PolicySpec("", "升级", frozenset({"level"}),
                                                         escalations=levels))  # fmt: skip
    held = _facts(w, status="assigned", priority="normal", provider_id="prov", engineer_id="e1")
    await _track(w, held)
    routed = TicketFacts("t1", "ent", ("it",), "level", "normal", "web", {}, w.clock())
    w.state.tickets["t1"] = TicketState(routed, "assigned", "prov", "e1", 2)
    given = Decision("t1", "rule", 1, "prov", "e1")
    w.state.decisions["d1"] = RecordedDecision(
        "d1", DecisionKind.ENGINEER_CHOSEN, DecisionState.APPLIED, given, w.clock()
    )
    w.clock.now += 2 * H  # past the response deadline and both levels
    await sla.fire_due(w.deps)
    [raised] = [d for d in w.state.decisions.values() if d.kind is DecisionKind.PRIORITY_RAISED]
    assert (raised.state, raised.decision.priority, raised.decision.provider_id) == (
        DecisionState.PENDING, "high", "prov",
    )  # fmt: skip
    assert w.state.decisions["d1"].recheck_at == w.clock()  # redispatch_due takes it next
    await apply_pending(w.deps)
    assert {"ticket_id": "t1", "priority": "high", "request_id": raised.id} in w.api.calls
    assert w.state.decisions[raised.id].state is DecisionState.APPLIED
    w.clock.now += H  # nothing fires twice
    await sla.fire_due(w.deps)
    assert sum(d.kind is DecisionKind.PRIORITY_RAISED for d in w.state.decisions.values()) == 1
