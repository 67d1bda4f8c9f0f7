"""Entries of a user's message centre (消息中心)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Category(enum.StrEnum):
    SYSTEM = "system"  # 系统提示消息
    TICKET = "ticket"  # 工单处理反馈、进度


@dataclass(frozen=True)
class MessageDraft:
    """A message about to be stored: one per (event, recipient)."""

    user_id: str
    category: Category
    title: str
    body: str
    event_type: str
    ticket_id: str = ""
    ticket_number: str = ""


@dataclass(frozen=True)
class Message:
    id: str
    seq: int  # position in the recipient's stream (SSE event ids, keyset pages)
    draft: MessageDraft
    created_at: datetime
    read_at: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True)
class UnreadCount:
    system: int = 0
    ticket: int = 0

    @property
    def total(self) -> int:
        return self.system + self.ticket


def welcome(user_id: str, display_name: str, event_type: str) -> MessageDraft:
    """The system notice a new account finds in its message centre."""
    return MessageDraft(
        user_id=user_id,
        category=Category.SYSTEM,
        title="欢迎使用服务工单平台",
        body=f"{display_name}，您好！工单的审核、分派、处理进度和结果都会在消息中心通知您。",
        event_type=event_type,
    )
