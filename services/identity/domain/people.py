"""Users of every kind; an engineer is a user of kind engineer with skills."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from servicekit.errors import failed_precondition


class UserKind(enum.Enum):
    PLATFORM = "platform"
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    ENGINEER = "engineer"

    @property
    def organization_kind(self) -> str:
        """ "enterprise", "provider" or "" for platform staff."""
        return {"enterprise": "enterprise", "provider": "provider", "engineer": "provider"}.get(
            self.value, ""
        )


class UserState(enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"


@dataclass
class User:
    id: str
    kind: UserKind
    display_name: str
    username: str = ""
    phone: str = ""
    email: str = ""
    organization_id: str = ""
    department_id: str = ""
    role_ids: list[str] = field(default_factory=list)
    nickname: str = ""
    avatar_url: str = ""
    nickname_authorized: bool = False
    avatar_authorized: bool = False
    phone_authorized: bool = False
    wechat_openid: str = ""
    skills: list[str] = field(default_factory=list)
    password_hash: str = ""
    state: UserState = UserState.ENABLED
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_active(self) -> bool:
        return self.state is UserState.ENABLED and not self.is_deleted

    def disable(self) -> None:
        self._require_live()
        if self.state is UserState.DISABLED:
            raise failed_precondition("USER_ALREADY_DISABLED", "already disabled")
        self.state = UserState.DISABLED

    def enable(self) -> None:
        self._require_live()
        if self.state is UserState.ENABLED:
            raise failed_precondition("USER_ALREADY_ENABLED", "already enabled")
        self.state = UserState.ENABLED

    def delete(self, now: datetime) -> None:
        self._require_live()
        self.deleted_at = now

    def undelete(self) -> None:
        if not self.is_deleted:
            raise failed_precondition("USER_NOT_DELETED", "is not deleted")
        self.deleted_at = None

    def _require_live(self) -> None:
        if self.is_deleted:
            raise failed_precondition("USER_DELETED", "is deleted; undelete it first")


@dataclass(frozen=True)
class LockoutPolicy:
    """After `max_failures` wrong passwords in a row the account locks for `lock_for`."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)

    def is_locked(self, user: User, now: datetime) -> bool:
        return user.locked_until is not None and user.locked_until > now

    def record_failure(self, user: User, now: datetime) -> bool:
        """Counts a failure; True when this failure locks the account."""
        user.failed_logins += 1
        if user.failed_logins >= self.max_failures:
            user.failed_logins = 0
            user.locked_until = now + self.lock_for
            return True
        return False

    def record_success(self, user: User, now: datetime) -> None:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
