"""Reading the decisions about a ticket, and engineers' availability.

Decisions are for platform staff and provider admins with dispatch.read; a provider sees only
decisions about its own tickets, and of their candidates and exclusions only its engineers.
Requesters and engineers never see them (403). Availability — on duty, away until, off, at
most so many open tickets, and weekly shifts (a business calendar: outside its hours, on its
holidays, he is not chosen) — is read and set by the engineer himself, his provider's admins
(engineer.write) and platform staff. Claims: tickets asks dispatch whether an engineer may
claim a pool ticket (capacity, and a rule's claim limit against cherry-picking)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found, permission_denied
from services.dispatch.domain.events import RecordedDecision
from services.dispatch.domain.routing import (
    ClaimRefusal,
    Engineer,
    PoolTicket,
    Rule,
    claim_refusal,
)
from services.dispatch.domain.sla_clock import is_open
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import DispatchUnit


async def list_decisions(deps: Deps, p: Principal, ticket_id: str) -> list[RecordedDecision]:
    require_permission(p, "dispatch.read")
    if not (p.is_platform or p.kind == "provider"):
        raise permission_denied("DISPATCH_DECISIONS_REFUSED", "decisions are for dispatchers")
    async with deps.uow() as uow:
        seen = await uow.tickets.get(ticket_id)
        found = await uow.decisions.of_ticket(ticket_id) if seen else []
        if p.is_platform:
            if seen is None:
                raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
            return found
        mine = [d for d in found if d.decision.provider_id == p.organization_id]
        if not mine:
            raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
        own = {e.id for e in await uow.directory.engineers_of(p.organization_id)}
        return [only_engineers(d, own) for d in mine]


def only_engineers(recorded: RecordedDecision, own: set[str]) -> RecordedDecision:
    d = recorded.decision
    return replace(
        recorded,
        decision=replace(
            d,
            candidates=tuple(c for c in d.candidates if c.engineer_id in own),
            excluded=tuple(e for e in d.excluded if e.subject_id in own),
        ),
    )


async def get_availability(deps: Deps, p: Principal, engineer_id: str) -> Engineer:
    async with deps.uow() as uow:
        engineer = await _engineer_for(uow, p, engineer_id, writing=False)
        return await _on_shift(uow, engineer, deps.clock())


async def update_availability(
    deps: Deps,
    p: Principal,
    engineer_id: str,
    *,
    available: bool,
    away_until: datetime | None,
    capacity: int,
    shift_calendar_id: str = "",
) -> Engineer:
    problems = []
    if capacity < 0 or capacity > 1000:
        problems.append(FieldViolation("availability.max_open_tickets", "must be from 0 to 1000"))
    async with deps.uow() as uow:
        await _engineer_for(uow, p, engineer_id, writing=True)
        if shift_calendar_id and await uow.sla.get_calendar(shift_calendar_id) is None:
            problems.append(
                FieldViolation("availability.shift_calendar_id", "is not a business calendar")
            )
        if problems:
            raise invalid_argument("AVAILABILITY_INVALID", problems)
        await uow.directory.set_availability(
            engineer_id,
            available=available,
            away_until=away_until,
            capacity=capacity,
            shift_calendar_id=shift_calendar_id,
        )
        now = deps.clock()
        if not available or (away_until is not None and away_until > now):
            await uow.decisions.redispatch_now(engineer_id, now)  # his unstarted tickets move
        engineer = await uow.directory.engineer(engineer_id)
        assert engineer is not None
        engineer = await _on_shift(uow, engineer, now)
        await uow.commit()
    return engineer


async def _on_shift(uow: DispatchUnit, engineer: Engineer, now: datetime) -> Engineer:
    calendar = await uow.sla.business_calendar(engineer.shift_calendar_id)
    return engineer if calendar is None else replace(engineer, on_shift=is_open(calendar, now))


async def _engineer_for(
    uow: DispatchUnit, p: Principal, engineer_id: str, *, writing: bool
) -> Engineer:
    engineer = await uow.directory.engineer(engineer_id)
    own = p.kind == "engineer" and p.user_id == engineer_id
    admin = (
        p.kind == "provider" and engineer is not None and engineer.provider_id == p.organization_id
    )
    if engineer is None or not (own or admin or p.is_platform):
        raise not_found("ENGINEER_NOT_FOUND", f"no engineer {engineer_id!r}")
    if writing and admin:
        require_permission(p, "engineer.write")
    return engineer


POOL_LOOKS_AT = 2000  # the oldest pool tickets a claim check reads


@dataclass(frozen=True)
class ClaimCheck:
    refusal: ClaimRefusal | None
    claim_limit: int = 0  # the ticket's rule's K, for the message


async def check_claim(deps: Deps, p: Principal, ticket_id: str) -> ClaimCheck:
    """Whether the calling engineer may claim the pool ticket (tickets asks before a claim,
    forwarding the engineer's token): not at capacity, and — when a rule with a claim limit
    put it in the pool — among the oldest K pool tickets matching his skills. An engineer
    dispatch has not heard of yet is not refused here (tickets checks he is the provider's)."""
    if p.kind != "engineer":
        raise permission_denied("ENGINEERS_CLAIM", "only engineers claim pool tickets")
    async with deps.uow() as uow:
        engineer = await uow.directory.engineer(p.user_id)
        if engineer is None:
            return ClaimCheck(None)
        entries = await uow.tickets.pool(engineer.provider_id, POOL_LOOKS_AT)
        rules: dict[str, Rule | None] = {}
        for rule_id in {r for _, r in entries if r}:
            stored = await uow.rules.get(rule_id)
            rules[rule_id] = stored.rule if stored else None
    pool = []
    for entry_id, rule_id in entries:
        rule = rules.get(rule_id)
        pool.append(
            PoolTicket(entry_id, rule.required_skills, rule.claim_limit, rule_id)
            if rule
            else PoolTicket(entry_id)
        )
    limit = next((t.claim_limit for t in pool if t.ticket_id == ticket_id), 0)
    return ClaimCheck(claim_refusal(engineer, ticket_id, pool), limit)
