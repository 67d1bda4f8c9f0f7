"""What dispatch's use cases need from outside, wired once in the entrypoint (bootstrap.py) or
from fakes in unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.clock import utc_now
from services.dispatch.service_layer.ports import DispatchUnit, TicketsApi
from services.dispatch.settings import DispatchSettings


@dataclass
class Deps:
    uow: Callable[[], DispatchUnit]
    tickets: TicketsApi
    settings: DispatchSettings
    clock: Callable[[], datetime] = field(default=utc_now)
