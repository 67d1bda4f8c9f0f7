"""What notify's use cases need from outside, wired once in the entrypoint (bootstrap.py) or
from fakes in unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.clock import utc_now
from services.notify.service_layer.ports import NotifyUnit, Resolver, Wakeups
from services.notify.settings import NotifySettings


@dataclass
class Deps:
    uow: Callable[[], NotifyUnit]
    wakeups: Wakeups
    settings: NotifySettings
    clock: Callable[[], datetime] = field(default=utc_now)
    resolver: Resolver | None = None  # DNS, for the webhook URL guard (bootstrap sets it)
