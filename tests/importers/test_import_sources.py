"""The three importers behind the one dispatch: recognised by content, options from the command line,
`loadspec convert`/`validate` of each source, and each registered, documented and given its flags.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadspec.cli import build_parser, main

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent.parent


def test_every_foreign_importer_is_registered_documented_and_has_its_flags() -> None:
    from loadspec.sources import IMPORTERS
    from loadspec.sources.dispatch import FOREIGN

    names = [importer.name for importer in IMPORTERS]
    assert set(FOREIGN) <= set(names) and names[0] == "har"  # HAR first: a recording is never sniffed as JSON
    guide = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    for heading in ("## Postman collections", "## OpenAPI 3.0 and 3.1", "## cURL commands"):
        assert heading in guide
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in ("run", "convert", "debug", "export"):
        flags = {opt for action in subcommands[command]._actions for opt in action.option_strings}
        assert {"--postman-env", "--tag", "--operation", "--server", "--no-schema-assert"} <= flags, command
        for flag in ("--postman-env", "--tag", "--operation", "--no-schema-assert"):
            assert f"`{flag}" in guide, flag


def test_the_dispatch_picks_each_importer_by_content(tmp_path: Path) -> None:
    from loadspec.sources import IMPORTERS, importer_for

    def kind(path: Path) -> str | None:
        found = importer_for(path)
        return found.name if found else None

    data = DATA
    for source in data.iterdir():
        if source.suffix == ".json" and "environment" not in source.name:
            assert kind(source) == "postman", source
        elif source.suffix == ".yaml":
            assert kind(source) == "openapi", source
    renamed = tmp_path / "collection.txt"  # the extension does not matter
    renamed.write_bytes((data / "newman-sample-collection.json").read_bytes())
    assert kind(renamed) == "postman"
    commands = tmp_path / "calls"
    commands.write_text("curl https://api.example.com/x\n")
    assert kind(commands) == "curl"
    har = REPO / "tests" / "harapp" / "recordings" / "session.har"
    spec = REPO / "examples" / "checkout.yaml"
    assert kind(har) == "har" and kind(spec) is None
    assert {"har", "openapi", "postman", "curl"} <= {importer.name for importer in IMPORTERS}


def test_load_source_imports_with_options_and_keeps_the_held_credentials(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loadspec.sources import load_source
    from loadspec.sources.postman import PostmanOptions

    data = DATA
    options = {"postman": PostmanOptions(environment=data / "app.postman_environment.json")}
    spec = load_source(data / "app.postman_collection.json", variables={"price": "7"}, import_options=options)
    assert spec.recorded_secrets == {"LOADSPEC_PASSWORD": "s3cret-pass"}
    assert spec.variables["price"] == "7" and spec.host == "http://127.0.0.1:8000"
    assert "Postman collection v2.1" in capsys.readouterr().err
    with pytest.raises(Exception, match="no environments"):
        load_source(data / "app.postman_collection.json", environment="staging")


def test_loadspec_convert_and_validate_on_each_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = DATA
    out = tmp_path / "pets.yaml"
    assert main(["convert", str(data / "swagger-petstore-openapi.yaml"), "-o", str(out), "--tag", "pet",
                 "--no-schema-assert"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "LOADSPEC_ACCESS_TOKEN=..." in printed
    text = out.read_text()
    assert "/store/" not in text and "/user" not in text and "schema:" not in text
    assert main(["validate", str(out)]) == 0

    out = tmp_path / "app.yaml"
    assert main(["convert", str(data / "app.postman_collection.json"), "-o", str(out),
                 "--postman-env", str(data / "app.postman_environment.json")]) == 0
    assert "LOADSPEC_PASSWORD=..." in capsys.readouterr().out and "s3cret-pass" not in out.read_text()

    calls = tmp_path / "calls.sh"
    calls.write_text("curl https://api.example.com/x -H 'X-API-Key: k-1'\n")
    assert main(["convert", str(calls)]) == 0  # to stdout
    captured = capsys.readouterr()
    assert "get: /x" in captured.out and "k-1" not in captured.out and "cURL commands" in captured.err
    for source in (data / "oai-uspto.yaml", data / "newman-sample-collection.json", calls):
        assert main(["validate", str(source)]) == 0
    assert capsys.readouterr().out.count(": ok — 1 scenario") == 3
