"""Read a dotenv file (`--env-file FILE`) into a mapping, and merge it under the real environment.

Format (the common subset of python-dotenv and Docker Compose): one `KEY=VALUE` per line, an
optional `export ` prefix, `#` comments (whole lines, or after an unquoted value following a space),
blank lines. Single quotes are literal; double quotes understand `\\n`, `\\t`, `\\r`, `\\"`, `\\\\`
and `\\$` (so `\\${NAME}` stays literal) and may span lines; `${NAME}` and `${NAME:-default}` expand
in unquoted and double-quoted values (from the real environment first, then keys defined earlier in
the file). Every mistake is reported as `FILE:LINE: message`. This module only parses: it never
changes `os.environ`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputFileError, UsageError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPAND = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_ESCAPE = re.compile(r"\\(?P<escape>.)")
_ESCAPE_OR_EXPAND = re.compile(_ESCAPE.pattern + "|" + _EXPAND.pattern)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class EnvFileError(UsageError):
    """A line of a dotenv file cannot be read."""


def parse_env_text(text: str, file: str = "<env>", environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse dotenv text; `environ` is consulted first when expanding `${NAME}`."""
    environ = environ or {}
    found: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export ") or stripped.startswith("export\t"):
            stripped = stripped[len("export"):].lstrip()
        key, sep, rest = stripped.partition("=")
        key = key.strip()
        if not sep:
            raise EnvFileError(f"{file}:{number}: expected KEY=VALUE, got '{_short(stripped)}'")
        if not _KEY.fullmatch(key):
            raise EnvFileError(f"{file}:{number}: '{_short(key)}' is not a variable name "
                               "(letters, digits and _ ; not starting with a digit)")
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while (end := _closing(body, quote)) < 0:
                if index >= len(lines):
                    raise EnvFileError(f"{file}:{number}: {quote} opened here is never closed")
                body += "\n" + lines[index]
                index += 1
            value, after = body[:end], body[end + 1:].strip()
            if after and not after.startswith("#"):
                raise EnvFileError(f"{file}:{number}: unexpected text after the closing {quote}: "
                                   f"'{_short(after)}'")
            if quote == '"':
                value = _expand(value, environ, found, escapes=True)
        else:
            value = re.split(r"\s#", rest, maxsplit=1)[0].strip()
            value = _expand(value, environ, found)
        found[key] = value
    return found


def _closing(body: str, quote: str) -> int:
    """Index of the closing quote (a backslash escapes it inside double quotes), or -1."""
    position = 0
    while position < len(body):
        char = body[position]
        if char == "\\" and quote == '"':
            position += 2
            continue
        if char == quote:
            return position
        position += 1
    return -1


def _unescape(value: str) -> str:
    return _ESCAPE.sub(_escaped, value)


def _escaped(match: re.Match[str]) -> str:
    char = match.group("escape")
    return _ESCAPES.get(char, "\\" + char)


def _expand(value: str, environ: Mapping[str, str], found: Mapping[str, str], *, escapes: bool = False) -> str:
    """Expand `${NAME}` and `${NAME:-default}`; with `escapes` (double quotes) also the backslash
    escapes, in the same pass, so that `\\${NAME}` stays a literal `${NAME}`."""

    def replace(match: re.Match[str]) -> str:
        if match.groupdict().get("escape") is not None:
            return _escaped(match)
        current = environ.get(match.group("name"), found.get(match.group("name")))
        if current:
            return current
        default = match.group("default") or ""
        return _unescape(default) if escapes else default

    return (_ESCAPE_OR_EXPAND if escapes else _EXPAND).sub(replace, value)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def read_env_file(path: str | Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse a dotenv file; a missing or unreadable file is an InputFileError."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such env file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read env file: {exc}") from None
    return parse_env_text(text, str(path), environ)


def merged_environment(environ: Mapping[str, str], env_files: list[str] | None) -> dict[str, str]:
    """The environment templates see: the real one, plus what the env files define that it lacks
    (the real environment wins; among several files, the later one wins)."""
    merged: dict[str, str] = {}
    for path in env_files or []:
        merged.update(read_env_file(path, environ))
    merged.update(environ)
    return merged


__all__ = ["EnvFileError", "merged_environment", "parse_env_text", "read_env_file"]
