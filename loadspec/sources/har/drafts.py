"""What the HAR importer and the correlator hand each other: recorded responses, draft requests,
correlations and recorded secrets; and the templating of drafts once their values are known.

Pure data and text rewriting: no correlation decisions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...lang.checks import QueryError, ResponseView
from ...model import Capture

TEXT_SEARCH_WINDOW = 40  # responses searched as plain text, newest first
TEXT_SEARCH_MAX = 2_000_000  # characters of one response searched as plain text
JSON_LEAVES_MAX = 20_000  # leaves of one JSON response indexed


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
class RecordedStep:
    """What one step of the converted spec met while recording, for the replay check: the response,
    and for each variable its capture reads from that response, where (`HTML hidden input csrf`,
    `response text`)."""

    response: RecordedResponse
    sources: dict[str, str] = field(default_factory=dict)


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
class CorrelationResult:
    """What correlation found in one recording."""

    correlations: list[Correlation] = field(default_factory=list)


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


__all__ = ["Correlation", "CorrelationResult", "DraftRequest", "JSON_LEAVES_MAX", "RecordedResponse",
           "RecordedStep", "TEXT_SEARCH_MAX", "TEXT_SEARCH_WINDOW",
           "sanitized_warning", "token_fields"]
