"""A ticket's statuses and the groups the 个人中心 counts them in."""

from __future__ import annotations

import enum


class Status(enum.Enum):
    PENDING_APPROVAL = "pending_approval"
    PENDING_ASSIGNMENT = "pending_assignment"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    WAITING_ON_CUSTOMER = "waiting_on_customer"  # in progress, the SLA clocks paused

    @property
    def group(self) -> StatusGroup:
        return _GROUPS[self]

    @property
    def is_final(self) -> bool:
        return self in (Status.CLOSED, Status.REJECTED, Status.CANCELLED)


class StatusGroup(enum.Enum):
    PENDING = "pending"  # 待处理
    IN_PROGRESS = "in_progress"  # 进行中
    DONE = "done"  # 已完成
    CANCELLED = "cancelled"  # 已取消


_GROUPS = {
    Status.PENDING_APPROVAL: StatusGroup.PENDING,
    Status.PENDING_ASSIGNMENT: StatusGroup.PENDING,
    Status.ASSIGNED: StatusGroup.IN_PROGRESS,
    Status.IN_PROGRESS: StatusGroup.IN_PROGRESS,
    Status.WAITING_ON_CUSTOMER: StatusGroup.IN_PROGRESS,
    Status.RESOLVED: StatusGroup.DONE,
    Status.CLOSED: StatusGroup.DONE,
    Status.REJECTED: StatusGroup.DONE,
    Status.CANCELLED: StatusGroup.CANCELLED,
}
