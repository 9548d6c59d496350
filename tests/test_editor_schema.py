"""What an editor shows from the spec schema: hovers titled by key, readable threshold errors,
snippets that produce valid steps, and no address that is not served.

The Red Hat YAML language server titles a hover with the property's `title`, shows
`patternErrorMessage`/`errorMessage` instead of a raw regex, and inserts `defaultSnippets`; these
tests hold the schema to that, and check each example and snippet against the schema itself and
against loadspec's own loader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from loadspec import load_spec
from loadspec.lang.units import parse_threshold

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "schemas" / "loadspec.schema.json").read_text(encoding="utf-8"))
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def _property_maps(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node["properties"]
        for child in node.values():
            yield from _property_maps(child)
    elif isinstance(node, list):
        for child in node:
            yield from _property_maps(child)


def test_every_key_is_titled_by_its_own_name() -> None:
    wrong = [(key, prop.get("title")) for props in _property_maps(SCHEMA) for key, prop in props.items()
             if prop.get("title") != key]
    assert wrong == []
    assert all(d.get("title") == name for name, d in SCHEMA["definitions"].items())


def test_a_bad_threshold_reads_as_words_not_a_regex() -> None:
    expression = SCHEMA["definitions"]["threshold_expression"]
    message = expression["patternErrorMessage"]
    assert "p95 < 500ms" in message and "^" not in message and "\\s" not in message
    assert "errorMessage" in SCHEMA["definitions"]["threshold"]
    pattern = re.compile(expression["pattern"])
    for example in expression["examples"]:
        assert pattern.match(example), example
        parse_threshold(example)  # loadspec reads every example the editor suggests
    for text in ("p95 < baseline", "rps >= baseline - 5%", "p99 <= baseline + 12.5 %"):
        assert pattern.match(text) and parse_threshold(text).baseline is not None
    assert not pattern.match("p95 < fast")
    validator = Draft7Validator(SCHEMA["definitions"]["threshold"] | {"definitions": SCHEMA["definitions"]})
    for example in SCHEMA["definitions"]["threshold"]["examples"]:
        assert not list(validator.iter_errors(example)), example


def _filled(body: Any) -> Any:
    """A snippet body with its `${1:name}` placeholders replaced by their defaults."""
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", json.dumps(body))
    return json.loads(text)


def _snippets(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for snippet in node.get("defaultSnippets", []):
            yield where, _filled(snippet["body"])
        for key, child in node.items():
            yield from _snippets(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _snippets(child, f"{where}/{index}")


def test_the_scenarios_snippet_makes_a_runnable_scenario_with_a_method(tmp_path: Path) -> None:
    (body,) = [_filled(s["body"]) for s in SCHEMA["properties"]["scenarios"]["defaultSnippets"]]
    steps = [step for scenario in body for step in scenario["steps"]]
    assert steps and all(len(METHODS & set(step)) == 1 for step in steps)
    assert not list(Draft7Validator(SCHEMA).iter_errors({"scenarios": body}))
    path = tmp_path / "snippet.yaml"
    path.write_text(json.dumps({"host": "http://127.0.0.1:9", "scenarios": body}), encoding="utf-8")
    spec = load_spec(path)
    assert [s.method for s in spec.scenarios[0].steps] == ["get"]


@pytest.mark.parametrize("where,body", list(_snippets(SCHEMA)))
def test_every_snippet_is_valid_where_it_is_offered(where: str, body: Any) -> None:
    node: Any = SCHEMA
    for part in where.removeprefix("#/").split("/") if where != "#" else []:
        node = node[int(part)] if isinstance(node, list) else node[part]
    validator = Draft7Validator({**node, "definitions": SCHEMA["definitions"]})
    assert not list(validator.iter_errors(body)), (where, body)


def test_no_document_points_at_an_address_nobody_serves() -> None:
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "schemas" / "loadspec.schema.json",
             REPO / "schemas" / "summary.schema.json"]
    assert [str(f.relative_to(REPO)) for f in files if "loadspec.dev" in f.read_text(encoding="utf-8")] == []
    assert SCHEMA["$id"].startswith("urn:")
