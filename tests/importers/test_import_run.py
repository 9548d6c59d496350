"""Imported scenarios run against the FastAPI test app with 3 users, judged by the app's own state.

The app (tests/importers/app.py) gives every login its own token and each object to the token that
created it; any other token gets 404, and every response of 400 or more is logged. So a run in
which every user captured its own token and ids leaves: one token per login, each token having
created, read, updated and deleted exactly its share, nothing left over, and an empty error log.
Each test imports the source, writes the YAML `loadspec convert` writes and runs it with
`python -m loadspec run x.yaml -u 3`; the last ones run the source itself (`loadspec run
collection.json`), which goes through the same dispatch and validation gate.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadspec.sources.common import validated_yaml
from loadspec.sources.curl import import_curl
from loadspec.sources.openapi import OpenApiOptions, import_openapi
from loadspec.sources.postman import PostmanOptions, import_postman

HERE = Path(__file__).parent
DATA = HERE / "data"
USERS = 3
ITERATIONS = 2


def _load_app() -> Any:
    spec = importlib.util.spec_from_file_location("importers_server", HERE / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APP = _load_app()


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    base_url, stop = APP.start_app()
    try:
        yield base_url
    finally:
        stop()


def state(base_url: str, *, reset: bool = False) -> dict[str, Any]:
    request = urllib.request.Request(base_url + ("/__state/reset" if reset else "/__state"),
                                     method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def run(app: str, spec: Path, env: dict[str, str], *, reset: bool = True) -> subprocess.CompletedProcess[str]:
    if reset:
        state(app, reset=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "loadspec", "run", str(spec), "--host", app, "-u", str(USERS), "-r", str(USERS),
         "--iterations", str(ITERATIONS), "-q"],
        capture_output=True, text=True, timeout=120, env=environment)


def test_openapi_of_the_app_runs_create_read_update_delete_per_user(app: str, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(app + "/openapi.json", timeout=10) as response:
        document.write_bytes(response.read())
    result = import_openapi(document)
    out = tmp_path / "api.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert sorted(result.summary.needed) == ["LOADSPEC_PASSWORD", "LOADSPEC_USERNAME"]

    proc = run(app, out, {"LOADSPEC_USERNAME": "alice", "LOADSPEC_PASSWORD": APP.PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    assert seen["tokens"] == USERS  # the token operation ran once per user, in setup
    assert len(seen["per_token"]) == USERS
    for counts in seen["per_token"].values():
        assert counts == {event: ITERATIONS for event in (
            "items.created", "items.read", "items.updated", "items.deleted",
            "notes.created", "notes.read", "notes.deleted")}
    assert seen["items"] == 0 and seen["notes"] == 0  # deletes ran last, notes before their item


def test_openapi_tag_filter_keeps_only_those_operations(app: str, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(app + "/openapi.json", timeout=10) as response:
        document.write_bytes(response.read())
    result = import_openapi(document, OpenApiOptions(tags=["auth", "items"]))
    out = tmp_path / "items.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    proc = run(app, out, {"LOADSPEC_USERNAME": "bob", "LOADSPEC_PASSWORD": APP.PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    for counts in seen["per_token"].values():
        assert counts == {"items.created": ITERATIONS, "items.read": ITERATIONS, "items.updated": ITERATIONS,
                          "items.deleted": ITERATIONS}


def test_postman_collection_runs_with_its_environment_and_scripts(app: str, tmp_path: Path) -> None:
    result = import_postman(DATA / "app.postman_collection.json",
                            PostmanOptions(environment=DATA / "app.postman_environment.json"))
    out = tmp_path / "collection.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert "s3cret-pass" not in out.read_text()  # the secret of the environment stays out of the file
    assert result.secrets == {"LOADSPEC_PASSWORD": APP.PASSWORD}

    proc = run(app, out, result.secrets)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    # the collection logs in at the start of every iteration: one token per user and iteration,
    # each of which created, read, updated and deleted one item with one note
    assert seen["tokens"] == USERS * ITERATIONS
    assert len(seen["per_token"]) == USERS * ITERATIONS
    for counts in seen["per_token"].values():
        assert counts == {"items.created": 1, "items.read": 1, "items.updated": 1, "items.deleted": 1,
                          "notes.created": 1, "notes.read": 1, "notes.deleted": 1}
    assert seen["items"] == 0


def test_postman_assertions_translated_from_scripts_fail_on_the_server_s_answer(app: str, tmp_path: Path) -> None:
    """The translated `pm.expect(item.price).to.equal(12)` really checks: a price of 13 fails it."""
    result = import_postman(DATA / "app.postman_collection.json",
                            PostmanOptions(environment=DATA / "app.postman_environment.json"))
    result.spec.variables["price"] = 13
    out = tmp_path / "collection.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    proc = run(app, out, result.secrets)
    assert proc.returncode != 0
    assert "create item: assert #" in proc.stdout + proc.stderr
    seen = state(app)
    # the failed assertion stops each iteration after the create: nothing is read or deleted
    assert all(counts == {"items.created": 1} for counts in seen["per_token"].values())
    assert seen["items"] == USERS * ITERATIONS


def test_curl_commands_run_with_credentials_from_the_environment(app: str, tmp_path: Path) -> None:
    state(app, reset=True)
    token = json.loads(urllib.request.urlopen(urllib.request.Request(
        app + "/token", data=f"username=carol&password={APP.PASSWORD}".encode(), method="POST"),
        timeout=10).read())["access_token"]
    commands = tmp_path / "calls.sh"
    commands.write_text(
        f"curl '{app}/items' \\\n  -H 'authorization: Bearer {token}' \\\n  -H 'content-type: application/json' \\\n"
        f"  -H 'sec-ch-ua: \"Chromium\";v=\"120\"' \\\n  --data-raw $'{{\"name\":\"from curl\",\"price\":2.5}}' \\\n"
        f"  --compressed\n"
        f"curl -s {app}/items -H 'Authorization: Bearer {token}'\n", encoding="utf-8")
    result = import_curl(commands)
    out = tmp_path / "calls.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert token not in out.read_text()
    assert [s.name for s in result.spec.scenarios[0].steps] == ["POST /items", "GET /items"]
    proc = run(app, out, result.secrets, reset=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    assert seen["per_token"] == {token: {"items.created": USERS * ITERATIONS}}
    assert seen["items"] == USERS * ITERATIONS


def _loadspec_run(app: str, source: Path, *extra: str, env: dict[str, str] | None = None
                  ) -> subprocess.CompletedProcess[str]:
    state(app, reset=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "loadspec", "run", str(source), "--host", app, "-u", str(USERS), "-r", str(USERS),
         "--iterations", str(ITERATIONS), "-q", *extra], capture_output=True, text=True, timeout=120, env=environment)


def test_loadspec_run_of_the_collection_itself_with_its_environment(app: str) -> None:
    proc = _loadspec_run(app, DATA / "app.postman_collection.json",
                         "--postman-env", str(DATA / "app.postman_environment.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Postman collection v2.1" in proc.stderr  # the brief summary before the run
    seen = state(app)
    assert seen["errors"] == []  # the password came from the environment file, in memory only
    assert seen["tokens"] == USERS * ITERATIONS
    assert all(counts["items.deleted"] == 1 for counts in seen["per_token"].values())


def test_loadspec_run_of_the_openapi_document_itself_with_a_tag_filter(app: str, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(app + "/openapi.json", timeout=10) as response:
        document.write_bytes(response.read())
    proc = _loadspec_run(app, document, "--tag", "auth", "--tag", "items",
                         env={"LOADSPEC_USERNAME": "dave", "LOADSPEC_PASSWORD": APP.PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == [] and seen["tokens"] == USERS
    for counts in seen["per_token"].values():
        assert counts == {"items.created": ITERATIONS, "items.read": ITERATIONS, "items.updated": ITERATIONS,
                          "items.deleted": ITERATIONS}


def test_loadspec_run_of_the_openapi_document_without_credentials_fails_on_the_server(app: str,
                                                                                       tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(app + "/openapi.json", timeout=10) as response:
        document.write_bytes(response.read())
    proc = _loadspec_run(app, document, env={"LOADSPEC_USERNAME": "eve", "LOADSPEC_PASSWORD": "wrong"})
    assert proc.returncode != 0
    seen = state(app)
    # the login in setup fails (401) and, with on_fail: stop_user, each user stops: nothing is created
    assert seen["tokens"] == 0 and seen["items"] == 0
    assert {(e["method"], e["path"], e["status"]) for e in seen["errors"]} == {("POST", "/token", 401)}


def test_workers_of_a_distributed_run_get_the_collection_as_imported_here(app: str) -> None:
    """--processes: the workers receive the converted YAML and the environment file's password, so
    they run exactly what this process imported (not the collection re-imported without --postman-env)."""
    proc = _loadspec_run(app, DATA / "app.postman_collection.json", "--processes", "2",
                         "--postman-env", str(DATA / "app.postman_environment.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    assert seen["tokens"] == USERS * ITERATIONS
    assert all(counts["items.deleted"] == 1 for counts in seen["per_token"].values())


def test_export_of_a_collection_holds_the_converted_yaml_without_the_password(tmp_path: Path) -> None:
    out = tmp_path / "locustfile.py"
    proc = subprocess.run([sys.executable, "-m", "loadspec", "export", str(DATA / "app.postman_collection.json"),
                           "--postman-env", str(DATA / "app.postman_environment.json"), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "app.postman_collection.yaml" in text and "LOADSPEC_PASSWORD" in text
    assert APP.PASSWORD not in text
