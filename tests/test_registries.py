"""Every open set of the language is a registry, and each registry agrees with the JSON Schema.

A query kind, predicate, template function, importer, reporter or load profile added in one place
and forgotten in another fails here (Hurl gets this from an exhaustive match; we get it from a
registry and this test).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from loadspec import model
from loadspec.lang.checks import PREDICATES, QUERIES
from loadspec.lang.templates import FUNCTIONS
from loadspec.reports import REPORT_FILES, REPORTERS
from loadspec.results.profiles import PROFILES
from loadspec.sources import IMPORTERS

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "schemas" / "loadspec.schema.json").read_text(encoding="utf-8"))
DEFINITIONS = SCHEMA["definitions"]
REFERENCE = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")


def test_query_kinds_agree_with_the_schema() -> None:
    assertion_keys = set(DEFINITIONS["assertion"]["properties"])
    schema_queries = assertion_keys - set(DEFINITIONS["predicates"]["properties"])
    assert set(QUERIES) == set(model.QUERY_KINDS) == schema_queries


def test_predicates_agree_with_the_schema() -> None:
    assert set(PREDICATES) == set(model.PREDICATES) == set(DEFINITIONS["predicates"]["properties"])


def test_every_template_function_is_documented() -> None:
    missing = [name for name in FUNCTIONS if not re.search(rf"\b{name}\(", REFERENCE)]
    assert not missing, f"template functions missing from docs/reference.md: {missing}"
    for name, builtin in FUNCTIONS.items():
        assert 0 <= builtin.min_args <= builtin.max_args, name


def test_reporters_match_the_command_line_and_the_report_dir() -> None:
    from loadspec.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    flags = {opt.lstrip("-") for action in run._actions for opt in action.option_strings}
    assert set(REPORTERS) == set(REPORT_FILES)
    assert set(REPORTERS) <= flags


def test_profiles_are_the_command_line_choices() -> None:
    from loadspec.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    profile = next(a for a in run._actions if "--profile" in a.option_strings)
    assert tuple(profile.choices) == PROFILES


def test_importers_have_unique_names_and_recognise_their_files(tmp_path: Path) -> None:
    names = [importer.name for importer in IMPORTERS]
    assert len(names) == len(set(names)) and "har" in names
    har = tmp_path / "saved.json"
    har.write_text('{"log": {"version": "1.2", "entries": []}}', encoding="utf-8")
    yaml_spec = tmp_path / "spec.yaml"
    yaml_spec.write_text("version: 1\n", encoding="utf-8")
    from loadspec.sources import importer_for

    assert importer_for(har).name == "har"  # type: ignore[union-attr]
    assert importer_for(yaml_spec) is None
