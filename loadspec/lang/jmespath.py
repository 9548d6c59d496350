"""JMESPath for loadspec: compile expressions with our extra functions, and check them at load time.

`check_jmespath` finds syntax errors (with the column inside the expression), unknown functions and
wrong argument counts, which plain `jmespath.compile` only discovers when a response arrives. It
also flags the classic trap `a == "x"` (a quoted identifier, not a string), also as a whole
expression (`"items"`) or a function argument (`contains(tags, "x")`). `compile_jmespath`
returns an object whose `search(data)` runs with loadspec's functions. No I/O.
"""

from __future__ import annotations

import difflib
import random
import re
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions, functions


class LoadspecFunctions(functions.Functions):
    """JMESPath's standard functions plus a few that captures commonly need."""

    @functions.signature({"types": ["array"]})
    def _func_random_item(self, items: list[Any]) -> Any:
        return random.choice(items) if items else None

    @functions.signature({"types": ["string"]})
    def _func_lower(self, text: str) -> str:
        return text.lower()

    @functions.signature({"types": ["string"]})
    def _func_upper(self, text: str) -> str:
        return text.upper()


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPTIONS = jmespath.Options(custom_functions=LoadspecFunctions())
_TABLE: dict[str, Any] = LoadspecFunctions.FUNCTION_TABLE


class CompiledJmespath:
    """A parsed expression bound to loadspec's functions."""

    __slots__ = ("expression", "_parsed")

    def __init__(self, expression: str):
        self.expression = expression
        self._parsed = jmespath.compile(expression)

    def search(self, data: Any) -> Any:
        return self._parsed.search(data, options=_OPTIONS)


class PathLookup:
    """A plain chain of keys and list positions (`a.b[0].c`), read without JMESPath's tree walk.

    Same results as JMESPath: a key of a non-object, or a position outside a list, is null."""

    __slots__ = ("expression", "steps")

    def __init__(self, expression: str, steps: list[str | int]):
        self.expression = expression
        self.steps = steps

    def search(self, data: Any) -> Any:
        for step in self.steps:
            if step.__class__ is str:
                if data.__class__ is not dict:
                    return None
                data = data.get(step)
            else:
                if data.__class__ is not list or not -len(data) <= step < len(data):  # type: ignore[operator]
                    return None
                data = data[step]
        return data


def _plain_path(node: dict[str, Any]) -> list[str | int] | None:
    kind = node.get("type")
    if kind == "field":
        return [node["value"]]
    if kind in ("subexpression", "index_expression"):
        steps: list[str | int] = []
        for child in node.get("children", []):
            if child.get("type") == "index":
                steps.append(int(child["value"]))
                continue
            inner = _plain_path(child)
            if inner is None:
                return None
            steps.extend(inner)
        return steps
    return None


class LengthLookup:
    """`length(a.b)` over a plain path, without the tree walk; a non-sized value is JMESPath's
    type error, exactly as `length()` raises it."""

    __slots__ = ("expression", "path")

    def __init__(self, expression: str, steps: list[str | int]):
        self.expression = expression
        self.path = PathLookup(expression, steps)

    def search(self, data: Any) -> Any:
        value = self.path.search(data)
        if value.__class__ in (list, str, dict):
            return len(value)
        return _LENGTH.search(value)  # JMESPath's own type error for length() of anything else


_LENGTH = jmespath.compile("length(@)")


def compile_jmespath(expression: str) -> CompiledJmespath | PathLookup | LengthLookup:
    """Compile once; call `.search(data)` per response. Plain paths (and `length()` of one)
    become direct lookups with the same results."""
    compiled = CompiledJmespath(expression)
    tree = compiled._parsed.parsed
    if tree.get("type") == "function_expression" and tree.get("value") == "length" \
            and len(tree.get("children", [])) == 1:
        inner = _plain_path(tree["children"][0])
        if inner:
            return LengthLookup(expression, inner)
    steps = _plain_path(tree)
    return PathLookup(expression, steps) if steps else compiled


def _arity(name: str) -> tuple[int, int | None]:
    signature = _TABLE[name]["signature"]
    variadic = any(arg.get("variadic") for arg in signature)
    return len(signature), (None if variadic else len(signature))


def _walk(node: Any, expression: str) -> tuple[int, str, str | None] | None:
    if not isinstance(node, dict):
        return None
    if node.get("type") == "function_expression":
        name = node.get("value")
        offset = max(expression.find(f"{name}("), 0)
        if name not in _TABLE:
            close = difflib.get_close_matches(str(name), list(_TABLE), n=1)
            return offset, f"unknown function '{name}()'", (
                f"did you mean '{close[0]}()'?" if close else "see the JMESPath function list in docs/reference.md")
        low, high = _arity(name)
        count = len(node.get("children", []))
        if count < low or (high is not None and count > high):
            want = f"{low}" if low == high else f"at least {low}"
            return offset, f"{name}() takes {want} argument{'s' if low != 1 else ''}, got {count}", None
    if node.get("type") in ("comparator", "function_expression"):
        for child in node.get("children", []):
            if isinstance(child, dict) and child.get("type") == "field":
                quoted = f'"{child.get("value")}"'
                position = expression.find(quoted)
                plain = _PLAIN.fullmatch(str(child.get("value")))
                if position >= 0 and (node.get("type") == "comparator" or plain):
                    return position, f"{quoted} is a field name in JMESPath, not a string", (
                        f"write '{child.get('value')}' (single quotes) to compare with text")
    for child in node.get("children", []):
        found = _walk(child, expression)
        if found:
            return found
    return None


_DASHED = re.compile(r'(?<!["\w])([A-Za-z_][\w]*(?:-[\w]+)+)(?!["\w])')


def _dashed_key_hint(expression: str) -> str:
    """How to write a key with a dash: double quotes inside the expression, and the whole
    expression in single quotes in YAML, e.g. json: 'headers."X-Api-Key"'."""
    fixed = _DASHED.sub(lambda m: f'"{m.group(1)}"', expression)
    if fixed == expression:
        return 'a key with a dash must be quoted inside the expression: json: \'headers."Content-Type"\''
    return (f"a key with a dash must be quoted inside the expression, and the expression in YAML: "
            f"json: '{fixed}'")


@lru_cache(maxsize=4096)
def check_jmespath(expression: str) -> tuple[int, str, str | None] | None:
    """(offset, message, help) for the first problem in `expression`, or None when it is fine."""
    try:
        parsed = jmespath.compile(expression)
    except RecursionError:
        return 0, "the expression is nested too deeply", "split it into simpler expressions"
    except exceptions.JMESPathError as exc:
        offset = getattr(exc, "lex_position", 0) or 0
        token = getattr(exc, "token_value", None)
        if isinstance(exc, exceptions.IncompleteExpressionError) or getattr(exc, "token_type", None) == "EOF":
            message = "the expression is incomplete"
        elif isinstance(exc, exceptions.LexerError):
            message = f"unexpected character '{expression[offset:offset + 1]}'"
        else:
            message = f"unexpected {token!r}" if token is not None else "syntax error"
        hint = None
        if expression.startswith("$"):
            hint = "JMESPath has no '$' root: write data.id, not $.data.id"
        elif token is not None and str(token).lstrip("-").replace(".", "").isdigit():
            hint = f"number literals need backticks in JMESPath: `{token}`"
        elif "-" in expression[offset:offset + 1] or re.search(r"\w-\w", expression):
            hint = _dashed_key_hint(expression)
        return min(offset, len(expression)), message, hint
    tree = parsed.parsed
    stripped = expression.strip()
    if tree.get("type") == "field" and stripped.startswith('"') and _PLAIN.fullmatch(str(tree.get("value"))):
        value = tree.get("value")
        return expression.find('"'), f'"{value}" is a field name in JMESPath, not a string', (
            f"write {value} (no quotes) to read the field; a text literal takes single quotes: '{value}'")
    try:
        return _walk(tree, expression)
    except RecursionError:
        return 0, "the expression is nested too deeply", "split it into simpler expressions"


__all__ = ["CompiledJmespath", "LengthLookup", "LoadspecFunctions", "PathLookup", "check_jmespath",
           "compile_jmespath"]
