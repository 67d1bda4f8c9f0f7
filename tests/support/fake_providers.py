"""Local stand-ins for parties we do not run, behind real HTTP sockets: Alibaba Cloud's SMS API
(`SendSms`, checking the request's signature with the configured secret) and WeChat's
subscribe messages (`cgi-bin/token`, `cgi-bin/message/subscribe/send`). Each records what it
accepted and answers with the codes it is told to (then success)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from services.notify.adapters.sms import signed_query


class _Server:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self._answers: list[Any] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> _Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer_next(self, *codes: Any) -> None:
        with self._lock:
            self._answers.extend(codes)

    def _next_answer(self) -> Any:
        with self._lock:
            return self._answers.pop(0) if self._answers else None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    return list(self.accepted)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.accepted)} of {count} arrived; refused: {self.refused}")

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict:  # type: ignore[type-arg]
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answer = server.answer(method, parts.path, dict(parse_qsl(parts.query)), body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


class FakeAliyunSms(_Server):
    def __init__(self, access_key_id: str, secret: str) -> None:
        super().__init__()
        self.access_key_id, self.secret = access_key_id, secret

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict:  # type: ignore[type-arg]
        given = dict(query)
        signature = given.pop("Signature", "")
        expected = dict(parse_qsl(signed_query(given, self.secret)))["Signature"]
        if query.get("AccessKeyId") != self.access_key_id or signature != expected:
            self.refused.append(query)
            return {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched",
            }
        code = self._next_answer()
        if code:
            self.refused.append(query)
            return {"Code": code, "Message": "refused as told"}
        with self._lock:
            self.accepted.append(query)
        return {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.accepted)}",
                "RequestId": "req"}  # fmt: skip


class FakeWechatMessages(_Server):
    def __init__(self, app_id: str, secret: str) -> None:
        super().__init__()
        self.app_id, self.secret = app_id, secret
        self.tokens: list[str] = []

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict:  # type: ignore[type-arg]
        if path == "/cgi-bin/token":
            if query.get("appid") != self.app_id or query.get("secret") != self.secret:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            token = f"token-{len(self.tokens) + 1}"
            self.tokens.append(token)
            return {"access_token": token, "expires_in": 7200}
        if path != "/cgi-bin/message/subscribe/send":
            return {"errcode": 404, "errmsg": "no such api"}
        message = json.loads(body)
        if not self.tokens or query.get("access_token") != self.tokens[-1]:
            self.refused.append(message)
            return {"errcode": 40001, "errmsg": "invalid credential"}
        code = self._next_answer()
        if code:
            if code in (40001, 42001):
                self.tokens.append("revoked")  # the token in hand is no longer the valid one
            self.refused.append(message)
            return {"errcode": code, "errmsg": "refused as told"}
        with self._lock:
            self.accepted.append(message)
        return {"errcode": 0, "errmsg": "ok", "msgid": len(self.accepted)}
