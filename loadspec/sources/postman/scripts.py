"""Translate the common patterns of Postman test scripts into loadspec assertions and captures.

Its one job: JavaScript text of a Postman `test` (or `prerequest`) script → assertions, captures
and constant variables, plus the statements it could not translate. It understands the patterns
Postman's snippets and most collections use: `pm.test(name, function () { ... })` wrappers,
`pm.response.to.have.status(N)` and the other `pm.response.to.be.*` checks, `pm.expect(X).to...`
chains (`eql`, `equal`, `true`, `exist`, `a('string')`, `lengthOf`, `above`, `include`, `property`,
`oneOf`, `match` ...) on `pm.response.json()` paths, aliases (`var jsonData = pm.response.json()`),
the status code, the response time, the body text and headers, the legacy `tests["..."] = ...`
form, and `pm.environment.set / pm.collectionVariables.set / pm.globals.set / pm.variables.set /
postman.setEnvironmentVariable` of a response value (a capture) or a literal (a variable). It is
a pattern matcher over statements, not a JavaScript interpreter: anything else is returned
untranslated so the importer can keep it as a comment and list it. No I/O, no engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from ...model import Assertion, Capture, Predicate, Query
from .js import (
    GETTERS,
    STRING,
    Context,
    Untranslatable,
    closing,
    dotted,
    js_regex,
    split_args,
    split_top,
    statements,
    unquote,
)

__all__ = ["ScriptResult", "statements", "translate"]


@dataclass
class ScriptResult:
    """What one script became."""

    assertions: list[Assertion] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)  # pm.environment.set(name, literal)
    untranslated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    set_names: list[str] = field(default_factory=list)  # every variable name the script sets


# --- what a JavaScript expression reads from the response -------------------------------------

_JSON_ROOTS = (r"pm\.response\.json\(\)", r"JSON\.parse\(\s*(?:responseBody|pm\.response\.text\(\))\s*\)",
               r"responseJson")
_MEMBER = re.compile(r"\.([A-Za-z_$][\w$]*)|\[\s*(\d+)\s*\]|\[\s*(" + STRING + r")\s*\]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _jmespath(members: list[str | int]) -> str:
    parts: list[str] = []
    for member in members:
        if isinstance(member, int):
            parts.append(f"[{member}]")
        elif _IDENT.match(member):
            parts.append(("." if parts else "") + member)
        else:
            parts.append(("." if parts else "") + json.dumps(member))
    return "".join(parts) or "@"


def _members(text: str) -> list[str | int] | None:
    members: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _MEMBER.match(text, pos)
        if not match:
            return None
        if match.group(1) is not None:
            members.append(match.group(1))
        elif match.group(2) is not None:
            members.append(int(match.group(2)))
        else:
            members.append(unquote(match.group(3)))
        pos = match.end()
    return members


def _json_query(base: str, rest: str) -> Query | None:
    members = _members(rest)
    if members is None:
        return None
    prefix = [m for m in (_members(base) or [])] if base else []
    members = prefix + members
    if members and members[-1] == "length":
        return Query("json", f"length({_jmespath(members[:-1])})")
    return Query("json", _jmespath(members))


def subject(text: str, context: Context) -> Query:
    """The query that reads what the JavaScript expression `text` reads."""
    text = text.strip()
    if re.fullmatch(r"(pm\.response\.(code|status\s*\(\s*\))|responseCode\.code|pm\.response\.to\.have\.status)",
                    text):
        return Query("status")
    if text == "pm.response.code":
        return Query("status")
    if re.fullmatch(r"pm\.response\.responseTime|responseTime", text):
        return Query("duration")
    if re.fullmatch(r"pm\.response\.text\(\)|responseBody", text):
        return Query("body")
    if re.fullmatch(r"pm\.response\.(size\(\)\.body|responseSize)", text):
        return Query("size")
    header = re.fullmatch(r"(?:pm\.response\.headers\.get|postman\.getResponseHeader)\(\s*(" + STRING + r")\s*\)"
                          r"|responseHeaders\[\s*(" + STRING + r")\s*\]", text)
    if header:
        return Query("header", unquote(header.group(1) or header.group(2)))
    cookie = re.fullmatch(r"(?:pm\.cookies\.get|postman\.getResponseCookie)\(\s*(" + STRING + r")\s*\)"
                          r"(?:\.value)?", text)
    if cookie:
        return Query("cookie", unquote(cookie.group(1)))
    getter = GETTERS.match(text)
    if getter:
        return Query("var", context.var_name(unquote(getter.group(1))))
    for root in _JSON_ROOTS:
        match = re.match(root, text)
        if match:
            query = _json_query("", text[match.end():])
            if query is not None:
                return query
    name = re.match(r"[A-Za-z_$][\w$]*", text)
    if name and name.group(0) in context.aliases and context.aliases[name.group(0)] is not None:
        base = context.aliases[name.group(0)] or ""
        query = _json_query(base, text[name.end():])
        if query is not None:
            return query
    raise Untranslatable(text)


# --- chains -------------------------------------------------------------------------------------

_FILLER = frozenset({"to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same",
                     "but", "does", "still", "also", "deep", "nested", "own", "itself", "should", "all", "any"})
_NEGATED = {"eq": "ne", "ne": "eq", "contains": "not_contains", "not_contains": "contains", "in": "not_in",
            "not_in": "in", "gt": "lte", "lte": "gt", "lt": "gte", "gte": "lt", "matches": "not_matches",
            "not_matches": "matches"}
_COMPARE = {"above": "gt", "gt": "gt", "greaterThan": "gt", "below": "lt", "lt": "lt", "lessThan": "lt",
            "least": "gte", "gte": "gte", "greaterThanOrEqual": "gte", "most": "lte", "lte": "lte",
            "lessThanOrEqual": "lte"}
_TYPES = {"string": "string", "number": "number", "boolean": "boolean", "array": "array", "object": "object",
          "null": "null"}
_RESPONSE_CLASSES = {"ok": 200, "success": "2xx", "info": "1xx", "redirection": "3xx", "clientError": "4xx",
                     "serverError": "5xx", "accepted": 202, "badRequest": 400, "unauthorized": 401, "forbidden": 403,
                     "notFound": 404, "rateLimited": 429}
_REASONS = {"ok": 200, "created": 201, "accepted": 202, "no content": 204, "bad request": 400,
            "unauthorized": 401, "forbidden": 403, "not found": 404, "conflict": 409}


def _chain(text: str) -> list[tuple[str, list[str] | None]]:
    """`.to.have.property('a').and.equal(1)` → [(to, None), (have, None), (property, ['a']), ...]."""
    members: list[tuple[str, list[str] | None]] = []
    pos = 0
    while pos < len(text):
        match = re.compile(r"\s*\.\s*([A-Za-z_$][\w$]*)").match(text, pos)
        if not match:
            raise Untranslatable(text)
        pos = match.end()
        args = None
        if pos < len(text) and text[pos] == "(":
            end = closing(text, pos)
            args = split_args(text[pos + 1:end])
            pos = end + 1
        members.append((match.group(1), args))
    return members


def _predicates(query: Query, members: list[tuple[str, list[str] | None]], context: Context
                ) -> list[tuple[Query, Predicate]]:
    out: list[tuple[Query, Predicate]] = []
    negate = False

    def add(op: str, value: Any) -> None:
        nonlocal negate
        if negate:
            if op in ("exists", "empty"):
                value = not value
            elif op in _NEGATED:
                op = _NEGATED[op]
            else:
                raise Untranslatable(f"not.{op}")
        out.append((query, Predicate(op, value)))
        negate = False

    for name, args in members:
        if name in _FILLER and args is None:
            continue
        if name == "not":
            negate = not negate
            continue
        if name in ("eql", "equal", "equals", "eq", "eqls") and args and len(args) == 1:
            add("eq", context.literal(args[0]))
        elif name in ("true", "false", "null") and args is None:
            add("eq", json.loads(name))
        elif name == "undefined" and args is None:
            add("exists", False)
        elif name in ("exist", "exists") and args is None:
            add("exists", True)
        elif name == "ok" and args is None:
            add("exists", True)
        elif name == "empty" and args is None:
            add("empty", True)
        elif name in ("a", "an") and args and len(args) == 1:
            kind = context.literal(args[0])
            if kind not in _TYPES or negate:
                raise Untranslatable(f"{name}({args[0]})")
            add("type", _TYPES[kind])
        elif name in ("lengthOf", "length") and args and len(args) == 1:
            add("length", context.literal(args[0]))
        elif name in ("length", "lengthOf") and args is None:
            if query.kind != "json":
                raise Untranslatable(name)
            query = Query("json", f"length({query.selector})")
        elif name in _COMPARE and args and len(args) == 1:
            value = context.literal(args[0])
            if not isinstance(value, (int, float)):
                raise Untranslatable(f"{name}({args[0]})")
            if query.kind == "duration":
                value = f"{value}ms"
            add(_COMPARE[name], value)
        elif name == "within" and args and len(args) == 2:
            low, high = context.literal(args[0]), context.literal(args[1])
            add("gte", low)
            add("lte", high)
        elif name in ("include", "includes", "contain", "contains", "string") and args and len(args) == 1:
            value = context.literal(args[0])
            if isinstance(value, dict):
                if negate:
                    raise Untranslatable("not.include({...})")
                add("subset", value)
            else:
                add("contains", value)
        elif name == "oneOf" and args and len(args) == 1:
            value = context.literal(args[0])
            if not isinstance(value, list):
                raise Untranslatable(f"oneOf({args[0]})")
            add("in", value)
        elif name == "match" and args and len(args) == 1:
            add("matches", js_regex(args[0]))
        elif name in ("property", "haveOwnProperty", "ownProperty") and args and 1 <= len(args) <= 2:
            if query.kind != "json":
                raise Untranslatable(name)
            key = context.literal(args[0])
            if not isinstance(key, str):
                raise Untranslatable(f"property({args[0]})")
            base = "" if query.selector == "@" else query.selector or ""
            selector = _jmespath([key]) if not base else base + "." + _jmespath([key]) if not _jmespath(
                [key]).startswith("[") else base + _jmespath([key])
            query = Query("json", selector)
            if len(args) == 2:
                add("eq", context.literal(args[1]))
            elif negate:
                add("exists", True)
            else:
                out.append((query, Predicate("exists", True)))
        elif name == "keys" and args:
            for arg in args:
                add("contains", context.literal(arg))
        else:
            raise Untranslatable(name)
    if not out:
        raise Untranslatable("no check")
    return out


def _response_chain(members: list[tuple[str, list[str] | None]], context: Context) -> list[tuple[Query, Predicate]]:
    """`pm.response.to.have.status(200)`, `pm.response.to.be.ok`, `.to.have.header('X')` ..."""
    out: list[tuple[Query, Predicate]] = []
    negate = False
    for name, args in members:
        if name in _FILLER and args is None:
            continue
        if name == "not":
            negate = not negate
            continue
        if name == "status" and args and len(args) == 1:
            value = context.literal(args[0])
            if isinstance(value, str):
                if value.lower() not in _REASONS:
                    raise Untranslatable(f"status({args[0]})")
                value = _REASONS[value.lower()]
            out.append((Query("status"), Predicate("ne" if negate else "eq", value)))
        elif name in _RESPONSE_CLASSES and args is None:
            value = _RESPONSE_CLASSES[name]
            out.append((Query("status"), Predicate("ne" if negate else "eq", value)))
        elif name == "error" and args is None:
            out.append((Query("status"), Predicate("not_in" if negate else "in", ["4xx", "5xx"])))
        elif name == "header" and args and 1 <= len(args) <= 2:
            header = context.literal(args[0])
            if len(args) == 1:
                out.append((Query("header", str(header)), Predicate("exists", not negate)))
            else:
                expected = context.literal(args[1])
                out.append((Query("header", str(header)), Predicate("ne" if negate else "eq", expected)))
        elif name == "json" and args is None and not negate:
            out.append((Query("header", "Content-Type"), Predicate("contains", "json")))
        elif name == "withBody" and args is None and not negate:
            out.append((Query("size"), Predicate("gt", 0)))
        elif name == "body" and not negate:
            if not args:
                out.append((Query("size"), Predicate("gt", 0)))
            else:
                value = context.literal(args[0])
                out.append((Query("body"), Predicate("eq", value if isinstance(value, str) else json.dumps(value))))
        elif name == "jsonBody" and not negate:
            if not args:
                out.append((Query("header", "Content-Type"), Predicate("contains", "json")))
            else:
                path = context.literal(args[0])
                if not isinstance(path, str):
                    if isinstance(path, dict):
                        out.append((Query("json", "@"), Predicate("subset", path)))
                        continue
                    raise Untranslatable("jsonBody")
                selector = _jmespath(dotted(path))
                if len(args) == 2:
                    out.append((Query("json", selector), Predicate("eq", context.literal(args[1]))))
                else:
                    out.append((Query("json", selector), Predicate("exists", True)))
        elif name == "jsonSchema" and args and not negate:
            schema = context.literal(args[0])
            if not isinstance(schema, dict):
                raise Untranslatable("jsonSchema")
            try:
                Draft7Validator.check_schema(schema)
            except SchemaError:
                raise Untranslatable("jsonSchema") from None
            out.append((Query("json", "@"), Predicate("schema", schema)))
        elif name == "responseTime":
            continue
        elif name in _COMPARE and args and len(args) == 1:
            value = context.literal(args[0])
            op = _NEGATED[_COMPARE[name]] if negate else _COMPARE[name]
            out.append((Query("duration"), Predicate(op, f"{value}ms")))
        else:
            raise Untranslatable(name)
        negate = False
    if not out:
        raise Untranslatable("no check")
    return out


_CONDITION = re.compile(r"^(.+?)\s*(===|!==|==|!=|>=|<=|>|<)\s*(.+)$", re.S)
_OPS = {"===": "eq", "==": "eq", "!==": "ne", "!=": "ne", ">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}


def _condition(text: str, context: Context) -> list[tuple[Query, Predicate]]:
    """A boolean JavaScript expression: `responseCode.code === 200`, `jsonData.id > 0`,
    `responseBody.has('x')`, `a && b`."""
    text = text.strip()
    while text.startswith("(") and closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    parts = split_top(text, "&&")
    if len(parts) > 1:
        return [item for part in parts for item in _condition(part, context)]
    key_in = re.fullmatch(r"(" + STRING + r")\s+in\s+(.+)", text, re.S)
    if key_in:
        return [(subject(key_in.group(2), context), Predicate("contains", unquote(key_in.group(1))))]
    has = re.fullmatch(r"responseBody\.(has|indexOf|includes)\(\s*(" + STRING + r")\s*\)(\s*(?:!==|>=|>)\s*-?\d+)?",
                       text)
    if has:
        return [(Query("body"), Predicate("contains", unquote(has.group(2))))]
    negated = text.startswith("!")
    core = text[1:].strip() if negated else text
    match = _CONDITION.match(core) if not negated else None
    if match:
        left, op, right = match.group(1), _OPS[match.group(2)], match.group(3)
        query = subject(left, context)
        value = context.literal(right)
        if query.kind == "duration" and isinstance(value, (int, float)):
            value = f"{value}ms"
        return [(query, Predicate(op, value))]
    query = subject(core, context)
    return [(query, Predicate("exists", not negated))]


# --- statements ---------------------------------------------------------------------------------

_TEST_WRAPPER = re.compile(r"^pm\.test\s*\(\s*(" + STRING + r")\s*,\s*(?:async\s+)?(?:function\s*\w*\s*\(\s*\)|"
                           r"\(\s*\)\s*=>)\s*\{(.*)\}\s*\)$", re.S)
_SETTERS = re.compile(r"^(?:pm\.(environment|collectionVariables|globals|variables)\.set|"
                      r"postman\.set(Environment|Global)Variable)\s*\((.*)\)$", re.S)
_UNSETTERS = re.compile(r"^(?:pm\.(?:environment|collectionVariables|globals|variables)\.(?:unset|clear)|"
                        r"postman\.clear(?:Environment|Global)Variables?)\s*\(.*\)$", re.S)
_ALIAS = re.compile(r"^(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(.+)$", re.S)
_NOISE = re.compile(r"^(console\.\w+\s*\(.*\)|['\"]use strict['\"])$", re.S)


def translate(script: str, var_name: Callable[[str], str], *, phase: str = "test") -> ScriptResult:
    """Translate one script; `var_name` maps a Postman variable name to the spec's variable name."""
    result = ScriptResult()
    context = Context(var_name)
    for statement in statements(script):
        _statement(statement, context, result, phase)
    # the same check written twice (two pm.test blocks) is asserted once
    unique: list[Assertion] = []
    seen: set[str] = set()
    for assertion in result.assertions:
        key = repr((assertion.query.kind, assertion.query.selector,
                    [(p.op, p.value) for p in assertion.predicates]))
        if key not in seen:
            seen.add(key)
            unique.append(assertion)
    for index, assertion in enumerate(unique, start=1):
        assertion.index = index
    result.assertions = unique
    return result


def _statement(statement: str, context: Context, result: ScriptResult, phase: str) -> None:
    text = statement.strip().rstrip(";").strip()
    if not text:
        return
    wrapper = _TEST_WRAPPER.match(text)
    if wrapper:
        for inner in statements(wrapper.group(2)):
            _statement(inner, context, result, phase)
        return
    if _NOISE.match(text) or re.fullmatch(r"(?:var|let)\s+[A-Za-z_$][\w$]*(\s*,\s*[A-Za-z_$][\w$]*)*", text):
        return
    block = re.fullmatch(r"try\s*\{(.*)\}(?:\s*catch\s*(?:\([^)]*\))?\s*\{.*\})?", text, re.S)
    if block:
        for inner in statements(block.group(1)):
            _statement(inner, context, result, phase)
        return
    if re.fullmatch(r"catch\s*(?:\([^)]*\))?\s*\{.*\}", text, re.S):
        result.notes.append("a catch block of the test script is ignored")
        return
    try:
        _translate(text, context, result, phase)
    except Untranslatable:
        result.untranslated.append(" ".join(text.split()))


def _translate(text: str, context: Context, result: ScriptResult, phase: str) -> None:
    alias = _ALIAS.match(text) or re.match(r"^()([A-Za-z_$][\w$]*)\s*=\s*(?!=)(.+)$", text, re.S)
    if alias and alias.lastindex == 3:
        alias = re.match(r"^([A-Za-z_$][\w$]*)\s*=\s*(.+)$", text, re.S)
    if alias:
        name, value = alias.group(1), alias.group(2).strip()
        for root in _JSON_ROOTS:
            match = re.match(root, value)
            if match:
                rest = value[match.end():]
                if _members(rest) is None:
                    raise Untranslatable(text)
                context.aliases[name] = rest
                return
        base = re.match(r"[A-Za-z_$][\w$]*", value)
        if base and context.aliases.get(base.group(0)) is not None:
            rest = value[base.end():]
            if _members(rest) is None:
                raise Untranslatable(text)
            context.aliases[name] = (context.aliases[base.group(0)] or "") + rest
            return
        context.constants[name] = context.literal(value)  # `const schema = {...}`: used by later statements
        return
    setter = _SETTERS.match(text)
    if setter:
        args = split_args(setter.group(3))
        if len(args) != 2:
            raise Untranslatable(text)
        name = context.literal(args[0])
        if not isinstance(name, str):
            raise Untranslatable(text)
        target = context.var_name(name)
        try:
            value = context.literal(args[1])
        except Untranslatable:
            value = _NOT_LITERAL
        if value is not _NOT_LITERAL:
            result.constants[target] = value if not isinstance(value, (dict, list)) else json.dumps(value)
            result.set_names.append(name)
            return
        if phase != "test":
            raise Untranslatable(text)
        expression = args[1]
        stringify = re.fullmatch(r"(?:JSON\.stringify|String)\((.*)\)", expression.strip(), re.S)
        if stringify:
            expression = stringify.group(1)
        query = subject(expression, context)
        if query.kind in ("status", "duration", "size", "body", "url", "json", "header", "cookie"):
            scope = setter.group(1) or (setter.group(2) or "").lower() or "environment"
            result.captures.append(Capture(target, query, comment=f"pm.{scope}.set({json.dumps(name)}) in the test"))
            result.set_names.append(name)
            return
        raise Untranslatable(text)
    if _UNSETTERS.match(text):
        result.notes.append(f"no effect in loadspec: {' '.join(text.split())[:80]}")
        return
    if phase != "test":
        raise Untranslatable(text)
    expect = re.match(r"^pm\.expect\s*\(", text)
    if expect:
        end = closing(text, expect.end() - 1)
        subject_text = text[expect.end():end]
        members = _chain(text[end + 1:])
        if not members:
            raise Untranslatable(text)
        inner_args = split_args(subject_text)
        if len(inner_args) not in (1, 2):
            raise Untranslatable(text)
        try:
            query = subject(inner_args[0], context)
            pairs = _predicates(query, members, context)
        except Untranslatable:
            names = [n for n, a in members if n not in _FILLER]
            if names in (["true"], ["ok"]):  # pm.expect(<condition>).to.be.true
                pairs = _condition(inner_args[0], context)
            elif len(names) == 1 and names[0] in ("include", "includes", "contain", "contains") \
                    and inner_args[0].lstrip().startswith("["):  # pm.expect([200, 201]).to.include(pm.response.code)
                choices = context.literal(inner_args[0])
                (_, args), = [(n, a) for n, a in members if n == names[0]]
                if not isinstance(choices, list) or not args or len(args) != 1:
                    raise
                pairs = [(subject(args[0], context), Predicate("in", choices))]
            else:
                raise
        _add(result, pairs)
        return
    response = re.match(r"^pm\.response((?:\s*\.\s*[A-Za-z_$][\w$]*(?:\([^()]*(?:\([^()]*\)[^()]*)*\))?)+)$",
                        text, re.S)
    if response and re.match(r"\s*\.\s*to\b", response.group(1)):
        _add(result, _response_chain(_chain(response.group(1)), context))
        return
    legacy = re.match(r"^tests\s*\[\s*(" + STRING + r")\s*\]\s*=\s*(.+)$", text, re.S)
    if legacy:
        _add(result, _condition(legacy.group(2), context))
        return
    raise Untranslatable(text)


_NOT_LITERAL = object()


def _add(result: ScriptResult, pairs: list[tuple[Query, Predicate]]) -> None:
    for query, predicate in pairs:
        result.assertions.append(Assertion(query, [predicate]))
