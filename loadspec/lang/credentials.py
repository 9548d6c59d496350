"""Credentials: the one place that decides what is a secret, and hides it in what loadspec writes or prints.

Its one job: given a name (a form field, a JSON key, a query parameter, a header) say whether it
holds a credential; find such values in a recorded request of any body kind (urlencoded, JSON
recognised by content whatever the content type, multipart form fields, nested objects and lists,
query strings, headers, URL userinfo) and replace them by `{{ env.LOADSPEC_<NAME> }}` (the recorded
value is kept in a `SecretRegistry`, in memory only); and mask (`***`) secret values in what
`loadspec debug` prints. A CSRF token is not a secret: it is a dynamic value the server hands out
and checks, so correlation captures it. This module never reads files, never sends a request and
never imports the engine.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from .urls import template_path

SECRET_PREFIX = "LOADSPEC_"
MASK = "***"

# --- what is a secret, by name ----------------------------------------------------------------

#: A name whose last word is one of these holds a credential (`password`, `user[password]`,
#: `X-Session-Token`, `refresh_token`, `connect.sid`, `otp` ...).
_LAST_WORDS = frozenset({
    "password", "passwd", "passphrase", "pwd", "pass", "passcode", "secret", "token", "apikey", "otp", "totp",
    "hotp", "pin", "sid", "sessionid", "sessid", "phpsessid", "jsessionid", "session", "auth", "authorization",
    "jwt", "bearer", "credential", "credentials", "privatekey", "accesstoken", "refreshtoken", "idtoken",
    "authtoken", "clientsecret", "sessiontoken", "apitoken",
})
#: A name ending in one of these word pairs holds a credential (`api_key`, `X-Api-Key`,
#: `aws_secret_access_key`, `session_id`, `otp_code` ...).
_LAST_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"), ("subscription", "key"),
    ("functions", "key"), ("client", "key"), ("license", "key"), ("master", "key"), ("signing", "key"),
    ("session", "id"), ("session", "key"), ("otp", "code"), ("mfa", "code"), ("totp", "code"), ("2fa", "code"),
    ("verification", "code"), ("security", "code"), ("pin", "code"), ("sms", "code"), ("auth", "key"),
    ("one", "time"), ("pass", "code"),
})
#: A name with one of these words anywhere holds a credential, unless it ends in a word that says
#: it is only about one (`password_hint`, `password_policy`).
_ANYWHERE = frozenset({"password", "passwd", "passphrase", "secret", "apikey", "credential", "credentials",
                       "privatekey", "clientsecret"})
_QUALIFIERS = frozenset({"confirm", "confirmation", "again", "repeat", "check", "verify", "new", "old", "current",
                         "1", "2", "3", "value", "plain", "raw", "hash", "encrypted", "input", "field"})
_METADATA = frozenset({"type", "hint", "length", "policy", "strength", "expires", "expiry", "exp", "url", "uri",
                       "name", "label", "enabled", "required", "set", "changed", "reset", "ttl", "lifetime",
                       "in", "at", "count", "format", "mode", "method", "version", "scope", "scopes",
                       "endpoint", "path", "status", "state", "provider", "kind", "style", "min", "max"})
#: CSRF tokens are dynamic values the server checks (correlated, not secrets); pagination tokens
#: are cursors.
_NOT_SECRET_WORDS = frozenset({"csrf", "xsrf", "csrftoken", "xsrftoken", "csrfmiddlewaretoken", "authenticity",
                               "csrfmiddleware", "antiforgery", "requestverificationtoken"})
_CURSOR_WORDS = frozenset({"page", "next", "prev", "previous", "continuation", "cursor", "sync", "resume",
                           "upload", "pagination", "verification", "cancel", "notification", "push", "device",
                           "fcm", "apns", "registration"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "private-token",
                             "x-amz-security-token", "ocp-apim-subscription-key", "x-functions-key",
                             "x-goog-api-key", "x-amz-credential", "x-vault-token"})
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def name_words(name: str) -> list[str]:
    """`newPassword` → [new, password]; `X-Api-Key` → [x, api, key]; `user[password]` → [user, password]."""
    spaced = _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name))
    return [word for word in _SPLIT.split(spaced.lower()) if word]


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True for a form, JSON, query or header name that holds a credential: password-like fields,
    tokens, API keys, session ids, OTP codes, Authorization. Not for CSRF tokens (`csrf_token`,
    `X-CSRF-Token`, `authenticity_token`, Laravel's `_token`, ASP.NET's `__RequestVerificationToken`),
    pagination tokens (`next_page_token`) nor names about a credential (`token_type`, `password_hint`)."""
    if name.strip("_").lower() == "token" and name.startswith("_"):
        return False  # Laravel's CSRF field
    words = name_words(name)
    if not words or any(word in _NOT_SECRET_WORDS for word in words):
        return False
    while len(words) > 1 and words[-1] in _QUALIFIERS:
        words = words[:-1]
    last = words[-1]
    if last in _LAST_WORDS:
        return not (last == "token" and len(words) > 1 and words[-2] in _CURSOR_WORDS)
    if len(words) > 1 and (words[-2], last) in _LAST_PAIRS:
        return True
    if last in _METADATA:
        return False
    return any(word in _ANYWHERE for word in words)


def is_secret_header(name: str) -> bool:
    """True for a request or response header that carries a credential: Authorization,
    Proxy-Authorization, Cookie, Set-Cookie, API-key and token headers (`X-Api-Key`,
    `X-Session-Token`, `X-Amz-Security-Token` ...). Not `X-CSRF-Token` / `X-XSRF-Token`."""
    return name.lower() in _SECRET_HEADERS or is_secret_name(name)


#: Credentials a user supplies (types into a form, or configures), which no response ever produces:
#: passwords, PINs, client secrets, API keys. Importers turn them into `{{ env.* }}` variables and the
#: HAR correlator never tries to capture them. Server-issued tokens are not among them: those are
#: captured from the response that hands them out (and still masked by `is_secret_name`).
_SUPPLIED_SECRET_KEY = re.compile(
    r"(^|[-_.\s\[])(pass(word|wd|phrase)?|pwd|secret|client[-_]?secret|api[-_]?key|apikey|"
    r"private[-_]?key|pin)([-_]?(confirm(ation)?|again|repeat|check|[0-9]))?\]?$")
_SUPPLIED_SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|x-api-key|api-key|apikey|x-apikey|x-api-token|"
    r"x-auth-token|x-access-token|private-token|x-amz-security-token|ocp-apim-subscription-key|"
    r"x-functions-key|x-goog-api-key|[a-z0-9-]*-api-key)$", re.IGNORECASE)


def is_supplied_secret_key(key: str) -> bool:
    """A form, JSON or query field name whose value the user supplies: a password or an API key
    (`password`, `user[password]`, `newPassword`, `password_confirmation`, `client_secret`, `api_key` ...)."""
    return bool(_SUPPLIED_SECRET_KEY.search(_CAMEL.sub(r"\1_\2", key).lower()))


def is_supplied_secret_header(name: str) -> bool:
    """A request header whose value the user supplies: Authorization and API-key headers."""
    return bool(_SUPPLIED_SECRET_HEADER.match(name))


# --- the registry of recorded credentials -------------------------------------------------------


@dataclass
class Secret:
    """A credential of the recording replaced by `{{ env.NAME }}`; `value` exists in memory only."""

    env: str
    value: str
    where: list[str] = field(default_factory=list)


def env_name(key: str) -> str:
    """`X-Api-Key` → `LOADSPEC_X_API_KEY`, `user[password]` → `LOADSPEC_USER_PASSWORD`."""
    return SECRET_PREFIX + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").upper() or "SECRET")


def env_template(env: str) -> str:
    """`{{ env.NAME }}`: how a recorded credential is written."""
    return "{{ env." + env + " }}"


class SecretRegistry:
    """Env variable names for recorded credentials, shared by every file of one import: one name per
    key and value (`LOADSPEC_PASSWORD`, then `LOADSPEC_PASSWORD_2` for another value)."""

    def __init__(self) -> None:
        self.by_name: dict[str, Secret] = {}

    def name_for(self, key: str, value: str, where: str) -> str:
        """The env variable holding `value` (sent as `key`, at `where`), registered on first use; a
        value already registered (a password sent again as its confirmation) keeps its name."""
        same = next((secret for secret in self.by_name.values() if secret.value == value), None)
        if same is not None:
            if where not in same.where:
                same.where.append(where)
            return same.env
        base = env_name(key)
        candidate, n = base, 2
        while candidate in self.by_name and self.by_name[candidate].value != value:
            candidate, n = f"{base}_{n}", n + 1
        secret = self.by_name.setdefault(candidate, Secret(candidate, value))
        if where not in secret.where:
            secret.where.append(where)
        return candidate

    def template_for(self, key: str, value: str, where: str) -> str:
        """`{{ env.NAME }}` for `value`, registering it."""
        return env_template(self.name_for(key, value, where))

    def values(self) -> dict[str, str]:
        """Recorded value → its template, for every credential registered so far."""
        return {secret.value: env_template(secret.env) for secret in self.by_name.values()}


# --- URL userinfo ---------------------------------------------------------------------------------


def split_userinfo(url: str) -> tuple[str, str | None]:
    """`https://alice:pw@host/x` → (`https://host/x`, `alice:pw`); URLs without userinfo unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), unquote(userinfo)


def basic_authorization(userinfo: str) -> str:
    """The `Authorization` value a client sends for `user:password` in a URL."""
    return "Basic " + base64.b64encode(userinfo.encode("utf-8")).decode("ascii")


# --- protecting a recorded request ----------------------------------------------------------------


class Request(Protocol):
    """The parts of a request being converted (`sources.har.correlate.DraftRequest`) that hold values."""

    label: str
    path: str
    params: list[list[Any]]
    headers: list[list[str]]
    body_kind: str | None
    body: Any
    notes: list[str]
    segment_names: dict[int, str]


def _open(value: Any) -> bool:
    """A recorded value that can be replaced: a non-empty string or number not already a template."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and value != "" and "{{" not in value


_MULTIPART_PART = re.compile(
    r'(Content-Disposition:[^\r\n]*?\bname="(?P<name>[^"]*)"(?P<rest>[^\r\n]*)\r?\n(?:[^\r\n]+\r?\n)*\r?\n)'
    r"(?P<value>.*?)(?=\r?\n--)", re.IGNORECASE | re.DOTALL)
_URLENCODED = re.compile(r"^[\w.%\-\[\]~+*]+=[^&\s]*(&[\w.%\-\[\]~+*]+=[^&\s]*)*$")
SWEEP_MIN = 6  # a known credential shorter than this is not searched for inside longer text


class Protector:
    """Replaces the credentials of one recorded request by env templates, registering their values."""

    def __init__(self, registry: SecretRegistry):
        self.registry = registry

    def protect(self, draft: Request) -> None:
        """Every credential in `draft` (headers, query, any body, and values known to be secret
        wherever else they appear) becomes `{{ env.NAME }}`."""
        label = draft.label
        for header in draft.headers:
            name, value = header
            if is_secret_header(name) and _open(value):
                header[1] = self.registry.template_for(name, value, f"header {name} of {label}")
        self._pairs(draft.params, "query", label)
        if draft.body_kind == "form":
            self._pairs(draft.body, "form", label)
        elif draft.body_kind == "json":
            draft.body = self._json(draft.body, "", "JSON", label, draft)
        elif draft.body_kind == "raw" and isinstance(draft.body, str):
            draft.body = self._raw(draft.body, label, draft)
        self.sweep(draft)

    def _pairs(self, pairs: list[list[Any]], kind: str, label: str) -> None:
        for pair in pairs:
            key, value = str(pair[0]), pair[1]
            if not is_secret_name(key):
                continue
            if isinstance(value, list):
                pair[1] = [self.registry.template_for(key, str(v), f"{kind} {key} of {label}") if _open(v) else v
                           for v in value]
            elif _open(value):
                pair[1] = self.registry.template_for(key, str(value), f"{kind} {key} of {label}")

    def _json(self, value: Any, key: str, kind: str, label: str, draft: Request) -> Any:
        if isinstance(value, dict):
            return {k: self._json(v, str(k), kind, label, draft) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json(v, key, kind, label, draft) for v in value]
        if key and is_secret_name(key) and _open(value):
            if not isinstance(value, str):
                note = f"the numeric credential {key} is sent as text (from an environment variable)"
                if note not in draft.notes:
                    draft.notes.append(note)
            return self.registry.template_for(key, str(value), f"{kind} {key} of {label}")
        return value

    def _raw(self, text: str, label: str, draft: Request) -> str:
        """A raw body: JSON by its content (whatever the content type), multipart form fields, or
        urlencoded text. Values are replaced where they are written, as they are written."""
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            try:
                data = json.loads(stripped)
            except ValueError:
                data = None
            if data is not None:
                return self._raw_json(text, data, label, draft)
        if "Content-Disposition" in text or "content-disposition" in text:
            return _MULTIPART_PART.sub(lambda m: self._part(m, label), text)
        if _URLENCODED.match(stripped):
            pieces = []
            for piece in text.split("&"):
                key, sep, value = piece.partition("=")
                if sep and is_secret_name(unquote(key.replace("+", " "))) and _open(value):
                    value = self.registry.template_for(unquote(key), value, f"body {unquote(key)} of {label}")
                pieces.append(f"{key}{sep}{value}")
            return "&".join(pieces)
        return text

    def _raw_json(self, text: str, data: Any, label: str, draft: Request) -> str:
        found: list[tuple[str, Any]] = []
        _secret_leaves(data, "", found)
        for key, value in found:
            if isinstance(value, str):
                written = next((form for form in (json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1])
                                if f'"{form}"' in text), None)
                if written is None:
                    return self._rewritten_json(data, label, draft)
                template = self.registry.template_for(key, written, f"JSON {key} of {label}")
                text = text.replace(f'"{written}"', f'"{template}"')
            else:
                literal = json.dumps(value)
                pattern = re.compile(rf'("{re.escape(key)}"\s*:\s*){re.escape(literal)}(?=\s*[,}}\]])')
                if not pattern.search(text):
                    return self._rewritten_json(data, label, draft)
                template = self.registry.template_for(key, literal, f"JSON {key} of {label}")
                text = pattern.sub(lambda m, t=template: m.group(1) + t, text)
        return text

    def _rewritten_json(self, data: Any, label: str, draft: Request) -> str:
        """The body written again (equivalent JSON) when a secret is escaped in a way we cannot find."""
        marker = "\x00loadspec-secret\x00"
        table: dict[str, str] = {}

        def swap(value: Any, key: str) -> Any:
            if isinstance(value, dict):
                return {k: swap(v, str(k)) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v, key) for v in value]
            if key and is_secret_name(key) and _open(value):
                placeholder = f"{marker}{len(table)}{marker}"
                written = json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)
                table[placeholder] = self.registry.template_for(key, written, f"JSON {key} of {label}")
                return placeholder
            return value

        text = json.dumps(swap(data, ""))
        for placeholder, template in table.items():
            text = text.replace(json.dumps(placeholder)[1:-1], template)
        return text

    def _part(self, match: re.Match[str], label: str) -> str:
        name, value = match.group("name"), match.group("value")
        if "filename=" in match.group(1) or not is_secret_name(name) or not _open(value):
            return match.group(0)
        return match.group(1) + self.registry.template_for(name, value, f"multipart {name} of {label}")

    # -- values known to be secret, wherever else they appear -----------------------------------

    def sweep(self, draft: Request) -> None:
        """A recorded credential sent again elsewhere in the request (under another name, in a path
        segment, inside a raw body or a header) is replaced there too."""
        table = self.registry.values()
        if not table:
            return
        long_values = sorted((v for v in table if len(v) >= SWEEP_MIN), key=len, reverse=True)

        def inside(text: str) -> str:
            if "{{" in text:
                return "".join(part if part.startswith("{{") else inside(part)
                               for part in re.split(r"(\{\{.*?\}\})", text))
            for value in long_values:
                if value in text:
                    text = text.replace(value, table[value])
            return text

        def leaf(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: leaf(v) for k, v in value.items()}
            if isinstance(value, list):
                return [leaf(v) for v in value]
            if isinstance(value, str):
                return table.get(value) or inside(value)
            return value

        draft.path, names = template_path(draft.path, table, inside, long_values)
        draft.segment_names.update(names)
        for header in draft.headers:
            header[1] = leaf(header[1])
        for pair in draft.params + (draft.body if draft.body_kind == "form" else []):
            pair[1] = leaf(pair[1])
        if draft.body_kind == "json":
            draft.body = leaf(draft.body)
        elif draft.body_kind == "raw" and isinstance(draft.body, str):
            draft.body = inside(draft.body)


def _secret_leaves(value: Any, key: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _secret_leaves(v, str(k), out)
    elif isinstance(value, list):
        for item in value:
            _secret_leaves(item, key, out)
    elif key and is_secret_name(key) and _open(value) and (key, value) not in out:
        out.append((key, value))


# --- masking what is printed ----------------------------------------------------------------------


class Masker:
    """Masks credentials (`***`) in text loadspec prints: by name (headers, fields, query parameters,
    variables) and by value (every value known to be secret, wherever it appears). With
    `show=True` it changes nothing."""

    def __init__(self, values: Iterable[str] = (), *, show: bool = False):
        self.show = show
        self.known: set[str] = set()
        for value in values:
            self.add(value)

    @classmethod
    def for_environment(cls, env: Mapping[str, str], names: Iterable[str],
                        recorded: Mapping[str, str] | None = None, *, show: bool = False) -> Masker:
        """A masker knowing the recorded credentials and the values of the env variables `names`
        (the ones a spec reads) whose names look secret."""
        masker = cls((recorded or {}).values(), show=show)
        for name in names:
            if name in env and (name.startswith(SECRET_PREFIX) or is_secret_name(name)):
                masker.add(env[name])
        return masker

    def add(self, value: Any) -> None:
        """Remember a secret value (and its parts: the token of `Bearer x`, the password of Basic)."""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return
        text = str(value)
        if len(text) < 3:
            return
        self.known.add(text)
        scheme, _, credential = text.partition(" ")
        if credential and scheme.lower() in ("bearer", "basic", "token", "jwt", "digest", "negotiate"):
            self.known.add(credential.strip())
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credential.strip(), validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    decoded = ""
                if ":" in decoded and len(decoded.split(":", 1)[1]) >= 3:
                    self.known.add(decoded.split(":", 1)[1])

    def text(self, text: str) -> str:
        """`text` with every known secret value replaced by `***`."""
        if self.show or not self.known:
            return text
        for value in sorted(self.known, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text

    def value(self, name: str, value: Any) -> Any:
        """A named value (header, field, variable) as it may be shown."""
        if self.show:
            return value
        if is_secret_header(name) and _open(value):
            self.add(value)
            return self._scheme_kept(str(value)) if name.lower() in ("authorization", "proxy-authorization") else MASK
        return self.data(value)

    @staticmethod
    def _scheme_kept(value: str) -> str:
        scheme, sep, credential = value.partition(" ")
        return f"{scheme} {MASK}" if sep and credential and scheme.isalpha() else MASK

    def headers(self, headers: Mapping[str, Any]) -> dict[str, Any]:
        """Headers with credential values masked."""
        return {name: self.value(name, value) for name, value in headers.items()}

    def data(self, value: Any) -> Any:
        """A body, query or captured structure with secret fields and known values masked."""
        if self.show:
            return value
        if isinstance(value, dict):
            return {k: (MASK if is_secret_name(str(k)) and _open(v) else self.data(v)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            if all(isinstance(item, (list, tuple)) and len(item) == 2 for item in value):  # pairs
                return [(k, MASK if is_secret_name(str(k)) and _open(v) else self.data(v)) for k, v in value]
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.body_text(value)
        return value

    def body_text(self, text: str) -> str:
        """A body as text: JSON and urlencoded fields with secret names masked, then known values."""
        if self.show:
            return text
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            try:
                data = json.loads(stripped)
            except ValueError:
                data = None
            if isinstance(data, (dict, list)):
                masked = self.data(data)
                return self.text(json.dumps(masked, ensure_ascii=False)) if masked != data else self.text(text)
        if _URLENCODED.match(stripped):
            pairs = parse_qsl(stripped, keep_blank_values=True)
            if any(is_secret_name(k) and v for k, v in pairs):
                return self.text("&".join(f"{k}={MASK if is_secret_name(k) and v else v}" for k, v in pairs))
        if "Content-Disposition" in text or "content-disposition" in text:
            text = _MULTIPART_PART.sub(
                lambda m: m.group(1) + MASK if is_secret_name(m.group("name")) and "filename=" not in m.group(1)
                and m.group("value") else m.group(0), text)
        return self.text(text)

    def url(self, url: str) -> str:
        """A URL with its userinfo and secret query parameters masked."""
        if self.show:
            return url
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
        query = parts.query
        if query:
            pieces = []
            for piece in query.split("&"):
                key, sep, value = piece.partition("=")
                pieces.append(f"{key}={MASK}" if sep and value and is_secret_name(unquote(key)) else piece)
            query = "&".join(pieces)
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))

    def variable(self, name: str, value: Any) -> Any:
        """A captured or defined variable: masked when its name looks secret (and then remembered, so
        the value is masked wherever it is sent)."""
        if self.show:
            return value
        if is_secret_name(name) and _open(value):
            self.add(value)
            return MASK
        return self.data(value)


__all__ = [
    "MASK",
    "SECRET_PREFIX",
    "Masker",
    "Protector",
    "Secret",
    "SecretRegistry",
    "basic_authorization",
    "env_name",
    "env_template",
    "is_secret_header",
    "is_secret_name",
    "is_supplied_secret_header",
    "is_supplied_secret_key",
    "name_words",
    "split_userinfo",
]
