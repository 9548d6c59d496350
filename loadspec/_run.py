"""The `run` and `debug` commands: source → Spec → compiled users → run → summary → exit code.

Glue only: each stage lives in its own module. Exit codes (docs/thresholds.md): 0 passed; 1 some
request failed and the spec has no thresholds; 2 invalid input (raised as LoadspecError and turned
into a message by the CLI); 3 thresholds failed; 4 aborted early by an abort_on_fail threshold.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from ._compiler import CompiledTest, compile_spec
from ._console import render_summary, stress_table, thresholds_table
from ._envfile import merged_environment
from ._errors import UsageError
from ._profiles import StressWatch, profile_plan, stress_thresholds
from ._reports import ReportTargets, RunReport, StatsSampler, write_reports
from ._runner import LoadPlan, Monitor, RunOutcome, plan_load, run_local, run_web_ui, step_order
from ._source import har_options, load_source, with_recorded_secrets
from ._thresholds import EXIT_PASSED, AbortWatch, final_checks, judge
from ._units import parse_duration_option


def prepare(args: argparse.Namespace, variables: Mapping[str, str],
            env: Mapping[str, str] | None = None) -> tuple[CompiledTest, LoadPlan]:
    """Load, compile and plan, honouring the command-line overrides."""
    distributed = getattr(args, "processes", None) or getattr(args, "master", False)
    stray = [flag for flag, name in (("--expect-workers", "expect_workers"), ("--master-bind-host", "master_bind_host"),
                                     ("--master-bind-port", "master_bind_port")) if getattr(args, name, None)]
    if stray and not distributed:
        raise UsageError(f"{', '.join(stray)} only applies with --master or --processes")
    spec = load_source(args.file, environment=args.environment, variables=variables, har_options=har_options(args))
    profile = getattr(args, "profile", None)
    if profile and getattr(args, "ui", False):
        raise UsageError("--profile plans a headless run; with --ui you set the load in the browser")
    overrides = dict(users=getattr(args, "users", None), spawn_rate=getattr(args, "spawn_rate", None),
                     duration=parse_duration_option(getattr(args, "duration", None), "--duration"),
                     iterations=getattr(args, "iterations", None))
    plan = profile_plan(profile, spec.load, **overrides) if profile else plan_load(spec.load, **overrides)
    plan.pacing = parse_duration_option(getattr(args, "pacing", None), "--pacing")
    grace = parse_duration_option(getattr(args, "grace", None), "--grace")
    spec_grace = getattr(spec.load, "graceful_stop", None)
    plan.grace = grace if grace is not None else spec_grace if spec_grace is not None else plan.grace
    if env is None:
        env = merged_environment(os.environ, getattr(args, "env_file", None))
    iterations = plan.iterations
    if getattr(args, "ui", False):  # in the web UI users run until stopped, unless iterations are asked for
        iterations = overrides["iterations"] or spec.load.iterations
        plan.summary = "load set in the web UI"
    test = compile_spec(spec, env=with_recorded_secrets(spec, env), host=args.host, client=args.client,
                        iterations=iterations, pacing=plan.pacing)
    return test, plan


def execute(test: CompiledTest, plan: LoadPlan, args: argparse.Namespace, monitors: list[Monitor], *,
            variables: Mapping[str, str], env: Mapping[str, str]) -> RunOutcome:
    """Run the compiled test here (one process) or on Locust's master/worker engine; `variables` and
    `env` are the ones `test` was compiled with (the workers of a distributed run rebuild it)."""
    progress = None if getattr(args, "quiet", False) else sys.stderr
    if getattr(args, "ui", False):
        if getattr(args, "processes", None) or getattr(args, "master", False):
            raise UsageError("--ui runs in this process; it does not combine with --processes or --master")
        return run_web_ui(test, plan, port=args.ui_port, progress=progress, monitors=monitors)
    if getattr(args, "processes", None) or getattr(args, "master", False):
        from ._distributed import run_distributed

        return run_distributed(test, plan, args, variables=variables, environ=env, monitors=monitors,
                               progress=progress)
    return run_local(test, plan, progress=progress, monitors=monitors)


def run_command(args: argparse.Namespace, variables: Mapping[str, str]) -> int:
    env = merged_environment(os.environ, getattr(args, "env_file", None))
    test, plan = prepare(args, variables, env)
    out = sys.stdout
    out.write(f"loadspec: {test.spec.name} against {test.host} — {plan.describe()}\n")
    out.flush()
    thresholds = test.spec.thresholds
    sampler, watch = StatsSampler(), AbortWatch(thresholds, test.run_log, step_order(test))
    monitors: list[Monitor] = [sampler, watch]
    stress = None
    if plan.profile == "stress":
        climb, note = stress_thresholds(thresholds)
        stress = StressWatch(plan.stages, climb, run_log=test.run_log, note=note)
        monitors.append(stress)
    targets = ReportTargets.from_args(args)
    targets.check()
    started_at = time.time()
    outcome = execute(test, plan, args, monitors, variables=variables, env=env)
    results = outcome.results
    checks = final_checks(thresholds, results, watch.aborted)
    verdict = judge(results, checks, has_thresholds=bool(thresholds), aborted=watch.aborted,
                    broke=stress.verdict() if stress else None, interrupted=outcome.interrupted)
    out.write("\n" + render_summary(results, test.run_log.examples, precision_note=not test.spec.thresholds) + "\n")
    for part in (thresholds_table(checks), stress_table(stress) if stress else ""):
        if part:
            out.write("\n" + part + "\n")
    out.write(f"\n{verdict.status.replace('_', ' ').upper()}: {verdict.reason} — {results.total.requests} "
              f"requests, {results.total.failures} failed in {results.elapsed_s:.1f}s "
              f"(ended by {outcome.ended_by}; exit code {verdict.exit_code})\n")
    report = RunReport(test, plan, outcome, checks, verdict, started_at, sampler, stress,
                       notes=[n for n in (stress.note if stress else None,) if n])
    for path in write_reports(report, targets):
        out.write(f"report: {path}\n")
    return verdict.exit_code


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
                return EXIT_PASSED
        args.file = args.spec or str(_find_demo_spec())
        args.host = args.host or server.url
        sys.stdout.write(f"demo shop started on {server.url}\n")
        return run_command(args, variables)
