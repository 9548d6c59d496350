"""The loader's shared reading tools: report problems at exact YAML positions, read small typed values,
and check templates and data flow (which names a step may use, and where they come from).

`ReaderBase` holds the document being read and the problems found so far; the loader, the CSV pool
reader and the response reader (captures, assertions) build on it. No I/O beyond quoting positions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, TemplateError
from ..lang.templates import BUILTIN_FUNCTIONS, FUNCTIONS, Call, Ref, RenderError, call_help, check_call, parse_template
from ..lang.text import did_you_mean
from ..lang.units import parse_duration, parse_think_time
from ..lang.values import Problem, check_header_name, check_header_text, check_url_base
from ..model import DataPool, Location, ThinkTime
from .yaml_reader import PathKey, YamlDocument


def suggest(word: str, choices: list[str] | set[str]) -> str | None:
    return did_you_mean(word, choices)


class Scope:
    """Names a step may use: defined so far, plus captures that only come later (for hints)."""

    def __init__(self, names: set[str], later: dict[str, tuple[str, int]]):
        self.names = set(names)
        self.later = later
        self.values: dict[str, Any] = {}  # names whose value is known when the file loads (variables:)

    def child(self, extra: set[str] | None = None) -> Scope:
        return Scope(self.names | (extra or set()), self.later)



class ReaderBase:
    """The document, the problems found so far, and the helpers every part of the loader uses."""

    def __init__(self, doc: YamlDocument, base_dir: Path):
        self.doc = doc
        self.base_dir = base_dir
        self.problems: list[Diagnostic] = []
        self.pools: dict[str, DataPool] = {}
        self.pool_names: set[str] = set()
        self.functions: dict[str, Any] = {}  # the spec's extension functions, as Builtins

    # --- reporting helpers ------------------------------------------------------------------

    def at(self, path: PathKey, *, key: bool = False) -> Location:
        node = (self.doc.keys if key else self.doc.values).get(path)
        if node is None:
            return self.doc.location(path, key=key)[0]
        mark = node.start_mark
        return Location(self.doc.file, mark.line + 1, mark.column + 1)

    def error(self, path: PathKey, message: str, help: str | None = None, *, key: bool = False) -> None:
        where, width = self.doc.location(path, key=key)
        self.problems.append(Diagnostic(where, message, help, width))

    def error_at(self, where: Location, message: str, help: str | None = None, width: int = 1) -> None:
        self.problems.append(Diagnostic(where, message, help, width))

    def problem(self, path: PathKey, problem: Problem, *, key: bool = False) -> None:
        """Report a value check's problem at its offset inside the value (or key) at `path`."""
        if key:
            where, _ = self.doc.location(path, key=True)
            quoted = self.doc.keys.get(tuple(path))
            shift = 1 if quoted is not None and getattr(quoted, "style", None) in ("'", '"') else 0
            where = Location(where.file, where.line, where.col + shift + problem.offset)
        else:
            node = self.doc.values.get(tuple(path))
            exact = node is None or (node.start_mark.line == node.end_mark.line and node.style in (None, "", "'", '"')
                                     and "\\" not in self.doc.text[node.start_mark.index:node.end_mark.index])
            where = self.doc.inner_location(path, problem.offset if exact else 0)
        self.error_at(where, problem.message, problem.help)

    def check_base(self, value: Any, path: PathKey, what: str = "host") -> None:
        """A literal base URL must be http(s) with a valid host and port; of a templated one,
        only a literal scheme can be checked."""
        if not isinstance(value, str):
            return
        literal = value.split("{{", 1)[0]
        if literal == value:
            problem = check_url_base(value, what)
        elif "://" in literal:
            problem = check_url_base(literal.partition("://")[0] + "://x", what)
        else:
            return
        if problem:
            self.problem(path, problem)

    def check_headers(self, headers: dict[str, Any], path: PathKey) -> None:
        """Header names are tokens; literal parts of values are one line of ASCII."""
        for name, value in headers.items():
            problem = check_header_name(str(name))
            if problem:
                self.problem(path + (name,), problem, key=True)
            if not isinstance(value, str):
                continue
            for start, literal in _literal_segments(value):
                problem = check_header_text(literal, start)
                if problem:
                    self.problem(path + (name,), problem)
                    break

    # --- small typed readers ----------------------------------------------------------------

    def duration(self, value: Any, path: PathKey) -> float | None:
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def think_time(self, value: Any, path: PathKey) -> ThinkTime | None:
        if value is None:
            return None
        try:
            low, high = parse_think_time(value)
        except ValueError as exc:
            self.error(path, str(exc), "write a duration (2s) or a range (1s..3s)")
            return None
        return ThinkTime(low, high)

    def mapping(self, value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def listing(self, value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    # --- templates and data flow --------------------------------------------------------------

    def templates(self, value: Any, path: PathKey, scope: Scope) -> None:
        """Check every template inside `value` (recursively) against `scope`."""
        if isinstance(value, str):
            self.template_string(value, path, scope)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "{{" in key and path[-1:] != ("headers",):
                    self.error(path + (key,), "templates are not rendered in keys",
                               "a key is sent as written; put the variable part in a value", key=True)
                self.templates(item, path + (key,), scope)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.templates(item, path + (index,), scope)

    def template_string(self, text: str, path: PathKey, scope: Scope) -> None:
        if "{{" not in text:
            return
        try:
            parsed = parse_cached(text)
        except TemplateError as exc:
            self.error_at(self.doc.inner_location(path, exc.offset), f"template error: {exc}",
                          "templates look like {{ name }}, {{ pool.column }} or {{ uuid() }}")
            return
        for expr in parsed.expressions:
            if not hasattr(expr, "path"):
                problem = check_call(expr, self.functions)  # type: ignore[arg-type]
                if problem:
                    known = expr.name in BUILTIN_FUNCTIONS or expr.name in self.functions  # type: ignore[union-attr]
                    hint = None if known else suggest(expr.name, set(BUILTIN_FUNCTIONS) | set(self.functions))  # type: ignore[union-attr]
                    self.error_at(self.doc.inner_location(path, expr.offset), problem,
                                  f"did you mean '{hint}()'?" if hint else
                                  (known and call_help(expr.name)) or  # type: ignore[union-attr]
                                  "built-ins: uuid(), random_int(a, b), random_string(n), base64(s), "
                                  "url_encode(s), sha256(s), hmac_sha256(key, s), int(s), ... (docs/reference.md)",
                                  len(expr.name))  # type: ignore[union-attr]
                else:
                    self.check_known_arguments(expr, path, scope)  # type: ignore[arg-type]
        for ref in parsed.refs():
            self.check_ref(ref, path, scope)

    def check_known_arguments(self, call: Call, path: PathKey, scope: Scope) -> None:
        """A built-in whose arguments are variables with values known now (a `variables:` entry
        used by a later one) is checked with those values: it would fail for every user."""
        refs = [arg for arg in call.args if isinstance(arg, Ref)]
        if not refs or not all(len(ref.path) == 1 and ref.root in scope.values for ref in refs):
            return
        values = [scope.values[arg.root] if isinstance(arg, Ref) else arg for arg in call.args]
        try:
            FUNCTIONS[call.name].check(*values)
        except RenderError as exc:
            names = ", ".join(f"'{ref.root}'" for ref in refs)
            self.error_at(self.doc.inner_location(path, call.offset), f"{exc} (from {names} in variables:)",
                          call_help(call.name), len(call.name))

    def check_ref(self, ref: Any, path: PathKey, scope: Scope) -> None:
        where = self.doc.inner_location(path, ref.offset)
        root = ref.root
        if root == "env":
            if len(ref.path) != 2:
                self.error_at(where, "use env.NAME to read an environment variable", None, 3)
            return
        if root in self.pools and root in scope.names and len(ref.path) >= 2:
            pool = self.pools[root]
            column = str(ref.path[1])
            if column not in pool.columns:
                hint = suggest(column, pool.columns)
                self.error_at(where, f"column '{column}' is not in {pool.path.name} "
                              f"(columns: {', '.join(pool.columns)})",
                              f"did you mean '{root}.{hint}'?" if hint else None, len(ref.text))
            return
        if root in scope.names:
            return
        if root in scope.later:
            step, line = scope.later[root]
            self.error_at(where, f"'{root}' is used before any step captures it",
                          f"it is captured later, by step '{step}' (line {line}); a step can only "
                          "use captures of earlier steps or of setup", len(root))
            return
        hint = suggest(root, scope.names - {"env"})
        self.error_at(where, f"unknown variable '{root}'",
                      f"did you mean '{hint}'?" if hint else
                      "define it under variables:, capture it in an earlier step, or use a data "
                      "pool column (pool.column)", len(root))


_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _literal_segments(text: str) -> list[tuple[int, str]]:
    """The parts of `text` outside `{{ ... }}`, each with its offset."""
    segments, position = [], 0
    for match in _EXPRESSION.finditer(text):
        segments.append((position, text[position:match.start()]))
        position = match.end()
    segments.append((position, text[position:]))
    return [(start, part) for start, part in segments if part]


@lru_cache(maxsize=4096)
def parse_cached(text: str) -> Any:
    """Specs repeat the same templates ("Bearer {{ token }}"): parse each distinct one once."""
    return parse_template(text)


__all__ = ["ReaderBase", "Scope", "parse_cached", "suggest"]
