"""Creating, reading, listing and editing tickets, and the 个人中心 statistics."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import (
    DomainError,
    ErrorCode,
    FieldViolation,
    invalid_argument,
    not_found,
    permission_denied,
)
from servicekit.field_mask import copy_fields, fields_to_update
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import (
    invalid_page_token,
    key_of_signed_token,
    page_limit,
    signed_key_token,
)
from services.tickets.domain.catalog import Priority, ServiceType, custom_field_violations
from services.tickets.domain.events import TicketUpdated
from services.tickets.domain.status import Status, StatusGroup
from services.tickets.domain.tickets import Channel, Ticket
from services.tickets.domain.visibility import TicketScope, count_keys, scope_of
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import TicketFilter, TicketPage, TicketsUnit

_PHONE = re.compile(r"^(\+[1-9]\d{6,14}|1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
EDITABLE = {
    "title",
    "description",
    "contact_name",
    "contact_phone",
    "location",
    "custom_fields",
    "priority",
}
OPERATION = "create-ticket"


async def scope(uow: TicketsUnit, principal: Principal) -> TicketScope:
    """What the caller sees; data scope "department" covers their department's whole subtree."""
    departments = None
    if (
        principal.kind == "enterprise"
        and principal.data_scope == "department"
        and principal.department_id
    ):
        departments = await uow.directory.department_subtree(principal.department_id)
    return scope_of(principal, departments)


async def create_ticket(
    deps: Deps,
    principal: Principal,
    *,
    draft: Ticket,
    priority: Priority | None,
    request_id: str,
    fingerprint: str = "",
) -> Ticket:
    scope = caller_scope(principal.organization_id, principal.user_id)
    key = RequestKey(scope, OPERATION, request_id, fingerprint)
    async with deps.uow() as uow:
        if existing := await uow.requests.remembered(key):
            return await load(uow, principal, existing)
        await _set_requester(uow, principal, draft)
        service_type = await _service_type(deps, uow, draft.service_type_id)
        level = await deps.catalog_cache.service_level(
            uow, draft.service_level_id or service_type.default_service_level_id
        )
        violations = _content_violations(draft) + custom_field_violations(
            service_type.form_fields, draft.custom_fields
        )
        if level is None:
            missing = not (draft.service_level_id or service_type.default_service_level_id)
            violations.append(
                FieldViolation(
                    "ticket.service_level_id",
                    "is required: the service type has no default level"
                    if missing
                    else "is not a service level",
                )
            )
        if violations:
            raise invalid_argument("TICKET_INVALID", violations)
        assert level is not None
        _requester_sets_no_priority_or_channel(principal, draft, priority, level.priority)
        draft.service_type_path = await _path(deps, uow, service_type)
        now = deps.clock()
        draft.id = uuid.uuid4().hex
        draft.service_level_id, draft.priority = level.id, priority or level.priority
        draft.approval_steps = list(level.approval_steps)
        draft.auto_close_delay = level.auto_close_delay
        event = draft.open(principal, now, level.response_target, level.resolution_target)
        draft.updated_at = now
        if not await uow.requests.remember(key, resource_id=draft.id):
            raise DomainError(
                "REQUEST_ID_IN_FLIGHT", "retry: the same request is running", ErrorCode.ABORTED
            )
        if await uow.tickets.add_numbered(draft, deps.local_day(now), event) is None:
            raise DomainError(
                "TICKET_NUMBERS_EXHAUSTED",
                "no ticket numbers left today",
                ErrorCode.RESOURCE_EXHAUSTED,
            )
        await uow.commit()
    return draft


async def get_ticket(deps: Deps, principal: Principal, ticket_id: str) -> Ticket:
    async with deps.uow() as uow:
        return await load(uow, principal, ticket_id)


async def load(
    uow: TicketsUnit,
    principal: Principal,
    ticket_id: str,
    *,
    lock: bool = False,
    bypass_scope: bool = False,
) -> Ticket:
    visible = TicketScope(everything=True) if bypass_scope else await scope(uow, principal)
    ticket = await uow.tickets.get(ticket_id, scope=visible, lock=lock)
    if ticket is None:
        raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
    return ticket


async def list_tickets(
    deps: Deps,
    principal: Principal,
    *,
    where: TicketFilter,
    group: StatusGroup | None,
    page_size: int,
    page_token: str,
) -> tuple[TicketPage, str]:
    """A page of the tickets the caller sees, and the token of the next ("" on the last). The
    token is a signed keyset position, valid only with the same filters and order; it also
    carries the total counted for the first page, so later pages count nothing."""
    limit = page_limit(page_size, default=20, maximum=100)
    context = _list_context(where, group)
    secret = deps.settings.page_token_secret
    keys = _KEY_COUNTS.get(where.order, 2)
    after, carried = None, None
    if page_token:
        parts = key_of_signed_token(page_token, keys + 2, secret=secret, context=context)
        if not parts[keys].isdigit():
            raise invalid_page_token()
        after, carried = parts[:keys], (int(parts[keys]), parts[keys + 1] == "1")
    async with deps.uow() as uow:
        if group is not None:
            statuses = tuple(
                s
                for s in Status
                if s.group is group and (not where.statuses or s in where.statuses)
            )
            if not statuses:
                return TicketPage([], None, 0, False), ""
            where = replace(where, statuses=statuses)
        if where.service_type_ids is not None:
            where = replace(
                where, service_type_ids=await _with_descendants(uow, where.service_type_ids)
            )
        cap = deps.settings.list_search_count_cap if where.query else deps.settings.list_count_cap
        page = await uow.tickets.find(
            scope=await scope(uow, principal),
            where=where,
            after=after,
            limit=limit,
            count_cap=0 if carried else cap,
        )
    if carried:
        page = replace(page, total=carried[0], capped=carried[1])
    token = (
        signed_key_token(
            [*page.after, str(page.total), "1" if page.capped else "0"],
            secret=secret,
            context=context,
        )
        if page.after
        else ""
    )
    return page, token


_KEY_COUNTS = {"priority_desc": 3}  # other orders: a time and the id


def _list_context(where: TicketFilter, group: StatusGroup | None) -> str:
    """What a page token is bound to: the list's filters and order, canonically written."""
    fields = {
        name: sorted(str(v) for v in value) if isinstance(value, (tuple, frozenset)) else str(value)
        for name, value in sorted(vars(where).items())
    }
    return json.dumps({"where": fields, "group": group.name if group else ""}, sort_keys=True)


async def update_ticket(
    deps: Deps,
    principal: Principal,
    *,
    ticket_id: str,
    draft: Ticket,
    priority: Priority | None,
    mask: list[str],
) -> Ticket:
    names = fields_to_update(mask, EDITABLE)
    async with deps.uow() as uow:
        ticket = await load(uow, principal, ticket_id, lock=True)
        if (
            principal.user_id not in (ticket.requester_id, ticket.created_by)
            and not principal.is_platform
        ):
            raise permission_denied("TICKET_NOT_REQUESTER", "only the requester edits a ticket")
        if (
            ticket.status not in (Status.PENDING_APPROVAL, Status.PENDING_ASSIGNMENT)
            or ticket.engineer_id
        ):
            raise DomainError(
                "TICKET_INVALID_TRANSITION",
                "a ticket is edited only before it is assigned",
                ErrorCode.FAILED_PRECONDITION,
            )
        before = {n: str(getattr(ticket, n)) for n in names}
        if priority is not None:
            draft.priority = priority
        copy_fields(ticket, draft, names)
        service_type = await _service_type(deps, uow, ticket.service_type_id)
        violations = _content_violations(ticket) + custom_field_violations(
            service_type.form_fields, ticket.custom_fields
        )
        if violations:
            raise invalid_argument("TICKET_INVALID", violations)
        saved = await uow.tickets.save(ticket)
        changes = {n: str(getattr(saved, n)) for n in names if str(getattr(saved, n)) != before[n]}
        await uow.record(saved, TicketUpdated(principal, saved.status, saved.status, changes))
        await uow.commit()
    return saved


async def stats(
    deps: Deps, principal: Principal, *, months: int
) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The tickets the caller sees (an engineer: those assigned to them), by status group and
    by creation month (UTC) for `months` months, from the kept counts (no ticket is read)."""
    months = min(max(months or 12, 1), 36)
    now = deps.clock()
    index = now.year * 12 + now.month - 1 - (months - 1)
    month_starts = [
        now.replace(
            year=(index + i) // 12,
            month=(index + i) % 12 + 1,
            day=1,
            hour=0,
            minute=0,
            second=0,
            microsecond=0,
        )
        for i in range(months)
    ]
    async with deps.uow() as uow:
        counted = await uow.tickets.counts(count_keys(await scope(uow, principal)))
    groups = {g.name: 0 for g in StatusGroup}
    by_month: dict[str, int] = {}
    for month, status, count in counted:
        groups[Status(status).group.name] += count
        by_month[f"{month:%Y-%m}"] = by_month.get(f"{month:%Y-%m}", 0) + count
    return groups, [(f"{m:%Y-%m}", by_month.get(f"{m:%Y-%m}", 0)) for m in month_starts]


async def _set_requester(uow: TicketsUnit, principal: Principal, draft: Ticket) -> None:
    """Raised by the requester themself, or by staff on a customer's behalf (代客创建)."""
    on_behalf = draft.requester_id and draft.requester_id != principal.user_id
    if not on_behalf:
        require_permission(principal, "ticket.create")
        if principal.kind != "enterprise":
            raise permission_denied(
                "TICKET_REQUESTER_REQUIRED", "staff name the customer in requester_user_id"
            )
        draft.requester_id, draft.enterprise_id = principal.user_id, principal.organization_id
        draft.requester_department_id = principal.department_id
        return
    require_permission(principal, "ticket.create_on_behalf")
    requester = await uow.directory.person(draft.requester_id)
    if requester is None or not requester.active or requester.kind != "enterprise":
        raise invalid_argument(
            "TICKET_INVALID",
            [FieldViolation("ticket.requester_user_id", "is not an active customer user")],
        )
    if not principal.is_platform and requester.organization_id != principal.organization_id:
        raise permission_denied("NOT_YOUR_ORGANIZATION", "you act only for your own enterprise")
    draft.enterprise_id, draft.requester_department_id = (
        requester.organization_id,
        requester.department_id,
    )
    draft.created_by, draft.channel = principal.user_id, Channel.STAFF


async def _service_type(deps: Deps, uow: TicketsUnit, type_id: str) -> ServiceType:
    found = await deps.catalog_cache.service_type(uow, type_id) if type_id else None
    if found is None or not found.enabled:
        raise invalid_argument(
            "TICKET_INVALID",
            [FieldViolation("ticket.service_type_id", "is not an enabled service type")],
        )
    if found.level == 1 or await deps.catalog_cache.has_children(uow, found.id):
        raise invalid_argument(
            "TICKET_INVALID",
            [
                FieldViolation(
                    "ticket.service_type_id",
                    "is a category: choose a service type of level 2 or 3 with no sub-types",
                )
            ],
        )
    return found


def _requester_sets_no_priority_or_channel(
    principal: Principal, draft: Ticket, asked: Priority | None, levels: Priority
) -> None:
    """The service level sets a requester's priority (staff raising a ticket on a customer's
    behalf may choose it), and only staff tickets come through the staff channel."""
    raised_by_requester = draft.requester_id == principal.user_id
    if raised_by_requester and asked is not None and asked != levels:
        raise permission_denied(
            "PRIORITY_NOT_YOURS", "the service level sets the priority; staff may change it"
        )
    if raised_by_requester and draft.channel is Channel.STAFF:
        raise invalid_argument(
            "TICKET_INVALID",
            [
                FieldViolation(
                    "ticket.channel", "is staff only for tickets raised on a customer's behalf"
                )
            ],
        )


def _content_violations(ticket: Ticket) -> list[FieldViolation]:
    found = []
    if not ticket.title.strip():
        found.append(FieldViolation("ticket.title", "is required"))
    elif len(ticket.title) > 200:
        found.append(FieldViolation("ticket.title", "must be at most 200 characters"))
    if len(ticket.description) > 10_000:
        found.append(FieldViolation("ticket.description", "must be at most 10000 characters"))
    if ticket.contact_phone and not _PHONE.match(ticket.contact_phone):
        found.append(FieldViolation("ticket.contact_phone", "is not a phone number"))
    return found


async def _path(deps: Deps, uow: TicketsUnit, service_type: ServiceType) -> list[str]:
    """The type's ancestors, root first, ending with the type itself."""
    path, current = [service_type.id], service_type
    while current.parent_id and current.parent_id not in path:
        parent = await deps.catalog_cache.service_type(uow, current.parent_id)
        if parent is None:
            break
        path.insert(0, parent.id)
        current = parent
    return path


async def _with_descendants(uow: TicketsUnit, roots: frozenset[str]) -> frozenset[str]:
    everything = await uow.catalog.list_types(parent_id="", show_disabled=True)
    children: dict[str, list[str]] = {}
    for item in everything:
        children.setdefault(item.parent_id, []).append(item.id)
    found, stack = set(), list(roots)
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, []))
    return frozenset(found)
