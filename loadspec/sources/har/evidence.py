"""The evidence correlation rests on: what looks dynamic, and where a value can be read from a recorded
response (JSON leaves, headers, cookies, hidden inputs and meta tags, URL attributes, text anchors),
each extractor verified with the engine's own capture code against the recorded response; and
`places`, every structural place of a response whatever its value's shape, for the replay check.

It never decides what to correlate (`correlate.Correlator` does) and never reads files."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...lang.checks import QueryError, compile_capture, response_cookies
from ...model import Capture
from .drafts import (
    JSON_LEAVES_MAX,
    TEXT_SEARCH_MAX,
    RecordedResponse,
    _Replayed,
)

# --- what looks like a dynamic value ----------------------------------------------------------

_CONSTANTS = frozenset({
    "utf-8", "utf8", "iso-8859-1", "http/1.1", "http/2.0", "http/2", "h2", "h3", "base64", "sha256",
    "x86_64", "win64", "true", "false", "null", "none", "undefined", "nan",
})
_IGNORED_KEYS = frozenset({"redirect_uri", "redirect_url", "return_url", "returnurl", "expires", "date",
                           "url", "href", "referer", "referrer", "origin"})
_GENERIC_NAMES = frozenset({"id", "uuid", "key", "value", "token", "code", "data", "result", "_id", "guid",
                            "location", "content", "authorization", "ref"})
_TOKEN = re.compile(r"[\w\-.~+/=%]{4,}")
_DYNAMIC_WORD_CLASS = re.compile(r"[\w\-.~]+")



_SPACE = re.compile(r"\s").search
_DIGIT = re.compile(r"\d").search
_LETTER = re.compile(r"[^\W\d_]").search


@lru_cache(maxsize=1 << 16)
def looks_dynamic(value: str) -> bool:
    """True for values that look generated (ids, tokens), not words, flags or constants."""
    size = len(value)
    if size < 4 or size > 4096 or _SPACE(value):
        return False
    if value.lower() in _CONSTANTS or "://" in value:
        return False
    has_digit = _DIGIT(value) is not None
    if not _LETTER(value):
        return has_digit and value.isdigit()  # plain numbers of 4+ digits; not dates, versions
    if has_digit:
        return True
    return size >= 20 and value != value.lower() and value != value.upper() and "/" not in value


# --- extractors and their verification --------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A place in one response where a value can be read from: a capture query and a description."""

    kind: str  # json | header | cookie | regex
    selector: str
    source: str  # human description, e.g. "JSON access_token"
    hint: str  # name suggestion for the variable
    expect: str | None = None  # what the capture reads, when not the value itself (an absolute Location)


def read_capture(capture: Capture, response: RecordedResponse) -> str | None:
    """What `capture` reads from the recorded response, as text; None when it finds nothing (or a
    boolean, a list, an object: no value a request sends back)."""
    try:
        store = compile_capture(capture, "verify")
    except Exception:  # an extractor we built that does not even compile is simply not used
        return None
    variables: dict[str, Any] = {}
    try:
        message = store(response.view(), variables)
    except (QueryError, ValueError, TypeError):
        return None
    if message is not None or capture.name not in variables:
        return None
    found = variables[capture.name]
    if isinstance(found, bool) or isinstance(found, (list, dict)) or found is None:
        return None
    return str(found)


def verify(capture: Capture, response: RecordedResponse, value: str) -> bool:
    """Run `capture` on the recorded response: True when it yields exactly `value`."""
    return read_capture(capture, response) == value


def _rx(text: str) -> str:
    """Escape regex metacharacters only (keeps `-`, `_`, quotes readable in YAML)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def jmespath_of(path: Sequence[str | int]) -> str:
    """A JMESPath selecting one leaf: `a.b[0]."odd-key"`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            piece = part if _IDENTIFIER.match(part) else json.dumps(part)
            out += ("." if out else "") + piece
    return out or "@"


def is_short_id(value: str) -> bool:
    """A number too short to look generated (`1`, `42`, `317`): an id only with structural evidence."""
    return 0 < len(value) < 4 and value.isdigit()


def _json_leaves(data: Any, *, short: bool = False) -> Iterator[tuple[str, str, str]]:
    """(value, JMESPath, name) of the dynamic-looking leaves of a JSON document (with `short`, of the
    short numbers instead); the name is the nearest object key on the way to the leaf."""
    for value, path in _json_leaf_paths(data, short=short):
        yield value, jmespath_of(path), next((str(p) for p in reversed(path) if isinstance(p, str)), "value")


_NAME_KEYS = frozenset({"name", "path", "id", "slug", "key", "filename", "handle", "uuid"})


def _json_word_leaves(data: Any) -> list[tuple[str, list[str | int]]]:
    """String leaves under a name-like key (`name`, `path`, `slug` …) that are not generated-looking:
    a server-chosen name such as `Untitled.ipynb` sent back in a URL is only found there."""
    leaves: list[tuple[str, list[str | int]]] = []

    def walk(value: Any, path: list[str | int]) -> None:
        if len(leaves) >= 200:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, [*path, str(key)])
        elif isinstance(value, list):
            for index, item in enumerate(value[:50]):
                walk(item, [*path, index])
        elif isinstance(value, str) and path and str(path[-1]).lower() in _NAME_KEYS and 4 <= len(value) <= 200 \
                and not looks_dynamic(value) and not _SPACE(value) and "/" not in value:
            leaves.append((value, path))

    walk(data, [])
    return leaves


def _json_leaf_paths(data: Any, *, short: bool = False,
                     keep: Callable[[str], bool] | None = None) -> list[tuple[str, list[str | int]]]:
    leaves: list[tuple[str, list[str | int]]] = []
    _walk_json(data, [], leaves, [JSON_LEAVES_MAX], short, keep)
    return leaves


def _walk_json(value: Any, path: list[str | int], out: list[tuple[str, list[str | int]]], budget: list[int],
               short: bool = False, keep: Callable[[str], bool] | None = None) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            path.append(str(key))
            _walk_json(item, path, out, budget, short, keep)
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            _walk_json(item, path, out, budget, short, keep)
            path.pop()
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        budget[0] -= 1
        text = str(value)
        if keep(text) if keep is not None else (
                (is_short_id(text) and (isinstance(value, int) or path and isinstance(path[-1], str))) if short
                else looks_dynamic(text)):
            out.append((text, list(path)))


_TAG = re.compile(r"<(input|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_SET_COOKIE_SKIP = ("set-cookie", "date", "expires", "last-modified", "content-length", "content-type",
                    "content-encoding", "server", "cache-control", "vary", "connection", "keep-alive",
                    "transfer-encoding", "age", "via", "x-powered-by", "strict-transport-security",
                    "content-security-policy", "report-to", "nel", "alt-svc", "accept-ranges", "pragma")


def _html_offers(text: str, *, short: bool = False,
                 keep: Callable[[str], bool] | None = None) -> Iterator[tuple[str, Offer]]:
    """Hidden inputs and meta tags holding a dynamic value (with `short`, a short number; with
    `keep`, any value it accepts)."""
    for tag in _TAG.finditer(text):
        kind = tag.group(1).lower()
        attrs: dict[str, tuple[str, str, int]] = {}
        for attr in _ATTR.finditer(tag.group(0)):
            quote = '"' if attr.group(2) is not None else ("'" if attr.group(3) is not None else "")
            raw = attr.group(2) if attr.group(2) is not None else (attr.group(3) or attr.group(4) or "")
            attrs.setdefault(attr.group(1).lower(), (raw, quote, attr.start()))
        key_attr, value_attr = ("name", "value") if kind == "input" else ("name", "content")
        if kind == "meta" and key_attr not in attrs and "property" in attrs:
            key_attr = "property"
        if key_attr not in attrs or value_attr not in attrs:
            continue
        key_raw, key_quote, key_pos = attrs[key_attr]
        value_raw, value_quote, value_pos = attrs[value_attr]
        value = html.unescape(value_raw)
        if not (keep(value) if keep is not None else is_short_id(value) if short else looks_dynamic(value)):
            continue
        if not value_quote:
            continue  # unquoted attribute values: leave them to the text search
        tag_name = tag.group(0)[1:1 + len(kind)]
        key_part = f'{_rx(key_attr)}={key_quote}{_rx(key_raw)}{key_quote}'
        value_class = "[^\"]*" if value_quote == '"' else "[^']*"
        value_part = f"{_rx(value_attr)}={value_quote}({value_class}){value_quote}"
        first, second = (key_part, value_part) if key_pos < value_pos else (value_part, key_part)
        pattern = f"<{tag_name}[^>]*?{first}[^>]*?{second}"
        what = "HTML hidden input" if kind == "input" else "HTML meta tag"
        yield value, Offer("regex", pattern, f"{what} {key_raw}", key_raw)


def places(response: RecordedResponse) -> Iterator[tuple[str, Offer]]:
    """Every structural place of a response and the value it holds there, whatever its shape: JSON
    leaves (strings and numbers), single response headers, cookies, hidden inputs and meta tags.
    The replay check reads each again in the live response: a value that changed is dynamic."""
    data = response.json()
    if data is not None:
        leaves: list[tuple[str, list[str | int]]] = []
        _walk_json(data, [], leaves, [JSON_LEAVES_MAX], keep=bool)
        for value, path in leaves:
            selector = jmespath_of(path)
            yield value, Offer("json", selector, f"JSON {selector}",
                               next((str(p) for p in reversed(path) if isinstance(p, str)), "value"))
    counts: dict[str, int] = {}
    for name, _ in response.headers:
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    for name, value in response.headers:
        lowered = name.lower()
        if value and counts[lowered] == 1 and (lowered == "location" or lowered not in _SET_COOKIE_SKIP):
            yield value, Offer("header", name, f"header {name}", lowered.replace("-", "_"))
    for name, value in response_cookies(response.view().response).items():
        if value:
            yield value, Offer("cookie", name, f"cookie {name}", name)
    text = response.text
    if text and "<" in text and ("<input" in text or "<meta" in text):
        yield from _html_offers(text[:TEXT_SEARCH_MAX], keep=bool)


_URL_ATTR = re.compile(r'\s([a-z][-\w]*)\s*=\s*"(/[^"\s<>]*)"', re.IGNORECASE)


def _url_attr_offers(text: str) -> Iterator[tuple[str, Offer]]:
    """Whole URL paths in HTML attributes (`href`, `action`, `data-…-url`) that hold a number or a
    generated segment, read by the attribute name (verification keeps those whose first match it is)."""
    seen: set[str] = set()
    for match in _URL_ATTR.finditer(text):
        name, raw = match.group(1), match.group(2)
        value = html.unescape(raw)
        if value in seen or not any(s.isdigit() or looks_dynamic(s) for s in value.split("?")[0].split("/")):
            continue
        seen.add(value)
        yield value, Offer("regex", f'{_rx(name)}="([^"]*)"', f"HTML attribute {name}", "url")


def set_cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The cookies recorded response headers set, read by the engine's own code."""
    return response_cookies(_Replayed(RecordedResponse(0, headers, None)))


def _cookie_offers(response: RecordedResponse) -> Iterator[tuple[str, Offer]]:
    for name, value in response_cookies(response.view().response).items():
        if looks_dynamic(value):
            yield value, Offer("cookie", name, f"cookie {name}", name)


def _text_pattern(text: str, value: str) -> Iterator[str]:
    """Boundary regexes for `value` at its first occurrence in `text`: short context first."""
    pos = text.find(value, 0, TEXT_SEARCH_MAX)
    if pos < 0:
        return
    line_start = text.rfind("\n", 0, pos) + 1
    right = text[pos + len(value):pos + len(value) + 8].split("\n")[0]
    seen: set[str] = set()
    for size in (8, 16, 24):
        start = max(line_start, pos - size)
        if start < pos and start > line_start and _is_word(text[start - 1]) and _is_word(text[start]):
            word_start = start
            while word_start > line_start and _is_word(text[word_start - 1]):
                word_start -= 1
            word_end = start
            while word_end < pos and _is_word(text[word_end]):
                word_end += 1
            if looks_dynamic(text[word_start:word_end]):
                start = word_end  # never anchor on another changing value
            else:
                start = word_start  # a whole word (a key, an attribute name) is a stable anchor
        left = text[start:pos]
        if not left or left in seen or not any(c.isalpha() for c in left):
            continue
        seen.add(left)
        if _DYNAMIC_WORD_CLASS.fullmatch(value):
            yield f"{_rx(left)}([\\w\\-.~]+)"
        if right:
            yield f"{_rx(left)}(.+?){_rx(right)}"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _segment_patterns(text: str, prefix: str, value: str) -> Iterator[str]:
    """Regexes reading a short id that follows the URL path `prefix` (`/ticket/` + `2`) in a page:
    first the bare path, then anchored on the text before each of its first occurrences."""
    generic = "/".join(r"\d+" if part.isdigit() else _rx(part) for part in prefix.split("/"))
    bare = f"{generic}(\\d+)(?![\\w])"
    yield bare
    needle = prefix + value
    start, seen = 0, 0
    while seen < 6:
        pos = text.find(needle, start, TEXT_SEARCH_MAX)
        if pos < 0:
            return
        start = pos + 1
        after = text[pos + len(needle):pos + len(needle) + 1]
        if after.isalnum():
            continue
        seen += 1
        line_start = text.rfind("\n", 0, pos) + 1
        for size in (8, 16, 24):
            left = text[max(line_start, pos - size):pos]
            if len(left) == size and _is_word(left[0]) and pos - size > line_start and _is_word(text[pos - size - 1]):
                left = re.sub(r"^\w*", "", left)  # start at a word boundary
            left = re.sub(r".*\d", "", left)  # no digits: they may be another id
            if len(left) >= 3 and any(c.isalpha() for c in left):
                yield f"{_rx(left)}{generic}(\\d+)(?![\\w])"


_DISPOSITION = re.compile(r'content-disposition:[^\r\n]*?\bname="([^"]*)"([^\r\n]*)', re.IGNORECASE)


def multipart_parts(text: str) -> list[tuple[str, str, int, int]]:
    """(name, value, start, end) of the plain (not file) parts of a recorded multipart body."""
    first = text.split("\r\n", 1)[0] if "\r\n" in text else text.split("\n", 1)[0]
    if not first.startswith("--") or len(first) < 4:
        return []
    boundary = first.strip()
    parts: list[tuple[str, str, int, int]] = []
    position = 0
    while True:
        head = text.find(boundary, position)
        if head < 0:
            break
        body_start = text.find("\r\n\r\n", head)
        nxt = text.find("\r\n" + boundary, head + len(boundary))
        if body_start < 0 or nxt < 0 or body_start > nxt:
            break
        headers = text[head + len(boundary):body_start]
        disposition = _DISPOSITION.search(headers)
        if disposition and "filename=" not in disposition.group(2).lower():
            parts.append((disposition.group(1), text[body_start + 4:nxt], body_start + 4, nxt))
        position = nxt + 2
    return parts


__all__ = ["Offer", "is_short_id", "jmespath_of", "looks_dynamic", "multipart_parts", "places", "read_capture",
           "set_cookies", "verify"]
