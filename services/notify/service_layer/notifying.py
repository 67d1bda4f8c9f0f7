"""Turning what happened into messages: who hears of a ticket event (domain/recipients.py),
what each reads (domain/templates.py), stored once per (event, recipient) however often the
event arrives; and, where the recipient's preferences (domain/preferences.py) let it, one
delivery per outbound channel (email, …) that the deliverer sends. Runs inside the consumer's
transaction, beside its inbox row."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notify.domain import recipients as table
from services.notify.domain import webhooks
from services.notify.domain.channels import sms_params, wechat_data
from services.notify.domain.deliveries import DeliveryDraft
from services.notify.domain.messages import Category, MessageDraft, welcome
from services.notify.domain.notices import ApproverSide, NoticeKind, TicketNotice
from services.notify.domain.preferences import Channel, decide, effective
from services.notify.domain.recipients import Audience
from services.notify.domain.templates import Template, TemplateKey, render, template_for
from services.notify.service_layer.ports import NotifyUnit, Person


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
    channels: frozenset[Channel] = frozenset(),
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
    return await notify_ticket(
        uow, notice, event_id=event_id, event_type=event_type, now=now, channels=channels
    )


async def notify_ticket(
    uow: NotifyUnit,
    notice: TicketNotice,
    *,
    event_id: str,
    event_type: str,
    now: datetime,
    channels: frozenset[Channel] = frozenset(),
) -> int:
    """Stores the notice's messages and deliveries; returns how many messages were new."""
    resolved = {a: await _members(uow, notice, a) for a in table.audiences(notice)}
    people = table.recipients(notice, resolved)
    known = await uow.directory.people(people)
    texts = _Texts(uow, notice)
    drafts = []
    for user_id in people:
        person = known.get(user_id) or Person(user_id, kind="", organization_id="", display_name="")
        if not person.active:
            continue
        text = await texts.of(Channel.IN_APP, person)  # in his language, times in his zone
        drafts.append(
            MessageDraft(
                user_id=user_id,
                category=Category.TICKET,
                title=text.title,
                body=text.body,
                event_type=event_type,
                ticket_id=notice.ticket.ticket_id,
                ticket_number=notice.ticket.number,
            )
        )
    added = await uow.messages.add(drafts, event_id=event_id, now=now) if drafts else 0
    personal = channels - {Channel.WEBHOOK}
    outbound: list[DeliveryDraft] = []
    if personal and drafts:
        reached = [d.user_id for d in drafts]
        outbound += await _deliveries(uow, notice, reached, known, texts, personal, now)
    if Channel.WEBHOOK in channels:
        outbound += await _webhook_deliveries(uow, notice, event_id)
    if outbound:
        await uow.deliveries.add(outbound, event_id=event_id, now=now)
    return added


async def _webhook_deliveries(
    uow: NotifyUnit, notice: TicketNotice, event_id: str
) -> list[DeliveryDraft]:
    """One per subscription of the ticket's enterprise or provider that takes the event."""
    ticket = notice.ticket
    found = await uow.webhooks.of_organizations([ticket.enterprise_id, ticket.provider_id])
    body = webhooks.payload(notice, event_id=event_id)
    return [
        DeliveryDraft(
            user_id=subscription.id,
            channel=Channel.WEBHOOK,
            address=subscription.url,
            title=webhooks.event_type(notice),
            body=body,
            ticket_id=ticket.ticket_id,
            organization_id=subscription.organization_id,
            reason=f"subscribed to {webhooks.event_type(notice)}",
        )
        for subscription in found
        if webhooks.receives(subscription, notice)
    ]


class _Texts:
    """A notice's rendered texts, once per channel and language (locale, time zone) among its
    recipients. SMS and WeChat carry template parameters instead of a body (their providers
    send only registered templates), titled like the in-app message."""

    def __init__(self, uow: NotifyUnit, notice: TicketNotice):
        self._uow, self._notice = uow, notice
        self._done: dict[tuple[Channel, str, str], Template] = {}

    async def of(self, channel: Channel, person: Person) -> Template:
        key = (channel, *person.language)
        if key not in self._done:
            self._done[key] = await self._render(channel, person)
        return self._done[key]

    async def _render(self, channel: Channel, person: Person) -> Template:
        notice, (locale, zone) = self._notice, person.language
        if channel in (Channel.SMS, Channel.WECHAT):
            title = (await self.of(Channel.IN_APP, person)).title
            params = sms_params(notice) if channel is Channel.SMS else wechat_data(notice)
            return Template(title, params)
        stored = await self._uow.templates.get(TemplateKey(notice.kind, channel.value, locale))
        template = stored.template if stored else template_for(notice.kind, locale, channel.value)
        return render(template, notice, locale, channel.value, time_zone=zone)


async def _deliveries(
    uow: NotifyUnit,
    notice: TicketNotice,
    user_ids: list[str],
    known: dict[str, Person],
    texts: _Texts,
    channels: frozenset[Channel],
    now: datetime,
) -> list[DeliveryDraft]:
    """One draft per recipient and channel his preferences let through and he has an address
    for (held until quiet hours end when they apply). Someone notify's directory does not know
    yet (identity's event of him is still on its way: another topic) gets drafts without an
    address, looked up when they are sent."""
    people = [known.get(i) or Person(i, kind="", organization_id="", display_name="")
              for i in user_ids]  # fmt: skip
    layers = await uow.preferences.of_people(people)
    drafts = []
    for person in people:
        user_id = person.id
        prefs = effective(*layers.get(user_id, (None, None)))
        for channel in sorted(channels):
            address = address_of(person, channel)
            verdict = decide(prefs, notice, channel, now)
            if (user_id in known and not address) or not verdict.send:
                continue
            text = await texts.of(channel, person)
            drafts.append(
                DeliveryDraft(
                    user_id=user_id,
                    channel=channel,
                    address=address,
                    title=text.title,
                    body=text.body,
                    ticket_id=notice.ticket.ticket_id,
                    not_before=verdict.not_before,
                    reason=verdict.reason,
                )
            )
    return drafts


def address_of(person: Person, channel: Channel) -> str:
    match channel:
        case Channel.EMAIL:
            return person.email
        case Channel.SMS:
            return person.phone
        case Channel.WECHAT:
            return person.wechat_openid
    return ""


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
    if audience is Audience.DISPATCHERS:
        staff = await uow.directory.approvers(
            enterprise_id="", permission_code="ticket.assign", side=ApproverSide.PLATFORM
        )
        return frozenset(p for p in staff if not p.startswith("svc-"))  # not service accounts
    return await uow.directory.provider_admins(ticket.provider_id)  # handlers, or the admins


async def welcome_user(
    uow: NotifyUnit, user_id: str, display_name: str, *, event_id: str, event_type: str,
    now: datetime,
) -> int:  # fmt: skip
    return await uow.messages.add(
        [welcome(user_id, display_name, event_type)], event_id=event_id, now=now
    )
