"""Which failures are transient (a dependency is unavailable for now) and which are not.

DESIGN.md §6: a transient failure is retried (consumers, relays, timers) or answered as
UNAVAILABLE (gRPC) / 503 with Retry-After (HTTP); it never dead-letters an event and is never
reported as an internal error. Everything else is a rule broken or a bug.
"""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from sqlalchemy import exc as sqlalchemy_errors

# SQLSTATE classes of a database that is there but cannot serve now: 08 connection exception,
# 53 insufficient resources, 57 operator intervention (shutdown, admin shutdown, cannot connect
# now), 40001/40P01 serialization failure and deadlock (retrying succeeds).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57", "40001", "40P01")


class TransientError(Exception):
    """Raised by code that knows its failure is temporary (e.g. a peer said UNAVAILABLE)."""


def _sqlstate(error: BaseException) -> str:
    original = getattr(error, "orig", None)
    return str(getattr(original, "sqlstate", "") or "")


def is_transient(error: BaseException) -> bool:
    """True when retrying later may succeed without anything changing in the request."""
    if isinstance(error, TransientError | TimeoutError | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | NodeNotReadyError):
        return True
    if isinstance(error, sqlalchemy_errors.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sqlalchemy_errors.OperationalError | sqlalchemy_errors.InterfaceError):
            return True
        return _sqlstate(error).startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if isinstance(error, sqlalchemy_errors.TimeoutError | OSError):
        return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient(cause)
