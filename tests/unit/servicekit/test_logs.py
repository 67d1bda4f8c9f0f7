"""Logs are one JSON object per line and carry the current request id."""

from __future__ import annotations

import json
import logging

from servicekit.context import request_id_var
from servicekit.logs import JsonFormatter


def test_log_line_is_json_with_request_id_and_extras():
    record = logging.makeLogRecord(
        {"name": "tickets", "levelname": "INFO", "msg": "created %s", "args": ("T1",),
         "ticket_id": "t-1"}
    )  # fmt: skip
    token = request_id_var.set("req-42")
    try:
        line = JsonFormatter("tickets").format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "created T1"
    assert entry["request_id"] == "req-42"
    assert entry["service"] == "tickets"
    assert entry["ticket_id"] == "t-1"
    assert entry["level"] == "info"


def test_exception_is_included():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    entry = json.loads(JsonFormatter("x").format(record))
    assert "ValueError: boom" in entry["exception"]
