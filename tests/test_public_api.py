"""The public API: what `import loadspec` offers, that it does not import Locust, and that a library
user can load, compile and run a spec with it alone (against a real server on 127.0.0.1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import loadspec

EXPECTED = {
    "CompileError", "CompiledTest", "Diagnostic", "HarError", "HarOptions", "IMPORTERS", "InputFileError",
    "LoadPlan", "LoadspecError", "RunError", "RunOptions", "RunOutcome", "Spec", "SpecError", "TemplateError",
    "UsageError", "__version__", "compile_spec", "import_har", "load_source", "load_spec", "load_spec_text",
    "plan_load", "run", "run_test", "write_yaml",
}


def test_the_exported_names_are_the_intended_ones() -> None:
    assert set(loadspec.__all__) == EXPECTED
    for name in loadspec.__all__:
        assert getattr(loadspec, name) is not None, name


def test_every_error_derives_from_loadspec_error() -> None:
    for name in ("CompileError", "HarError", "InputFileError", "RunError", "SpecError", "TemplateError",
                 "UsageError"):
        assert issubclass(getattr(loadspec, name), loadspec.LoadspecError), name


def test_every_module_declares_its_public_names() -> None:
    package = Path(loadspec.__file__).parent
    missing = [str(p.relative_to(package)) for p in package.rglob("*.py") if "__all__" not in p.read_text()]
    assert not missing, f"modules without __all__: {missing}"


def test_a_library_user_loads_compiles_and_runs_a_spec(tmp_path: Path, recording_server) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(textwrap.dedent(f"""\
        version: 1
        name: library
        host: {recording_server.url}
        scenarios:
          - name: browse
            steps:
              - get: /items
                assert:
                  - status: 200
        """), encoding="utf-8")
    script = textwrap.dedent(f"""\
        import sys
        import loadspec
        assert not any(m.startswith("locust") for m in sys.modules)
        spec = loadspec.load_source({str(spec)!r})
        plan = loadspec.plan_load(spec.load, users=2, iterations=3)
        test = loadspec.compile_spec(spec, env={{}}, iterations=plan.iterations)
        outcome = loadspec.run_test(test, plan, progress=None)
        print(outcome.results.total.requests, outcome.results.total.failures)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6", "0"]
    assert len(recording_server.paths("/items")) == 6
