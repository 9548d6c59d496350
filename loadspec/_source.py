"""Pick the right front end for an input file (YAML spec or HAR recording) and return a Spec.

The only place that knows which kinds of input exist; it dispatches and never parses itself.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._loader import load_spec
from .model import Spec, iter_request_steps


def is_har(path: str | Path) -> bool:
    """True for a HAR recording: a `.har` file, or a `.json` file holding a HAR `log` object
    (some tools save recordings that way)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".har":
        return True
    if suffix != ".json" or not file.is_file():
        return False
    with file.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b'"log"' in head


def load_source(
    path: str | Path,
    *,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
    har_options: Any = None,
) -> Spec:
    """Load a YAML spec, or import a HAR recording (`.har`, with `_har.HarOptions`), into the Spec model."""
    if is_har(path):
        return _load_har(path, environment, variables, har_options)
    return load_spec(path, environment=environment, variables=variables)


def _load_har(path: str | Path, environment: str | None, variables: Mapping[str, str] | None,
              options: Any) -> Spec:
    from ._errors import UsageError
    from ._har import import_har

    if environment:
        raise UsageError("-e/--environment: a HAR recording has no environments; convert it to YAML "
                         "(loadspec convert) and add an environments: section")
    result = import_har([path], options)
    spec = result.spec
    if variables:
        spec.variables.update(variables)
    sys.stderr.write(result.report.render(brief=True) + "\n")
    spec.recorded_secrets = dict(result.secrets)
    return spec


def with_recorded_secrets(spec: Spec, env: Mapping[str, str]) -> dict[str, str]:
    """`env` plus the credentials recorded in the HAR file `spec` came from; real variables win."""
    return {**spec.recorded_secrets, **env}


def har_options(args: Any) -> Any:
    """HAR import options from the command line (`--include-host`, `--no-correlate`, ...); None for defaults."""
    from ._har import options_from_args

    return options_from_args(args)


def describe(spec: Spec) -> str:
    """A one-line summary: scenarios, steps, data pools."""
    steps = sum(len(iter_request_steps(s.setup + s.steps)) for s in spec.scenarios)
    pools = len(spec.data)
    return (f"{len(spec.scenarios)} scenario{'s' if len(spec.scenarios) != 1 else ''}, "
            f"{steps} step{'s' if steps != 1 else ''}, {pools} data pool{'s' if pools != 1 else ''}")
