"""Turning what happened into messages: who hears of a ticket event (domain/recipients.py),
what each reads (domain/templates.py), stored once per (event, recipient) however often the
event arrives. Runs inside the consumer's transaction, beside its inbox row."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notify.domain import recipients as table
from services.notify.domain.messages import Category, MessageDraft, welcome
from services.notify.domain.notices import NoticeKind, TicketNotice
from services.notify.domain.recipients import Audience
from services.notify.domain.templates import TemplateKey, render, template_for
from services.notify.service_layer.ports import NotifyUnit


async def on_ticket_event(
    uow: NotifyUnit,
    notice: TicketNotice,
    *,
    version: int,
    snapshot: bool,
    late_receipts_for: timedelta,
    event_id: str,
    event_type: str,
    now: datetime,
) -> int:
    """A ticket event's messages. A snapshot (state re-published for late joiners, e.g. after
    the broker lost its log) arrives as a creation notice and is news only when notify never
    heard of the ticket's creation — that event was lost to it, even if later ones arrived —
    so the requester (and approvers) get the receipt late, if the ticket is recent enough for
    it to matter. A creation is receipted once, whichever way it came."""
    creation = notice.kind is NoticeKind.CREATED
    creation_seen = await uow.tickets.saw(notice.ticket.ticket_id, version, creation=creation)
    if creation and creation_seen:
        return 0
    if snapshot:
        created = notice.ticket.created_at
        if created is None or now - created > late_receipts_for:
            return 0
    return await notify_ticket(uow, notice, event_id=event_id, event_type=event_type, now=now)


async def notify_ticket(
    uow: NotifyUnit, notice: TicketNotice, *, event_id: str, event_type: str, now: datetime
) -> int:
    """Stores the notice's messages; returns how many were new."""
    resolved = {a: await _members(uow, notice, a) for a in table.audiences(notice)}
    people = table.recipients(notice, resolved)
    gone = await uow.directory.inactive(people)
    stored = await uow.templates.get(TemplateKey(notice.kind))
    text = render(stored.template if stored else template_for(notice.kind), notice)
    drafts = [
        MessageDraft(
            user_id=user_id,
            category=Category.TICKET,
            title=text.title,
            body=text.body,
            event_type=event_type,
            ticket_id=notice.ticket.ticket_id,
            ticket_number=notice.ticket.number,
        )
        for user_id in people
        if user_id not in gone
    ]
    return await uow.messages.add(drafts, event_id=event_id, now=now) if drafts else 0


async def _members(uow: NotifyUnit, notice: TicketNotice, audience: Audience) -> frozenset[str]:
    named = table.direct(notice, audience)
    if named is not None:
        return named
    ticket = notice.ticket
    if audience is Audience.APPROVERS:
        if ticket.approval is None:
            return frozenset()
        return await uow.directory.approvers(
            enterprise_id=ticket.enterprise_id,
            permission_code=ticket.approval.permission_code,
            side=ticket.approval.side,
        )
    return await uow.directory.provider_admins(ticket.provider_id)  # handlers, no engineer yet


async def welcome_user(
    uow: NotifyUnit, user_id: str, display_name: str, *, event_id: str, event_type: str,
    now: datetime,
) -> int:  # fmt: skip
    return await uow.messages.add(
        [welcome(user_id, display_name, event_type)], event_id=event_id, now=now
    )
