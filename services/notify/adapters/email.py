"""Email over SMTP (aiosmtplib), the deliverer's sender for the email channel (implements
`ports.Sender`). Each delivery is one plain-text UTF-8 message whose Message-ID is derived
from the delivery id, so a message sent again after a crash is recognisably the same one.

The SMTP reply decides what happens next: 2xx sent; 5xx for the recipient or the message
(550 no such user, 553 bad address, 554 rejected) is permanent — retrying cannot help —;
anything else (4xx, connection refused, timeouts, TLS failures) is retried."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Sequence
from email.message import EmailMessage

import aiosmtplib

from services.notify.domain.deliveries import Delivery, Outcome
from services.notify.settings import NotifySettings


class SmtpSender:
    """Keeps the connections it opened (one per concurrent send, at most) and reuses them for
    the next messages: a new SMTP session per email costs more than the email. A kept
    connection the server has closed meanwhile is replaced at once, not counted as a failed
    attempt; one idle longer than `IDLE_SECONDS` is closed rather than reused."""

    IDLE_SECONDS = 60.0

    def __init__(self, settings: NotifySettings):
        self._settings = settings
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []

    async def _connection(self) -> tuple[aiosmtplib.SMTP, bool]:
        """A connected client, and whether it was kept from before."""
        while self._idle:
            since, client = self._idle.pop()
            if client.is_connected and time.monotonic() - since < self.IDLE_SECONDS:
                return client, True
            await _close(client)
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=s.smtp_timeout_seconds,
        )
        await client.connect()
        return client, False

    def message(self, delivery: Delivery) -> EmailMessage:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.email_from
        message["To"] = delivery.draft.address
        message["Subject"] = delivery.draft.title
        message["Date"] = email.utils.format_datetime(delivery.created_at)
        message["Message-ID"] = f"<{delivery.id}@{s.email_message_id_domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        if delivery.draft.ticket_id:
            message["X-Ticket-Id"] = delivery.draft.ticket_id
        message.set_content(delivery.draft.body, charset="utf-8")
        return message

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome:
        client: aiosmtplib.SMTP | None = None
        try:
            client, kept = await self._connection()
            try:
                refused, reply = await client.send_message(self.message(delivery))
            except aiosmtplib.SMTPServerDisconnected:
                if not kept:
                    raise
                await _close(client)  # the server closed the kept one: a fresh connection
                client, _ = await self._connection()
                refused, reply = await client.send_message(self.message(delivery))
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            return Outcome(False, _describe(error), permanent=all(500 <= c < 600 for c in codes))
        except aiosmtplib.SMTPResponseException as error:
            return Outcome(False, _describe(error), permanent=500 <= error.code < 600)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return Outcome(False, _describe(error))
        finally:
            if client is not None:
                await self._keep(client)
        if refused:
            detail = "; ".join(f"{a}: {r.code} {r.message}" for a, r in refused.items())
            return Outcome(False, f"refused {detail}", permanent=True)
        return Outcome(True, reply)

    async def _keep(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            try:
                await client.rset()  # a clean transaction for the next message
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                await _close(client)
                return
            self._idle.append((time.monotonic(), client))

    async def close(self) -> None:
        while self._idle:
            await _close(self._idle.pop()[1])


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
