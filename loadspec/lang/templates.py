"""The `{{ ... }}` template language: parse once, render many times without parsing.

`parse_template` turns text into literal parts and expressions (a variable path such as
`users.email` or `items.0.id`, or a call to a closed set of built-ins). `compile_value` turns any
YAML value (string, list, mapping) into a `CompiledValue` whose `render(variables)` is plain Python
over prepared pieces. A value that is exactly one template keeps the variable's type. There is no
expression language and no `eval`. `check_call` checks a call's literal arguments (types, ranges,
date formats) at load time; the built-ins check the arguments that come from variables again when
they run and raise `RenderError`, which fails the step, never the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import string
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import TemplateError


class RenderError(Exception):
    """A template cannot be rendered for this user: a variable is not set (e.g. its capture failed),
    or a built-in got an argument it cannot use."""


#: The longest text random_string(n) makes; more is a mistake (and would fill the memory).
MAX_RANDOM_STRING = 100_000
#: strftime directives that now(format) accepts (the portable C89 ones, plus %f %G %u %V %z).
_DATE_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) <= 30 else "a text"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else f"{value!r}"


def _whole(value: Any, where: str, *, literal: bool = False) -> int:
    """`value` as a whole number; a variable's text such as '42' counts (--var gives text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and not literal:
        return int(value)
    if isinstance(value, str) and not literal and re.fullmatch(r"\s*-?[0-9]{1,18}\s*", value):
        return int(value)
    raise RenderError(f"{where} needs whole numbers, got {_shown(value)}")


def _random_int_arguments(low: Any, high: Any, *, literal: bool = False) -> tuple[int, int]:
    low, high = _whole(low, "random_int()", literal=literal), _whole(high, "random_int()", literal=literal)
    if low > high:
        raise RenderError(f"random_int({low}, {high}): the low bound is above the high bound")
    return low, high


def _random_string_length(length: Any, *, literal: bool = False) -> int:
    count = _whole(length, "random_string()", literal=literal)
    if not 0 <= count <= MAX_RANDOM_STRING:
        raise RenderError(f"random_string({count}): the length must be 0 to {MAX_RANDOM_STRING:,}")
    return count


def _choice_items(items: Any, *, literal: bool = False) -> list[Any]:
    if not isinstance(items, list):
        raise RenderError(f"random_choice() needs a list, got {_shown(items)}")
    if not items:
        raise RenderError("random_choice() of an empty list has nothing to choose")
    return items


def _date_format(fmt: Any = None, *, literal: bool = False) -> str | None:
    if fmt is None:
        return None
    if not isinstance(fmt, str):
        raise RenderError(f"now() takes a date format text such as '%Y-%m-%d', got {_shown(fmt)}")
    position = fmt.find("%")
    while position >= 0:
        directive = fmt[position + 1:position + 2]
        if directive not in _DATE_DIRECTIVES or not directive:
            shown = "%" + directive if directive else "a lone '%' at the end"
            raise RenderError(f"now('{fmt}'): {shown} is not a date format directive "
                              "(use %Y %m %d %H %M %S %f %z ..., and %% for a percent sign)")
        position = fmt.find("%", position + 2)
    return fmt


def _random_int(low: Any, high: Any) -> int:
    return random.randint(*_random_int_arguments(low, high))


def _random_string(length: Any) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=_random_string_length(length)))


def _random_choice(items: Any) -> Any:
    return random.choice(_choice_items(items))


def _now(fmt: Any = None) -> str:
    moment = datetime.now(UTC)
    return moment.strftime(_date_format(fmt) or "") if fmt else moment.isoformat(timespec="milliseconds")


def _no_check(*args: Any, literal: bool = False) -> None:
    return None


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else to_text(value).encode("utf-8")


def _b64decode(value: Any) -> str:
    text = to_text(value).strip()
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    return data.decode("utf-8", "replace")


def _to_int(value: Any) -> int:
    if isinstance(value, str):
        text = value.strip()
        return int(float(text)) if re.fullmatch(r"-?[0-9]+\.0*", text) else int(text)
    return int(value)


def _random_email(domain: Any = "example.com") -> str:
    return f"user.{_random_string(10)}@{to_text(domain) or 'example.com'}"


@dataclass(frozen=True)
class Builtin:
    """A template function: what it computes, how many arguments it takes, and `check(*args,
    literal=...)`, which raises RenderError for arguments it cannot use (`literal`: as written in
    the spec, where '5' is text; otherwise from variables, where it counts as 5)."""

    function: Callable[..., Any]
    min_args: int
    max_args: int
    check: Callable[..., Any] = _no_check
    usage: str | None = None


#: Template functions by name (`{{ uuid() }}`). A new function is one entry here; the loader checks
#: calls against it and docs/reference.md lists them.
FUNCTIONS: dict[str, Builtin] = {
    "uuid": Builtin(lambda: str(uuid.uuid4()), 0, 0),
    "random_int": Builtin(_random_int, 2, 2, _random_int_arguments,
                          "random_int(low, high) takes two whole numbers, low <= high, e.g. random_int(1, 100)"),
    "random_string": Builtin(_random_string, 1, 1, _random_string_length,
                             f"random_string(n) takes a length from 0 to {MAX_RANDOM_STRING:,}, "
                             "e.g. random_string(12)"),
    "random_choice": Builtin(_random_choice, 1, 1, _choice_items,
                             "random_choice(list) takes a list with at least one item, "
                             "e.g. random_choice(['a', 'b'])"),
    "now": Builtin(_now, 0, 1, _date_format,
                   "now() gives ISO 8601 time; now(format) takes a strftime text such as now('%Y-%m-%d')"),
    "timestamp": Builtin(lambda: int(time.time()), 0, 0),
    "timestamp_ms": Builtin(lambda: int(time.time() * 1000), 0, 0),
    "base64": Builtin(lambda value: base64.b64encode(_bytes(value)).decode("ascii"), 1, 1),
    "base64url": Builtin(lambda value: base64.urlsafe_b64encode(_bytes(value)).decode("ascii").rstrip("="), 1, 1),
    "base64_decode": Builtin(_b64decode, 1, 1),
    "url_encode": Builtin(lambda value: urllib.parse.quote(to_text(value), safe=""), 1, 1),
    "url_decode": Builtin(lambda value: urllib.parse.unquote(to_text(value)), 1, 1),
    "md5": Builtin(lambda value: hashlib.md5(_bytes(value)).hexdigest(), 1, 1),  # noqa: S324 - a checksum, not security
    "sha1": Builtin(lambda value: hashlib.sha1(_bytes(value)).hexdigest(), 1, 1),  # noqa: S324
    "sha256": Builtin(lambda value: hashlib.sha256(_bytes(value)).hexdigest(), 1, 1),
    "hmac_sha256": Builtin(lambda key, text: hmac.new(_bytes(key), _bytes(text), hashlib.sha256).hexdigest(), 2, 2),
    "basic_auth": Builtin(lambda user, password: "Basic " + base64.b64encode(
        _bytes(to_text(user) + ":" + to_text(password))).decode("ascii"), 2, 2),
    "int": Builtin(_to_int, 1, 1),
    "float": Builtin(lambda value: float(value), 1, 1),
    "str": Builtin(lambda value: to_text(value), 1, 1),
    "bool": Builtin(lambda value: value.strip().lower() in ("1", "true", "yes", "on")
                    if isinstance(value, str) else bool(value), 1, 1),
    "json": Builtin(lambda value: json.dumps(value, separators=(",", ":"), ensure_ascii=False), 1, 1),
    "json_parse": Builtin(lambda value: json.loads(value) if isinstance(value, (str, bytes)) else value, 1, 1),
    "lower": Builtin(lambda value: to_text(value).lower(), 1, 1),
    "upper": Builtin(lambda value: to_text(value).upper(), 1, 1),
    "trim": Builtin(lambda value: to_text(value).strip(), 1, 1),
    "length": Builtin(lambda value: len(value) if value is not None else 0, 1, 1),
    "random_email": Builtin(_random_email, 0, 1),
    "random_uuid": Builtin(lambda: str(uuid.uuid4()), 0, 0),
    "random_float": Builtin(lambda low, high: random.uniform(float(low), float(high)), 2, 2),
}
#: Built-in functions: name -> (min args, max args).
BUILTIN_FUNCTIONS: dict[str, tuple[int, int]] = {name: (b.min_args, b.max_args) for name, b in FUNCTIONS.items()}


#: Names always defined for every user.
BUILTIN_VARIABLES: frozenset[str] = frozenset({"user_id", "iteration", "env"})

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_OPEN = "{{"
_CLOSE = "}}"


@dataclass(frozen=True)
class Ref:
    """A variable path: root name then keys or list indexes."""

    path: tuple[str | int, ...]
    offset: int

    @property
    def root(self) -> str:
        return str(self.path[0])

    @property
    def text(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass(frozen=True)
class Call:
    """A call to a built-in function with literal or variable arguments."""

    name: str
    args: tuple[Any, ...]
    offset: int


Expression = Ref | Call


@dataclass
class ParsedTemplate:
    """A string split into literal text and expressions, in order."""

    parts: list[str | Expression] = field(default_factory=list)

    @property
    def expressions(self) -> list[Expression]:
        return [p for p in self.parts if not isinstance(p, str)]

    @property
    def is_whole(self) -> bool:
        return len(self.parts) == 1 and not isinstance(self.parts[0], str)

    def refs(self) -> list[Ref]:
        """Every variable reference, including those inside call arguments."""
        found: list[Ref] = []
        for expr in self.expressions:
            if isinstance(expr, Ref):
                found.append(expr)
            else:
                found.extend(_refs_in(expr.args))
        return found


def _refs_in(args: Any) -> list[Ref]:
    """Variable references among call arguments, including inside list literals."""
    found: list[Ref] = []
    for arg in args:
        if isinstance(arg, Ref):
            found.append(arg)
        elif isinstance(arg, list):
            found.extend(_refs_in(arg))
    return found


class _Scanner:
    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def fail(self, message: str) -> TemplateError:
        return TemplateError(message, self.pos)


def _parse_ref_or_call(sc: _Scanner) -> Expression:
    start = sc.pos
    match = _IDENT.match(sc.text, sc.pos)
    if not match:
        raise sc.fail("expected a variable name or a built-in such as uuid()")
    name = match.group(0)
    sc.pos = match.end()
    if sc.take("("):
        args: list[Any] = []
        sc.skip_space()
        while not sc.take(")"):
            args.append(_parse_argument(sc))
            sc.skip_space()
            if sc.take(","):
                sc.skip_space()
            elif not sc.peek(")"):
                raise sc.fail(f"expected ',' or ')' in the arguments of {name}()")
        return Call(name, tuple(args), start)
    path: list[str | int] = [name]
    while True:
        if sc.take("."):
            part = re.compile(r"[0-9]+|[A-Za-z_][A-Za-z0-9_-]*").match(sc.text, sc.pos)
            if not part:
                raise sc.fail(f"expected a key or index after '{'.'.join(map(str, path))}.'")
            sc.pos = part.end()
            path.append(int(part.group(0)) if part.group(0).isdigit() else part.group(0))
        elif sc.take("["):
            number = re.compile(r"-?[0-9]+").match(sc.text, sc.pos)
            if not number or not sc.text.startswith("]", number.end()):
                raise sc.fail("expected a list index like [0]")
            path.append(int(number.group(0)))
            sc.pos = number.end() + 1
        else:
            return Ref(tuple(path), start)


def _parse_argument(sc: _Scanner) -> Any:
    for quote in ("'", '"'):
        if sc.take(quote):
            end = sc.text.find(quote, sc.pos)
            if end < 0:
                raise sc.fail("unterminated string argument")
            value = sc.text[sc.pos:end]
            sc.pos = end + 1
            return value
    number = _NUMBER.match(sc.text, sc.pos)
    if number:
        sc.pos = number.end()
        return float(number.group(0)) if "." in number.group(0) else int(number.group(0))
    if sc.take("["):
        items: list[Any] = []
        sc.skip_space()
        while not sc.take("]"):
            items.append(_parse_argument(sc))
            sc.skip_space()
            sc.take(",")
            sc.skip_space()
        return items
    expr = _parse_ref_or_call(sc)
    if isinstance(expr, Call):
        raise TemplateError("a built-in cannot take another built-in as argument", expr.offset)
    return expr


def parse_template(text: str) -> ParsedTemplate:
    """Split `text` into literal parts and expressions; raise TemplateError with the offset."""
    parsed = ParsedTemplate()
    pos = 0
    while True:
        start = text.find(_OPEN, pos)
        if start < 0:
            if pos < len(text):
                parsed.parts.append(text[pos:])
            return parsed
        if start > pos:
            parsed.parts.append(text[pos:start])
        sc = _Scanner(text, start + 2)
        sc.skip_space()
        if sc.peek(_CLOSE):
            raise TemplateError("empty template '{{ }}'", start)
        expr = _parse_ref_or_call(sc)
        sc.skip_space()
        if not sc.take(_CLOSE):
            if sc.pos >= len(text):
                raise TemplateError("template is not closed: add '}}'", start)
            if sc.peek("}"):
                raise sc.fail("template is closed with a single '}': write '}}'")
            raise sc.fail("unexpected text in template (only names and built-in calls are allowed)")
        parsed.parts.append(expr)
        pos = sc.pos


def check_call(call: Call, extensions: Mapping[str, Builtin] | None = None) -> str | None:
    """A message if `call` names an unknown built-in (or extension function), has the wrong number of
    arguments, or a literal argument the built-in cannot use (arguments that are variables are
    checked when the built-in runs)."""
    builtin = (extensions or {}).get(call.name) or FUNCTIONS.get(call.name)
    if builtin is None:
        return f"unknown built-in '{call.name}()'"
    low, high = builtin.min_args, builtin.max_args
    if not low <= len(call.args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        return f"{call.name}() takes {want} argument{'s' if high != 1 else ''}, got {len(call.args)}"
    try:
        if not any(isinstance(arg, Ref) for arg in call.args):
            builtin.check(*call.args, literal=True)
        elif call.name == "random_int":  # one literal bound can still be checked on its own
            for value in call.args:
                if not isinstance(value, Ref):
                    _whole(value, "random_int()", literal=True)
    except RenderError as exc:
        return str(exc)
    return None


def call_help(name: str) -> str | None:
    """How to call built-in `name` correctly, for the help line of a message."""
    builtin = FUNCTIONS.get(name)
    return builtin.usage if builtin else None


# --- Rendering ------------------------------------------------------------------------------


Variables = Mapping[str, Any]
Renderer = Callable[[Variables], Any]


@dataclass
class CompiledValue:
    """A value ready to render: `static` values are used as they are, others via `render`."""

    static: bool
    value: Any = None
    render: Renderer | None = None

    def get(self, variables: Variables) -> Any:
        return self.value if self.static else self.render(variables)  # type: ignore[misc]


class EnvLookup:
    """Resolves `env.NAME` at compile time and remembers every name that was missing; carries the
    spec's extension functions (`extensions:`), which templates may call like built-ins."""

    def __init__(self, env: Mapping[str, str], functions: Mapping[str, Builtin] | None = None):
        self.env = env
        self.missing: list[str] = []
        self.functions: Mapping[str, Builtin] = functions or {}

    def get(self, name: str) -> str:
        if name in self.env:
            return self.env[name]
        if name not in self.missing:
            self.missing.append(name)
        return ""


def to_text(value: Any) -> str:
    """How a value reads inside a longer string (JSON-style booleans, empty for null)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _getter(ref: Ref, env: EnvLookup) -> Renderer | Any:
    """A function reading `ref` from the variables, or the constant for `env.X`."""
    if ref.root == "env":
        if len(ref.path) != 2:
            raise TemplateError("use env.NAME to read an environment variable", ref.offset)
        return _Constant(env.get(str(ref.path[1])))
    root, rest, label = ref.root, ref.path[1:], ref.text
    if not rest:
        def read_name(variables: Variables) -> Any:
            try:
                return variables[root]
            except KeyError:
                raise RenderError(f"variable '{root}' is not set") from None
        return read_name

    def read_path(variables: Variables) -> Any:
        try:
            value = variables[root]
            for key in rest:
                value = value[key]
            return value
        except (KeyError, IndexError, TypeError):
            raise RenderError(f"'{label}' is not set") from None
    return read_path


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, with any exception it raises turned into a RenderError naming it: a failing
    built-in or extension function fails its step, never the user (and prints no traceback)."""
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except RenderError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever an extension raises fails the step
            raise RenderError(f"{name}() failed: {type(exc).__name__}: {exc}") from None
    return call


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _compile_expression(expr: Expression, env: EnvLookup) -> Renderer | _Constant:
    if isinstance(expr, Ref):
        return _getter(expr, env)
    problem = check_call(expr, env.functions)
    if problem:
        raise TemplateError(problem, expr.offset)
    builtin = env.functions.get(expr.name) or FUNCTIONS[expr.name]
    function = _guarded(expr.name, builtin.function)
    missing_before = len(env.missing)
    args = [_argument(a, env) for a in expr.args]
    if all(isinstance(a, _Constant) for a in args):
        values = [a.value for a in args]  # type: ignore[union-attr]
        if len(env.missing) > missing_before:  # reported as a missing env variable instead
            return lambda variables: function(*values)
        try:  # constant now that env.X is known: a bad argument is an error before the run
            builtin.check(*values)
        except RenderError as exc:
            raise TemplateError(str(exc), expr.offset) from None
        return lambda variables: function(*values)
    return lambda variables: function(
        *[a.value if isinstance(a, _Constant) else a(variables) for a in args]
    )


def _argument(arg: Any, env: EnvLookup) -> Renderer | _Constant:
    """A call argument: a constant, a variable, or a list literal that holds variables."""
    if isinstance(arg, Ref):
        return _getter(arg, env)
    if isinstance(arg, list) and _refs_in(arg):
        items = [_argument(item, env) for item in arg]
        return lambda variables: [i.value if isinstance(i, _Constant) else i(variables) for i in items]
    return _Constant(arg)


def compile_string(text: str, env: EnvLookup) -> CompiledValue:
    """Compile one string; raises TemplateError on a syntax error or unknown built-in."""
    if _OPEN not in text:
        return CompiledValue(True, text)
    parsed = parse_template(text)
    pieces: list[Any] = [
        part if isinstance(part, str) else _compile_expression(part, env) for part in parsed.parts
    ]
    pieces = [p.value if isinstance(p, _Constant) and not parsed.is_whole else p for p in pieces]
    if parsed.is_whole:
        only = pieces[0]
        if isinstance(only, _Constant):
            return CompiledValue(True, only.value)
        return CompiledValue(False, render=only)
    if all(not callable(p) for p in pieces):
        return CompiledValue(True, "".join(to_text(p) for p in pieces))
    pieces = [to_text(p) if not callable(p) else p for p in pieces]
    return CompiledValue(False, render=_text_renderer(pieces))


def _text_renderer(pieces: list[Any]) -> Renderer:
    """A renderer for text mixing literals and expressions; the common shapes get a direct one."""
    def text(value: Any) -> str:
        return value if value.__class__ is str else to_text(value)

    if len(pieces) == 2 and pieces[0].__class__ is str:  # "Bearer {{ token }}", "/items/{{ id }}"
        prefix, read = pieces
        return lambda variables: prefix + text(read(variables))
    if len(pieces) == 3 and pieces[0].__class__ is str and pieces[2].__class__ is str:  # "/a/{{ id }}/b"
        prefix, read, suffix = pieces
        return lambda variables: prefix + text(read(variables)) + suffix

    def render_text(variables: Variables) -> str:
        return "".join([p if p.__class__ is str else text(p(variables)) for p in pieces])

    return render_text


def compile_value(value: Any, env: EnvLookup) -> CompiledValue:
    """Compile a whole YAML value (mappings and lists leaf by leaf)."""
    if isinstance(value, str):
        return compile_string(value, env)
    if isinstance(value, dict):
        items = [(key, compile_value(item, env)) for key, item in value.items()]
        if all(c.static for _, c in items):
            return CompiledValue(True, {key: c.value for key, c in items})
        def render_mapping(variables: Variables) -> dict[str, Any]:
            return {key: c.value if c.static else c.render(variables)  # type: ignore[misc]
                    for key, c in items}

        return CompiledValue(False, render=render_mapping)
    if isinstance(value, list):
        compiled = [compile_value(item, env) for item in value]
        if all(c.static for c in compiled):
            return CompiledValue(True, [c.value for c in compiled])
        return CompiledValue(False, render=lambda variables: [c.get(variables) for c in compiled])
    return CompiledValue(True, value)


__all__ = ["BUILTIN_FUNCTIONS", "BUILTIN_VARIABLES", "Builtin", "Call", "CompiledValue", "EnvLookup", "Expression",
           "FUNCTIONS", "MAX_RANDOM_STRING", "ParsedTemplate", "Ref", "RenderError", "Renderer", "Variables",
           "call_help", "check_call",
           "compile_string", "compile_value", "parse_template", "to_text"]
