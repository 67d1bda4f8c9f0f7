"""The rebuild's COPY text: PostgreSQL reads back exactly what was written (the e2e rebuild
test checks the answers; this checks the escaping of what the world there does not have)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.adapters.rebuild import copy_text


def test_text_escapes_what_copy_would_read_as_structure():
    assert copy_text("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert copy_text("打印机") == "打印机"
    assert copy_text(None) == "\\N"
    assert copy_text("") == ""


def test_arrays_are_quoted_then_escaped():
    assert copy_text(["a", "b"]) == '{"a","b"}'
    assert copy_text(['x"y', "p\\q"]) == '{"x\\\\"y","p\\\\\\\\q"}'
    assert copy_text([]) == "{}"


def test_numbers_and_times():
    assert copy_text(3) == "3"
    moment = datetime(2026, 11, 30, 9, 30, 1, 5, tzinfo=UTC)
    assert copy_text(moment) == "2026-11-30T09:30:01.000005+00:00"


def test_lines_are_tab_separated_rows_each_ended():
    from services.reporting.adapters.rebuild import copy_lines

    rows = [{"a": "x", "b": ["p", "q"], "c": None}, {"a": "x\ty", "b": ["p", "q"], "c": 2}]
    assert copy_lines(rows, ("a", "b", "c")) == 'x\t{"p","q"}\t\\N\nx\\ty\t{"p","q"}\t2\n'


def test_a_boolean_and_the_number_it_equals_are_written_apart():
    from services.reporting.adapters.rebuild import copy_lines

    rows = [{"a": True, "b": 1}, {"a": 1, "b": False}]
    assert copy_lines(rows, ("a", "b")) == "True\t1\n1\tFalse\n"
