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
from urllib.parse import quote, unquote

from ._queries import QueryError, ResponseView, compile_capture
from ._templates import BUILTIN_VARIABLES
from .model import Capture, Query

# --- what the importer hands over ---------------------------------------------------------------


@dataclass
class RecordedResponse:
    """The response a step got while recording (the last one of a collapsed redirect chain)."""

    status: int
    headers: list[tuple[str, str]]
    text: str | None
    mime: str = ""
    url: str = ""
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)
    _view: Any = field(default=None, repr=False)

    def view(self) -> ResponseView:
        """This response as the engine's query code sees a live one (built once, JSON decoded once)."""
        if self._view is None:
            self._view = ResponseView(_Replayed(self), 0.0)
        return self._view

    def json(self) -> Any:
        """The body parsed as JSON, or None (parsed at most once)."""
        if not self._json_done:
            self._json_done = True
            text = self.text
            if text and ("json" in self.mime or text.lstrip()[:1] in ("{", "[")):
                try:
                    self._json = json.loads(text)
                except ValueError:
                    self._json = None
        return self._json


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


class SecretRegistry:
    """Env variable names for recorded credentials, shared by every file of one import."""

    def __init__(self, prefix: str = "LOADSPEC_"):
        self.prefix = prefix
        self.by_name: dict[str, Secret] = {}

    def name_for(self, key: str, value: str, where: str) -> str:
        base = self.prefix + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").upper() or "SECRET")
        candidate, n = base, 2
        while candidate in self.by_name and self.by_name[candidate].value != value:
            candidate, n = f"{base}_{n}", n + 1
        secret = self.by_name.setdefault(candidate, Secret(candidate, value))
        if where not in secret.where:
            secret.where.append(where)
        return candidate

    def values(self) -> dict[str, str]:
        return {name: secret.value for name, secret in self.by_name.items()}


@dataclass
class CorrelationResult:
    """What correlation found in one recording."""

    correlations: list[Correlation] = field(default_factory=list)
    client_generated: int = 0


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


def _walk_json(value: Any, path: list[str | int], out: list[tuple[str, list[str | int]]], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            path.append(str(key))
            _walk_json(item, path, out, budget)
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            _walk_json(item, path, out, budget)
            path.pop()
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        budget[0] -= 1
        text = str(value)
        if looks_dynamic(text):
            out.append((text, list(path)))


_TAG = re.compile(r"<(input|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_SET_COOKIE_SKIP = ("set-cookie", "date", "expires", "last-modified", "content-length", "content-type",
                    "content-encoding", "server", "cache-control", "vary", "connection", "keep-alive",
                    "transfer-encoding", "age", "via", "x-powered-by", "strict-transport-security",
                    "content-security-policy", "report-to", "nel", "alt-svc", "accept-ranges", "pragma")


def _html_offers(text: str) -> Iterator[tuple[str, Offer]]:
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
        if not looks_dynamic(value):
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


def _cookie_offers(response: RecordedResponse) -> Iterator[tuple[str, Offer]]:
    for key, raw in response.headers:
        if key.lower() != "set-cookie":
            continue
        pair = raw.split(";", 1)[0]
        name, sep, value = pair.partition("=")
        if sep and looks_dynamic(value.strip()):
            yield value.strip(), Offer("cookie", name.strip(), f"cookie {name.strip()}", name.strip())


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
        while start < pos and start > line_start and _is_word(text[start - 1]) and _is_word(text[start]):
            start += 1  # never start inside a word: it may be the tail of another changing value
        left = text[start:pos]
        if not left or left in seen:
            continue
        seen.add(left)
        if _DYNAMIC_WORD_CLASS.fullmatch(value):
            yield f"{_rx(left)}([\\w\\-.~]+)"
        if right:
            yield f"{_rx(left)}(.+?){_rx(right)}"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


# --- the algorithm ----------------------------------------------------------------------------


@dataclass
class _Atom:
    """A value a request sends, where, and under which key."""

    value: str
    where: str  # "URL", "query page", "form csrf_token", "JSON a.b", "header X", "body"
    key: str  # the request-side name used to name a variable
    path_context: str = ""  # the path segment before it, for ids in URLs


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


class Correlator:
    """Runs correlation over the drafts of one recording, in order."""

    def __init__(self, drafts: list[DraftRequest], responses: list[RecordedResponse],
                 secrets: SecretRegistry, *, enabled: bool = True):
        self.drafts = drafts
        self.responses = responses
        self.secrets = secrets
        self.enabled = enabled
        self.result = CorrelationResult()
        self.offers: dict[str, list[tuple[int, Offer]]] = {}
        self.bound: dict[str, tuple[str, int, int]] = {}  # value -> (variable, producer, last use)
        self.intervals: dict[str, list[tuple[int, int]]] = {}  # variable -> [(producer, last use)]
        self.records: dict[tuple[str, int], Correlation] = {}
        self.uses: dict[str, list[int]] = {}
        self.latest_use: dict[str, int] = {}
        self.searched: dict[str, int] = {}  # value -> responses before this index hold no text match
        self._current = 0

    # -- request side ----------------------------------------------------------------------

    def atoms(self, draft: DraftRequest) -> list[_Atom]:
        found: list[_Atom] = []
        previous = ""  # the last segment that is a word, not a value: names ids found in URLs
        for segment in draft.path.split("?", 1)[0].split("/"):
            if segment:
                decoded = unquote(segment) if "%" in segment else segment
                found.append(_Atom(decoded, "URL", previous, previous))
                if not looks_dynamic(decoded):
                    previous = decoded
        for name, value in draft.params:
            for item in value if isinstance(value, list) else [value]:
                found.extend(self._string_atoms(str(item), f"query {name}", str(name)))
        for name, value in draft.headers:
            lowered = name.lower()
            if lowered in ("authorization", "proxy-authorization"):
                scheme, _, credential = value.partition(" ")
                if credential and scheme.lower() in ("bearer", "token", "jwt"):
                    found.append(_Atom(credential.strip(), f"header {name}", name))
                continue
            found.extend(self._string_atoms(value, f"header {name}", name))
        if draft.body_kind == "form":
            for name, value in draft.body:
                for item in value if isinstance(value, list) else [value]:
                    found.extend(self._string_atoms(str(item), f"form {name}", str(name)))
        elif draft.body_kind == "json":
            leaves: list[tuple[str, list[str | int]]] = []
            _walk_json(draft.body, [], leaves, [JSON_LEAVES_MAX])
            for value, path in leaves:
                key = next((str(p) for p in reversed(path) if isinstance(p, str)), "value")
                found.append(_Atom(value, f"JSON {jmespath_of(path)}", key))
        elif draft.body_kind == "raw" and isinstance(draft.body, str):
            for token in _TOKEN.findall(draft.body[:TEXT_SEARCH_MAX]):
                if looks_dynamic(token):
                    found.append(_Atom(token, "body", "value"))
        return [atom for atom in found if atom.key.lower() not in _IGNORED_KEYS and not is_secret_key(atom.key)]

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

        def add(value: str, offer: Offer) -> None:
            entries = offers.setdefault(value, [])
            entries.append((index, offer))
            if len(entries) > 32:
                del entries[:-32]

        data = response.json()
        if data is not None:
            leaves: list[tuple[str, list[str | int]]] = []
            _walk_json(data, [], leaves, [JSON_LEAVES_MAX])
            for value, path in leaves:
                key = next((str(p) for p in reversed(path) if isinstance(p, str)), "value")
                add(value, Offer("json", jmespath_of(path), f"JSON {jmespath_of(path)}", key))
        seen: dict[str, int] = {}
        for name, _ in response.headers:
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
        for name, value in response.headers:
            lowered = name.lower()
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

    def find_source(self, value: str, before: int) -> tuple[int, Offer] | None:
        for producer, offer in reversed(self.offers.get(value, ())):
            if producer >= before:
                continue
            capture = Capture("probe", Query(offer.kind, offer.selector))
            if verify(capture, self.responses[producer], value):
                return producer, offer
        if len(value) < 8:
            return None
        start = max(0, before - TEXT_SEARCH_WINDOW, self.searched.get(value, 0))
        self.searched[value] = before
        for producer in range(before - 1, start - 1, -1):
            response = self.responses[producer]
            text = response.text
            if not text or text.find(value, 0, TEXT_SEARCH_MAX) < 0:
                continue
            for pattern in _text_pattern(text[:TEXT_SEARCH_MAX], value):
                capture = Capture("probe", Query("regex", pattern))
                if verify(capture, response, value):
                    return producer, Offer("regex", pattern, "response text", "value")
        return None

    # -- naming ------------------------------------------------------------------------------

    def choose_name(self, offer: Offer, atom: _Atom, producer: int, last_use: int) -> str:
        base = _identifier(offer.hint)
        request_key = _identifier(atom.key)
        if base.lower() in _GENERIC_NAMES:
            if atom.where == "URL" and atom.path_context:
                base = f"{_singular(atom.path_context)}_{base if base.lower() != 'location' else 'url'}"
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
        """Correlate every draft in order, then replace credentials by env templates."""
        all_atoms = [self.atoms(d) for d in self.drafts] if self.enabled else [[] for _ in self.drafts]
        for index, atoms in enumerate(all_atoms):
            for atom in atoms:
                self.uses.setdefault(atom.value, []).append(index)
            url = self._whole_url_value(self.drafts[index]) if self.enabled else None
            if url:
                self.uses.setdefault(url, []).append(index)
        for index, draft in enumerate(self.drafts):
            self._current = index
            if self.enabled:
                mapping: dict[str, str] = {}
                for atom in all_atoms[index]:
                    if atom.value not in mapping:
                        variable = self.resolve(atom, index)
                        if not variable:
                            continue
                        mapping[atom.value] = variable
                    self._note_use(atom.value, draft, atom)
                if not any(atom.where == "URL" and atom.value in mapping for atom in all_atoms[index]):
                    self._whole_url(draft, index)
                if mapping:
                    apply_templates(draft, {value: "{{ " + name + " }}" for value, name in mapping.items()})
            self._secrets(draft)
            if self.enabled:
                self.index_response(index)
        self.result.correlations = sorted(self.records.values(), key=lambda c: (c.producer, c.variable))
        return self.result

    def _note_use(self, value: str, draft: DraftRequest, atom: _Atom) -> None:
        bound = self.bound.get(value)
        if bound:
            record = self.records.get((bound[0], bound[1]))
            use = (atom.where, self._current)
            if record is not None and use not in record.uses:
                record.uses.append(use)

    def resolve(self, atom: _Atom, index: int) -> str | None:
        value = atom.value
        bound = self.bound.get(value)
        if bound is not None and bound[1] < index <= bound[2]:
            return bound[0]
        uses = self.uses.get(value, [])
        found = self.find_source(value, index)
        if found is None:
            return None
        producer, offer = found
        if any(use <= producer for use in uses):
            self.result.client_generated += 1
            return None  # the client sent it before any response had it: not the server's value
        last_use = max(uses) if uses else index
        name = self.choose_name(offer, atom, producer, last_use)
        self.intervals.setdefault(name, []).append((producer, last_use))
        self.latest_use[name] = max(self.latest_use.get(name, 0), last_use)
        self.bound[value] = (name, producer, last_use)
        draft = self.drafts[producer]
        capture = Capture(name, Query(offer.kind, offer.selector))
        draft.captures.append(capture)
        draft.capture_notes[name] = (offer.source, index)
        self.records[(name, producer)] = Correlation(name, offer.source, producer)
        return name

    @staticmethod
    def _whole_url_value(draft: DraftRequest) -> str | None:
        """The path and query as the server wrote it in a Location header, if it has a dynamic part."""
        if draft.base or "{{" in draft.path or any(isinstance(v, list) for _, v in draft.params):
            return None
        if not any(looks_dynamic(unquote(s)) for s in draft.path.split("/")):
            return None
        query = "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in draft.params)
        return draft.path + (f"?{query}" if query else "")

    def _whole_url(self, draft: DraftRequest, index: int) -> None:
        """A URL equal to an earlier Location header (and not otherwise correlated) reads it."""
        target = self._whole_url_value(draft)
        if target is None:
            return
        if target not in self.bound and not any(
                o.kind == "header" and p < index for p, o in self.offers.get(target, ())):
            return
        atom = _Atom(target, "URL", "location")
        variable = self.resolve(atom, index)
        if variable:
            self._note_use(target, draft, atom)
            draft.path = "{{ " + variable + " }}"
            draft.params = []

    # -- secrets -----------------------------------------------------------------------------

    def _secrets(self, draft: DraftRequest) -> None:
        label = draft.label
        secret_values: dict[str, str] = {}
        for header in draft.headers:
            name, value = header
            if is_secret_header(name) and "{{" not in value and value:
                env = self.secrets.name_for(name, value, f"header {name} of {label}")
                header[1] = "{{ env." + env + " }}"
                secret_values[value] = header[1]
        for pair in draft.params:
            if is_secret_key(str(pair[0])) and isinstance(pair[1], str) and pair[1] and "{{" not in pair[1]:
                env = self.secrets.name_for(str(pair[0]), pair[1], f"query {pair[0]} of {label}")
                secret_values[pair[1]] = "{{ env." + env + " }}"
                pair[1] = secret_values[pair[1]]
        if draft.body_kind == "form":
            for pair in draft.body:
                if is_secret_key(str(pair[0])) and isinstance(pair[1], str) and pair[1] and "{{" not in pair[1]:
                    env = self.secrets.name_for(str(pair[0]), pair[1], f"form {pair[0]} of {label}")
                    secret_values[pair[1]] = "{{ env." + env + " }}"
                    pair[1] = secret_values[pair[1]]
        elif draft.body_kind == "json":
            draft.body = self._json_secrets(draft.body, label, secret_values, "")
        if secret_values and draft.body_kind == "raw" and isinstance(draft.body, str):
            for value, template in secret_values.items():
                if len(value) >= 4:
                    draft.body = draft.body.replace(value, template)

    def _json_secrets(self, value: Any, label: str, found: dict[str, str], key: str) -> Any:
        if isinstance(value, dict):
            return {k: self._json_secrets(v, label, found, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json_secrets(v, label, found, key) for v in value]
        if isinstance(value, str) and value and key and is_secret_key(key) and "{{" not in value:
            env = self.secrets.name_for(key, value, f"JSON {key} of {label}")
            found[value] = "{{ env." + env + " }}"
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
    table = mapping
    ordered = sorted(mapping, key=len, reverse=True)

    def sub(text: str) -> str:
        return _substitute(text, ordered, table)

    segments = draft.path.split("/")
    for index, segment in enumerate(segments):
        decoded = unquote(segment)
        if decoded in table:
            segments[index] = table[decoded]
            draft.segment_names[index] = table[decoded][3:-3]
        elif segment and any(value in decoded for value in ordered):
            replaced = sub(decoded)
            segments[index] = "".join(p if p.startswith("{{") else quote(p, safe="-._~!$&'()*+,;=:@%")
                                      for p in _TEMPLATE_PART.split(replaced))
            draft.segment_names[index] = re.sub(r"\{\{ (.*?) \}\}", r"{\1}", replaced)
    draft.path = "/".join(segments)
    for pair in draft.params:
        pair[1] = [_sub_value(v, table, sub) for v in pair[1]] if isinstance(pair[1], list) else _sub_value(
            pair[1], table, sub)
    for header in draft.headers:
        header[1] = sub(header[1])
    if draft.body_kind == "form":
        for pair in draft.body:
            pair[1] = [_sub_value(v, table, sub) for v in pair[1]] if isinstance(pair[1], list) else _sub_value(
                pair[1], table, sub)
    elif draft.body_kind == "json":
        draft.body = _sub_json(draft.body, table, sub)
    elif draft.body_kind == "raw" and isinstance(draft.body, str):
        draft.body = sub(draft.body)


def _sub_value(value: Any, table: dict[str, str], sub: Any) -> Any:
    if isinstance(value, str):
        return table[value] if value in table else sub(value)
    return value


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
    "is_secret_header",
    "is_secret_key",
    "looks_dynamic",
    "sanitized_warning",
    "token_fields",
    "verify",
]
