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

from locust import FastHttpUser, HttpUser, constant, constant_pacing

from ..errors import CompileError, TemplateError
from ..lang.checks import compile_capture, compile_check, compile_condition, describe_predicate, describe_query
from ..lang.templates import CompiledValue, EnvLookup, compile_value
from ..lang.text import identifier, unique_name
from ..model import Body, GroupStep, RequestStep, Scenario, Spec, Step, ThinkTime, UploadFile
from ..results.runlog import RunLog
from .pools import PoolCursor
from .steps import (
    DEFAULT_TIMEOUT,
    ON_FAIL,
    CompiledGroup,
    CompiledLoop,
    CompiledRequest,
    LoadspecUser,
    Runnable,
    iteration_task,
    query_params,
)


def compile_request(step: RequestStep, spec: Spec, env: EnvLookup, client: str, base_dir: Path) -> CompiledRequest:
    """Prepare everything one request step needs, once: render functions, merged headers, the fixed
    and the dynamic keyword arguments, checks, captures, think time and the on_fail outcome."""
    defaults = spec.defaults
    request = CompiledRequest()
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
                             "allow_redirects": True if redirects is None else redirects}
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
    return request


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
    def __init__(self, spec: Spec, env: EnvLookup, client: str):
        self.spec, self.env, self.client = spec, env, client
        self.base_dir = spec.source.resolve().parent if spec.source else Path.cwd()

    def steps(self, steps: list[Step]) -> list[Runnable]:
        compiled: list[Runnable] = []
        for step in steps:
            if isinstance(step, RequestStep):
                compiled.append(compile_request(step, self.spec, self.env, self.client, self.base_dir))
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
    lookup = EnvLookup(env)
    kind = client or spec.client
    try:
        resolved_host = compile_value(host or spec.host or "", lookup)
        compiler = _Compiler(spec, lookup, kind)
        variables = [(name, compile_value(value, lookup)) for name, value in spec.variables.items()]
        compiled_scenarios = [
            (scenario, compiler.steps(scenario.setup), compiler.steps(scenario.steps))
            for scenario in spec.scenarios
        ]
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
    taken: set[str] = set()
    for scenario, setup, steps in compiled_scenarios:
        name = _class_name(scenario.name, taken)
        test.user_classes.append(_make_user_class(test, name, scenario, setup, steps, kind, iterations, pacing))
    return test


def _make_user_class(
    test: CompiledTest, name: str, scenario: Scenario, setup: list[Runnable], steps: list[Runnable],
    kind: str, iterations: int | None, pacing: float | None,
) -> type:
    spec = test.spec
    base: type = FastHttpUser if kind == "fast" else HttpUser
    timeout = spec.defaults.timeout or DEFAULT_TIMEOUT
    verify = True if spec.defaults.verify_tls is None else spec.defaults.verify_tls
    pace = pacing if pacing is not None else spec.load.pacing
    attributes: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"loadspec scenario '{scenario.name}'",
        "host": test.host,
        "weight": scenario.weight,
        "tasks": [iteration_task],
        "wait_time": constant_pacing(pace) if pace else constant(0),
        "test": test,
        "scenario_name": scenario.name,
        "scenario_setup": setup,
        "scenario_steps": steps,
        "iterations": iterations if iterations is not None else spec.load.iterations,
        "client_kind": kind,
        "default_session_key": (spec.defaults.timeout, verify),
        "fresh_cookies": scenario.cookies == "iteration",
        "setup_cookies": [],
    }
    if kind == "fast":
        attributes.update(network_timeout=timeout, connection_timeout=timeout, insecure=not verify,
                          max_retries=0)
    return type(base)(name, (LoadspecUser, base), attributes)


__all__ = ["CompiledTest", "compile_request", "compile_spec"]
