"""Read YAML text into plain Python data plus a map from each key path to its source position.

It reports, as diagnostics rather than exceptions, what YAML itself gets wrong for our users:
syntax errors, duplicate keys, YAML 1.1 coercions (`no` read as false, `1:30` read as 90, `017`
read as 15) and unquoted values that start with `{{`. It knows nothing about loadspec's language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import Diagnostic
from ..model import Location

PathKey = tuple[Any, ...]

_YAML11_BOOL_WORDS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_LEADING_ZERO_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


@dataclass(frozen=True)
class Span:
    """A 1-based line and column plus the width of the text on that line."""

    line: int
    col: int
    width: int


@dataclass
class YamlDocument:
    """Parsed data, positions of values and keys by path, and problems found while reading."""

    data: Any
    text: str
    file: str
    values: dict[PathKey, yaml.Node] = field(default_factory=dict)
    keys: dict[PathKey, yaml.Node] = field(default_factory=dict)
    quoted: dict[PathKey, bool] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def location(self, path: PathKey, *, key: bool = False) -> tuple[Location, int]:
        """The location (and width) of the value (or key) at `path`, or of its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            node = table.get(probe)
            if node is None and key:
                node = self.values.get(probe)
            if node is not None:
                span = _span(node)
                return Location(self.file, span.line, span.col), span.width
            if not probe:
                return Location(self.file, 1, 1), 1
            probe = probe[:-1]

    def inner_location(self, path: PathKey, offset: int) -> Location:
        """The location of character `offset` inside the string scalar at `path`."""
        where, _ = self.location(path)
        shift = 1 if self.quoted.get(tuple(path)) else 0
        return Location(self.file, where.line, where.col + shift + offset)


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    width = end.column - start.column if end.line == start.line else 1
    return Span(start.line + 1, start.column + 1, max(width, 1))


class _Builder:
    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str, help: str | None = None) -> None:
        span = _span(node)
        self.doc.diagnostics.append(
            Diagnostic(Location(self.doc.file, span.line, span.col), message, help, span.width)
        )

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.values[path] = node
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> Any:
        if node.flow_style and node.value and isinstance(node.value[0][0], yaml.MappingNode) \
                and node.value[0][0].flow_style:
            # `key: {{ name }}`: an unquoted template. Report it and keep the text it meant.
            self.error(node, "a value starting with '{{' must be quoted",
                       "YAML reads an unquoted {{ as a mapping; write it in quotes, e.g. \"{{ token }}\"")
            return self.doc.text[node.start_mark.index:node.end_mark.index]
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.MappingNode) and key_node.flow_style:
                self.error(
                    key_node,
                    "a value starting with '{{' must be quoted",
                    "YAML reads an unquoted {{ as a mapping; write it in quotes, e.g. \"{{ token }}\"",
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "a key must be a plain word, not a list or mapping")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.error(key_node, "YAML merge keys ('<<') are not supported", "repeat the keys")
                continue
            key = key_node.value
            if key in first_seen:
                self.error(
                    key_node,
                    f"duplicate key '{key}'",
                    f"'{key}' is already set on line {first_seen[key]}; YAML would silently keep "
                    "only the last one — remove or rename one of them",
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.doc.keys[path + (key,)] = key_node
            result[key] = self.build(value_node, path + (key,))
        return result

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if node.style:  # quoted or block scalar: always text (libyaml says '' for plain, PyYAML None)
            self.doc.quoted[path] = node.style in ("'", '"')
            return node.value
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag == _INT_TAG and node.value.isdigit() and (node.value == "0" or node.value[0] != "0"):
            return int(node.value)
        value = self.constructor.construct_object(node, deep=True)
        text = node.value
        if isinstance(value, bool) and _YAML11_BOOL_WORDS.match(text):
            self.error(
                node,
                f"'{text}' is read by YAML as the boolean {str(value).lower()}",
                f"write {str(value).lower()} for a boolean, or quote it (\"{text}\") for the text",
            )
        elif isinstance(value, int) and not isinstance(value, bool) and (
            _SEXAGESIMAL.match(text) or _LEADING_ZERO_OCTAL.match(text)
        ):
            self.error(
                node,
                f"'{text}' is read by YAML as the number {value}",
                f"quote it (\"{text}\") if you meant the text",
            )
        elif isinstance(value, (datetime.date, datetime.datetime)):
            return text
        elif isinstance(value, float) and _SEXAGESIMAL.match(text):
            self.error(node, f"'{text}' is read by YAML as the number {value}", f"quote it: \"{text}\"")
        return value


_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, loader_class: type) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document; syntax problems come back as diagnostics, never as exceptions.

    libyaml (C) composes the nodes when available; a file with a syntax error is parsed again by
    the pure-Python parser, whose messages and positions the diagnostics are built on."""
    doc = YamlDocument(data=None, text=text, file=file)
    try:
        try:
            node = _compose(text, _FastLoader)
        except yaml.YAMLError:
            node = _compose(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        doc.diagnostics.append(yaml_syntax_diagnostic(exc, text, file))
        return doc
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly all errors
        doc.diagnostics.append(Diagnostic(Location(file, 1, 1), f"invalid YAML: {exc}"))
        return doc
    if node is None:
        doc.diagnostics.append(Diagnostic(Location(file, 1, 1), "the file is empty",
                                          "start from an example in examples/"))
        return doc
    doc.data = _Builder(doc).build(node, ())
    return doc


def yaml_syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    col = mark.column + 1 if mark else 1
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    lines = text.splitlines()
    help_text = None
    # An unquoted template at the start of a value: `url: {{ base }}/x` breaks the flow mapping.
    for probe in range(max(0, line - 2), min(len(lines), line)):
        match = re.search(r":\s+(\{\{)", lines[probe]) or re.match(r"\s*-\s+(\{\{)", lines[probe])
        if match:
            return Diagnostic(
                Location(file, probe + 1, match.start(1) + 1),
                "a value starting with '{{' must be quoted",
                "YAML reads an unquoted {{ as a mapping; write it in quotes, e.g. \"{{ token }}\"",
                2,
            )
    opened = exc.context_mark
    if opened is not None and "quoted scalar" in context:
        return Diagnostic(Location(file, opened.line + 1, opened.column + 1),
                          "invalid YAML: this quoted value is never closed",
                          "add the closing quote on the same line", 1)
    for kind, closer in (("flow mapping", "}"), ("flow sequence", "]")):
        if opened is not None and kind in context:
            opener = "{" if closer == "}" else "["
            return Diagnostic(Location(file, opened.line + 1, opened.column + 1),
                              f"invalid YAML: this '{opener}' is never closed with '{closer}'",
                              f"close it with '{closer}' on the same line, or use one key per line", 1)
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in current:
        help_text = "YAML does not allow tabs for indentation; use spaces"
    elif "mapping values are not allowed" in problem:
        body = current.strip().removeprefix("- ")
        if body.count(": ") + body.endswith(":") >= 2:
            help_text = "a value containing ': ' must be quoted, e.g. name: \"Checkout: pay\""
        else:
            col = len(current) - len(current.lstrip()) + 1
            help_text = "this key is indented wrongly: align it with the keys above it"
    elif "expected <block end>" in problem or "did not find expected" in problem:
        help_text = "check the indentation of this line against the lines above it"
    if line > len(lines) and lines:
        line, col = len(lines), len(lines[-1]) + 1
    return Diagnostic(Location(file, line, col), f"invalid YAML: {problem}", help_text)


__all__ = ["PathKey", "Span", "YamlDocument", "parse_yaml", "yaml_syntax_diagnostic"]
