"""What notify's use cases need from outside, as protocols: the directory of people (its read
model of identity), the message centre's store, and the unit of work holding them.
`adapters/` implements them on PostgreSQL; `tests/unit/notify/fakes.py` in memory."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from servicekit.ports import UnitPort
from services.notify.domain.messages import Category, Message, MessageDraft, UnreadCount
from services.notify.domain.notices import ApproverSide
from services.notify.domain.templates import Template, TemplateKey


@dataclass(frozen=True)
class Person:
    """Someone notify can reach, as identity's events describe him."""

    id: str
    kind: str  # platform / enterprise / provider / engineer
    organization_id: str
    display_name: str
    email: str = ""
    phone: str = ""
    role_ids: tuple[str, ...] = ()
    active: bool = True


class Directory(Protocol):
    async def approvers(
        self, *, enterprise_id: str, permission_code: str, side: ApproverSide
    ) -> frozenset[str]:
        """Active people who may decide an approval step: the enterprise's users (side
        enterprise) or platform staff (side platform) holding the permission."""

    async def provider_admins(self, provider_id: str) -> frozenset[str]:
        """Active provider staff who assign its tickets (permission ticket.assign)."""

    async def inactive(self, user_ids: list[str]) -> frozenset[str]:
        """Those of `user_ids` known to be disabled or deleted."""


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


class NotifyUnit(UnitPort, Protocol):
    @property
    def directory(self) -> Directory: ...

    @property
    def tickets(self) -> TicketsSeen: ...

    @property
    def templates(self) -> Templates: ...

    @property
    def messages(self) -> Messages: ...
