"""Tickets, with the caller's scope applied to every read."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    LargeBinary,
    Row,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2

from servicekit.paging import invalid_page_token
from services.tickets.adapters.events import TOPIC, envelope_for
from services.tickets.adapters.numbered_event import NUMBER_DIGITS, NUMBER_LENGTH, with_placeholder
from services.tickets.adapters.repositories.catalog import steps_from_json, steps_to_json
from services.tickets.adapters.repositories.trail import history_row
from services.tickets.adapters.tables import (
    day_counters,
    history,
    outbox,
    ticket_count_deltas,
    ticket_counts,
    tickets,
)
from services.tickets.domain.catalog import Priority
from services.tickets.domain.events import TicketEvent
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Approval, Channel, Rating, Ticket
from services.tickets.domain.visibility import TicketScope
from services.tickets.service_layer.ports import TicketFilter, TicketPage

_PLAIN = (
    "id",
    "number",
    "title",
    "description",
    "service_type_id",
    "service_level_id",
    "enterprise_id",
    "requester_id",
    "requester_department_id",
    "created_by",
    "contact_name",
    "contact_phone",
    "location",
    "custom_fields",
    "provider_id",
    "engineer_id",
    "pending_approval_level",
    "resolution",
    "cancel_reason",
    "response_due_at",
    "resolution_due_at",
    "first_response_at",
    "auto_close_at",
    "resolved_at",
    "closed_at",
    "attachment_ids",
    "created_at",
    "service_type_path",
)
HISTORY_COLUMNS = [
    "ticket_id",
    "action",
    "actor_id",
    "actor_kind",
    "actor_organization_id",
    "from_status",
    "to_status",
    "changes",
    "note",
    "internal",
]
# Each list order: its direction and keys, the last key the id; every (scope, order) pair has
# an index yielding it (adapters/tables.py), and a page resumes after the last row's keys.
ORDERS: dict[str, tuple[bool, tuple[ColumnElement[Any], ...]]] = {
    "create_time_desc": (True, (tickets.c.created_at, tickets.c.id)),
    "create_time_asc": (False, (tickets.c.created_at, tickets.c.id)),
    "update_time_desc": (True, (tickets.c.updated_at, tickets.c.id)),
    "priority_desc": (False, (-tickets.c.priority, tickets.c.created_at, tickets.c.id)),
}
DEFAULT_ORDER = "create_time_desc"
# literal SQL, so the planner matches the partial indexes whatever the plan's parameters
_ON_BEHALF = literal_column("tickets.created_by <> tickets.requester_id", Boolean)
_POOL = literal_column(
    "tickets.status = 'pending_assignment' AND tickets.engineer_id = ''", Boolean
)
SHORT_TERM = 2  # search terms this long have no trigram (tickets_*_grams serve them)
_BITMAPS_ONLY = text("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
_ANY_PLAN = text("SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = on")


def is_short_term(query: str) -> bool:
    return 0 < len(query) <= SHORT_TERM and not any(ch.isspace() for ch in query)


_DEPARTMENT_BRANCHES = 16  # more departments than this: one IN branch (sorted afterwards)


def _ticket(row: Row) -> Ticket:  # type: ignore[type-arg]
    rating = row.rating
    return Ticket(
        **{name: getattr(row, name) for name in _PLAIN},
        status=Status(row.status),
        priority=Priority(row.priority),
        channel=Channel(row.channel),
        approval_steps=steps_from_json(row.approval_steps),
        approvals=[
            Approval(
                a["level"],
                a["approver_id"],
                a["approved"],
                a["comment"],
                datetime.fromisoformat(a["decided_at"]),
            )
            for a in row.approvals
        ],
        rating=Rating(
            rating["score"], rating["comment"], datetime.fromisoformat(rating["rated_at"])
        )
        if rating
        else None,
        auto_close_delay=timedelta(seconds=row.auto_close_delay_seconds),
        updated_at=row.updated_at,
        version=row.version,
    )


def _values(ticket: Ticket) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(ticket, name) for name in _PLAIN}
    values.update(
        status=ticket.status.value,
        priority=int(ticket.priority),
        channel=ticket.channel.value,
        approval_steps=steps_to_json(ticket.approval_steps),
        approvals=[
            {**a.__dict__, "decided_at": a.decided_at.isoformat()} for a in ticket.approvals
        ],
        rating={**ticket.rating.__dict__, "rated_at": ticket.rating.rated_at.isoformat()}
        if ticket.rating
        else None,
        auto_close_delay_seconds=int(ticket.auto_close_delay.total_seconds()),
    )
    return values


@functools.cache
def _numbered_insert():  # type: ignore[no-untyped-def]
    """Built once (bound parameters only), so it compiles once."""
    counter = (
        upsert(day_counters)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": day_counters.c.last + 1})
        .returning(day_counters.c.last)
        .cte("counter")
    )
    digits = func.lpad(cast(counter.c.last, Text), NUMBER_DIGITS, "0")
    numbered = (
        select((bindparam("prefix", type_=Text) + digits).label("number"))
        .where(counter.c.last < 10**NUMBER_DIGITS)
        .cte("numbered")
    )
    names = [c.name for c in tickets.columns if c.name not in ("number", "updated_at", "version")]
    ticket = (
        insert(tickets)
        .from_select(
            [*names, "number"],
            select(*(bindparam(n, type_=tickets.c[n].type) for n in names), numbered.c.number),
        )
        .returning(tickets.c.number)
        .cte("ticket")
    )
    entry = (
        insert(history)
        .from_select(
            HISTORY_COLUMNS,
            select(
                *(bindparam(f"h_{n}", type_=history.c[n].type) for n in HISTORY_COLUMNS)
            ).select_from(numbered),
        )
        .cte("entry")
    )
    payload, offset = (
        bindparam("o_payload", type_=LargeBinary),
        bindparam("o_offset", type_=Integer),
    )
    spliced = (
        func.substring(payload, 1, offset - 1)
        .op("||")(func.convert_to(numbered.c.number, "UTF8"))
        .op("||")(func.substring(payload, offset + NUMBER_LENGTH))
    )
    event_columns = ["event_id", "topic", "key", "event_type"]
    event = (
        insert(outbox)
        .from_select(
            [*event_columns, "payload"],
            select(*(bindparam(f"o_{n}", type_=Text) for n in event_columns), spliced),
        )
        .cte("event")
    )
    return select(ticket.c.number).add_cte(entry).add_cte(event)


def scope_branches(scope: TicketScope) -> list[ColumnElement[bool]]:
    """The caller's scope as disjoint conditions, each served by one index per order."""
    c = tickets.c
    if scope.everything:
        return [true()]
    if scope.provider_id:
        if scope.engineer_id:
            return [
                and_(c.provider_id == scope.provider_id, c.engineer_id == scope.engineer_id),
                and_(c.provider_id == scope.provider_id, _POOL),
            ]
        return [c.provider_id == scope.provider_id]
    enterprise = c.enterprise_id == scope.enterprise_id
    if scope.own_user_id:
        return [and_(enterprise, b) for b in _raised_by(scope.own_user_id)]
    if scope.department_ids is not None:
        departments = sorted(scope.department_ids)
        if len(departments) > _DEPARTMENT_BRANCHES:
            return [and_(enterprise, c.requester_department_id.in_(departments))]
        return [and_(enterprise, c.requester_department_id == d) for d in departments] or [false()]
    return [enterprise]


def _raised_by(user_id: str) -> list[ColumnElement[bool]]:
    """Requested by the user, or raised by them for someone else: disjoint."""
    return [
        tickets.c.requester_id == user_id,
        and_(tickets.c.created_by == user_id, _ON_BEHALF),
    ]


def scope_clause(scope: TicketScope) -> ColumnElement[bool]:
    branches = scope_branches(scope)
    return branches[0] if len(branches) == 1 else or_(*branches)


def _position(after: tuple[str, ...], keys: tuple[ColumnElement[Any], ...]) -> list[object]:
    """A page token's keys back in their types; a forged one is a 400, not a 500."""
    values: list[object] = []
    try:
        for part, key in zip(after, keys, strict=True):
            python_type = key.type.python_type
            if python_type is datetime:
                moment = datetime.fromisoformat(part)
                if moment.tzinfo is None:
                    raise ValueError(part)
                values.append(moment)
            elif python_type is int:
                values.append(int(part))
            else:
                values.append(part)
    except (ValueError, OverflowError) as error:
        raise invalid_page_token() from error
    return values


def _keys_of(row: Row, count: int) -> tuple[str, ...]:  # type: ignore[type-arg]
    parts = []
    for i in range(count):
        value = getattr(row, f"k{i}")
        parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return tuple(parts)


def list_statements(
    scope: TicketScope,
    where: TicketFilter,
    after: tuple[str, ...] | None,
    limit: int,
    count_cap: int,
) -> tuple[Select[Any] | CompoundSelect[Any], Select[Any]]:
    """A list's two statements: the page (limit + 1 rows, to tell whether more follow) and the
    capped count. Each scope branch is its own index read that stops early; exposed for the
    test that EXPLAINs them."""
    descending, keys = ORDERS.get(where.order, ORDERS[DEFAULT_ORDER])
    conditions = TicketRepository.conditions(where)
    people = _raised_by(where.requester_id) if where.requester_id else [true()]
    branches = [and_(s, p) for s in scope_branches(scope) for p in people]
    counted = union_all(
        *(select(tickets.c.id).where(b, *conditions).limit(count_cap + 1) for b in branches)
    ).subquery()
    count = select(func.count()).select_from(select(counted).limit(count_cap + 1).subquery())
    if after is not None:
        if len(after) != len(keys):
            raise invalid_page_token()
        row_keys, values = tuple_(*keys), tuple_(*_position(after, keys))
        conditions.append(row_keys < values if descending else row_keys > values)

    def ordered(columns: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
        return [k.desc() if descending else k.asc() for k in columns]

    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    pages = [
        select(tickets, *labelled).where(b, *conditions).order_by(*ordered(keys)).limit(limit + 1)
        for b in branches
    ]
    if len(pages) == 1:
        return pages[0], count
    # ordered by the labels, not through a subquery: its column proxies cost more Python
    # than the query costs PostgreSQL
    merged = union_all(*pages)
    by_label = ordered([literal_column(f"k{i}") for i in range(len(keys))])
    return merged.order_by(*by_label).limit(limit + 1), count


FOLD_COUNTS = """
WITH moved AS (
    DELETE FROM ticket_count_deltas WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ticket_count_deltas LIMIT :batch FOR UPDATE SKIP LOCKED
    ))
    RETURNING keys, month, status, delta
), summed AS (
    SELECT key, month, status, sum(delta) AS delta
    FROM moved, unnest(keys) AS key GROUP BY key, month, status
), saved AS (
    INSERT INTO ticket_counts (key, month, status, count)
    SELECT key, month, status, delta FROM summed ORDER BY key, month, status
    ON CONFLICT (key, month, status) DO UPDATE SET count = ticket_counts.count + excluded.count
)
SELECT count(*) FROM moved
"""


class TicketRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add_numbered(self, ticket: Ticket, day: date, event: TicketEvent) -> str | None:
        """Takes the day's next number and, in the same single statement, inserts the ticket,
        its history entry and its outbox event. The serialised event carries a 16-byte
        placeholder the number replaces (adapters/numbered_event.py). One statement matters:
        the day's counter row stays locked until commit, and every round trip after it queues
        the next create. None when the day ran out of numbers (nothing is written then)."""

        def envelope_numbered(number: str) -> envelope_pb2.EventEnvelope:
            ticket.number = number
            return envelope_for(ticket, event)

        numbered = with_placeholder(envelope_numbered)
        outbox = {
            "event_id": numbered.envelope.event_id,
            "topic": TOPIC,
            "key": ticket.id,
            "event_type": numbered.envelope.event_type,
            "payload": numbered.payload,
        }
        params = {k: v for k, v in _values(ticket).items() if k != "number"}
        params |= {f"h_{k}": v for k, v in history_row(ticket.id, event).items()} | {
            f"o_{k}": v for k, v in outbox.items()
        }
        params |= {"day": day, "prefix": f"T{day:%Y%m%d}-", "o_offset": numbered.offset}
        number: str | None = await self._db.scalar(_numbered_insert(), params)
        if number is not None:
            ticket.number = number
        return number

    async def get(self, ticket_id: str, *, scope: TicketScope, lock: bool = False) -> Ticket | None:
        query = select(tickets).where(
            or_(tickets.c.id == ticket_id, tickets.c.number == ticket_id), scope_clause(scope)
        )
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return _ticket(row) if row else None

    async def save(self, ticket: Ticket) -> Ticket:
        row = (
            await self._db.execute(
                update(tickets)
                .where(tickets.c.id == ticket.id)
                .values(**_values(ticket), updated_at=func.now(), version=tickets.c.version + 1)
                .returning(tickets)
            )
        ).one()
        return _ticket(row)

    async def find(
        self,
        *,
        scope: TicketScope,
        where: TicketFilter,
        after: tuple[str, ...] | None,
        limit: int,
        count_cap: int,
    ) -> TicketPage:
        """A page by keyset: each scope branch reads its index from `after` on and stops at
        the page; the branches' pages are merged. The total is counted up to `count_cap` (not
        at all when it is 0)."""
        page, counted = list_statements(scope, where, after, limit, count_cap)
        keys = len(ORDERS.get(where.order, ORDERS[DEFAULT_ORDER])[1])
        short = is_short_term(where.query)
        if short:
            # The planner cannot tell a rare short term from a common one and may walk an
            # ordered index computing every ticket's grams: only the gram indexes' bitmaps.
            await self._db.execute(_BITMAPS_ONLY)
        rows = (await self._db.execute(page)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        total = int(await self._db.scalar(counted) or 0) if count_cap > 0 else 0
        if short:
            await self._db.execute(_ANY_PLAN)
        return TicketPage(
            items=[_ticket(r) for r in rows],
            after=_keys_of(rows[-1], keys) if more and rows else None,
            total=min(total, count_cap),
            capped=total > count_cap,
        )

    async def page_by_id(self, *, after: str, limit: int) -> list[Ticket]:
        """Every ticket, in id order from `after` on (for snapshots; no scope applies)."""
        rows = await self._db.execute(
            select(tickets).where(tickets.c.id > after).order_by(tickets.c.id).limit(limit)
        )
        return [_ticket(r) for r in rows]

    async def due_for_auto_close(self, now: datetime, limit: int) -> list[str]:
        rows = await self._db.scalars(
            select(tickets.c.id)
            .where(tickets.c.status == Status.RESOLVED.value, tickets.c.auto_close_at <= now)
            .order_by(tickets.c.auto_close_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def counts(self, keys: Sequence[str]) -> list[tuple[date, str, int]]:
        """Ticket counts by creation month and status under the audience keys (folded counts
        and the deltas not folded yet), from ticket_counts: no ticket row is read. A ticket
        has at most one key of each kind, so no delta matches twice."""
        wanted = list(keys)
        parts = union_all(
            select(
                ticket_counts.c.month, ticket_counts.c.status, ticket_counts.c.count.label("n")
            ).where(ticket_counts.c.key.in_(wanted)),
            select(
                ticket_count_deltas.c.month,
                ticket_count_deltas.c.status,
                ticket_count_deltas.c.delta.label("n"),
            ).where(ticket_count_deltas.c["keys"].op("&&")(literal(wanted, ARRAY(Text)))),
        ).subquery()
        rows = await self._db.execute(
            select(parts.c.month, parts.c.status, func.sum(parts.c.n)).group_by(
                parts.c.month, parts.c.status
            )
        )
        return [(month, status, int(n)) for month, status, n in rows if n]

    async def fold_counts(self, batch: int) -> int:
        """Moves up to `batch` count deltas into ticket_counts, in one statement; concurrent
        folds never count a delta twice (a row is deleted, and returned, by one of them)."""
        return int(await self._db.scalar(text(FOLD_COUNTS), {"batch": batch}) or 0)

    @staticmethod
    def conditions(where: TicketFilter) -> list[ColumnElement[bool]]:
        c = tickets.c
        conditions: list[ColumnElement[bool]] = []
        if where.statuses:
            conditions.append(c.status.in_([s.value for s in where.statuses]))
        if where.service_type_ids is not None:
            conditions.append(c.service_type_id.in_(sorted(where.service_type_ids)))
        for name in ("service_level_id", "enterprise_id", "provider_id", "engineer_id"):
            if value := getattr(where, name):
                conditions.append(c[name] == value)
        if where.pool_of_provider:
            conditions.extend([c.provider_id == where.pool_of_provider, _POOL])
        if where.priority is not None:
            conditions.append(c.priority == int(where.priority))
        for column, low, high in (
            (c.created_at, where.created_from, where.created_to),
            (c.updated_at, where.updated_from, where.updated_to),
        ):
            if low is not None:
                conditions.append(column >= low)
            if high is not None:
                conditions.append(column < high)
        if where.query:
            if is_short_term(where.query):
                # no trigram: look the term up among the texts' characters and pairs (one
                # index condition, so each candidate is only compared with strpos after it)
                term = where.query.lower()
                conditions.append(
                    and_(
                        func.ticket_grams(c.title, c.description).op("@>")(
                            literal([term], ARRAY(Text))
                        ),
                        or_(
                            func.strpos(func.lower(c.title), term) > 0,
                            func.strpos(func.lower(c.description), term) > 0,
                        ),
                    )
                )
            else:
                escaped = where.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                pattern = f"%{escaped}%"
                conditions.append(
                    or_(
                        c.title.ilike(pattern, escape="\\"),
                        c.description.ilike(pattern, escape="\\"),
                        c.number == where.query,
                    )
                )
        return conditions
