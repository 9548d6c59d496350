"""Run a loadspec scenario inside a plain Locust process: the public API of generated locustfiles.

A file written by `loadspec export` (or served by a loadspec master to its workers) calls
`locust_users(SOURCE, SPEC, FILES, **OPTIONS)`: the spec text and its data files are written to a
private temporary folder, loaded and compiled exactly as `loadspec run` does, and the folder is
removed again. The user classes it returns then hook into whichever runner Locust creates: a worker
takes sequential and unique rows from its master; a master (plain `locust --master` too) deals them
out; a local or master run stops when a stop_test pool runs out or every user has done its
iterations. It must not parse anything at request time, nor reach the network itself.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from .engine.arrival import arm_process, serve_arrivals
from .engine.compiler import CompiledTest, compile_spec
from .engine.distributed import attach_worker, serve_rows
from .engine.hooks import attach_hooks, share_before_values
from .engine.runner import StagesShape, end_reason
from .errors import LoadspecError, SpecError
from .model import Spec
from .sources.dispatch import load_source, with_recorded_secrets
from .writers.locustfile import safe_relative, strip_leading_newline

__all__ = ["locust_users"]

logger = logging.getLogger("loadspec")

#: Stands in for the base URL of a spec without `host:` until Locust's --host (or the host a
#: master sends its workers) replaces it; a headless run that never gets one stops at start.
NO_HOST = "http://no-host-given.invalid"


def locust_users(
    source: str,
    text: str,
    files: Mapping[str, str | bytes] | None = None,
    *,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
    host: str | None = None,
    client: str | None = None,
    iterations: int | None = None,
    pacing: float | None = None,
    har_options: Mapping[str, Any] | None = None,
    env_defaults: Mapping[str, str] | None = None,
    shared: Mapping[str, Any] | None = None,
) -> dict[str, type]:
    """Build the Locust user classes (and a load shape when the spec has stages) of a spec given as
    text. `source` is the spec's file name (its suffix picks YAML or HAR); `files` holds the files it
    names, by path relative to the spec; a single leading newline of a text is ignored. env.NAME is
    read from this process's environment, then from `env_defaults` (and, for a HAR recording, from
    the credentials it recorded). `har_options` are `HarOptions` fields. `shared` holds what the
    master's `before:` captured: variables of every user here. A bad spec exits with code 2."""
    try:
        with _materialised(source, strip_leading_newline(text), files or {}) as spec_file:
            spec = _load(spec_file, environment, variables, har_options)
            env = with_recorded_secrets(spec, {**(env_defaults or {}), **os.environ})
            if host is None and not spec.host:
                host = NO_HOST  # Locust sets the users' host from --host before it starts them
            # compiling reads the upload files: inside the folder's lifetime
            test = compile_spec(spec, env=env, host=host, client=client, iterations=iterations, pacing=pacing)
            share_before_values(test, shared or {})
        spec.source = Path(Path(source).name)
    except SpecError as exc:
        _exit(exc.render())
    except LoadspecError as exc:
        _exit(f"error: {exc}")
    events.init.add_listener(partial(_on_init, test=test))
    # Loading and compiling blocked the gevent loop while Locust imports this file; without this,
    # the loop's cached clock is that old and Locust's -t timer (spawned next) fires that much early.
    gevent.get_hub().loop.update_now()
    found: dict[str, type] = {cls.__name__: cls for cls in test.user_classes}
    if spec.load.stages and not spec.load.is_open:  # rate stages are the gate's schedule, not a shape
        found["LoadspecStages"] = _stages_shape(spec)
    return found


def _exit(message: str) -> None:
    sys.stderr.write(f"loadspec: {message}\n")
    raise SystemExit(2)


@contextmanager
def _materialised(source: str, text: str, files: Mapping[str, str | bytes]) -> Iterator[Path]:
    """The spec and its files written to a private temporary folder, as they lay beside each other;
    yields the spec file's path and removes the folder afterwards."""
    relative = {name: safe_relative(name) for name in files}
    depth = max((sum(1 for part in path.parts if part == "..") for path in relative.values()), default=0)
    with tempfile.TemporaryDirectory(prefix="loadspec-") as folder:
        root = Path(folder).resolve()
        spec_dir = root.joinpath(*(["spec"] * (depth + 1)))
        spec_dir.mkdir(parents=True)
        for name, path in relative.items():
            target = (spec_dir / path).resolve()
            if not target.is_relative_to(root):
                raise LoadspecError(f"bundled file '{name}' would land outside the spec's folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            content = files[name]
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                with target.open("w", encoding="utf-8", newline="") as handle:
                    handle.write(strip_leading_newline(content))
        spec_file = spec_dir / Path(source).name
        spec_file.write_text(text, encoding="utf-8")
        yield spec_file


def _load(spec_file: Path, environment: str | None, variables: Mapping[str, str] | None,
          har_options: Mapping[str, Any] | None) -> Spec:
    options = None
    if har_options is not None:
        from .sources.har.importer import HarOptions

        options = HarOptions(**har_options)
    return load_source(spec_file, environment=environment, variables=variables, har_options=options)


def _stages_shape(spec: Spec) -> type:
    stages = list(spec.load.stages)

    def __init__(self: StagesShape) -> None:
        StagesShape.__init__(self, stages)

    return type(StagesShape)("LoadspecStages", (StagesShape,), {"__init__": __init__, "abstract": False,
                                                                "__module__": __name__})


def _on_init(test: CompiledTest, environment: Environment, runner: Runner | None = None, **_: Any) -> None:
    if runner is not None:
        arm_process(runner, test)
        attach_hooks(runner, test)
    if isinstance(runner, WorkerRunner):
        attach_worker(runner, test)
        return
    options = environment.parsed_options
    if test.host == NO_HOST and not environment.host and getattr(options, "headless", False):
        sys.stderr.write("loadspec: the spec has no host: pass --host http://... to locust\n")
        raise SystemExit(2)
    if isinstance(runner, MasterRunner):
        serve_rows(runner, test)
        serve_arrivals(runner, test)
    if runner is not None:
        gevent.spawn(_watch, environment, runner, test)


def _watch(environment: Environment, runner: Runner, test: CompiledTest) -> None:
    """Stop a plain Locust run (local or master) when loadspec would (`end_reason` without a plan: a
    stop_test pool ran out, or every user finished its iterations). Headless runs quit; web UI runs
    only stop."""
    started = time.monotonic()
    while True:
        gevent.sleep(0.5)
        ended_by = end_reason(runner, test, None, time.monotonic() - started)
        if ended_by:
            break
    reason = test.run_log.stop_reason if ended_by == "stop_test" else "every user finished its iterations"
    logger.warning("loadspec: %s, stopping the test", reason)
    options = environment.parsed_options
    if options is not None and getattr(options, "headless", False):
        runner.quit()
    else:
        runner.stop()
