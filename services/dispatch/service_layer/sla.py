"""SLA clocks: kept current from tickets' events, alerts raised by a timer, calendars and
policies edited by platform admins (with open tickets' deadlines repaired), and each ticket's
targets shown to whoever may see the ticket.

`track` runs in the feed consumer's transaction (the ticket's event, its clocks and any SlaMet
event commit together, once per event). `fire_due` takes the tickets whose next alert is due
with SKIP LOCKED, so any number of replicas share the work and each alert is raised once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found, permission_denied
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import page_of
from services.dispatch.domain.events import (
    DecisionKind,
    DecisionState,
    RecordedDecision,
    SlaAlertRaised,
    SlaTargetMet,
    SlaTicket,
)
from services.dispatch.domain.routing import Decision
from services.dispatch.domain.sla import EscalationAction, SlaPolicy, Target, TargetState
from services.dispatch.domain.sla_clock import BusinessCalendar, Pause, always_open
from services.dispatch.domain.sla_config import BUILT_IN_POLICY, CalendarSpec, PolicySpec, Problem
from services.dispatch.domain.sla_tracking import SlaFacts, TicketClocks
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import DispatchUnit, Stored


@dataclass(frozen=True)
class Measure:
    """A policy as the clocks use it, and its calendar."""

    spec: PolicySpec
    policy: SlaPolicy
    calendar: BusinessCalendar


async def _measure(uow: DispatchUnit, policy_id: str) -> Measure:
    stored = await uow.sla.get_policy(policy_id) if policy_id else None
    spec = stored.value if stored else BUILT_IN_POLICY
    calendar = await uow.sla.business_calendar(spec.calendar_id) or always_open()
    return Measure(spec, spec.policy(), calendar)


PRIORITIES = ("low", "normal", "high", "urgent")


async def _act_on(uow: DispatchUnit, raised: SlaAlertRaised, now: datetime) -> None:
    """What an escalation level does besides telling its role (notify reads the alert):
    raise the ticket's priority one step — a decision applied through tickets'
    EscalateTicket, idempotent by its id — or re-dispatch the ticket if dispatch gave it to
    the engineer who holds it unstarted (redispatch_due takes it from there)."""
    escalation, ticket = raised.alert.escalation, raised.ticket
    if escalation is None or escalation.action is EscalationAction.NOTIFY_ROLE:
        return
    if escalation.action is EscalationAction.REDISPATCH:
        await uow.decisions.redispatch_ticket(raised.ticket_id, now)
        return
    if ticket.priority not in PRIORITIES[:-1]:
        return  # urgent already (or unknown): nothing higher
    higher = PRIORITIES[PRIORITIES.index(ticket.priority) + 1]
    target = "response" if raised.alert.target is Target.RESPONSE else "resolution"
    decision = Decision(
        raised.ticket_id,
        provider_id=ticket.provider_id,
        priority=higher,
        explanation=f"{target} escalation level {raised.level}: priority raised to {higher}",
    )
    await uow.decisions.add(
        RecordedDecision(
            uuid.uuid4().hex, DecisionKind.PRIORITY_RAISED, DecisionState.PENDING, decision, now
        )
    )


async def ticket_summary(uow: DispatchUnit, ticket_id: str) -> SlaTicket:
    """The ticket as dispatch last saw it: from its SLA clocks (number, title, requester) when
    it has them, otherwise what routing keeps."""
    tracked = await uow.sla.get_clocks(ticket_id)
    if tracked is not None:
        return _ticket(tracked)
    seen = await uow.tickets.get(ticket_id)
    if seen is None:
        return SlaTicket()
    return SlaTicket(
        priority=seen.facts.priority,
        status=seen.status,
        enterprise_id=seen.facts.enterprise_id,
        provider_id=seen.provider_id,
        engineer_id=seen.engineer_id,
    )


def _ticket(tracked: TicketClocks) -> SlaTicket:
    f = tracked.facts
    return SlaTicket(
        f.number,
        f.title,
        f.priority,
        f.status,
        f.enterprise_id,
        f.provider_id,
        f.engineer_id,
        f.requester_id,
    )


async def _save(uow: DispatchUnit, tracked: TicketClocks, m: Measure) -> None:
    await uow.sla.save_clocks(
        tracked,
        next_due=tracked.next_due(m.policy, m.calendar),
        response_due=tracked.deadline(Target.RESPONSE, m.calendar),
        resolution_due=tracked.deadline(Target.RESOLUTION, m.calendar),
    )


# --- clocks --------------------------------------------------------------------------------


async def track(uow: DispatchUnit, facts: SlaFacts, at: datetime) -> None:
    """Moves a ticket's clocks to its state in one of tickets' events (newer than any seen)."""
    tracked = await uow.sla.get_clocks(facts.ticket_id, lock=True)
    if tracked is None:
        spec = await uow.sla.policy_for_level(facts.service_level_id) or BUILT_IN_POLICY
        tracked = TicketClocks.start(facts, spec.id, spec.policy())
        if tracked is None:
            return  # the service level sets no targets
    measure = await _measure(uow, tracked.policy_id)
    for met in tracked.observe(facts, at, measure.policy, measure.calendar):
        await uow.emit(SlaTargetMet(facts.ticket_id, met, _ticket(tracked)))
    await _save(uow, tracked, measure)


async def fire_due(deps: Deps) -> int:
    """Raises every alert due by now (warnings, breaches, escalations), each once; returns
    how many tickets it looked at."""
    now = deps.clock()
    async with deps.uow() as uow:
        due = await uow.sla.due(now, deps.settings.sla_batch)
        measures: dict[str, Measure] = {}
        for ticket_id in due:
            tracked = await uow.sla.get_clocks(ticket_id)
            if tracked is None:
                continue
            if tracked.policy_id not in measures:
                measures[tracked.policy_id] = await _measure(uow, tracked.policy_id)
            m = measures[tracked.policy_id]
            for alert in tracked.due_alerts(m.policy, m.calendar, now):
                deadline = tracked.deadline(alert.target, m.calendar)
                raised = SlaAlertRaised(ticket_id, alert, deadline, _ticket(tracked), now)
                await uow.emit(raised)
                await _act_on(uow, raised, now)
            await _save(uow, tracked, m)
        await uow.commit()
    return len(due)


@dataclass(frozen=True)
class TargetView:
    target: Target
    state: TargetState
    started_at: datetime
    duration: timedelta
    due_at: datetime | None
    elapsed: timedelta
    remaining: timedelta  # negative once breached
    pauses: list[Pause]
    met_at: datetime | None
    breached: bool


@dataclass(frozen=True)
class SlaView:
    ticket_id: str
    policy_id: str
    calendar_id: str
    targets: list[TargetView]
    computed_at: datetime


async def get_ticket_sla(deps: Deps, p: Principal, ticket_id: str) -> SlaView:
    """The ticket's targets, for whoever may see the ticket (others: 404)."""
    now = deps.clock()
    async with deps.uow() as uow:
        tracked = await uow.sla.get_clocks(ticket_id)
        if tracked is None or not _may_see(p, tracked):
            raise not_found("TICKET_SLA_NOT_FOUND", f"no ticket {ticket_id!r} with SLA targets")
        m = await _measure(uow, tracked.policy_id)
    views = []
    for target in (Target.RESPONSE, Target.RESOLUTION):
        clock = tracked.clocks.get(target)
        if clock is None:
            continue
        due = clock.deadline(m.calendar)
        end = clock.met_at or tracked.stopped_at or now
        elapsed = clock.elapsed(m.calendar, end)
        views.append(
            TargetView(
                target=target,
                state=tracked.state(target, m.policy, m.calendar, now),
                started_at=clock.started_at,
                duration=clock.duration,
                due_at=due,
                elapsed=elapsed,
                remaining=clock.duration - elapsed,
                pauses=list(clock.pauses),
                met_at=clock.met_at,
                breached=due is not None and (clock.met_at or now) > due,
            )
        )
    return SlaView(ticket_id, m.spec.id, m.spec.calendar_id, views, now)


def _may_see(p: Principal, tracked: TicketClocks) -> bool:
    f = tracked.facts
    if p.is_platform:
        return True
    if p.kind == "provider":
        return bool(f.provider_id) and f.provider_id == p.organization_id
    if p.kind == "engineer":
        return f.provider_id == p.organization_id and f.engineer_id in ("", p.user_id)
    if p.kind == "enterprise" and p.organization_id == f.enterprise_id:
        return p.user_id == f.requester_id or p.data_scope in ("organization", "all")
    return False


# --- calendars and policies ------------------------------------------------------------------

EDITOR = "dispatch.write"
READER = "dispatch.read"


def _require_editor(p: Principal) -> None:
    require_permission(p, EDITOR)
    if not p.is_platform:
        raise permission_denied(
            "SLA_PLATFORM_ONLY", "calendars and SLA policies are the platform's"
        )


def _require_reader(p: Principal) -> None:
    require_permission(p, READER)


def _refuse(problems: list[Problem], field_prefix: str) -> None:
    if problems:
        raise invalid_argument(
            "SLA_DEFINITION_INVALID",
            [FieldViolation(f"{field_prefix}.{x.field}", x.description) for x in problems],
        )


async def create_calendar(
    deps: Deps,
    p: Principal,
    spec: CalendarSpec,
    problems: list[Problem],
    *,
    request_id: str = "",
    fingerprint: str = "",
) -> Stored[CalendarSpec]:
    _require_editor(p)
    _refuse(problems + spec.problems(), "business_calendar")
    key = RequestKey(
        caller_scope(p.organization_id, p.user_id), "create-calendar", request_id, fingerprint
    )
    async with deps.uow() as uow:
        if existing := await uow.requests.remembered(key):
            return await _calendar(uow, existing)
        stored = await uow.sla.add_calendar(replace(spec, id=uuid.uuid4().hex, version=1))
        await uow.requests.remember(key, resource_id=stored.value.id)
        await uow.commit()
    return stored


async def get_calendar(deps: Deps, p: Principal, calendar_id: str) -> Stored[CalendarSpec]:
    _require_reader(p)
    async with deps.uow() as uow:
        return await _calendar(uow, calendar_id)


async def list_calendars(
    deps: Deps, p: Principal, page_size: int, page_token: str
) -> tuple[list[Stored[CalendarSpec]], str]:
    _require_reader(p)
    page = page_of(page_size, page_token, default=100, maximum=500)
    async with deps.uow() as uow:
        found = await uow.sla.calendars(page.offset, page.limit)
    return found, page.next_token(len(found))


async def update_calendar(
    deps: Deps, p: Principal, spec: CalendarSpec, problems: list[Problem]
) -> tuple[Stored[CalendarSpec], int]:
    """Replaces the calendar; returns it and how many open targets' deadlines moved."""
    _require_editor(p)
    _refuse(problems + spec.problems(), "business_calendar")
    async with deps.uow() as uow:
        current = await _calendar(uow, spec.id, lock=True)
        stored = await uow.sla.save_calendar(replace(spec, version=current.value.version + 1))
        policies = await uow.sla.policies_of_calendar(spec.id)
        moved = await _repair(uow, policies, set()) if policies else 0
        await uow.commit()
    return stored, moved


async def _calendar(
    uow: DispatchUnit, calendar_id: str, lock: bool = False
) -> Stored[CalendarSpec]:
    stored = await uow.sla.get_calendar(calendar_id, lock=lock)
    if stored is None:
        raise not_found("BUSINESS_CALENDAR_NOT_FOUND", f"no business calendar {calendar_id!r}")
    return stored


async def create_policy(
    deps: Deps, p: Principal, spec: PolicySpec, *, request_id: str = "", fingerprint: str = ""
) -> tuple[Stored[PolicySpec], int]:
    _require_editor(p)
    _refuse(spec.problems(), "sla_policy")
    key = RequestKey(
        caller_scope(p.organization_id, p.user_id), "create-sla-policy", request_id, fingerprint
    )
    async with deps.uow() as uow:
        if existing := await uow.requests.remembered(key):
            return await _policy(uow, existing), 0
        spec = replace(spec, id=uuid.uuid4().hex, version=1)
        await _check_references(uow, spec)
        stored = await uow.sla.add_policy(spec)
        moved = await _repair(uow, [spec.id], set(spec.service_level_ids))
        await uow.requests.remember(key, resource_id=spec.id)
        await uow.commit()
    return stored, moved


async def get_policy(deps: Deps, p: Principal, policy_id: str) -> Stored[PolicySpec]:
    _require_reader(p)
    async with deps.uow() as uow:
        return await _policy(uow, policy_id)


async def list_policies(
    deps: Deps, p: Principal, page_size: int, page_token: str
) -> tuple[list[Stored[PolicySpec]], str]:
    _require_reader(p)
    page = page_of(page_size, page_token, default=100, maximum=500)
    async with deps.uow() as uow:
        found = await uow.sla.policies(page.offset, page.limit)
    return found, page.next_token(len(found))


async def update_policy(
    deps: Deps, p: Principal, spec: PolicySpec
) -> tuple[Stored[PolicySpec], int]:
    """Replaces the policy; returns it and how many open targets' deadlines moved (tickets of
    the levels it now measures, and of those it no longer does, are measured anew)."""
    _require_editor(p)
    _refuse(spec.problems(), "sla_policy")
    async with deps.uow() as uow:
        current = await _policy(uow, spec.id, lock=True)
        await _check_references(uow, spec)
        stored = await uow.sla.save_policy(replace(spec, version=current.value.version + 1))
        levels = set(spec.service_level_ids) | set(current.value.service_level_ids)
        moved = await _repair(uow, [spec.id], levels)
        await uow.commit()
    return stored, moved


async def _policy(uow: DispatchUnit, policy_id: str, lock: bool = False) -> Stored[PolicySpec]:
    stored = await uow.sla.get_policy(policy_id, lock=lock)
    if stored is None:
        raise not_found("SLA_POLICY_NOT_FOUND", f"no SLA policy {policy_id!r}")
    return stored


async def _check_references(uow: DispatchUnit, spec: PolicySpec) -> None:
    problems = []
    if spec.calendar_id and await uow.sla.get_calendar(spec.calendar_id) is None:
        problems.append(Problem("business_calendar_id", "is not a business calendar"))
    taken = await uow.sla.levels_taken(set(spec.service_level_ids), spec.id)
    if taken:
        listed = ", ".join(sorted(taken))
        problems.append(
            Problem("service_level_ids", f"already measured by another policy: {listed}")
        )
    _refuse(problems, "sla_policy")


async def _repair(uow: DispatchUnit, policy_ids: list[str], levels: set[str]) -> int:
    """Measures open tickets anew after a policy or calendar changed (each by the policy of
    its level now, from its recorded clocks and pauses); returns how many deadlines moved."""
    moved = 0
    measures: dict[str, Measure] = {}
    for ticket_id, response_due, resolution_due in await uow.sla.open_for_policies(
        policy_ids, levels
    ):
        tracked = await uow.sla.get_clocks(ticket_id)
        if tracked is None:
            continue
        spec = await uow.sla.policy_for_level(tracked.facts.service_level_id)
        tracked.policy_id = spec.id if spec else ""
        if tracked.policy_id not in measures:
            measures[tracked.policy_id] = await _measure(uow, tracked.policy_id)
        m = measures[tracked.policy_id]
        await _save(uow, tracked, m)
        moved += (tracked.deadline(Target.RESPONSE, m.calendar) != response_due) + (
            tracked.deadline(Target.RESOLUTION, m.calendar) != resolution_due
        )
    return moved
