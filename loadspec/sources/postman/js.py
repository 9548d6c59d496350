"""Just enough JavaScript for Postman scripts: statements, string and object literals, brackets, regexes.

Its one job is reading the text of a script the way the translator needs it, without running it:
split it into top-level statements (comments, strings and brackets respected), read literal values
(strings, numbers, arrays, object literals, `pm.environment.get('x')` as a template), split argument
lists and find closing brackets. Anything it cannot read raises `Untranslatable`. No I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["GETTERS", "STRING", "Context", "Untranslatable", "closing", "dotted", "js_regex", "split_args",
           "split_top", "statements", "strip_comments", "tokens", "unquote"]

class Untranslatable(Exception):
    """A statement (or a part of it) that the translator does not understand; it is kept as a comment."""


# --- splitting JavaScript into statements -------------------------------------------------------

OPENERS, CLOSERS = frozenset("([{"), frozenset(")]}")


def tokens(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """The script from `start` as (index, token) pairs: a whole string literal, a whole comment, or one
    other character. Every scan below walks these, so strings and comments are opaque to all of them."""
    i, end_of_text = start, len(text)
    while i < end_of_text:
        char = text[i]
        if char in "'\"`":
            end = i + 1
            while end < end_of_text and text[end] != char:
                end += 2 if text[end] == "\\" else 1
            end = min(end + 1, end_of_text)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = end_of_text if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = end_of_text if end < 0 else end + 2
        else:
            end = i + 1
        yield i, text[i:end]
        i = end


def _is_comment(token: str) -> bool:
    return token.startswith(("//", "/*"))


def strip_comments(text: str) -> str:
    return "".join(token for _, token in tokens(text) if not _is_comment(token))


_CONTINUES_NEXT = (".", "?", ":", "&&", "||", "+")  # a line starting so continues the statement before it
_CONTINUES_PREVIOUS = ("=", "(", ",", "+", "&&", "||")  # a line ending so goes on on the next line
_BLOCK_GOES_ON = (")", ".", ",", "else", "catch", "finally")  # `}` followed by these does not end a statement


def statements(text: str) -> list[str]:
    """Top-level statements of a script: split at `;` and at line ends outside brackets and strings
    (a line starting with `.` continues the statement before it)."""
    text = strip_comments(text)
    found: list[str] = []
    depth, start = 0, 0
    for i, token in tokens(text):
        if token in OPENERS:
            depth += 1
        elif token in CLOSERS:
            depth -= 1
            if depth == 0 and token == "}" and not text[i + 1:].lstrip().startswith(_BLOCK_GOES_ON):
                found.append(text[start:i + 1])
                start = i + 1
        elif depth <= 0 and (token == ";" or (token == "\n"
                                              and not text[i + 1:].lstrip().startswith(_CONTINUES_NEXT)
                                              and not text[start:i].rstrip().endswith(_CONTINUES_PREVIOUS))):
            found.append(text[start:i])
            start, depth = i + 1, 0
    found.append(text[start:])
    return [s.strip() for s in found if s.strip() and s.strip() not in (";", "}", ")", "});", "})")]


# --- reading JavaScript values ------------------------------------------------------------------

STRING = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`$]*`)"""
GETTERS = re.compile(r"^(?:pm\.(?:environment|variables|collectionVariables|globals|iterationData)\.get|"
                      r"postman\.get(?:Environment|Global)Variable|environment|globals|data)\s*"
                      r"[\(\[]\s*(" + STRING + r")\s*[\)\]]$")


def unquote(text: str) -> str:
    """The value of a JavaScript string literal; Untranslatable for escapes JSON does not share."""
    text = text.strip()
    if text[:1] == "`":
        return text[1:-1]
    try:
        if text[:1] == "'":
            inner = text[1:-1].replace('\\"', '"').replace("\\'", "'")
            return str(json.loads('"' + inner.replace('"', '\\"') + '"'))
        return str(json.loads(text))
    except ValueError:
        raise Untranslatable(text) from None


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments."""
    args = split_top(text, ",")
    return args[:-1] if not args[-1] else args


class Context:
    def __init__(self, var_name: Callable[[str], str]):
        self.aliases: dict[str, str | None] = {}  # JS name -> JMESPath-ish path ('' = root); None = not JSON
        self.constants: dict[str, Any] = {}  # JS name -> literal value (`var schema = {...}`)
        self.var_name = var_name

    def literal(self, text: str) -> Any:
        """A JavaScript literal (or a variable getter, as a template) as a Python value."""
        text = text.strip()
        getter = GETTERS.match(text)
        if getter:
            return "{{ " + self.var_name(unquote(getter.group(1))) + " }}"
        if re.fullmatch(STRING, text, re.S):
            return unquote(text)
        if text in self.constants:
            return self.constants[text]
        if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
            return json.loads(text)
        if text in ("true", "false", "null"):
            return json.loads(text)
        if text == "undefined":
            return None
        if text[:1] in ("[", "{"):
            inner = text[1:-1].strip()
            if text[:1] == "[":
                return [self.literal(item) for item in split_args(inner)] if inner else []
            out: dict[str, Any] = {}
            for item in split_args(inner):
                key, sep, value = item.partition(":")
                if not sep:
                    raise Untranslatable(text)
                key = key.strip()
                out[unquote(key) if key[:1] in "'\"`" else key] = self.literal(value)
            return out
        raise Untranslatable(text)


def closing(text: str, start: int) -> int:
    """The index of the bracket that closes the one at `start`."""
    depth = 0
    for i, token in tokens(text, start):
        if token in OPENERS:
            depth += 1
        elif token in CLOSERS:
            depth -= 1
            if depth == 0:
                return i
    raise Untranslatable(text)


def js_regex(text: str) -> str:
    match = re.fullmatch(r"/(.*)/([a-z]*)", text.strip(), re.S)
    if not match:
        raise Untranslatable(text)
    pattern, flags = match.group(1).replace("\\/", "/"), match.group(2)
    return ("(?i)" if "i" in flags else "") + pattern


def dotted(path: str) -> list[str | int]:
    members: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        members.append(int(part[1:-1]) if part.startswith("[") else part)
    return members


def split_top(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` outside brackets and strings, each part stripped."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, token in tokens(text):
        if token in OPENERS:
            depth += 1
        elif token in CLOSERS:
            depth -= 1
        elif depth == 0 and i >= start and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
    parts.append(text[start:])
    return [p.strip() for p in parts]
