"""Read what a request step does with its response: captures, assertions and `when:` conditions,
with their queries (JMESPath, regex, header, ...), predicates and JSON Schemas.

`ResponseReader` checks each one where it is written (a JMESPath syntax error at its character, a
regex that cannot compile, a predicate that does not fit its query) and builds the model's
`Capture` and `Assertion`. It reads schema files named by `schema:` and nothing else.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from ..errors import TemplateError
from ..lang.jmespath import check_jmespath
from ..lang.templates import BUILTIN_VARIABLES, parse_template
from ..lang.units import parse_milliseconds
from ..lang.values import check_regex_limits
from ..model import PREDICATES, QUERY_KINDS, SELECTOR_QUERIES, Assertion, Capture, Predicate, Query
from .reading import ReaderBase, Scope
from .yaml_reader import PathKey, yaml_syntax_diagnostic

_NUMERIC_PREDICATES = ("gt", "gte", "lt", "lte")
_CAPTURE_OPTIONS = ("pick", "default")
_NUMBER_PREDICATES = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists")
#: Every key an assertion or a capture may hold: a key outside it is a typo the schema reports.
_ASSERTION_KEYS = frozenset(QUERY_KINDS + PREDICATES + _CAPTURE_OPTIONS)


class ResponseReader(ReaderBase):
    """Captures, assertions and conditions of request steps."""

    # --- queries, captures, assertions ----------------------------------------------------------

    def read_query(self, raw: dict[str, Any], path: PathKey, allowed: tuple[str, ...],
                   what: str) -> tuple[str, Any] | None:
        kinds = [key for key in raw if key in allowed]
        if len(kinds) != 1:
            if not kinds and any(key not in _ASSERTION_KEYS for key in raw):
                return None  # a misspelt query: the schema reports it with a did-you-mean
            if not kinds:
                self.error(path, f"{what} needs one query: {', '.join(allowed)}",
                           "e.g. {json: data.id} or {header: Location}")
            else:
                self.error(path + (kinds[1],), f"{what} takes exactly one query; found "
                           f"{', '.join(kinds)}", "split it into separate items", key=True)
            return None
        kind = kinds[0]
        return kind, raw[kind]

    def check_selector(self, kind: str, selector: Any, path: PathKey) -> bool:
        if not isinstance(selector, str):
            return False
        if "{{" in selector and kind != "json":
            self.error(path, f"a {kind} selector is a plain name, not a template",
                       "selectors are fixed when the file loads; write the name itself")
            return False
        if kind == "json":
            problem = check_jmespath(selector)
            if problem:
                offset, message, hint = problem
                where = self.doc.inner_location(path, offset)
                self.error_at(where, f"invalid JMESPath: {message}", hint)
                return False
        elif kind == "regex":
            return self.check_regex(selector, path)
        return True

    def check_regex(self, pattern: Any, path: PathKey) -> bool:
        problem = check_regex_limits(str(pattern))
        if problem:
            self.problem(path, problem)
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "possible nested set" and the like are not errors
                re.compile(str(pattern))
        except re.error as exc:
            self.error_at(self.doc.inner_location(path, exc.pos or 0), f"invalid regex: {exc.msg}",
                          "regexes use Python syntax; quote them with single quotes in YAML")
            return False
        except (OverflowError, RecursionError, MemoryError):
            self.error(path, "the regex is too large or too deeply nested to compile",
                       "simplify it: fewer nested groups, smaller repeat counts")
            return False
        return True

    def read_capture(self, name: str, raw: dict[str, Any], path: PathKey, scope: Scope) -> Capture | None:
        found = self.read_query(raw, path, QUERY_KINDS, f"capture '{name}'")
        if not found:
            return None
        kind, selector = found
        if kind in SELECTOR_QUERIES:
            if not self.check_selector(kind, selector, path + (kind,)):
                return None
            if kind == "var":
                self.check_ref_name(str(selector), path + (kind,), scope)
        if "default" in raw:
            self.templates(raw["default"], path + ("default",), scope)
        if name in BUILTIN_VARIABLES:
            self.error(path, f"'{name}' is a built-in name and cannot be captured", "choose another name",
                       key=True)
        query = Query(kind, selector if kind in SELECTOR_QUERIES else None, self.at(path + (kind,)))
        return Capture(name=name, query=query, pick=raw.get("pick", "first"),
                       has_default="default" in raw, default=raw.get("default"), where=self.at(path, key=True))

    def check_ref_name(self, name: str, path: PathKey, scope: Scope) -> None:
        try:
            refs = parse_template("{{ " + name + " }}").refs()
        except TemplateError:
            self.error(path, f"'{name}' is not a variable name")
            return
        for ref in refs:
            self.check_ref(type(ref)(ref.path, 0), path, scope)

    def read_assertion(self, raw: dict[str, Any], path: PathKey, index: int, scope: Scope,
                       *, for_when: bool = False) -> Assertion | None:
        allowed = ("var",) if for_when else QUERY_KINDS
        what = "when:" if for_when else f"assert #{index}"
        if for_when and "var" not in raw:
            other = next((k for k in raw if k in QUERY_KINDS), None)
            self.error(path + (other,) if other else path,
                       f"when: tests a variable, not a response{f' ({other})' if other else ''}",
                       "e.g. when: {var: product_id, exists: true}; to test a response, capture "
                       "the value in an earlier step", key=True)
            return None
        found = self.read_query(raw, path, allowed, what)
        if not found:
            return None
        kind, value = found
        query = Query(kind, None, self.at(path + (kind,)))
        predicates: list[Predicate] = []
        if kind in SELECTOR_QUERIES:
            if not self.check_selector(kind, value, path + (kind,)):
                return None
            query.selector = value
            if kind == "var":
                self.check_ref_name(str(value), path + (kind,), scope)
            raw_predicates = {k: v for k, v in raw.items() if k != kind}
            predicates = self.read_predicates(raw_predicates, path, kind, scope)
            if not raw_predicates:
                predicates = [Predicate("exists", True, query.where)]
        else:
            extra = [k for k in raw if k != kind]
            if extra:
                self.error(path + (extra[0],), f"'{extra[0]}' must go inside {kind}: "
                           f"{kind} takes its predicates inline", key=True,
                           help=f"write {{{kind}: {{{extra[0]}: ...}}}}")
            predicates = self.read_inline(kind, value, path + (kind,), scope)
        if not predicates:
            return None
        return Assertion(query=query, predicates=predicates, index=index, where=self.at(path))

    def read_inline(self, kind: str, value: Any, path: PathKey, scope: Scope) -> list[Predicate]:
        if isinstance(value, dict):
            return self.read_predicates(value, path, kind, scope)
        if kind == "duration":
            self.error(path, "duration needs a comparison", "e.g. duration: {lt: 800ms}")
            return []
        if kind == "status":
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(item, str) and not re.fullmatch(r"[1-5]xx", item):
                    self.error(path + (index,) if isinstance(value, list) else path,
                               f"'{item}' is not a status; write a code (200) or a class (2xx)")
                    return []
            return [Predicate("in" if isinstance(value, list) else "eq", value, self.at(path))]
        self.templates(value, path, scope)
        return [Predicate("eq", value, self.at(path))]

    def read_predicates(self, raw: dict[str, Any], path: PathKey, kind: str, scope: Scope) -> list[Predicate]:
        found = []
        for op, value in raw.items():
            where_path = path + (op,)
            if op not in PREDICATES:
                continue  # the schema reported the unknown key
            if kind in ("duration", "size") and op not in _NUMBER_PREDICATES:
                self.error(where_path, f"'{op}' does not apply to {kind}, which is a number"
                           + (" of milliseconds" if kind == "duration" else " of bytes"),
                           "compare it: eq, ne, gt, gte, lt, lte or in, e.g. {lt: 800ms}"
                           if kind == "duration" else "compare it: eq, ne, gt, gte, lt, lte or in, e.g. {lt: 1000}",
                           key=True)
                continue
            if kind in ("duration",) and op in _NUMERIC_PREDICATES + ("eq", "ne"):
                try:
                    value = parse_milliseconds(value)
                except ValueError as exc:
                    self.error(where_path, str(exc))
                    continue
            elif op in ("matches", "not_matches"):
                if not self.check_regex(value, where_path):
                    continue
            elif op == "length":
                if isinstance(value, dict):
                    value = self.read_predicates(value, where_path, "length", scope)
            elif op == "schema":
                value = self.read_json_schema(value, where_path)
                if value is None:
                    continue
            else:
                self.templates(value, where_path, scope)
            found.append(Predicate(op, value, self.at(where_path)))
        if not raw:
            self.error(path, f"no predicate given for {kind}", "e.g. {eq: 1}, {exists: true}, {lt: 800ms}")
        return found

    def read_json_schema(self, value: Any, path: PathKey) -> dict[str, Any] | None:
        if isinstance(value, str):
            schema_path = self.base_dir / value
            if not schema_path.is_file():
                self.error(path, f"schema file '{value}' not found", f"looked for {schema_path.resolve()}")
                return None
            try:
                text = schema_path.read_text(encoding="utf-8")
                value = json.loads(text) if schema_path.suffix == ".json" else yaml.safe_load(text)
            except json.JSONDecodeError as exc:
                self.error(path, f"cannot read schema file {schema_path.name}:{exc.lineno}:{exc.colno}: "
                           f"invalid JSON: {exc.msg}")
                return None
            except yaml.MarkedYAMLError as exc:
                problem = yaml_syntax_diagnostic(exc, text, schema_path.name)
                self.error(path, f"cannot read schema file {problem.where}: {problem.message}", problem.help)
                return None
            except (OSError, ValueError, yaml.YAMLError) as exc:
                self.error(path, f"cannot read schema file '{schema_path.name}': {exc}")
                return None
        if not isinstance(value, dict):
            self.error(path, "schema: must be a JSON Schema object or a path to one")
            return None
        try:
            Draft7Validator.check_schema(value)
        except SchemaError as exc:
            self.error(path + tuple(exc.path), f"invalid JSON Schema: {exc.message}")
            return None
        return value


__all__ = ["ResponseReader"]
