"""The `run` and `debug` commands: source → Spec → compiled users → run → summary → exit code.

Glue only: each stage lives in its own module. Exit codes: 0 every request passed, 1 some failed,
2 invalid input (raised as LoadspecError and turned into a message by the CLI).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from ._compiler import CompiledTest, compile_spec
from ._console import render_summary
from ._errors import UsageError
from ._runner import LoadPlan, Monitor, RunOutcome, plan_load, run_local
from ._source import load_source
from ._units import parse_duration

EXIT_OK, EXIT_FAILED = 0, 1


def _duration_option(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text if not text.replace(".", "").isdigit() else f"{text}s")
    except ValueError as exc:
        raise UsageError(f"--duration: {exc}") from None


def prepare(args: argparse.Namespace, variables: Mapping[str, str],
            env: Mapping[str, str] | None = None) -> tuple[CompiledTest, LoadPlan]:
    """Load, compile and plan, honouring the command-line overrides."""
    spec = load_source(args.file, environment=args.environment, variables=variables)
    plan = plan_load(spec.load, users=getattr(args, "users", None), spawn_rate=getattr(args, "spawn_rate", None),
                     duration=_duration_option(getattr(args, "duration", None)),
                     iterations=getattr(args, "iterations", None))
    test = compile_spec(spec, env=dict(os.environ) if env is None else env, host=args.host,
                        client=args.client, iterations=plan.iterations)
    return test, plan


def execute(test: CompiledTest, plan: LoadPlan, args: argparse.Namespace,
            monitors: list[Monitor]) -> RunOutcome:
    """Run the compiled test here (one process) or on Locust's master/worker engine."""
    progress = None if getattr(args, "quiet", False) else sys.stderr
    if getattr(args, "processes", None) or getattr(args, "master", False):
        from ._distributed import run_distributed

        return run_distributed(test, plan, args, monitors=monitors, progress=progress)
    return run_local(test, plan, progress=progress, monitors=monitors)


def run_command(args: argparse.Namespace, variables: Mapping[str, str]) -> int:
    test, plan = prepare(args, variables)
    out = sys.stdout
    out.write(f"loadspec: {test.spec.name} against {test.host} — {plan.describe()}\n")
    out.flush()
    outcome = execute(test, plan, args, monitors=[])
    results = outcome.results
    out.write("\n" + render_summary(results, test.run_log.examples) + "\n")
    failed = results.total.failures > 0 or results.stop_reason is not None
    verdict = "FAILED" if failed else "PASSED"
    out.write(f"\n{verdict}: {results.total.requests} requests, {results.total.failures} failed "
              f"in {results.elapsed_s:.1f}s (ended by {outcome.ended_by})\n")
    return EXIT_FAILED if failed else EXIT_OK


def debug_command(args: argparse.Namespace, variables: Mapping[str, str]) -> int:
    """One user per scenario, one iteration, every request and check printed."""
    from ._debug import run_debug

    test, _ = prepare(args, variables)
    return run_debug(test, sys.stdout)




def _find_demo_spec() -> Path:
    for candidate in (Path.cwd() / "examples" / "checkout.yaml",
                      Path(__file__).resolve().parent.parent / "examples" / "checkout.yaml"):
        if candidate.is_file():
            return candidate
    raise UsageError("examples/checkout.yaml not found: run from the loadspec folder or pass --spec FILE")


def demo_command(args: argparse.Namespace, variables: Mapping[str, str]) -> int:
    """Start the demo shop on 127.0.0.1, run a spec against it, stop the shop."""
    from ._demo_server import DemoServer

    with DemoServer(port=args.port) as server:
        if args.serve_only:
            sys.stdout.write(f"demo shop listening on {server.url} (Ctrl+C to stop)\n")
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return EXIT_OK
        args.file = args.spec or str(_find_demo_spec())
        args.host = args.host or server.url
        sys.stdout.write(f"demo shop started on {server.url}\n")
        return run_command(args, variables)
