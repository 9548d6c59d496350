"""One query mechanism for captures, assertions and `when`: read a value, then test or store it.

`compile_query` turns a model `Query` into a reader over a `ResponseView` (status, duration, size,
url, body, json, header, cookie, regex, var); `compile_check` turns an `Assertion` into a function
returning None on success or a short, stable failure message; `compile_capture` turns a `Capture`
into a function storing a value. All parsing (JMESPath, regexes, JSON Schemas, templates) happens
here at compile time; the returned closures only read and compare. Engine-free: a ResponseView wraps
any response object with `status_code`, `headers`, `text`, `content` and `url`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

from jmespath.exceptions import JMESPathError
from jsonschema import Draft7Validator

from ..model import Assertion, Capture, Predicate, Query
from .jmespath import compile_jmespath
from .templates import CompiledValue, EnvLookup, RenderError, compile_value

Variables = dict[str, Any]
_UNSET = object()
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class QueryError(Exception):
    """A query cannot be answered for this response (e.g. the body is not JSON)."""


class ResponseView:
    """The parts of one response that queries read; the JSON body is decoded at most once."""

    __slots__ = ("response", "duration_ms", "_json", "_set_cookies")

    def __init__(self, response: Any, duration_ms: float):
        self.response = response
        self.duration_ms = duration_ms
        self._json: Any = _UNSET
        self._set_cookies: dict[str, str] | None = None

    @property
    def status(self) -> int:
        return int(self.response.status_code or 0)

    def json(self) -> Any:
        if self._json is _UNSET:
            content = self.response.content or b""
            try:
                self._json = json.loads(content)
            except ValueError:
                kind = self.header("Content-Type") or "no content type"
                self._json = QueryError(f"response is not JSON ({kind.split(';')[0]})")
        if isinstance(self._json, QueryError):
            raise self._json
        return self._json

    def header(self, name: str) -> str | None:
        headers = self.response.headers
        if headers is None:
            return None
        value = headers.get(name)
        if value is None and hasattr(headers, "items"):
            lowered = name.lower()
            value = next((v for k, v in headers.items() if k.lower() == lowered), None)
        return value

    def cookie(self, name: str) -> str | None:
        if self._set_cookies is None:
            self._set_cookies = response_cookies(self.response)
        return self._set_cookies.get(name)

    @property
    def text(self) -> str:
        return self.response.text or ""

    @property
    def size(self) -> int:
        return len(self.response.content or b"")

    @property
    def url(self) -> str:
        return str(self.response.url or "")


def response_cookies(response: Any) -> dict[str, str]:
    """Cookies set by this response (requests exposes a jar; geventhttpclient raw headers)."""
    jar = getattr(response, "cookies", None)
    if jar is not None and hasattr(jar, "get_dict"):
        return dict(jar.get_dict())
    found: dict[str, str] = {}
    headers = response.headers
    raw: list[str] = []
    if hasattr(headers, "getheaders"):
        raw = list(headers.getheaders("set-cookie") or [])
    elif headers is not None and headers.get("set-cookie"):
        raw = [headers.get("set-cookie")]
    for line in raw:
        pair = line.split(";", 1)[0]
        name, sep, value = pair.partition("=")
        if sep:
            found[name.strip()] = value.strip()
    return found


Reader = Callable[[ResponseView | None, Variables], Any]


def _jmespath_problem(exc: Exception) -> str:
    function = getattr(exc, "function_name", None)
    actual = getattr(exc, "actual_type", None)
    if function and actual:
        return f"{function}() cannot take {actual}"
    return f"JMESPath could not evaluate it ({type(exc).__name__})"


def _read_json(selector: str | None, all_matches: bool) -> Reader:
    expression = compile_jmespath(str(selector))

    def read_json(view: ResponseView, variables: Variables) -> Any:
        body = view.json()
        try:
            return expression.search(body)
        except JMESPathError as exc:  # e.g. length() of null: a failure of this step, not a crash
            raise QueryError(_jmespath_problem(exc)) from None
    return read_json  # type: ignore[return-value]


def _read_header(selector: str | None, all_matches: bool) -> Reader:
    name = str(selector)
    return lambda view, variables: view.header(name)


def _read_cookie(selector: str | None, all_matches: bool) -> Reader:
    name = str(selector)
    return lambda view, variables: view.cookie(name)


def _read_regex(selector: str | None, all_matches: bool) -> Reader:
    pattern = re.compile(str(selector))

    def read_regex_all(view: ResponseView, variables: Variables) -> Any:
        matches = pattern.findall(view.text)
        if not matches:
            return None
        return [m[0] if isinstance(m, tuple) else m for m in matches]

    def read_regex_first(view: ResponseView, variables: Variables) -> Any:
        match = pattern.search(view.text)
        if match is None:
            return None
        return match.group(1) if pattern.groups else match.group(0)
    return read_regex_all if all_matches else read_regex_first  # type: ignore[return-value]


def _read_var(selector: str | None, all_matches: bool) -> Reader:
    path = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]\.?", str(selector)) if p]

    def read_var(view: ResponseView | None, variables: Variables) -> Any:
        value: Any = variables
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return None
        return value
    return read_var


#: Query kinds: name -> builder(selector, all_matches) of a function reading the value from a
#: response (or the variables). A new kind is one entry here, one in `model.QUERY_KINDS` and one in
#: the schema; a test checks the three agree.
QUERIES: dict[str, Callable[[str | None, bool], Reader]] = {
    "status": lambda selector, all_matches: lambda view, variables: view.status,
    "duration": lambda selector, all_matches: lambda view, variables: view.duration_ms,
    "size": lambda selector, all_matches: lambda view, variables: view.size,
    "url": lambda selector, all_matches: lambda view, variables: view.url,
    "body": lambda selector, all_matches: lambda view, variables: view.text,
    "json": _read_json,
    "header": _read_header,
    "cookie": _read_cookie,
    "regex": _read_regex,
    "var": _read_var,
}


def compile_query(query: Query, *, all_matches: bool = False) -> Reader:
    """A function reading the query's value from a response (or the variables).

    A regex reads the first capture group of the first match, or of every match with
    `all_matches` (captures use that to `pick`)."""
    build = QUERIES.get(query.kind)
    if build is None:
        raise ValueError(f"unknown query kind {query.kind!r}")
    return build(query.selector, all_matches)


# --- short, stable descriptions (the failures table groups by message) -------------------------


def short_value(value: Any, kind: str = "") -> str:
    """A low-cardinality rendering of an actual value for failure messages."""
    if kind == "duration" and isinstance(value, (int, float)):
        return _round_ms(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"{value:g}" if abs(value) < 1e6 else "a large number"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 24 and "\n" not in value else f"text of {len(value)} chars"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _round_ms(ms: float) -> str:
    """Two significant digits, like Locust's buckets: 1234 → 1.2s, 87 → 87ms."""
    if ms >= 1000:
        return f"{float(f'{ms / 1000:.2g}'):g}s"
    return f"{float(f'{ms:.2g}'):g}ms"


def describe_query(query: Query) -> str:
    return query.kind if query.selector is None else f"{query.kind} {query.selector}"


def describe_predicate(predicate: Predicate, kind: str = "") -> str:
    value = predicate.value
    if predicate.op == "length" and isinstance(value, list):
        return "length " + " ".join(describe_predicate(p) for p in value)
    if predicate.op == "schema":
        return "schema"
    if kind == "duration" and isinstance(value, (int, float)):
        return f"{predicate.op} {value:g}ms"
    if isinstance(value, str):
        return f"{predicate.op} {value}"
    return f"{predicate.op} {json.dumps(value, default=str)}"


# --- predicates -------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if actual == expected and type(actual) is not bool and type(expected) is not bool:
        return True
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (int, float)) and isinstance(actual, str):
        return _number(actual) == float(expected)
    if isinstance(expected, str) and isinstance(actual, (int, float)):
        return _number(expected) == float(actual)
    return False


def _status_matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, str) and len(expected) == 3 and expected.endswith("xx"):
        return isinstance(actual, int) and actual // 100 == int(expected[0])
    return _equal(actual, expected)


def _subset(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _subset(actual[key], item) for key, item in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(
            any(_subset(candidate, item) for candidate in actual) for item in expected
        )
    return _equal(actual, expected)


def _is_type(actual: Any, name: str) -> bool:
    if name == "string":
        return isinstance(actual, str)
    if name == "integer":
        return isinstance(actual, int) and not isinstance(actual, bool)
    if name == "number":
        return isinstance(actual, (int, float)) and not isinstance(actual, bool)
    if name == "boolean":
        return isinstance(actual, bool)
    if name == "array":
        return isinstance(actual, list)
    if name == "object":
        return isinstance(actual, dict)
    if name == "null":
        return actual is None
    if name == "uuid":
        return isinstance(actual, str) and bool(_UUID.match(actual))
    return False


def _contains(actual: Any, item: Any) -> bool:
    if isinstance(actual, str):
        return str(item) in actual
    if isinstance(actual, list):
        return any(_equal(candidate, item) for candidate in actual)
    if isinstance(actual, dict):
        return item in actual
    return False


def _compare(op: str) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return False
        return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
    return compare


Test = Callable[[Any, Variables], bool]


def _length(raw: Any, kind: str, env: EnvLookup) -> Test:
    if isinstance(raw, list):
        inner = [compile_predicate(p, "length", env) for p in raw]
    else:
        inner = [compile_predicate(Predicate("eq", raw), "length", env)]

    def test_length(actual: Any, variables: Variables) -> bool:
        try:
            size = len(actual)
        except TypeError:
            return False
        return all(test(size, variables) for test in inner)
    return test_length


def _schema(raw: Any, kind: str, env: EnvLookup) -> Test:
    validator = Draft7Validator(raw)
    return lambda actual, variables: validator.is_valid(actual)


def _matches(wanted: bool) -> PredicateBuilder:
    def build(raw: Any, kind: str, env: EnvLookup) -> Test:
        pattern = re.compile(str(raw))
        return lambda actual, variables: (actual is not None and bool(pattern.search(str(actual)))) == wanted
    return build


def _exists(raw: Any, kind: str, env: EnvLookup) -> Test:
    wanted = bool(raw)
    return lambda actual, variables: (actual is not None) == wanted


def _empty(raw: Any, kind: str, env: EnvLookup) -> Test:
    wanted = bool(raw)
    return lambda actual, variables: (actual in (None, "", [], {})) == wanted


def _type(raw: Any, kind: str, env: EnvLookup) -> Test:
    return lambda actual, variables: _is_type(actual, str(raw))


def _against(test: Callable[[Any, Any, Callable[[Any, Any], bool]], bool]) -> PredicateBuilder:
    """A predicate comparing the actual value with the (rendered) expected one; `equal` is the
    equality of the query kind (a status also matches `2xx`)."""
    def build(raw: Any, kind: str, env: EnvLookup) -> Test:
        expected: CompiledValue = compile_value(raw, env)
        equal = _status_matches if kind == "status" else _equal
        return lambda actual, variables: test(actual, expected.get(variables), equal)
    return build


def _ordered(op: str) -> PredicateBuilder:
    compare = _compare(op)
    return _against(lambda actual, expected, equal: compare(actual, expected))


PredicateBuilder = Callable[[Any, str, EnvLookup], Test]

#: Predicates: name -> builder(value, query kind, env) of a test (actual, variables) -> bool. A new
#: predicate is one entry here, one in `model.PREDICATES` and one in the schema; a test checks them.
PREDICATES: dict[str, PredicateBuilder] = {
    "eq": _against(lambda actual, expected, equal: equal(actual, expected)),
    "ne": _against(lambda actual, expected, equal: not equal(actual, expected)),
    "gt": _ordered("gt"),
    "gte": _ordered("gte"),
    "lt": _ordered("lt"),
    "lte": _ordered("lte"),
    "in": _against(lambda actual, expected, equal: any(equal(actual, item) for item in (expected or []))),
    "not_in": _against(lambda actual, expected, equal: not any(equal(actual, item) for item in (expected or []))),
    "contains": _against(lambda actual, expected, equal: _contains(actual, expected)),
    "not_contains": _against(lambda actual, expected, equal: not _contains(actual, expected)),
    "starts_with": _against(lambda actual, expected, equal: isinstance(actual, str)
                            and actual.startswith(str(expected))),
    "ends_with": _against(lambda actual, expected, equal: isinstance(actual, str) and actual.endswith(str(expected))),
    "matches": _matches(True),
    "not_matches": _matches(False),
    "exists": _exists,
    "empty": _empty,
    "length": _length,
    "type": _type,
    "subset": _against(lambda actual, expected, equal: _subset(actual, expected)),
    "schema": _schema,
}


def compile_predicate(predicate: Predicate, kind: str, env: EnvLookup) -> Test:
    """A function (actual, variables) -> bool for one predicate."""
    build = PREDICATES.get(predicate.op)
    if build is None:
        raise ValueError(f"unknown predicate {predicate.op!r}")
    return build(predicate.value, kind, env)


Check = Callable[[ResponseView | None, Variables], str | None]


def compile_check(assertion: Assertion, label: str, env: EnvLookup) -> Check:
    """A function returning None when the assertion holds, else `<label>: assert #n ... (got ...)`."""
    read = compile_query(assertion.query)
    kind = assertion.query.kind
    tests = [
        (compile_predicate(p, kind, env), describe_predicate(p, kind)) for p in assertion.predicates
    ]
    prefix = f"{label}: assert #{assertion.index} {describe_query(assertion.query)}"

    def check(view: ResponseView | None, variables: Variables) -> str | None:
        try:
            actual = read(view, variables)
        except QueryError as exc:
            return f"{prefix}: {exc}"
        for test, text in tests:
            try:
                passed = test(actual, variables)
            except RenderError as exc:
                return f"{prefix} {text}: {exc}"
            if not passed:
                return f"{prefix} {text} (got {short_value(actual, kind)})"
        return None

    return check


def compile_condition(assertion: Assertion, env: EnvLookup) -> Callable[[Variables], bool]:
    """`when:` — True when every predicate holds for the variable."""
    check = compile_check(assertion, "when", env)
    return lambda variables: check(None, variables) is None


Store = Callable[[ResponseView, Variables], str | None]


def compile_capture(capture: Capture, label: str) -> Store:
    """A function storing the captured value in the variables; returns a failure message or None."""
    read = compile_query(capture.query, all_matches=True)
    name, pick = capture.name, capture.pick
    has_default, default = capture.has_default, capture.default
    prefix = f"{label}: capture {name} ({describe_query(capture.query)})"
    many = capture.query.kind in ("json", "regex")

    def store(view: ResponseView, variables: Variables) -> str | None:
        try:
            value = read(view, variables)
        except QueryError as exc:
            if has_default:
                variables[name] = default
                return None
            return f"{prefix}: {exc}"
        if many and isinstance(value, list):
            if not value:
                value = None
            elif pick == "first":
                value = value[0]
            elif pick == "last":
                value = value[-1]
            elif pick == "random":
                value = random.choice(value)
        if value is None:
            if has_default:
                variables[name] = default
                return None
            return f"{prefix} found nothing"
        variables[name] = value
        return None

    return store


__all__ = ["Check", "PREDICATES", "PredicateBuilder", "QUERIES", "QueryError", "Reader", "ResponseView", "Store",
           "Test", "Variables", "compile_capture", "compile_check", "compile_condition", "compile_predicate",
           "compile_query", "describe_predicate", "describe_query", "response_cookies", "short_value"]
