"""Well-known protobuf values to and from Python: timestamps, durations, audit stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message
from ticketing.common.v1 import common_pb2


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_of(message: Message, name: str) -> datetime | None:
    """The named Timestamp field as an aware datetime (UTC, microseconds truncated as
    `Timestamp.ToDatetime` does); None when unset. Arithmetic rather than `ToDatetime`, which
    is pure Python and several times slower: replaying the ledger converts millions."""
    if not message.HasField(name):
        return None
    stamp = getattr(message, name)
    return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def duration(value: timedelta | None) -> duration_pb2.Duration | None:
    if value is None:
        return None
    result = duration_pb2.Duration()
    result.FromTimedelta(value)
    return result


def timedelta_of(message: Message, name: str) -> timedelta | None:
    return getattr(message, name).ToTimedelta() if message.HasField(name) else None


def stamps(
    created: datetime | None, updated: datetime | None, deleted: datetime | None = None
) -> common_pb2.AuditStamps:
    return common_pb2.AuditStamps(
        create_time=timestamp(created),
        update_time=timestamp(updated),
        delete_time=timestamp(deleted),
    )
