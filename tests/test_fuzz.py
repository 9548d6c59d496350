"""Property-based checks that bad input never crashes: random and mutated specs, templates,
JMESPath expressions, env files and HAR recordings end in a valid result or a `LoadspecError` that
says where, never in another exception and never after more than a few seconds.

Runs are reproducible: every test is derandomized with a fixed number of examples, so CI sees the
same inputs each time. A SIGALRM watchdog fails an input that takes over 5 s (a hang).
"""

from __future__ import annotations

import copy
import json
import re
import signal
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadspec import LoadspecError, load_spec_text
from loadspec.errors import HarError, SpecError, TemplateError
from loadspec.lang.jmespath import check_jmespath, compile_jmespath
from loadspec.lang.templates import EnvLookup, RenderError, compile_string, parse_template
from loadspec.model import Spec
from loadspec.sources.envfile import EnvFileError, parse_env_text
from loadspec.sources.har.importer import import_har
from loadspec.writers.yaml import write_yaml

ROOT = Path(__file__).resolve().parent.parent
GOOD = sorted((ROOT / "tests" / "specs" / "good").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
HAR = ROOT / "tests" / "harapp" / "recordings" / "session.har"
LIMIT_SECONDS = 5

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


class TooSlow(Exception):
    """An input took longer than LIMIT_SECONDS."""


@contextmanager
def watchdog(seconds: int = LIMIT_SECONDS) -> Iterator[None]:
    """Fail the input (not the whole run) when it takes longer than `seconds`."""
    def expire(signum: int, frame: Any) -> None:
        raise TooSlow(f"input took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_located(error: SpecError, text: str) -> None:
    """Every diagnostic names a file and a real 1-based position."""
    assert error.diagnostics, "a SpecError without diagnostics"
    lines = max(1, text.count("\n") + 1)
    for problem in error.diagnostics:
        where = problem.where
        assert where.file and where.line >= 1 and where.col >= 1, problem
        if where.file == "fuzz.yaml":
            assert where.line <= lines + 1, (problem, lines)
        assert problem.message, problem


def load_or_explain(text: str, base_dir: Path) -> Spec | None:
    """Load `text`; a SpecError must locate its problems; anything else fails the test."""
    with watchdog():
        try:
            return load_spec_text(text, "fuzz.yaml", base_dir=base_dir)
        except SpecError as error:
            assert_located(error, text)
            error.render()  # rendering never crashes either
            return None


# --- the loader: mutated good specs ---------------------------------------------------------------

_GOOD_TEXTS = [(path.read_text(encoding="utf-8"), path.parent) for path in GOOD]

#: Fragments that break YAML or the language in interesting ways.
_FRAGMENTS = [
    "{{", "}}", "{{ x }}", "{{ uuid( }}", "{{ random_int('a', 'b') }}", "{{ random_string(99999999999) }}",
    "{{ now('%Q') }}", "{{ random_choice([]) }}", "*a", "&a ", "!foo ", "!!int ", "<<: ", '"', "'", "[", "]",
    "{", "}", ": ", "- ", "\t", "#", "|", ">", "%", "@", "`", "\\", "\n", "\n  ", "\n- ", "~", "null", "yes",
    "1:30", "017", "0x1F", "1e999", "-1", "999999999999999999999", "ftp://x", "http://[::1", "http://h:99999",
    "\u00e9", "\u202e", "\x00", "\r\n", "a{1,99999999999}", "(", ")", "?", "&", "json: '\"items\"'",
    "status: 999", "p95x < 1s", "duration: 5", "users: -1", "loop: {count: -1}", "on_fail: maybe",
    "X Bad: 1", "csv: nope.csv", "delimiter: ';;'", "==", "[?a == \"b\"]", "$.a", "steps: []", "---\n",
]


#: Whole values that are wrong in some place of a spec.
_VALUES = [
    "!foo bar", "!!int abc", "!!binary aGk=", "*nope", "&a 1", "&a [*a]", "'{{ nope }}'", "\"{{ random_int(5, 1) }}\"",
    "\"{{ random_string(-1) }}\"", "\"{{ now(5) }}\"", "\"{{ random_choice([]) }}\"", "\"{{ env }}\"", "ftp://h",
    "127.0.0.1:8000", "http://[::1", "http://h:0", "'a{1,99999999999}'", "'\"items\"'", "'[?a == \"b\"]'",
    "{json: '\"items\"'}", "{regex: '(a'}", "{lt: 5 parsecs}", "{json: a, eq: [1, {b: !foo c}]}", "'\u00e9\u00e9'",
    "\"a\\r\\nb\"", "[]", "{}", "[[[[[[[[]]]]]]]]", "'%'", "';;'", "1.5", "-0", ".inf", ".nan", "0o17", "2001-12-14",
]


def _mutations() -> st.SearchStrategy[tuple[str, Path]]:
    source = st.sampled_from(_GOOD_TEXTS)

    @st.composite
    def mutate(draw: Callable[..., Any]) -> tuple[str, Path]:
        text, base = draw(source)
        for _ in range(draw(st.integers(1, 4))):
            if not text:
                break
            at = draw(st.integers(0, len(text)))
            action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate_line", "drop_line",
                                           "truncate", "indent", "value", "value", "value"]))
            if action == "value":  # the value after `key: ` on some line, replaced as raw text
                lines = text.splitlines(keepends=True)
                keyed = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
                if keyed:
                    index = draw(st.sampled_from(keyed))
                    key = lines[index].partition(": ")[0]
                    lines[index] = key + ": " + draw(st.sampled_from(_VALUES + _FRAGMENTS)) + "\n"
                text = "".join(lines)
            elif action == "insert":
                text = text[:at] + draw(st.sampled_from(_FRAGMENTS)) + text[at:]
            elif action == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 12)):]
            elif action == "replace":
                text = text[:at] + draw(st.text(string.printable, max_size=6)) + text[at + 1:]
            elif action == "truncate":
                text = text[:at]
            else:
                lines = text.splitlines(keepends=True)
                index = min(at * len(lines) // max(len(text), 1), len(lines) - 1)
                if action == "duplicate_line":
                    lines.insert(index, lines[index])
                elif action == "drop_line":
                    del lines[index]
                else:
                    lines[index] = "  " + lines[index]
                text = "".join(lines)
        return text, base

    return mutate()


@FUZZ
@given(_mutations())
def test_mutated_good_specs_load_or_are_explained(case: tuple[str, Path]) -> None:
    text, base = case
    load_or_explain(text, base)


@st.composite
def _one_raw_value(draw: Callable[..., Any]) -> tuple[str, Path]:
    text, base = draw(st.sampled_from(_GOOD_TEXTS))
    lines = text.splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    index = draw(st.sampled_from(keyed))
    lines[index] = lines[index].partition(": ")[0] + ": " + draw(st.sampled_from(_VALUES)) + "\n"
    return "".join(lines), base


@FUZZ
@given(_one_raw_value())
def test_good_specs_with_one_raw_value_replaced(case: tuple[str, Path]) -> None:
    text, base = case
    load_or_explain(text, base)


def test_the_unmutated_specs_load() -> None:
    for text, base in _GOOD_TEXTS:
        assert isinstance(load_or_explain(text, base), Spec)


# --- the loader: random documents built from the language's words -----------------------------

_WORDS = ["version", "name", "host", "variables", "defaults", "headers", "data", "csv", "order", "delimiter",
          "load", "users", "duration", "stages", "iterations", "pacing", "thresholds", "check", "step",
          "environments", "staging", "scenarios", "steps", "setup", "get", "post", "json", "form", "body",
          "files", "params", "capture", "assert", "when", "var", "status", "header", "regex", "cookie",
          "eq", "lt", "gt", "matches", "length", "exists", "schema", "loop", "count", "over", "as", "group",
          "think_time", "timeout", "on_fail", "probability", "weight", "pick", "default", "type", "in"]
_SCALARS = st.one_of(
    st.sampled_from(_FRAGMENTS + ["/x", "200", "2xx", "1s", "800ms", "1s..3s", "p95 < 1s", "error_rate < 1%",
                                   "{{ user_id }}", "items[0].id", "http://127.0.0.1:8000", "first", "random"]),
    st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=12),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(_WORDS), inner, max_size=5)),
    max_leaves=40,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(_WORDS), _DOCUMENTS, max_size=6))
def test_random_documents_load_or_are_explained(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    load_or_explain(text, ROOT / "tests" / "specs" / "good")


@FUZZ
@given(st.sampled_from(_GOOD_TEXTS), st.sampled_from(_WORDS), _DOCUMENTS)
def test_good_specs_with_one_value_replaced(case: tuple[str, Path], word: str, value: Any) -> None:
    text, base = case
    data = yaml.safe_load(text)
    target = _random_mapping(data, len(word))
    target[word] = value
    load_or_explain(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), base)


def _random_mapping(data: Any, seed: int) -> dict[str, Any]:
    """A mapping inside `data`, picked deterministically from `seed`."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found[seed * 7919 % len(found)]


@pytest.mark.parametrize("text", [
    "a: &a [" + ",".join(["x"] * 9) + "]\n" + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
    "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "a: " + "[" * 5000 + "\n",
    "a: " + "{x: " * 3000 + "1" + "}" * 3000 + "\n",
    "".join("  " * i + f"k{i}:\n" for i in range(2000)),
    "a: &a [*a]\n",
    "name: !foo bar\n",
    "x: !!python/object:os.system ls\n",
    "version: !!int \nname: shop\n",
    "a: !!float\n",
    "host: " + "9" * 5000 + "\n",
])
def test_hostile_yaml_is_refused_quickly_with_a_position(text: str) -> None:
    assert load_or_explain(text, ROOT) is None


# --- templates ------------------------------------------------------------------------------------

_TEMPLATE_ALPHABET = "{}()[]'\", ._-0123456789abcxyz%"
_TEMPLATE_PIECES = ["{{", "}}", " ", "uuid()", "random_int(", "random_string(", "random_choice(", "now(",
                    "timestamp()", "'%Y'", "'%Q'", "a", "a.b", "a[0]", "a.0", "env.X", "env", ",", ")", "[",
                    "]", "-1", "99999999999", "1.5", "'x'", '"y"', "user_id"]


_ARGUMENTS = st.sampled_from(["'a'", "'%Y-%m-%d'", "'%Q'", "'%'", "''", "1.5", "[]", "['a', 'b']", "[a, 1]", "a",
                              "b.c", "user_id", "0", "1", "-1", "5", "99999999999", "-99999999999", "'7'"])
_CALLS = st.builds(
    lambda name, args, before, after: f"{before}{{{{ {name}({', '.join(args)}) }}}}{after}",
    st.sampled_from(["uuid", "random_int", "random_string", "random_choice", "now", "timestamp", "nope"]),
    st.lists(_ARGUMENTS, max_size=2), st.sampled_from(["", "x-", "{{ a }}"]), st.sampled_from(["", "/y"]))


@FUZZ
@given(st.one_of(st.text(_TEMPLATE_ALPHABET, max_size=40),
                 st.lists(st.sampled_from(_TEMPLATE_PIECES), max_size=12).map("".join), _CALLS),
       st.dictionaries(st.sampled_from(["a", "b", "user_id", "c"]),
                       st.one_of(st.integers(-3, 10**6), st.text(max_size=5), st.none(),
                                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=2),
                                                                                       st.integers(), max_size=2)),
                       max_size=4))
def test_templates_parse_compile_and_render_or_fail_cleanly(text: str, variables: dict[str, Any]) -> None:
    with watchdog():
        try:
            parse_template(text)
        except TemplateError as error:
            assert 0 <= error.offset <= len(text), (error.offset, text)
            return
        try:
            compiled = compile_string(text, EnvLookup({"X": "7"}))
        except TemplateError as error:
            assert 0 <= error.offset <= len(text)
            return
        if not compiled.static:
            try:
                compiled.get(variables)
            except RenderError as error:
                assert str(error)


# --- JMESPath ---------------------------------------------------------------------------------------

_JMES_PIECES = ["a", "b", ".", "[", "]", "[0]", "[*]", "[?", "==", "!=", "<", "`1`", "'x'", '"x"', "@", "|",
                "&", "(", ")", "length(", "contains(", "sort_by(", "random_item(", "nope(", ",", "{", "}",
                ":", "$", "-", " ", "*", "!", "&&", "||", "`", "10"]


@FUZZ
@given(st.one_of(st.text(max_size=30), st.lists(st.sampled_from(_JMES_PIECES), max_size=12).map("".join)),
       st.recursive(st.one_of(st.integers(), st.text(max_size=3), st.none(), st.booleans()),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from(["a", "b", "x"]), inner, max_size=3)),
                    max_leaves=10))
def test_jmespath_checks_never_crash(expression: str, data: Any) -> None:
    with watchdog():
        problem = check_jmespath(expression)
        if problem is not None:
            offset, message, _ = problem
            assert 0 <= offset <= len(expression) and message
            return
        compiled = compile_jmespath(expression)
        try:
            compiled.search(data)
        except Exception as error:  # noqa: BLE001 - only JMESPath's own run-time errors are expected
            assert type(error).__module__.startswith("jmespath"), repr(error)


# --- env files --------------------------------------------------------------------------------------

_ENV_PIECES = ["KEY", "=", "value", "'", '"', "\\", "\\n", "$", "${", "}", "${A:-d}", "#", " ", "\n",
               "export ", "1X", "\t", "=="]


@FUZZ
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(_ENV_PIECES), max_size=20).map("".join)))
def test_env_files_parse_or_name_the_line(text: str) -> None:
    with watchdog():
        try:
            parsed = parse_env_text(text, "fuzz.env", {"A": "1"})
        except EnvFileError as error:
            match = re.match(r"fuzz\.env:(\d+): ", str(error))
            assert match, str(error)
            assert 1 <= int(match.group(1)) <= max(1, len(text.splitlines())), str(error)
            return
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())


# --- HAR recordings ---------------------------------------------------------------------------------

_HAR = json.loads(HAR.read_text(encoding="utf-8"))
_HAR_VALUES = st.one_of(st.none(), st.integers(-1, 10**6), st.text(max_size=8), st.booleans(),
                        st.just([]), st.just({}), st.sampled_from(["http://[::1", "ftp://x/y", "GET", "\u00e9",
                                                                  "data:,x", "-1", "1.2", "text/html"]))


def _har_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _har_paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            found += _har_paths(value, path + (index,))
    return found


_FIRST_ENTRIES = copy.deepcopy(_HAR)
_FIRST_ENTRIES["log"]["entries"] = _FIRST_ENTRIES["log"]["entries"][:6]
_PATHS = _har_paths(_FIRST_ENTRIES)[1:]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(_PATHS), st.one_of(st.just("delete"), _HAR_VALUES)), min_size=1,
                max_size=4))
def test_mutated_har_files_import_or_are_explained(tmp_path_factory: pytest.TempPathFactory,
                                                   edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(_FIRST_ENTRIES)
    for path, value in edits:
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if value == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    folder = tmp_path_factory.mktemp("har")
    har = folder / "fuzz.har"
    har.write_text(json.dumps(data), encoding="utf-8")
    with watchdog():
        try:
            result = import_har([har])
        except HarError as error:
            assert "fuzz.har" in str(error) or str(error).startswith("--"), str(error)
            return
        text = write_yaml(result.spec)
        try:  # what convert writes loads again, or is explained
            load_spec_text(text, "converted.yaml", base_dir=folder)
        except SpecError as error:
            assert_located(error, text)
        except LoadspecError:
            pass


@FUZZ
@given(st.binary(max_size=200))
def test_har_bytes_that_are_not_json_are_explained(tmp_path_factory: pytest.TempPathFactory, blob: bytes) -> None:
    har = tmp_path_factory.mktemp("har") / "fuzz.har"
    har.write_bytes(blob)
    with watchdog():
        with pytest.raises(HarError, match="fuzz.har"):
            import_har([har])
