"""Tickets' ports in memory, for unit tests of the use cases (no servers). The rules the SQL
repositories implement — scope, filters, numbering, ordering — are kept here in Python."""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from services.tickets.domain.attachments import Attachment
from services.tickets.domain.catalog import ServiceLevel, ServiceType
from services.tickets.domain.events import Comment, HistoryEntry, TicketEvent
from services.tickets.domain.knowledge import Article, ArticleState
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Ticket
from services.tickets.domain.visibility import TicketScope, counted_under
from services.tickets.service_layer.catalog_cache import CatalogCache
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import Person, TicketFilter, TicketPage
from services.tickets.settings import TicketsSettings
from tests.support.fakes import BaseState, FakeClock, FakeDatabase, FakeUnit

_FINAL = (Status.CLOSED, Status.REJECTED, Status.CANCELLED)
_ids = itertools.count(1)


@dataclass
class TicketsState(BaseState):
    tickets: dict[str, Ticket] = field(default_factory=dict)
    day_counters: dict[date, int] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    types: dict[str, ServiceType] = field(default_factory=dict)
    levels: dict[str, ServiceLevel] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    provider_names: dict[str, str] = field(default_factory=dict)
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)  # id: (ent, parent)
    designations: set[tuple[str, str]] = field(default_factory=set)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    feedback: dict[tuple[str, str], bool] = field(default_factory=dict)
    events: list[tuple[Ticket, TicketEvent]] = field(default_factory=list)  # the outbox
    snapshots: list[Ticket] = field(default_factory=list)
    catalog_events: list[tuple[str, str, str]] = field(default_factory=list)  # (change, id, name)


def covers(scope: TicketScope, t: Ticket) -> bool:
    """The scope rule `scope_clause` writes as SQL."""
    if scope.everything:
        return True
    if scope.provider_id:
        if t.provider_id != scope.provider_id:
            return False
        pool = t.status is Status.PENDING_ASSIGNMENT and not t.engineer_id
        return not scope.engineer_id or t.engineer_id == scope.engineer_id or pool
    if t.enterprise_id != scope.enterprise_id:
        return False
    if scope.own_user_id:
        return scope.own_user_id in (t.requester_id, t.created_by)
    if scope.department_ids is not None:
        return t.requester_department_id in scope.department_ids
    return True


def matches(where: TicketFilter, t: Ticket) -> bool:
    checks = [
        not where.statuses or t.status in where.statuses,
        where.service_type_ids is None or t.service_type_id in where.service_type_ids,
        not where.service_level_id or t.service_level_id == where.service_level_id,
        not where.enterprise_id or t.enterprise_id == where.enterprise_id,
        not where.provider_id or t.provider_id == where.provider_id,
        not where.engineer_id or t.engineer_id == where.engineer_id,
        not where.requester_id or where.requester_id in (t.requester_id, t.created_by),
        not where.pool_of_provider
        or (
            t.provider_id == where.pool_of_provider
            and not t.engineer_id
            and t.status is Status.PENDING_ASSIGNMENT
        ),
        where.priority is None or t.priority == where.priority,
        where.created_from is None or (t.created_at or _EPOCH) >= where.created_from,
        where.created_to is None or (t.created_at or _EPOCH) < where.created_to,
        where.updated_from is None or (t.updated_at or _EPOCH) >= where.updated_from,
        where.updated_to is None or (t.updated_at or _EPOCH) < where.updated_to,
        not where.query
        or where.query.lower() in (t.title + "\n" + t.description).lower()
        or t.number == where.query,
    ]
    return all(checks)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FakeTickets:
    def __init__(self, state: TicketsState, clock: FakeClock):
        self._s, self._clock = state, clock

    async def add_numbered(self, ticket: Ticket, day: date, event: TicketEvent) -> str | None:
        taken = self._s.day_counters.get(day, 0) + 1
        if taken > 999_999:
            return None
        self._s.day_counters[day] = taken
        ticket.number = f"T{day:%Y%m%d}-{taken:06d}"
        ticket.version = 1
        self._s.tickets[ticket.id] = copy.deepcopy(ticket)
        _record(self._s, self._clock(), ticket, event)
        return ticket.number

    async def get(self, ticket_id: str, *, scope: TicketScope, lock: bool = False) -> Ticket | None:
        for t in self._s.tickets.values():
            if ticket_id in (t.id, t.number) and covers(scope, t):
                return copy.deepcopy(t)
        return None

    async def save(self, ticket: Ticket) -> Ticket:
        stored = replace(
            copy.deepcopy(ticket), version=ticket.version + 1, updated_at=self._clock()
        )
        self._s.tickets[ticket.id] = stored
        return copy.deepcopy(stored)

    async def find(
        self,
        *,
        scope: TicketScope,
        where: TicketFilter,
        after: tuple[str, ...] | None,
        limit: int,
        count_cap: int,
    ) -> TicketPage:
        found = [t for t in self._s.tickets.values() if covers(scope, t) and matches(where, t)]
        newest_first = where.order in ("create_time_desc", "update_time_desc")
        found.sort(key=lambda t: _sort_key(where.order, t), reverse=newest_first)
        if after is not None:
            found = found[[_keys(where.order, t) for t in found].index(after) + 1 :]
        page = [copy.deepcopy(t) for t in found[:limit]]
        more = len(found) > limit
        return TicketPage(
            items=page,
            after=_keys(where.order, page[-1]) if more else None,
            total=min(len(found), count_cap),
            capped=0 < count_cap < len(found),
        )

    async def page_by_id(self, *, after: str, limit: int) -> list[Ticket]:
        return [
            copy.deepcopy(t)
            for t in sorted(self._s.tickets.values(), key=lambda t: t.id)
            if t.id > after
        ][:limit]

    async def due_for_auto_close(self, now: datetime, limit: int) -> list[str]:
        due = [
            t
            for t in self._s.tickets.values()
            if t.status is Status.RESOLVED and t.auto_close_at and t.auto_close_at <= now
        ]
        return [t.id for t in sorted(due, key=lambda t: t.auto_close_at or now)][:limit]

    async def counts(self, keys: Sequence[str]) -> list[tuple[date, str, int]]:
        counts: dict[tuple[date, str], int] = {}
        for t in self._s.tickets.values():
            under = counted_under(
                enterprise_id=t.enterprise_id,
                department_id=t.requester_department_id,
                provider_id=t.provider_id,
                engineer_id=t.engineer_id,
                requester_id=t.requester_id,
                created_by=t.created_by,
            )
            if set(under) & set(keys):
                created = t.created_at or _EPOCH
                month = date(created.year, created.month, 1)
                counts[month, t.status.value] = counts.get((month, t.status.value), 0) + 1
        return [(month, status, n) for (month, status), n in counts.items()]

    async def fold_counts(self, batch: int) -> int:
        return 0


def _sort_key(order: str, t: Ticket) -> tuple[object, ...]:
    created = t.created_at or _EPOCH
    if order == "priority_desc":
        return (-int(t.priority), created, t.id)
    if order == "update_time_desc":
        return (t.updated_at or created, t.id)
    return (created, t.id)


def _keys(order: str, t: Ticket) -> tuple[str, ...]:
    return tuple(v.isoformat() if isinstance(v, datetime) else str(v) for v in _sort_key(order, t))


def _record(state: TicketsState, now: datetime, ticket: Ticket, event: TicketEvent) -> None:
    actor = event.actor
    state.history.append(
        HistoryEntry(
            id=next(_ids),
            ticket_id=ticket.id,
            action=event.action,
            actor_id=actor.user_id if actor else "",
            actor_kind=actor.kind if actor else "system",
            actor_organization_id=actor.organization_id if actor else "",
            from_status=event.from_status,
            to_status=event.to_status,
            changes={k: v for k, v in event.changes.items() if v},
            note=event.note,
            internal=event.internal,
            created_at=now,
        )
    )
    state.events.append((copy.deepcopy(ticket), event))


class FakeTrail:
    def __init__(self, state: TicketsState, clock: FakeClock):
        self._s, self._clock = state, clock

    async def history(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[HistoryEntry]:
        found = [
            h
            for h in self._s.history
            if h.ticket_id == ticket_id and (include_internal or not h.internal)
        ]
        return found[offset : offset + limit]

    async def add_comment(self, comment: Comment) -> Comment:
        stored = replace(
            comment, attachment_ids=comment.attachment_ids or [], created_at=self._clock()
        )
        self._s.comments.append(stored)
        return stored

    async def comments(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[Comment]:
        found = [
            c
            for c in self._s.comments
            if c.ticket_id == ticket_id and (include_internal or not c.internal)
        ]
        return found[offset : offset + limit]


class FakeCatalog:
    def __init__(self, state: TicketsState, clock: FakeClock):
        self._s, self._clock = state, clock

    async def add_type(self, item: ServiceType) -> ServiceType:
        stored = replace(item, created_at=self._clock(), updated_at=self._clock())
        self._s.types[item.id] = stored
        return stored

    async def get_type(self, type_id: str) -> ServiceType | None:
        return self._s.types.get(type_id)

    async def list_types(self, *, parent_id: str, show_disabled: bool) -> list[ServiceType]:
        found = [
            t
            for t in self._s.types.values()
            if (not parent_id or t.parent_id == parent_id) and (show_disabled or t.enabled)
        ]
        return sorted(found, key=lambda t: (t.level, t.sort_order, t.created_at or _EPOCH))

    async def has_children(self, type_id: str) -> bool:
        return any(t.parent_id == type_id and t.enabled for t in self._s.types.values())

    async def save_type(self, item: ServiceType) -> ServiceType:
        return await self.add_type(replace(item, created_at=self._s.types[item.id].created_at))

    async def remove_type(self, type_id: str) -> None:
        del self._s.types[type_id]

    async def type_in_use(self, type_id: str) -> bool:
        return any(t.parent_id == type_id for t in self._s.types.values()) or any(
            t.service_type_id == type_id for t in self._s.tickets.values()
        )

    async def type_name_taken(self, parent_id: str, name: str, *, excluding: str) -> bool:
        return any(
            t.parent_id == parent_id and t.display_name == name and t.id != excluding
            for t in self._s.types.values()
        )

    async def add_level(self, item: ServiceLevel) -> ServiceLevel:
        stored = replace(item, created_at=self._clock(), updated_at=self._clock())
        self._s.levels[item.id] = stored
        return stored

    async def get_level(self, level_id: str) -> ServiceLevel | None:
        return self._s.levels.get(level_id)

    async def list_levels(self) -> list[ServiceLevel]:
        return sorted(self._s.levels.values(), key=lambda lv: (int(lv.priority), lv.display_name))

    async def save_level(self, item: ServiceLevel) -> ServiceLevel:
        return await self.add_level(replace(item, created_at=self._s.levels[item.id].created_at))

    async def remove_level(self, level_id: str) -> None:
        del self._s.levels[level_id]

    async def level_in_use(self, level_id: str) -> bool:
        return any(t.default_service_level_id == level_id for t in self._s.types.values()) or any(
            t.service_level_id == level_id and t.status not in _FINAL
            for t in self._s.tickets.values()
        )

    async def level_name_taken(self, name: str, *, excluding: str) -> bool:
        return any(lv.display_name == name and lv.id != excluding for lv in self._s.levels.values())


class FakeDirectory:
    def __init__(self, state: TicketsState):
        self._s = state

    async def person(self, person_id: str) -> Person | None:
        return self._s.people.get(person_id)

    async def provider_of_engineer(self, engineer_id: str) -> str:
        p = self._s.people.get(engineer_id)
        return p.organization_id if p and p.active and p.kind == "engineer" else ""

    async def is_designated(self, enterprise_id: str, provider_id: str) -> bool:
        return (enterprise_id, provider_id) in self._s.designations

    async def people(self, person_ids: Iterable[str]) -> dict[str, Person]:
        return {i: self._s.people[i] for i in person_ids if i in self._s.people}

    async def provider_names(self, provider_ids: Iterable[str]) -> dict[str, str]:
        names = self._s.provider_names
        return {i: names[i] for i in provider_ids if i in names}

    async def department_subtree(self, department_id: str) -> frozenset[str]:
        found, stack = {department_id}, [department_id]
        while stack:
            parent = stack.pop()
            for child, (_, up) in self._s.departments.items():
                if up == parent and child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)


class FakeAttachments:
    def __init__(self, state: TicketsState, clock: FakeClock):
        self._s, self._clock = state, clock

    async def add(self, item: Attachment) -> Attachment:
        stored = replace(item, created_at=self._clock())
        self._s.attachments[item.id] = stored
        return stored

    async def get(self, ticket_id: str, attachment_id: str) -> Attachment | None:
        found = self._s.attachments.get(attachment_id)
        return found if found and found.ticket_id == ticket_id and not found.deleted_at else None

    async def of_ticket(self, ticket_id: str) -> list[Attachment]:
        return [
            a
            for a in self._s.attachments.values()
            if a.ticket_id == ticket_id and a.deleted_at is None
        ]

    async def remove(self, attachment_id: str, now: datetime) -> None:
        self._s.attachments[attachment_id].deleted_at = now


class FakeKnowledge:
    def __init__(self, state: TicketsState, clock: FakeClock):
        self._s, self._clock = state, clock

    async def add(self, article: Article) -> Article:
        stored = replace(article, created_at=self._clock(), updated_at=self._clock())
        self._s.articles[article.id] = stored
        return self._counted(stored)

    async def get(self, article_id: str, *, published_only: bool) -> Article | None:
        found = self._s.articles.get(article_id)
        if found is None or (published_only and found.state is not ArticleState.PUBLISHED):
            return None
        return self._counted(found)

    async def save(self, article: Article) -> Article:
        stored = replace(
            article, created_at=self._s.articles[article.id].created_at, updated_at=self._clock()
        )
        self._s.articles[article.id] = stored
        return self._counted(stored)

    async def remove(self, article_id: str) -> None:
        del self._s.articles[article_id]
        for key in [k for k in self._s.feedback if k[0] == article_id]:
            del self._s.feedback[key]

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
    ) -> list[Article]:
        found = [
            a
            for a in self._s.articles.values()
            if (state is None or a.state is state)
            and (not category or a.category == category)
            and (not tag or tag in a.tags)
            and (not service_type_id or service_type_id in a.service_type_ids)
            and (not query_terms or set(query_terms) & set(a.all_terms))
        ]

        def score(a: Article) -> int:
            return 2 * len(set(query_terms) & set(a.title_terms)) + len(
                set(query_terms) & set(a.all_terms)
            )

        found.sort(key=lambda a: (-score(a), -(a.updated_at or _EPOCH).timestamp(), a.id))
        return [self._counted(a) for a in found[offset : offset + limit]]

    async def record_feedback(self, article_id: str, user_id: str, helpful: bool) -> None:
        self._s.feedback[(article_id, user_id)] = helpful

    def _counted(self, article: Article) -> Article:
        votes = [h for (a, _), h in self._s.feedback.items() if a == article.id]
        return replace(
            article, helpful_count=votes.count(True), not_helpful_count=votes.count(False)
        )


class FakeTicketsUnit(FakeUnit[TicketsState]):
    def __init__(self, database: FakeDatabase[TicketsState], clock: FakeClock):
        super().__init__(database)
        self._clock = clock

    def opened(self) -> None:
        self.tickets = FakeTickets(self.state, self._clock)
        self.trail = FakeTrail(self.state, self._clock)
        self.catalog = FakeCatalog(self.state, self._clock)
        self.directory = FakeDirectory(self.state)
        self.attachments = FakeAttachments(self.state, self._clock)
        self.knowledge = FakeKnowledge(self.state, self._clock)

    async def record(self, ticket: Ticket, event: TicketEvent) -> None:
        _record(self.state, self._clock(), ticket, event)

    async def publish_state(self, ticket: Ticket) -> None:
        self.state.snapshots.append(copy.deepcopy(ticket))

    async def publish_catalog(self, change: str, item: ServiceType | ServiceLevel) -> None:
        self.state.catalog_events.append((change, item.id, item.display_name))


class FakeStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        self.blobs[digest] = content
        return digest

    async def get(self, sha256: str) -> bytes:
        return self.blobs[sha256]


@dataclass
class World:
    """Deps wired to fakes, and handles on what a test looks at."""

    database: FakeDatabase[TicketsState]
    clock: FakeClock
    store: FakeStore
    deps: Deps

    @property
    def state(self) -> TicketsState:
        return self.database.state


def world(**settings: object) -> World:
    database = FakeDatabase(TicketsState())
    clock, store = FakeClock(), FakeStore()
    deps = Deps(
        uow=lambda: FakeTicketsUnit(database, clock),
        settings=TicketsSettings(**settings),  # type: ignore[arg-type]
        store=store,
        clock=clock,
        catalog_cache=CatalogCache(0),
    )
    return World(database, clock, store, deps)
