"""A local stand-in for WeChat's HTTP API (a party we do not run), behind a real HTTP socket:
jscode2session, the access-token endpoint and getuserphonenumber."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWechat:
    def __init__(self) -> None:
        self.openids: dict[str, str] = {}  # login code -> openid
        self.phones: dict[str, str] = {}  # phone code -> phone number
        self.calls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, query: dict[str, str], body: dict) -> dict:  # type: ignore[type-arg]
        self.calls += 1
        if path == "/sns/jscode2session":
            openid = self.openids.get(query.get("js_code", ""))
            return (
                {"openid": openid, "session_key": "k"}
                if openid
                else {"errcode": 40029, "errmsg": "invalid code"}
            )
        if path == "/cgi-bin/token":
            return {"access_token": "fake-access-token", "expires_in": 7200}
        if path == "/wxa/business/getuserphonenumber":
            phone = self.phones.get(body.get("code", ""))
            if phone and query.get("access_token") == "fake-access-token":
                return {"errcode": 0, "phone_info": {"purePhoneNumber": phone, "countryCode": "86"}}
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {"errcode": 404}

    def _handler(self):  # type: ignore[no-untyped-def]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._reply({})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                self._reply(json.loads(self.rfile.read(length) or b"{}"))

            def _reply(self, body: dict) -> None:  # type: ignore[type-arg]
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                payload = json.dumps(fake._answer(url.path, query, body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return

        return Handler
