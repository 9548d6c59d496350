"""Read YAML text into plain Python data plus a map from each key path to its source position.

It reports, as diagnostics rather than exceptions, what YAML itself gets wrong for our users:
syntax errors, duplicate keys, YAML 1.1 coercions (`no` read as false, `1:30` read as 90, `017`
read as 15), unquoted values that start with `{{`, unknown tags (`!foo`), and input built to
exhaust the reader: aliases that expand beyond `ALIAS_BUDGET` nodes ("billion laughs") and nesting
deeper than `MAX_DEPTH`. It knows nothing about loadspec's language.
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
#: The tags a spec may carry (implicit ones, or written out as `!!str`, `!!int`, ...).
_KNOWN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "timestamp", "map", "seq"))

#: How many nodes aliases (`*name`) may add to a document, in all; beyond it the file is refused.
ALIAS_BUDGET = 10_000
#: How deeply mappings and lists may nest; a spec needs a dozen levels, a JSON body a few more.
MAX_DEPTH = 100


class _AliasBudgetExceeded(Exception):
    """Raised inside the builder when aliases expand to more than ALIAS_BUDGET nodes."""


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
        self.built: set[int] = set()  # ids of collection nodes already built: seeing one again is an alias
        self.expanded = 0  # nodes built again through aliases
        self.in_alias = 0
        self.depth = 0
        self.open: set[int] = set()  # ids of the collections being built (an alias to one recurses)

    def error(self, node: yaml.Node, message: str, help: str | None = None, width: int | None = None) -> None:
        span = _span(node)
        self.doc.diagnostics.append(
            Diagnostic(Location(self.doc.file, span.line, span.col), message, help, width or span.width)
        )

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.values[path] = node
        if self.in_alias:
            self.expanded += 1
            if self.expanded > ALIAS_BUDGET:
                raise _AliasBudgetExceeded
        if node.tag not in _KNOWN_TAGS:
            self.error(node, f"unknown YAML tag '{node.tag}'",
                       "loadspec uses no YAML tags: remove it, or quote the value if the '!' is part of the text",
                       width=len(node.tag))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        alias = id(node) in self.built
        if id(node) in self.open:
            raise _AliasBudgetExceeded  # an alias inside its own anchor: endless
        self.built.add(id(node))
        if self.depth >= MAX_DEPTH:
            self.error(node, f"the data is nested more than {MAX_DEPTH} levels deep",
                       "a spec needs far fewer levels: check for a runaway structure or split the value", 1)
            return None
        self.depth += 1
        self.in_alias += alias
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        finally:
            self.depth -= 1
            self.in_alias -= alias
            self.open.discard(id(node))

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
            if key_node.tag not in _KNOWN_TAGS:
                self.error(key_node, f"unknown YAML tag '{key_node.tag}'",
                           "loadspec uses no YAML tags: remove it", width=len(key_node.tag))
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
        text = node.value
        if len(text) > 1000 and tag in (_INT_TAG, "tag:yaml.org,2002:float"):
            self.error(node, f"a number of {len(text)} digits cannot be right", "quote it if it is text")
            return None
        if tag == _INT_TAG and text.isdigit() and (text == "0" or text[0] != "0"):
            return int(text)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, IndexError, KeyError, AttributeError):
            short = text if len(text) <= 30 else text[:29] + "…"
            self.error(node, f"'{short}' cannot be read as {tag.rsplit(':', 1)[-1]}",
                       "remove the !! tag, or quote the value to keep it as text")
            return None
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
            # The pure-Python composer recurses once per level: measure the depth first.
            too_deep = _too_deep(text, file)
            if too_deep:
                doc.diagnostics.append(too_deep)
                return doc
            node = _compose(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        doc.diagnostics.append(_open_quote(text, file, exc) or yaml_syntax_diagnostic(exc, text, file))
        return doc
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly all errors
        doc.diagnostics.append(Diagnostic(Location(file, 1, 1), f"invalid YAML: {exc}"))
        return doc
    if node is None:
        doc.diagnostics.append(Diagnostic(Location(file, 1, 1), "the file is empty",
                                          "start from an example in examples/"))
        return doc
    try:
        doc.data = _Builder(doc).build(node, ())
    except _AliasBudgetExceeded:
        doc.data = None
        doc.diagnostics = [_alias_bomb(text, file)]
    return doc


def _events(text: str) -> Any:
    """YAML events, read by the iterative parser (it never recurses, whatever the nesting)."""
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _too_deep(text: str, file: str) -> Diagnostic | None:
    """A diagnostic at the first collection nested deeper than MAX_DEPTH, if there is one."""
    depth = 0
    try:
        for event in _events(text):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return Diagnostic(Location(file, mark.line + 1, mark.column + 1),
                                      f"the data is nested more than {MAX_DEPTH} levels deep",
                                      "a spec needs far fewer levels: check for a runaway structure")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _alias_bomb(text: str, file: str) -> Diagnostic:
    """Point at the alias whose expansion takes the document over ALIAS_BUDGET nodes."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, nodes so far] per open collection
    expanded = 0
    where = Location(file, 1, 1)
    try:
        for event in _events(text):
            if isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in stack):
                    return Diagnostic(Location(file, event.start_mark.line + 1, event.start_mark.column + 1),
                                      f"the alias *{event.anchor} is inside its own anchor &{event.anchor}",
                                      "an alias must refer to a value defined before it and outside it", 1)
                size = sizes.get(event.anchor or "", 1)
                expanded += size
                if stack:
                    stack[-1][1] += size
                if expanded > ALIAS_BUDGET:
                    where = Location(file, event.start_mark.line + 1, event.start_mark.column + 1)
                    break
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1])
            elif isinstance(event, yaml.CollectionEndEvent) and stack:
                anchor, size = stack.pop()
                if anchor:
                    sizes[anchor] = size
                if stack:
                    stack[-1][1] += size
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    sizes[event.anchor] = 1
                if stack:
                    stack[-1][1] += 1
    except yaml.YAMLError:  # pragma: no cover - the file composed once already
        pass
    return Diagnostic(where, f"aliases expand this document beyond {ALIAS_BUDGET:,} values",
                      "YAML aliases (*name) copy their anchor (&name); nesting them multiplies the "
                      "data — write the values out, or reuse fewer levels", 1)


def _open_quote(text: str, file: str, exc: yaml.MarkedYAMLError) -> Diagnostic | None:
    """A quoted value that runs over several lines and ends on the line of the error was most
    likely never closed where it opened: point there instead of at the later symptom."""
    mark = exc.problem_mark
    if mark is None:
        return None
    scanner = yaml.SafeLoader(text)
    suspect = None
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"') \
                    and token.end_mark.line > token.start_mark.line:
                suspect = token
            if token.start_mark.line > mark.line:
                break
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    if suspect is None or suspect.end_mark.line != mark.line:
        return None
    start = suspect.start_mark
    lines = suspect.end_mark.line - start.line + 1
    return Diagnostic(Location(file, start.line + 1, start.column + 1),
                      "invalid YAML: this quoted value is never closed on its line",
                      f"the quote runs on over {lines} lines to line {suspect.end_mark.line + 1}; "
                      "add the closing quote on the same line", 1)


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
