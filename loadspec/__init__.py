"""loadspec: declarative HTTP load tests in YAML (or from a browser HAR recording), run on Locust.

The public API, httpx style: import `loadspec.X`, never a private path. A library user can load,
compile and run a spec from Python::

    import loadspec

    spec = loadspec.load_source("checkout.yaml")                  # or a .har recording
    plan = loadspec.plan_load(spec.load, users=5, iterations=10)   # command-line style overrides
    test = loadspec.compile_spec(spec, env=os.environ, iterations=plan.iterations)  # Locust user classes
    outcome = loadspec.run_test(test, plan)
    print(outcome.results.total.requests)

or the whole `loadspec run` pipeline (summary, thresholds, reports, exit code)::

    exit_code = loadspec.run(loadspec.RunOptions("checkout.yaml", users=5, duration=10))

Importing loadspec does not import Locust (and so does not monkey-patch the process with gevent):
the names that need the engine (`compile_spec`, `run_test`, `run`, `RunOptions`) import it on first
use.
"""

from typing import Any

from ._version import __version__
from .errors import (
    CompileError,
    Diagnostic,
    HarError,
    InputFileError,
    LoadspecError,
    RunError,
    SpecError,
    TemplateError,
    UsageError,
)
from .model import Spec
from .results.plan import LoadPlan, plan_load
from .sources import IMPORTERS, load_source, load_spec, load_spec_text
from .writers.yaml import write_yaml

#: Public names imported on first use, so `import loadspec` stays light and Locust-free:
#: name -> (module, attribute).
_LAZY = {
    "compile_spec": ("loadspec.engine.compiler", "compile_spec"),
    "CompiledTest": ("loadspec.engine.compiler", "CompiledTest"),
    "run_test": ("loadspec.engine.runner", "run_local"),
    "RunOutcome": ("loadspec.engine.runner", "RunOutcome"),
    "run": ("loadspec.commands", "run_command"),
    "RunOptions": ("loadspec.commands", "RunOptions"),
    "import_har": ("loadspec.sources.har.importer", "import_har"),
    "HarOptions": ("loadspec.sources.har.importer", "HarOptions"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'loadspec' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "IMPORTERS",
    "CompileError",
    "CompiledTest",
    "Diagnostic",
    "HarError",
    "HarOptions",
    "InputFileError",
    "LoadPlan",
    "LoadspecError",
    "RunError",
    "RunOptions",
    "RunOutcome",
    "Spec",
    "SpecError",
    "TemplateError",
    "UsageError",
    "__version__",
    "compile_spec",
    "import_har",
    "load_source",
    "load_spec",
    "load_spec_text",
    "plan_load",
    "run",
    "run_test",
    "write_yaml",
]
