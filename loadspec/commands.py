"""The commands: run, debug, demo, export, convert, validate, worker — each one pipeline, end to end.

source → Spec → compiled users → run → results → verdict → reports → exit code. Glue only: each stage
lives in its own package, and every command takes option dataclasses (built by `cli.py`, or by a
library user), never command-line arguments. Exit codes (docs/thresholds.md): 0 passed; 1 some
request failed and the spec has no thresholds; 2 invalid input (raised as LoadspecError and turned
into a message by the CLI); 3 thresholds failed; 4 aborted early by an abort_on_fail threshold.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from .engine.compiler import CompiledTest, compile_spec
from .engine.distributed import DistributedOptions
from .engine.runner import Monitor, RunOutcome, run_local, run_web_ui, step_order
from .engine.sampler import StatsSampler
from .errors import EXIT_PASSED, InputFileError, UsageError
from .lang.text import plural
from .reports import ReportTargets, RunReport, write_reports
from .reports.console import render_summary, stress_table, thresholds_table
from .results.plan import LoadPlan, plan_load
from .results.profiles import StressWatch, profile_plan, stress_thresholds
from .results.thresholds import AbortWatch, final_checks, judge
from .sources.dispatch import describe, is_har, load_source, with_recorded_secrets
from .sources.envfile import merged_environment
from .sources.har.importer import HarOptions
from .writers.locustfile import bundle_spec, load_hint, render_locustfile, runtime_options


@dataclass
class RunOptions:
    """What `loadspec run` (and `debug`, `demo`, `export`) is asked to do, as plain values."""

    file: str
    environment: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # --var NAME=VALUE
    env_files: list[str] = field(default_factory=list)  # --env-file: dotenv files for env.NAME
    host: str | None = None
    client: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    duration: float | None = None  # seconds
    iterations: int | None = None
    pacing: float | None = None  # seconds
    profile: str | None = None
    ui: bool = False
    ui_port: int = 8089
    quiet: bool = False
    har: HarOptions | None = None  # how to import a HAR recording (None: the defaults)
    reports: ReportTargets = field(default_factory=ReportTargets)
    distributed: DistributedOptions | None = None  # --processes / --master


def environment_of(options: RunOptions) -> dict[str, str]:
    """The env.NAME values a run sees: the process environment over its --env-file files."""
    return merged_environment(os.environ, options.env_files or None)


def prepare(options: RunOptions, env: Mapping[str, str] | None = None) -> tuple[CompiledTest, LoadPlan]:
    """Load, compile and plan, honouring the command-line overrides."""
    spec = load_source(options.file, environment=options.environment, variables=options.variables,
                       har_options=options.har)
    if options.profile and options.ui:
        raise UsageError("--profile plans a headless run; with --ui you set the load in the browser")
    overrides = dict(users=options.users, spawn_rate=options.spawn_rate, duration=options.duration,
                     iterations=options.iterations)
    plan = (profile_plan(options.profile, spec.load, **overrides) if options.profile
            else plan_load(spec.load, **overrides))
    plan.pacing = options.pacing
    if env is None:
        env = environment_of(options)
    iterations = plan.iterations
    if options.ui:  # in the web UI users run until stopped, unless iterations are asked for
        iterations = options.iterations or spec.load.iterations
        plan.summary = "load set in the web UI"
    test = compile_spec(spec, env=with_recorded_secrets(spec, env), host=options.host, client=options.client,
                        iterations=iterations, pacing=plan.pacing)
    return test, plan


def worker_options(options: RunOptions, *, host: str | None, iterations: int | None,
                   pacing: float | None = None) -> dict[str, object]:
    """The options a generated locustfile repeats (`export`, the workers of a distributed run)."""
    har = asdict(options.har or HarOptions()) if is_har(options.file) else None
    return runtime_options(environment=options.environment, variables=options.variables, host=host,
                           client=options.client, iterations=iterations, pacing=pacing, har_options=har)


def execute(test: CompiledTest, plan: LoadPlan, options: RunOptions, monitors: list[Monitor], *,
            env: Mapping[str, str]) -> RunOutcome:
    """Run the compiled test here (one process) or on Locust's master/worker engine; `env` is the
    environment `test` was compiled with (the workers of a distributed run rebuild the test)."""
    progress = None if options.quiet else sys.stderr
    if options.ui:
        if options.distributed:
            raise UsageError("--ui runs in this process; it does not combine with --processes or --master")
        return run_web_ui(test, plan, port=options.ui_port, progress=progress, monitors=monitors)
    if options.distributed:
        from .engine.distributed import run_distributed

        iterations = next((cls.iterations for cls in test.user_classes), None)
        return run_distributed(
            test, plan, options.distributed, source=Path(options.file), environ=env, monitors=monitors,
            worker_options=worker_options(options, host=test.host, iterations=iterations, pacing=plan.pacing),
            progress=progress)
    return run_local(test, plan, progress=progress, monitors=monitors)


def run_command(options: RunOptions) -> int:
    """`loadspec run FILE`: the whole pipeline; returns the exit code."""
    env = environment_of(options)
    test, plan = prepare(options, env)
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
    targets = options.reports
    targets.check()
    started_at = time.time()
    outcome = execute(test, plan, options, monitors, env=env)
    results = outcome.results
    checks = final_checks(thresholds, results, watch.aborted)
    verdict = judge(results, checks, has_thresholds=bool(thresholds), aborted=watch.aborted,
                    broke=stress.verdict() if stress else None)
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


def debug_command(options: RunOptions) -> int:
    """One user per scenario, one iteration, every request and check printed."""
    from .engine.debug import run_debug

    test, _ = prepare(options)
    return run_debug(test, sys.stdout)


def _find_demo_spec() -> Path:
    for candidate in (Path.cwd() / "examples" / "checkout.yaml",
                      Path(__file__).resolve().parent.parent / "examples" / "checkout.yaml"):
        if candidate.is_file():
            return candidate
    raise UsageError("examples/checkout.yaml not found: run from the loadspec folder or pass --spec FILE")


def demo_command(options: RunOptions, *, port: int = 0, serve_only: bool = False) -> int:
    """Start the demo shop on 127.0.0.1, run a spec against it (`options.file`, default
    examples/checkout.yaml), stop the shop."""
    from .demo import DemoServer

    with DemoServer(port=port) as server:
        if serve_only:
            sys.stdout.write(f"demo shop listening on {server.url} (Ctrl+C to stop)\n")
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return EXIT_PASSED
        options.file = options.file or str(_find_demo_spec())
        options.host = options.host or server.url
        sys.stdout.write(f"demo shop started on {server.url}\n")
        return run_command(options)


def export_command(options: RunOptions, output: str | None) -> int:
    """`loadspec export FILE [-o OUT]`: write the self-contained Locust file (stdout by default)."""
    spec = load_source(options.file, environment=options.environment, variables=options.variables,
                       har_options=options.har)
    extra = worker_options(options, host=options.host, iterations=options.iterations)
    filename = Path(output).name if output not in (None, "-") else None
    text = render_locustfile(bundle_spec(spec, options.file, options=extra, har=is_har(options.file)), spec,
                             filename)
    if output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_PASSED
    out = Path(output)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{out}: cannot write: {exc.strerror}") from None
    sys.stderr.write(f"wrote {out} ({len(text.encode('utf-8')) // 1024 + 1} KB): "
                     f"locust -f {out} --headless {load_hint(spec)}\n")
    return EXIT_PASSED


def convert_command(files: Sequence[str], options: HarOptions | None, output: str | None) -> int:
    """`loadspec convert FILE.har... [-o OUT]`: one editable YAML spec from browser recordings."""
    from .sources.har.importer import import_har
    from .sources.loader import load_spec_text
    from .writers.yaml import write_yaml

    result = import_har(list(files), options or HarOptions())
    output = output if output not in (None, "-") else None
    text = write_yaml(result.spec, sources=[str(f) for f in files], notes=result.report.header_notes(),
                      output=Path(output).name if output else None)
    load_spec_text(text, output or "<converted>", base_dir=Path(output or ".").resolve().parent)
    if output is not None:  # written before the summary: a summary is never followed by a failure
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"{output}: cannot write: {exc.strerror or exc}") from None
    summary = sys.stdout if output else sys.stderr
    print(result.report.render(), file=summary)
    if output is None:
        sys.stdout.write(text)
        return EXIT_PASSED
    steps = sum(len(s.steps) for s in result.spec.scenarios)
    print(f"wrote {output}: {plural(len(result.spec.scenarios), 'scenario')}, {plural(steps, 'step')}",
          file=summary)
    if result.secrets:
        print("before running it, set: " + " ".join(f"{name}=..." for name in result.secrets), file=summary)
    print(f"run it:  loadspec run {output} --host {result.spec.host or 'URL'} -u 10 -r 2 -t 1m", file=summary)
    return EXIT_PASSED


def validate_command(files: Sequence[str], *, environment: str | None, variables: Mapping[str, str],
                     out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """`loadspec validate FILE...`: every problem of every file, in one pass; 0 when all are valid."""
    from .errors import EXIT_INVALID, LoadspecError, SpecError

    out, err = out or sys.stdout, err or sys.stderr
    status = EXIT_PASSED
    for file in files:
        try:
            spec = load_source(file, environment=environment, variables=variables)
        except SpecError as exc:
            print(exc.render(), file=err)
            status = EXIT_INVALID
            continue
        except LoadspecError as exc:
            print(f"error: {exc}", file=err)
            status = EXIT_INVALID
            continue
        print(f"{file}: ok — {describe(spec)}", file=out)
    return status


__all__ = ["RunOptions", "convert_command", "debug_command", "demo_command", "environment_of", "execute",
           "export_command", "prepare", "run_command", "validate_command", "worker_options"]
