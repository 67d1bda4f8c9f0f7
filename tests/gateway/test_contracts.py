"""Every service contract builds into gateway routes: the paths DESIGN.md §11 fixes exist,
literal paths win over templated ones, and the OpenAPI document of the whole suite validates."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import Match

from gateway.app import create_app
from gateway.settings import GatewaySettings

SERVICES = [
    "ticketing.identity.v1.AuthService",
    "ticketing.identity.v1.OrganizationService",
    "ticketing.identity.v1.UserService",
    "ticketing.identity.v1.AccessService",
    "ticketing.identity.v1.SecurityLogService",
    "ticketing.identity.v1.ApiKeyService",
    "ticketing.tickets.v1.CatalogService",
    "ticketing.tickets.v1.TicketService",
    "ticketing.tickets.v1.KnowledgeService",
    "ticketing.dispatch.v1.DispatchService",
    "ticketing.notify.v1.NotificationService",
    "ticketing.reporting.v1.ReportingService",
]

FIXED_ROUTES = [
    ("POST", "/v1/auth:login", "AuthService.Login"),
    ("POST", "/v1/auth:wechatLogin", "AuthService.WechatLogin"),
    ("POST", "/v1/auth:refresh", "AuthService.Refresh"),
    ("POST", "/v1/auth:logout", "AuthService.Logout"),
    ("GET", "/.well-known/jwks.json", "AuthService.GetJwks"),
    ("GET", "/v1/users/me", "UserService.GetMe"),
    ("PATCH", "/v1/users/me", "UserService.UpdateMe"),
    ("GET", "/v1/users/u1", "UserService.GetUser"),
    ("GET", "/v1/enterprises", "OrganizationService.ListEnterprises"),
    ("POST", "/v1/enterprises/e1:disable", "OrganizationService.DisableEnterprise"),
    ("POST", "/v1/enterprises/e1:enable", "OrganizationService.EnableEnterprise"),
    ("POST", "/v1/enterprises/e1:undelete", "OrganizationService.UndeleteEnterprise"),
    ("DELETE", "/v1/enterprises/e1", "OrganizationService.DeleteEnterprise"),
    ("GET", "/v1/enterprises/e1/departments/d1", "OrganizationService.GetDepartment"),
    ("GET", "/v1/enterprises/e1/designations", "OrganizationService.ListDesignations"),
    ("POST", "/v1/providers/p1:disable", "OrganizationService.DisableProvider"),
    ("GET", "/v1/providers/p1/engineers/g1", "UserService.GetEngineer"),
    ("GET", "/v1/roles/r1", "AccessService.GetRole"),
    ("GET", "/v1/permissions", "AccessService.ListPermissions"),
    ("GET", "/v1/security-logs", "SecurityLogService.ListSecurityLogs"),
    ("GET", "/v1/service-types/s1", "CatalogService.GetServiceType"),
    ("GET", "/v1/service-levels", "CatalogService.ListServiceLevels"),
    ("GET", "/v1/tickets/t1", "TicketService.GetTicket"),
    ("GET", "/v1/tickets:stats", "TicketService.GetTicketStats"),
    ("GET", "/v1/tickets/t1/history", "TicketService.ListTicketHistory"),
    ("POST", "/v1/tickets/t1/comments", "TicketService.CreateComment"),
    ("GET", "/v1/tickets/t1/attachments/a1", "TicketService.GetAttachment"),
    ("GET", "/v1/articles:suggest", "KnowledgeService.SuggestArticles"),
    ("GET", "/v1/articles/a1", "KnowledgeService.GetArticle"),
    ("GET", "/v1/dispatch-rules/r1", "DispatchService.GetDispatchRule"),
    ("GET", "/v1/engineers/g1/availability", "DispatchService.GetEngineerAvailability"),
    ("GET", "/v1/tickets/t1/dispatch-decisions", "DispatchService.ListDispatchDecisions"),
    ("GET", "/v1/tickets/t1/sla", "DispatchService.GetTicketSla"),
    ("POST", "/v1/dispatch-rules:dryRun", "DispatchService.DryRunDispatchRules"),
    ("PUT", "/v1/sla-policies/p1", "DispatchService.UpdateSlaPolicy"),
    ("GET", "/v1/business-calendars", "DispatchService.ListBusinessCalendars"),
    ("POST", "/v1/tickets/t1:waitOnCustomer", "TicketService.WaitOnCustomer"),
    ("GET", "/v1/messages", "NotificationService.ListMessages"),
    ("POST", "/v1/messages/m1:markRead", "NotificationService.MarkMessageRead"),
    ("POST", "/v1/messages:markAllRead", "NotificationService.MarkAllMessagesRead"),
    ("GET", "/v1/messages:unreadCount", "NotificationService.GetUnreadCount"),
    ("GET", "/v1/messages:stream", "NotificationService.StreamMessages"),
    ("GET", "/v1/notification-templates", "NotificationService.ListTemplates"),
    ("POST", "/v1/notification-templates:preview", "NotificationService.PreviewTemplate"),
    ("POST", "/v1/notification-templates/x:reset", "NotificationService.ResetTemplate"),
    ("GET", "/v1/reports/volume", "ReportingService.GetTicketVolume"),
] + [
    ("POST", f"/v1/tickets/t1:{verb}", f"TicketService.{verb.capitalize()}Ticket")
    for verb in ("approve", "reject", "assign", "claim", "transfer", "start", "resolve",
                 "confirm", "reopen", "cancel", "rate")
]  # fmt: skip


@pytest.fixture(scope="module")
def suite_app():
    upstreams = {name: "127.0.0.1:1" for name in SERVICES}
    return create_app(GatewaySettings(upstreams=upstreams))


def _route_for(app, method: str, path: str) -> str:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route.name
    return ""


@pytest.mark.parametrize(("method", "path", "rpc"), FIXED_ROUTES)
def test_fixed_path_routes_to_its_rpc(suite_app, method, path, rpc):
    assert _route_for(suite_app, method, path).endswith(rpc)


async def test_openapi_of_the_whole_suite_validates(suite_app):
    transport = httpx.ASGITransport(app=suite_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        document = (await client.get("/openapi.json")).json()
    validate(document)
    assert len(document["paths"]) > 60
    upload = document["paths"]["/v1/tickets/{ticket_id}/attachments"]["post"]["requestBody"][
        "content"
    ]
    assert upload["multipart/form-data"]["schema"]["properties"]["content"]["format"] == "binary"


async def _document(suite_app) -> dict:
    transport = httpx.ASGITransport(app=suite_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        return (await client.get("/openapi.json")).json()


async def test_openapi_is_what_client_generators_need(suite_app):
    document = await _document(suite_app)
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    # Plain path parameter names (generators refuse `{ticket.ticket_id}`), matching the path.
    for path, _, operation in operations:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert not re.search(r"\{[^}]*\.", path), path
        assert names == set(re.findall(r"\{([^}]+)\}", path)), path
    assert "patch" in document["paths"]["/v1/tickets/{ticket_id}"]
    # Clean, unique operation ids.
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    assert "getTicket" in ids and "updateTicket" in ids
    # REQUIRED fields are required; output-only ones read-only; a PATCH body requires nothing
    # and a body "*" leaves out what the path binds.
    schemas = document["components"]["schemas"]
    assert "displayName" in schemas["ticketing.tickets.v1.ServiceType"]["required"]
    assert schemas["ticketing.tickets.v1.Ticket"]["properties"]["status"]["readOnly"] is True
    patch_body = document["paths"]["/v1/tickets/{ticket_id}"]["patch"]["requestBody"]
    assert "required" not in patch_body["content"]["application/json"]["schema"]
    approve = document["paths"]["/v1/tickets/{ticket_id}:approve"]["post"]["requestBody"]
    assert "ticketId" not in approve["content"]["application/json"]["schema"]["properties"]
    # Sign-in, refresh, sign-out and the keys need no token; everything else does.
    public = {
        path
        for path, _, operation in operations
        if operation.get("security") == [] and path not in ("/healthz", "/readyz")
    }
    assert public == {
        "/v1/auth:login", "/v1/auth:wechatLogin", "/v1/auth:bindPhone", "/v1/auth:refresh",
        "/v1/auth:logout", "/.well-known/jwks.json",
    }  # fmt: skip
    # The raw download is documented.
    download = document["paths"]["/v1/tickets/{ticket_id}/attachments/{attachment_id}"]["get"]
    assert {"name": "alt", "in": "query"}.items() <= download["parameters"][-1].items()
    assert "*/*" in download["responses"]["200"]["content"]


GENERATOR_CONFIG = Path(__file__).parents[2] / "tools" / "openapi-python-client.yaml"


async def test_client_generators_produce_every_operation_without_a_warning(suite_app, tmp_path):
    """openapi-python-client (pinned in the dev extras) generates a module per operation and
    warns about nothing; the console's openapi-typescript is run by `make console-api`."""
    document = await _document(suite_app)
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = await asyncio.to_thread(
        subprocess.run,
        [str(generator), "generate", "--path", str(spec), "--meta", "none", "--output-path",
         str(tmp_path / "client"), "--config", str(GENERATOR_CONFIG)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    modules = [m for m in (tmp_path / "client" / "api").rglob("*.py") if m.name != "__init__.py"]
    operations = sum(
        1
        for item in document["paths"].values()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert len(modules) == operations
