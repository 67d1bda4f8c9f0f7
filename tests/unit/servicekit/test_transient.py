"""Which failures are retried (transient) and which are rules broken or bugs."""

from __future__ import annotations

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import exc

from servicekit.errors import DomainError
from servicekit.transient import TransientError, is_transient


def _wrapped(error: Exception, kind=exc.DBAPIError, invalidated: bool = False):  # type: ignore[no-untyped-def]
    return kind("SELECT 1", {}, error, connection_invalidated=invalidated)


class _Sqlstate(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg.OperationalError("connection refused"), exc.OperationalError),
        _wrapped(psycopg.InterfaceError("closed"), exc.InterfaceError),
        _wrapped(Exception("server closed the connection"), invalidated=True),
        _wrapped(_Sqlstate("57P01")),  # admin shutdown
        _wrapped(_Sqlstate("40001")),  # serialization failure
        exc.TimeoutError("pool exhausted"),
        TimeoutError(),
        ConnectionRefusedError(),
        KafkaConnectionError(),
        TransientError("peer said unavailable"),
    ],
)
def test_unavailable_dependencies_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(_Sqlstate("23505"), exc.IntegrityError),  # unique violation: a rule
        _wrapped(_Sqlstate("22P02"), exc.DataError),
        ValueError("bad payload"),
        KeyError("missing"),
        DomainError("RULE", "broken"),
    ],
)
def test_rules_broken_and_bugs_are_not_transient(error):
    assert not is_transient(error)


def test_a_cause_that_is_transient_makes_the_error_transient():
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError as reset:
            raise RuntimeError("handler failed") from reset
    except RuntimeError as error:
        assert is_transient(error)
