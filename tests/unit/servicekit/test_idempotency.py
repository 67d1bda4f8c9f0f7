"""Request fingerprints: the same request gives the same digest whatever its request id."""

from __future__ import annotations

from testing.echo.v1 import echo_pb2

from servicekit.idempotency import caller_scope, fingerprint


def test_fingerprint_ignores_the_request_id_and_follows_the_content():
    first = echo_pb2.CreateThingRequest(request_id="a")
    first.thing.display_name = "x"
    same = echo_pb2.CreateThingRequest(request_id="b")
    same.thing.display_name = "x"
    other = echo_pb2.CreateThingRequest(request_id="a")
    other.thing.display_name = "y"
    assert fingerprint(first) == fingerprint(same)
    assert fingerprint(first) != fingerprint(other)
    assert first.request_id == "a"  # the request itself is left alone


def test_scopes_of_different_callers_differ():
    assert caller_scope("org-1", "user-1") != caller_scope("org-2", "user-1")
    assert caller_scope("org-1", "user-1") != caller_scope("org-1", "user-2")
