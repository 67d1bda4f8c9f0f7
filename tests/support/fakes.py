"""What every service's fake unit of work shares: an in-memory "database" whose state a unit
copies on entry and writes back on commit (so a use case that fails changes nothing, as in
PostgreSQL), and the request-id log. Each service's fakes (tests/unit/<service>/fakes.py)
add their repositories over their own state."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, Self, TypeVar

from servicekit.idempotency import RequestKey, earlier_result


@dataclass
class BaseState:
    """Committed rows every service has: remembered request ids."""

    requests: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)


S = TypeVar("S", bound=BaseState)


class FakeClock:
    """A clock the test moves by hand (`clock.now += timedelta(...)`)."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class FakeDatabase(Generic[S]):
    def __init__(self, state: S):
        self.state = state
        self.commits = 0


class FakeRequestLog:
    def __init__(self, state: BaseState):
        self._state = state

    async def remembered(self, key: RequestKey) -> str | None:
        if not key.request_id:
            return None
        found = self._state.requests.get((key.scope, key.operation, key.request_id))
        if found is None:
            return None
        return earlier_result(key, fingerprint=found[0], resource_id=found[1])

    async def remember(self, key: RequestKey, *, resource_id: str) -> bool:
        if not key.request_id:
            return True
        slot = (key.scope, key.operation, key.request_id)
        if slot in self._state.requests:
            return False
        self._state.requests[slot] = (key.fingerprint, resource_id)
        return True


class FakeUnit(Generic[S]):
    """One transaction over a copy of the committed state."""

    def __init__(self, database: FakeDatabase[S]):
        self._database = database
        self.state: S = database.state

    async def __aenter__(self) -> Self:
        self.state = copy.deepcopy(self._database.state)
        self.requests = FakeRequestLog(self.state)
        self.opened()
        return self

    def opened(self) -> None:
        """Builds the service's repositories over `self.state`."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._database.state = copy.deepcopy(self.state)
        self._database.commits += 1
