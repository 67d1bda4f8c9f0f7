"""Wiring identity together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing.identity.v1 import (
    access_pb2_grpc,
    api_keys_pb2,
    api_keys_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    organizations_pb2_grpc,
    security_log_pb2_grpc,
    users_pb2_grpc,
)

from servicekit.db import create_engine
from servicekit.rpc.names import public_methods, service_names
from servicekit.rpc.server import GrpcServer, ServiceBinding, create_server, token_verifier
from services.identity.adapters.passwords import Argon2Hasher
from services.identity.adapters.signing_keys import KeyRing
from services.identity.adapters.unit_of_work import IdentityUnitOfWork
from services.identity.adapters.wechat import WechatClient
from services.identity.entrypoints.access_servicer import AccessServicer, SecurityLogServicer
from services.identity.entrypoints.api_keys_servicer import ApiKeyServicer
from services.identity.entrypoints.auth_servicer import AuthServicer
from services.identity.entrypoints.organizations_servicer import OrganizationServicer
from services.identity.entrypoints.users_servicer import UserServicer
from services.identity.service_layer.deps import Deps
from services.identity.settings import IdentitySettings

PACKAGE = "ticketing.identity.v1"
SERVICE_NAMES = service_names(PACKAGE)


@dataclass
class Runtime(Deps):
    """The use cases' Deps with what only the entrypoints touch: the database engine (health
    check, closing the pool) and the concrete key ring (rotation)."""

    engine: AsyncEngine = field(kw_only=True)
    key_ring: KeyRing = field(kw_only=True)


def build_deps(settings: IdentitySettings) -> Runtime:
    engine = create_engine(settings.database_url)
    keys = KeyRing(
        engine,
        encryption_key=settings.key_encryption_key,
        publish_retired_for=timedelta(seconds=settings.access_token_ttl_seconds + 60),
    )
    wechat = WechatClient(
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret,
    )
    return Runtime(
        uow=lambda: IdentityUnitOfWork(engine),
        keys=keys,
        wechat=wechat,
        passwords=Argon2Hasher(),
        settings=settings,
        engine=engine,
        key_ring=keys,
    )


def build_server(deps: Deps, *, listen: str) -> GrpcServer:
    verifier = token_verifier(deps.settings, deps.keys)
    bindings = [
        ServiceBinding(
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            AuthServicer(deps),
            f"{PACKAGE}.AuthService",
            public_methods(auth_pb2.DESCRIPTOR.services_by_name["AuthService"]),
        ),
        ServiceBinding(
            organizations_pb2_grpc.add_OrganizationServiceServicer_to_server,
            OrganizationServicer(deps),
            f"{PACKAGE}.OrganizationService",
        ),
        ServiceBinding(
            users_pb2_grpc.add_UserServiceServicer_to_server,
            UserServicer(deps),
            f"{PACKAGE}.UserService",
        ),
        ServiceBinding(
            access_pb2_grpc.add_AccessServiceServicer_to_server,
            AccessServicer(deps),
            f"{PACKAGE}.AccessService",
        ),
        ServiceBinding(
            security_log_pb2_grpc.add_SecurityLogServiceServicer_to_server,
            SecurityLogServicer(deps),
            f"{PACKAGE}.SecurityLogService",
        ),
        ServiceBinding(
            api_keys_pb2_grpc.add_ApiKeyServiceServicer_to_server,
            ApiKeyServicer(deps),
            f"{PACKAGE}.ApiKeyService",
            public_methods(api_keys_pb2.DESCRIPTOR.services_by_name["ApiKeyService"]),
        ),
    ]
    return create_server(bindings=bindings, listen=listen, verifier=verifier)
