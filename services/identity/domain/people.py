"""Users of every kind; an engineer is a user of kind engineer with skills."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from services.identity.domain.lifecycle import ActiveState, Lifecycle


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


UserState = ActiveState
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass
class User(Lifecycle):
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
    employee_number: str = ""  # an engineer's number (工号), shown to requesters
    locale: str = DEFAULT_LOCALE  # what messages to this person are written in
    time_zone: str = DEFAULT_TIME_ZONE  # where the times in them are shown
    password_hash: str = ""
    state: UserState = UserState.ENABLED
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def reason_prefix(self) -> str:
        return "USER"

    def signed_in(self, now: datetime) -> None:
        self.last_login_at = now
        self.failed_logins, self.locked_until = 0, None  # the old lock-out's columns, unused
