"""The shared query mechanism: predicates, captures and JMESPath paths behave as documented.

Unit tests over real compiled checks and a minimal response object; the end-to-end behaviour is
covered by test_run_flow.py.
"""

from __future__ import annotations

import json
from typing import Any

import jmespath
import pytest

from loadspec.lang.checks import ResponseView, compile_capture, compile_check, short_value
from loadspec.lang.jmespath import CompiledJmespath, LengthLookup, PathLookup, compile_jmespath
from loadspec.lang.templates import EnvLookup
from loadspec.model import Assertion, Capture, Predicate, Query


class FakeResponse:
    """Just the attributes a ResponseView reads."""

    def __init__(self, body: Any, status: int = 200, headers: dict[str, str] | None = None):
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.text = self.content.decode()
        self.status_code = status
        self.headers = headers or {"Content-Type": "application/json"}
        self.url = "http://127.0.0.1/x"


def check(kind: str, selector: str | None, op: str, value: Any, body: Any, **response: Any) -> str | None:
    assertion = Assertion(Query(kind, selector), [Predicate(op, value)], index=1)
    view = ResponseView(FakeResponse(body, **response), 12.0)
    return compile_check(assertion, "step", EnvLookup({}))(view, {"expected": 0})


@pytest.mark.parametrize(("op", "value", "actual", "passes"), [
    ("eq", 0, 0, True), ("eq", False, False, True), ("eq", "", "", True), ("eq", None, None, True),
    ("eq", 0, False, False), ("eq", False, 0, False), ("eq", 1, True, False), ("eq", "0", 0, True),
    ("ne", 0, 1, True), ("gt", 0, 1, True), ("gt", 1, 1, False), ("gte", 1, 1, True), ("lt", 5, "4", True),
    ("lt", 5, None, False), ("in", [1, 2], 2, True), ("not_in", [1, 2], 3, True),
    ("contains", "b", "abc", True), ("contains", 2, [1, 2], True), ("contains", "k", {"k": 1}, True),
    ("not_contains", "z", "abc", True), ("starts_with", "ab", "abc", True), ("ends_with", "bc", "abc", True),
    ("matches", r"^\d+$", "123", True), ("not_matches", r"^\d+$", "12a", True),
    ("exists", True, 0, True), ("exists", True, None, False), ("exists", False, None, True),
    ("empty", True, [], True), ("empty", True, "", True), ("empty", False, [0], True),
    ("length", 2, [1, 2], True), ("length", [Predicate("gt", 1)], "abc", True),
    ("type", "integer", 1, True), ("type", "integer", True, False), ("type", "number", 1.5, True),
    ("type", "string", "x", True), ("type", "array", [], True), ("type", "object", {}, True),
    ("type", "null", None, True), ("type", "boolean", False, True),
    ("type", "uuid", "123e4567-e89b-12d3-a456-426614174000", True), ("type", "uuid", "nope", False),
    ("subset", {"a": 1}, {"a": 1, "b": 2}, True), ("subset", {"a": 2}, {"a": 1}, False),
    ("subset", [{"id": 2}], [{"id": 1}, {"id": 2, "x": 0}], True),
    ("schema", {"type": "object", "required": ["id"]}, {"id": 1}, True),
    ("schema", {"type": "object", "required": ["id"]}, {}, False),
])
def test_predicates_including_falsy_values(op: str, value: Any, actual: Any, passes: bool) -> None:
    problem = check("json", "v", op, value, {"v": actual})
    assert (problem is None) == passes, problem


def test_predicate_values_can_be_templates() -> None:
    assert check("json", "v", "eq", "{{ expected }}", {"v": 0}) is None
    assert check("json", "v", "eq", "{{ expected }}", {"v": 1}) is not None


def test_status_codes_and_classes() -> None:
    assert check("status", None, "eq", "2xx", {}, status=204) is None
    assert check("status", None, "eq", "2xx", {}, status=404) == "step: assert #1 status eq 2xx (got 404)"
    assert check("status", None, "in", [200, "3xx"], {}, status=302) is None


def test_failure_messages_stay_low_cardinality() -> None:
    assert check("json", "v", "eq", 1, {"v": "x" * 500}) == "step: assert #1 json v eq 1 (got text of 500 chars)"
    assert check("duration", None, "lt", 10.0, {}) == "step: assert #1 duration lt 10ms (got 12ms)"
    assert short_value(1234.5, "duration") == "1.2s"
    assert short_value([1, 2, 3]) == "a list of 3"


def test_non_json_body_is_a_clear_failure() -> None:
    problem = check("json", "v", "eq", 1, b"<html>", headers={"Content-Type": "text/html; charset=utf-8"})
    assert problem == "step: assert #1 json v: response is not JSON (text/html)"


def test_header_and_regex_queries() -> None:
    assert check("header", "x-trace", "eq", "abc", {}, headers={"X-Trace": "abc"}) is None
    assert check("regex", r"id=(\d+)", "eq", "42", b"a id=42 b id=7") is None  # first match, first group


def test_capture_pick_and_default() -> None:
    view = ResponseView(FakeResponse({"items": [{"id": 1}, {"id": 2}, {"id": 3}]}), 1.0)
    variables: dict[str, Any] = {}
    for pick, expected in (("first", 1), ("last", 3), ("all", [1, 2, 3])):
        capture = Capture(pick, Query("json", "items[].id"), pick=pick)  # type: ignore[arg-type]
        assert compile_capture(capture, "s")(view, variables) is None
        assert variables[pick] == expected
    randomly = Capture("r", Query("json", "items[].id"), pick="random")
    assert compile_capture(randomly, "s")(view, variables) is None and variables["r"] in (1, 2, 3)
    missing = Capture("m", Query("json", "nothing"))
    assert compile_capture(missing, "s")(view, variables) == "s: capture m (json nothing) found nothing"
    defaulted = Capture("d", Query("json", "nothing"), has_default=True, default=0)
    assert compile_capture(defaulted, "s")(view, variables) is None and variables["d"] == 0


DATA = {"a": {"b": [{"c": 1}, {"c": None}, 3]}, "s": "text", "n": None, "l": [1, 2], "e": {}}


@pytest.mark.parametrize(("expression", "kind"), [
    *[(e, PathLookup) for e in ("a", "a.b", "a.b[0].c", "a.b[1].c", "a.b[2].c", "a.b[-1]", "a.b[9]", "s.x",
                                "n.x", "l[0]", "l[-3]", "missing.x", "s[0]", "e.x", '"a".b[0]')],
    *[(e, LengthLookup) for e in ("length(l)", "length(a.b)", "length(s)", "length(e)", "length(a.b[0])")],
    *[(e, CompiledJmespath) for e in ("a.b[*].c", "a.b[?c == `1`]", "max(l)")],
])
def test_fast_paths_answer_exactly_like_jmespath(expression: str, kind: type) -> None:
    compiled = compile_jmespath(expression)
    assert type(compiled) is kind
    assert compiled.search(DATA) == jmespath.search(expression, DATA)


@pytest.mark.parametrize("expression", ["length(n)", "length(a.b[0].c)", "length(missing)"])
def test_length_of_an_unsized_value_raises_like_jmespath(expression: str) -> None:
    with pytest.raises(jmespath.exceptions.JMESPathTypeError):
        jmespath.search(expression, DATA)
    with pytest.raises(jmespath.exceptions.JMESPathTypeError):
        compile_jmespath(expression).search(DATA)


def test_jmespath_errors_at_run_time_are_step_failures() -> None:
    problem = check("json", "length(nothing)", "gt", 0, {"other": 1})
    assert problem == "step: assert #1 json length(nothing): length() cannot take null"
