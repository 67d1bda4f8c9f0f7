"""What reporting's use cases need from outside, wired once in the entrypoint (bootstrap.py)
or from fakes in unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.clock import utc_now
from services.reporting.service_layer.ports import ReportingUnit
from services.reporting.settings import ReportingSettings


@dataclass
class Deps:
    uow: Callable[[], ReportingUnit]
    settings: ReportingSettings
    clock: Callable[[], datetime] = field(default=utc_now)
