"""Dispatch's CheckClaim, asked before an engineer claims a pool ticket, with the engineer's
own token: capacity and a rule's claim limit (against cherry-picking) are dispatch's data."""

from __future__ import annotations

import grpc
from grpc import aio
from ticketing.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc

from servicekit.context import current_token
from servicekit.errors import DomainError, ErrorCode
from servicekit.rpc.client import create_channel

_MESSAGES = {
    "AT_CAPACITY": "you are at capacity: finish or hand over a ticket first",
    "SKILL_MISSING": "this ticket's rule needs a skill you do not have",
}


class DispatchClaims:
    def __init__(self, address: str, *, timeout: float = 2.0):
        self._channel = create_channel(address)
        self._dispatch = dispatch_pb2_grpc.DispatchServiceStub(self._channel)
        self._timeout = timeout

    async def check(self, ticket_id: str) -> None:
        try:
            answer = await self._dispatch.CheckClaim(
                dispatch_pb2.CheckClaimRequest(ticket_id=ticket_id),
                metadata=(("authorization", f"Bearer {current_token()}"),),
                timeout=self._timeout,
            )
        except aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.PERMISSION_DENIED:
                return  # not an engineer: tickets' own rules refuse the claim
            raise DomainError(
                "DISPATCH_UNAVAILABLE",
                "cannot check the claim with dispatch now; try again",
                ErrorCode.UNAVAILABLE,
            ) from error
        if answer.allowed:
            return
        message = _MESSAGES.get(
            answer.reason,
            f"claim among the oldest {answer.claim_limit} pool tickets matching your skills first",
        )
        raise DomainError(
            "TICKET_NOT_CLAIMABLE",
            message,
            ErrorCode.FAILED_PRECONDITION,
            metadata={"reason": answer.reason, "claimLimit": str(answer.claim_limit)},
        )

    async def close(self) -> None:
        await self._channel.close()
