"""Dispatch's SLA protobuf ↔ domain mapping: calendars, policies, a ticket's targets, and the
facts the clocks read from tickets' events."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ticketing.dispatch.v1 import sla_pb2 as pb
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.proto_values import datetime_of, duration, stamps, timedelta_of, timestamp
from services.dispatch.domain.sla import EscalationAction, Target, TargetState
from services.dispatch.domain.sla_clock import Hours
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec, Problem, escalation, hours
from services.dispatch.domain.sla_tracking import SlaFacts
from services.dispatch.service_layer.ports import Stored
from services.dispatch.service_layer.sla import SlaView

NOTIFY = EscalationAction.NOTIFY_ROLE
ACTIONS = {
    NOTIFY: pb.SLA_ESCALATION_ACTION_NOTIFY,
    EscalationAction.RAISE_PRIORITY: pb.SLA_ESCALATION_ACTION_RAISE_PRIORITY,
    EscalationAction.REDISPATCH: pb.SLA_ESCALATION_ACTION_REDISPATCH,
}
ACTION_OF = {v: k for k, v in ACTIONS.items()}
TARGETS = {Target.RESPONSE: pb.SLA_TARGET_RESPONSE, Target.RESOLUTION: pb.SLA_TARGET_RESOLUTION}
STATES = {
    TargetState.RUNNING: pb.SLA_TARGET_STATE_RUNNING,
    TargetState.PAUSED: pb.SLA_TARGET_STATE_PAUSED,
    TargetState.WARNING: pb.SLA_TARGET_STATE_WARNING,
    TargetState.BREACHED: pb.SLA_TARGET_STATE_BREACHED,
    TargetState.MET: pb.SLA_TARGET_STATE_MET,
    TargetState.STOPPED: pb.SLA_TARGET_STATE_STOPPED,
}


def sla_facts(ticket: tickets_pb2.Ticket) -> SlaFacts:
    status = tickets_pb2.TicketStatus.Name(ticket.status).removeprefix("TICKET_STATUS_").lower()
    return SlaFacts(
        ticket_id=ticket.ticket_id,
        status=status,
        created_at=datetime_of(ticket.stamps, "create_time") or datetime.fromtimestamp(0, UTC),
        service_level_id=ticket.service_level_id,
        number=ticket.number,
        title=ticket.title,
        priority=catalog_pb2.Priority.Name(ticket.priority).removeprefix("PRIORITY_").lower()
        if ticket.priority
        else "",
        response_target=timedelta_of(ticket, "response_target"),
        resolution_target=timedelta_of(ticket, "resolution_target"),
        first_response_at=datetime_of(ticket, "first_response_time"),
        resolved_at=datetime_of(ticket, "resolve_time"),
        enterprise_id=ticket.enterprise_id,
        provider_id=ticket.provider_id,
        engineer_id=ticket.engineer_id,
        requester_id=ticket.requester_user_id,
    )


def _hours_text(intervals: list[pb.HoursInterval]) -> str:
    return ",".join(f"{i.start}-{i.end}" for i in intervals)


def _intervals(value: Hours) -> list[pb.HoursInterval]:
    return [pb.HoursInterval(start=_hhmm(a), end=_hhmm(b)) for a, b in value]


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _dates(values: list[str], field_name: str, problems: list[Problem]) -> frozenset[date]:
    found = set()
    for i, text in enumerate(values):
        try:
            found.add(date.fromisoformat(text))
        except ValueError:
            problems.append(Problem(f"{field_name}[{i}]", f"{text!r} is not YYYY-MM-DD"))
    return frozenset(found)


def calendar_spec(m: pb.BusinessCalendar) -> tuple[CalendarSpec, list[Problem]]:
    """The calendar and what is wrong with its fields' syntax (the spec checks the rest)."""
    problems: list[Problem] = []
    weekly: list[Hours] = [()] * 7
    for i, day in enumerate(m.weekly_hours):
        if not 1 <= day.weekday <= 7:
            problems.append(Problem(f"weekly_hours[{i}].weekday", "must be 1 (Monday) to 7"))
            continue
        weekly[day.weekday - 1] = hours(
            _hours_text(list(day.intervals)), f"weekly_hours[{i}].intervals", problems
        )
    spec = CalendarSpec(
        id=m.business_calendar_id,
        name=m.display_name,
        timezone=m.time_zone or "Asia/Shanghai",
        always_open=m.always_open,
        weekly=tuple(weekly),
        holiday_country=m.holiday_country.upper(),
        extra_holidays=_dates(list(m.extra_holidays), "extra_holidays", problems),
        extra_workdays=_dates(list(m.extra_workdays), "extra_workdays", problems),
        makeup_hours=hours(_hours_text(list(m.makeup_hours)), "makeup_hours", problems),
    )
    return spec, problems


def calendar_pb(stored: Stored[CalendarSpec], moved: int = 0) -> pb.BusinessCalendar:
    c = stored.value
    return pb.BusinessCalendar(
        business_calendar_id=c.id,
        display_name=c.name,
        time_zone=c.timezone,
        always_open=c.always_open,
        weekly_hours=[
            pb.BusinessHours(weekday=i + 1, intervals=_intervals(h))
            for i, h in enumerate(c.weekly)
            if h
        ],
        holiday_country=c.holiday_country,
        extra_holidays=sorted(d.isoformat() for d in c.extra_holidays),
        extra_workdays=sorted(d.isoformat() for d in c.extra_workdays),
        makeup_hours=_intervals(c.makeup_hours),
        version=c.version,
        stamps=stamps(stored.created_at, stored.updated_at),
        deadlines_moved=moved,
    )


def policy_spec(m: pb.SlaPolicy) -> PolicySpec:
    return PolicySpec(
        id=m.sla_policy_id,
        name=m.display_name,
        service_level_ids=frozenset(m.service_level_ids),
        calendar_id=m.business_calendar_id,
        warn_at=tuple(m.warning_fractions) or (0.75, 0.9),
        escalations=tuple(
            escalation(e.offset.ToTimedelta(), e.role, ACTION_OF.get(e.action, NOTIFY))
            for e in m.escalations
        ),
        pause_while_pending_approval=m.pause_while_pending_approval,
    )


def policy_pb(stored: Stored[PolicySpec], moved: int = 0) -> pb.SlaPolicy:
    p = stored.value
    return pb.SlaPolicy(
        sla_policy_id=p.id,
        display_name=p.name,
        service_level_ids=sorted(p.service_level_ids),
        business_calendar_id=p.calendar_id,
        warning_fractions=list(p.warn_at),
        escalations=[
            pb.SlaEscalation(offset=duration(e.offset), role=e.role, action=ACTIONS[e.action])
            for e in p.escalations
        ],
        pause_while_pending_approval=p.pause_while_pending_approval,
        version=p.version,
        stamps=stamps(stored.created_at, stored.updated_at),
        deadlines_moved=moved,
    )


def ticket_sla_pb(view: SlaView) -> pb.TicketSla:
    return pb.TicketSla(
        ticket_id=view.ticket_id,
        sla_policy_id=view.policy_id,
        business_calendar_id=view.calendar_id,
        targets=[
            pb.SlaTargetStatus(
                target=TARGETS[t.target],
                state=STATES[t.state],
                start_time=timestamp(t.started_at),
                target_duration=duration(t.duration),
                due_time=timestamp(t.due_at),
                elapsed=duration(t.elapsed),
                remaining=duration(t.remaining),
                paused_intervals=[
                    pb.PausedInterval(start_time=timestamp(x.start), end_time=timestamp(x.end))
                    for x in t.pauses
                ],
                met_time=timestamp(t.met_at),
                breached=t.breached,
            )
            for t in view.targets
        ],
        compute_time=timestamp(view.computed_at),
    )
