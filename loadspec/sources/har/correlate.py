"""Automatic correlation and secret handling for HAR imports: recorded values → captures and templates.

Its one job: given the requests of one recording (already filtered and cleaned, as `DraftRequest`s)
and the response each one got (`RecordedResponse`), find the values that a response produced and a
later request sent back, put a capture on the producing step and a `{{ variable }}` in every later
use; and make sure no credential of the recording is written verbatim (it becomes `{{ env.NAME }}`,
the recorded value is handed back separately). Sources, in order of preference: JSON body fields,
response headers (Location, X-*), cookies set by the response, HTML hidden inputs and meta tags,
and the response text as a last resort. Every extractor is run through the same query code the
engine uses, against the recorded response, and is only used if it returns exactly the recorded
value. It never reads files, never sends a request and never imports the engine.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ...lang.checks import QueryError, ResponseView, compile_capture, response_cookies
from ...lang.templates import BUILTIN_VARIABLES
from ...model import Capture, Query

# --- what the importer hands over ---------------------------------------------------------------


@dataclass
class RecordedResponse:
    """The response a step got while recording (the last one of a collapsed redirect chain)."""

    status: int
    headers: list[tuple[str, str]]
    text: str | None
    mime: str = ""
    url: str = ""
    _view: Any = field(default=None, repr=False)

    def view(self) -> ResponseView:
        """This response as the engine's query code sees a live one (built once, JSON decoded once)."""
        if self._view is None:
            self._view = ResponseView(_Replayed(self), 0.0)
        return self._view

    def json(self) -> Any:
        """The body parsed as JSON (by the view, so at most once), or None."""
        text = self.text
        if not text or not ("json" in self.mime or text.lstrip()[:1] in ("{", "[")):
            return None
        try:
            return self.view().json()
        except QueryError:
            return None


@dataclass
class DraftRequest:
    """One request step being built. Correlation rewrites its fields in place with templates.

    `path` is the URL path (percent-encoded, as recorded) for the main host, or a whole URL for
    another host (`base` is then that scheme://host). `params`, `form` values and JSON leaves are
    decoded values. `segment_names` maps a path segment index to the `{name}` used in the step name.
    """

    label: str
    method: str
    path: str
    base: str = ""
    params: list[list[Any]] = field(default_factory=list)
    headers: list[list[str]] = field(default_factory=list)
    body_kind: str | None = None
    body: Any = None
    captures: list[Capture] = field(default_factory=list)
    capture_notes: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (source, first use)
    notes: list[str] = field(default_factory=list)
    segment_names: dict[int, str] = field(default_factory=dict)
    started: float = 0.0  # when the browser sent it (seconds since the epoch), to recognise timestamps


@dataclass
class Correlation:
    """One correlated value, for the conversion summary."""

    variable: str
    source: str  # where in the producing response, e.g. "JSON access_token"
    producer: int  # index of the producing step
    uses: list[tuple[str, int]] = field(default_factory=list)  # (where, index of the using step)


@dataclass
class Secret:
    """A credential of the recording replaced by `{{ env.NAME }}`."""

    env: str
    value: str
    where: list[str] = field(default_factory=list)


SECRET_PREFIX = "LOADSPEC_"


class SecretRegistry:
    """Env variable names for recorded credentials, shared by every file of one import."""

    def __init__(self) -> None:
        self.by_name: dict[str, Secret] = {}

    def name_for(self, key: str, value: str, where: str) -> str:
        base = SECRET_PREFIX + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").upper() or "SECRET")
        candidate, n = base, 2
        while candidate in self.by_name and self.by_name[candidate].value != value:
            candidate, n = f"{base}_{n}", n + 1
        secret = self.by_name.setdefault(candidate, Secret(candidate, value))
        if where not in secret.where:
            secret.where.append(where)
        return candidate


def env_template(env: str) -> str:
    """`{{ env.NAME }}`: how a recorded credential is written."""
    return "{{ env." + env + " }}"


@dataclass
class CorrelationResult:
    """What correlation found in one recording."""

    correlations: list[Correlation] = field(default_factory=list)


# --- what looks like a dynamic value ----------------------------------------------------------

_CONSTANTS = frozenset({
    "utf-8", "utf8", "iso-8859-1", "http/1.1", "http/2.0", "http/2", "h2", "h3", "base64", "sha256",
    "x86_64", "win64", "true", "false", "null", "none", "undefined", "nan",
})
_SECRET_KEY = re.compile(
    r"(^|[-_.\s\[])(pass(word|wd|phrase)?|pwd|secret|client[-_]?secret|api[-_]?key|apikey|"
    r"private[-_]?key|pin)([-_]?(confirm(ation)?|again|repeat|check|[0-9]))?\]?$")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|x-api-key|api-key|apikey|x-apikey|x-api-token|"
    r"x-auth-token|x-access-token|private-token|x-amz-security-token|ocp-apim-subscription-key|"
    r"x-functions-key|x-goog-api-key|[a-z0-9-]*-api-key)$", re.IGNORECASE)
_IGNORED_KEYS = frozenset({"redirect_uri", "redirect_url", "return_url", "returnurl", "expires", "date",
                           "url", "href", "referer", "referrer", "origin"})
_GENERIC_NAMES = frozenset({"id", "uuid", "key", "value", "token", "code", "data", "result", "_id", "guid",
                            "location", "content", "authorization", "ref"})
_TOKEN = re.compile(r"[\w\-.~+/=%]{4,}")
_DYNAMIC_WORD_CLASS = re.compile(r"[\w\-.~]+")

TEXT_SEARCH_WINDOW = 40  # responses searched as plain text, newest first
TEXT_SEARCH_MAX = 2_000_000  # characters of one response searched as plain text
JSON_LEAVES_MAX = 20_000  # leaves of one JSON response indexed


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


def is_secret_key(key: str) -> bool:
    """A form, JSON or query field name that holds a password or an API key (`password`,
    `user[password]`, `newPassword`, `password_confirmation`, `client_secret`, `api_key` ...)."""
    return bool(_SECRET_KEY.search(_CAMEL.sub(r"\1_\2", key).lower()))


def is_secret_header(name: str) -> bool:
    """A request header that carries credentials."""
    return bool(_SECRET_HEADER.match(name))


# --- extractors and their verification --------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A place in one response where a value can be read from: a capture query and a description."""

    kind: str  # json | header | cookie | regex
    selector: str
    source: str  # human description, e.g. "JSON access_token"
    hint: str  # name suggestion for the variable
    expect: str | None = None  # what the capture reads, when not the value itself (an absolute Location)


class _Headers:
    """The recorded headers, readable the way ResponseView reads live ones."""

    def __init__(self, headers: list[tuple[str, str]]):
        self.pairs = headers

    def get(self, name: str, default: Any = None) -> Any:
        lowered = name.lower()
        for key, value in self.pairs:
            if key.lower() == lowered:
                return value
        return default

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def getheaders(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.pairs if key.lower() == lowered]


class _Replayed:
    """A recorded response dressed as a live one, so captures are checked by the engine's code."""

    def __init__(self, response: RecordedResponse):
        self.status_code = response.status
        self.headers = _Headers(response.headers)
        self.text = response.text or ""
        self.content = self.text.encode("utf-8", "surrogatepass")
        self.url = response.url


def verify(capture: Capture, response: RecordedResponse, value: str) -> bool:
    """Run `capture` on the recorded response: True when it yields exactly `value`."""
    try:
        store = compile_capture(capture, "verify")
    except Exception:  # an extractor we built that does not even compile is simply not used
        return False
    variables: dict[str, Any] = {}
    try:
        message = store(response.view(), variables)
    except (QueryError, ValueError, TypeError):
        return False
    if message is not None or capture.name not in variables:
        return False
    found = variables[capture.name]
    if isinstance(found, bool) or isinstance(found, (list, dict)):
        return False
    return str(found) == value


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


def _json_leaf_paths(data: Any, *, short: bool = False) -> list[tuple[str, list[str | int]]]:
    leaves: list[tuple[str, list[str | int]]] = []
    _walk_json(data, [], leaves, [JSON_LEAVES_MAX], short)
    return leaves


def _walk_json(value: Any, path: list[str | int], out: list[tuple[str, list[str | int]]], budget: list[int],
               short: bool = False) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            path.append(str(key))
            _walk_json(item, path, out, budget, short)
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            _walk_json(item, path, out, budget, short)
            path.pop()
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        budget[0] -= 1
        text = str(value)
        if (is_short_id(text) and (isinstance(value, int) or path and isinstance(path[-1], str))) if short \
                else looks_dynamic(text):
            out.append((text, list(path)))


_TAG = re.compile(r"<(input|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_SET_COOKIE_SKIP = ("set-cookie", "date", "expires", "last-modified", "content-length", "content-type",
                    "content-encoding", "server", "cache-control", "vary", "connection", "keep-alive",
                    "transfer-encoding", "age", "via", "x-powered-by", "strict-transport-security",
                    "content-security-policy", "report-to", "nel", "alt-svc", "accept-ranges", "pragma")


def _html_offers(text: str, *, short: bool = False) -> Iterator[tuple[str, Offer]]:
    """Hidden inputs and meta tags holding a dynamic value (with `short`, a short number)."""
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
        if not (is_short_id(value) if short else looks_dynamic(value)):
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


# --- the algorithm ----------------------------------------------------------------------------


@dataclass
class _Atom:
    """A value a request sends, where, and under which key."""

    value: str
    where: str  # "URL", "query page", "form csrf_token", "JSON a.b", "header X", "body", "multipart k"
    key: str  # the request-side name used to name a variable
    path_context: str = ""  # the path segment before it, for ids in URLs
    loc: tuple[Any, ...] = ()  # where exactly, for short values replaced in place (not by value)
    prefix: str = ""  # the URL path before a segment (`/ticket/` for `/ticket/2`)


# Path words that say what is done to an object, not what it is: `/advert/delete/2/` is an advert id.
_ACTION_WORDS = frozenset({"add", "new", "create", "edit", "change", "update", "delete", "remove", "view", "show",
                           "detail", "details", "history", "copy", "move", "publish", "unpublish", "preview",
                           "revisions", "submit", "confirm"})
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}")
_ID_KEYS = ("id", "pk", "_id", "uuid")
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


def _singular(word: str) -> str:
    word = re.sub(r"[^A-Za-z0-9_]", "_", word)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ses") or word.endswith("xes"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not name:
        return "value"
    if name[0].isdigit():
        name = f"v_{name}"
    return name


def _clock_value(value: str, started: float) -> str | None:
    """`{{ timestamp() }}…` for a number that is the time the browser sent it (a cache-buster)."""
    if not value.isdigit() or not started:
        return None
    if len(value) == 13 and abs(int(value) / 1000 - started) < 86400:
        return "{{ timestamp() }}000"
    if len(value) == 10 and abs(int(value) - started) < 86400:
        return "{{ timestamp() }}"
    return None


class Correlator:
    """Runs correlation over the drafts of one recording, in order.

    A value becomes a variable because a response produced it and a later request sent it back;
    the producer is the first response that produced it. Generated-looking values are matched by
    value, whole values from structured sources first. Short numbers (ids) need structural
    evidence: the same key (a hidden input or JSON field of that name), a JSON `id` for the segment
    after `/items/`, or the same URL path in an earlier page; they are replaced where they were
    found, never by value. A whole URL path equal to an earlier `Location` (a redirect's target, a
    created object) or to an HTML attribute reads it from there. UUIDs the browser generated become
    `{{ uuid() }}`, and numbers that are the time of the request become `{{ timestamp() }}`.
    """

    def __init__(self, drafts: list[DraftRequest], responses: list[RecordedResponse],
                 secrets: SecretRegistry, *, enabled: bool = True):
        self.drafts = drafts
        self.responses = responses
        self.secrets = secrets
        self.enabled = enabled
        self.result = CorrelationResult()
        self.offers: dict[str, list[tuple[int, Offer]]] = {}
        self.short_offers: dict[str, list[tuple[int, Offer]]] = {}
        self.bound: dict[str, tuple[str, int, int]] = {}  # value -> (variable, producer, last use)
        self.short_bound: dict[tuple[str, str], str] = {}  # (role, value) -> variable
        self.intervals: dict[str, list[tuple[int, int]]] = {}  # variable -> [(producer, last use)]
        self.records: dict[tuple[str, int], Correlation] = {}
        self.uses: dict[str, list[int]] = {}
        self.latest_use: dict[str, int] = {}
        self.searched: dict[str, int] = {}  # value -> responses before this index hold no text match
        self.generated: set[str] = set()  # client-generated values replaced by a template function
        self._current = 0

    # -- request side ----------------------------------------------------------------------

    def atoms(self, draft: DraftRequest) -> list[_Atom]:
        found: list[_Atom] = []
        previous = ""  # the last segment that is a word, not a value: names ids found in URLs
        segments = draft.path.split("?", 1)[0].split("/")
        for index, segment in enumerate(segments):
            if segment:
                decoded = unquote(segment) if "%" in segment else segment
                prefix = "/".join(segments[:index]) + "/"
                if is_short_id(decoded):
                    if previous and not draft.base:
                        found.append(_Atom(decoded, "URL", previous, previous, ("seg", index), prefix))
                    continue
                found.append(_Atom(decoded, "URL", previous, previous, ("seg", index), prefix))
                if not looks_dynamic(decoded) and decoded.lower() not in _ACTION_WORDS:
                    previous = decoded
        found.extend(self._pair_atoms(draft.params, "query"))
        for name, value in draft.headers:
            lowered = name.lower()
            if lowered in ("authorization", "proxy-authorization"):
                scheme, _, credential = value.partition(" ")
                if credential and scheme.lower() in ("bearer", "token", "jwt"):
                    found.append(_Atom(credential.strip(), f"header {name}", name))
                continue
            found.extend(self._string_atoms(value, f"header {name}", name))
        if draft.body_kind == "form":
            found.extend(self._pair_atoms(draft.body, "form"))
        elif draft.body_kind == "json":
            for value, path in _json_leaf_paths(draft.body):
                found.append(_Atom(value, f"JSON {jmespath_of(path)}", _leaf_key(path)))
            for value, path in _json_leaf_paths(draft.body, short=True):
                found.append(_Atom(value, f"JSON {jmespath_of(path)}", _leaf_key(path), loc=("json", tuple(path))))
        elif draft.body_kind == "raw" and isinstance(draft.body, str):
            parts = multipart_parts(draft.body[:TEXT_SEARCH_MAX])
            if parts:
                for number, (name, value, _, _) in enumerate(parts):
                    if looks_dynamic(value):
                        found.append(_Atom(value, f"multipart {name}", name))
                    elif is_short_id(value):
                        found.append(_Atom(value, f"multipart {name}", name, loc=("part", number)))
            elif (data := _json_text(draft.body)) is not None:  # JSON sent as text/plain: whole leaves
                for value, path in _json_leaf_paths(data):
                    found.append(_Atom(value, f"JSON {jmespath_of(path)}", _leaf_key(path)))
            else:
                for token in _TOKEN.findall(draft.body[:TEXT_SEARCH_MAX]):
                    if looks_dynamic(token):
                        found.append(_Atom(token, "body", "value"))
        return [atom for atom in found if atom.key.lower() not in _IGNORED_KEYS and not is_secret_key(atom.key)]

    def _pair_atoms(self, pairs: list[list[Any]], kind: str) -> Iterator[_Atom]:
        """Atoms of query parameters or form fields (`kind` query | form); a value may be a list."""
        for index, (name, value) in enumerate(pairs):
            items = value if isinstance(value, list) else [value]
            for position, item in enumerate(items):
                text = str(item)
                if is_short_id(text):
                    yield _Atom(text, f"{kind} {name}", str(name), loc=("pair", kind, index,
                                                                         position if isinstance(value, list) else None))
                else:
                    for atom in self._string_atoms(text, f"{kind} {name}", str(name)):
                        if atom.value == text:
                            atom.loc = ("pair", kind, index, position if isinstance(value, list) else None)
                        yield atom

    def _string_atoms(self, text: str, where: str, key: str) -> list[_Atom]:
        if looks_dynamic(text):
            return [_Atom(text, where, key)]
        if len(text) > 8:
            return [_Atom(token, where, key) for token in _TOKEN.findall(text) if looks_dynamic(token)]
        return []

    # -- response side ---------------------------------------------------------------------

    def index_response(self, index: int) -> None:
        response = self.responses[index]
        offers = self.offers

        def add(value: str, offer: Offer, table: dict[str, list[tuple[int, Offer]]] = offers) -> None:
            entries = table.setdefault(value, [])
            entries.append((index, offer))
            if len(entries) > 32:
                del entries[32:]  # the first producers are the ones used

        data = response.json()
        if data is not None:
            for value, selector, key in _json_leaves(data):
                add(value, Offer("json", selector, f"JSON {selector}", key))
            for value, path in _json_word_leaves(data):
                add(value, Offer("json", jmespath_of(path), f"JSON {jmespath_of(path)}", _leaf_key(path)))
            for value, selector, key in _json_leaves(data, short=True):
                add(value, Offer("json", selector, f"JSON {selector}", key), self.short_offers)
        seen: dict[str, int] = {}
        for name, _ in response.headers:
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
        for name, value in response.headers:
            lowered = name.lower()
            if lowered == "location" and seen[lowered] == 1:
                self._location_offers(value, response, add)
                continue
            if lowered in _SET_COOKIE_SKIP or seen[lowered] != 1:
                continue
            if looks_dynamic(value):
                add(value, Offer("header", name, f"header {name}", lowered.replace("-", "_")))
        for value, offer in _cookie_offers(response):
            add(value, offer)
        text = response.text
        if text and "<" in text and ("html" in response.mime or "<input" in text or "<meta" in text):
            for value, offer in _html_offers(text[:TEXT_SEARCH_MAX]):
                add(value, offer)
            for value, offer in _html_offers(text[:TEXT_SEARCH_MAX], short=True):
                add(value, offer, self.short_offers)
            for value, offer in _url_attr_offers(text[:TEXT_SEARCH_MAX]):
                add(value, offer)

    @staticmethod
    def _location_offers(value: str, response: RecordedResponse, add: Any) -> None:
        """A Location is offered whole, and by its path when it is an absolute URL of the same host."""
        offer = Offer("header", "Location", "header Location", "location", expect=value)
        add(value, offer)
        try:
            target, origin = urlsplit(value), urlsplit(response.url)
        except ValueError:
            return
        if target.netloc and target.netloc == origin.netloc and target.path:
            add(target.path + (f"?{target.query}" if target.query else ""), offer)

    def find_source(self, value: str, before: int, *, text_search: bool = True,
                    key: str = "") -> tuple[int, Offer] | None:
        """The first earlier response that produced `value`, where it can be read back exactly; in
        that response, a source under the request's own key (`csrf_token`) is preferred."""
        offers = [(producer, offer) for producer, offer in self.offers.get(value, ()) if producer < before]
        if not looks_dynamic(value):  # a word (`Untitled.ipynb`): only a JSON name/path/id field is evidence
            text_search = False
            offers = [(p, o) for p, o in offers if o.kind == "json" and o.hint.lower() in _NAME_KEYS]
        offers.sort(key=lambda item: (item[0], item[1].hint.lower() != key.lower()))
        for producer, offer in offers:
            capture = Capture("probe", Query(offer.kind, offer.selector))
            if verify(capture, self.responses[producer], offer.expect or value):
                return producer, offer
        if len(value) < 8 or not text_search:
            return None
        start = max(0, before - TEXT_SEARCH_WINDOW, self.searched.get(value, 0))
        self.searched[value] = before
        for producer in range(start, before):
            response = self.responses[producer]
            text = response.text
            if not text or text.find(value, 0, TEXT_SEARCH_MAX) < 0:
                continue
            for pattern in _text_pattern(text[:TEXT_SEARCH_MAX], value):
                capture = Capture("probe", Query("regex", pattern))
                if verify(capture, response, value):
                    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", pattern.split("(", 1)[0].replace("\\", " "))
                    return producer, Offer("regex", pattern, "response text", words[-1].lower() if words else "value")
        return None

    def find_short_source(self, atom: _Atom, before: int) -> tuple[int, Offer] | None:
        """The first earlier response that holds the short id `atom.value` with structural evidence."""
        value = atom.value
        if atom.loc and atom.loc[0] == "seg":
            singular = _singular(atom.path_context).lower()
            keys = {"id", "pk", f"{singular}_id", f"{singular}id"}
        else:
            keys = {atom.key.lower()}
        candidates: list[tuple[int, Offer]] = [(p, o) for p, o in self.short_offers.get(value, ())
                                               if p < before and o.hint.lower() in keys]
        if atom.loc and atom.loc[0] == "seg" and atom.prefix.strip("/"):
            start = max(0, before - TEXT_SEARCH_WINDOW)
            needle = atom.prefix + value
            for producer in range(start, before):
                text = self.responses[producer].text
                if text and text.find(needle, 0, TEXT_SEARCH_MAX) >= 0:
                    for pattern in _segment_patterns(text[:TEXT_SEARCH_MAX], atom.prefix, value):
                        candidates.append((producer, Offer("regex", pattern, f"URL path {atom.prefix}… in the page",
                                                           "id")))
        candidates.sort(key=lambda item: item[0])
        for producer, offer in candidates:
            if verify(Capture("probe", Query(offer.kind, offer.selector)), self.responses[producer], value):
                return producer, offer
        return None

    # -- naming ------------------------------------------------------------------------------

    def choose_name(self, offer: Offer, atom: _Atom, producer: int, last_use: int) -> str:
        base = _identifier(offer.hint)
        request_key = _identifier(atom.key)
        if base.lower() in _GENERIC_NAMES or base.lower() == "url":
            if atom.where == "URL" and atom.path_context:
                suffix = "url" if base.lower() in ("location", "url") else base
                base = f"{_singular(atom.path_context)}_{suffix}"
            elif request_key.lower() not in _GENERIC_NAMES and not atom.where.startswith("header"):
                base = request_key
        base = _identifier(base)
        if base in BUILTIN_VARIABLES:
            base = f"captured_{base}"
        candidate, n = base, 2
        while not self._free(candidate, producer, last_use):
            candidate, n = f"{base}_{n}", n + 1
        return candidate

    def _free(self, name: str, producer: int, last_use: int) -> bool:
        intervals = self.intervals.get(name)
        if not intervals or self.latest_use[name] <= producer:
            return True  # the usual case: every earlier value of this name is used up by now
        for other_producer, other_last in intervals:
            if not (last_use <= other_producer or other_last <= producer):
                return False
        return True

    # -- the pass ----------------------------------------------------------------------------

    def run(self) -> CorrelationResult:
        """Correlate every draft in order (when enabled), then replace credentials by env templates."""
        if not self.enabled:
            for draft in self.drafts:
                self._secrets(draft)
            return self.result
        all_atoms = [self.atoms(d) for d in self.drafts]
        for index, atoms in enumerate(all_atoms):
            for atom in atoms:
                if not atom.loc or atom.loc[0] != "seg" or not is_short_id(atom.value):
                    self.uses.setdefault(atom.value, []).append(index)
            for url in self._whole_url_values(self.drafts[index]):
                self.uses.setdefault(url, []).append(index)
        for index, draft in enumerate(self.drafts):
            self._current = index
            whole = self._whole_url(draft, index)
            mapping: dict[str, str] = {}
            in_place: list[tuple[_Atom, str]] = []
            for atom in all_atoms[index]:
                if whole and atom.where == "URL":
                    continue
                if is_short_id(atom.value):
                    variable = self.resolve_short(atom, index)
                    if variable:
                        in_place.append((atom, "{{ " + variable + " }}"))
                    continue
                if atom.value not in mapping:
                    template = self._client_value(atom, index)
                    if template:
                        mapping[atom.value] = template
                        continue
                    variable = self.resolve(atom, index)
                    if not variable:
                        continue
                    mapping[atom.value] = "{{ " + variable + " }}"
                self._note_use(atom.value, draft, atom)
            for atom, template in sorted(in_place, key=_in_place_order):
                replace_at(draft, atom.loc, template)
            if mapping:
                apply_templates(draft, mapping)
            self._secrets(draft)
            self.index_response(index)
        self.result.correlations = sorted(self.records.values(), key=lambda c: (c.producer, c.variable))
        return self.result

    def _client_value(self, atom: _Atom, index: int) -> str | None:
        """`{{ uuid() }}` / `{{ timestamp() }}` for values the browser made up (at their first use)."""
        value = atom.value
        if _UUID.fullmatch(value):
            template: str | None = "{{ uuid() }}"
        else:
            template = _clock_value(value, self.drafts[index].started) if atom.where.startswith("query") else None
        if template is None:
            return None
        uses = self.uses.get(value, [])
        if uses and uses[0] < index:
            return None  # later uses read it back from a response that echoed it, if any
        if self.find_source(value, index) is not None:
            return None
        self.generated.add(value)
        return template

    def _note_use(self, value: str, draft: DraftRequest, atom: _Atom) -> None:
        bound = self.bound.get(value)
        if bound:
            record = self.records.get((bound[0], bound[1]))
            use = (atom.where, self._current)
            if record is not None and use not in record.uses:
                record.uses.append(use)

    def resolve(self, atom: _Atom, index: int, *, text_search: bool = True) -> str | None:
        value = atom.value
        bound = self.bound.get(value)
        if bound is not None and bound[1] < index <= bound[2]:
            return bound[0]
        uses = self.uses.get(value, [])
        found = self.find_source(value, index, text_search=text_search, key=atom.key)
        if found is None:
            return None
        producer, offer = found
        if value not in self.generated and any(use <= producer for use in uses):
            return None  # the client sent it before any response had it: not the server's value
        last_use = max(uses) if uses else index
        name = self.choose_name(offer, atom, producer, last_use)
        return self._bind(value, name, offer, producer, index, last_use)

    def _bind(self, value: str, name: str, offer: Offer, producer: int, index: int, last_use: int) -> str:
        self.intervals.setdefault(name, []).append((producer, last_use))
        self.latest_use[name] = max(self.latest_use.get(name, 0), last_use)
        self.bound[value] = (name, producer, last_use)
        draft = self.drafts[producer]
        if not any(c.name == name and c.query.selector == offer.selector for c in draft.captures):
            draft.captures.append(Capture(name, Query(offer.kind, offer.selector)))
            draft.capture_notes[name] = (offer.source, index)
        self.records.setdefault((name, producer), Correlation(name, offer.source, producer))
        return name

    def resolve_short(self, atom: _Atom, index: int) -> str | None:
        """A short id with structural evidence: the first response that produced it in that role."""
        role = f"seg {atom.path_context}" if atom.loc and atom.loc[0] == "seg" else f"key {atom.key.lower()}"
        name = self.short_bound.get((role, atom.value))
        if name is None:
            found = self.find_short_source(atom, index)
            if found is None:
                return None
            producer, offer = found
            if atom.loc and atom.loc[0] == "seg":
                base = f"{_singular(atom.path_context)}_id"
            else:
                base = atom.key
            base = _identifier(base)
            if base in BUILTIN_VARIABLES:
                base = f"captured_{base}"
            candidate, n = base, 2
            while not self._free(candidate, producer, index):
                candidate, n = f"{base}_{n}", n + 1
            name = candidate
            self.intervals.setdefault(name, []).append((producer, index))
            self.latest_use[name] = max(self.latest_use.get(name, 0), index)
            draft = self.drafts[producer]
            draft.captures.append(Capture(name, Query(offer.kind, offer.selector)))
            draft.capture_notes[name] = (offer.source, index)
            self.records[(name, producer)] = Correlation(name, offer.source, producer)
            self.short_bound[(role, atom.value)] = name
        else:
            self.intervals[name][-1] = (self.intervals[name][-1][0], index)
            self.latest_use[name] = max(self.latest_use.get(name, 0), index)
        record = next((r for (n, _), r in reversed(self.records.items()) if n == name), None)
        if record is not None and (atom.where, index) not in record.uses:
            record.uses.append((atom.where, index))
        return name

    @staticmethod
    def _whole_url_values(draft: DraftRequest) -> list[str]:
        """The path with its query, then the path alone, when the path has a generated or numeric segment."""
        if draft.base or "{{" in draft.path or any(isinstance(v, list) for _, v in draft.params):
            return []
        if not any(looks_dynamic(unquote(s)) or unquote(s).isdigit() for s in draft.path.split("/")):
            return []
        query = "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in draft.params)
        return ([draft.path + f"?{query}"] if query else []) + [draft.path]

    def _whole_url(self, draft: DraftRequest, index: int) -> bool:
        """A URL path equal to an earlier Location header or HTML attribute reads it from there, when a
        segment cannot be correlated by its own value (a short id, or a value only a Location holds)."""
        segments = [unquote(s) for s in draft.path.split("?", 1)[0].split("/") if s]
        if not any(is_short_id(s) or looks_dynamic(s) and s not in self.bound
                   and not any(p < index for p, _ in self.offers.get(s, ())) for s in segments):
            return False
        for number, target in enumerate(self._whole_url_values(draft)):
            with_query = number == 0 and bool(draft.params)
            if target not in self.bound and not any(p < index for p, _ in self.offers.get(target, ())):
                continue
            segments = [s for s in draft.path.split("/") if s]
            words = [s for s in segments if not (s.isdigit() or looks_dynamic(unquote(s)))
                     and s.lower() not in _ACTION_WORDS]
            context = next((w for w in reversed(words) if segments.index(w) < max(
                (i for i, s in enumerate(segments) if s.isdigit() or looks_dynamic(unquote(s))), default=0)),
                words[-1] if words else "")
            atom = _Atom(target, "URL", "location", context)
            variable = self.resolve(atom, index, text_search=False)
            if variable:
                self._note_use(target, draft, atom)
                draft.path = "{{ " + variable + " }}"
                if with_query:
                    draft.params = []
                return True
        return False

    # -- secrets -----------------------------------------------------------------------------

    def _secrets(self, draft: DraftRequest) -> None:
        label = draft.label
        secret_values: dict[str, str] = {}
        for header in draft.headers:
            name, value = header
            if is_secret_header(name) and "{{" not in value and value:
                header[1] = env_template(self.secrets.name_for(name, value, f"header {name} of {label}"))
                secret_values[value] = header[1]
        self._pair_secrets(draft.params, "query", label, secret_values)
        if draft.body_kind == "form":
            self._pair_secrets(draft.body, "form", label, secret_values)
        elif draft.body_kind == "json":
            draft.body = self._json_secrets(draft.body, label, secret_values, "")
        if secret_values and draft.body_kind == "raw" and isinstance(draft.body, str):
            for value, template in secret_values.items():
                if len(value) >= 4:
                    draft.body = draft.body.replace(value, template)

    def _pair_secrets(self, pairs: list[list[Any]], kind: str, label: str, found: dict[str, str]) -> None:
        """Password-like query parameters or form fields (`kind` query | form) become env templates."""
        for pair in pairs:
            key, value = str(pair[0]), pair[1]
            if is_secret_key(key) and isinstance(value, str) and value and "{{" not in value:
                found[value] = env_template(self.secrets.name_for(key, value, f"{kind} {key} of {label}"))
                pair[1] = found[value]

    def _json_secrets(self, value: Any, label: str, found: dict[str, str], key: str) -> Any:
        if isinstance(value, dict):
            return {k: self._json_secrets(v, label, found, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json_secrets(v, label, found, key) for v in value]
        if isinstance(value, str) and value and key and is_secret_key(key) and "{{" not in value:
            found[value] = env_template(self.secrets.name_for(key, value, f"JSON {key} of {label}"))
            return found[value]
        return value


# --- applying templates -------------------------------------------------------------------------


_TEMPLATE_PART = re.compile(r"(\{\{.*?\}\})")


def _substitute(text: str, ordered: list[str], table: dict[str, str]) -> str:
    """Replace non-overlapping occurrences of the values (longest first) outside existing templates."""
    if "{{" in text:
        return "".join(part if part.startswith("{{") else _substitute(part, ordered, table)
                       for part in _TEMPLATE_PART.split(text))
    hits: list[tuple[int, int, str]] = []
    for value in ordered:
        start = text.find(value)
        while start >= 0:
            end = start + len(value)
            if not any(s < end and start < e for s, e, _ in hits):
                hits.append((start, end, value))
            start = text.find(value, end)
    if not hits:
        return text
    hits.sort()
    out, position = [], 0
    for start, end, value in hits:
        out.append(text[position:start])
        out.append(table[value])
        position = end
    out.append(text[position:])
    return "".join(out)


def apply_templates(draft: DraftRequest, mapping: dict[str, str]) -> None:
    """Replace every occurrence of the mapped values in the draft's URL, query, headers and body."""
    ordered = sorted(mapping, key=len, reverse=True)

    def sub(text: str) -> str:
        return _substitute(text, ordered, mapping)

    segments = draft.path.split("/")
    for index, segment in enumerate(segments):
        decoded = unquote(segment)
        if decoded in mapping:
            segments[index] = mapping[decoded]
            draft.segment_names[index] = mapping[decoded][3:-3]
        elif segment and any(value in decoded for value in ordered):
            replaced = sub(decoded)
            segments[index] = "".join(p if p.startswith("{{") else quote(p, safe="-._~!$&'()*+,;=:@%")
                                      for p in _TEMPLATE_PART.split(replaced))
            draft.segment_names[index] = re.sub(r"\{\{ (.*?) \}\}", r"{\1}", replaced)
    draft.path = "/".join(segments)
    for header in draft.headers:
        header[1] = sub(header[1])
    for pair in draft.params + (draft.body if draft.body_kind == "form" else []):
        pair[1] = _sub_json(pair[1], mapping, sub)
    if draft.body_kind == "json":
        draft.body = _sub_json(draft.body, mapping, sub)
    elif draft.body_kind == "raw" and isinstance(draft.body, str):
        draft.body = sub(draft.body)


def _json_text(text: str) -> Any:
    """The JSON document a raw body holds (a `text/plain` fetch body), or None."""
    if text.lstrip()[:1] not in ("{", "[") or len(text) > TEXT_SEARCH_MAX:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _leaf_key(path: Sequence[str | int]) -> str:
    return next((str(p) for p in reversed(path) if isinstance(p, str)), "value")


def _in_place_order(item: tuple[_Atom, str]) -> tuple[int, int]:
    """Multipart parts are replaced from the last one back, so earlier offsets stay valid."""
    loc = item[0].loc
    return (1, -loc[1]) if loc[0] == "part" else (0, 0)


def replace_at(draft: DraftRequest, loc: tuple[Any, ...], template: str) -> None:
    """Put `template` in the one place `loc` of the draft (a path segment, a query or form value, a
    JSON leaf, a multipart part): short values are never replaced by value."""
    kind = loc[0]
    if kind == "seg":
        segments = draft.path.split("/")
        segments[loc[1]] = template
        draft.segment_names[loc[1]] = template[3:-3]
        draft.path = "/".join(segments)
    elif kind == "pair":
        pairs = draft.params if loc[1] == "query" else draft.body
        pair = pairs[loc[2]]
        if loc[3] is None:
            pair[1] = template
        else:
            pair[1] = list(pair[1])
            pair[1][loc[3]] = template
    elif kind == "json":
        path = loc[1]
        if not path:
            draft.body = template
            return
        target = draft.body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = template
    elif kind == "part" and isinstance(draft.body, str):
        parts = multipart_parts(draft.body[:TEXT_SEARCH_MAX])
        if loc[1] < len(parts):
            _, _, start, end = parts[loc[1]]
            draft.body = draft.body[:start] + template + draft.body[end:]


def _sub_json(value: Any, table: dict[str, str], sub: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sub_json(v, table, sub) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub_json(v, table, sub) for v in value]
    if isinstance(value, str):
        return table[value] if value in table else sub(value)
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in table:
        return table[str(value)]
    return value


# --- sanitized exports --------------------------------------------------------------------------


_TOKEN_KEYS = ("access_token", "id_token", "token", "jwt", "auth_token", "accesstoken", "bearer")


def token_fields(responses: Iterable[tuple[str, RecordedResponse]]) -> list[str]:
    """`JSON access_token of POST /api/token`-style descriptions of token-looking response fields."""
    found = []
    for label, response in responses:
        data = response.json()
        if isinstance(data, dict):
            for key in data:
                if str(key).lower() in _TOKEN_KEYS and isinstance(data[key], str):
                    found.append(f"JSON {key} of {label}")
    return found


def sanitized_warning(file: str, creator: str, token_sources: list[str]) -> str:
    """The message for a HAR whose Cookie, Set-Cookie and Authorization headers were stripped."""
    lines = [
        f"{file} looks like a sanitized export ({creator or 'unknown recorder'}): it has no Cookie, "
        "Set-Cookie or Authorization header at all, although the session clearly needs them "
        "(Chrome 130+ strips them by default when you export).",
        "  - cookie sessions still work: the server sets its cookies again during the run and each "
        "user's cookie jar sends them back;",
        "  - Authorization headers were removed: requests that needed a bearer token or an API key "
        "will fail (401/403) and the steps after them in the iteration are skipped.",
    ]
    if token_sources:
        lines.append(f"  - the token is still visible in {token_sources[0]}: it is not sent anywhere, because the "
                     "recording does not show which requests carried it.")
    lines.append("  To fix it, re-record: Chrome DevTools > Network > gear icon (Network settings) > tick "
                 "\"Allow to generate HAR with sensitive data\", then \"Export HAR (with sensitive data)\". "
                 "Or edit the converted YAML and add `Authorization: \"Bearer {{ access_token }}\"` "
                 "(capturing it from the login response) to the steps that need it.")
    return "\n".join(lines)


__all__ = [
    "Correlation",
    "CorrelationResult",
    "Correlator",
    "DraftRequest",
    "RecordedResponse",
    "Secret",
    "SecretRegistry",
    "apply_templates",
    "env_template",
    "is_secret_header",
    "is_secret_key",
    "is_short_id",
    "looks_dynamic",
    "multipart_parts",
    "replace_at",
    "sanitized_warning",
    "set_cookies",
    "token_fields",
    "verify",
]
