"""Turn a YAML scenario file into a checked `Spec`, reporting every problem in one pass.

Pipeline: read the file → position-aware YAML → apply `-e ENV` and `--var` → JSON Schema →
semantic checks (method keys, JMESPath, regexes, templates and data flow, CSV files and columns,
durations, thresholds) → `Spec`. It reads the spec and the files it names (CSV pools, schema files)
and nothing else; it never imports the engine. All problems are raised together as one `SpecError`.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import gc
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from ..errors import Diagnostic, InputFileError, SpecError, TemplateError
from ..lang.jmespath import check_jmespath
from ..lang.templates import BUILTIN_FUNCTIONS, BUILTIN_VARIABLES, check_call, parse_template
from ..lang.text import did_you_mean
from ..lang.units import parse_duration, parse_milliseconds, parse_think_time, threshold_from_text
from ..model import (
    HTTP_METHODS,
    PREDICATES,
    QUERY_KINDS,
    SELECTOR_QUERIES,
    Assertion,
    Body,
    Capture,
    DataPool,
    Defaults,
    GroupStep,
    Load,
    Location,
    LoopStep,
    Predicate,
    Query,
    RequestStep,
    Scenario,
    Spec,
    Stage,
    Step,
    ThinkTime,
    Threshold,
    UploadFile,
    iter_steps,
)
from .schema import validate_structure
from .yaml_reader import PathKey, YamlDocument, parse_yaml, yaml_syntax_diagnostic

_BODY_KEYS = ("json", "form", "body", "files")
_NUMERIC_PREDICATES = ("gt", "gte", "lt", "lte")
_CAPTURE_OPTIONS = ("pick", "default")


def _suggest(word: str, choices: list[str] | set[str]) -> str | None:
    return did_you_mean(word, choices)


class _Scope:
    """Names a step may use: defined so far, plus captures that only come later (for hints)."""

    def __init__(self, names: set[str], later: dict[str, tuple[str, int]]):
        self.names = set(names)
        self.later = later

    def child(self, extra: set[str] | None = None) -> _Scope:
        return _Scope(self.names | (extra or set()), self.later)


class _Reader:
    """Walks the validated data, checks meaning, and builds the Spec, collecting diagnostics."""

    def __init__(self, doc: YamlDocument, base_dir: Path):
        self.doc = doc
        self.base_dir = base_dir
        self.problems: list[Diagnostic] = []
        self.pools: dict[str, DataPool] = {}
        self.pool_names: set[str] = set()

    # --- reporting helpers ------------------------------------------------------------------

    def at(self, path: PathKey, *, key: bool = False) -> Location:
        node = (self.doc.keys if key else self.doc.values).get(path)
        if node is None:
            return self.doc.location(path, key=key)[0]
        mark = node.start_mark
        return Location(self.doc.file, mark.line + 1, mark.column + 1)

    def error(self, path: PathKey, message: str, help: str | None = None, *, key: bool = False) -> None:
        where, width = self.doc.location(path, key=key)
        self.problems.append(Diagnostic(where, message, help, width))

    def error_at(self, where: Location, message: str, help: str | None = None, width: int = 1) -> None:
        self.problems.append(Diagnostic(where, message, help, width))

    # --- small typed readers ----------------------------------------------------------------

    def duration(self, value: Any, path: PathKey) -> float | None:
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def think_time(self, value: Any, path: PathKey) -> ThinkTime | None:
        if value is None:
            return None
        try:
            low, high = parse_think_time(value)
        except ValueError as exc:
            self.error(path, str(exc), "write a duration (2s) or a range (1s..3s)")
            return None
        return ThinkTime(low, high)

    def mapping(self, value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def listing(self, value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    # --- templates and data flow --------------------------------------------------------------

    def templates(self, value: Any, path: PathKey, scope: _Scope) -> None:
        """Check every template inside `value` (recursively) against `scope`."""
        if isinstance(value, str):
            self.template_string(value, path, scope)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.templates(item, path + (key,), scope)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.templates(item, path + (index,), scope)

    def template_string(self, text: str, path: PathKey, scope: _Scope) -> None:
        if "{{" not in text:
            return
        try:
            parsed = _parse_cached(text)
        except TemplateError as exc:
            self.error_at(self.doc.inner_location(path, exc.offset), f"template error: {exc}",
                          "templates look like {{ name }}, {{ pool.column }} or {{ uuid() }}")
            return
        for expr in parsed.expressions:
            if not hasattr(expr, "path"):
                problem = check_call(expr)  # type: ignore[arg-type]
                if problem:
                    known = expr.name in BUILTIN_FUNCTIONS  # type: ignore[union-attr]
                    hint = None if known else _suggest(expr.name, set(BUILTIN_FUNCTIONS))  # type: ignore[union-attr]
                    self.error_at(self.doc.inner_location(path, expr.offset), problem,
                                  f"did you mean '{hint}()'?" if hint else
                                  "built-ins: uuid(), random_int(a, b), random_string(n), "
                                  "random_choice(list), now(), timestamp()",
                                  len(expr.name))  # type: ignore[union-attr]
        for ref in parsed.refs():
            self.check_ref(ref, path, scope)

    def check_ref(self, ref: Any, path: PathKey, scope: _Scope) -> None:
        where = self.doc.inner_location(path, ref.offset)
        root = ref.root
        if root == "env":
            if len(ref.path) != 2:
                self.error_at(where, "use env.NAME to read an environment variable", None, 3)
            return
        if root in self.pools and root in scope.names and len(ref.path) >= 2:
            pool = self.pools[root]
            column = str(ref.path[1])
            if column not in pool.columns:
                hint = _suggest(column, pool.columns)
                self.error_at(where, f"column '{column}' is not in {pool.path.name} "
                              f"(columns: {', '.join(pool.columns)})",
                              f"did you mean '{root}.{hint}'?" if hint else None, len(ref.text))
            return
        if root in scope.names:
            return
        if root in scope.later:
            step, line = scope.later[root]
            self.error_at(where, f"'{root}' is used before any step captures it",
                          f"it is captured later, by step '{step}' (line {line}); a step can only "
                          "use captures of earlier steps or of setup", len(root))
            return
        hint = _suggest(root, scope.names - {"env"})
        self.error_at(where, f"unknown variable '{root}'",
                      f"did you mean '{hint}'?" if hint else
                      "define it under variables:, capture it in an earlier step, or use a data "
                      "pool column (pool.column)", len(root))

    # --- top level ----------------------------------------------------------------------------

    def read(self, data: dict[str, Any], source: Path | None, environment: str | None) -> Spec:
        variables = self.mapping(data.get("variables"))
        self.read_pools(self.mapping(data.get("data")))
        variable_scope = _Scope(set(BUILTIN_VARIABLES), {})
        for name, value in variables.items():
            self.templates(value, ("variables", name), variable_scope)
            variable_scope.names.add(name)
        defaults = self.read_defaults(self.mapping(data.get("defaults")))
        base = set(variables) | self.pool_names | set(BUILTIN_VARIABLES)
        self.check_name_clashes(variables)
        self.templates(data.get("host"), ("host",), _Scope(set(variables) | {"env"}, {}))
        self.templates(defaults.headers, ("defaults", "headers"), _Scope(base, {}))
        scenarios: list[Scenario] = []
        seen_names: dict[str, int] = {}
        for index, raw in enumerate(self.listing(data.get("scenarios"))):
            if not isinstance(raw, dict):
                continue
            scenario = self.read_scenario(raw, ("scenarios", index), base)
            if scenario.name in seen_names:
                self.error(("scenarios", index, "name"), f"duplicate scenario name '{scenario.name}'",
                           f"scenario #{seen_names[scenario.name] + 1} already uses it; names must be unique")
            seen_names.setdefault(scenario.name, index)
            scenarios.append(scenario)
        spec = Spec(
            name=str(data.get("name") or (source.stem if source else "loadspec")),
            scenarios=scenarios,
            host=data.get("host") if isinstance(data.get("host"), str) else None,
            variables=dict(variables),
            defaults=defaults,
            data=self.pools,
            load=self.read_load(self.mapping(data.get("load"))),
            client=data.get("client", "fast") if data.get("client") in ("fast", "requests") else "fast",
            version=1,
            source=source,
            environment=environment,
        )
        spec.thresholds = self.read_thresholds(self.listing(data.get("thresholds")), spec)
        return spec

    def check_name_clashes(self, variables: dict[str, Any]) -> None:
        for name in variables:
            if name in BUILTIN_VARIABLES:
                self.error(("variables", name), f"'{name}' is a built-in name", "choose another variable name",
                           key=True)
            elif name in self.pool_names:
                self.error(("variables", name), f"variable '{name}' has the same name as a data pool",
                           "rename one of them: {{ " + name + ".column }} must mean one thing", key=True)

    def read_pools(self, data: dict[str, Any]) -> None:
        for name, raw in data.items():
            self.pool_names.add(name)
            if not isinstance(raw, dict) or not isinstance(raw.get("csv"), str):
                continue
            path = ("data", name, "csv")
            csv_path = (self.base_dir / raw["csv"]).resolve()
            if not csv_path.is_file():
                self.error(path, f"CSV file '{raw['csv']}' not found",
                           f"looked for {csv_path}; paths are relative to the spec file's folder")
                continue
            delimiter = raw.get("delimiter", ",")
            try:
                with csv_path.open(newline="", encoding="utf-8-sig") as handle:
                    rows = list(csv.reader(handle, delimiter=delimiter))
            except UnicodeDecodeError as exc:
                line = csv_path.read_bytes()[: exc.start].count(b"\n") + 1
                self.error_at(Location(str(csv_path), line, 1),
                              f"CSV file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
                              "save it as UTF-8 (in a spreadsheet: export as 'CSV UTF-8')")
                continue
            except (OSError, csv.Error) as exc:
                self.error(path, f"cannot read CSV file '{raw['csv']}': {exc}")
                continue
            if not rows or not any(cell.strip() for cell in rows[0]):
                self.error(path, f"CSV file '{raw['csv']}' has no header row",
                           "the first line names the columns, e.g. email,password")
                continue
            columns = [cell.strip() for cell in rows[0]]
            if any(not column for column in columns) or len(set(columns)) != len(columns):
                dupes = sorted({c for c in columns if columns.count(c) > 1 and c})
                self.error_at(Location(str(csv_path), 1, 1),
                              "CSV header has " + (f"duplicate columns: {', '.join(dupes)}" if dupes
                                                   else "an empty column name"),
                              "every column needs its own name, e.g. email,password")
                continue
            body = [tuple(row) for row in rows[1:] if any(cell.strip() for cell in row)]
            for line_no, row in enumerate(rows[1:], start=2):
                if any(cell.strip() for cell in row) and len(row) != len(columns):
                    self.error_at(Location(str(csv_path), line_no, 1),
                                  f"row has {len(row)} fields but the header has {len(columns)}",
                                  f"header: {','.join(columns)}")
            if not body:
                self.error(path, f"CSV file '{raw['csv']}' has a header but no rows")
                continue
            self.pools[name] = DataPool(
                name=name, path=csv_path, columns=columns, rows=body,
                order=raw.get("order", "sequential"), scope=raw.get("scope", "user"),
                on_exhausted=raw.get("on_exhausted", "recycle"), where=self.at(("data", name), key=True),
            )

    def read_defaults(self, raw: dict[str, Any]) -> Defaults:
        headers = self.mapping(raw.get("headers"))
        return Defaults(
            headers={str(k): v for k, v in headers.items()},
            timeout=self.duration(raw.get("timeout"), ("defaults", "timeout")),
            verify_tls=raw.get("verify_tls") if isinstance(raw.get("verify_tls"), bool) else None,
            allow_redirects=raw.get("allow_redirects") if isinstance(raw.get("allow_redirects"), bool) else None,
            think_time=self.think_time(raw.get("think_time"), ("defaults", "think_time")),
        )

    def read_load(self, raw: dict[str, Any]) -> Load:
        stages = []
        for index, stage in enumerate(self.listing(raw.get("stages"))):
            if isinstance(stage, dict) and isinstance(stage.get("users"), int):
                seconds = self.duration(stage.get("duration"), ("load", "stages", index, "duration"))
                if seconds is not None:
                    stages.append(Stage(seconds, stage["users"], stage.get("spawn_rate")))
        if stages and ("users" in raw or "duration" in raw):
            self.error(("load", "stages"), "use either stages or users/duration, not both", key=True,
                       help="stages already say how many users run for how long")
        return Load(
            users=raw.get("users"), spawn_rate=raw.get("spawn_rate"),
            duration=self.duration(raw.get("duration"), ("load", "duration")),
            stages=stages, iterations=raw.get("iterations"),
            pacing=self.duration(raw.get("pacing"), ("load", "pacing")),
        )

    def read_thresholds(self, raw: list[Any], spec: Spec) -> list[Threshold]:
        step_names = {s.name for sc in spec.scenarios for s in _all_named(sc.setup + sc.steps)}
        found = []
        for index, item in enumerate(raw):
            path: PathKey = ("thresholds", index)
            options = item if isinstance(item, dict) else {}
            text = item if isinstance(item, str) else options.get("check")
            if not isinstance(text, str):
                continue
            text_path = path if isinstance(item, str) else path + ("check",)
            try:
                threshold = threshold_from_text(text, where=self.at(text_path))
            except ValueError as exc:
                self.error(text_path, str(exc))
                continue
            step = options.get("step")
            if step is not None and step not in step_names:
                hint = _suggest(str(step), step_names)
                self.error(path + ("step",), f"no step is named '{step}'",
                           f"did you mean '{hint}'?" if hint else
                           "thresholds filter by a step's name (or a group's)")
            delay = self.duration(options.get("delay_abort_eval"), path + ("delay_abort_eval",))
            found.append(dataclasses.replace(threshold, step=step, delay_abort_eval=delay or 0.0,
                                             abort_on_fail=bool(options.get("abort_on_fail", False))))
        return found

    # --- scenarios and steps ------------------------------------------------------------------

    def read_scenario(self, raw: dict[str, Any], path: PathKey, base: set[str]) -> Scenario:
        name = str(raw.get("name", f"scenario {path[-1] + 1}"))
        later: dict[str, tuple[str, int]] = {}
        for section in ("setup", "steps"):
            _collect_captures(self.listing(raw.get(section)), path + (section,), self.doc, later)
        scope = _Scope(base, later)
        setup = self.read_steps(self.listing(raw.get("setup")), path + ("setup",), scope)
        steps = self.read_steps(self.listing(raw.get("steps")), path + ("steps",), scope)
        weight = raw.get("weight", 1)
        cookies = raw.get("cookies", "user")
        return Scenario(name=name, steps=steps, setup=setup, weight=weight if isinstance(weight, int) else 1,
                        cookies="iteration" if cookies == "iteration" else "user", where=self.at(path))

    def read_steps(self, raw_steps: list[Any], path: PathKey, scope: _Scope) -> list[Step]:
        steps: list[Step] = []
        for index, raw in enumerate(raw_steps):
            if isinstance(raw, dict):
                step = self.read_step(raw, path + (index,), scope)
                if step is not None:
                    steps.append(step)
        return steps

    def read_step(self, raw: dict[str, Any], path: PathKey, scope: _Scope) -> Step | None:
        methods = [key for key in raw if key in HTTP_METHODS]
        controls = [key for key in ("loop", "group") if key in raw]
        if controls:
            if methods or len(controls) > 1:
                other = (controls + methods)[1]
                self.error(path + (other,), f"a step is either a request, a loop or a group; this one "
                           f"has both '{controls[0]}' and '{other}'", key=True,
                           help=f"move the request into the {controls[0]}'s steps:")
                return None
            if "steps" not in raw:
                self.error(path + (controls[0],), f"a {controls[0]} needs steps:", key=True,
                           help="list the steps to " + ("repeat" if controls[0] == "loop" else "time together")
                           + " under steps:")
                return None
            return self.read_control(raw, controls[0], path, scope)
        if not methods:
            keys = [k for k in raw if isinstance(k, str)]
            hint = next((f"did you mean '{m}'?" for k in keys if (m := _suggest(k.lower(), HTTP_METHODS))), None)
            self.error(path, "a step needs exactly one method key (get, post, put, patch, delete, "
                       "head or options) whose value is the URL",
                       hint or "e.g. - get: /products")
            return None
        if len(methods) > 1:
            self.error(path + (methods[1],), f"a step has two method keys: '{methods[0]}' and "
                       f"'{methods[1]}'", "split it into two steps, one request each", key=True)
            return None
        if "steps" in raw:
            self.error(path + ("steps",), "only loop and group steps have steps:", key=True,
                       help="indent these steps under a loop: or group: step")
        return self.read_request(raw, methods[0], path, scope)

    def read_control(self, raw: dict[str, Any], kind: str, path: PathKey, scope: _Scope) -> Step:
        for key in raw:
            if key not in ("loop", "group", "steps", "name"):
                self.error(path + (key,), f"'{key}' does not apply to a {kind} step", key=True,
                           help="put request options on the steps inside it")
        if kind == "group":
            body = self.read_steps(self.listing(raw.get("steps")), path + ("steps",), scope)
            return GroupStep(name=str(raw.get("group")), steps=body, where=self.at(path))
        loop = self.mapping(raw.get("loop"))
        if ("count" in loop) == ("over" in loop):
            self.error(path + ("loop",), "a loop takes either count: N or over: \"{{ list }}\"", key=True)
        inner = scope
        as_name = str(loop.get("as", "item"))
        if "over" in loop and isinstance(loop["over"], str):
            self.templates(loop["over"], path + ("loop", "over"), scope)
            try:
                whole = parse_template(loop["over"]).is_whole
            except TemplateError:
                whole = True  # already reported
            if not whole:
                self.error(path + ("loop", "over"), "over: must be exactly one template naming a list",
                           "e.g. over: \"{{ products }}\"")
            inner = scope.child({as_name})
        body = self.read_steps(self.listing(raw.get("steps")), path + ("steps",), inner)
        return LoopStep(steps=body, count=loop.get("count"), over=loop.get("over"), as_name=as_name,
                        where=self.at(path))

    def read_request(self, raw: dict[str, Any], method: str, path: PathKey, scope: _Scope) -> RequestStep:
        url = raw[method]
        if not isinstance(url, str):
            url = "" if url is None else str(url)
        name = str(raw.get("name") or f"{method.upper()} {url}")
        self.templates(url, path + (method,), scope)
        headers = {str(k): v for k, v in self.mapping(raw.get("headers")).items()}
        params = self.mapping(raw.get("params"))
        self.templates(headers, path + ("headers",), scope)
        self.templates(params, path + ("params",), scope)
        body = self.read_body(raw, path, scope)
        when = None
        if isinstance(raw.get("when"), dict):
            when = self.read_assertion(raw["when"], path + ("when",), 1, scope, for_when=True)
        captures = []
        for cap_name, cap in self.mapping(raw.get("capture")).items():
            if isinstance(cap, dict):
                capture = self.read_capture(str(cap_name), cap, path + ("capture", cap_name), scope)
                if capture:
                    captures.append(capture)
        assertions = []
        for index, item in enumerate(self.listing(raw.get("assert"))):
            if isinstance(item, dict):
                assertion = self.read_assertion(item, path + ("assert", index), index + 1, scope)
                if assertion:
                    assertions.append(assertion)
        step = RequestStep(
            name=name, method=method, url=url, headers=headers, params=params, body=body,
            timeout=self.duration(raw.get("timeout"), path + ("timeout",)),
            verify_tls=raw.get("verify_tls") if isinstance(raw.get("verify_tls"), bool) else None,
            allow_redirects=raw.get("allow_redirects") if isinstance(raw.get("allow_redirects"), bool) else None,
            think_time=self.think_time(raw.get("think_time"), path + ("think_time",)),
            captures=captures, assertions=assertions, when=when,
            probability=raw.get("probability") if isinstance(raw.get("probability"), (int, float)) else None,
            on_fail=raw.get("on_fail", "stop_iteration"), where=self.at(path),
        )
        scope.names.update(str(name) for name in self.mapping(raw.get("capture")))
        return step

    def read_body(self, raw: dict[str, Any], path: PathKey, scope: _Scope) -> Body | None:
        present = [key for key in _BODY_KEYS if key in raw]
        if len(present) > 1:
            self.error(path + (present[1],), f"a step takes at most one body; it has '{present[0]}' "
                       f"and '{present[1]}'", "keep one of json, form, body or files", key=True)
        if not present:
            return None
        kind = present[0]
        value = raw[kind]
        self.templates(value, path + (kind,), scope)
        if kind == "files":
            parts: dict[str, Any] = {}
            for field_name, part in self.mapping(value).items():
                part_path = path + ("files", field_name)
                if isinstance(part, str) or (isinstance(part, dict) and "file" in part):
                    spec = part if isinstance(part, dict) else {"file": part}
                    file_path = str(spec["file"])
                    if "{{" not in file_path and not (self.base_dir / file_path).is_file():
                        self.error(part_path, f"upload file '{file_path}' not found",
                                   f"looked for {(self.base_dir / file_path).resolve()}")
                    parts[str(field_name)] = UploadFile(file_path, spec.get("content_type"), spec.get("filename"))
                elif isinstance(part, dict):
                    parts[str(field_name)] = str(part.get("value", ""))
            return Body("files", parts)
        return Body({"json": "json", "form": "form", "body": "raw"}[kind], value)  # type: ignore[arg-type]

    # --- queries, captures, assertions ----------------------------------------------------------

    def read_query(self, raw: dict[str, Any], path: PathKey, allowed: tuple[str, ...],
                   what: str) -> tuple[str, Any] | None:
        kinds = [key for key in raw if key in allowed]
        if len(kinds) != 1:
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
        try:
            re.compile(str(pattern))
        except re.error as exc:
            self.error_at(self.doc.inner_location(path, exc.pos or 0), f"invalid regex: {exc.msg}",
                          "regexes use Python syntax; quote them with single quotes in YAML")
            return False
        return True

    def read_capture(self, name: str, raw: dict[str, Any], path: PathKey, scope: _Scope) -> Capture | None:
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

    def check_ref_name(self, name: str, path: PathKey, scope: _Scope) -> None:
        try:
            refs = parse_template("{{ " + name + " }}").refs()
        except TemplateError:
            self.error(path, f"'{name}' is not a variable name")
            return
        for ref in refs:
            self.check_ref(type(ref)(ref.path, 0), path, scope)

    def read_assertion(self, raw: dict[str, Any], path: PathKey, index: int, scope: _Scope,
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

    def read_inline(self, kind: str, value: Any, path: PathKey, scope: _Scope) -> list[Predicate]:
        if isinstance(value, dict):
            return self.read_predicates(value, path, kind, scope)
        if kind == "duration":
            self.error(path, "duration needs a comparison", "e.g. duration: {lt: 800ms}")
            return []
        if kind == "status":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and not re.fullmatch(r"[1-5]xx", item):
                    self.error(path, f"'{item}' is not a status; write a code (200) or a class (2xx)")
                    return []
            return [Predicate("in" if isinstance(value, list) else "eq", value, self.at(path))]
        self.templates(value, path, scope)
        return [Predicate("eq", value, self.at(path))]

    def read_predicates(self, raw: dict[str, Any], path: PathKey, kind: str, scope: _Scope) -> list[Predicate]:
        found = []
        for op, value in raw.items():
            where_path = path + (op,)
            if op not in PREDICATES:
                continue  # the schema reported the unknown key
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


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Any:
    """Specs repeat the same templates ("Bearer {{ token }}"): parse each distinct one once."""
    return parse_template(text)


def _all_named(steps: list[Step]) -> list[Any]:
    return [step for step in iter_steps(steps) if isinstance(step, (RequestStep, GroupStep))]


def _collect_captures(raw_steps: list[Any], path: PathKey, doc: YamlDocument,
                      into: dict[str, tuple[str, int]]) -> None:
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            continue
        step_path = path + (index,)
        method = next((k for k in raw if k in HTTP_METHODS), None)
        name = str(raw.get("name") or (f"{method.upper()} {raw[method]}" if method else "step"))
        capture = raw.get("capture")
        if isinstance(capture, dict):
            for cap_name in capture:
                into.setdefault(str(cap_name), (name, doc.location(step_path)[0].line))
        if isinstance(raw.get("steps"), list):
            _collect_captures(raw["steps"], step_path + ("steps",), doc, into)


def _apply_environment(doc: YamlDocument, name: str) -> Diagnostic | None:
    """Merge `environments.NAME` over the top level, carrying source positions along."""
    data = doc.data
    environments = data.get("environments") if isinstance(data.get("environments"), dict) else {}
    if name not in environments:
        choices = sorted(environments)
        hint = _suggest(name, choices)
        return Diagnostic(doc.location(("environments",), key=True)[0] if choices else Location(doc.file, 1, 1),
                          f"no environment named '{name}'",
                          f"did you mean '{hint}'?" if hint else
                          (f"environments in this file: {', '.join(choices)}" if choices
                           else "add an environments: section to the spec"))
    prefix: PathKey = ("environments", name)

    def merge(target: dict[str, Any], overlay: dict[str, Any], path: PathKey) -> None:
        for key, value in overlay.items():
            here = path + (key,)
            for table in (doc.values, doc.keys, doc.quoted):
                for known in [p for p in table if p[: len(prefix) + len(here)] == prefix + here]:
                    table[here + known[len(prefix) + len(here):]] = table[known]  # type: ignore[index]
            if isinstance(value, dict) and isinstance(target.get(key), dict) and key != "load":
                merge(target[key], value, here)
            else:
                target[key] = value

    overlay = environments[name]
    if isinstance(overlay, dict):
        merge(data, overlay, ())
    return None


def _gc_paused(function: Callable[..., Spec]) -> Callable[..., Spec]:
    """Run `function` with the cyclic garbage collector paused. A spec builds hundreds of
    thousands of small objects that all stay alive; pausing meanwhile loads big files several
    times faster."""
    @functools.wraps(function)
    def paused(*args: Any, **kwargs: Any) -> Spec:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return paused


@_gc_paused
def load_spec_text(
    text: str,
    file: str,
    *,
    base_dir: Path | None = None,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Spec:
    """Load a spec from YAML text; `file` names it in messages. Raises SpecError."""
    doc = parse_yaml(text, file)
    if doc.data is None and not doc.diagnostics:
        doc.diagnostics.append(Diagnostic(Location(file, 1, 1), "the file is empty: it has no spec in it",
                                          "start from an example in examples/"))
    elif doc.data is not None and not isinstance(doc.data, dict):
        shape = "a list" if isinstance(doc.data, list) else "a single value"
        doc.diagnostics.append(Diagnostic(doc.location(())[0], "a spec is a mapping of keys "
                                          f"(version, scenarios, ...), not {shape}",
                                          "start with `scenarios:` — see examples/checkout.yaml"))
    if doc.diagnostics and not isinstance(doc.data, dict):
        raise SpecError(file, doc.diagnostics, text)
    if environment:
        problem = _apply_environment(doc, environment)
        if problem:
            doc.diagnostics.append(problem)
    problems = list(doc.diagnostics)
    structure = validate_structure(doc)
    if variables:
        merged = dict(doc.data.get("variables") or {}) if isinstance(doc.data.get("variables"), dict) else {}
        merged.update(variables)
        doc.data["variables"] = merged
    reader = _Reader(doc, base_dir or Path.cwd())
    spec = reader.read(doc.data, Path(file) if base_dir else None, environment)
    problems += reader.problems + structure
    if problems:
        raise SpecError(file, _dedupe(problems), text)
    return spec


def _dedupe(problems: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for problem in problems:
        key = (problem.where.file, problem.where.line, problem.where.col)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def load_spec(
    path: str | Path,
    *,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Spec:
    """Load and check a YAML spec file. Raises InputFileError or SpecError."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{file}: is a folder, not a spec file") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise InputFileError(f"{file}: cannot read: {exc.strerror}") from None
    spec = load_spec_text(text, str(file), base_dir=file.resolve().parent, environment=environment,
                          variables=variables)
    spec.source = file
    return spec


__all__ = ["load_spec", "load_spec_text"]
