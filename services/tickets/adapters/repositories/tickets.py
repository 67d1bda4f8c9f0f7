"""Tickets, with the caller's scope applied to every read."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Integer,
    LargeBinary,
    Row,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2

from services.tickets.adapters.events import TOPIC, envelope_for
from services.tickets.adapters.numbered_event import NUMBER_DIGITS, NUMBER_LENGTH, with_placeholder
from services.tickets.adapters.repositories.catalog import steps_from_json, steps_to_json
from services.tickets.adapters.repositories.trail import history_row
from services.tickets.adapters.tables import day_counters, history, outbox, tickets
from services.tickets.domain.catalog import Priority
from services.tickets.domain.events import TicketEvent
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Approval, Channel, Rating, Ticket
from services.tickets.domain.visibility import TicketScope
from services.tickets.service_layer.ports import TicketFilter

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
ORDERS = {
    "create_time_desc": (tickets.c.created_at.desc(),),
    "create_time_asc": (tickets.c.created_at.asc(),),
    "update_time_desc": (tickets.c.updated_at.desc(),),
    "priority_desc": (tickets.c.priority.desc(), tickets.c.created_at.asc()),
}


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


def scope_clause(scope: TicketScope):  # type: ignore[no-untyped-def]
    if scope.everything:
        return true()
    if scope.provider_id:
        clause = tickets.c.provider_id == scope.provider_id
        if scope.engineer_id:
            pool = and_(
                tickets.c.status == Status.PENDING_ASSIGNMENT.value, tickets.c.engineer_id == ""
            )
            clause = and_(clause, or_(tickets.c.engineer_id == scope.engineer_id, pool))
        return clause
    clause = tickets.c.enterprise_id == scope.enterprise_id
    if scope.own_user_id:
        mine = or_(
            tickets.c.requester_id == scope.own_user_id, tickets.c.created_by == scope.own_user_id
        )
        clause = and_(clause, mine)
    elif scope.department_ids is not None:
        clause = and_(clause, tickets.c.requester_department_id.in_(sorted(scope.department_ids)))
    return clause


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
        self, *, scope: TicketScope, where: TicketFilter, offset: int, limit: int
    ) -> tuple[list[Ticket], int]:
        query = select(tickets).where(scope_clause(scope), *self._conditions(where))
        total = await self._db.scalar(select(func.count()).select_from(query.subquery()))
        order = (*ORDERS.get(where.order, ORDERS["create_time_desc"]), tickets.c.id)
        rows = await self._db.execute(query.order_by(*order).offset(offset).limit(limit))
        return [_ticket(r) for r in rows], int(total or 0)

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

    async def counts_by_status(self, *, scope: TicketScope, user_id: str) -> dict[str, int]:
        rows = await self._db.execute(
            select(tickets.c.status, func.count())
            .where(scope_clause(scope), self._involving(user_id))
            .group_by(tickets.c.status)
        )
        return {status: count for status, count in rows}

    async def counts_by_month(
        self, *, scope: TicketScope, user_id: str, since: datetime
    ) -> dict[str, int]:
        month = func.to_char(func.date_trunc("month", tickets.c.created_at), "YYYY-MM")
        rows = await self._db.execute(
            select(month, func.count())
            .where(scope_clause(scope), self._involving(user_id), tickets.c.created_at >= since)
            .group_by(month)
        )
        return {m: count for m, count in rows}

    @staticmethod
    def _involving(user_id: str):  # type: ignore[no-untyped-def]
        return or_(
            tickets.c.requester_id == user_id,
            tickets.c.created_by == user_id,
            tickets.c.engineer_id == user_id,
        )

    @staticmethod
    def _conditions(where: TicketFilter) -> list:  # type: ignore[type-arg]
        c = tickets.c
        conditions: list[ColumnElement[bool]] = []
        if where.statuses:
            conditions.append(c.status.in_([s.value for s in where.statuses]))
        if where.service_type_ids is not None:
            conditions.append(c.service_type_id.in_(sorted(where.service_type_ids)))
        for name in ("service_level_id", "enterprise_id", "provider_id", "engineer_id"):
            if value := getattr(where, name):
                conditions.append(c[name] == value)
        if where.requester_id:
            conditions.append(
                or_(c.requester_id == where.requester_id, c.created_by == where.requester_id)
            )
        if where.pool_of_provider:
            conditions.extend(
                [
                    c.provider_id == where.pool_of_provider,
                    c.engineer_id == "",
                    c.status == Status.PENDING_ASSIGNMENT.value,
                ]
            )
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
