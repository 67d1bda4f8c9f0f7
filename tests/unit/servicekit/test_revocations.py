"""Revocations: a token issued at or before its user's, organisation's or session's revocation
is refused; one issued after it, or for another subject, is not; old revocations are dropped."""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from ticketing.events.v1 import identity_events_pb2 as events

from servicekit.auth.principal import Principal
from servicekit.auth.revocations import Revocations

NOW = 1_800_000_000.0
ALICE = Principal("alice", "enterprise", "acme", session_id="s1")


def test_each_subject_revokes_tokens_issued_up_to_its_time():
    for kind, subject in (("user", "alice"), ("organization", "acme"), ("session", "s1")):
        revocations = Revocations(clock=lambda: NOW)
        revocations.revoke(kind, subject, NOW)
        assert revocations.revoked(ALICE, NOW - 60)
        assert revocations.revoked(ALICE, NOW)
        assert not revocations.revoked(ALICE, NOW + 0.001)
        other = Principal("bob", "enterprise", "galaxy", session_id="s2")
        assert not revocations.revoked(other, NOW - 60)


def test_the_latest_revocation_of_a_subject_counts():
    revocations = Revocations(clock=lambda: NOW)
    revocations.revoke("user", "alice", NOW)
    revocations.revoke("user", "alice", NOW - 100)  # an older event read later
    assert revocations.revoked(ALICE, NOW - 1)


def test_revocations_older_than_any_live_token_are_ignored():
    revocations = Revocations(horizon_seconds=600, clock=lambda: NOW)
    revocations.revoke("user", "alice", NOW - 601)
    assert not revocations.revoked(ALICE, NOW - 700)


def test_an_event_revokes_its_subject():
    revocations = Revocations(clock=lambda: NOW)
    at = timestamp_pb2.Timestamp(seconds=int(NOW), nanos=500_000_000)
    revocations.apply(events.AccessRevoked(session_id="s1", revoke_time=at, reason="logout"))
    assert revocations.revoked(ALICE, NOW + 0.4)
    assert not revocations.revoked(ALICE, NOW + 0.6)
    assert not revocations.revoked(Principal("alice", "enterprise", "acme"), NOW)
