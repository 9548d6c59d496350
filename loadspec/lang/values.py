"""Check single values that the JSON Schema allows but a run could not use: hosts and absolute URLs,
header names and values, CSV options, and regexes whose repeat counts overflow.

Each check takes the user's text and returns None when it is fine, or a `Problem` (offset inside
the text, message, help) that the loader turns into a `file:line:col` diagnostic. Templates are
the loader's business: these functions see literal text only. No I/O, no knowledge of YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Problem:
    """What is wrong with a value, where in its text, and how to fix it."""

    offset: int
    message: str
    help: str | None = None


#: Characters allowed in a header name (RFC 9110 `token`).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Characters that cannot appear in a host name or an IP address.
_BAD_HOST_CHARS = re.compile(r"[\s<>\"{}|\\^`]")
_SCHEMES = ("http", "https")


def check_url_base(text: str, what: str = "host") -> Problem | None:
    """A problem with `text` as a base URL (`http://127.0.0.1:8000`, `https://[::1]/api`), or None."""
    example = "http://127.0.0.1:8000"
    scheme, sep, rest = text.partition("://")
    if not sep:
        bare = text.strip()
        return Problem(0, f"the {what} '{_short(text)}' has no scheme",
                       f"add http:// (or https://) in front: http://{bare}" if bare and " " not in bare
                       else f"write a URL such as {example}")
    if scheme.lower() not in _SCHEMES:
        return Problem(0, f"the {what} uses the scheme '{scheme}'; loadspec sends HTTP only",
                       f"write http:// or https://, e.g. {example}")
    netloc_end = len(rest)
    for stop in "/?#":
        position = rest.find(stop)
        if position >= 0:
            netloc_end = min(netloc_end, position)
    netloc = rest[:netloc_end]
    base = len(scheme) + 3
    host_part = netloc.rpartition("@")[2]
    host_offset = base + len(netloc) - len(host_part)
    if not host_part:
        return Problem(base, f"the {what} has no server name after '{scheme}://'", f"e.g. {example}")
    if host_part.startswith("[") and "]" not in host_part:
        return Problem(host_offset, f"the IPv6 address in the {what} is not closed with ']'",
                       "write IPv6 hosts in brackets: http://[::1]:8000")
    if not host_part.startswith("[") and host_part.count(":") > 1:
        return Problem(host_offset, f"an IPv6 address in a {what} needs brackets",
                       "write it as http://[::1]:8000")
    bad = _BAD_HOST_CHARS.search(host_part)
    if bad:
        return Problem(host_offset + bad.start(), f"{_describe(bad.group())} cannot appear in a server name",
                       f"write a URL such as {example}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        colon = host_part.rfind(":")
        offset = host_offset + colon + 1 if colon >= 0 and "]" not in host_part[colon:] else host_offset
        port_text = host_part[colon + 1:] if colon >= 0 else ""
        if "out of range" in str(exc) or port_text.isdigit():
            return Problem(offset, f"port {port_text} is out of range", "a port is a number from 1 to 65535")
        if "IPv6" in str(exc):
            return Problem(host_offset, f"the IPv6 address in the {what} is invalid",
                           "write IPv6 hosts in brackets: http://[::1]:8000")
        return Problem(offset, f"the port '{_short(port_text)}' is not a number",
                       "a port is a number from 1 to 65535, e.g. http://127.0.0.1:8000")
    if port == 0:
        colon = host_part.rfind(":")
        return Problem(host_offset + colon + 1, "port 0 cannot be connected to",
                       "a port is a number from 1 to 65535")
    if not parts.hostname:
        return Problem(host_offset, f"the {what} has no server name", f"e.g. {example}")
    return None


def check_header_name(name: str) -> Problem | None:
    """A problem with `name` as an HTTP header name, or None."""
    if "{{" in name:
        return Problem(name.find("{{"), "templates are not rendered in header names",
                       "a header name is sent as written; put the variable part in the value")
    if not name:
        return Problem(0, "a header name cannot be empty")
    match = _TOKEN.match(name)
    if match and match.end() == len(name):
        return None
    offset = match.end() if match else 0
    char = name[offset]
    return Problem(offset, f"{_describe(char)} cannot appear in a header name",
                   "header names are letters, digits and - (e.g. X-Request-Id)")


def check_header_text(text: str, start: int = 0) -> Problem | None:
    """A problem with literal `text` inside a header value (it begins at `start`), or None.

    Header values are ASCII: non-ASCII text is encoded differently by HTTP clients and servers
    (RFC 9110 treats it as opaque bytes), so loadspec refuses it rather than guess."""
    for offset, char in enumerate(text):
        if char in "\r\n\0":
            return Problem(start + offset, f"{_describe(char)} cannot appear in a header value",
                           "a header value is one line; in YAML, a block (| or >) adds line breaks — "
                           "write the value on one line")
        if ord(char) > 126 or (ord(char) < 32 and char != "\t"):
            return Problem(start + offset, f"{_describe(char)} in a header value: header values are ASCII",
                           "percent-encode the text (e.g. %C3%A9 for é), or send it in the body")
    return None


def check_delimiter(delimiter: str) -> Problem | None:
    """A problem with a CSV `delimiter:`, or None."""
    if len(delimiter) != 1:
        return Problem(0, f"a CSV delimiter is exactly one character, got '{delimiter}'",
                       'e.g. delimiter: ";" or delimiter: "\\t"')
    if delimiter in "\"\r\n" or delimiter.isalnum():
        return Problem(0, f"{_describe(delimiter)} cannot separate CSV columns",
                       'use a punctuation character or a tab, e.g. delimiter: ";"')
    return None


#: Python's regex engine refuses repeat counts at or above this (sre MAXREPEAT).
_MAX_REPEAT = 4294967295
_REPEAT = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}")


def check_regex_limits(pattern: str) -> Problem | None:
    """A repeat count (`a{1,99999999999}`) too large for the regex engine, or None."""
    for match in _REPEAT.finditer(pattern):
        numbers = [int(group) for group in match.groups() if group]
        if any(number >= _MAX_REPEAT for number in numbers):
            return Problem(match.start(), "a repeat count in this regex is too large",
                           f"repeat counts must be below {_MAX_REPEAT:,}; "
                           "use + or * for 'any number of times'")
    return None


def _describe(char: str) -> str:
    names = {"\r": "a carriage return (\\r)", "\n": "a line break (\\n)", "\0": "a NUL byte",
             "\t": "a tab", " ": "a space", '"': "a double quote"}
    if char in names:
        return names[char]
    if ord(char) < 32 or 127 <= ord(char) < 160:
        return f"the control character U+{ord(char):04X}"
    return f"'{char}'"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


__all__ = ["Problem", "check_delimiter", "check_header_name", "check_header_text", "check_regex_limits",
           "check_url_base"]
