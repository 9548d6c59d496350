"""The `loadspec` command line: parse arguments, call the pipeline, print results, set exit codes.

Every `LoadspecError` becomes a clear message on stderr and exit code 2; a user never sees a
traceback for bad input. Commands that run load import Locust first (it monkey-patches the process
with gevent), so nothing imports `ssl` or sockets before it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ._version import __version__
from .errors import EXIT_INVALID, EXIT_PASSED
from .results.plan import PROCESSES_PER_CORE, process_cap
from .results.profiles import PROFILES  # importing it does not import Locust


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-e", "--environment", metavar="NAME", type=_name,
                        help="merge environments.NAME of the spec over its top level")
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="set or override a variable (repeatable)")


def _parse_vars(pairs: list[str]) -> dict[str, str]:
    from .errors import UsageError

    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"--var takes NAME=VALUE with NAME made of letters, digits and _, got '{pair}'")
        found[key.strip()] = value
    return found


class _Parser(argparse.ArgumentParser):
    """argparse, with a short error: the problem and where to read the options (not the whole usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n  (`{self.prog} --help` lists the options)\n")


SOURCE_HELP = ("a YAML spec, a HAR recording, a Postman collection, an OpenAPI document or a file of curl commands; "
               "an OpenAPI document may also be an http(s) URL (e.g. http://127.0.0.1:8000/openapi.json)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="loadspec",
        description="Declarative HTTP load tests in YAML or from HAR recordings, run on Locust.",
    )
    parser.add_argument("--version", action="version", version=f"loadspec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    validate = commands.add_parser("validate", help="check spec files and report every problem")
    validate.add_argument("files", nargs="+", metavar="FILE", help=SOURCE_HELP)
    _add_source_options(validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of the scenario language (or of summary.json)")
    schema.add_argument("--report", action="store_true",
                        help="print the JSON Schema of the JSON report (summary.json) instead")

    compare = commands.add_parser(
        "compare", help="compare two runs' summary.json files step by step; exit 3 when one regressed",
        description="Per step (and in total): p50, p95, p99, requests/s and error rate of both runs with their "
                    "change. Exit code 0 when no step regressed beyond --max-regression, 3 when one did, 2 when "
                    "a file cannot be read. See docs/reports.md.")
    compare.add_argument("baseline", metavar="BASELINE.json", help="summary.json of the reference run")
    compare.add_argument("current", metavar="CURRENT.json", help="summary.json of the run to judge")
    compare.add_argument("--max-regression", type=_percentage, default=0.10, metavar="PERCENT",
                         help="how much worse a metric may get before the step regressed, e.g. 10%% (default)")
    compare.add_argument("--ignore-under", metavar="DURATION", default="5ms",
                         help="response-time changes smaller than this never count as a regression (default: 5ms)")
    compare.add_argument("--metrics", metavar="LIST",
                         help="judge only these, comma-separated: p50,p95,p99,rps,error_rate (default: all)")
    compare.add_argument("--junit", metavar="FILE", help="write JUnit XML: a test case per step")

    run = commands.add_parser("run", help="run a spec (YAML, HAR, Postman, OpenAPI file or URL, curl) as a load test")
    run.add_argument("file", metavar="FILE", help=SOURCE_HELP)
    _add_source_options(run)
    _add_run_options(run)
    _add_distributed_options(run)

    _add_har_options(run)
    run.add_argument("--no-check", action="store_true",
                     help="a HAR recording: skip the replay check (one user, one iteration, compared with the "
                          "recording) that runs before the load")
    _add_import_options(run)

    convert = commands.add_parser("convert", help="turn HAR recordings, a Postman collection, an OpenAPI document or "
                                                  "curl commands into an editable YAML spec")
    convert.add_argument("files", nargs="+", metavar="FILE",
                         help="HAR recordings (FILE.har[:WEIGHT]: one scenario each, :WEIGHT its share of the users), "
                              "or one Postman collection, OpenAPI document (a file or an http(s) URL) or file of "
                              "curl commands")
    convert.add_argument("-o", "--output", metavar="FILE", help="where to write the YAML (default: stdout)")
    convert.add_argument("--check", metavar="URL",
                         help="replay the HAR recording once (one user) against URL, compare each answer with the "
                              "recording, drop false correlations and report steps that answered differently "
                              "(exit 1 then; the YAML is written all the same)")
    _add_har_options(convert)
    _add_import_options(convert)

    debug = commands.add_parser("debug", help="one user, one iteration per scenario, every request shown")
    debug.add_argument("file", metavar="FILE", help=SOURCE_HELP)
    _add_source_options(debug)
    _add_har_options(debug)
    _add_import_options(debug)
    debug.add_argument("--host", help="base URL, overriding the spec's host")
    debug.add_argument("--client", choices=["wire", "fast", "requests"], help="HTTP client (default: the spec's)")
    debug.add_argument("--env-file", action="append", default=[], metavar="FILE",
                       help="read env.NAME values from a dotenv file; the real environment wins")
    debug.add_argument("--show-secrets", action="store_true",
                       help="print passwords, tokens and other credentials instead of masking them (***)")
    demo = commands.add_parser(
        "demo", help="start the bundled demo shop on 127.0.0.1 and load-test it with examples/checkout.yaml")
    demo.add_argument("--spec", metavar="FILE", help="spec to run (default: examples/checkout.yaml)")
    demo.add_argument("--port", type=_port, default=0, help="demo server port (default: a free one)")
    demo.add_argument("--serve-only", action="store_true", help="only run the demo server until Ctrl+C")
    _add_source_options(demo)
    _add_run_options(demo)
    demo.set_defaults(duration="20s")

    worker = commands.add_parser(
        "worker", help="run load for a loadspec (or Locust) master; the scenario and its data come from it",
        description="Locust's own worker (locust -f - --worker): it downloads the scenario, its data files and "
                    "the run's options from the master, runs the users the master gives it, and exits when "
                    "the master quits. See docs/distributed.md.")
    worker.add_argument("--master-host", default="127.0.0.1", metavar="HOST",
                        help="the master's host name or address (default: 127.0.0.1)")
    worker.add_argument("--master-port", type=_fixed_port, default=5557, metavar="PORT", help="default: 5557")
    worker.add_argument("--processes", type=_processes, metavar="N|auto",
                        help="fork N worker processes on this machine (auto: one per core)")
    worker.add_argument("--connect-timeout", metavar="DURATION",
                        help="give up when the master does not answer within this, e.g. 30s (default: 300s; "
                             "rounded up to Locust's 5 s retries)")
    worker.add_argument("--master-timeout", metavar="DURATION",
                        help="exit when the master has not been heard from for this long, e.g. 10s (default: 60s)")
    worker.add_argument("--loglevel", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    export = commands.add_parser(
        "export", help="write a self-contained Locust file (spec and data inlined) for plain locust, "
                       "Docker or Kubernetes")
    export.add_argument("file", metavar="FILE", help=SOURCE_HELP)
    export.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: stdout)")
    _add_source_options(export)
    export.add_argument("--host", help="base URL baked in (Locust's --host still overrides it)")
    export.add_argument("--client", choices=["wire", "fast", "requests"], help="HTTP client (default: the spec's)")
    export.add_argument("--iterations", type=_count, metavar="N", help="iterations per user, then the user stops")
    _add_har_options(export)
    _add_import_options(export)
    return parser


def _percentage(text: str) -> float:
    """`10%` or `10` → 0.10."""
    number = text.strip().removesuffix("%").strip()
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 10%, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0% or more")
    return value / 100.0


def _processes(text: str) -> int | str:
    if text == "auto":
        return text
    count = _whole(text, 1)
    if count > process_cap():
        raise argparse.ArgumentTypeError(
            f"{count} is more than this machine can run: at most {process_cap()} ({PROCESSES_PER_CORE} per core); "
            "for more, run `loadspec worker` on more machines")
    return count


# --- values checked before anything starts: argparse prints the usage line, the problem, and exits 2 ---


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
    return value


def _count(text: str) -> int:
    """1 or more (iterations, workers)."""
    return _whole(text, 1)


def _users(text: str) -> int:
    """0 or more (0 users starts nothing and ends at once)."""
    return _whole(text, 0)


def _rate(text: str) -> float:
    """A finite number above 0 (users per second, megabytes)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got '{text}'")
    return value


def _port(text: str) -> int:
    value = _whole(text, 0)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, got {value}")
    return value


def _fixed_port(text: str) -> int:
    value = _port(text)
    if value == 0:
        raise argparse.ArgumentTypeError("a port is a number from 1 to 65535, got 0")
    return value


def _name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("give the name of an environment of the spec (environments: NAME)")
    return text


def _add_distributed_options(parser: argparse.ArgumentParser) -> None:
    scale = parser.add_argument_group("scale out on Locust's master/worker engine (see docs/distributed.md)")
    scale.add_argument("--processes", type=_processes, metavar="N|auto",
                       help="run the users in N worker processes on this machine (auto: one per core)")
    scale.add_argument("--master", action="store_true",
                       help="wait for `loadspec worker --master-host THIS_HOST` processes and run on them")
    scale.add_argument("--expect-workers", type=_count, metavar="N",
                       help="start once N workers are connected (default: --processes N, else 1)")
    scale.add_argument("--master-bind-host", metavar="HOST",
                       help="interface to listen on for workers (default: all with --master, else 127.0.0.1)")
    scale.add_argument("--master-bind-port", type=_fixed_port, metavar="PORT",
                       help="port to listen on for workers (default: 5557 with --master, else a free one)")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    load = parser.add_argument_group("load (overrides the spec's load:)")
    load.add_argument("-u", "--users", type=_users, metavar="N", help="number of concurrent users")
    load.add_argument("-r", "--spawn-rate", type=_rate, metavar="N", help="users started per second")
    load.add_argument("-t", "--duration", metavar="DURATION", help="run time, e.g. 30s, 5m")
    load.add_argument("--iterations", type=_count, metavar="N", help="iterations per user, then stop")
    parser.add_argument("--host", help="base URL, overriding the spec's host")
    parser.add_argument("--client", choices=["wire", "fast", "requests"],
                        help="HTTP client: wire (loadspec's own, default), fast (FastHttpUser) or requests (HttpUser)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no live progress lines")
    load.add_argument("--profile", choices=PROFILES,
                      help="a named load profile scaled from the spec's load (see docs/profiles.md)")
    load.add_argument("--grace", metavar="DURATION",
                      help="when the run ends, give requests in flight this long to finish (default: 5s); "
                           "the ones still running are counted failed")
    load.add_argument("--pacing", metavar="DURATION",
                      help="start each user's iterations this far apart (fixed iteration interval), e.g. 2s")
    parser.add_argument("--env-file", action="append", default=[], metavar="FILE",
                        help="read env.NAME values from a dotenv file; the real environment wins (repeatable)")
    reports = parser.add_argument_group("reports (see docs/reports.md)")
    reports.add_argument("--report-dir", metavar="DIR",
                         help="write report.html, summary.json, junit.xml and Locust's CSV files here")
    reports.add_argument("--html", metavar="FILE", help="write the HTML report to FILE")
    reports.add_argument("--json", metavar="FILE", help="write the JSON summary to FILE")
    reports.add_argument("--junit", metavar="FILE", help="write JUnit XML (thresholds and steps) to FILE")
    reports.add_argument("--csv", metavar="PREFIX", help="write Locust's CSV files as PREFIX_stats.csv etc.")
    judge = parser.add_argument_group("baselines and live metrics (see docs/reports.md, docs/observability.md)")
    judge.add_argument("--baseline", metavar="FILE",
                       help="summary.json of an earlier run: gives thresholds such as `p95 < baseline + 10%%` "
                            "their value")
    judge.add_argument("--otel", action="store_true",
                       help="export live metrics with Locust's OpenTelemetry integration (pip install "
                            "'loadspec[otel]'; configured by the OTEL_* environment variables)")
    ui = parser.add_argument_group("web UI")
    ui.add_argument("--ui", action="store_true", help="serve Locust's web UI on 127.0.0.1 and steer the load there")
    ui.add_argument("--ui-port", type=_fixed_port, default=8089, metavar="N", help="web UI port (default: 8089)")


def _cmd_validate(args: argparse.Namespace) -> int:
    from .commands import validate_command

    return validate_command(args.files, environment=args.environment, variables=_parse_vars(args.var))


def _cmd_schema(args: argparse.Namespace) -> int:
    from .sources.schema import report_schema_text, schema_text

    sys.stdout.write(report_schema_text() if args.report else schema_text())
    return EXIT_PASSED


def _cmd_compare(args: argparse.Namespace) -> int:
    from .commands import CompareOptions, compare_command
    from .lang.units import parse_duration_option

    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip()) if args.metrics else None
    ignore = parse_duration_option(args.ignore_under, "--ignore-under") or 0.0
    return compare_command(CompareOptions(baseline=args.baseline, current=args.current, tolerance=args.max_regression,
                                          ignore_under_ms=ignore * 1000.0, metrics=metrics, junit=args.junit))


def _add_har_options(parser: argparse.ArgumentParser) -> None:
    har = parser.add_argument_group("HAR recordings (see docs/har.md)")
    har.add_argument("--include-host", action="append", default=[], metavar="HOST",
                     help="also keep requests to HOST (host, host:port or *.example.com; repeatable); by "
                          "default only the recording's main host is kept")
    har.add_argument("--exclude-url", action="append", default=[], metavar="REGEX",
                     help="drop requests whose URL matches REGEX (repeatable)")
    har.add_argument("--no-correlate", action="store_true",
                     help="replay dynamic values as recorded instead of capturing them")
    har.add_argument("--think-time-threshold", metavar="DURATION",
                     help="gaps shorter than this are not think time (default: 500ms)")
    har.add_argument("--max-think-time", metavar="DURATION",
                     help="cap each inferred pause at this (default: 10s; 0 = no think time)")
    har.add_argument("--max-har-size", type=float, metavar="MB",
                     help="refuse HAR files larger than this (default: 512)")


def _cmd_convert(args: argparse.Namespace) -> int:
    from .commands import convert_command

    return convert_command(args.files, _har_options(args), args.output, _import_options(args), check=args.check)


def _add_import_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Postman collections, OpenAPI documents, curl commands (see docs/import.md)")
    group.add_argument("--postman-env", metavar="FILE", help="a Postman environment file for the collection")
    group.add_argument("--tag", action="append", default=[], metavar="TAG",
                       help="OpenAPI: keep the operations with this tag (repeatable)")
    group.add_argument("--operation", action="append", default=[], metavar="ID|'METHOD /path'",
                       help="OpenAPI: keep this operation, by operationId or 'GET /pets/*' (repeatable)")
    group.add_argument("--server", type=lambda text: _whole(text, 0), default=0, metavar="N",
                       help="OpenAPI: the entry of servers: that gives the host (default: 0, the first)")
    group.add_argument("--no-schema-assert", action="store_true",
                       help="OpenAPI: assert the documented status only, not the response schema")


def _import_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Postman, OpenAPI and cURL importers' options, by importer name."""
    from pathlib import Path

    from .sources.curl import CurlOptions
    from .sources.openapi import OpenApiOptions
    from .sources.postman import PostmanOptions

    if not hasattr(args, "postman_env"):
        return {}
    return {
        "postman": PostmanOptions(environment=Path(args.postman_env) if args.postman_env else None),
        "openapi": OpenApiOptions(tags=tuple(args.tag), operations=tuple(args.operation), server=args.server,
                                  assert_schema=not args.no_schema_assert),
        "curl": CurlOptions(),
    }


def _duration(args: argparse.Namespace, name: str, flag: str) -> float | None:
    from .lang.units import parse_duration_option

    return parse_duration_option(getattr(args, name, None), flag)


def _har_options(args: argparse.Namespace) -> Any:
    """HarOptions from the HAR flags (`--include-host`, `--no-correlate`, ...)."""
    from .sources.har.importer import har_options

    return har_options(
        include_hosts=args.include_host, exclude_urls=args.exclude_url, correlate=not args.no_correlate,
        think_time_threshold=_duration(args, "think_time_threshold", "--think-time-threshold"),
        max_think_time=_duration(args, "max_think_time", "--max-think-time"), max_har_size_mb=args.max_har_size)


def _distributed_options(args: argparse.Namespace) -> Any:
    from .errors import UsageError

    stray = [flag for flag, name in (("--expect-workers", "expect_workers"), ("--master-bind-host", "master_bind_host"),
                                     ("--master-bind-port", "master_bind_port")) if getattr(args, name, None)]
    wanted = getattr(args, "processes", None) or getattr(args, "master", False)
    if not wanted:
        if stray:
            raise UsageError(f"{', '.join(stray)} only applies with --master or --processes")
        return None
    from .engine.distributed import DistributedOptions

    return DistributedOptions(processes=args.processes, master=args.master, bind_host=args.master_bind_host,
                              bind_port=args.master_bind_port, expect_workers=args.expect_workers)


def _run_options(args: argparse.Namespace, file: str | None = None) -> Any:
    """The command line of run/debug/demo/export as a `RunOptions`."""
    from .commands import RunOptions
    from .reports import ReportTargets

    return RunOptions(
        file=args.file if file is None else file, environment=args.environment, variables=_parse_vars(args.var),
        env_files=list(getattr(args, "env_file", None) or []), host=args.host, client=args.client,
        users=getattr(args, "users", None), spawn_rate=getattr(args, "spawn_rate", None),
        duration=_duration(args, "duration", "--duration"), iterations=getattr(args, "iterations", None),
        pacing=_duration(args, "pacing", "--pacing"), grace=_duration(args, "grace", "--grace"),
        profile=getattr(args, "profile", None),
        ui=getattr(args, "ui", False), ui_port=getattr(args, "ui_port", 8089), quiet=getattr(args, "quiet", False),
        har=_har_options(args) if hasattr(args, "include_host") else None, imports=_import_options(args),
        reports=ReportTargets(*(getattr(args, name, None) for name in ("report_dir", "html", "json", "junit", "csv"))),
        distributed=_distributed_options(args) if hasattr(args, "processes") else None,
        baseline=getattr(args, "baseline", None), otel=getattr(args, "otel", False),
        check=not getattr(args, "no_check", False),
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from .commands import run_command

    return run_command(_run_options(args))


def _cmd_debug(args: argparse.Namespace) -> int:
    from .commands import debug_command

    return debug_command(_run_options(args), show_secrets=args.show_secrets)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .commands import demo_command

    return demo_command(_run_options(args, file=args.spec or ""), port=args.port, serve_only=args.serve_only)


def _cmd_worker(args: argparse.Namespace) -> int:
    from .engine.distributed import worker_command

    return worker_command(_worker_options(args))


def _worker_options(args: argparse.Namespace) -> Any:
    from .engine.distributed import WorkerOptions

    return WorkerOptions(master_host=args.master_host, master_port=args.master_port, processes=args.processes,
                         connect_timeout=_duration(args, "connect_timeout", "--connect-timeout"),
                         master_timeout=_duration(args, "master_timeout", "--master-timeout"), loglevel=args.loglevel)


def _cmd_export(args: argparse.Namespace) -> int:
    from .commands import export_command

    return export_command(_run_options(args), args.output)


_COMMANDS = {
    "demo": _cmd_demo,
    "worker": _cmd_worker,
    "export": _cmd_export,
    "validate": _cmd_validate,
    "schema": _cmd_schema,
    "compare": _cmd_compare,
    "run": _cmd_run,
    "debug": _cmd_debug,
    "convert": _cmd_convert,
}
_ENGINE_COMMANDS = {"run", "debug", "demo", "worker"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `loadspec` console script; returns the exit code."""
    from .errors import LoadspecError, SpecError

    args = build_parser().parse_args(argv)
    if args.command in _ENGINE_COMMANDS or getattr(args, "check", None) is not None:
        from . import engine  # noqa: F401  (first: Locust's gevent monkey-patching precedes ssl and sockets)
    try:
        return _COMMANDS[args.command](args)
    except SpecError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except LoadspecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
