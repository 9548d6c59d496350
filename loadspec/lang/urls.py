"""What makes a base URL usable: scheme http or https, a host, a port in range, IPv6 in brackets.

One check for every place a host is given (the spec's `host:`, an environment's, `--host`), so each
says the same thing. Pure: no I/O, no name resolution.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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


__all__ = ["SCHEMES", "base_url_problem"]
