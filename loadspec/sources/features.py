"""Read the parts of a spec added for the open model and the test level: arrival rates, `before:` /
`after:` hooks, `extensions:` (Python files of template functions) and step tags.

The YAML loader (`loader.py`) calls these readers with itself as `reader`, so every problem is a
diagnostic with `file:line:col` like any other, collected in the same pass. Extensions are imported
here, once, at load time, to learn their functions and arities; a missing file, a syntax error or an
exception while importing is a load-time error pointing into the extension file. Nothing here runs
a request or imports the engine.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import itertools
import sys
import traceback
from pathlib import Path
from typing import Any

from ..lang.templates import FUNCTIONS, Builtin
from ..lang.units import TEST_METRICS, parse_rate
from ..model import Extension, GroupStep, Load, Location, RequestStep, Spec, Stage, Step, Threshold, iter_steps

#: Unbounded *args in an extension function: accept up to this many arguments.
MAX_EXTENSION_ARGS = 16
_module_ids = itertools.count(1)


# --- extensions -----------------------------------------------------------------------------------


def read_extensions(reader: Any, raw: Any) -> list[Extension]:
    """Import every file of `extensions:` (paths relative to the spec) and list its functions."""
    found: list[Extension] = []
    if not isinstance(raw, list):
        return found
    names: dict[str, str] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            continue
        path = ("extensions", index)
        file = (reader.base_dir / item).resolve()
        if not file.is_file():
            reader.error(path, f"extension file '{item}' not found",
                         f"looked for {file}; paths are relative to the spec file's folder")
            continue
        if file.suffix != ".py":
            reader.error(path, f"extension '{item}' is not a Python file (.py)")
            continue
        module = _import(reader, file, path)
        if module is None:
            continue
        extension = Extension(path=item, file=file, where=reader.at(path))
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            if name in FUNCTIONS:
                reader.error(path, f"extension function '{name}()' in {file.name} has the name of a built-in",
                             "rename it: a template must mean one thing")
                continue
            if name in names:
                reader.error(path, f"extension function '{name}()' is defined in both {names[name]} and {item}")
                continue
            names[name] = item
            extension.functions[name] = (function, *_arity(function))
        found.append(extension)
    return found


def _import(reader: Any, file: Path, path: tuple[Any, ...]) -> Any:
    """Run the extension file as a fresh module; a problem becomes a diagnostic at its own line."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reader.error(path, f"cannot read extension '{file.name}': {exc}")
        return None
    try:
        code = compile(text, str(file), "exec")
    except SyntaxError as exc:
        reader.error_at(Location(str(file), exc.lineno or 1, exc.offset or 1),
                        f"syntax error in extension: {exc.msg}", "fix the Python file named by extensions:")
        return None
    name = f"loadspec_extension_{next(_module_ids)}_{file.stem}"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(file))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    module.__file__ = str(file)
    sys.modules[name] = module  # dataclasses and pickling look their module up while it runs
    try:
        exec(code, module.__dict__)  # noqa: S102 - the spec's author asked for this file to run
    except Exception as exc:  # noqa: BLE001 - report whatever the module raised, at its line
        sys.modules.pop(name, None)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
        line = frames[-1].lineno if frames else 1
        reader.error_at(Location(str(file), line or 1, 1),
                        f"extension raised {type(exc).__name__} while loading: {exc}")
        return None
    return module


def _arity(function: Any) -> tuple[int, int]:
    """(minimum, maximum) positional arguments of a function."""
    low = high = 0
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            high += 1
            if parameter.default is parameter.empty:
                low += 1
        elif parameter.kind == parameter.VAR_POSITIONAL:
            high = MAX_EXTENSION_ARGS
    return low, max(low, high)


def extension_builtins(extensions: list[Extension]) -> dict[str, Builtin]:
    """The template functions the extensions define, as `Builtin`s (checked and called like them)."""
    return {name: Builtin(function, low, high)
            for extension in extensions for name, (function, low, high) in extension.functions.items()}


# --- before: and after: ----------------------------------------------------------------------------


def read_hooks(reader: Any, data: dict[str, Any], variables: set[str], base: set[str],
               scope_type: Any, collect_captures: Any) -> tuple[list[Step], list[Step]]:
    """The `before:` and `after:` steps. Their scope is the variables (no data pool rows: the hooks
    are no user); what `before:` captures joins `base`, the names every scenario (and `after:`) sees.
    `scope_type` and `collect_captures` are the loader's own (`_Scope`, `_collect_captures`)."""
    _collect_captures = collect_captures
    hook_names = set(variables) | {"user_id", "iteration", "env"}
    later: dict[str, tuple[str, int]] = {}
    _collect_captures(reader.listing(data.get("before")), ("before",), reader.doc, later)
    before_scope = scope_type(hook_names, later)
    before = reader.read_steps(reader.listing(data.get("before")), ("before",), before_scope)
    captured = before_scope.names - hook_names
    base.update(captured)
    after_later: dict[str, tuple[str, int]] = {}
    _collect_captures(reader.listing(data.get("after")), ("after",), reader.doc, after_later)
    after = reader.read_steps(reader.listing(data.get("after")), ("after",),
                              scope_type(hook_names | captured, after_later))
    return before, after


def captured_names(steps: list[Step]) -> list[str]:
    """Every variable the steps capture, in order (what `before:` hands to the users)."""
    names: list[str] = []
    for step in iter_steps(steps):
        if isinstance(step, RequestStep):
            names += [c.name for c in step.captures if c.name not in names]
    return names


# --- the open model ---------------------------------------------------------------------------------


def read_rate(reader: Any, value: Any, path: tuple[Any, ...]) -> float | None:
    if value is None:
        return None
    try:
        rate = parse_rate(value)
    except ValueError as exc:
        reader.error(path, str(exc))
        return None
    return rate


def read_open_load(reader: Any, raw: dict[str, Any], load: Load) -> Load:
    """Add `rate`, `max_users` and stage rates to `load`, and check that they make one model."""
    load.rate = read_rate(reader, raw.get("rate"), ("load", "rate"))
    load.max_users = raw.get("max_users") if isinstance(raw.get("max_users"), int) else None
    stages: list[Stage] = []
    for index, stage in enumerate(reader.listing(raw.get("stages"))):
        if not isinstance(stage, dict) or "rate" not in stage:
            continue
        if "users" in stage:
            reader.error(("load", "stages", index, "users"), "a stage sets either users (closed model) or "
                         "rate (open model), not both", key=True)
            continue
        seconds = reader.duration(stage.get("duration"), ("load", "stages", index, "duration"))
        rate = read_rate(reader, stage.get("rate"), ("load", "stages", index, "rate"))
        if seconds is not None and rate is not None:
            stages.append(Stage(seconds, 0, None, rate))
    if stages:
        if len(stages) != len(reader.listing(raw.get("stages"))) or load.stages:
            reader.error(("load", "stages"), "mix of user stages and rate stages: all stages set users:, "
                         "or all set rate:", key=True)
        load.stages = stages
    if not load.is_open:
        if "max_users" in raw:
            reader.error(("load", "max_users"), "max_users applies to the open model: add rate: (e.g. 20/s)",
                         key=True)
        return load
    closed_keys = [key for key in ("iterations", "pacing", "spawn_rate") if key in raw]
    for key in closed_keys:
        reader.error(("load", key), f"{key} applies to the closed model; with rate: the rate decides when "
                     "iterations start", key=True)
    if stages and "duration" in raw:
        reader.error(("load", "duration"), "rate stages already say how long the test runs", key=True)
    elif not stages and load.duration is None:
        reader.error(("load", "rate"), "an arrival rate needs a duration: (e.g. {rate: 20/s, duration: 1m})",
                     key=True)
    if load.max_users is None:
        reader.error(("load",), "the open model needs max_users: the most users that may run iterations "
                     "at the same time", "e.g. load: {rate: 20/s, duration: 1m, max_users: 50}", key=True)
    elif load.users is not None and load.users < 1:
        reader.error(("load", "users"), "the open model starts at least 1 user up front", key=True)
    elif load.users is not None and load.users > load.max_users:
        reader.error(("load", "users"), f"users ({load.users}) are started up front and cannot exceed "
                     f"max_users ({load.max_users})", key=True)
    return load


# --- tags ----------------------------------------------------------------------------------------


def read_tags(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def spread_group_tags(group: GroupStep) -> None:
    """A group's tags apply to every step inside it (the step's own tag wins)."""
    if not group.tags:
        return
    for step in iter_steps(group.steps):
        if isinstance(step, (RequestStep, GroupStep)):
            step.tags = {**group.tags, **step.tags}


def step_tags(spec: Spec) -> dict[str, dict[str, str]]:
    """Tags by statistics name, over every step of the spec (hooks included)."""
    found: dict[str, dict[str, str]] = {}
    steps = spec.before + spec.after + [s for sc in spec.scenarios for s in sc.setup + sc.steps]
    for step in iter_steps(steps):
        if isinstance(step, (RequestStep, GroupStep)) and step.tags:
            found.setdefault(step.name, {}).update(step.tags)
    return found


def read_threshold_tags(reader: Any, options: dict[str, Any], path: tuple[Any, ...], threshold: Threshold,
                        spec: Spec) -> Threshold:
    """`tags:` of a threshold: the request steps carrying all of them, resolved to their names."""
    if "tags" not in options:
        return threshold
    tags = read_tags(options["tags"])
    if threshold.step is not None:
        reader.error(path + ("tags",), "a threshold takes step: or tags:, not both", key=True)
        return threshold
    if threshold.metric in TEST_METRICS:
        reader.error(path + ("tags",), f"{threshold.metric} counts the whole test; it cannot be filtered by tags",
                     key=True)
        return threshold
    steps = spec.before + spec.after + [s for sc in spec.scenarios for s in sc.setup + sc.steps]
    names = tuple(dict.fromkeys(step.name for step in iter_steps(steps) if isinstance(step, RequestStep)
                                and all(step.tags.get(k) == v for k, v in tags.items())))
    if not names:
        known = sorted({f"{k}: {v}" for t in step_tags(spec).values() for k, v in t.items()})
        wanted = ", ".join(f"{k}: {v}" for k, v in tags.items())
        reader.error(path + ("tags",), f"no request step carries the tags {wanted}",
                     f"tags in this spec: {', '.join(known)}" if known else "tag steps with tags: {flow: checkout}")
    return dataclasses.replace(threshold, tags=tags, tag_steps=names)


__all__ = ["MAX_EXTENSION_ARGS", "captured_names", "extension_builtins", "read_extensions", "read_hooks",
           "read_open_load", "read_rate", "read_tags", "read_threshold_tags", "spread_group_tags", "step_tags"]
