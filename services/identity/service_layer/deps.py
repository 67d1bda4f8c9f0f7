"""What identity's use cases need from outside, wired once in the entrypoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.adapters.signing_keys import KeyRing
from services.identity.adapters.wechat import WechatClient
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork
from services.identity.settings import IdentitySettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    engine: AsyncEngine
    keys: KeyRing
    wechat: WechatClient
    settings: IdentitySettings
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> IdentityUnitOfWork:
        return IdentityUnitOfWork(self.engine)
