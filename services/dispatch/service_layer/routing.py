"""Routing a ticket that waits for a provider, finding an engineer later for one left in the
pool (its claim window over, or nobody was free), and applying the decisions taken.

`route` runs inside the consumer's transaction (the ticket's event, its decision and the
decision's event commit together, once per ticket however often the event arrives). Decisions
for one provider are serialised (`lock_provider`) so round robin and capacity stay exact under
any concurrency. `apply_pending` hands pending decisions to tickets' AssignTicket, idempotent by
the decision id; an assignment made by hand meanwhile wins (the decision gives way)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from services.dispatch.domain.events import (
    AssignmentDecided,
    DecisionKind,
    DecisionState,
    RecordedDecision,
)
from services.dispatch.domain.routing import (
    Decision,
    Engineer,
    Strategy,
    choose_engineer,
    decide,
    unseen_provider,
)
from services.dispatch.domain.sla_clock import BusinessCalendar, is_open
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import UNAVAILABLE, Applied, DispatchUnit, Outcome
from services.dispatch.service_layer.sla import ticket_summary

log = logging.getLogger(__name__)
ALL_RULES = 100_000
RECHECK = timedelta(seconds=10)  # how soon to look again when no engineer was free


async def engineers_now(uow: DispatchUnit, provider_id: str, now: datetime) -> list[Engineer]:
    """The provider's engineers, each on or off shift now by his shift calendar (a business
    calendar: weekly hours, holidays, make-up working days); no calendar, or one that is gone:
    on shift."""
    found = await uow.directory.engineers_of(provider_id)
    calendars: dict[str, BusinessCalendar | None] = {}
    for calendar_id in {e.shift_calendar_id for e in found if e.shift_calendar_id}:
        calendars[calendar_id] = await uow.sla.business_calendar(calendar_id)
    return [
        replace(e, on_shift=is_open(calendar, now))
        if (calendar := calendars.get(e.shift_calendar_id)) is not None
        else e
        for e in found
    ]


async def route(uow: DispatchUnit, ticket_id: str, now: datetime) -> RecordedDecision | None:
    """Decides, once, where a ticket waiting for a provider goes; None when nothing to do.
    Concurrent units (a ticket's own event, and a provider's event that routes the tickets
    waiting for it, on other partitions) take the ticket's lock first, so the second sees the
    first's decision."""
    await uow.lock_tickets([ticket_id])
    seen = await uow.tickets.get(ticket_id)
    if seen is None or not seen.awaits_provider or await uow.decisions.routed(ticket_id):
        return None
    stored = await uow.rules.find(provider_id="", show_disabled=False, offset=0, limit=ALL_RULES)
    rules = [s.rule for s in stored]
    providers = await uow.directory.providers({r.provider_id for r in rules})
    decision = decide(seen.facts, rules, providers, [], now)
    if missing := unseen_provider(seen.facts, rules, providers, decision):
        waiting = {"ticket_id": ticket_id, "provider_id": missing}
        log.info("routing waits for identity's events", extra=waiting)
        return None  # route_waiting takes it up when the provider's events arrive
    if decision.provider_id:  # now choose among its engineers, one decision at a time
        await uow.lock_provider(decision.provider_id)
        engineers = await engineers_now(uow, decision.provider_id, now)
        decision = decide(seen.facts, rules, providers, engineers, now)
    recorded = RecordedDecision.of(uuid.uuid4().hex, decision, now)
    await uow.decisions.add(recorded)
    if decision.engineer_id:
        await uow.directory.mark_assigned(decision.engineer_id)
    await uow.emit(AssignmentDecided(recorded))
    log.info(
        "ticket routed",
        extra={
            "ticket_id": ticket_id,
            "decision_id": recorded.id,
            "kind": recorded.kind.value,
            "provider_id": decision.provider_id,
            "engineer_id": decision.engineer_id,
        },
    )
    return recorded


async def route_waiting(uow: DispatchUnit, now: datetime, limit: int = 500) -> int:
    """Routes tickets that wait for a provider and were not routed yet (routing waited for
    identity's events): called when a provider, designation or engineer event arrives."""
    routed = 0
    waiting = await uow.tickets.unrouted(limit)
    await uow.lock_tickets(waiting)  # all first, in order: no unit waits holding a provider
    for ticket_id in waiting:
        routed += await route(uow, ticket_id, now) is not None
    return routed


async def assign_waiting(deps: Deps) -> int:
    """Chooses an engineer for tickets a rule left in the provider's pool: after the claim
    window (nobody claimed it) by the rule's `then` strategy, or — when nobody was free —
    by its own strategy once someone may be. Returns how many decisions it looked at."""
    now = deps.clock()
    async with deps.uow() as uow:
        due = await uow.decisions.awaiting_engineer(now, deps.settings.apply_batch)
        for waiting in due:
            chosen = await _engineer_for(uow, waiting.decision, now)
            if chosen is None:
                await uow.decisions.recheck(waiting.id, now + RECHECK)
                continue
            recorded = RecordedDecision.of(uuid.uuid4().hex, chosen, now)
            await uow.decisions.add(recorded)
            await uow.decisions.recheck(waiting.id, None)
            await uow.directory.mark_assigned(chosen.engineer_id)
            await uow.emit(AssignmentDecided(recorded))
        await uow.commit()
    return len(due)


async def _engineer_for(uow: DispatchUnit, earlier: Decision, now: datetime) -> Decision | None:
    stored = await uow.rules.get(earlier.rule_id)
    if stored is None:
        return None
    rule = stored.rule
    strategy = rule.then if earlier.strategy is Strategy.CLAIM_WINDOW else rule.strategy
    if strategy not in (Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN):
        return None  # the rule now pools its tickets: engineers claim
    await uow.lock_provider(earlier.provider_id)
    engineers = await engineers_now(uow, earlier.provider_id, now)
    base = Decision(
        earlier.ticket_id,
        rule.id,
        rule.version,
        earlier.provider_id,
        strategy=strategy,
        provider_rule_id=earlier.provider_rule_id,
        provider_rule_version=earlier.provider_rule_version,
    )
    chosen = choose_engineer(base, rule, strategy, engineers, now)
    return chosen if chosen.engineer_id else None


async def apply_pending(deps: Deps) -> int:
    """Applies up to a batch of pending decisions (assignments, and priorities SLA escalations
    raise); returns how many it settled or tried.
    Safe on every replica: each takes rows the others skip. The calls to tickets run
    concurrently (at most `apply_concurrency`); their outcomes are recorded one by one."""
    async with deps.uow() as uow:
        pending = await uow.decisions.pending(deps.settings.apply_batch)
        gate = asyncio.Semaphore(deps.settings.apply_concurrency)

        async def call(recorded: RecordedDecision) -> Applied:
            decision = recorded.decision
            async with gate:
                if recorded.kind is DecisionKind.PRIORITY_RAISED:
                    return await deps.tickets.escalate(
                        ticket_id=decision.ticket_id,
                        priority=decision.priority,
                        request_id=recorded.id,
                        reason=decision.explanation,
                    )
                return await deps.tickets.assign(
                    ticket_id=decision.ticket_id,
                    provider_id=decision.provider_id,
                    engineer_id=decision.engineer_id,
                    request_id=recorded.id,
                    note=decision.explanation,
                    replaces_engineer_id=recorded.replaces,
                )

        results = await asyncio.gather(*(call(r) for r in pending))
        for recorded, result in zip(pending, results, strict=True):
            if result.outcome is Outcome.APPLIED:
                await uow.decisions.settle(recorded.id, DecisionState.APPLIED, "")
                await _start_watch(uow, recorded, deps.clock())
            elif result.outcome is Outcome.RETRY and result.detail == UNAVAILABLE:
                continue  # tickets is away: it waits for the next round, uncounted
            elif result.outcome is Outcome.RETRY:
                exhausted = recorded.attempts + 1 >= deps.settings.apply_max_attempts
                state = DecisionState.GAVE_WAY if exhausted else DecisionState.PENDING
                await uow.decisions.settle(recorded.id, state, result.detail)
            else:
                await uow.decisions.settle(recorded.id, DecisionState.GAVE_WAY, result.detail)
        await uow.commit()
    return len(pending)


async def _start_watch(uow: DispatchUnit, recorded: RecordedDecision, now: datetime) -> None:
    """An engineer was given the ticket by a rule with `escalate_after`: if he has not started
    by then, the ticket is re-dispatched (`redispatch_due`)."""
    decision = recorded.decision
    if not decision.engineer_id or not decision.rule_id:
        return
    stored = await uow.rules.get(decision.rule_id)
    if stored is not None and stored.rule.escalate_after:
        await uow.decisions.recheck(recorded.id, now + stored.rule.escalate_after)


async def redispatch_due(deps: Deps) -> int:
    """Re-dispatches tickets whose engineer has not started in time (or was disabled or became
    unavailable: `redispatch_now`) to the next candidate the rule's strategy chooses among the
    engineers not tried yet; after `redispatch_limit` re-dispatches, or when nobody else could
    take it, leaves the ticket to the provider's admins (ESCALATED_TO_ADMIN). Returns how many
    it looked at."""
    now = deps.clock()
    async with deps.uow() as uow:
        due = await uow.decisions.awaiting_start(now, deps.settings.apply_batch)
        for waiting in due:
            await uow.decisions.recheck(waiting.id, None)
            recorded = await _redispatch(uow, waiting, now, deps.settings.redispatch_limit)
            await uow.decisions.add(recorded)
            if recorded.decision.engineer_id and recorded.kind is DecisionKind.ESCALATED:
                await uow.directory.mark_assigned(recorded.decision.engineer_id)
            ticket = None
            if recorded.kind is DecisionKind.ESCALATED_TO_ADMIN:  # they are told (notify)
                ticket = await ticket_summary(uow, recorded.decision.ticket_id)
            await uow.emit(AssignmentDecided(recorded, ticket))
            log.info(
                "ticket re-dispatched",
                extra={
                    "ticket_id": recorded.decision.ticket_id,
                    "kind": recorded.kind.value,
                    "from": waiting.decision.engineer_id,
                    "to": recorded.decision.engineer_id,
                },
            )
        await uow.commit()
    return len(due)


async def _redispatch(
    uow: DispatchUnit, waiting: RecordedDecision, now: datetime, limit: int
) -> RecordedDecision:
    earlier, held = waiting.decision, waiting.decision.engineer_id
    history = await uow.decisions.of_ticket(earlier.ticket_id)
    tried = {d.decision.engineer_id for d in history if d.decision.engineer_id}
    redispatched = sum(d.kind is DecisionKind.ESCALATED for d in history)
    stored = await uow.rules.get(earlier.rule_id)
    base = Decision(
        earlier.ticket_id,
        earlier.rule_id,
        earlier.rule_version,
        earlier.provider_id,
        engineer_id=held,
        strategy=earlier.strategy,
        provider_rule_id=earlier.provider_rule_id,
        provider_rule_version=earlier.provider_rule_version,
    )
    if stored is None or redispatched >= limit:
        why = "the rule is gone" if stored is None else f"re-dispatched {redispatched} times"
        return _to_admin(base, f"{held} did not start; {why}: left to the provider's admins", now)
    rule = stored.rule
    strategy = rule.then if rule.strategy is Strategy.CLAIM_WINDOW else rule.strategy
    if strategy not in (Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN):
        strategy = Strategy.LEAST_LOADED  # the rule pools its tickets now: the least loaded
    await uow.lock_provider(earlier.provider_id)
    others = [e for e in await engineers_now(uow, earlier.provider_id, now) if e.id not in tried]
    chosen = choose_engineer(
        replace(base, engineer_id="", rule_version=rule.version), rule, strategy, others, now
    )
    if not chosen.engineer_id:
        nobody = "every engineer was tried" if not others else "nobody else is available"
        return _to_admin(
            replace(chosen, engineer_id=held),
            f"{held} did not start and {nobody}: left to the provider's admins",
            now,
        )
    explanation = f"re-dispatched from {held} (had not started): {chosen.explanation}"
    return RecordedDecision(
        uuid.uuid4().hex,
        DecisionKind.ESCALATED,
        DecisionState.PENDING,
        replace(chosen, explanation=explanation),
        now,
        replaces=held,
    )


def _to_admin(base: Decision, explanation: str, now: datetime) -> RecordedDecision:
    return RecordedDecision(
        uuid.uuid4().hex,
        DecisionKind.ESCALATED_TO_ADMIN,
        DecisionState.RECORDED,
        replace(base, explanation=explanation),
        now,
    )
