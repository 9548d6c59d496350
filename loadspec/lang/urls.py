"""URLs in the language: what makes a base URL usable, and how a recorded path takes templates.

One check for every place a host is given (the spec's `host:`, an environment's, `--host`), so each
says the same thing: scheme http or https, a host, a port in range, IPv6 in brackets. And one way of
putting `{{ templates }}` into a recorded URL path, shared by the HAR correlator and the credential
protector. Pure: no I/O, no name resolution.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

SCHEMES = ("http", "https")


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a base URL, as a message with the fix; None when it can."""
    text = url.strip()
    if not text:
        return "the host is empty; give a base URL such as http://127.0.0.1:8000"
    if any(ch.isspace() for ch in text):
        return f"'{text}' contains white space; a base URL looks like http://127.0.0.1:8000"
    if "://" not in text:
        return f"'{text}' has no scheme; write http://{text} (or https://{text})"
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket: http://[::1
        return f"'{text}' is not a URL ({exc}); IPv6 addresses go in brackets: http://[::1]:8000"
    if parts.scheme.lower() not in SCHEMES:
        return f"scheme '{parts.scheme}://' is not supported; loadspec speaks http:// and https://"
    if not parts.hostname:
        return f"'{text}' has no host name; write e.g. {parts.scheme}://127.0.0.1:8000"
    try:
        port = parts.port
    except ValueError:
        return f"the port of '{text}' is not a number from 1 to 65535"
    if port == 0:
        return f"the port of '{text}' is 0; give a port from 1 to 65535"
    return None


_TEMPLATE_PART = re.compile(r"(\{\{.*?\}\})")
_PATH_SAFE = "-._~!$&'()*+,;=:@%"


def template_path(path: str, whole: Mapping[str, str], substitute: Callable[[str], str],
                  parts: Iterable[str]) -> tuple[str, dict[int, str]]:
    """`path` with recorded values replaced by their templates: a segment that is one of `whole`
    (decoded) becomes its template; a segment that contains one of `parts` is passed through
    `substitute` and the text around the templates percent-encoded again. Also returns the name of
    each templated segment by index, for step names: `env.X` for a whole one, `a-{b}` for a part."""
    parts = tuple(parts)
    names: dict[int, str] = {}
    segments = path.split("/")
    for index, segment in enumerate(segments):
        decoded = unquote(segment)
        if decoded in whole:
            segments[index] = whole[decoded]
            names[index] = whole[decoded][3:-3]
        elif segment and any(value in decoded for value in parts):
            replaced = substitute(decoded)
            segments[index] = "".join(p if p.startswith("{{") else quote(p, safe=_PATH_SAFE)
                                      for p in _TEMPLATE_PART.split(replaced))
            names[index] = re.sub(r"\{\{ (.*?) \}\}", r"{\1}", replaced)
    return "/".join(segments), names


__all__ = ["SCHEMES", "base_url_problem", "template_path"]
