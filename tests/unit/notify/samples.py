"""Notices for notify's unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from services.notify.domain.notices import (
    Actor,
    ApprovalWait,
    ApproverSide,
    NoticeKind,
    TicketFacts,
    TicketNotice,
)

REQUESTER = Actor("req", "enterprise", "张三")
ENGINEER = Actor("eng", "engineer", "李工")
PROVIDER_ADMIN = Actor("padmin", "provider", "王经理")
PLATFORM = Actor("ops", "platform", "平台运营")
SYSTEM = Actor()
TICKET = TicketFacts(
    ticket_id="t1",
    number="T20261130-000001",
    title="打印机卡纸",
    status="assigned",
    enterprise_id="ent",
    requester_id="req",
    provider_id="prov",
    engineer_id="eng",
)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def notice(kind: NoticeKind, actor: Actor = PLATFORM, **changes: object) -> TicketNotice:
    ticket_changes = {k: v for k, v in changes.items() if k in TicketFacts.__dataclass_fields__}
    rest = {k: v for k, v in changes.items() if k not in ticket_changes}
    return TicketNotice(kind, replace(TICKET, **ticket_changes), actor, NOW, **rest)  # type: ignore[arg-type]


def awaiting_approval(level: int = 1, side: ApproverSide = ApproverSide.ENTERPRISE) -> dict:
    return {
        "status": "pending_approval",
        "provider_id": "",
        "engineer_id": "",
        "approval": ApprovalWait(level, f"ticket.approve.l{level}", side),
    }
