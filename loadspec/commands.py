"""The commands: run, debug, demo, export, convert, validate, worker — each one pipeline, end to end.

source → Spec → compiled users → run → results → verdict → reports → exit code. Glue only: each stage
lives in its own package, and every command takes option dataclasses (built by `cli.py`, or by a
library user), never command-line arguments. Exit codes (docs/thresholds.md): 0 passed; 1 some
request failed and the spec has no thresholds, or no request succeeded; 2 invalid input (raised as
LoadspecError and turned into a message by the CLI); 3 thresholds failed; 4 aborted early by an
abort_on_fail threshold; 130 / 143 interrupted by Ctrl+C / SIGTERM (summary and reports written).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import EXIT_PASSED, EXIT_REQUESTS_FAILED, EXIT_THRESHOLDS_FAILED, InputFileError, UsageError
from .lang.text import plural
from .lang.urls import base_url_problem
from .reports import ReportTargets, RunReport, write_reports
from .reports.console import comparison_table, render_summary, stress_table, thresholds_table
from .results.compare import (
    DEFAULT_IGNORE_UNDER_MS,
    DEFAULT_TOLERANCE,
    compare,
    load_summary,
    resolve_baselines,
)
from .results.plan import LoadPlan, plan_load
from .results.profiles import StressWatch, profile_plan, stress_thresholds
from .results.thresholds import AbortWatch, final_checks, judge
from .sources.dispatch import describe, is_converted, is_har, load_source, with_recorded_secrets
from .sources.envfile import merged_environment
from .sources.fetch import is_url
from .writers.locustfile import bundle_spec, load_hint, render_locustfile, runtime_options

if TYPE_CHECKING:  # the engine (Locust) and the HAR importer are imported by the commands that use them
    from .engine.compiler import CompiledTest
    from .engine.distributed import DistributedOptions
    from .engine.replay import ReplayCheck
    from .engine.runner import Monitor, RunOutcome
    from .sources.har.importer import HarOptions


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
    grace: float | None = None  # seconds requests in flight get at the end (None: load.graceful_stop, else 5 s)
    profile: str | None = None
    ui: bool = False
    ui_port: int = 8089
    quiet: bool = False
    har: HarOptions | None = None  # how to import a HAR recording (None: the defaults)
    imports: dict[str, Any] = field(default_factory=dict)  # other importers' options, by importer name
    reports: ReportTargets = field(default_factory=ReportTargets)
    distributed: DistributedOptions | None = None  # --processes / --master
    baseline: str | None = None  # --baseline FILE: summary.json giving `p95 < baseline + 10%` its value
    otel: bool = False  # --otel: Locust's OpenTelemetry integration, configured by OTEL_* variables
    check: bool = True  # a HAR recording: the replay check (one iteration) before the load; --no-check


def environment_of(options: RunOptions) -> dict[str, str]:
    """The env.NAME values a run sees: the process environment over its --env-file files."""
    return merged_environment(os.environ, options.env_files or None)


def check_host(host: str | None, flag: str = "--host") -> None:
    """UsageError for a --host (or `flag`) that cannot be a base URL (checked before anything is loaded)."""
    problem = base_url_problem(host) if host is not None else None
    if problem:
        raise UsageError(f"{flag}: {problem}")


def prepare(options: RunOptions, env: Mapping[str, str] | None = None, *,
            quiet: bool = False) -> tuple[CompiledTest, LoadPlan]:
    """Load, compile and plan, honouring the command-line overrides (`quiet`: no import summary)."""
    from .engine.compiler import compile_spec

    check_host(options.host)
    spec = load_source(options.file, environment=options.environment, variables=options.variables,
                       har_options=options.har, import_options=options.imports, quiet=quiet)
    if options.profile and options.ui:
        raise UsageError("--profile plans a headless run; with --ui you set the load in the browser")
    overrides = dict(users=options.users, spawn_rate=options.spawn_rate, duration=options.duration,
                     iterations=options.iterations)
    plan = (profile_plan(options.profile, spec.load, **overrides) if options.profile
            else plan_load(spec.load, **overrides))
    plan.pacing = options.pacing
    if plan.is_open and plan.pacing is not None:
        raise UsageError("--pacing applies to the closed model; this spec sets an arrival rate (load.rate)")
    grace = options.grace if options.grace is not None else spec.load.graceful_stop
    if grace is not None:
        plan.grace = grace
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
    from .sources.har.importer import HarOptions

    har = asdict(options.har or HarOptions()) if is_har(options.file) else None
    found = runtime_options(environment=options.environment, variables=options.variables, host=host,
                            client=options.client, iterations=iterations, pacing=pacing, har_options=har)
    if options.otel:
        found["otel"] = True  # each worker process measures its own requests
    return found


def execute(test: CompiledTest, plan: LoadPlan, options: RunOptions, monitors: list[Monitor], *,
            env: Mapping[str, str]) -> RunOutcome:
    """The spec's `before:` steps, the run (`_execute`), then its `after:` steps: the hooks run once,
    in this process, also when the users run on workers (which get what `before:` captured)."""
    from .engine.hooks import run_after, run_before

    hooks = run_before(test)
    return run_after(test, _execute(test, plan, options, monitors, env=env), hooks)


def _execute(test: CompiledTest, plan: LoadPlan, options: RunOptions, monitors: list[Monitor], *,
             env: Mapping[str, str]) -> RunOutcome:
    """Run the compiled test here (one process) or on Locust's master/worker engine; `env` is the
    environment `test` was compiled with (the workers of a distributed run rebuild the test)."""
    from .engine.runner import run_local, run_web_ui

    progress = None if options.quiet else sys.stderr
    if options.ui:
        if options.distributed:
            raise UsageError("--ui runs in this process; it does not combine with --processes or --master")
        return run_web_ui(test, plan, port=options.ui_port, progress=progress, monitors=monitors)
    if options.distributed:
        from .engine.distributed import run_distributed

        iterations = next((cls.iterations for cls in test.user_classes), None)
        return run_distributed(
            test, plan, options.distributed, source=options.file, environ=env, monitors=monitors,
            worker_options=worker_options(options, host=test.host, iterations=iterations, pacing=plan.pacing),
            progress=progress)
    return run_local(test, plan, progress=progress, monitors=monitors)


def run_command(options: RunOptions) -> int:
    """`loadspec run FILE`: the whole pipeline; returns the exit code."""
    from .engine.runner import step_order
    from .engine.sampler import StatsSampler

    env = environment_of(options)
    test, plan = prepare(options, env)
    if options.check and is_har(options.file):
        test, plan = _check_before_run(options, env) or (test, plan)
    baseline = load_summary(options.baseline) if options.baseline else None
    test.spec.thresholds = resolve_baselines(test.spec.thresholds, baseline)
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
    telemetry, later = None, None
    if options.otel:
        from .engine.otel import StartWhenRunning, start

        if options.distributed:  # once the local workers are forked
            later = StartWhenRunning(test, out)
            monitors.append(later)
        else:
            telemetry = start(test, role="local")
            out.write(telemetry.describe() + "\n")
            out.flush()
    started_at = time.time()
    outcome = execute(test, plan, options, monitors, env=env)
    telemetry = later.telemetry if later is not None else telemetry
    results = outcome.results
    checks = final_checks(thresholds, results, watch.aborted)
    verdict = judge(results, checks, has_thresholds=bool(thresholds), aborted=watch.aborted,
                    broke=stress.verdict() if stress else None, interrupted=outcome.interrupted)
    out.write("\n" + render_summary(results, test.run_log.examples, precision_note=not test.spec.thresholds) + "\n")
    for part in (thresholds_table(checks), stress_table(stress) if stress else ""):
        if part:
            out.write("\n" + part + "\n")
    out.write(f"\n{verdict.status.replace('_', ' ').upper()}: {verdict.reason} — "
              f"{plural(results.total.requests, 'request')}, {results.total.failures} failed in "
              f"{results.elapsed_s:.1f}s "
              f"(ended by {outcome.ended_by}; exit code {verdict.exit_code})\n")
    if telemetry is not None:
        telemetry.finish(verdict.exit_code, verdict.status)
    report = RunReport(test, plan, outcome, checks, verdict, started_at, sampler, stress,
                       notes=[n for n in (stress.note if stress else None,) if n])
    for path in write_reports(report, targets):
        out.write(f"report: {path}\n")
    return verdict.exit_code


def _check_before_run(options: RunOptions, env: Mapping[str, str]) -> tuple[CompiledTest, LoadPlan] | None:
    """The replay check of a HAR recording before its load: its report on stderr; when it repaired
    the spec (variables added or dropped), the test prepared again from the repaired import (else
    None: the test stands). The load runs whatever the check found: its steps are judged by the run."""
    from .sources.har.importer import HarOptions

    check = replay_check([options.file], options.har or HarOptions(), host=options.host, env=env,
                         client=options.client)
    sys.stderr.write(check.report + (" — the load runs anyway; those steps will fail in it too\n"
                                     if not check.passed else "\n"))
    sys.stderr.flush()
    if not check.repaired:
        return None
    options.har = check.options
    return prepare(options, env, quiet=True)


def replay_check(files: Sequence[str], options: HarOptions, *, host: str | None, env: Mapping[str, str],
                 client: str | None = None, flag: str = "--host") -> ReplayCheck:
    """The replay check (`engine.replay`): one iteration against `host`, judged against the
    recordings, the import repaired, the repaired spec replayed once more when it changed."""
    from .engine.replay import replay_check as check

    check_host(host, flag)
    return check(files, options, host=host, env=env, client=client)


@dataclass
class CompareOptions:
    """What `loadspec compare BASELINE CURRENT` is asked to do."""

    baseline: str
    current: str
    tolerance: float = DEFAULT_TOLERANCE  # --max-regression 10% → 0.10
    ignore_under_ms: float = DEFAULT_IGNORE_UNDER_MS
    metrics: tuple[str, ...] | None = None  # --metrics p95,error_rate (None: all)
    junit: str | None = None


def compare_command(options: CompareOptions) -> int:
    """`loadspec compare BASELINE.json CURRENT.json`: the per-step table; 0 within the tolerance,
    3 when a step regressed beyond it, 2 (InputFileError) for an unreadable summary."""
    from .reports.junit import comparison_junit_text

    baseline, current = load_summary(options.baseline), load_summary(options.current)
    comparison = compare(baseline, current, tolerance=options.tolerance, ignore_under_ms=options.ignore_under_ms,
                         metrics=options.metrics)
    out = sys.stdout
    out.write(f"loadspec compare: {baseline.path} (baseline) → {current.path}, "
              f"tolerance {options.tolerance * 100:g}%\n\n{comparison_table(comparison)}\n\n")
    regressed = comparison.regressed
    if regressed:
        names = ", ".join(f"'{step.name}' ({', '.join(d.metric for d in step.metrics if d.regressed)})"
                          for step in regressed)
        out.write(f"REGRESSED: {plural(len(regressed), 'step')} beyond {options.tolerance * 100:g}%: {names} "
                  f"(exit code {EXIT_THRESHOLDS_FAILED})\n")
    else:
        out.write(f"PASSED: no step regressed beyond {options.tolerance * 100:g}% (exit code {EXIT_PASSED})\n")
    if options.junit:
        try:
            Path(options.junit).write_text(comparison_junit_text(comparison), encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"{options.junit}: cannot write: {exc.strerror or exc}") from None
        out.write(f"report: {options.junit}\n")
    return EXIT_THRESHOLDS_FAILED if regressed else EXIT_PASSED


def debug_command(options: RunOptions, *, show_secrets: bool = False) -> int:
    """One user per scenario, one iteration, every request and check printed; credentials masked
    (`***`) unless `show_secrets`."""
    from .engine.debug import run_debug
    from .engine.hooks import run_before
    from .lang.credentials import Masker
    from .writers.yaml import env_names

    env = environment_of(options)
    test, _ = prepare(options, env)
    run_before(test)  # so the users see what before: captures
    masker = Masker.for_environment(with_recorded_secrets(test.spec, env), env_names(test.spec),
                                    test.spec.recorded_secrets, show=show_secrets)
    return run_debug(test, sys.stdout, masker)


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
    check_host(options.host)
    spec = load_source(options.file, environment=options.environment, variables=options.variables,
                       har_options=options.har, import_options=options.imports)
    extra = worker_options(options, host=options.host, iterations=options.iterations)
    filename = Path(output).name if output not in (None, "-") else None
    bundle = bundle_spec(spec, options.file, options=extra, converted=is_converted(options.file))
    text = render_locustfile(bundle, spec, filename)
    if output in (None, "-"):
        sys.stdout.write(text)
        _say_env_needed(bundle.env_needed())
        return EXIT_PASSED
    out = Path(output)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{out}: cannot write: {exc.strerror}") from None
    sys.stderr.write(f"wrote {out} ({len(text.encode('utf-8')) // 1024 + 1} KB): "
                     f"locust -f {out} --headless {load_hint(spec)}\n")
    _say_env_needed(bundle.env_needed())
    return EXIT_PASSED


def _say_env_needed(names: list[str]) -> None:
    if names:
        sys.stderr.write("the locustfile reads these from the environment at run time (their values are not in "
                         "it): set " + " ".join(f"{name}=..." for name in names) + " before running it\n")


def convert_command(files: Sequence[str], options: HarOptions | None, output: str | None,
                    imports: Mapping[str, Any] | None = None, *, check: str | None = None) -> int:
    """`loadspec convert FILE.har... [-o OUT]`: one editable YAML spec from browser recordings, or from
    one Postman collection, OpenAPI document or file of curl commands. With `check` (a base URL),
    HAR recordings are replayed once against it first (`replay_check`): the YAML is the repaired
    one, the report goes to stderr, and the exit code is 1 when a step did not answer as recorded."""
    from .sources.dispatch import FOREIGN, import_foreign, open_source
    from .sources.har.importer import HarOptions, import_har
    from .writers.yaml import write_yaml

    output = output if output not in (None, "-") else None
    name = Path(output).name if output else None
    if len(files) > 1 and any(is_url(file) for file in files):
        raise UsageError("convert takes one URL at a time (several files are for HAR recordings)")
    importer, source = open_source(files[0]) if files else (None, None)
    if importer is not None and importer.name in FOREIGN:
        if check is not None:
            raise UsageError(f"--check replays HAR recordings; {files[0]} is {importer.description}")
        if len(files) > 1:
            raise UsageError(f"convert takes one {importer.description} at a time (several files are for HAR "
                             "recordings)")
        imported = import_foreign(importer.name, source, (imports or {}).get(importer.name))
        folder = Path(output).resolve().parent if output else Path.cwd() if is_url(files[0]) else None
        return _deliver(imported.yaml(name), output, folder or Path(files[0]).resolve().parent,
                        imported.summary.render(), imported.spec,
                        list(imported.secrets) + list(imported.summary.needed))
    checked = None
    if check is not None:
        checked = replay_check(files, options or HarOptions(), host=check, env=os.environ, flag="--check")
        recorded = checked.recorded
    else:
        recorded = import_har(list(files), options or HarOptions())
    text = write_yaml(recorded.spec, sources=[str(f) for f in files], notes=recorded.report.header_notes(),
                      output=name)
    status = _deliver(text, output, Path(output or ".").resolve().parent, recorded.report.render(), recorded.spec,
                      list(recorded.secrets))
    if checked is None:
        return status
    sys.stdout.flush()
    passed = checked.passed
    sys.stderr.write(checked.report + ("\n" if passed else
                                       f" (the YAML is written all the same; exit code {EXIT_REQUESTS_FAILED})\n"))
    return status if passed else EXIT_REQUESTS_FAILED


def _deliver(text: str, output: str | None, base_dir: Path, summary_text: str, spec: Any, needed: list[str]) -> int:
    """Check converted YAML with the loader, write it (to `output`, else stdout), then say what it holds."""
    from .sources.loader import load_spec_text

    load_spec_text(text, output or "<converted>", base_dir=base_dir)
    if output is not None:  # written before the summary: a summary is never followed by a failure
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"{output}: cannot write: {exc.strerror or exc}") from None
    summary = sys.stdout if output else sys.stderr
    print(summary_text, file=summary)
    if output is None:
        sys.stdout.write(text)
        return EXIT_PASSED
    steps = sum(len(s.steps) for s in spec.scenarios)
    print(f"wrote {output}: {plural(len(spec.scenarios), 'scenario')}, {plural(steps, 'step')}", file=summary)
    if needed:
        print("before running it, set: " + " ".join(f"{name}=..." for name in needed), file=summary)
    print(f"run it:  loadspec run {output} --host {spec.host or 'URL'} -u 10 -r 2 -t 1m", file=summary)
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


__all__ = ["CompareOptions", "RunOptions", "compare_command", "convert_command", "debug_command",
           "demo_command", "environment_of", "execute", "export_command", "prepare", "replay_check", "run_command",
           "validate_command", "worker_options"]
