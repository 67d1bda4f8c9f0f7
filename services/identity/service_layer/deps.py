"""What identity's use cases need from outside, wired once in the entrypoint (bootstrap.py) or
from fakes in unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.clock import utc_now
from services.identity.service_layer.ports import IdentityUnit, KeyRing, PasswordHasher, Wechat
from services.identity.settings import IdentitySettings


@dataclass
class Deps:
    uow: Callable[[], IdentityUnit]
    keys: KeyRing
    wechat: Wechat
    passwords: PasswordHasher
    settings: IdentitySettings
    clock: Callable[[], datetime] = field(default=utc_now)
