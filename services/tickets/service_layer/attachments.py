"""Attachments: uploaded by anyone who can see the ticket while it is open, downloaded with the
ticket's permissions, removed by their uploader."""

from __future__ import annotations

import uuid

import filetype

from servicekit.auth.principal import Principal
from servicekit.errors import (
    DomainError,
    ErrorCode,
    FieldViolation,
    invalid_argument,
    not_found,
    permission_denied,
)
from services.tickets.domain.attachments import Attachment, sanitize_filename
from services.tickets.domain.events import TicketAttachmentAdded, TicketAttachmentRemoved
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import TicketsUnit
from services.tickets.service_layer.tickets import load


async def upload(
    deps: Deps, p: Principal, ticket_id: str, *, filename: str, content: bytes
) -> Attachment:
    name = sanitize_filename(filename)
    policy = deps.attachment_policy
    kind = filetype.guess(content[:8192]) if content else None
    problem = policy.problem(name, content, kind.mime if kind else None)
    if problem:
        raise invalid_argument("ATTACHMENT_REFUSED", [FieldViolation(problem[0], problem[1])])
    digest = await deps.store.put(
        content
    )  # content-addressed: a rolled-back upload leaves an orphan only
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id, lock=True)
        _require_open(ticket.status.is_final, "attach files to")
        attachment = await uow.attachments.add(
            Attachment(
                id=uuid.uuid4().hex,
                ticket_id=ticket.id,
                filename=name,
                content_type=policy.content_type(name),
                size_bytes=len(content),
                sha256=digest,
                uploader_id=p.user_id,
                uploader_kind=p.kind,
                uploader_organization_id=p.organization_id,
            )
        )
        saved = await uow.tickets.save(ticket)
        added = TicketAttachmentAdded(
            p,
            ticket.status,
            ticket.status,
            {"attachment_id": attachment.id, "filename": name},
            attachment=attachment,
        )
        await uow.record(saved, added)
        await uow.commit()
    return attachment


async def list_attachments(deps: Deps, p: Principal, ticket_id: str) -> list[Attachment]:
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id)
        return await uow.attachments.of_ticket(ticket.id)


async def download(
    deps: Deps, p: Principal, ticket_id: str, attachment_id: str
) -> tuple[Attachment, bytes]:
    async with deps.uow() as uow:
        attachment = await _attachment(uow, p, ticket_id, attachment_id)
    return attachment, await deps.store.get(attachment.sha256)


async def remove(deps: Deps, p: Principal, ticket_id: str, attachment_id: str) -> None:
    async with deps.uow() as uow:
        ticket = await load(uow, p, ticket_id, lock=True)
        attachment = await _attachment(uow, p, ticket.id, attachment_id)
        _require_open(ticket.status.is_final, "remove files from")
        if attachment.uploader_id != p.user_id and not p.is_platform:
            raise permission_denied(
                "ATTACHMENT_NOT_YOURS", "only its uploader removes an attachment"
            )
        await uow.attachments.remove(attachment.id, deps.clock())
        saved = await uow.tickets.save(ticket)
        removed = TicketAttachmentRemoved(
            p, ticket.status, ticket.status, {"attachment_id": attachment.id}, attachment=attachment
        )
        await uow.record(saved, removed)
        await uow.commit()


async def require_attached(
    uow: TicketsUnit, ticket_id: str, attachment_ids: list[str], field: str
) -> None:
    """Attachment ids given with a comment or resolution must belong to the ticket."""
    known = {a.id for a in await uow.attachments.of_ticket(ticket_id)}
    unknown = [a for a in attachment_ids if a not in known]
    if unknown:
        raise invalid_argument(
            "ATTACHMENT_UNKNOWN",
            [FieldViolation(field, f"not attached to this ticket: {', '.join(unknown)}")],
        )


async def _attachment(
    uow: TicketsUnit, p: Principal, ticket_id: str, attachment_id: str
) -> Attachment:
    ticket = await load(uow, p, ticket_id)
    attachment = await uow.attachments.get(ticket.id, attachment_id)
    if attachment is None:
        raise not_found("ATTACHMENT_NOT_FOUND", f"no attachment {attachment_id!r} on this ticket")
    return attachment


def _require_open(final: bool, verb: str) -> None:
    if final:
        raise DomainError(
            "TICKET_INVALID_TRANSITION",
            f"cannot {verb} a finished ticket",
            ErrorCode.FAILED_PRECONDITION,
        )
