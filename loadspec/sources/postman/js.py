"""Just enough JavaScript for Postman scripts: statements, string and object literals, brackets, regexes.

Its one job is reading the text of a script the way the translator needs it, without running it:
split it into top-level statements (comments, strings and brackets respected), read literal values
(strings, numbers, arrays, object literals, `pm.environment.get('x')` as a template), split argument
lists and find closing brackets. Anything it cannot read raises `Untranslatable`. No I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["GETTERS", "STRING", "Context", "Untranslatable", "closing", "dotted", "js_regex", "split_args",
           "split_top", "statements", "unquote"]

class Untranslatable(Exception):
    """A statement (or a part of it) that the translator does not understand; it is kept as a comment."""


# --- splitting JavaScript into statements -------------------------------------------------------


def strip_comments(text: str) -> str:
    out: list[str] = []
    i, quote = 0, ""
    while i < len(text):
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if char == quote:
                quote = ""
            i += 1
            continue
        if char in "'\"`":
            quote = char
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def statements(text: str) -> list[str]:
    """Top-level statements of a script: split at `;` and at line ends outside brackets and strings
    (a line starting with `.` continues the statement before it)."""
    text = strip_comments(text)
    found: list[str] = []
    current: list[str] = []
    depth, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            current.append(char)
            if char == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 2
                continue
            if char == quote:
                quote = ""
            i += 1
            continue
        if char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0 and char == "}":
                current.append(char)
                rest = text[i + 1:].lstrip()
                if not rest.startswith((")", ".", ",", "else", "catch", "finally")):
                    found.append("".join(current))
                    current = []
                i += 1
                continue
        if depth <= 0 and (char == ";" or (char == "\n" and not text[i + 1:].lstrip().startswith((".", "?", ":",
                                                                                                    "&&", "||", "+")))
                           and not "".join(current).rstrip().endswith(("=", "(", ",", "+", "&&", "||"))):
            found.append("".join(current))
            current = []
            depth = 0
            i += 1
            continue
        current.append(char)
        i += 1
    found.append("".join(current))
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
    args: list[str] = []
    current: list[str] = []
    depth, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            current.append(char)
            if char == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
            current.append(char)
        elif char in "([{":
            depth += 1
            current.append(char)
        elif char in ")]}":
            depth -= 1
            current.append(char)
        elif char == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    if "".join(current).strip():
        args.append("".join(current).strip())
    return args


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
    depth, quote, i = 0, "", start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
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


def split_top(text: str, token: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(token, i):
            parts.append(text[start:i])
            start = i + len(token)
            i += len(token)
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]
