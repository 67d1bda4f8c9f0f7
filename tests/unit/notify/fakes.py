"""Notify's ports in memory, for unit tests of the use cases (no servers)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.notify.domain.deliveries import (
    Attempt,
    Delivery,
    DeliveryDraft,
    DeliveryState,
    Outcome,
)
from services.notify.domain.messages import Category, Message, MessageDraft, UnreadCount
from services.notify.domain.notices import ApproverSide
from services.notify.domain.preferences import Channel, Layer, PreferenceSet
from services.notify.domain.templates import TemplateKey
from services.notify.domain.webhooks import Subscription
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import (
    DeliveryQuery,
    MessageQuery,
    Person,
    StoredPreferences,
    StoredTemplate,
)
from services.notify.settings import NotifySettings
from tests.support.fakes import BaseState, FakeClock, FakeDatabase, FakeUnit


@dataclass
class NotifyState(BaseState):
    people: dict[str, Person] = field(default_factory=dict)
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    tickets: dict[str, tuple[int, bool]] = field(default_factory=dict)  # version, creation seen
    templates: dict[str, StoredTemplate] = field(default_factory=dict)
    preferences: dict[tuple[Layer, str], StoredPreferences] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    events: list[tuple[Delivery, Attempt]] = field(default_factory=list)  # DeliveryAttempted
    webhooks: dict[str, Subscription] = field(default_factory=dict)
    seq: int = 0


class FakeDirectory:
    def __init__(self, state: NotifyState):
        self._s = state

    async def approvers(
        self, *, enterprise_id: str, permission_code: str, side: ApproverSide
    ) -> frozenset[str]:
        if side is ApproverSide.ENTERPRISE:
            return self._holding(permission_code, "enterprise", enterprise_id)
        return self._holding(permission_code, "platform", None)

    async def provider_admins(self, provider_id: str) -> frozenset[str]:
        return self._holding("ticket.assign", "provider", provider_id)

    async def people(self, user_ids: list[str]) -> dict[str, Person]:
        return {i: self._s.people[i] for i in user_ids if i in self._s.people}

    def _holding(self, code: str, kind: str, organization_id: str | None) -> frozenset[str]:
        return frozenset(
            p.id
            for p in self._s.people.values()
            if p.active
            and p.kind == kind
            and (organization_id is None or p.organization_id == organization_id)
            and any(code in self._s.roles.get(r, frozenset()) for r in p.role_ids)
        )


class FakeWakeups:
    """In memory: a unit's changes wake the user's watchers when it commits."""

    def __init__(self) -> None:
        self.watchers: dict[str, set[asyncio.Event]] = {}

    @contextlib.asynccontextmanager
    async def watch(self, user_id: str) -> AsyncIterator[asyncio.Event]:
        event = asyncio.Event()
        self.watchers.setdefault(user_id, set()).add(event)
        try:
            yield event
        finally:
            self.watchers[user_id].discard(event)

    def wake(self, user_ids: set[str]) -> None:
        for user_id in user_ids:
            for event in self.watchers.get(user_id, ()):
                event.set()


class FakeMessages:
    def __init__(self, state: NotifyState):
        self._s = state
        self.changed: set[str] = set()

    async def after(self, user_id: str, seq: int, limit: int) -> list[Message]:
        mine = [m for m in self._s.messages if m.draft.user_id == user_id and m.seq > seq]
        return sorted(mine, key=lambda m: m.seq)[:limit]

    async def latest_seq(self, user_id: str) -> int:
        return max((m.seq for m in self._s.messages if m.draft.user_id == user_id), default=0)

    async def add(self, drafts: list[MessageDraft], *, event_id: str, now: datetime) -> int:
        added = 0
        for draft in drafts:
            if any(m.id.startswith(f"{event_id}/{draft.user_id}/") for m in self._s.messages):
                continue
            self._s.seq += 1
            message_id = f"{event_id}/{draft.user_id}/{uuid.uuid4().hex[:6]}"
            self._s.messages.append(Message(message_id, self._s.seq, draft, now))
            self.changed.add(draft.user_id)
            added += 1
        return added

    async def find(self, query: MessageQuery) -> list[Message]:
        found = [
            m
            for m in self._s.messages
            if m.draft.user_id == query.user_id
            and not (query.unread_only and m.read)
            and (query.category is None or m.draft.category is query.category)
            and (query.before_seq is None or m.seq < query.before_seq)
        ]
        return sorted(found, key=lambda m: -m.seq)[: query.limit]

    async def unread(self, user_id: str) -> UnreadCount:
        mine = [m for m in self._s.messages if m.draft.user_id == user_id and not m.read]
        return UnreadCount(
            system=sum(m.draft.category is Category.SYSTEM for m in mine),
            ticket=sum(m.draft.category is Category.TICKET for m in mine),
        )

    async def mark_read(self, user_id: str, message_id: str, now: datetime) -> Message | None:
        for i, m in enumerate(self._s.messages):
            if m.id == message_id and m.draft.user_id == user_id:
                if not m.read:
                    self._s.messages[i] = m = replace(m, read_at=now)
                    self.changed.add(user_id)
                return m
        return None

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        marked = 0
        for i, m in enumerate(self._s.messages):
            if m.draft.user_id == user_id and not m.read:
                self._s.messages[i] = replace(m, read_at=now)
                self.changed.add(user_id)
                marked += 1
        return marked


class FakeTicketsSeen:
    def __init__(self, state: NotifyState):
        self._s = state

    async def saw(self, ticket_id: str, version: int, *, creation: bool) -> bool:
        held, seen = self._s.tickets.get(ticket_id, (0, False))
        self._s.tickets[ticket_id] = (max(version, held), seen or creation)
        return seen


class FakeTemplates:
    def __init__(self, state: NotifyState):
        self._s = state

    async def get(self, key: TemplateKey) -> StoredTemplate | None:
        return self._s.templates.get(key.id)

    async def customized(self) -> dict[str, StoredTemplate]:
        return dict(self._s.templates)

    async def save(self, stored: StoredTemplate) -> None:
        self._s.templates[stored.key.id] = stored

    async def remove(self, key: TemplateKey) -> None:
        self._s.templates.pop(key.id, None)


class FakePreferences:
    def __init__(self, state: NotifyState):
        self._s = state

    async def get(self, layer: Layer, owner_id: str) -> StoredPreferences | None:
        return self._s.preferences.get((layer, owner_id))

    async def of_people(
        self, people: list[Person]
    ) -> dict[str, tuple[PreferenceSet | None, PreferenceSet | None]]:
        def layer(scope: Layer, owner_id: str) -> PreferenceSet | None:
            found = self._s.preferences.get((scope, owner_id))
            return found.preferences if found else None

        return {
            p.id: (layer(Layer.ORGANIZATION, p.organization_id), layer(Layer.USER, p.id))
            for p in people
        }

    async def save(self, stored: StoredPreferences) -> None:
        self._s.preferences[(stored.layer, stored.owner_id)] = stored


class FakeDeliveries:
    def __init__(self, state: NotifyState):
        self._s = state

    async def add(self, drafts: list[DeliveryDraft], *, event_id: str, now: datetime) -> int:
        added = 0
        for d in drafts:
            key = f"{event_id}/{d.user_id}/{d.channel}"
            if key in self._s.deliveries:
                continue
            message = next(
                (m.id for m in self._s.messages if m.id.startswith(f"{event_id}/{d.user_id}/")),
                "",
            )
            self._s.deliveries[key] = Delivery(
                key, event_id, message, d, DeliveryState.PENDING, 0, d.not_before or now, now
            )
            added += 1
        return added

    async def claim_due(self, now: datetime, channels: frozenset[Channel]) -> Delivery | None:
        due = [
            d
            for d in self._s.deliveries.values()
            if d.state in (DeliveryState.PENDING, DeliveryState.FAILED)
            and d.due_at <= now
            and d.draft.channel in channels
        ]
        return min(due, key=lambda d: d.due_at) if due else None

    async def update(self, delivery: Delivery, attempt: Attempt) -> None:
        self._s.deliveries[delivery.id] = delivery
        self._s.attempts.append(attempt)

    async def find(self, query: DeliveryQuery) -> list[Delivery]:
        found = [
            d
            for d in self._s.deliveries.values()
            if (not query.user_id or d.draft.user_id == query.user_id)
            and (query.channel is None or d.draft.channel is query.channel)
            and (query.state is None or d.state is query.state)
            and (not query.ticket_id or d.draft.ticket_id == query.ticket_id)
            and (not query.organization_id or d.draft.organization_id == query.organization_id)
            and (query.before is None or (d.created_at, d.id) < query.before)
        ]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)[: query.limit]

    async def get(self, delivery_id: str) -> Delivery | None:
        return self._s.deliveries.get(delivery_id)

    async def attempts(self, delivery_id: str) -> list[Attempt]:
        return [a for a in self._s.attempts if a.delivery_id == delivery_id]

    async def retry_now(
        self, delivery_id: str, now: datetime, *, even_sent: bool = False
    ) -> Delivery | None:
        found = self._s.deliveries.get(delivery_id)
        states = {DeliveryState.FAILED, DeliveryState.DEAD} | (
            {DeliveryState.SENT} if even_sent else set()
        )
        if found is not None and found.state in states:
            found = self._s.deliveries[delivery_id] = replace(
                found, state=DeliveryState.FAILED, due_at=now
            )
        return found


class FakeDeliveryEvents:
    def __init__(self, state: NotifyState):
        self._s = state

    async def attempted(self, delivery: Delivery, attempt: Attempt) -> None:
        self._s.events.append((delivery, attempt))


class FakeWebhooks:
    def __init__(self, state: NotifyState):
        self._s = state

    async def get(self, subscription_id: str) -> Subscription | None:
        return self._s.webhooks.get(subscription_id)

    async def of_organization(self, organization_id: str) -> list[Subscription]:
        return [w for w in self._s.webhooks.values() if w.organization_id == organization_id]

    async def of_organizations(self, organization_ids: list[str]) -> list[Subscription]:
        wanted = {i for i in organization_ids if i}
        return [w for w in self._s.webhooks.values() if w.organization_id in wanted and w.active]

    async def save(self, subscription: Subscription) -> None:
        self._s.webhooks[subscription.id] = subscription

    async def delete(self, subscription_id: str) -> None:
        self._s.webhooks.pop(subscription_id, None)


class FakeResolver:
    """Host names to addresses, as a table."""

    def __init__(self, table: dict[str, list[str]] | None = None):
        self.table = table or {}

    async def __call__(self, host: str, port: int) -> list[str]:
        return self.table.get(host, [host] if host[:1].isdigit() else [])


class FakeSender:
    """Answers each send with the next of `outcomes` (then success), remembering what it
    was given and with which secrets."""

    def __init__(self, *outcomes: Outcome):
        self.outcomes = list(outcomes)
        self.sent: list[Delivery] = []
        self.secrets: list[list[str]] = []

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome:
        self.sent.append(delivery)
        self.secrets.append(list(secrets))
        return self.outcomes.pop(0) if self.outcomes else Outcome(True, "250 OK")

    async def close(self) -> None:
        self.closed = True


class FakeNotifyUnit(FakeUnit[NotifyState]):
    directory: FakeDirectory
    messages: FakeMessages
    tickets: FakeTicketsSeen
    templates: FakeTemplates
    preferences: FakePreferences
    deliveries: FakeDeliveries
    delivery_events: FakeDeliveryEvents
    webhooks: FakeWebhooks

    def __init__(self, database: FakeDatabase[NotifyState], wakeups: FakeWakeups):
        super().__init__(database)
        self._wakeups = wakeups

    async def commit(self) -> None:
        await super().commit()
        self._wakeups.wake(self.messages.changed)

    def opened(self) -> None:
        self.directory = FakeDirectory(self.state)
        self.messages = FakeMessages(self.state)
        self.tickets = FakeTicketsSeen(self.state)
        self.templates = FakeTemplates(self.state)
        self.preferences = FakePreferences(self.state)
        self.deliveries = FakeDeliveries(self.state)
        self.delivery_events = FakeDeliveryEvents(self.state)
        self.webhooks = FakeWebhooks(self.state)


@dataclass
class World:
    database: FakeDatabase[NotifyState]
    deps: Deps
    clock: FakeClock
    wakeups: FakeWakeups

    @property
    def state(self) -> NotifyState:
        return self.database.state

    def unit(self) -> FakeNotifyUnit:
        return FakeNotifyUnit(self.database, self.wakeups)


def world() -> World:
    database = FakeDatabase(NotifyState())
    clock, wakeups = FakeClock(), FakeWakeups()
    deps = Deps(
        uow=lambda: FakeNotifyUnit(database, wakeups),
        wakeups=wakeups,
        settings=NotifySettings(environment="test", stream_recheck_seconds=30),
        clock=clock,
        resolver=FakeResolver({"hooks.example.com": ["93.184.215.14"]}),
    )
    return World(database, deps, clock, wakeups)
