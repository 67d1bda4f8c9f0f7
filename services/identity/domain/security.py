"""Security-log entries (安全日志)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class SecurityEventKind(enum.Enum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_LOCKED = "account_locked"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    LOGOUT = "logout"
    PERMISSION_CHANGED = "permission_changed"
    USER_DISABLED = "user_disabled"
    ORGANIZATION_DISABLED = "organization_disabled"
    SENSITIVE_READ = "sensitive_read"
    API_KEY_CREATED = "api_key_created"
    API_KEY_USED = "api_key_used"
    API_KEY_REVOKED = "api_key_revoked"


@dataclass
class SecurityEvent:
    kind: SecurityEventKind
    user_id: str = ""
    login: str = ""
    actor_user_id: str = ""
    organization_id: str = ""
    ip_address: str = ""
    user_agent: str = ""
    details: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    id: str = ""


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, as the gateway forwards it."""

    ip_address: str = ""
    user_agent: str = ""
