"""Access tokens revoked before they expire.

Identity publishes `AccessRevoked` (topic ticketing.identity.access.v1) when a user or an
organisation is disabled or deleted and when a sign-in session ends (sign-out, a reused
refresh token). Every gRPC server process reads that topic from its beginning with no
consumer group — each process needs every revocation, and none is lost by a restart — and its
TokenVerifier then refuses a token issued at or before the revocation of its user,
organisation or session, within the feed's fetch wait of the event.

Only revocations younger than `horizon_seconds` matter (older ones concern tokens that have
expired anyway), so the set stays small; in production the topic is compacted by subject.
If the broker cannot be reached the feed keeps retrying and tokens stay valid until they
expire (access tokens live minutes): revocation fails open, signing never does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from google.protobuf.message import DecodeError
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as events

from servicekit.auth.principal import Principal
from servicekit.health import sleep_or_stop

log = logging.getLogger(__name__)

TOPIC = "ticketing.identity.access.v1"


class Revocations:
    def __init__(
        self, *, horizon_seconds: float = 3600.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._horizon = horizon_seconds
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}  # (kind, subject) → revoked at

    def revoke(self, kind: str, subject: str, at: float) -> None:
        if not subject or at < self._clock() - self._horizon:
            return
        key = (kind, subject)
        self._until[key] = max(at, self._until.get(key, 0.0))
        if len(self._until) > 10_000:
            self._forget_old()

    def apply(self, event: events.AccessRevoked) -> None:
        at = event.revoke_time.seconds + event.revoke_time.nanos / 1e9
        self.revoke("user", event.user_id, at)
        self.revoke("organization", event.organization_id, at)
        self.revoke("session", event.session_id, at)

    def revoked(self, principal: Principal, issued_at: float) -> bool:
        if not self._until:
            return False
        for key in (
            ("user", principal.user_id),
            ("organization", principal.organization_id),
            ("session", principal.session_id),
        ):
            if key[1] and issued_at <= self._until.get(key, -1.0):
                return True
        return False

    def _forget_old(self) -> None:
        oldest = self._clock() - self._horizon
        self._until = {k: at for k, at in self._until.items() if at >= oldest}


class RevocationFeed:
    """Keeps a Revocations current from identity's topic, for as long as `run` runs."""

    def __init__(
        self,
        bootstrap: str,
        revocations: Revocations,
        *,
        topic: str = TOPIC,
        fetch_max_wait_ms: int = 50,
        retry_seconds: float = 1.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._revocations = revocations
        self._topic = topic
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._retry = retry_seconds
        self.applied = 0  # revocations read so far (for tests and logs)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            consumer = AIOKafkaConsumer(
                self._topic,
                bootstrap_servers=self._bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=self._fetch_max_wait_ms,
                metadata_max_age_ms=5_000,
            )
            try:
                await consumer.start()
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for record in records:
                            self._apply(record.value)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker away: keep trying, tokens fail open
                log.warning("revocation feed interrupted", extra={"error": repr(error)})
                await sleep_or_stop(stop, self._retry)
            finally:
                await consumer.stop()

    def _apply(self, value: bytes | None) -> None:
        try:
            envelope = envelope_pb2.EventEnvelope.FromString(value or b"")
            event = events.AccessRevoked()
            if not envelope.payload.Unpack(event):
                return
        except DecodeError:
            log.warning("undecodable record on the revocation topic")
            return
        self._revocations.apply(event)
        self.applied += 1
