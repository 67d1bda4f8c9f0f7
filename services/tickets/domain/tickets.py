"""The ticket and its lifecycle (DESIGN.md §3). Every transition checks who may do it and
from which state, and returns what happened as a typed event (domain/events.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode, FieldViolation, permission_denied
from services.tickets.domain import events as ev
from services.tickets.domain.catalog import ApprovalStep, ApproverSide, Priority
from services.tickets.domain.status import Status


class Channel(enum.Enum):
    MINI_PROGRAM = "mini_program"
    WEB = "web"
    STAFF = "staff"
    API = "api"


@dataclass
class Approval:
    level: int
    approver_id: str
    approved: bool
    comment: str
    decided_at: datetime


@dataclass
class Rating:
    score: int
    comment: str
    rated_at: datetime


@dataclass
class Ticket:
    id: str
    number: str
    title: str
    service_type_id: str
    service_level_id: str
    enterprise_id: str
    requester_id: str
    status: Status = Status.PENDING_APPROVAL
    description: str = ""
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.WEB
    created_by: str = ""
    requester_department_id: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    location: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)
    provider_id: str = ""
    engineer_id: str = ""
    approval_steps: list[ApprovalStep] = field(default_factory=list)
    pending_approval_level: int = 0
    approvals: list[Approval] = field(default_factory=list)
    resolution: str = ""
    cancel_reason: str = ""
    rating: Rating | None = None
    auto_close_delay: timedelta = timedelta(days=3)
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    first_response_at: datetime | None = None
    auto_close_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    attachment_ids: list[str] = field(default_factory=list)
    service_type_path: list[str] = field(default_factory=list)  # root first, own type last
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0

    # --- creation -------------------------------------------------------------------------

    def open(
        self,
        actor: Principal,
        now: datetime,
        response: timedelta | None,
        resolution: timedelta | None,
    ) -> ev.TicketEvent:
        """First status: approval if the level has steps, else straight to assignment. The
        actor is who raised it (the requester, or staff on his behalf)."""
        self.created_at = now
        self.response_due_at = now + response if response else None
        self.resolution_due_at = now + resolution if resolution else None
        if self.approval_steps:
            self.status, self.pending_approval_level = Status.PENDING_APPROVAL, 1
        else:
            self.status = Status.PENDING_ASSIGNMENT
        return ev.TicketCreated(actor, self.status, self.status)

    # --- approval ---------------------------------------------------------------------------

    def approve(self, actor: Principal, comment: str, now: datetime) -> ev.TicketEvent:
        step = self._approval_step(actor, "approve")
        before = self.status
        self.approvals.append(Approval(step.level, actor.user_id, True, comment, now))
        if step.level < len(self.approval_steps):
            self.pending_approval_level = step.level + 1
        else:
            self.pending_approval_level, self.status = 0, Status.PENDING_ASSIGNMENT
        return ev.TicketApproved(actor, before, self.status, {"level": str(step.level)}, comment)

    def reject(self, actor: Principal, reason: str, now: datetime) -> ev.TicketEvent:
        _require_text("reason", reason)
        step = self._approval_step(actor, "reject")
        self.approvals.append(Approval(step.level, actor.user_id, False, reason, now))
        self.pending_approval_level, self.cancel_reason = 0, reason
        return self._move(
            ev.TicketRejected,
            actor,
            Status.REJECTED,
            note=reason,
            changes={"level": str(step.level)},
        )

    def _approval_step(self, actor: Principal, verb: str) -> ApprovalStep:
        self._require(verb, Status.PENDING_APPROVAL)
        step = self.approval_steps[self.pending_approval_level - 1]
        if not actor.has(step.permission_code):
            raise permission_denied(
                "PERMISSION_MISSING", f"approving level {step.level} needs {step.permission_code!r}"
            )
        own_enterprise = actor.kind == "enterprise" and actor.organization_id == self.enterprise_id
        if (step.side is ApproverSide.ENTERPRISE and not (own_enterprise or actor.is_platform)) or (
            step.side is ApproverSide.PLATFORM and not actor.is_platform
        ):
            raise permission_denied(
                "TICKET_NOT_YOUR_APPROVAL",
                f"level {step.level} is approved by the {step.side.value}",
            )
        return step

    # --- dispatch ---------------------------------------------------------------------------

    def assign(
        self,
        actor: Principal,
        *,
        provider_id: str,
        engineer_id: str,
        engineer_provider: str,
        designated: bool,
        note: str = "",
        automatic: bool = False,
        replaces_engineer_id: str = "",
    ) -> ev.TicketEvent:
        """Platform staff hand the ticket to a provider (and optionally an engineer); a provider
        admin hands their provider's ticket to one of their engineers. An automatic assignment
        (dispatch) never overrides one made by hand: it applies only while the ticket has no
        engineer and no provider or the same one — or, for a re-dispatch, while the engineer it
        replaces still holds the ticket and has not started."""
        self._require("assign", Status.PENDING_ASSIGNMENT, Status.ASSIGNED, Status.IN_PROGRESS)
        _require_code(actor, "ticket.assign")
        takes_back = (
            bool(replaces_engineer_id)
            and self.engineer_id == replaces_engineer_id
            and self.status is Status.ASSIGNED
        )
        if automatic and (
            (self.engineer_id and not takes_back)
            or (self.provider_id and self.provider_id != provider_id)
        ):
            raise DomainError(
                "TICKET_ALREADY_ASSIGNED",
                "the ticket was assigned meanwhile; the automatic assignment gives way",
                ErrorCode.FAILED_PRECONDITION,
            )
        if actor.is_platform:
            provider_id = provider_id or self.provider_id
            if not provider_id:
                raise _invalid("provider_id", "name the provider to assign to")
            if not designated:
                raise _invalid("provider_id", "is not designated to the ticket's enterprise")
        elif actor.kind == "provider" and actor.organization_id == self.provider_id:
            provider_id = self.provider_id
            if not engineer_id:
                raise _invalid("engineer_id", "name one of your engineers")
        else:
            raise permission_denied(
                "TICKET_NOT_YOUR_PROVIDER", "only the platform or the ticket's provider assigns it"
            )
        if engineer_id and engineer_provider != provider_id:
            raise _invalid("engineer_id", "is not an active engineer of the provider")
        before_engineer = self.engineer_id
        self.provider_id, self.engineer_id = provider_id, engineer_id
        target = Status.ASSIGNED if engineer_id else Status.PENDING_ASSIGNMENT
        changes = {
            "provider_id": provider_id,
            "engineer_id": engineer_id,
            "previous_engineer_id": before_engineer,
        }
        return self._move(ev.TicketAssigned, actor, target, changes=changes, note=note)

    def claim(self, actor: Principal) -> ev.TicketEvent:
        if self.engineer_id and self.engineer_id != actor.user_id:
            raise DomainError(
                "TICKET_ALREADY_CLAIMED", "another engineer has this ticket", ErrorCode.ABORTED
            )
        self._require("claim", Status.PENDING_ASSIGNMENT)
        _require_code(actor, "ticket.claim")
        if (
            actor.kind != "engineer"
            or actor.organization_id != self.provider_id
            or self.engineer_id
        ):
            raise permission_denied(
                "TICKET_NOT_IN_YOUR_POOL", "only an engineer of the ticket's provider claims it"
            )
        self.engineer_id = actor.user_id
        return self._move(
            ev.TicketClaimed, actor, Status.ASSIGNED, changes={"engineer_id": actor.user_id}
        )

    def escalate(self, actor: Principal, priority: Priority, reason: str = "") -> ev.TicketEvent:
        """Raises an open ticket's priority (an SLA escalation): platform staff, or the admins
        of the ticket's provider, holding ticket.assign (dispatch's service account is
        platform staff). The status stays; the history says why."""
        self._require("escalate", *_OPEN)
        _require_code(actor, "ticket.assign")
        if not (actor.is_platform or (
            actor.kind == "provider" and actor.organization_id == self.provider_id
        )):  # fmt: skip
            raise permission_denied(
                "TICKET_NOT_YOURS", "platform staff or the ticket's provider escalate it"
            )
        if priority <= self.priority:
            raise _invalid(
                "priority", f"must be higher than the ticket's ({self.priority.name.lower()})"
            )
        if len(reason) > 500:
            raise _invalid("reason", "must be at most 500 characters")
        previous, self.priority = self.priority, priority
        changes = {"priority": priority.name.lower(), "previous_priority": previous.name.lower()}
        return self._move(ev.TicketUpdated, actor, self.status, changes=changes, note=reason)

    def set_priority(
        self, actor: Principal, priority: Priority, reason: str = ""
    ) -> ev.TicketEvent:
        """Changes an open ticket's priority either way (001: 修改工单优先级): the engineer
        handling it, its provider's admins and platform staff; never its requester."""
        self._require("set_priority", *_OPEN)
        handler = (
            actor.kind == "engineer"
            and actor.user_id == self.engineer_id
            and actor.has("ticket.handle")
        )
        admin = actor.has("ticket.assign") and (
            actor.is_platform
            or (actor.kind == "provider" and actor.organization_id == self.provider_id)
        )
        if not (handler or admin):
            raise permission_denied(
                "TICKET_NOT_YOURS",
                "the ticket's engineer, its provider's admins or platform staff set its priority",
            )
        if priority == self.priority:
            raise _invalid("priority", "is the ticket's priority already")
        if len(reason) > 500:
            raise _invalid("reason", "must be at most 500 characters")
        previous, self.priority = self.priority, priority
        changes = {"priority": priority.name.lower(), "previous_priority": previous.name.lower()}
        return self._move(ev.TicketUpdated, actor, self.status, changes=changes, note=reason)

    def transfer(
        self, actor: Principal, *, engineer_id: str, engineer_provider: str, reason: str
    ) -> ev.TicketEvent:
        self._require("transfer", Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)
        _require_code(actor, "ticket.transfer" if actor.kind == "engineer" else "ticket.assign")
        is_engineer = actor.kind == "engineer" and actor.user_id == self.engineer_id
        is_admin = actor.kind == "provider" and actor.organization_id == self.provider_id
        if not (is_engineer or is_admin):
            raise permission_denied(
                "TICKET_NOT_YOURS", "only the assigned engineer or their provider transfers it"
            )
        if engineer_provider != self.provider_id:
            raise DomainError(
                "TICKET_TRANSFER_OUTSIDE_PROVIDER",
                "a ticket is transferred only to another engineer of its provider",
                ErrorCode.FAILED_PRECONDITION,
                [
                    FieldViolation(
                        "engineer_id", "is not an active engineer of the ticket's provider"
                    )
                ],
            )
        if engineer_id == self.engineer_id:
            raise _invalid("engineer_id", "is already assigned")
        previous, self.engineer_id = self.engineer_id, engineer_id
        changes = {"engineer_id": engineer_id, "previous_engineer_id": previous}
        return self._move(
            ev.TicketTransferred, actor, Status.ASSIGNED, changes=changes, note=reason
        )

    # --- work -----------------------------------------------------------------------------

    def start(self, actor: Principal, now: datetime) -> ev.TicketEvent:
        self._require("start", Status.ASSIGNED)
        self._require_engineer(actor)
        self.first_response_at = self.first_response_at or now
        return self._move(ev.TicketStarted, actor, Status.IN_PROGRESS)

    def wait_on_customer(self, actor: Principal, reason: str) -> ev.TicketEvent:
        """The engineer asks the requester something; the SLA clocks pause until the
        requester replies publicly (comment) or the engineer resumes."""
        _require_text("reason", reason)
        self._require("wait on the customer for", Status.IN_PROGRESS)
        self._require_engineer(actor)
        return self._move(ev.TicketWaitingOnCustomer, actor, Status.WAITING_ON_CUSTOMER,
                          note=reason)  # fmt: skip

    def resume(self, actor: Principal, note: str = "") -> ev.TicketEvent:
        self._require("resume", Status.WAITING_ON_CUSTOMER)
        self._require_engineer(actor)
        return self._move(ev.TicketResumed, actor, Status.IN_PROGRESS, note=note)

    def resolve(self, actor: Principal, resolution: str, now: datetime) -> ev.TicketEvent:
        _require_text("resolution", resolution)
        self._require("resolve", Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)
        self._require_engineer(actor)
        self.resolution, self.resolved_at = resolution, now
        self.auto_close_at = now + self.auto_close_delay
        return self._move(ev.TicketResolved, actor, Status.RESOLVED, note=resolution)

    def confirm(self, actor: Principal, now: datetime) -> ev.TicketEvent:
        self._require("confirm", Status.RESOLVED)
        self._require_requester(actor)
        return self._close(actor, now, ev.TicketClosed)

    def reopen(self, actor: Principal, reason: str) -> ev.TicketEvent:
        _require_text("reason", reason)
        self._require("reopen", Status.RESOLVED)
        self._require_requester(actor)
        self.auto_close_at = None
        return self._move(ev.TicketReopened, actor, Status.IN_PROGRESS, note=reason)

    def auto_close(self, now: datetime) -> ev.TicketEvent:
        self._require("auto-close", Status.RESOLVED)
        if self.auto_close_at is None or self.auto_close_at > now:
            raise DomainError(
                "TICKET_NOT_DUE", "the auto-close time has not come", ErrorCode.FAILED_PRECONDITION
            )
        return self._close(None, now, ev.TicketAutoClosed)

    def cancel(self, actor: Principal, reason: str) -> ev.TicketEvent:
        _require_text("reason", reason)
        if self.status in (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.CANCELLED):
            raise _transition("cancel", self.status)
        own = actor.user_id in (self.requester_id, self.created_by)
        staff = actor.has("ticket.cancel") and (
            actor.is_platform
            or (actor.kind == "enterprise" and actor.organization_id == self.enterprise_id)
        )
        if not (own or staff):
            raise permission_denied(
                "TICKET_NOT_YOURS", "only the requester or their admins cancel it"
            )
        self.cancel_reason = reason
        return self._move(ev.TicketCancelled, actor, Status.CANCELLED, note=reason)

    def rate(self, actor: Principal, score: int, comment: str, now: datetime) -> ev.TicketEvent:
        if not 1 <= score <= 5:
            raise _invalid("score", "must be from 1 to 5")
        self._require("rate", Status.RESOLVED, Status.CLOSED)
        self._require_requester(actor)
        if self.rating is not None:
            raise DomainError(
                "TICKET_ALREADY_RATED", "the ticket is rated already", ErrorCode.FAILED_PRECONDITION
            )
        self.rating = Rating(score, comment, now)
        return ev.TicketRated(actor, self.status, self.status, {"score": str(score)}, comment)

    def comment(
        self, actor: Principal, body: str, *, internal: bool, now: datetime
    ) -> ev.TicketCommented:
        _require_text("comment.body", body, limit=5000)
        if internal and (actor.kind == "enterprise" or not actor.has("ticket.comment.internal")):
            raise permission_denied(
                "TICKET_INTERNAL_NOTE_REFUSED", "internal notes are for the platform and provider"
            )
        requester = actor.user_id in (self.requester_id, self.created_by)
        if self.first_response_at is None and not requester and not internal:
            self.first_response_at = now  # a public reply by the handling side
        before = self.status
        if requester and not internal and before is Status.WAITING_ON_CUSTOMER:
            self.status = Status.IN_PROGRESS  # the answer the engineer waited for
        return ev.TicketCommented(actor, before, self.status, note=body, internal=internal)

    # --- helpers --------------------------------------------------------------------------

    def _close(
        self, actor: Principal | None, now: datetime, kind: type[ev.TicketClosed]
    ) -> ev.TicketEvent:
        self.closed_at, self.auto_close_at = now, None
        return self._move(kind, actor, Status.CLOSED)

    def _move(
        self,
        kind: type[ev.TicketEvent],
        actor: Principal | None,
        target: Status,
        *,
        changes: dict[str, str] | None = None,
        note: str = "",
    ) -> ev.TicketEvent:
        before, self.status = self.status, target
        return kind(actor, before, target, changes or {}, note)

    def _require(self, verb: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise _transition(verb, self.status)

    def _require_engineer(self, actor: Principal) -> None:
        _require_code(actor, "ticket.handle")
        if actor.user_id != self.engineer_id:
            raise permission_denied("TICKET_NOT_YOURS", "only the assigned engineer does this")

    def _require_requester(self, actor: Principal) -> None:
        if actor.user_id not in (self.requester_id, self.created_by):
            raise permission_denied("TICKET_NOT_REQUESTER", "only the requester does this")


_OPEN = (Status.PENDING_APPROVAL, Status.PENDING_ASSIGNMENT, Status.ASSIGNED, Status.IN_PROGRESS,
         Status.WAITING_ON_CUSTOMER)  # fmt: skip


def _transition(verb: str, status: Status) -> DomainError:
    return DomainError(
        "TICKET_INVALID_TRANSITION",
        f"cannot {verb} a ticket that is {status.value.replace('_', ' ')}",
        ErrorCode.FAILED_PRECONDITION,
        metadata={"status": status.value, "action": verb},
    )


def _require_code(actor: Principal, code: str) -> None:
    if not actor.has(code):
        raise permission_denied("PERMISSION_MISSING", f"permission {code!r} is required")


def _invalid(field_name: str, description: str) -> DomainError:
    return DomainError(
        "TICKET_INVALID",
        f"{field_name} {description}",
        ErrorCode.INVALID_ARGUMENT,
        [FieldViolation(field_name, description)],
    )


def _require_text(field_name: str, text: str, limit: int = 2000) -> None:
    if not text.strip():
        raise _invalid(field_name, "is required")
    if len(text) > limit:
        raise _invalid(field_name, f"must be at most {limit} characters")
