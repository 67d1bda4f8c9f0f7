"""API calls the browser tests make beside the console (a requester raising a ticket, the
reference figures a chart is checked against)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


class Api:
    """The suite's HTTP API as one signed-in user."""

    def __init__(self, base: str, headers: dict[str, str]):
        self.base, self.headers = base, headers

    @classmethod
    async def sign_in(cls, base: str, login: str, password: str) -> Api:
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(
                f"{base}/v1/auth:login", json={"login": login, "password": password}
            )
        reply.raise_for_status()
        return cls(base, {"Authorization": f"Bearer {reply.json()['accessToken']}"})

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.request(method, f"{self.base}{path}", headers=self.headers, **kwargs)

    async def get(self, path: str, **params: Any) -> Any:
        reply = await self.call("GET", path, params=params)
        assert reply.status_code == 200, reply.text
        return reply.json()

    async def raise_ticket(self, title: str, level: str) -> dict[str, Any]:
        """A ticket on Wi-Fi at the demo level named `level`."""
        types = (await self.get("/v1/service-types"))["serviceTypes"]
        wifi = next(t["serviceTypeId"] for t in types if t["displayName"] == "Wi-Fi")
        levels = (await self.get("/v1/service-levels"))["serviceLevels"]
        level_id = next(lv["serviceLevelId"] for lv in levels if lv["displayName"] == level)
        body = {
            "title": title,
            "description": "二楼会议室无法连接",
            "serviceTypeId": wifi,
            "serviceLevelId": level_id,
            "customFields": {"floor": 2},
        }
        reply = await self.call("POST", "/v1/tickets", json=body)
        assert reply.status_code == 200, reply.text
        ticket: dict[str, Any] = reply.json()
        return ticket


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s")
