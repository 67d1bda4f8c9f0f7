"""The bare reference for the ticket-creation benchmark: FastAPI → grpc.aio → one INSERT and
one outbox INSERT in one transaction. No auth, no validation, no numbering, no history.

`python -m bench.reference_chain grpc <port> <database_url>` serves the gRPC half;
`python -m bench.reference_chain http <port> <grpc_port>` serves the HTTP half."""

from __future__ import annotations

import asyncio
import sys
import uuid

import uvicorn
from fastapi import FastAPI, Request
from google.protobuf import json_format
from grpc import aio
from sqlalchemy import Column, MetaData, Table, Text, insert
from testing.echo.v1 import echo_pb2, echo_pb2_grpc

from servicekit.db import create_engine
from servicekit.messaging_tables import define_messaging_tables

metadata = MetaData()
outbox, _ = define_messaging_tables(metadata)
things = Table("things", metadata, Column("id", Text, primary_key=True), Column("title", Text))


class ReferenceServicer(echo_pb2_grpc.EchoServiceServicer):
    def __init__(self, engine):  # type: ignore[no-untyped-def]
        self._engine = engine

    async def CreateThing(self, request, context):
        thing_id = uuid.uuid4().hex
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(things).values(id=thing_id, title=request.thing.display_name)
            )
            await connection.execute(
                insert(outbox).values(
                    event_id=uuid.uuid4().hex,
                    topic="bench.thing.v1",
                    key=thing_id,
                    event_type="bench",
                    payload=request.SerializeToString(),
                )
            )
        return echo_pb2.Thing(thing_id=thing_id, display_name=request.thing.display_name)


async def serve_grpc(port: int, database_url: str) -> None:
    engine = create_engine(database_url, pool_size=20)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    server = aio.server()
    echo_pb2_grpc.add_EchoServiceServicer_to_server(ReferenceServicer(engine), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def http_app(grpc_port: int) -> FastAPI:
    app = FastAPI()
    state: dict[str, echo_pb2_grpc.EchoServiceStub] = {}

    @app.post("/v1/things")
    async def create(request: Request) -> dict:  # type: ignore[type-arg]
        if "stub" not in state:
            state["stub"] = echo_pb2_grpc.EchoServiceStub(
                aio.insecure_channel(f"127.0.0.1:{grpc_port}")
            )
        message = echo_pb2.CreateThingRequest(
            thing=echo_pb2.Thing(display_name=(await request.json())["title"])
        )
        reply = await state["stub"].CreateThing(message, timeout=10)
        return json_format.MessageToDict(reply)

    return app


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "grpc":
        asyncio.run(serve_grpc(port, sys.argv[3]))
    else:
        uvicorn.run(
            http_app(int(sys.argv[3])),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
