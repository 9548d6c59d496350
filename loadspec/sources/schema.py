"""The published JSON Schema: load it once and turn its validation errors into diagnostics.

Each jsonschema error becomes one `Diagnostic` pointing at the exact key or value in the YAML,
with wording a QA engineer understands ("unknown key 'retires'", did-you-mean, allowed values,
YAML coercions explained). Structure only: meaning is checked by the loader.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from ..errors import Diagnostic
from ..lang.text import did_you_mean
from .yaml_reader import YamlDocument

_TYPE_NAMES = {
    "string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "array": "a list", "object": "a mapping", "null": "nothing",
}


def schema_text() -> str:
    """The schema exactly as published."""
    return resources.files("loadspec").joinpath("loadspec.schema.json").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The schema as data."""
    return json.loads(schema_text())


@lru_cache(maxsize=1)
def _validator() -> Draft7Validator:
    return Draft7Validator(schema())


@lru_cache(maxsize=1)
def _fast_check() -> Any:
    """A compiled validity check (fastjsonschema); jsonschema explains the invalid files only."""
    return fastjsonschema.compile(schema(), use_default=False)  # never write defaults into the data


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) < 40 else "a text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


#: Words from other tools (Hurl, k6, Postman, Jest) for a key loadspec names otherwise.
_SYNONYMS = {
    "equals": "eq", "equal": "eq", "is": "eq", "==": "eq", "not_equals": "ne", "not_equal": "ne",
    "greater_than": "gt", "less_than": "lt", "above": "gt", "below": "lt", "min": "gte", "max": "lte",
    "regex_match": "matches", "match": "matches", "includes": "contains", "has": "contains",
    "one_of": "in", "any_of": "in", "size_of": "length", "len": "length", "count": "length",
    "method": "get", "url": "get", "path": "get", "verify_ssl": "verify_tls", "insecure": "verify_tls",
    "wait": "think_time", "sleep": "think_time", "vus": "users", "rate": "spawn_rate", "ramp_up": "stages",
}


def _suggest(word: str, choices: list[str]) -> str | None:
    synonym = _SYNONYMS.get(str(word).lower())
    if synonym in choices:
        return f"did you mean '{synonym}'?"
    close = did_you_mean(word, choices)
    return f"did you mean '{close}'?" if close else None


_ITEM_NAMES = {"steps": "a step", "setup": "a step", "assert": "an assertion",
               "scenarios": "a scenario", "stages": "a stage", "thresholds": "a threshold"}


def _describe_place(path: tuple[Any, ...]) -> str:
    if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in _ITEM_NAMES:
        return f" in {_ITEM_NAMES[path[-2]]}"
    if len(path) >= 2 and path[-2] == "capture":
        return f" in capture '{path[-1]}'"
    named = [p for p in path if isinstance(p, str)]
    return f" in '{named[-1]}'" if named else " at the top level"


def _unwrap(error: ValidationError) -> ValidationError:
    """For 'scalar or object' anyOf shapes, show the most relevant branch's error."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if deeper:
            error = best_match(deeper)
            continue
        patterns = [e for e in error.context if e.validator == "pattern"]
        if patterns:
            return patterns[0]
        # The branch whose type fits the value explains the problem ("unknown key", ...).
        fitting = [e for e in error.context if e.validator != "type"]
        return best_match(fitting) if fitting else error
    return error


def _diagnose(error: ValidationError, doc: YamlDocument) -> list[Diagnostic]:
    error = _unwrap(error)
    path = tuple(error.absolute_path)
    kind, instance = error.validator, error.instance
    if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
        where, width = doc.location(path + (instance,), key=True)
        return [Diagnostic(where, f"'{instance}' is not a valid name",
                           "names start with a letter or _ and contain only letters, digits and _ "
                           f"(e.g. {re.sub(r'[^A-Za-z0-9_]', '_', str(instance))})", width)]
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = [key for key in instance if key not in allowed]
        found = []
        for key in extras:
            where, width = doc.location(path + (key,), key=True)
            hint = _suggest(str(key), allowed)
            if not hint and allowed:
                hint = "allowed keys here: " + ", ".join(allowed)
            found.append(Diagnostic(where, f"unknown key '{key}'{_describe_place(path)}", hint, width))
        return found
    where, width = doc.location(path, key=bool(path))
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        schema = error.schema  # a branch of "users or rate" (anyOf) names its keys in the object's schema
        if error.parent is not None and error.parent.validator in ("anyOf", "oneOf"):
            schema = error.parent.schema
        allowed = sorted(schema.get("properties", {}))
        if isinstance(instance, dict) and schema.get("additionalProperties") is False and any(
                key not in allowed and did_you_mean(str(key), [missing])
                for key in instance):
            return []  # a misspelt key stands for it: "unknown key ... did you mean" says it all
        place = _describe_place(path).replace(" in ", " to ") if path else " at the top level"
        return [Diagnostic(where, f"missing required key '{missing}'", f"add '{missing}:'{place}", width)]
    where, width = doc.location(path)
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        hint = _suggest(str(instance), options) or ""
        message = f"{_kind(instance)} is not allowed here; expected one of: {', '.join(options)}"
        return [Diagnostic(where, message, hint or None, width)]
    if kind == "type":
        expected = error.validator_value
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in (expected if isinstance(expected, list) else [expected]))
        hint = None
        if isinstance(instance, bool) and "string" in str(expected):
            hint = "YAML reads yes/no/on/off/true/false as booleans; quote the value to keep it as text"
        elif isinstance(instance, (int, float)) and "string" in str(expected):
            hint = "quote the value to keep it as text"
        elif instance is None:
            hint = "the value is empty; write it after the colon, or remove the key"
        return [Diagnostic(where, f"expected {names}, got {_kind(instance)}", hint, width)]
    if kind == "pattern":
        pattern = str(error.validator_value)
        if "ms|s|m|h" in pattern and path and path[-1] in ("gt", "gte", "lt", "lte"):
            return [Diagnostic(where, f"'{instance}' is not a number (nor a duration such as 800ms)",
                               "gt, gte, lt and lte compare numbers; quote nothing: {gt: 0}", width)]
        if "ms|s|m|h" in pattern:
            return [Diagnostic(where, f"'{instance}' is not a duration",
                               "write a number with a unit: 800ms, 30s, 2m or 1h; ranges as 1s..3s",
                               width)]
        if path and path[0] in ("thresholds", "environments"):
            return []  # the loader reads threshold expressions with precise messages
        if "status" in path:
            return [Diagnostic(where, f"'{instance}' is not a status; write a code (200) or a class (2xx)",
                               None, width)]
        return [Diagnostic(where, f"'{instance}' is not in the expected format", None, width)]
    if kind == "const":
        return [Diagnostic(where, f"expected {error.validator_value!r}, got {_kind(instance)}",
                           None, width)]
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "exclusiveMinimum": "more than",
                 "maximum": "at most", "exclusiveMaximum": "less than"}[kind]
        return [Diagnostic(where, f"{_kind(instance)} is out of range: must be {bound} "
                           f"{error.validator_value}", None, width)]
    if kind in ("minLength", "maxLength"):
        if path and path[-1] == "delimiter":
            return [Diagnostic(where, f"a CSV delimiter is exactly one character, got '{instance}'",
                               'e.g. delimiter: ";" or delimiter: "\\t"', width)]
        if kind == "minLength":
            return [Diagnostic(where, f"the text{_describe_place(path)} must not be empty", None, width)]
        return [Diagnostic(where, f"the text{_describe_place(path)} is longer than {error.validator_value} "
                           "characters", None, width)]
    if kind == "minItems":
        return [Diagnostic(where, f"the list{_describe_place(path)} must not be empty", None, width)]
    return [Diagnostic(where, error.message, None, width)]


def validate_structure(doc: YamlDocument) -> list[Diagnostic]:
    """Every schema problem in `doc.data`, one diagnostic each, in file order."""
    try:
        _fast_check()(doc.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # invalid: let jsonschema find and explain every problem
    found: list[Diagnostic] = []
    seen: set[tuple[int, int, str]] = set()
    for error in _validator().iter_errors(doc.data):
        for diagnostic in _diagnose(error, doc):
            key = (diagnostic.where.line, diagnostic.where.col, diagnostic.message)
            if key not in seen:
                seen.add(key)
                found.append(diagnostic)
    return found


__all__ = ["schema", "schema_text", "validate_structure"]
