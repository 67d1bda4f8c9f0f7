"""Lifecycle steps, comments and history. Each step: load the ticket (locked, in the caller's
scope), let the domain decide, save, record history and the event, commit — or change nothing."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode, not_found
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import page_of
from services.tickets.domain.catalog import Priority
from services.tickets.domain.events import Comment, HistoryEntry, TicketEvent
from services.tickets.domain.tickets import Ticket
from services.tickets.domain.visibility import TicketScope, is_requester_side
from services.tickets.service_layer.attachments import require_attached
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import TicketsUnit
from services.tickets.service_layer.tickets import load

_EVERYTHING = TicketScope(everything=True)
Decide = Callable[[TicketsUnit, Ticket], TicketEvent | Awaitable[TicketEvent]]


async def act(
    deps: Deps,
    principal: Principal,
    ticket_id: str,
    decide: Decide,
    *,
    within: TicketScope | None = None,
    key: RequestKey | None = None,
) -> Ticket:
    """One step. `within` widens what the caller may act on beyond what he sees (a claim
    looks at the whole pool of the engineer's provider, so a lost race is a conflict). With a
    request `key`, a retried step returns the ticket as it is, changing nothing."""
    async with deps.uow() as uow:
        ticket = await _load_within(uow, principal, ticket_id, within)
        if key is not None and await uow.requests.remembered(key):
            return ticket
        decided = decide(uow, ticket)
        event = await decided if inspect.isawaitable(decided) else decided
        saved = await uow.tickets.save(ticket)
        await uow.record(saved, event)
        if key is not None and not await uow.requests.remember(key, resource_id=ticket.id):
            raise DomainError(
                "REQUEST_ID_IN_FLIGHT", "retry: the same request is running", ErrorCode.ABORTED
            )
        await uow.commit()
    return saved


async def approve(deps: Deps, p: Principal, ticket_id: str, comment: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.approve(p, comment, deps.clock()))


async def reject(deps: Deps, p: Principal, ticket_id: str, reason: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.reject(p, reason, deps.clock()))


async def assign(
    deps: Deps,
    p: Principal,
    ticket_id: str,
    *,
    provider_id: str,
    engineer_id: str,
    note: str,
    request_id: str = "",
    automatic: bool = False,
    replaces_engineer_id: str = "",
) -> Ticket:
    async def decide(uow: TicketsUnit, t: Ticket) -> TicketEvent:
        provider = provider_id or t.provider_id
        return t.assign(
            p,
            provider_id=provider_id,
            engineer_id=engineer_id,
            note=note,
            engineer_provider=await uow.directory.provider_of_engineer(engineer_id)
            if engineer_id
            else "",
            designated=bool(provider)
            and await uow.directory.is_designated(t.enterprise_id, provider),
            automatic=automatic,
            replaces_engineer_id=replaces_engineer_id,
        )

    key = None
    if request_id:
        scope = caller_scope(p.organization_id, p.user_id)
        key = RequestKey(scope, f"assign-ticket/{ticket_id}", request_id)
    return await act(deps, p, ticket_id, decide, key=key)


async def escalate(
    deps: Deps, p: Principal, ticket_id: str, *, priority: Priority, reason: str, request_id: str
) -> Ticket:
    key = None
    if request_id:
        scope = caller_scope(p.organization_id, p.user_id)
        key = RequestKey(scope, f"escalate-ticket/{ticket_id}", request_id)
    return await act(deps, p, ticket_id, lambda uow, t: t.escalate(p, priority, reason), key=key)


async def set_priority(
    deps: Deps, p: Principal, ticket_id: str, *, priority: Priority, reason: str
) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.set_priority(p, priority, reason))


async def claim(deps: Deps, p: Principal, ticket_id: str) -> Ticket:
    """The ticket's own rules first (status, provider, permission), then dispatch's say
    (the engineer's capacity; a rule's claim limit against cherry-picking)."""
    pool = TicketScope(provider_id=p.organization_id) if p.kind == "engineer" else None

    async def decide(uow: TicketsUnit, t: Ticket) -> TicketEvent:
        event = t.claim(p)
        await deps.claims.check(t.id)
        return event

    return await act(deps, p, ticket_id, decide, within=pool)


async def _load_within(
    uow: TicketsUnit, principal: Principal, ticket_id: str, within: TicketScope | None
) -> Ticket:
    if within is None:
        return await load(uow, principal, ticket_id, lock=True)
    ticket = await uow.tickets.get(ticket_id, scope=within, lock=True)
    if ticket is None:
        raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
    return ticket


async def transfer(
    deps: Deps, p: Principal, ticket_id: str, *, engineer_id: str, reason: str
) -> Ticket:
    async def decide(uow: TicketsUnit, t: Ticket) -> TicketEvent:
        target_provider = await uow.directory.provider_of_engineer(engineer_id)
        return t.transfer(
            p, engineer_id=engineer_id, engineer_provider=target_provider, reason=reason
        )

    return await act(deps, p, ticket_id, decide)


async def start(deps: Deps, p: Principal, ticket_id: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.start(p, deps.clock()))


async def resolve(
    deps: Deps, p: Principal, ticket_id: str, resolution: str, attachment_ids: list[str]
) -> Ticket:
    async def decide(uow: TicketsUnit, t: Ticket) -> TicketEvent:
        await require_attached(uow, t.id, attachment_ids, "attachment_ids")
        event = t.resolve(p, resolution, deps.clock())
        event.changes["attachment_ids"] = ",".join(attachment_ids)
        return event

    return await act(deps, p, ticket_id, decide)


async def wait_on_customer(deps: Deps, p: Principal, ticket_id: str, reason: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.wait_on_customer(p, reason))


async def resume(deps: Deps, p: Principal, ticket_id: str, note: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.resume(p, note))


async def confirm(deps: Deps, p: Principal, ticket_id: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.confirm(p, deps.clock()))


async def reopen(deps: Deps, p: Principal, ticket_id: str, reason: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.reopen(p, reason))


async def cancel(deps: Deps, p: Principal, ticket_id: str, reason: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.cancel(p, reason))


async def rate(deps: Deps, p: Principal, ticket_id: str, score: int, comment: str) -> Ticket:
    return await act(deps, p, ticket_id, lambda uow, t: t.rate(p, score, comment, deps.clock()))


async def add_comment(
    deps: Deps,
    p: Principal,
    ticket_id: str,
    *,
    body: str,
    internal: bool,
    attachment_ids: list[str],
) -> Comment:
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id, lock=True)
        await require_attached(uow, ticket.id, attachment_ids, "comment.attachment_ids")
        event = ticket.comment(p, body, internal=internal, now=deps.clock())
        saved = await uow.tickets.save(ticket)
        comment = await uow.trail.add_comment(
            Comment(
                id=uuid.uuid4().hex,
                ticket_id=ticket.id,
                body=body,
                internal=internal,
                author_id=p.user_id,
                author_kind=p.kind,
                author_organization_id=p.organization_id,
                attachment_ids=attachment_ids,
            )
        )
        event.comment = comment
        await uow.record(saved, event)
        await uow.commit()
    return comment


async def list_comments(deps: Deps, p: Principal, ticket_id: str, page_size: int, page_token: str):  # type: ignore[no-untyped-def]
    page = page_of(page_size, page_token)
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id)
        found = await uow.trail.comments(
            ticket.id,
            include_internal=not is_requester_side(p),
            offset=page.offset,
            limit=page.limit,
        )
    return found, page.next_token(len(found))


async def list_history(deps: Deps, p: Principal, ticket_id: str, page_size: int, page_token: str):  # type: ignore[no-untyped-def]
    page = page_of(page_size, page_token, default=100, maximum=500)
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id)
        entries: list[HistoryEntry] = await uow.trail.history(
            ticket.id,
            include_internal=not is_requester_side(p),
            offset=page.offset,
            limit=page.limit,
        )
    return entries, page.next_token(len(entries))


async def close_due(deps: Deps) -> int:
    """Closes resolved tickets whose auto-close time has passed; safe to run on every replica
    (rows are taken with SKIP LOCKED). Returns how many it closed."""
    async with deps.uow() as uow:
        now = deps.clock()
        closed = 0
        for ticket_id in await uow.tickets.due_for_auto_close(now, deps.settings.auto_close_batch):
            ticket = await uow.tickets.get(ticket_id, scope=_EVERYTHING)
            assert ticket is not None
            event = ticket.auto_close(now)
            await uow.record(await uow.tickets.save(ticket), event)
            closed += 1
        await uow.commit()
    return closed


async def fold_counts(deps: Deps) -> int:
    """Folds a batch of ticket-count deltas into the counts statistics read; safe on every
    replica. Returns how many deltas it folded."""
    async with deps.uow() as uow:
        folded = await uow.tickets.fold_counts(deps.settings.count_fold_batch)
        await uow.commit()
    return folded
