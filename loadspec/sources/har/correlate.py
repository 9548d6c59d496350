"""Automatic correlation and secret handling for HAR imports: recorded values → captures and templates.

Its one job: given the requests of one recording (already filtered and cleaned, as `DraftRequest`s)
and the response each one got (`RecordedResponse`), find the values that a response produced and a
later request sent back, put a capture on the producing step and a `{{ variable }}` in every later
use; and make sure no credential of the recording is written verbatim (it becomes `{{ env.NAME }}`,
the recorded value is handed back separately: `envsecrets` rewrites them). Sources, in order of
preference: JSON body fields, response headers (Location, X-*), cookies set by the response, HTML
hidden inputs and meta tags, and the response text as a last resort. Every extractor is run through
the same query code the engine uses, against the recorded response, and is only used if it returns
exactly the recorded value. It never reads files, never sends a request and never imports the engine.
"""


from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ...lang.credentials import SecretRegistry, is_supplied_secret_key
from ...lang.templates import BUILTIN_VARIABLES
from ...model import Capture, Query
from .drafts import (
    TEXT_SEARCH_MAX,
    TEXT_SEARCH_WINDOW,
    Correlation,
    CorrelationResult,
    DraftRequest,
    RecordedResponse,
    sanitized_warning,
    token_fields,
)
from .envsecrets import env_secrets
from .evidence import (
    _GENERIC_NAMES,
    _IGNORED_KEYS,
    _NAME_KEYS,
    _SET_COOKIE_SKIP,
    _TOKEN,
    Offer,
    _cookie_offers,
    _html_offers,
    _json_leaf_paths,
    _json_leaves,
    _json_word_leaves,
    _segment_patterns,
    _text_pattern,
    _url_attr_offers,
    is_short_id,
    jmespath_of,
    looks_dynamic,
    multipart_parts,
    places,
    set_cookies,
    verify,
)
from .templating import (
    _in_place_order,
    _json_text,
    _leaf_key,
    apply_templates,
    replace_at,
)

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
    Values the replay check saw change live (`dynamic`) are candidates whatever their shape, read
    from a structural place only, under the same key unless sent in a URL path segment; values it
    saw unchanged where only a text regex read them (`constants`) are left as recorded.
    """

    def __init__(self, drafts: list[DraftRequest], responses: list[RecordedResponse],
                 secrets: SecretRegistry, *, enabled: bool = True, constants: frozenset[str] = frozenset(),
                 dynamic: frozenset[str] = frozenset()):
        self.drafts = drafts
        self.constants = constants  # values the replay check saw unchanged live: kept as recorded
        self.dynamic = dynamic - constants  # values the replay check saw change live: candidates whatever their shape
        self.dynamic_offers: dict[str, list[tuple[int, Offer]]] = {}
        self.dynamic_bound: dict[str, tuple[str, str]] = {}  # value -> (variable, the producer's key)
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
            if self.dynamic:
                for value, path in _json_leaf_paths(draft.body, keep=self._dynamic_only):
                    found.append(_Atom(value, f"JSON {jmespath_of(path)}", _leaf_key(path), loc=("json", tuple(path))))
        elif draft.body_kind == "raw" and isinstance(draft.body, str):
            parts = multipart_parts(draft.body[:TEXT_SEARCH_MAX])
            if parts:
                for number, (name, value, _, _) in enumerate(parts):
                    if looks_dynamic(value):
                        found.append(_Atom(value, f"multipart {name}", name))
                    elif is_short_id(value) or value in self.dynamic:
                        found.append(_Atom(value, f"multipart {name}", name, loc=("part", number)))
            elif (data := _json_text(draft.body)) is not None:  # JSON sent as text/plain: whole leaves
                for value, path in _json_leaf_paths(data):
                    found.append(_Atom(value, f"JSON {jmespath_of(path)}", _leaf_key(path)))
            else:
                for token in _TOKEN.findall(draft.body[:TEXT_SEARCH_MAX]):
                    if looks_dynamic(token):
                        found.append(_Atom(token, "body", "value"))
        return [atom for atom in found
                if atom.key.lower() not in _IGNORED_KEYS and not is_supplied_secret_key(atom.key)]

    def _dynamic_only(self, value: str) -> bool:
        """A value the check proved dynamic that the shape rules would not offer (a word, not a short id)."""
        return value in self.dynamic and not looks_dynamic(value) and not is_short_id(value)

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
        if looks_dynamic(text) or text in self.dynamic:
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
        if self.dynamic:
            for value, offer in places(response):
                if value in self.dynamic:
                    add(value, offer, self.dynamic_offers)
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
        return self.free_name(base, producer, last_use)

    def free_name(self, base: str, producer: int, last_use: int) -> str:
        """A variable name from `base` that no builtin has and no other capture holds between the
        producing step and the last use (`token`, then `token_2` ...)."""
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
                env_secrets(draft, self.secrets)
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
            whole = self._whole_url(draft, index) or self._location_prefix(draft, index)
            mapping: dict[str, str] = {}
            in_place: list[tuple[_Atom, str]] = []
            for atom in all_atoms[index]:
                if whole and atom.where == "URL":
                    continue
                if is_short_id(atom.value):
                    variable = self.resolve_short(atom, index) or self.resolve_dynamic(atom, index)
                    if variable:
                        in_place.append((atom, "{{ " + variable + " }}"))
                    continue
                if atom.value not in mapping and self._dynamic_only(atom.value):
                    variable = self.resolve_dynamic(atom, index)
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
            env_secrets(draft, self.secrets)
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
        if value in self.constants:
            return None
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
        self.bound[value] = (name, producer, last_use)
        return self._capture(name, offer, producer, index, last_use)

    def _capture(self, name: str, offer: Offer, producer: int, index: int, last_use: int) -> str:
        """Capture `name` in the producing step with `offer`'s query, held until `last_use`."""
        self.intervals.setdefault(name, []).append((producer, last_use))
        self.latest_use[name] = max(self.latest_use.get(name, 0), last_use)
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
            name = self._capture(self.free_name(base, producer, index), offer, producer, index, index)
            self.short_bound[(role, atom.value)] = name
        else:
            self._extend(name, index)
        return self._used(name, atom, index)

    def resolve_dynamic(self, atom: _Atom, index: int) -> str | None:
        """A value the replay check saw change live that the shape rules refuse (a short id, a word):
        read from the first earlier response that produced it in a structural place (a JSON field, a
        header, a cookie, a hidden input, a meta tag), under the request's own key unless it is a URL
        path segment; replaced where the request sends it, never by value."""
        value = atom.value
        if value not in self.dynamic or not atom.loc:
            return None
        segment = atom.loc[0] == "seg"

        def same_key(hint: str) -> bool:
            return segment or _identifier(hint).lower() == _identifier(atom.key).lower()

        name, hint = self.dynamic_bound.get(value, (None, ""))
        if name is not None and not same_key(hint):
            return None
        if name is None:
            for producer, offer in self.dynamic_offers.get(value, ()):  # in order: the first producer
                if producer >= index or not same_key(offer.hint):
                    continue
                if not verify(Capture("probe", Query(offer.kind, offer.selector)), self.responses[producer], value):
                    continue
                base = f"{_singular(atom.path_context)}_id" if segment and atom.path_context else atom.key
                name = self._capture(self.free_name(base, producer, index), offer, producer, index, index)
                self.dynamic_bound[value] = (name, offer.hint)
                break
            else:
                return None
        else:
            self._extend(name, index)
        return self._used(name, atom, index)

    def _extend(self, name: str, index: int) -> None:
        """A bound variable is used again at `index`: it is held until then."""
        self.intervals[name][-1] = (self.intervals[name][-1][0], index)
        self.latest_use[name] = max(self.latest_use.get(name, 0), index)

    def _used(self, name: str, atom: _Atom, index: int) -> str:
        """Note where the request at `index` sends `name` (for the summary); returns `name`."""
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

    def _location_prefix(self, draft: DraftRequest, index: int) -> bool:
        """A URL path that continues an earlier `Location` the replay check saw change live (`/notes/5`
        then `/notes/5/edit`) at a short id: the Location is captured whole and the path starts with it."""
        if not self.dynamic or draft.base or "{{" in draft.path:
            return False
        paths = {value if value.startswith("/") else urlsplit(value).path for value in self.dynamic
                 if value.startswith("/") or "://" in value}
        segments = draft.path.split("/")
        for end in range(len(segments) - 1, 1, -1):  # the longest prefix first, never the whole path
            prefix = "/".join(segments[:end])
            offers = self.offers.get(prefix, ())
            if prefix not in paths or not any(p < index and o.selector == "Location" for p, o in offers):
                continue
            if all(looks_dynamic(unquote(s)) or not s.isdigit() for s in segments[:end]):
                return False  # the changed part has a generated look: correlated by its value already
            words = [s for s in segments[:end] if s and not (s.isdigit() or looks_dynamic(unquote(s)))]
            atom = _Atom(prefix, "URL", "location", words[-1] if words else "")
            variable = self._extend(prefix, index) or self.resolve(atom, index, text_search=False)
            if variable:
                self._note_use(prefix, draft, atom)
                draft.path = "{{ " + variable + " }}" + draft.path[len(prefix):]
                return True
        return False

    def _extend(self, value: str, index: int) -> str | None:
        """The variable already holding `value` (a Location a whole URL read), now used until `index`
        too, when no later capture of the same name took it over in between."""
        bound = self.bound.get(value)
        if bound is None or bound[1] >= index:
            return None
        name, producer, last = bound
        intervals = self.intervals.get(name, [])
        if any(other > producer for other, _ in intervals):
            return None
        self.bound[value] = (name, producer, max(last, index))
        self.intervals[name] = [(p, max(end, index) if p == producer else end) for p, end in intervals]
        self.latest_use[name] = max(self.latest_use.get(name, 0), index)
        return name


__all__ = [
    "Correlation",
    "CorrelationResult",
    "Correlator",
    "DraftRequest",
    "RecordedResponse",
    "apply_templates",
    "is_short_id",
    "looks_dynamic",
    "multipart_parts",
    "replace_at",
    "sanitized_warning",
    "set_cookies",
    "token_fields",
    "verify",
]
