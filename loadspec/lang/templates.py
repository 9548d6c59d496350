"""The `{{ ... }}` template language: parse once, render many times without parsing.

`parse_template` turns text into literal parts and expressions (a variable path such as
`users.email` or `items.0.id`, or a call to a closed set of built-ins). `compile_value` turns any
YAML value (string, list, mapping) into a `CompiledValue` whose `render(variables)` is plain Python
over prepared pieces. A value that is exactly one template keeps the variable's type. There is no
expression language and no `eval`.
"""

from __future__ import annotations

import random
import re
import string
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import TemplateError


def _random_string(length: Any) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=int(length)))


def _now(fmt: Any = None) -> str:
    moment = datetime.now(UTC)
    return moment.strftime(fmt) if fmt else moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Builtin:
    """A template function: what it computes and how many arguments it takes."""

    function: Callable[..., Any]
    min_args: int
    max_args: int


#: Template functions by name (`{{ uuid() }}`). A new function is one entry here; the loader checks
#: calls against it and docs/reference.md lists them.
FUNCTIONS: dict[str, Builtin] = {
    "uuid": Builtin(lambda: str(uuid.uuid4()), 0, 0),
    "random_int": Builtin(lambda low, high: random.randint(int(low), int(high)), 2, 2),
    "random_string": Builtin(_random_string, 1, 1),
    "random_choice": Builtin(lambda items: random.choice(items) if items else None, 1, 1),
    "now": Builtin(_now, 0, 1),
    "timestamp": Builtin(lambda: int(time.time()), 0, 0),
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
                found.extend(arg for arg in expr.args if isinstance(arg, Ref))
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
            raise sc.fail("unexpected text in template (only names and built-in calls are allowed)")
        parsed.parts.append(expr)
        pos = sc.pos


def check_call(call: Call) -> str | None:
    """A message if `call` names an unknown built-in or has the wrong number of arguments."""
    if call.name not in BUILTIN_FUNCTIONS:
        return f"unknown built-in '{call.name}()'"
    low, high = BUILTIN_FUNCTIONS[call.name]
    if not low <= len(call.args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        return f"{call.name}() takes {want} argument{'s' if high != 1 else ''}, got {len(call.args)}"
    return None


# --- Rendering ------------------------------------------------------------------------------


class RenderError(Exception):
    """A variable used by a template is not set for this user (e.g. its capture failed)."""


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
    """Resolves `env.NAME` at compile time and remembers every name that was missing."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.missing: list[str] = []

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


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _compile_expression(expr: Expression, env: EnvLookup) -> Renderer | _Constant:
    if isinstance(expr, Ref):
        return _getter(expr, env)
    problem = check_call(expr)
    if problem:
        raise TemplateError(problem, expr.offset)
    function = FUNCTIONS[expr.name].function
    args = [_getter(a, env) if isinstance(a, Ref) else _Constant(a) for a in expr.args]
    if all(isinstance(a, _Constant) for a in args):
        values = [a.value for a in args]  # type: ignore[union-attr]
        return lambda variables: function(*values)
    return lambda variables: function(
        *[a.value if isinstance(a, _Constant) else a(variables) for a in args]
    )


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
           "FUNCTIONS", "ParsedTemplate", "Ref", "RenderError", "Renderer", "Variables", "check_call",
           "compile_string", "compile_value", "parse_template", "to_text"]
