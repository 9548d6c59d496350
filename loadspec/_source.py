"""Pick the right front end for an input file (YAML spec or HAR recording) and return a Spec.

The only place that knows which kinds of input exist; it dispatches and never parses itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ._loader import load_spec
from .model import Spec, iter_request_steps


def is_har(path: str | Path) -> bool:
    """True for a HAR recording (by extension)."""
    return Path(path).suffix.lower() == ".har"


def load_source(
    path: str | Path,
    *,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Spec:
    """Load a YAML spec (or, later in the pipeline, a HAR file) into the Spec model."""
    return load_spec(path, environment=environment, variables=variables)


def describe(spec: Spec) -> str:
    """A one-line summary: scenarios, steps, data pools."""
    steps = sum(len(iter_request_steps(s.setup + s.steps)) for s in spec.scenarios)
    pools = len(spec.data)
    return (f"{len(spec.scenarios)} scenario{'s' if len(spec.scenarios) != 1 else ''}, "
            f"{steps} step{'s' if steps != 1 else ''}, {pools} data pool{'s' if pools != 1 else ''}")
