"""Turn a YAML scenario file into a checked `Spec`, reporting every problem in one pass.

Pipeline: read the file → position-aware YAML → apply `-e ENV` and `--var` → JSON Schema →
semantic checks (method keys, JMESPath, regexes, templates and data flow, CSV files and columns,
durations, thresholds) → `Spec`. It reads the spec and the files it names (CSV pools, schema files)
and nothing else; it never imports the engine. All problems are raised together as one `SpecError`.

The reading is split by subject: `reading` (positions, typed values, templates and data flow),
`csvpools` (`data:`), `responses` (captures, assertions, `when:`), `environments` (`-e`, and every
environment block checked); this module walks the document and builds the Spec.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, InputFileError, SpecError, TemplateError
from ..lang.templates import BUILTIN_VARIABLES, parse_template
from ..lang.units import threshold_from_text
from ..model import (
    HTTP_METHODS,
    PREDICATES,
    QUERY_KINDS,
    Body,
    Defaults,
    GroupStep,
    Load,
    Location,
    LoopStep,
    RequestStep,
    Scenario,
    Spec,
    Stage,
    Step,
    Threshold,
    UploadFile,
    iter_steps,
)
from . import features
from .csvpools import PoolReader
from .environments import apply_environment, environment_blocks
from .reading import Scope, suggest
from .responses import ResponseReader
from .schema import validate_structure
from .yaml_reader import PathKey, YamlDocument, parse_yaml

_BODY_KEYS = ("json", "form", "body", "files")
_NUMERIC_PREDICATES = ("gt", "gte", "lt", "lte")
_CAPTURE_OPTIONS = ("pick", "default")
_ENVIRONMENT_KEYS = ("data", "defaults", "host", "load", "thresholds", "variables")
_NUMBER_PREDICATES = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists")
#: Every key an assertion or a capture may hold: a key outside it is a typo the schema reports.
_ASSERTION_KEYS = frozenset(QUERY_KINDS + PREDICATES + _CAPTURE_OPTIONS)


class _Reader(ResponseReader, PoolReader):
    """Walks the validated data, checks meaning, and builds the Spec, collecting diagnostics."""

    # --- top level ----------------------------------------------------------------------------

    def read(self, data: dict[str, Any], source: Path | None, environment: str | None) -> Spec:
        variables = self.mapping(data.get("variables"))
        extensions = features.read_extensions(self, data.get("extensions"))
        self.functions = features.extension_builtins(extensions)
        self.read_pools(self.mapping(data.get("data")))
        variable_scope = Scope(set(BUILTIN_VARIABLES), {})
        for name, value in variables.items():
            self.templates(value, ("variables", name), variable_scope)
            variable_scope.names.add(name)
            if not (isinstance(value, str) and "{{" in value):
                variable_scope.values[name] = value
        defaults = self.read_defaults(self.mapping(data.get("defaults")))
        base = set(variables) | self.pool_names | set(BUILTIN_VARIABLES)
        self.check_name_clashes(variables)
        before, after = features.read_hooks(self, data, set(variables), base, Scope, _collect_captures)
        self.templates(data.get("host"), ("host",), Scope(set(variables) | {"env"}, {}))
        self.check_base(data.get("host"), ("host",))
        self.templates(defaults.headers, ("defaults", "headers"), Scope(base, {}))
        self.check_headers(defaults.headers, ("defaults", "headers"))
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
            client=data["client"] if data.get("client") in ("wire", "fast", "requests") else "wire",
            before=before, after=after, extensions=extensions,
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

    def read_defaults(self, raw: dict[str, Any]) -> Defaults:
        headers = self.mapping(raw.get("headers"))
        return Defaults(
            headers={str(k): v for k, v in headers.items()},
            timeout=self.duration(raw.get("timeout"), ("defaults", "timeout")),
            verify_tls=raw.get("verify_tls") if isinstance(raw.get("verify_tls"), bool) else None,
            allow_redirects=raw.get("allow_redirects") if isinstance(raw.get("allow_redirects"), bool) else None,
            think_time=self.think_time(raw.get("think_time"), ("defaults", "think_time")),
            max_body=self.size(raw.get("max_body"), ("defaults", "max_body")),
            on_large_body=raw.get("on_large_body") if raw.get("on_large_body") in ("fail", "discard") else None,
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
        return features.read_open_load(self, raw, Load(
            users=raw.get("users"), spawn_rate=raw.get("spawn_rate"),
            duration=self.duration(raw.get("duration"), ("load", "duration")),
            stages=stages, iterations=raw.get("iterations"),
            pacing=self.duration(raw.get("pacing"), ("load", "pacing")),
            graceful_stop=self.duration(raw.get("graceful_stop"), ("load", "graceful_stop")),
        ))

    def read_thresholds(self, raw: list[Any], spec: Spec) -> list[Threshold]:
        step_names = {s.name for sc in spec.scenarios for s in _all_named(sc.setup + sc.steps)}
        step_names |= {s.name for s in _all_named(spec.before + spec.after)}
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
            if not isinstance(step, str):
                step = None  # the schema reported a step: that is not a name
            if step is not None and step not in step_names:
                hint = suggest(str(step), step_names)
                self.error(path + ("step",), f"no step is named '{step}'",
                           f"did you mean '{hint}'?" if hint else
                           "thresholds filter by a step's name (or a group's)")
            delay = self.duration(options.get("delay_abort_eval"), path + ("delay_abort_eval",))
            threshold = dataclasses.replace(threshold, step=step, delay_abort_eval=delay or 0.0,
                                            abort_on_fail=bool(options.get("abort_on_fail", False)))
            found.append(features.read_threshold_tags(self, options, path, threshold, spec))
        return found

    # --- scenarios and steps ------------------------------------------------------------------

    def read_scenario(self, raw: dict[str, Any], path: PathKey, base: set[str]) -> Scenario:
        name = str(raw.get("name", f"scenario {path[-1] + 1}"))
        later: dict[str, tuple[str, int]] = {}
        for section in ("setup", "steps"):
            _collect_captures(self.listing(raw.get(section)), path + (section,), self.doc, later)
        scope = Scope(base, later)
        setup = self.read_steps(self.listing(raw.get("setup")), path + ("setup",), scope)
        steps = self.read_steps(self.listing(raw.get("steps")), path + ("steps",), scope)
        weight = raw.get("weight", 1)
        cookies = raw.get("cookies", "user")
        return Scenario(name=name, steps=steps, setup=setup, weight=weight if isinstance(weight, int) else 1,
                        cookies="iteration" if cookies == "iteration" else "user", where=self.at(path))

    def read_steps(self, raw_steps: list[Any], path: PathKey, scope: Scope) -> list[Step]:
        steps: list[Step] = []
        for index, raw in enumerate(raw_steps):
            if isinstance(raw, dict):
                step = self.read_step(raw, path + (index,), scope)
                if step is not None:
                    steps.append(step)
        return steps

    def read_step(self, raw: dict[str, Any], path: PathKey, scope: Scope) -> Step | None:
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
            hint = next((f"did you mean '{m}'?" for k in keys if (m := suggest(k.lower(), HTTP_METHODS))), None)
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

    def read_control(self, raw: dict[str, Any], kind: str, path: PathKey, scope: Scope) -> Step:
        for key in raw:
            if key not in ("loop", "group", "steps", "name") and not (key == "tags" and kind == "group"):
                self.error(path + (key,), f"'{key}' does not apply to a {kind} step", key=True,
                           help="put request options on the steps inside it")
        if kind == "group":
            body = self.read_steps(self.listing(raw.get("steps")), path + ("steps",), scope)
            group = GroupStep(name=str(raw.get("group")), steps=body, tags=features.read_tags(raw.get("tags")),
                              where=self.at(path))
            features.spread_group_tags(group)
            return group
        loop = self.mapping(raw.get("loop"))
        if ("count" in loop) == ("over" in loop) and set(loop) <= {"count", "over", "as"}:
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

    def read_request(self, raw: dict[str, Any], method: str, path: PathKey, scope: Scope) -> RequestStep:
        url = raw[method]
        if not isinstance(url, str):
            url = "" if url is None else str(url)
        name = str(raw.get("name") or f"{method.upper()} {url}")
        self.templates(url, path + (method,), scope)
        if "://" in url.split("{{", 1)[0]:
            self.check_base(url, path + (method,), "URL")
        headers = {str(k): v for k, v in self.mapping(raw.get("headers")).items()}
        params = self.mapping(raw.get("params"))
        self.templates(headers, path + ("headers",), scope)
        self.check_headers(headers, path + ("headers",))
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
        # Captures run before assertions, so an assertion may test what this step captured.
        checked = scope.child({str(name) for name in self.mapping(raw.get("capture"))})
        for index, item in enumerate(self.listing(raw.get("assert"))):
            if isinstance(item, dict):
                assertion = self.read_assertion(item, path + ("assert", index), index + 1, checked)
                if assertion:
                    assertions.append(assertion)
        step = RequestStep(
            name=name, method=method, url=url, headers=headers, params=params, body=body,
            timeout=self.duration(raw.get("timeout"), path + ("timeout",)),
            verify_tls=raw.get("verify_tls") if isinstance(raw.get("verify_tls"), bool) else None,
            allow_redirects=raw.get("allow_redirects") if isinstance(raw.get("allow_redirects"), bool) else None,
            think_time=self.think_time(raw.get("think_time"), path + ("think_time",)),
            max_body=self.size(raw.get("max_body"), path + ("max_body",)),
            on_large_body=raw.get("on_large_body") if raw.get("on_large_body") in ("fail", "discard") else None,
            captures=captures, assertions=assertions, when=when,
            probability=raw.get("probability") if isinstance(raw.get("probability"), (int, float)) else None,
            on_fail=raw.get("on_fail", "stop_iteration"), tags=features.read_tags(raw.get("tags")),
            where=self.at(path),
        )
        scope.names.update(str(name) for name in self.mapping(raw.get("capture")))
        return step

    def read_body(self, raw: dict[str, Any], path: PathKey, scope: Scope) -> Body | None:
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
    """Load a spec from YAML text; `file` names it in messages. Raises SpecError.

    Every block under `environments:` is checked, not only the one `environment` selects: the
    spec is read once more with each other environment applied, and the problems found inside
    that environment's block are reported too."""
    spec, problems, doc = _load(text, file, base_dir, environment, variables)
    for name, (first, last) in environment_blocks(doc, environment).items():
        _, found, _ = _load(text, file, base_dir, name, variables)
        problems += [p for p in found if p.where.file == file and first <= p.where.line <= last]
    if problems or spec is None:
        raise SpecError(file, _dedupe(problems), text)
    return spec


def _load(text: str, file: str, base_dir: Path | None, environment: str | None,
          variables: Mapping[str, str] | None) -> tuple[Spec | None, list[Diagnostic], YamlDocument]:
    """One pass over the spec with `environment` applied: the Spec (or None) and every problem."""
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
        return None, list(doc.diagnostics), doc
    if environment:
        problem = apply_environment(doc, environment)
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
    return spec, problems + reader.problems + structure, doc


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
