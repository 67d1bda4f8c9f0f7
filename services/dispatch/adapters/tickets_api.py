"""Tickets' AssignTicket and EscalateTicket, called as dispatch's own service account: a
platform user holding only the built-in role service-dispatch (identity keeps it from
TICKETING_SERVICE_ACCOUNTS).
The access token is fetched by signing in and renewed a minute before it expires."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc import aio
from ticketing.identity.v1 import auth_pb2, auth_pb2_grpc
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2, tickets_pb2_grpc

from servicekit.rpc.client import create_channel
from servicekit.rpc.status import status_from_metadata
from services.dispatch.service_layer.ports import UNAVAILABLE, Applied, Outcome

_TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
              grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAUTHENTICATED)  # fmt: skip
_GIVE_WAY = {"TICKET_ALREADY_ASSIGNED", "TICKET_INVALID_TRANSITION", "TICKET_NOT_FOUND",
             "TICKET_ALREADY_CLAIMED"}  # fmt: skip


def reason_of(error: aio.AioRpcError) -> str:
    """The ErrorInfo reason our services put in the rich status, or the code's name."""
    status = status_from_metadata(error.code(), error.details() or "", error.trailing_metadata())
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return error.code().name


class ServiceToken:
    """An access token for the service account, renewed before it expires."""

    def __init__(self, channel: aio.Channel, *, login: str, secret: str):
        self._auth = auth_pb2_grpc.AuthServiceStub(channel)
        self._login, self._secret = login, secret
        self._token, self._renew_at = "", 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if not self._token or time.monotonic() >= self._renew_at:
                pair = await self._auth.Login(
                    auth_pb2.LoginRequest(login=self._login, password=self._secret), timeout=5
                )
                lifetime = pair.access_token_expire_time.ToDatetime().timestamp() - time.time()
                self._token = pair.access_token
                self._renew_at = time.monotonic() + max(lifetime - 60, lifetime / 2)
            return self._token

    def forget(self) -> None:
        self._token = ""


class GrpcTicketsApi:
    def __init__(self, *, tickets_address: str, identity_address: str, login: str, secret: str):
        self._channel = create_channel(tickets_address)
        self._identity = create_channel(identity_address)
        self._tickets = tickets_pb2_grpc.TicketServiceStub(self._channel)
        self._token = ServiceToken(self._identity, login=login, secret=secret)

    async def assign(
        self,
        *,
        ticket_id: str,
        provider_id: str,
        engineer_id: str,
        request_id: str,
        note: str,
        replaces_engineer_id: str = "",
    ) -> Applied:
        request = tickets_pb2.AssignTicketRequest(
            ticket_id=ticket_id,
            provider_id=provider_id,
            engineer_id=engineer_id,
            note=note[:500],
            request_id=request_id,
            automatic=True,
            replaces_engineer_id=replaces_engineer_id,
        )
        try:
            await self._call(self._tickets.AssignTicket, request)
        except aio.AioRpcError as error:
            return self._outcome(error)
        return Applied(Outcome.APPLIED)

    async def escalate(
        self, *, ticket_id: str, priority: str, request_id: str, reason: str
    ) -> Applied:
        request = tickets_pb2.EscalateTicketRequest(
            ticket_id=ticket_id,
            priority=catalog_pb2.Priority.Value(f"PRIORITY_{priority.upper()}"),
            reason=reason[:500],
            request_id=request_id,
        )
        try:
            await self._call(self._tickets.EscalateTicket, request)
        except aio.AioRpcError as error:
            if reason_of(error) == "TICKET_INVALID":  # raised as high already, by someone
                return Applied(Outcome.GAVE_WAY, "TICKET_INVALID")
            return self._outcome(error)
        return Applied(Outcome.APPLIED)

    async def _call(self, method: Any, request: Message) -> None:
        token = await self._token.get()
        await method(request, metadata=(("authorization", f"Bearer {token}"),), timeout=5)

    def _outcome(self, error: aio.AioRpcError) -> Applied:
        reason = reason_of(error)
        if error.code() in _TRANSIENT:
            if error.code() is grpc.StatusCode.UNAUTHENTICATED:
                self._token.forget()
            return Applied(Outcome.RETRY, UNAVAILABLE)
        if reason in _GIVE_WAY:
            return Applied(Outcome.GAVE_WAY, reason)
        if error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL,
                            grpc.StatusCode.UNKNOWN):  # fmt: skip
            # tickets' directory may not know the engineer or designation yet, or tickets
            # failed unexpectedly: try again, a bounded number of times (apply_max_attempts)
            return Applied(Outcome.RETRY, f"{reason}: {error.details()}")
        return Applied(Outcome.REFUSED, f"{reason}: {error.details()}")

    async def close(self) -> None:
        await self._channel.close()
        await self._identity.close()
