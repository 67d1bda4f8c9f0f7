"""Reading google.api.http rules into routes."""

from __future__ import annotations

from testing.echo.v1 import echo_pb2

from gateway.http_rules import routes_of

ECHO = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]


def _route(method: str):
    return next(r for r in routes_of(ECHO) if r.method.name == method)


def test_nested_path_variables_get_safe_parameter_names():
    route = _route("UpdateThing")
    assert route.http_method == "PATCH"
    assert route.path == "/v1/shelves/{thing__shelf_id}/things/{thing__thing_id}"
    assert [v.field_path for v in route.variables] == ["thing.shelf_id", "thing.thing_id"]
    assert route.body == "thing"


def test_custom_verb_stays_literal():
    route = _route("FailThing")
    assert route.path == "/v1/shelves/{shelf_id}/things/{thing_id}:fail"
    assert route.body == "*"


def test_literal_routes_sort_before_templated_ones():
    whoami, get = _route("WhoAmI"), _route("GetThing")
    assert whoami.specificity < get.specificity
