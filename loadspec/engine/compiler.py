"""Compile a Spec into Locust user classes: one user class per scenario, everything prepared once.

Templates become render functions, JMESPath and regexes are compiled, headers merged with defaults,
upload files read, CSV cursors built, request keyword arguments split into a fixed part and the few
parts to render, the on_fail outcome and think time resolved. What runs per request lives in
`steps.py`; this module only builds it. The Spec stays engine-free.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locust import FastHttpUser, HttpUser, User, constant, constant_pacing

from ..errors import CompileError, TemplateError
from ..lang.checks import compile_capture, compile_check, compile_condition, describe_predicate, describe_query
from ..lang.credentials import Masker
from ..lang.templates import CompiledValue, EnvLookup, compile_value
from ..lang.text import identifier, unique_name
from ..model import Body, GroupStep, RequestStep, Scenario, Spec, Step, ThinkTime, UploadFile
from ..results.runlog import RunLog
from ..sources.features import extension_builtins
from ..writers.yaml import env_names
from .pools import PoolCursor
from .steps import (
    DEFAULT_BODY_LIMIT,
    DEFAULT_TIMEOUT,
    ON_FAIL,
    CompiledGroup,
    CompiledLoop,
    CompiledRequest,
    LoadspecUser,
    Runnable,
    WireRequest,
    query_params,
    scenario_task,
)
from .wire import WireOptions, encode_form, encode_json, encode_multipart, header_lines, prepare

FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"  # what Locust's FastHttpSession sends
TEXT_TYPE = "text/plain; charset=utf-8"


def compile_request(step: RequestStep, spec: Spec, env: EnvLookup, client: str, base_dir: Path,
                    host: str = "http://127.0.0.1") -> CompiledRequest:
    """Prepare everything one request step needs, once: render functions, merged headers, the fixed
    and the dynamic keyword arguments (the request bytes for the wire client), checks, captures,
    think time and the on_fail outcome."""
    defaults = spec.defaults
    request = WireRequest() if client == "wire" else CompiledRequest()
    request.name = step.name
    request.method = step.method.upper()
    url = compile_value(step.url, env)
    request.url_static = url.value if url.static else None
    request.url_render = url.render
    headers = dict(defaults.headers)
    for key, value in step.headers.items():
        for existing in [k for k in headers if k.lower() == key.lower()]:
            del headers[existing]
        headers[key] = value
    timeout = step.timeout if step.timeout is not None else defaults.timeout
    verify = step.verify_tls if step.verify_tls is not None else defaults.verify_tls
    verify = True if verify is None else verify
    redirects = step.allow_redirects if step.allow_redirects is not None else defaults.allow_redirects
    body_kind, body, files = _compile_body(step.body, env, base_dir)
    fixed: dict[str, Any] = {"name": step.name, "catch_response": True,
                             "allow_redirects": True if redirects is None else redirects,
                             "stream": True}  # the step reads the body itself, within its body limit
    dynamic: list[tuple[str, Any]] = []
    parts = (("headers", compile_value(headers, env) if headers else None),
             ("params", compile_value(step.params, env) if step.params else None), (body_kind, body))
    for key, value in parts:
        if value is None:
            continue
        if value.static:
            fixed[key] = query_params(value.value) if key == "params" else value.value
        else:
            dynamic.append((key, value.render))
    if files is not None:
        fixed["files"] = files
    if client == "requests":
        fixed["timeout"] = timeout or DEFAULT_TIMEOUT
        fixed["verify"] = verify
    request.fixed_kwargs, request.dynamic_kwargs = fixed, dynamic
    # FastHttpSession has no per-request timeout or TLS switch: steps that differ from the
    # user's defaults get a session of their own (sharing the cookie jar), keyed here.
    request.session_key = (timeout, verify)
    request.client = client
    request.total_timeout = timeout or DEFAULT_TIMEOUT  # for the whole exchange, body included
    limit = step.max_body if step.max_body is not None else defaults.max_body
    request.body_limit = int(limit) if limit is not None else DEFAULT_BODY_LIMIT
    over = step.on_large_body or defaults.on_large_body
    request.large_body_ok = over == "discard"
    think: ThinkTime | None = step.think_time or defaults.think_time
    request.think = (think.minimum, think.maximum) if think and think.maximum > 0 else None
    request.checks = [compile_check(a, step.name, env) for a in step.assertions]
    request.checks_status = any(a.query.kind == "status" for a in step.assertions)
    request.check_labels = [
        f"assert #{a.index} {describe_query(a.query)} "
        + " ".join(describe_predicate(p, a.query.kind) for p in a.predicates)
        for a in step.assertions
    ]
    request.captures = [compile_capture(c, step.name) for c in step.captures]
    request.when = compile_condition(step.when, env) if step.when else None
    request.probability = step.probability
    request.fail_outcome = ON_FAIL[step.on_fail]
    if isinstance(request, WireRequest):
        options = WireOptions(timeout=timeout or DEFAULT_TIMEOUT, total_timeout=timeout or DEFAULT_TIMEOUT,
                              verify=verify, follow_redirects=True if redirects is None else redirects,
                              body_limit=request.body_limit)
        _prepare_wire(request, step, headers, env, base_dir, host, options)
    return request


def _prepare_wire(request: WireRequest, step: RequestStep, headers: dict[str, Any], env: EnvLookup,
                  base_dir: Path, host: str, options: WireOptions) -> None:
    """The wire client's request, as bytes where it is fixed and as renderers where it is not. What
    cannot be sent at all (a header with a line break, a port out of range) fails each request."""
    static: dict[str, Any] = {}
    dynamic: list[tuple[str, CompiledValue]] = []
    for name, value in headers.items():
        compiled = compile_value(value, env)
        if compiled.static:
            static[name] = compiled.value
        else:
            dynamic.append((name, compiled))
    given = {name.lower() for name in headers}
    body_bytes, request.render_body = _wire_body(step, env, base_dir, static, given)
    url = compile_value(step.url, env)
    params = compile_value(step.params, env) if step.params else None
    request.render_target = None
    if url.static and (params is None or params.static):
        first = _with_query(str(url.value), params.value if params is not None else None)
    else:
        first, url_get = "/", url.get
        params_get = params.get if params is not None else None
        request.render_target = lambda variables: _with_query(
            str(url_get(variables)), params_get(variables) if params_get is not None else None)
    request.render_headers = None
    if dynamic:
        request.render_headers = lambda variables: header_lines(
            [(name, value.render(variables)) for name, value in dynamic])  # type: ignore[misc]
    try:
        request.prepared = prepare(request.method, first, static, body_bytes, base_url=host, options=options,
                                   added_later=[name for name, _ in dynamic])
    except ValueError as exc:
        problem = str(exc)
        request.prepared = prepare(request.method, "/", base_url=host, options=options)

        def unsendable(variables: dict[str, Any]) -> str:
            raise ValueError(problem)
        request.render_target = unsendable


def _with_query(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + encode_form(query_params(params)).decode("ascii")


def _wire_body(step: RequestStep, env: EnvLookup, base_dir: Path, headers: dict[str, Any],
               given: set[str]) -> tuple[bytes | None, Any]:
    """The body bytes if fixed, else a renderer; adds the Content-Type (and for JSON the Accept)
    header that Locust's FastHttpSession would add, unless the step sets it."""
    body = step.body
    if body is None:
        return None, None
    if body.kind == "files":
        kind, value, files = _compile_body(body, env, base_dir)
        boundary = encode_multipart({}, {})[1].split("boundary=", 1)[1]
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        encode: Any = lambda fields: encode_multipart(fields or {}, files, boundary)[0]  # noqa: E731
    else:
        value = compile_value(body.value if body.kind != "raw" else str(body.value), env)
        if body.kind == "json":
            encode = encode_json
            if "content-type" not in given:
                headers["Content-Type"] = "application/json"
            if "accept" not in given:
                headers["Accept"] = "application/json"
        else:
            encode = lambda data: encode_form(data) if isinstance(data, dict) else str(data).encode()  # noqa: E731
            if "content-type" not in given:
                headers["Content-Type"] = FORM_TYPE if body.kind == "form" else TEXT_TYPE
    if value is None or value.static:
        return encode(value.value if value is not None else None), None
    render = value.render
    return None, lambda variables: encode(render(variables))  # type: ignore[misc]


def _compile_body(body: Body | None, env: EnvLookup, base_dir: Path) -> tuple[str, CompiledValue | None, Any]:
    if body is None:
        return "data", None, None
    if body.kind == "json":
        return "json", compile_value(body.value, env), None
    if body.kind in ("form", "raw"):
        value = body.value if body.kind == "form" else str(body.value)
        return "data", compile_value(value, env), None
    files: dict[str, tuple[str, bytes, str]] = {}
    fields: dict[str, Any] = {}
    for name, part in body.value.items():
        if isinstance(part, UploadFile):
            path = base_dir / part.path
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CompileError(f"cannot read upload file {path}: {exc.strerror}") from None
            files[name] = (part.filename or path.name, content, part.content_type or "application/octet-stream")
        else:
            fields[name] = part
    return "data", compile_value(fields, env) if fields else None, files


class _Compiler:
    def __init__(self, spec: Spec, env: EnvLookup, client: str, host: str):
        self.spec, self.env, self.client, self.host = spec, env, client, host
        self.base_dir = spec.source.resolve().parent if spec.source else Path.cwd()

    def steps(self, steps: list[Step]) -> list[Runnable]:
        compiled: list[Runnable] = []
        for step in steps:
            if isinstance(step, RequestStep):
                compiled.append(compile_request(step, self.spec, self.env, self.client, self.base_dir, self.host))
            elif isinstance(step, GroupStep):
                compiled.append(CompiledGroup(step.name, self.steps(step.steps)))
            else:
                over = compile_value(step.over, self.env) if step.over is not None else None
                compiled.append(CompiledLoop(self.steps(step.steps), count=step.count, over=over, as_name=step.as_name))
        return compiled


@dataclass
class CompiledTest:
    """The compiled form of a Spec: user classes plus the shared run-time state."""

    spec: Spec
    user_classes: list[type]
    host: str
    cursors: list[PoolCursor]
    variables: list[tuple[str, CompiledValue]]
    run_log: RunLog = field(default_factory=RunLog)
    user_ids: Any = field(default_factory=lambda: itertools.count(1))
    #: `before` / `after` as user classes of their own (never spawned by Locust; see engine/hooks.py)
    hooks: dict[str, type] = field(default_factory=dict)
    #: what `before:` captured, by name (every user's variables; shipped to distributed workers)
    shared: dict[str, Any] = field(default_factory=dict)


def _class_name(name: str, taken: set[str]) -> str:
    return unique_name(identifier(name, "Scenario"), taken)


def compile_spec(
    spec: Spec,
    *,
    env: Mapping[str, str],
    host: str | None = None,
    client: str | None = None,
    iterations: int | None = None,
    pacing: float | None = None,
) -> CompiledTest:
    """Turn `spec` into Locust user classes. Raises CompileError (e.g. env variables missing)."""
    lookup = EnvLookup(env, extension_builtins(spec.extensions))
    kind = client or spec.client
    try:
        resolved_host = compile_value(host or spec.host or "", lookup)
        # a host that is missing or not http(s) stops the compile below; the wire client's bytes
        # are prepared for a placeholder until then
        prepared_for = str(resolved_host.value).rstrip("/") if resolved_host.static else ""
        if not prepared_for.lower().startswith(("http://", "https://")):
            prepared_for = "http://127.0.0.1"
        compiler = _Compiler(spec, lookup, kind, prepared_for)
        variables = [(name, compile_value(value, lookup)) for name, value in spec.variables.items()]
        compiled_scenarios = [
            (scenario, compiler.steps(scenario.setup), compiler.steps(scenario.steps))
            for scenario in spec.scenarios
        ]
        hooks = [(Scenario(name=name, steps=steps), compiler.steps(steps))
                 for name, steps in (("before", spec.before), ("after", spec.after)) if steps]
    except TemplateError as exc:
        raise CompileError(f"template error: {exc}") from None
    if lookup.missing:
        names = ", ".join(lookup.missing)
        raise CompileError(
            f"environment variable{'s' if len(lookup.missing) > 1 else ''} not set: {names} — "
            "export them, or pass --env-file FILE (dotenv format)"
        )
    if not resolved_host.static or not str(resolved_host.value):
        raise CompileError("no host: set host: in the spec or pass --host http://127.0.0.1:8000")
    base_host = str(resolved_host.value).rstrip("/")
    cursors = [PoolCursor(pool) for pool in spec.data.values()]
    test = CompiledTest(spec=spec, user_classes=[], host=base_host, cursors=cursors, variables=variables)
    test.run_log.masker = Masker.for_environment(env, env_names(spec), spec.recorded_secrets)
    taken: set[str] = set()
    for scenario, setup, steps in compiled_scenarios:
        name = _class_name(scenario.name, taken)
        test.user_classes.append(_make_user_class(test, name, scenario, setup, steps, kind, iterations, pacing))
    for scenario, steps in hooks:
        test.hooks[scenario.name] = _make_user_class(test, f"Loadspec{scenario.name.title()}", scenario, [], steps,
                                                     kind, None, None)
    return test


def _scenario_context(context: dict[str, str]) -> Any:
    def user_context(self: Any) -> dict[str, str]:
        return context

    return user_context


def _make_user_class(
    test: CompiledTest, name: str, scenario: Scenario, setup: list[Runnable], steps: list[Runnable],
    kind: str, iterations: int | None, pacing: float | None,
) -> type:
    spec = test.spec
    base: type = {"wire": User, "fast": FastHttpUser}.get(kind, HttpUser)
    timeout = spec.defaults.timeout or DEFAULT_TIMEOUT
    verify = True if spec.defaults.verify_tls is None else spec.defaults.verify_tls
    pace = pacing if pacing is not None else spec.load.pacing
    attributes: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"loadspec scenario '{scenario.name}'",
        "host": test.host,
        "weight": scenario.weight,
        "tasks": [scenario_task(scenario.name)],
        "wait_time": constant_pacing(pace) if pace else constant(0),
        "test": test,
        "scenario_name": scenario.name,
        "scenario_setup": setup,
        "scenario_steps": steps,
        "iterations": iterations if iterations is not None else spec.load.iterations,
        "client_kind": kind,
        "default_session_key": (spec.defaults.timeout, verify),
        # Locust merges this into every request event's context: OpenTelemetry names the scenario
        "context": _scenario_context({"scenario": scenario.name}),
        "fresh_cookies": scenario.cookies == "iteration",
        "setup_cookies": [],
    }
    if kind == "fast":
        attributes.update(network_timeout=timeout, connection_timeout=timeout, insecure=not verify,
                          max_retries=0)
    if kind == "wire":
        attributes["wire_options"] = WireOptions(timeout=timeout, total_timeout=timeout, verify=verify)
    return type(base)(name, (LoadspecUser, base), attributes)


__all__ = ["CompiledTest", "compile_request", "compile_spec"]
