"""Put the chosen templates into the draft requests: whole values by table, recorded places
(a JSON leaf, a form field, a multipart part, a path segment) in place. Text rewriting only."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ...lang.urls import template_path
from .drafts import (
    TEXT_SEARCH_MAX,
    DraftRequest,
)
from .evidence import (
    multipart_parts,
)

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

    draft.path, names = template_path(draft.path, mapping, sub, ordered)
    draft.segment_names.update(names)
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


def _in_place_order(item: tuple[Any, str]) -> tuple[int, int]:
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


__all__ = ["apply_templates", "replace_at"]
