"""Keys fetched from a JWKS URL that answers 503 (identity restarting) or nothing at all: the
failure is transient, so a service answers UNAVAILABLE (retry), never INTERNAL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.ports import free_port
from servicekit.auth.tokens import JwksKeySource
from servicekit.transient import TransientError, is_transient


class _Down(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def down_jwks() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


async def test_a_jwks_answering_503_is_a_transient_failure(down_jwks):
    with pytest.raises(TransientError) as failed:
        await JwksKeySource(down_jwks, min_refresh_seconds=0).key_for("k1")
    assert is_transient(failed.value)


async def test_a_jwks_nobody_answers_is_a_transient_failure():
    url = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    with pytest.raises(TransientError):
        await JwksKeySource(url, min_refresh_seconds=0, timeout=1).key_for("k1")
