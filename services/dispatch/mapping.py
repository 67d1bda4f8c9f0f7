"""Dispatch's protobuf ↔ domain mapping (rules, decisions, availability, tickets' events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import json_format
from ticketing.dispatch.v1 import dispatch_pb2 as pb
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.proto_values import datetime_of, duration, stamps, timedelta_of, timestamp
from services.dispatch.domain.events import DecisionKind, DecisionState, RecordedDecision
from services.dispatch.domain.routing import (
    Availability,
    Conditions,
    Decision,
    Engineer,
    Rule,
    Stage,
    Strategy,
    TicketFacts,
    TimeWindow,
)
from services.dispatch.service_layer.ports import StoredRule, TicketState

STRATEGIES = {
    Strategy.POOL: pb.ASSIGNMENT_STRATEGY_POOL,
    Strategy.LEAST_LOADED: pb.ASSIGNMENT_STRATEGY_LEAST_LOADED,
    Strategy.ROUND_ROBIN: pb.ASSIGNMENT_STRATEGY_ROUND_ROBIN,
    Strategy.CLAIM_WINDOW: pb.ASSIGNMENT_STRATEGY_CLAIM_WINDOW,
}
_STRATEGY_OF = {v: k for k, v in STRATEGIES.items()}
KINDS = {
    DecisionKind.PROVIDER_CHOSEN: pb.DECISION_KIND_PROVIDER_CHOSEN,
    DecisionKind.ENGINEER_CHOSEN: pb.DECISION_KIND_ENGINEER_CHOSEN,
    DecisionKind.NO_MATCH: pb.DECISION_KIND_NO_MATCH,
    DecisionKind.ESCALATED: pb.DECISION_KIND_ESCALATED,
    DecisionKind.ESCALATED_TO_ADMIN: pb.DECISION_KIND_ESCALATED_TO_ADMIN,
    DecisionKind.PRIORITY_RAISED: pb.DECISION_KIND_PRIORITY_RAISED,
}
STATES = {
    DecisionState.PENDING: pb.DECISION_STATE_PENDING,
    DecisionState.APPLIED: pb.DECISION_STATE_APPLIED,
    DecisionState.GAVE_WAY: pb.DECISION_STATE_GAVE_WAY,
    DecisionState.RECORDED: pb.DECISION_STATE_RECORDED,
}


def _lower(enum_name: str, prefix: str) -> str:
    """PRIORITY_HIGH → "high": the names tickets' domain uses."""
    return enum_name.removeprefix(prefix).lower()


def _priority_name(value: int) -> str:
    return _lower(catalog_pb2.Priority.Name(value), "PRIORITY_")  # type: ignore[arg-type]


def _channel_name(value: int) -> str:
    return _lower(tickets_pb2.Channel.Name(value), "CHANNEL_")  # type: ignore[arg-type]


def rule_draft(m: pb.DispatchRule) -> Rule:
    w = m.time_window if m.HasField("time_window") else None
    return Rule(
        id=m.dispatch_rule_id,
        version=m.version,
        name=m.display_name,
        conditions=Conditions(
            enterprise_ids=frozenset(m.enterprise_ids),
            service_type_ids=frozenset(m.service_type_ids),
            service_level_ids=frozenset(m.service_level_ids),
            priorities=frozenset(_priority_name(p) for p in m.priorities),
            channels=frozenset(_channel_name(c) for c in m.channels),
            custom_fields={c.key: frozenset(c.values) for c in m.custom_fields},
            window=TimeWindow(
                weekdays=frozenset(d - 1 for d in w.weekdays) or frozenset(range(7)),
                start_minute=w.start_minute,
                end_minute=w.end_minute or 24 * 60,
                timezone=w.time_zone or "Asia/Shanghai",
            )
            if w is not None
            else None,
        ),
        provider_id=m.provider_id,
        strategy=_STRATEGY_OF.get(m.strategy, Strategy.POOL),
        then=_STRATEGY_OF.get(m.then_strategy, Strategy.LEAST_LOADED),
        claim_window=timedelta_of(m, "claim_window") or timedelta(minutes=15),
        required_skills=frozenset(m.required_skills),
        enabled=m.enabled,
        position=m.priority,
        escalate_after=timedelta_of(m, "escalate_after"),
        stage=STAGE_OF.get(m.stage, Stage.PROVIDER),
        claim_limit=m.claim_limit,
    )


STAGES = {Stage.PROVIDER: pb.RULE_STAGE_PROVIDER, Stage.ENGINEER: pb.RULE_STAGE_ENGINEER}
STAGE_OF = {v: k for k, v in STAGES.items()}


def rule_pb(stored: StoredRule) -> pb.DispatchRule:
    rule, c = stored.rule, stored.rule.conditions
    message = pb.DispatchRule(
        dispatch_rule_id=rule.id,
        display_name=rule.name,
        priority=rule.position,
        enabled=rule.enabled,
        enterprise_ids=sorted(c.enterprise_ids),
        service_type_ids=sorted(c.service_type_ids),
        service_level_ids=sorted(c.service_level_ids),
        provider_id=rule.provider_id,
        strategy=STRATEGIES[rule.strategy],
        required_skills=sorted(rule.required_skills),
        escalate_after=duration(rule.escalate_after),
        stamps=stamps(stored.created_at, stored.updated_at),
        priorities=sorted(
            catalog_pb2.Priority.Value(f"PRIORITY_{p.upper()}") for p in c.priorities
        ),
        channels=sorted(tickets_pb2.Channel.Value(f"CHANNEL_{x.upper()}") for x in c.channels),
        custom_fields=[
            pb.CustomFieldCondition(key=k, values=sorted(v)) for k, v in c.custom_fields.items()
        ],
        claim_window=duration(rule.claim_window)
        if rule.strategy is Strategy.CLAIM_WINDOW
        else None,
        then_strategy=STRATEGIES[rule.then]
        if rule.strategy is Strategy.CLAIM_WINDOW
        else pb.ASSIGNMENT_STRATEGY_UNSPECIFIED,
        version=rule.version,
        stage=STAGES[rule.stage],
        claim_limit=rule.claim_limit,
    )
    if c.window is not None:
        message.time_window.CopyFrom(
            pb.TimeWindow(
                weekdays=sorted(d + 1 for d in c.window.weekdays),
                start_minute=c.window.start_minute,
                end_minute=c.window.end_minute,
                time_zone=c.window.timezone,
            )
        )
    return message


def decision_pb(recorded: RecordedDecision) -> pb.DispatchDecision:
    d = recorded.decision
    return pb.DispatchDecision(
        dispatch_decision_id=recorded.id,
        ticket_id=d.ticket_id,
        kind=KINDS[recorded.kind],
        dispatch_rule_id=d.rule_id,
        provider_id=d.provider_id,
        engineer_id=d.engineer_id,
        explanation=d.explanation,
        create_time=timestamp(recorded.created_at),
        dispatch_rule_version=d.rule_version,
        strategy=STRATEGIES[d.strategy] if d.strategy else pb.ASSIGNMENT_STRATEGY_UNSPECIFIED,
        candidates=[
            pb.DecisionCandidate(engineer_id=c.engineer_id, scores=dict(c.scores))
            for c in d.candidates
        ],
        exclusions=[
            pb.DecisionExclusion(
                subject_id=e.subject_id, reason=e.reason.name, description=e.reason.value
            )
            for e in d.excluded
        ],
        claim_until_time=timestamp(d.claim_until),
        state=STATES[recorded.state],
        replaces_engineer_id=recorded.replaces,
        provider_rule_id=d.provider_rule_id,
        provider_rule_version=d.provider_rule_version,
        priority=catalog_pb2.Priority.Value(f"PRIORITY_{d.priority.upper()}")
        if d.priority
        else catalog_pb2.PRIORITY_UNSPECIFIED,
    )


def dry_run_decision_pb(decision: Decision, now: datetime) -> pb.DispatchDecision:
    """A decision a dry run took: nothing was stored, so no id and no state."""
    message = decision_pb(RecordedDecision.of("", decision, now))
    message.ClearField("state")
    return message


def availability_pb(engineer: Engineer, *, capacity_unlimited: int) -> pb.EngineerAvailability:
    return pb.EngineerAvailability(
        engineer_id=engineer.id,
        provider_id=engineer.provider_id,
        available=engineer.availability is Availability.ON_DUTY,
        max_open_tickets=0 if engineer.capacity >= capacity_unlimited else engineer.capacity,
        open_tickets=engineer.open_tickets,
        away_until=timestamp(engineer.away_until),
        skills=sorted(engineer.skills),
        shift_calendar_id=engineer.shift_calendar_id,
        on_shift=engineer.on_shift,
    )


def ticket_state(ticket: tickets_pb2.Ticket, version: int) -> TicketState:
    """A ticket from tickets' events, as dispatch keeps it."""
    custom = json_format.MessageToDict(ticket.custom_fields) if ticket.custom_fields else {}
    facts = TicketFacts(
        ticket_id=ticket.ticket_id,
        enterprise_id=ticket.enterprise_id,
        service_type_path=tuple(ticket.service_type_path) or (ticket.service_type_id,),
        service_level_id=ticket.service_level_id,
        priority=_priority_name(ticket.priority),
        channel=_channel_name(ticket.channel),
        custom_fields={k: _text(v) for k, v in custom.items()},
        created_at=datetime_of(ticket.stamps, "create_time") or _epoch(),
    )
    status = _lower(tickets_pb2.TicketStatus.Name(ticket.status), "TICKET_STATUS_")
    return TicketState(facts, status, ticket.provider_id, ticket.engineer_id, version)


def _text(value: object) -> str:
    """A form value as rules compare it: 3 (a JSON number, 3.0 in a Struct) is "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)
