"""Postman variables in loadspec terms: scopes, `{{name}}` → `{{ name }}`, dynamic variables, JSON with variables.

Its one job is text: resolving a Postman variable through its scopes (request, folders, collection,
environment), writing a folder's or request's own value into the text where it differs from the
collection's, turning the rest into loadspec templates (renamed to template names, dynamic
`{{$guid}}`-style variables into built-ins), resolving text statically where it can (for the host),
and parsing raw JSON bodies that hold `{{var}}` as bare values. No I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..common import ImportSummary, VariableNames

__all__ = ["DYNAMIC", "VAR", "Converter", "Scope", "json_with_variables", "pairs", "typed", "unmark", "variable_list"]

# --- variables ----------------------------------------------------------------------------------

VAR = re.compile(r"\{\{([^{}]+?)\}\}")
DYNAMIC = {
    "$guid": "{{ uuid() }}", "$randomUUID": "{{ uuid() }}", "$timestamp": "{{ timestamp() }}",
    "$isoTimestamp": "{{ now() }}", "$randomInt": "{{ random_int(0, 1000) }}",
    "$randomAlphaNumeric": "{{ random_string(1) }}", "$randomBoolean": "{{ random_choice(['true', 'false']) }}",
    "$randomEmail": "{{ random_string(10) }}@example.com", "$randomExampleEmail": "{{ random_string(10) }}@example.com",
    "$randomUserName": "{{ random_string(8) }}", "$randomFirstName": "{{ random_string(6) }}",
    "$randomLastName": "{{ random_string(8) }}", "$randomFullName": "{{ random_string(6) }} {{ random_string(8) }}",
    "$randomPassword": "{{ random_string(12) }}", "$randomWord": "{{ random_string(6) }}",
    "$randomWords": "{{ random_string(6) }} {{ random_string(6) }}",
    "$randomPhoneNumber": "{{ random_int(2000000000, 9999999999) }}",
    "$randomPrice": "{{ random_int(1, 999) }}.99", "$randomColor": "{{ random_choice(['red', 'green', 'blue']) }}",
}
EXACT_DYNAMIC = frozenset({"$guid", "$randomUUID", "$timestamp", "$isoTimestamp", "$randomInt", "$randomAlphaNumeric",
                            "$randomBoolean"})


def pairs(value: Any) -> list[dict[str, Any]]:
    """Postman key/value lists (variables, headers, query, urlencoded), skipping disabled and malformed items."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and not item.get("disabled")
            and item.get("enabled", True) is not False and isinstance(item.get("key", item.get("id")), str)]


def variable_list(value: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in pairs(value):
        key = item.get("key", item.get("id"))
        found[str(key)] = "" if item.get("value") is None else item.get("value")
    return found


def typed(value: Any) -> Any:
    """A variable value as the spec's variables hold it: `"2"` → 2, `"true"` → True (so that a
    `{{qty}}` written as a JSON number stays a number); anything else unchanged."""
    if isinstance(value, str):
        if re.fullmatch(r"-?(0|[1-9]\d{0,15})", value):
            return int(value)
        if value in ("true", "false"):
            return value == "true"
    return value


@dataclass
class Scope:
    """Variables visible at one level: the folder/request's own, over its parent's."""

    own: dict[str, Any] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.own:
                return True, scope.own[name]
            scope = scope.parent
        return False, None


class Converter:
    """Turns Postman text (`{{baseUrl}}/users/{{id}}`) into loadspec text (`{{ baseUrl }}/users/{{ id }}`)."""

    def __init__(self, globals_: dict[str, Any], runtime: set[str], names: VariableNames, summary: ImportSummary):
        self.globals = globals_  # name -> value: collection, then environment over it
        self.runtime = runtime  # names some script sets
        self.names = names
        self.summary = summary
        self.used: set[str] = set()
        self.undefined: set[str] = set()
        self.approximated: set[str] = set()

    def inline(self, text: str, scope: Scope | None, depth: int = 0) -> str:
        """Write folder/request-scoped values that differ from the collection's into the text."""
        if depth > 8 or "{{" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name not in self.runtime:
                if scope is not None:
                    found, value = scope.lookup(name)
                    if found and (name not in self.globals or self.globals[name] != value):
                        return self.inline(str(value), scope, depth + 1)
                held = self.globals.get(name)
                if isinstance(held, str) and "{{" in held:  # a variable made of variables: expanded where used
                    return self.inline(held, scope, depth + 1)
            return match.group(0)
        return VAR.sub(replace, text)

    def template(self, text: str, scope: Scope | None) -> str:
        """Postman text → loadspec text."""
        text = self.inline(text, scope)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("$"):
                if name not in DYNAMIC:
                    self.approximated.add(name)
                    return "{{ random_string(8) }}"
                if name not in EXACT_DYNAMIC:
                    self.approximated.add(name)
                return DYNAMIC[name]
            self.used.add(name)
            if name not in self.globals and name not in self.runtime:
                self.undefined.add(name)
            return "{{ " + self.names(name) + " }}"
        return VAR.sub(replace, text)

    def value(self, value: Any, scope: Scope | None) -> Any:
        if isinstance(value, str):
            return self.template(value, scope)
        if isinstance(value, dict):
            return {str(self.template(str(k), scope)): self.value(v, scope) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, scope) for v in value]
        return value

    def static(self, text: str, scope: Scope | None, depth: int = 0) -> str | None:
        """The text with every variable resolved from the collection/environment, or None when a
        variable is set at run time, dynamic or unknown."""
        text = self.inline(text, scope)
        if depth > 8:
            return None
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            name = match.group(1).strip()
            if name in self.runtime or name.startswith("$") or name not in self.globals:
                missing = True
                return ""
            resolved = self.static(str(self.globals[name]), None, depth + 1)
            if resolved is None:
                missing = True
                return ""
            return resolved
        out = VAR.sub(replace, text)
        return None if missing else out


# --- JSON bodies with {{variables}} ---------------------------------------------------------------

MARK = "\x00lsv{}\x00"


def json_with_variables(text: str) -> tuple[Any, list[str]] | None:
    """Parse raw JSON that may hold `{{var}}` inside strings or as bare values (`"qty": {{qty}}`):
    each variable becomes a marker first; None when it is not JSON even so."""
    found: list[str] = []
    out: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        if text.startswith("{{", i):
            end = text.find("}}", i + 2)
            if end > 0 and "{" not in text[i + 2:end] and "\n" not in text[i + 2:end]:
                found.append(text[i:end + 2])
                mark = MARK.format(len(found) - 1).replace("\x00", "\\u0000")
                out.append(mark if in_string else f'"{mark}"')
                i = end + 2
                continue
        char = text[i]
        if in_string and char == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        i += 1
    try:
        return json.loads("".join(out)), found
    except ValueError:
        return None


def unmark(value: Any, found: list[str]) -> Any:
    if isinstance(value, str):
        for index, original in enumerate(found):
            value = value.replace(MARK.format(index), original)
        return value
    if isinstance(value, dict):
        return {unmark(k, found): unmark(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [unmark(v, found) for v in value]
    return value
