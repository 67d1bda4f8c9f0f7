"""Enable/disable and soft delete/undelete (AIP-164), one lifecycle for organisations and
people alike."""

from __future__ import annotations

import abc
import enum
from datetime import datetime

from servicekit.errors import failed_precondition


class ActiveState(enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class Lifecycle(abc.ABC):
    """Mixed into a dataclass that has `state` and `deleted_at`; `reason_prefix` names the
    resource in error reasons (e.g. "ENTERPRISE" → ENTERPRISE_ALREADY_DISABLED)."""

    state: ActiveState
    deleted_at: datetime | None

    @property
    @abc.abstractmethod
    def reason_prefix(self) -> str:
        """The resource's name in error reasons."""

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_active(self) -> bool:
        return self.state is ActiveState.ENABLED and not self.is_deleted

    def disable(self) -> None:
        self._require_live()
        if self.state is ActiveState.DISABLED:
            raise failed_precondition(f"{self.reason_prefix}_ALREADY_DISABLED", "already disabled")
        self.state = ActiveState.DISABLED

    def enable(self) -> None:
        self._require_live()
        if self.state is ActiveState.ENABLED:
            raise failed_precondition(f"{self.reason_prefix}_ALREADY_ENABLED", "already enabled")
        self.state = ActiveState.ENABLED

    def delete(self, now: datetime) -> None:
        self._require_live()
        self.deleted_at = now

    def undelete(self) -> None:
        if not self.is_deleted:
            raise failed_precondition(f"{self.reason_prefix}_NOT_DELETED", "is not deleted")
        self.deleted_at = None

    def _require_live(self) -> None:
        if self.is_deleted:
            raise failed_precondition(
                f"{self.reason_prefix}_DELETED", "is deleted; undelete it first"
            )
