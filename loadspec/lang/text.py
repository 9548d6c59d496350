"""Small text helpers every stage shares: did-you-mean, plurals, times and durations, unique names.

One home for each, so a message reads the same wherever it is printed. Pure functions, no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from decimal import Decimal

from .units import parse_duration


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice closest to a misspelt `word`, or None when nothing is close enough."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=cutoff)
    return close[0] if close else None


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 request`, `2 requests`, `0 requests` (`many` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def format_ms(value: float, space: str = "") -> str:
    """A response time for people: `42ms` below 10 s, `12.3s` above (`space=" "` gives `42 ms`)."""
    return f"{value:.0f}{space}ms" if value < 10_000 else f"{value / 1000:.1f}{space}s"


def format_seconds(seconds: float) -> str:
    """A wall-clock span for people: `30s`, `2.5s`."""
    return f"{seconds:.0f}s" if seconds >= 10 or float(seconds).is_integer() else f"{seconds:.1f}s"


def plain_number(number: float) -> str:
    """A number without an exponent, with every digit of its repr: `1e-07` → `0.0000001`, `2.0` → `2`."""
    return format(Decimal(repr(float(number))), "f").removesuffix(".0")


def format_duration(seconds: float) -> str:
    """`0.6` → `600ms`, `2` → `2s`, `1209600` → `1209600s`, `0.7` → `0.7s`: always the text that
    `parse_duration` reads back as exactly `seconds` (milliseconds where that holds, for short ones)."""
    if 0 < seconds < 1:
        text = f"{plain_number(round(seconds * 1000, 6))}ms"
        if parse_duration(text) == seconds:
            return text
    return f"{plain_number(seconds)}s"


def unique_name(base: str, taken: set[str], separator: str = "_") -> str:
    """`base`, or `base_2`, `base_3`, ... : the first not in `taken`, which is then added to it."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{separator}{n}", n + 1
    taken.add(candidate)
    return candidate


def identifier(name: str, fallback: str) -> str:
    """`name` as a Python identifier: non-word runs become `_`; a leading digit gets a prefix."""
    base = re.sub(r"\W+", "_", name).strip("_") or fallback
    return f"S_{base}" if base[0].isdigit() else base


__all__ = ["did_you_mean", "format_duration", "format_ms", "format_seconds", "identifier", "plain_number", "plural",
           "unique_name"]
