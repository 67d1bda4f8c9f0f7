"""The WeChat endpoints identity calls: code → openid (jscode2session) and phone code →
verified phone number. The base URL is configurable so tests run a local fake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from servicekit.errors import DomainError, ErrorCode, unauthenticated


@dataclass
class WechatClient:
    base_url: str
    app_id: str
    app_secret: str
    timeout: float = 5.0

    async def openid_for(self, code: str) -> str:
        body = await self._get(
            "/sns/jscode2session",
            {"appid": self.app_id, "secret": self.app_secret, "js_code": code,
             "grant_type": "authorization_code"},
        )  # fmt: skip
        if body.get("errcode") or not body.get("openid"):
            raise unauthenticated("WECHAT_CODE_INVALID", "WeChat refused the login code")
        return str(body["openid"])

    async def phone_for(self, phone_code: str) -> str:
        token = await self._get(
            "/cgi-bin/token",
            {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
        )
        body = await self._post(
            "/wxa/business/getuserphonenumber",
            {"access_token": token.get("access_token", "")},
            {"code": phone_code},
        )
        info = body.get("phone_info") or {}
        if body.get("errcode") or not info.get("purePhoneNumber"):
            raise unauthenticated("WECHAT_PHONE_CODE_INVALID", "WeChat refused the phone code")
        return str(info["purePhoneNumber"])

    async def _get(self, path: str, params: dict[str, str]) -> dict:  # type: ignore[type-arg]
        return await self._call("GET", path, params, None)

    async def _post(self, path: str, params: dict[str, str], body: dict) -> dict:  # type: ignore[type-arg]
        return await self._call("POST", path, params, body)

    async def _call(
        self, method: str, path: str, params: dict[str, str] | None, body: object
    ) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout) as client:
                response = await client.request(method, path, params=params, json=body)
                response.raise_for_status()
                reply: dict[str, Any] = response.json()
                return reply
        except (httpx.HTTPError, ValueError) as error:
            raise DomainError(
                "WECHAT_UNAVAILABLE", f"WeChat did not answer: {error}", ErrorCode.UNAVAILABLE
            ) from error
