"""The published JSON Schema, the generated language reference and the example specs agree.

Checks that the schema shipped in the package and the one in `schemas/` are the same file, that
it is a valid draft-07 schema with a description on every key, that `docs/reference.md` is exactly
what `scripts/gen_reference.py` produces, that every example validates, and that typical mistakes
are rejected. Structure only: the loader's own checks are tested elsewhere.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_SCHEMA = ROOT / "loadspec" / "loadspec.schema.json"
PUBLISHED_SCHEMA = ROOT / "schemas" / "loadspec.schema.json"
REFERENCE = ROOT / "docs" / "reference.md"
EXAMPLES_DIR = ROOT / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))
EXPECTED_EXAMPLES = {
    "checkout.yaml", "website_weighted.yaml", "shopping_journey.yaml", "authenticated_api.yaml",
    "response_validation.yaml", "csv_users.yaml", "ci_thresholds.yaml",
}


def _generator() -> ModuleType:
    """scripts/gen_reference.py, imported from its path (scripts/ is not a package)."""
    if "gen_reference" in sys.modules:
        return sys.modules["gen_reference"]
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "scripts" / "gen_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_reference"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(PACKAGE_SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator(schema)


def _spec(text: str) -> Any:
    return yaml.safe_load(text)


def _errors(validator: Draft7Validator, document: Any) -> list[ValidationError]:
    """Every error, with those inside anyOf branches flattened out."""
    found: list[ValidationError] = []
    stack = list(validator.iter_errors(document))
    while stack:
        error = stack.pop()
        found.append(error)
        stack.extend(error.context or [])
    return found


# --- the schema itself ------------------------------------------------------------------------


def test_the_two_schema_copies_are_byte_identical() -> None:
    assert PUBLISHED_SCHEMA.read_bytes() == PACKAGE_SCHEMA.read_bytes()


def test_the_schema_is_a_valid_draft7_schema(schema: dict[str, Any]) -> None:
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == "urn:loadspec:schema:v1"  # a name: nothing serves the schema at a URL
    assert schema["required"] == ["scenarios"]


def _properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (location, property schema) pair anywhere in the schema."""
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            yield f"{where}/{key}", prop
        for key, child in node.items():
            yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _properties(child, f"{where}/{index}")


def test_every_key_has_a_description_an_editor_can_show(schema: dict[str, Any]) -> None:
    def described(prop: dict[str, Any]) -> bool:
        if prop.get("description"):
            return True
        target: Any = schema
        for part in prop.get("$ref", "#/missing").removeprefix("#/").split("/"):
            target = target.get(part, {})
        return bool(target.get("description"))

    undocumented = [where for where, prop in _properties(schema, "#") if not described(prop)]
    assert undocumented == []
    assert all(d.get("description") for d in schema["definitions"].values())


def test_objects_reject_unknown_keys(schema: dict[str, Any]) -> None:
    open_objects = [where for where, node in _objects(schema, "#")
                    if "properties" in node and node.get("additionalProperties") is not False]
    assert open_objects == []


def _objects(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, child in node.items():
            yield from _objects(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _objects(child, f"{where}/{index}")


# --- the reference ----------------------------------------------------------------------------


def test_the_committed_reference_is_what_the_generator_writes(schema: dict[str, Any]) -> None:
    expected = _generator().render(schema)
    assert REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/reference.md is stale: run python scripts/gen_reference.py"
    )


def test_the_reference_documents_every_key(schema: dict[str, Any]) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for name in schema["definitions"]:
        assert f"### {name}\n" in text
    keys = {where.rsplit("/", 1)[1] for where, _ in _properties(schema, "#")}
    missing = [key for key in sorted(keys) if f"`{key}`" not in text]
    assert missing == []


def test_the_generator_refuses_to_leave_a_definition_out(schema: dict[str, Any]) -> None:
    changed = json.loads(json.dumps(schema))
    changed["definitions"]["brand_new"] = {"type": "string", "description": "x"}
    with pytest.raises(ValueError, match="brand_new"):
        _generator().render(changed)


# --- the examples -----------------------------------------------------------------------------


def test_all_promised_examples_are_there() -> None:
    assert {path.name for path in EXAMPLES} >= EXPECTED_EXAMPLES
    header = (EXAMPLES_DIR / "data" / "users.csv").read_text(encoding="utf-8").splitlines()
    assert header[0] == "email,password"
    assert len(header) >= 21
    readme = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in EXPECTED_EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_the_schema(path: Path, validator: Draft7Validator) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/loadspec.schema.json\n")
    document = _spec(text)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert problems == []
    assert document["host"] == "http://127.0.0.1:8000"
    for pool in (document.get("data") or {}).values():
        assert (path.parent / pool["csv"]).is_file()


# --- value shapes and typical mistakes --------------------------------------------------------

VALID = {
    "smallest": "scenarios: [{name: a, steps: [{get: /}]}]",
    "value shapes": """
version: 1
defaults: {think_time: 1.5s..3s, timeout: 0.5}
load: {stages: [{duration: 30s, users: 10}, {duration: 1m, users: 0, spawn_rate: 2}], pacing: 5s}
thresholds: [p99.9 < 1s, "assert_pass_rate >= 99.5%", {check: rps > 10, step: home}]
scenarios:
  - name: a
    steps:
      - get: /
        name: home
        params: {page: 1, tag: [a, b]}
        assert:
          - status: "2xx"
          - status: [200, "3xx"]
          - status: {in: [200, 201]}
          - duration: {lt: 800ms, gte: 0}
          - size: 10
          - {json: items, length: {gt: 0}, type: array, subset: [1]}
          - {json: a, gt: "{{ low }}", schema: schemas/a.json}
        capture:
          code: {status: true}
          ids: {json: "items[].id", pick: all, default: []}
      - loop: {over: "{{ ids }}", as: id}
        steps: [{delete: "/items/{{ id }}"}]
      - post: /upload
        files: {a: data/a.png, b: {file: data/b.png, content_type: image/png}, c: {value: x}}
""",
}

INVALID = {
    "unknown key in a step": (
        "scenarios: [{name: a, steps: [{get: /, retires: 3}]}]", "additionalProperties", ["steps", 0]),
    "bad on_fail value": (
        "scenarios: [{name: a, steps: [{get: /, on_fail: stop}]}]", "enum", ["steps", 0, "on_fail"]),
    "bad duration": (
        "scenarios: [{name: a, steps: [{get: /, timeout: 10 sec}]}]", "pattern", ["steps", 0, "timeout"]),
    "bad think time range": (
        "defaults: {think_time: 1s-3s}\nscenarios: [{name: a, steps: [{get: /}]}]", "pattern",
        ["defaults", "think_time"]),
    "no scenarios": ("name: x", "required", []),
    "empty steps": ("scenarios: [{name: a, steps: []}]", "minItems", ["steps"]),
    "bad pool order": (
        "data: {u: {csv: u.csv, order: shuffled}}\nscenarios: [{name: a, steps: [{get: /}]}]", "enum",
        ["data", "u", "order"]),
    "two-character delimiter": (
        "data: {u: {csv: u.csv, delimiter: ';;'}}\nscenarios: [{name: a, steps: [{get: /}]}]",
        "maxLength", ["data", "u", "delimiter"]),
    "misspelt capture query": (
        "scenarios: [{name: a, steps: [{get: /, capture: {t: {jsn: a}}}]}]", "additionalProperties",
        ["capture", "t"]),
    "misspelt predicate": (
        "scenarios: [{name: a, steps: [{get: /, assert: [{json: a, typ: string}]}]}]",
        "additionalProperties", ["assert", 0]),
    "bad status class": (
        "scenarios: [{name: a, steps: [{get: /, assert: [{status: '2xy'}]}]}]", "pattern", ["status"]),
    "bad threshold metric": (
        "thresholds: [p95 <> 5]\nscenarios: [{name: a, steps: [{get: /}]}]", "pattern", ["thresholds", 0]),
    "probability above 1": (
        "scenarios: [{name: a, steps: [{get: /, probability: 2}]}]", "maximum", ["probability"]),
    "unknown loop key": (
        "scenarios: [{name: a, steps: [{loop: {count: 2, ovr: x}, steps: [{get: /}]}]}]",
        "additionalProperties", ["loop"]),
    "bad variable name": (
        "variables: {1st: x}\nscenarios: [{name: a, steps: [{get: /}]}]", "pattern", ["variables"]),
    "unknown client": (
        "client: httpx\nscenarios: [{name: a, steps: [{get: /}]}]", "enum", ["client"]),
    "unknown environment key": (
        "environments: {staging: {hots: x}}\nscenarios: [{name: a, steps: [{get: /}]}]",
        "additionalProperties", ["environments", "staging"]),
}


@pytest.mark.parametrize("text", VALID.values(), ids=list(VALID))
def test_valid_documents_pass(text: str, validator: Draft7Validator) -> None:
    assert [e.message for e in validator.iter_errors(_spec(text))] == []


@pytest.mark.parametrize(("text", "keyword", "path_end"), INVALID.values(), ids=list(INVALID))
def test_mistakes_are_rejected_at_the_right_place(
    text: str, keyword: str, path_end: list[Any], validator: Draft7Validator
) -> None:
    errors = _errors(validator, _spec(text))
    assert errors, "the schema accepted an invalid document"
    where = [(e.validator, list(e.absolute_path)) for e in errors]
    assert any(
        kind == keyword and (not path_end or path[-len(path_end):] == path_end) for kind, path in where
    ), where
