"""Write a Spec as readable, commented YAML that the loader accepts as it is.

Its one job: `Spec` → text a person would be glad to edit (what `loadspec convert` writes): a header
comment (source, date, how to run, environment variables to set), short mappings on one line, long
ones as blocks, a separator comment per `RequestStep.section` (a browser page), the notes in
`RequestStep.comment` above each step, and each `Capture.comment` trailing its capture. It only
reads the Spec: no I/O, no importing, no engine.
The loader reading the output back must give the same Spec (the round-trip test checks it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import yaml

from .._version import __version__
from ..errors import TemplateError
from ..lang.templates import parse_template
from ..lang.text import format_duration, plain_number
from ..lang.units import parse_milliseconds
from ..model import (
    INLINE_QUERIES,
    Assertion,
    Capture,
    Defaults,
    GroupStep,
    Load,
    LoopStep,
    Predicate,
    RequestStep,
    Scenario,
    Spec,
    Step,
    ThinkTime,
    UploadFile,
    iter_request_steps,
)

FLOW_WIDTH = 88  # a mapping or list shorter than this (written inline) stays on one line
COMMENT_COLUMN = 40
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_BLOCK = re.compile(r"^[A-Za-z0-9_/.(<$^\\=+~;][^\x00-\x1f\x7f#'\"`]*$")
_PLAIN_FLOW = re.compile(r"^[A-Za-z0-9_/.(<$^\\=+~;][^\x00-\x1f\x7f#'\"`,\[\]{}]*$")
_FLOATS = yaml.SafeDumper(None)  # only its represent_float: `1.0e-07`, `.inf`, which YAML reads as floats


# --- scalars --------------------------------------------------------------------------------------


def scalar(value: Any, *, flow: bool = False) -> str:
    """One YAML scalar, quoted only when it has to be (and then as readably as possible)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _FLOATS.represent_float(value).value
    text = str(value)
    if _plain(text, flow):
        return text
    if "\n" not in text and not re.search(r"[\x00-\x1f\x7f]", text):
        if '"' not in text and "\\" not in text:
            return f'"{text}"'
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


@lru_cache(maxsize=1 << 14)
def _plain(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or ": " in text or text.endswith(":") or " #" in text:
        return False
    if not (_PLAIN_FLOW if flow else _PLAIN_BLOCK).match(text):
        return False
    if text.startswith("<<") or "{{" in text:
        return False  # keep templates visibly quoted, as the documentation writes them
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG


def _key(value: Any) -> str:
    return scalar(str(value), flow=True)


def flow(value: Any) -> str:
    """A value written inline: `{a: 1, b: [x, y]}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, (list, tuple)):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _inline(value: Any, room: int = FLOW_WIDTH) -> bool:
    if not isinstance(value, (dict, list, tuple)):
        return True
    return _depth(value) <= 2 and len(flow(value)) <= room


def block(value: Any, indent: int) -> list[str]:
    """A mapping or list as block lines at `indent`, short children inline."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_key(key)}:"
            if _inline(item, FLOW_WIDTH - len(head)):
                lines.append(f"{head} {flow(item) if isinstance(item, (dict, list, tuple)) else scalar(item)}")
            else:
                lines.append(head)
                lines.extend(block(item, indent + 2))
    else:
        for item in value:
            if _inline(item, FLOW_WIDTH - indent - 2):
                lines.append(f"{pad}- {flow(item) if isinstance(item, (dict, list, tuple)) else scalar(item)}")
            else:
                inner = block(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
    return lines


def _field(key: str, value: Any, indent: int, comment: str | None = None) -> list[str]:
    """`key: value` (inline when short, else a block), with an optional trailing comment."""
    head = f"{' ' * indent}{key}:"
    if isinstance(value, (dict, list, tuple)) and value and not _inline(value, FLOW_WIDTH - len(head)):
        lines = [_comment(head, comment)]
        lines.extend(block(value, indent + 2))
        return lines
    text = flow(value) if isinstance(value, (dict, list, tuple)) else scalar(value)
    return [_comment(f"{head} {text}", comment)]


def _comment(line: str, comment: str | None) -> str:
    if not comment:
        return line
    return f"{line.ljust(COMMENT_COLUMN - 1)} # {comment}" if len(line) < COMMENT_COLUMN - 1 else f"{line}  # {comment}"


duration = format_duration  # the writer's name for it: seconds as text that reads back exactly


def _think(think: ThinkTime) -> str:
    if think.minimum == think.maximum:
        return duration(think.minimum)
    return f"{duration(think.minimum)}..{duration(think.maximum)}"


# --- the spec -------------------------------------------------------------------------------------


def env_names(spec: Spec) -> list[str]:
    """Every `{{ env.NAME }}` the spec reads, in order of first use."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str):
            if "{{" not in value:
                return
            try:
                refs = parse_template(value).refs()
            except TemplateError:
                return  # the loader reports it; the header comment just does not list it
            for ref in refs:
                name = str(ref.path[-1])
                if ref.root == "env" and len(ref.path) == 2 and name not in found:
                    found.append(name)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    visit(spec.host)
    visit(spec.variables)
    visit(spec.defaults.headers)

    for scenario in spec.scenarios:
        for step in iter_request_steps(scenario.setup + scenario.steps):
            visit([step.url, step.headers, step.params, step.body.value if step.body else None])
    return found


def write_yaml(spec: Spec, *, sources: Sequence[str] = (), notes: Sequence[str] = (),
               output: str | None = None, created: datetime | None = None) -> str:
    """The spec as commented YAML. `sources` and `notes` go into the header comment; `output` is the
    file name used in the "how to run" lines."""
    when = (created or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    target = output or f"{spec.name}.yaml"
    lines = [f"# {spec.name}: a load test written by loadspec {__version__} on {when}"]
    if sources:
        lines.append("# from the browser recording" + ("s" if len(sources) > 1 else "") + ":")
        lines.extend(f"#   {source}" for source in sources)
    lines.append("#")
    for note in notes:
        lines.append(f"# {note}".rstrip())
    if notes:
        lines.append("#")
    needed = env_names(spec)
    if needed:
        lines.append("# Credentials of the recording are not in this file. Set them before a run:")
        lines.extend(f"#   export {name}=..." for name in needed)
        lines.append("#")
    lines.append(f"# Check: loadspec validate {target}")
    lines.append(f"# Run:   loadspec run {target} --host {spec.host or 'http://127.0.0.1:8000'} -u 10 -r 2 -t 1m")
    lines.append("#")
    lines.append("# Edit freely. A capture reads a value from a response into a variable that later steps send")
    lines.append("# back as {{ name }}; its comment says where the value was found in the recording.")
    lines.append("version: 1")
    lines.append(f"name: {scalar(spec.name)}")
    if spec.host:
        lines.append(_comment(f"host: {scalar(spec.host)}", "the recorded host; --host overrides it"))
    if spec.client != "wire":
        lines.append(f"client: {spec.client}")
    if spec.variables:
        lines.append("")
        lines.extend(_field("variables", spec.variables, 0))
    lines.append("")
    lines.extend(_load(spec.load))
    defaults = _defaults(spec.defaults)
    if defaults:
        lines.append("")
        lines.extend(defaults)
    if spec.data:
        lines.append("")
        lines.append("data:")
        for pool in spec.data.values():
            lines.append(f"  {_key(pool.name)}:")
            lines.append(f"    csv: {scalar(str(pool.path))}")
            lines.append(f"    order: {pool.order}")
            lines.append(f"    scope: {pool.scope}")
            lines.append(f"    on_exhausted: {pool.on_exhausted}")
    if spec.thresholds:
        lines.append("")
        lines.append("thresholds:")
        for threshold in spec.thresholds:
            if threshold.step is None and not threshold.abort_on_fail and not threshold.delay_abort_eval:
                lines.append(f"  - {scalar(threshold.text)}")
            else:
                item: dict[str, Any] = {"check": threshold.text}
                if threshold.step is not None:
                    item["step"] = threshold.step
                if threshold.abort_on_fail:
                    item["abort_on_fail"] = True
                if threshold.delay_abort_eval:
                    item["delay_abort_eval"] = duration(threshold.delay_abort_eval)
                lines.append(f"  - {flow(item)}")
    lines.append("")
    lines.append("scenarios:")
    for scenario in spec.scenarios:
        lines.extend(_scenario(scenario))
    return "\n".join(lines) + "\n"


def _load(load: Load) -> list[str]:
    values: dict[str, Any] = {}
    if load.users is not None:
        values["users"] = load.users
    if load.spawn_rate is not None:
        values["spawn_rate"] = load.spawn_rate
    if load.duration is not None:
        values["duration"] = duration(load.duration)
    if load.stages:
        values["stages"] = [{"duration": duration(s.duration), "users": s.users,
                             **({"spawn_rate": s.spawn_rate} if s.spawn_rate is not None else {})}
                            for s in load.stages]
    if load.iterations is not None:
        values["iterations"] = load.iterations
    if load.pacing is not None:
        values["pacing"] = duration(load.pacing)
    if values:
        return _field("load", values, 0)
    return [_comment("# load:", "or give -u/-r/-t on the command line; without either,"),
            _comment("#   users: 10", "one user runs one iteration (a smoke test)"),
            "#   spawn_rate: 2",
            "#   duration: 1m"]


def _defaults(defaults: Defaults) -> list[str]:
    lines: list[str] = []
    if defaults.headers:
        lines.append(_comment("  headers:", "sent by every step; a step's own value wins"))
        lines.extend(block(defaults.headers, 4))
    if defaults.timeout is not None:
        lines.append(f"  timeout: {duration(defaults.timeout)}")
    if defaults.verify_tls is not None:
        lines.append(f"  verify_tls: {scalar(defaults.verify_tls)}")
    if defaults.allow_redirects is not None:
        lines.append(f"  allow_redirects: {scalar(defaults.allow_redirects)}")
    if defaults.think_time is not None:
        lines.append(f"  think_time: {_think(defaults.think_time)}")
    return ["defaults:"] + lines if lines else []


def _scenario(scenario: Scenario) -> list[str]:
    lines = [f"  - name: {scalar(scenario.name)}"]
    lines.append(_comment(f"    weight: {scenario.weight}", "relative share of the users running this scenario"))
    if scenario.cookies != "user":
        lines.append(_comment(f"    cookies: {scenario.cookies}", "each iteration starts with an empty cookie jar"))
    if scenario.setup:
        lines.append("    setup:")
        lines.extend(_steps(scenario.setup, 6))
    lines.append("    steps:")
    lines.extend(_steps(scenario.steps, 6))
    return lines


def _steps(steps: list[Step], indent: int) -> list[str]:
    lines: list[str] = []
    page = None
    pad = " " * indent
    for step in steps:
        if isinstance(step, RequestStep):
            if step.section and step.section != page:
                page = step.section
                rule = f"{pad}# ── page {page} "
                lines.append(rule + "─" * max(4, 80 - len(rule)))
            lines.extend(f"{pad}# {text}" for text in (step.comment or "").splitlines() if text.strip())
            lines.extend(_request(step, indent))
        elif isinstance(step, LoopStep):
            loop: dict[str, Any] = {"count": step.count} if step.count is not None else {"over": step.over}
            if step.over is not None and step.as_name != "item":
                loop["as"] = step.as_name
            lines.append(f"{pad}- loop: {flow(loop)}")
            lines.append(f"{pad}  steps:")
            lines.extend(_steps(step.steps, indent + 4))
        elif isinstance(step, GroupStep):
            lines.append(f"{pad}- group: {scalar(step.name)}")
            lines.append(f"{pad}  steps:")
            lines.extend(_steps(step.steps, indent + 4))
    return lines


def _request(step: RequestStep, indent: int) -> list[str]:
    pad = " " * (indent + 2)
    lines = [f"{' ' * indent}- name: {scalar(step.name)}"]
    lines.append(f"{pad}{step.method}: {scalar(step.url)}")
    if step.params:
        lines.extend(_field("params", step.params, indent + 2))
    if step.headers:
        lines.append(f"{pad}headers:")
        lines.extend(block(step.headers, indent + 4))
    if step.body is not None:
        kind, value = step.body.kind, step.body.value
        if kind == "json":
            lines.extend(_field("json", value, indent + 2))
        elif kind == "form":
            lines.extend(_field("form", value, indent + 2))
        elif kind == "raw":
            lines.extend(_raw_body(str(value), indent + 2))
        else:
            parts = {name: ({"file": part.path, **({"content_type": part.content_type} if part.content_type else {}),
                             **({"filename": part.filename} if part.filename else {})}
                            if isinstance(part, UploadFile) else {"value": part})
                     for name, part in value.items()}
            lines.extend(_field("files", parts, indent + 2))
    for key in ("timeout", "verify_tls", "allow_redirects", "probability"):
        value = getattr(step, key)
        if value is not None:
            text = duration(value) if key == "timeout" else scalar(value)
            note = "the recording did not follow this redirect" if key == "allow_redirects" and not value else None
            lines.append(_comment(f"{pad}{key}: {text}", note))
    if step.think_time is not None:
        lines.append(_comment(f"{pad}think_time: {_think(step.think_time)}", "pause after this step"))
    if step.on_fail != "stop_iteration":
        lines.append(f"{pad}on_fail: {step.on_fail}")
    if step.when is not None:
        lines.append(f"{pad}when: {flow(_assertion(step.when))}")
    if step.captures:
        lines.append(f"{pad}capture:")
        for capture in step.captures:
            lines.append(_comment(f"{pad}  {_key(capture.name)}: {flow(_capture(capture))}", capture.comment))
    if step.assertions:
        lines.append(f"{pad}assert:")
        for assertion in step.assertions:
            item = _assertion(assertion)
            if len(item) == 1 and _inline(next(iter(item.values()))):
                key, value = next(iter(item.items()))
                text = flow(value) if isinstance(value, (dict, list, tuple)) else scalar(value)
                lines.append(f"{pad}  - {_key(key)}: {text}")
            else:
                lines.append(f"{pad}  - {flow(item)}")
    return lines


def _raw_body(text: str, indent: int) -> list[str]:
    """A raw body: a literal block (`|`) when it is plain multi-line text, else one quoted line."""
    pad = " " * indent
    core = text[:-1] if text.endswith("\n") else text
    if ("\n" in core and not core.endswith("\n") and not text.startswith((" ", "\t", "\n"))
            and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]|[ \t]\n|[ \t]$", core)):
        lines = [f"{pad}body: |{'' if text.endswith(chr(10)) else '-'}"]
        lines.extend(f"{pad}  {line}" if line else "" for line in core.split("\n"))
        return lines
    return [f"{pad}body: {scalar(text)}"]


def _capture(capture: Capture) -> dict[str, Any]:
    kind = capture.query.kind
    out: dict[str, Any] = {kind: True if kind in INLINE_QUERIES else capture.query.selector}
    if capture.pick != "first":
        out["pick"] = capture.pick
    if capture.has_default:
        out["default"] = capture.default
    return out


def _predicate_value(predicate: Predicate, kind: str) -> Any:
    value = predicate.value
    if kind == "duration" and predicate.op in ("eq", "ne", "gt", "gte", "lt", "lte") and isinstance(
            value, (int, float)):
        text = f"{plain_number(value)}ms"
        return text if parse_milliseconds(text) == value else value  # a bare number is milliseconds, exactly
    if predicate.op == "length" and isinstance(value, list):
        return {p.op: _predicate_value(p, "length") for p in value}
    return value


def _assertion(assertion: Assertion) -> dict[str, Any]:
    kind = assertion.query.kind
    predicates = assertion.predicates
    if kind in INLINE_QUERIES:
        if kind == "status" and len(predicates) == 1 and predicates[0].op in ("eq", "in"):
            return {"status": predicates[0].value}
        if kind == "body" and len(predicates) == 1 and predicates[0].op == "eq":
            return {"body": predicates[0].value}
        return {kind: {p.op: _predicate_value(p, kind) for p in predicates}}
    out: dict[str, Any] = {kind: assertion.query.selector}
    for predicate in predicates:
        out[predicate.op] = _predicate_value(predicate, kind)
    return out


__all__ = ["block", "duration", "env_names", "flow", "scalar", "write_yaml"]
