"""A local SMTP server that keeps what it receives (aiosmtpd): the dev stack's mail catcher and
the tests' real SMTP peer.

`python -m devstack.mailcatcher --port 1025 --maildir .data/mail` runs it as a process, each
message a file in the Maildir's `new/` folder (read it with any mail client or `cat`). In
tests, `MailCatcher()` runs in a thread and keeps the parsed messages in memory; `refuse_next`
makes it answer the next messages with an SMTP error (to test retries)."""

from __future__ import annotations

import argparse
import mailbox
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devstack.ports import free_port


class _Handler:
    def __init__(self, catcher: MailCatcher):
        self._catcher = catcher

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self._catcher.received(
            envelope.content, list(envelope.rcpt_tos), peer=str(session.peer)
        )


class MailCatcher:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, maildir: Path | None = None):
        self._lock = threading.Lock()
        self._messages: list[tuple[list[str], EmailMessage]] = []
        self._refusals: list[str] = []
        self.peers: list[str] = []  # the client address of each message received
        self._maildir = mailbox.Maildir(maildir, create=True) if maildir else None
        self.port = port or free_port()  # aiosmtpd checks its port by connecting: not 0
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def received(self, content: bytes, recipients: list[str], peer: str = "") -> str:
        with self._lock:
            self.peers.append(peer)
            if self._refusals:
                return self._refusals.pop(0)
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self._messages.append((recipients, parsed))
            if self._maildir is not None:
                self._maildir.add(content)
        return "250 Message accepted for delivery"

    def refuse_next(self, *replies: str) -> None:
        """The next messages are answered with these replies (e.g. "451 try again later")."""
        with self._lock:
            self._refusals.extend(replies)

    def messages(self, to: str = "") -> list[EmailMessage]:
        with self._lock:
            return [m for rcpts, m in self._messages if not to or to in rcpts]

    def wait_for(self, to: str, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(to)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages(to))} of {count} emails to {to} arrived")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    catcher = MailCatcher(args.host, args.port, args.maildir).start()
    print(f"catching mail on {args.host}:{catcher.port} into {args.maildir}/new", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
