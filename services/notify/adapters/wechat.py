"""WeChat mini-program subscribe messages (`cgi-bin/message/subscribe/send`), the deliverer's
sender for the WeChat channel (implements `ports.Sender`). The access token comes from
`cgi-bin/token` (client credentials) and is kept until shortly before it expires, or until
WeChat says it is no longer valid. The base URL is configurable (tests use a local stand-in).

errcode 0 sent; 40001/40014/42001 (token invalid or expired) fetch a new token and retry;
-1 (busy) and 45009 (rate limit) retry; 43101 (the user did not subscribe, or used up his
subscription), 40003 (bad openid), 47003 (bad template data), 40037 (bad template id) are
permanent."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

import httpx

from services.notify.domain.deliveries import Delivery, Outcome
from services.notify.settings import NotifySettings

TOKEN_INVALID = {40001, 40014, 42001}
RETRIED = {-1, 45009} | TOKEN_INVALID


class WechatSubscribeSender:
    def __init__(self, settings: NotifySettings):
        self._settings = settings
        self._client = httpx.AsyncClient(timeout=settings.wechat_timeout_seconds, trust_env=False)
        self._token, self._renew_at = "", 0.0
        self._lock = asyncio.Lock()

    async def _access_token(self) -> str:
        async with self._lock:
            if not self._token or time.monotonic() >= self._renew_at:
                s = self._settings
                response = await self._client.get(
                    f"{s.wechat_api_base_url.rstrip('/')}/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": s.wechat_app_id,
                        "secret": s.wechat_app_secret,
                    },
                )
                answer = response.json()
                if "access_token" not in answer:
                    raise RuntimeError(f"no access token: {answer}")
                self._token = str(answer["access_token"])
                lifetime = float(answer.get("expires_in", 7200))
                self._renew_at = time.monotonic() + max(lifetime - 300, lifetime / 2)
            return self._token

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome:
        s = self._settings
        body = {
            "touser": delivery.draft.address,
            "template_id": s.wechat_template_id,
            "page": f"pages/ticket/detail?id={delivery.draft.ticket_id}",
            "data": json.loads(delivery.draft.body),
            "miniprogram_state": s.wechat_miniprogram_state,
            "lang": "zh_CN",
        }
        try:
            token = await self._access_token()
            response = await self._client.post(
                f"{s.wechat_api_base_url.rstrip('/')}/cgi-bin/message/subscribe/send",
                params={"access_token": token},
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError, RuntimeError) as error:
            return Outcome(False, f"{type(error).__name__}: {error}"[:2000])
        code = int(answer.get("errcode", 0))
        text = f"{code} {answer.get('errmsg', '')} {answer.get('msgid', '')}".strip()
        if code == 0:
            return Outcome(True, text)
        if code in TOKEN_INVALID:
            self._token = ""  # the next attempt fetches a new one
        return Outcome(False, text, permanent=code not in RETRIED)

    async def close(self) -> None:
        await self._client.aclose()
