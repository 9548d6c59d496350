"""The import rule of docs/architecture.md, read from the package's own source with `ast`.

Each stage imports only the stages above it: errors/model → lang → writers → sources → results →
engine → reports → commands → cli (runtime, the contract generated locustfiles import, may use the
engine and the sources). There are no import cycles, nothing below `cli.py` imports `argparse` (a
process entry point, `__main__.py`, may), only the engine imports Locust or gevent, and no module is
longer than 700 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "loadspec"

#: Stage of each top-level module or package; a module may import only stages of a lower number.
#: Two stages with the same number are siblings and may not import each other.
STAGES: dict[str, int] = {
    "_version": 0, "model": 0, "errors": 1,
    "lang": 2, "demo": 2,
    "writers": 3,  # Spec -> text; the sources' validation gate reads an import back as YAML
    "sources": 4,
    "results": 5,
    "engine": 6,
    "reports": 7, "runtime": 7,
    "commands": 8,
    "cli": 9, "__main__": 10,
}
ENGINE_ONLY = ("locust", "gevent", "geventhttpclient")
#: Stages that may import Locust/gevent: the engine, the runtime contract of generated locustfiles,
#: and the demo target (a server process of its own, served by gevent).
LOCUST_USERS = ("engine", "runtime", "demo")
#: Reporters that render Locust's own statistics with Locust's own writers.
LOCUST_MODULES = ("loadspec.reports.html", "loadspec.reports.csv")
MAX_LINES = 700


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute names of every module `path` imports (at any depth of the file), with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x: x may be a module
                    found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
                    continue
            else:
                module = node.module or ""
            found.append((module, node.lineno))
    return found


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "loadspec" else None


def _internal_edges() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in _imports(path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges[name].add(target)
    return edges


def test_every_module_has_a_stage() -> None:
    unknown = sorted({_stage(m) for m in _modules()} - set(STAGES) - {None})
    assert not unknown, f"modules outside the known stages: {unknown}"


def test_each_stage_imports_only_stages_above_it() -> None:
    back_edges = []
    for name, path in _modules().items():
        own = _stage(name)
        if own is None:  # the package __init__: the public API re-exports every stage
            continue
        for target, line in _imports(path):
            other = _stage(target)
            if other is None or other == own:
                continue
            if STAGES[other] >= STAGES[own]:
                back_edges.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {own} imports {other}")
    assert not back_edges, "imports against the pipeline's direction:\n" + "\n".join(back_edges)


def test_no_import_cycles() -> None:
    edges = _internal_edges()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("library", ["argparse"])
def test_nothing_below_the_cli_reads_the_command_line(library: str) -> None:
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}" for name, path in _modules().items()
                 if _stage(name) not in ("cli", "__main__") and not name.endswith(".__main__")
                 for target, line in _imports(path) if target.split(".")[0] == library]
    assert not offenders, f"{library} imported below cli.py: {offenders}"


def test_only_the_engine_imports_locust() -> None:
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}: {target}" for name, path in _modules().items()
                 if _stage(name) not in LOCUST_USERS and name not in LOCUST_MODULES
                 for target, line in _imports(path) if target.split(".")[0] in ENGINE_ONLY]
    assert not offenders, "Locust/gevent imported outside loadspec/engine:\n" + "\n".join(offenders)


def test_importing_loadspec_does_not_import_locust() -> None:
    """Nor ssl: the CLI runs Locust in the same process, and gevent must patch ssl before it loads."""
    import subprocess
    import sys

    code = ("import sys, loadspec, loadspec.sources, loadspec.writers.yaml, loadspec.reports, "
            "loadspec.results.thresholds, loadspec.cli, loadspec.commands, loadspec.sources.dispatch;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent', 'ssl')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_module_is_over_the_size_limit() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
