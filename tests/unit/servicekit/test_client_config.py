"""Which methods the client channel retries, and the deadline it sets."""

from __future__ import annotations

from testing.echo.v1 import echo_pb2

from servicekit.rpc.client import idempotent_methods, service_config, streaming_methods


def test_get_bound_methods_are_idempotent_and_posts_and_streams_are_not():
    service = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]
    names = {m for _, m in idempotent_methods(service)}
    assert names == {"GetThing", "ListThings", "WhoAmI"}
    assert streaming_methods(service) == [("testing.echo.v1.EchoService", "WatchThings")]


def test_streams_get_no_channel_deadline():
    config = service_config(
        idempotent=[], streaming=[("a.B", "WatchX")], timeout_seconds=2.5, max_attempts=3
    )
    default, streams = config["methodConfig"]
    assert default["timeout"] == "2.500s"
    assert streams == {"name": [{"service": "a.B", "method": "WatchX"}]}  # no timeout


def test_service_config_sets_a_deadline_everywhere_and_retries_only_idempotent_methods():
    config = service_config(idempotent=[("a.B", "GetX")], timeout_seconds=2.5, max_attempts=3)
    default, retried = config["methodConfig"]
    assert default == {"name": [{}], "timeout": "2.500s"}
    assert retried["name"] == [{"service": "a.B", "method": "GetX"}]
    assert retried["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert retried["retryPolicy"]["maxAttempts"] == 3
