"""What tickets' use cases need from outside, as protocols: the repositories, the unit of
work that holds them, the attachment store. `adapters/` implements them on PostgreSQL and the
filesystem; `tests/unit/tickets/fakes.py` in memory. Members are read-only properties so a
concrete unit whose repositories are concrete classes satisfies the protocol structurally."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from servicekit.ports import UnitPort
from services.tickets.domain.attachments import Attachment
from services.tickets.domain.catalog import Priority, ServiceLevel, ServiceType
from services.tickets.domain.events import Comment, HistoryEntry, TicketEvent
from services.tickets.domain.knowledge import Article, ArticleState
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Ticket
from services.tickets.domain.visibility import TicketScope


@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[Status, ...] = ()
    service_type_ids: frozenset[str] | None = None
    service_level_id: str = ""
    priority: Priority | None = None
    enterprise_id: str = ""
    provider_id: str = ""
    engineer_id: str = ""
    requester_id: str = ""
    pool_of_provider: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    query: str = ""
    order: str = "create_time_desc"


@dataclass(frozen=True)
class TicketPage:
    """A page of a ticket list."""

    items: list[Ticket]
    after: tuple[str, ...] | None  # the last row's sort keys when another page follows
    total: int  # matches, counted up to a cap
    capped: bool  # more match than `total`


@dataclass(frozen=True)
class Person:
    """A person as tickets' directory knows them (fed by identity's events)."""

    id: str
    kind: str
    organization_id: str
    department_id: str
    display_name: str
    active: bool
    number: str = ""  # an engineer's number (工号)


class Tickets(Protocol):
    async def add_numbered(self, ticket: Ticket, day: date, event: TicketEvent) -> str | None:
        """Takes the day's next number and stores the ticket with its history entry and event;
        None when the day ran out of numbers (nothing is stored then)."""

    async def get(
        self, ticket_id: str, *, scope: TicketScope, lock: bool = False
    ) -> Ticket | None: ...

    async def save(self, ticket: Ticket) -> Ticket:
        """Stores the ticket; returns it with its new version and update time."""

    async def find(
        self,
        *,
        scope: TicketScope,
        where: TicketFilter,
        after: tuple[str, ...] | None,
        limit: int,
        count_cap: int,
    ) -> TicketPage: ...

    async def page_by_id(self, *, after: str, limit: int) -> list[Ticket]: ...

    async def due_for_auto_close(self, now: datetime, limit: int) -> list[str]: ...

    async def counts(self, keys: Sequence[str]) -> list[tuple[date, str, int]]: ...

    async def fold_counts(self, batch: int) -> int: ...


class Trail(Protocol):
    async def history(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[HistoryEntry]: ...

    async def add_comment(self, comment: Comment) -> Comment: ...

    async def comments(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[Comment]: ...


class Catalog(Protocol):
    async def add_type(self, item: ServiceType) -> ServiceType: ...
    async def get_type(self, type_id: str) -> ServiceType | None: ...
    async def list_types(self, *, parent_id: str, show_disabled: bool) -> list[ServiceType]: ...
    async def has_children(self, type_id: str) -> bool: ...
    async def save_type(self, item: ServiceType) -> ServiceType: ...
    async def remove_type(self, type_id: str) -> None: ...
    async def type_in_use(self, type_id: str) -> bool: ...
    async def type_name_taken(self, parent_id: str, name: str, *, excluding: str) -> bool: ...
    async def add_level(self, item: ServiceLevel) -> ServiceLevel: ...
    async def get_level(self, level_id: str) -> ServiceLevel | None: ...
    async def list_levels(self) -> list[ServiceLevel]: ...
    async def save_level(self, item: ServiceLevel) -> ServiceLevel: ...
    async def remove_level(self, level_id: str) -> None: ...
    async def level_in_use(self, level_id: str) -> bool: ...
    async def level_name_taken(self, name: str, *, excluding: str) -> bool: ...


class Directory(Protocol):
    async def person(self, person_id: str) -> Person | None: ...

    async def provider_of_engineer(self, engineer_id: str) -> str:
        """The provider of an active engineer; "" when unknown or inactive."""

    async def is_designated(self, enterprise_id: str, provider_id: str) -> bool: ...

    async def people(self, person_ids: Iterable[str]) -> dict[str, Person]: ...

    async def provider_names(self, provider_ids: Iterable[str]) -> dict[str, str]: ...

    async def department_subtree(self, department_id: str) -> frozenset[str]: ...


class Attachments(Protocol):
    async def add(self, item: Attachment) -> Attachment: ...
    async def get(self, ticket_id: str, attachment_id: str) -> Attachment | None: ...
    async def of_ticket(self, ticket_id: str) -> list[Attachment]: ...
    async def remove(self, attachment_id: str, now: datetime) -> None: ...


class Knowledge(Protocol):
    async def add(self, article: Article) -> Article: ...
    async def get(self, article_id: str, *, published_only: bool) -> Article | None: ...
    async def save(self, article: Article) -> Article: ...
    async def remove(self, article_id: str) -> None: ...

    async def search(
        self,
        *,
        query_terms: list[str],
        state: ArticleState | None,
        category: str,
        tag: str,
        service_type_id: str,
        offset: int,
        limit: int,
    ) -> list[Article]: ...

    async def record_feedback(self, article_id: str, user_id: str, helpful: bool) -> None: ...


class AttachmentStore(Protocol):
    """Where attachment bytes live, content-addressed."""

    async def put(self, content: bytes) -> str:
        """Stores the bytes; returns their SHA-256 (hex), the key to read them back."""

    async def get(self, sha256: str) -> bytes: ...


class TicketsUnit(UnitPort, Protocol):
    @property
    def tickets(self) -> Tickets: ...
    @property
    def trail(self) -> Trail: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def attachments(self) -> Attachments: ...
    @property
    def knowledge(self) -> Knowledge: ...

    async def record(self, ticket: Ticket, event: TicketEvent) -> None:
        """The event's history entry and its outbox event, in this transaction."""

    async def publish_state(self, ticket: Ticket) -> None:
        """The ticket's current state as a snapshot event (for late-joining consumers)."""

    async def publish_catalog(self, change: str, item: ServiceType | ServiceLevel) -> None:
        """A service type's or level's change as an outbox event: "created", "updated",
        "deleted" (the item as it was) or "snapshot" (for late-joining consumers)."""


class ClaimPolicy(Protocol):
    """Dispatch's say on a claim (it owns engineers' capacity and the rules' claim limits)."""

    async def check(self, ticket_id: str) -> None:
        """Raises FAILED_PRECONDITION TICKET_NOT_CLAIMABLE when the calling engineer may not
        claim the ticket, UNAVAILABLE when dispatch cannot be asked now."""


class NoClaimLimits:
    """No dispatch to ask (a suite without it): claims are limited by tickets' rules only."""

    async def check(self, ticket_id: str) -> None:
        return None

    async def close(self) -> None:
        return None
