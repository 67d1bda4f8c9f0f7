"""What notify's use cases need from outside, as protocols: the directory of people (its read
model of identity), the message centre's store, and the unit of work holding them.
`adapters/` implements them on PostgreSQL; `tests/unit/notify/fakes.py` in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from servicekit.ports import UnitPort
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
from services.notify.domain.templates import (
    DEFAULT_LOCALE,
    DEFAULT_TIME_ZONE,
    Template,
    TemplateKey,
)
from services.notify.domain.webhooks import Subscription


@dataclass(frozen=True)
class Person:
    """Someone notify can reach, as identity's events describe him."""

    id: str
    kind: str  # platform / enterprise / provider / engineer
    organization_id: str
    display_name: str
    email: str = ""
    phone: str = ""
    wechat_openid: str = ""  # in the mini-program: subscribe messages go there
    role_ids: tuple[str, ...] = ()
    active: bool = True
    locale: str = DEFAULT_LOCALE  # what his messages are written in
    time_zone: str = DEFAULT_TIME_ZONE  # where their times are shown

    @property
    def language(self) -> tuple[str, str]:
        return self.locale, self.time_zone


class Directory(Protocol):
    async def approvers(
        self, *, enterprise_id: str, permission_code: str, side: ApproverSide
    ) -> frozenset[str]:
        """Active people who may decide an approval step: the enterprise's users (side
        enterprise) or platform staff (side platform) holding the permission."""

    async def provider_admins(self, provider_id: str) -> frozenset[str]:
        """Active provider staff who assign its tickets (permission ticket.assign)."""

    async def people(self, user_ids: list[str]) -> dict[str, Person]:
        """Those of `user_ids` the directory knows, by id."""


@dataclass(frozen=True)
class MessageQuery:
    user_id: str
    unread_only: bool = False
    category: Category | None = None
    before_seq: int | None = None  # keyset: messages older than this one
    limit: int = 20


class Messages(Protocol):
    async def add(self, drafts: list[MessageDraft], *, event_id: str, now: datetime) -> int:
        """Stores each draft unless this event already gave its user a message; returns how
        many were new."""

    async def find(self, query: MessageQuery) -> list[Message]:
        """Newest first."""

    async def unread(self, user_id: str) -> UnreadCount: ...

    async def mark_read(self, user_id: str, message_id: str, now: datetime) -> Message | None:
        """The user's message, read (at `now` unless it was read before); None if he has no
        such message."""

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        """How many unread messages became read."""

    async def after(self, user_id: str, seq: int, limit: int) -> list[Message]:
        """The user's messages after position `seq`, oldest first. Positions of one user's
        messages become visible in order (a later one never commits before an earlier one),
        so a reader that saw position n has seen everything before it."""

    async def latest_seq(self, user_id: str) -> int:
        """The position of the user's newest message (0: none)."""


class Wakeups(Protocol):
    """Tells a stream that something of its user's changed (a message, a read), in any
    process: each change wakes every watcher of that user, wherever it runs."""

    def watch(self, user_id: str) -> AbstractAsyncContextManager[asyncio.Event]:
        """An event set on every change for `user_id` while the context lasts (the watcher
        clears it before it looks)."""


@dataclass(frozen=True)
class StoredTemplate:
    key: TemplateKey
    template: Template
    updated_at: datetime
    updated_by: str


class Templates(Protocol):
    async def get(self, key: TemplateKey) -> StoredTemplate | None:
        """The customized text, if any (None: the built-in one applies)."""

    async def customized(self) -> dict[str, StoredTemplate]:
        """Every customized text, by template id."""

    async def save(self, stored: StoredTemplate) -> None: ...

    async def remove(self, key: TemplateKey) -> None: ...


class TicketsSeen(Protocol):
    async def saw(self, ticket_id: str, version: int, *, creation: bool) -> bool:
        """Records that notify heard of the ticket at `version` (and, with `creation`, of its
        creation); returns whether it had heard of its creation before."""


@dataclass(frozen=True)
class StoredPreferences:
    layer: Layer  # ORGANIZATION or USER
    owner_id: str
    preferences: PreferenceSet
    updated_at: datetime | None  # None: never set
    updated_by: str


class Preferences(Protocol):
    async def get(self, layer: Layer, owner_id: str) -> StoredPreferences | None: ...

    async def of_people(
        self, people: list[Person]
    ) -> dict[str, tuple[PreferenceSet | None, PreferenceSet | None]]:
        """(organisation layer, user layer) for each person, by user id."""

    async def save(self, stored: StoredPreferences) -> None: ...


@dataclass(frozen=True)
class DeliveryQuery:
    user_id: str = ""
    channel: Channel | None = None
    state: DeliveryState | None = None
    ticket_id: str = ""
    organization_id: str = ""
    before: tuple[datetime, str] | None = None  # keyset: (created_at, id) of the last one seen
    limit: int = 50


class Deliveries(Protocol):
    async def add(self, drafts: list[DeliveryDraft], *, event_id: str, now: datetime) -> int:
        """Stores each draft unless this event already made it for its user and channel;
        returns how many were new."""

    async def claim_due(self, now: datetime, channels: frozenset[Channel]) -> Delivery | None:
        """The oldest due pending or failed delivery on one of `channels`, locked for this
        unit (others skip it) until it commits."""

    async def update(self, delivery: Delivery, attempt: Attempt) -> None:
        """Stores the delivery's new state and the attempt that led to it."""

    async def find(self, query: DeliveryQuery) -> list[Delivery]:
        """Newest first."""

    async def get(self, delivery_id: str) -> Delivery | None: ...

    async def attempts(self, delivery_id: str) -> list[Attempt]:
        """Oldest first."""

    async def retry_now(
        self, delivery_id: str, now: datetime, *, even_sent: bool = False
    ) -> Delivery | None:
        """A dead or failed delivery (with `even_sent`, a sent one too) made due again (its
        attempts count kept); None if there is no such delivery."""


class DeliveryEvents(Protocol):
    async def attempted(self, delivery: Delivery, attempt: Attempt) -> None:
        """Publishes DeliveryAttempted (through the outbox, in this unit)."""


class Sender(Protocol):
    """One channel's way out (SMTP, an SMS provider's API, WeChat's, a webhook receiver).
    `secrets`: what signs it (webhooks)."""

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome: ...

    async def close(self) -> None:
        """Lets go of kept connections."""


class Resolver(Protocol):
    async def __call__(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to (empty when it does not)."""


class Webhooks(Protocol):
    async def get(self, subscription_id: str) -> Subscription | None: ...

    async def of_organization(self, organization_id: str) -> list[Subscription]:
        """Oldest first."""

    async def of_organizations(self, organization_ids: list[str]) -> list[Subscription]:
        """The active subscriptions of any of these organisations."""

    async def save(self, subscription: Subscription) -> None: ...

    async def delete(self, subscription_id: str) -> None: ...


class NotifyUnit(UnitPort, Protocol):
    @property
    def directory(self) -> Directory: ...

    @property
    def tickets(self) -> TicketsSeen: ...

    @property
    def templates(self) -> Templates: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def preferences(self) -> Preferences: ...

    @property
    def deliveries(self) -> Deliveries: ...

    @property
    def delivery_events(self) -> DeliveryEvents: ...

    @property
    def webhooks(self) -> Webhooks: ...
