"""Environments (`environments:` and `-e NAME`): merge one block over the top level of a spec, keeping
the source positions of what it sets, and find every block's lines so that each can be checked.

Pure: it works on a parsed `YamlDocument` only.
"""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic
from ..model import Location
from .reading import suggest
from .yaml_reader import PathKey, YamlDocument

#: The keys an environment may set (the schema reports any other).
ENVIRONMENT_KEYS = ("data", "defaults", "host", "load", "thresholds", "variables")


def apply_environment(doc: YamlDocument, name: str) -> Diagnostic | None:
    """Merge `environments.NAME` over the top level, carrying source positions along."""
    data = doc.data
    environments = data.get("environments") if isinstance(data.get("environments"), dict) else {}
    if name not in environments:
        choices = sorted(environments)
        hint = suggest(name, choices)
        return Diagnostic(doc.location(("environments",), key=True)[0] if choices else Location(doc.file, 1, 1),
                          f"no environment named '{name}'",
                          f"did you mean '{hint}'?" if hint else
                          (f"environments in this file: {', '.join(choices)}" if choices
                           else "add an environments: section to the spec"))
    prefix: PathKey = ("environments", name)

    def merge(target: dict[str, Any], overlay: dict[str, Any], path: PathKey) -> None:
        for key, value in overlay.items():
            here = path + (key,)
            for table in (doc.values, doc.keys, doc.quoted):
                for known in [p for p in table if p[: len(prefix) + len(here)] == prefix + here]:
                    table[here + known[len(prefix) + len(here):]] = table[known]  # type: ignore[index]
            if isinstance(value, dict) and isinstance(target.get(key), dict) and key != "load":
                merge(target[key], value, here)
            else:
                target[key] = value

    overlay = environments[name]
    if isinstance(overlay, dict):  # keys an environment may not set were reported by the schema
        merge(data, {k: v for k, v in overlay.items() if k in ENVIRONMENT_KEYS}, ())
    return None


def environment_blocks(doc: YamlDocument, selected: str | None) -> dict[str, tuple[int, int]]:
    """The line span of every environment block other than `selected`, by name."""
    environments = doc.data.get("environments") if isinstance(doc.data, dict) else None
    if not isinstance(environments, dict):
        return {}
    spans = {}
    for name, block in environments.items():
        node = doc.values.get(("environments", name))
        if name == selected or not isinstance(name, str) or not isinstance(block, dict) or not block or node is None:
            continue
        key = doc.keys.get(("environments", name))
        first = (key or node).start_mark.line + 1
        spans[name] = (first, node.end_mark.line + (0 if node.end_mark.column == 0 else 1))
    return spans


__all__ = ["ENVIRONMENT_KEYS", "apply_environment", "environment_blocks"]
