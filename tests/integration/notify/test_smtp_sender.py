"""The email sender against a real SMTP server (aiosmtpd): it keeps its connection for the next
messages, and when the server has dropped the kept one, the next message goes out on a fresh
connection in the same attempt (not a failed attempt)."""

from __future__ import annotations

from datetime import UTC, datetime

from devstack.mailcatcher import MailCatcher
from services.notify.adapters.email import SmtpSender
from services.notify.domain.deliveries import Delivery, DeliveryDraft, DeliveryState
from services.notify.domain.preferences import Channel
from services.notify.settings import NotifySettings


def _delivery(n: int) -> Delivery:
    draft = DeliveryDraft("u1", Channel.EMAIL, "u1@example.com", f"标题 {n}", f"正文 {n}")
    now = datetime.now(UTC)
    return Delivery(f"d{n}", f"e{n}", "", draft, DeliveryState.PENDING, 0, now, now)


async def test_one_connection_serves_many_messages_and_a_dropped_one_is_replaced():
    catcher = MailCatcher().start()
    sender = SmtpSender(NotifySettings(environment="test", smtp_host="127.0.0.1",
                                       smtp_port=catcher.port))  # fmt: skip
    try:
        for n in range(3):
            assert (await sender.send(_delivery(n))).ok
        assert len(set(catcher.peers)) == 1  # one SMTP session for the three
        catcher.stop()  # the server goes away and comes back: the kept connection is dead
        catcher = MailCatcher(port=catcher.port).start()
        outcome = await sender.send(_delivery(3))
        assert outcome.ok, outcome.response
        assert [m["Subject"] for m in catcher.messages()] == ["标题 3"]
    finally:
        await sender.close()
        catcher.stop()
