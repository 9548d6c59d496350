"""The glue between the command line and the Postman, OpenAPI and cURL importers: options, loading, converting.

Its one job is what `loadspec run|validate|debug|export FILE` and `loadspec convert FILE` need to
treat a foreign source like a HAR recording: the command-line options of the importers, a
`load_foreign` that imports a file, passes the result through the loader (the one validation gate:
what runs is exactly what `convert` would write) and keeps the credentials the source held in
memory, and `convert_foreign` that writes the YAML and prints the summary. It never sends a
request and never imports the engine.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from .._errors import InputFileError, UsageError
from .._loader import load_spec_text
from ..model import Spec
from ._common import ImportResult
from .curl import CurlOptions
from .importers import IMPORTERS, detect
from .openapi import OpenApiOptions
from .postman import PostmanOptions

__all__ = ["add_options", "convert_foreign", "detect", "load_foreign", "options_for"]


def add_options(parser: Any) -> None:
    """The importers' options, as one argument group of an argparse parser."""
    group = parser.add_argument_group("Postman collections, OpenAPI documents, curl commands (see docs/import.md)")
    group.add_argument("--postman-env", metavar="FILE", help="a Postman environment file for the collection")
    group.add_argument("--tag", action="append", default=[], metavar="TAG",
                       help="OpenAPI: keep the operations with this tag (repeatable)")
    group.add_argument("--operation", action="append", default=[], metavar="ID|'METHOD /path'",
                       help="OpenAPI: keep this operation (operationId or 'GET /pets/*'; repeatable)")
    group.add_argument("--server", type=int, default=0, metavar="N",
                       help="OpenAPI: which entry of servers: gives the host (default: 0, the first)")
    group.add_argument("--no-schema-assert", action="store_true",
                       help="OpenAPI: assert the documented status only, not the response schema")


def options_for(kind: str, args: Any) -> Any:
    """The options of importer `kind` from parsed arguments (missing ones keep their defaults)."""
    if kind == "postman":
        env = getattr(args, "postman_env", None)
        return PostmanOptions(environment=Path(env) if env else None)
    if kind == "openapi":
        return OpenApiOptions(tags=tuple(getattr(args, "tag", None) or ()),
                              operations=tuple(getattr(args, "operation", None) or ()),
                              server=int(getattr(args, "server", 0) or 0),
                              assert_schema=not getattr(args, "no_schema_assert", False))
    if kind == "curl":
        return CurlOptions()
    raise UsageError(f"unknown source kind {kind!r}")


def _import(path: str | Path, args: Any) -> ImportResult | None:
    kind = detect(path)
    if kind is None:
        return None
    return IMPORTERS[kind].run(path, options_for(kind, args))


def load_foreign(path: str | Path, args: Any = None, *, environment: str | None = None,
                 variables: Mapping[str, str] | None = None, stderr: TextIO | None = None) -> Spec | None:
    """The Spec of a Postman collection, OpenAPI document or curl file (None for any other file),
    read back through the loader from the YAML `convert` would write. The brief summary goes to
    `stderr`; the credentials the source held are in `Spec.recorded_secrets`."""
    result = _import(path, args)
    if result is None:
        return None
    if environment:
        raise UsageError(f"-e/--environment: a {result.summary.kind} has no environments; convert it to YAML "
                         "(loadspec convert) and add an environments: section")
    text = result.yaml()
    file = Path(path)
    spec = load_spec_text(text, f"{file} (imported)", base_dir=file.resolve().parent, variables=variables)
    spec.source = file
    spec.recorded_secrets = dict(result.secrets)
    (stderr or sys.stderr).write(result.summary.render(brief=True) + "\n")
    return spec


def convert_foreign(path: str | Path, args: Any, output: str | None, *, stdout: TextIO | None = None) -> bool:
    """`loadspec convert FILE -o x.yaml` for a foreign source; False when `path` is not one."""
    out_stream = stdout or sys.stdout
    result = _import(path, args)
    if result is None:
        return False
    text = result.yaml(Path(output).name if output else None)
    load_spec_text(text, output or "<converted>", base_dir=Path(output or path).resolve().parent)
    summary = out_stream if output else sys.stderr
    if output is not None:  # written before the summary: a summary is never followed by a failure
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"{output}: cannot write: {exc.strerror or exc}") from None
    print(result.summary.render(), file=summary)
    if output is None:
        out_stream.write(text)
        return True
    print(f"wrote {output}: {result.summary.steps} step{'s' if result.summary.steps != 1 else ''}", file=summary)
    needed = list(result.secrets) + list(result.summary.needed)
    if needed:
        print("before running it, set: " + " ".join(f"{name}=..." for name in needed), file=summary)
    print(f"run it:  loadspec run {output} --host {result.spec.host or 'URL'} -u 10 -r 2 -t 1m", file=summary)
    return True
