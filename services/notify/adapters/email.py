"""Email over SMTP (aiosmtplib), the deliverer's sender for the email channel (implements
`ports.Sender`). Each delivery is one plain-text UTF-8 message whose Message-ID is derived
from the delivery id, so a message sent again after a crash is recognisably the same one.

The SMTP reply decides what happens next: 2xx sent; 5xx for the recipient or the message
(550 no such user, 553 bad address, 554 rejected) is permanent — retrying cannot help —;
anything else (4xx, connection refused, timeouts, TLS failures) is retried."""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from email.message import EmailMessage

import aiosmtplib

from services.notify.domain.deliveries import Delivery, Outcome
from services.notify.settings import NotifySettings


class SmtpSender:
    def __init__(self, settings: NotifySettings):
        self._settings = settings

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
        s = self._settings
        try:
            refused, reply = await aiosmtplib.send(
                self.message(delivery),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls",
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            return Outcome(False, _describe(error), permanent=all(500 <= c < 600 for c in codes))
        except aiosmtplib.SMTPResponseException as error:
            return Outcome(False, _describe(error), permanent=500 <= error.code < 600)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return Outcome(False, _describe(error))
        if refused:
            detail = "; ".join(f"{a}: {r.code} {r.message}" for a, r in refused.items())
            return Outcome(False, f"refused {detail}", permanent=True)
        return Outcome(True, reply)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
