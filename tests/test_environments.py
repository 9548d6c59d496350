"""Environments: `-e NAME`, `--var key=value` and `--env-file FILE` change what a run does.

The dotenv parser is unit-tested; the options are exercised through `loadspec run` against the
demo shop, whose `/status/{code}` endpoint makes the value that reached the URL visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadspec.demo.server import DemoServer
from loadspec.sources.envfile import EnvFileError, merged_environment, parse_env_text


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as running:
        yield running


def loadspec(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loadspec", *args], capture_output=True, text=True, timeout=90,
                          env=env)


# --- the dotenv format ------------------------------------------------------------------------


def test_dotenv_lines_quotes_comments_and_export() -> None:
    text = (
        "# a comment\n"
        "\n"
        "export API_KEY=abc123\n"
        "PLAIN = two words   # trailing comment\n"
        "HASH=a#b\n"
        "SINGLE='literal ${API_KEY} # kept'\n"
        'DOUBLE="tab\\there ${API_KEY} ${MISSING:-fallback}"\n'
        'MULTI="line one\n'
        'line two"\n'
        "EMPTY=\n"
    )
    assert parse_env_text(text) == {
        "API_KEY": "abc123", "PLAIN": "two words", "HASH": "a#b", "SINGLE": "literal ${API_KEY} # kept",
        "DOUBLE": "tab\there abc123 fallback", "MULTI": "line one\nline two", "EMPTY": "",
    }


def test_dotenv_escapes_and_expansion_are_one_pass() -> None:
    text = (
        "A=x\n"
        'ESCAPED="\\${A}"\n'  # \$ keeps a literal ${A}
        'BACKSLASH="\\\\${A}"\n'  # \\ is one backslash, then ${A} expands
        'DEFAULT="${MISSING:-\\n\\$}"\n'  # escapes work inside a default too
        'MIXED="\\"${A}\\" \\$A\\t$A"\n'
        "UNQUOTED=\\${A}\n"  # unquoted values keep backslashes and still expand
    )
    assert parse_env_text(text) == {
        "A": "x", "ESCAPED": "${A}", "BACKSLASH": "\\x", "DEFAULT": "\n$", "MIXED": '"x" $A\t$A',
        "UNQUOTED": "\\x",
    }


@pytest.mark.parametrize(("text", "message"), [
    ("A=1\nJUST_A_WORD\n", "prod.env:2: expected KEY=VALUE"),
    ("\n\n2FAST=1\n", "prod.env:3: '2FAST' is not a variable name"),
    ('A="never closed\nB=2\n', 'prod.env:1: " opened here is never closed'),
    ("A='x' y\n", "prod.env:1: unexpected text after the closing '"),
])
def test_dotenv_mistakes_name_the_line(text: str, message: str) -> None:
    with pytest.raises(EnvFileError) as caught:
        parse_env_text(text, "prod.env")
    assert str(caught.value).startswith(message)


def test_the_real_environment_wins_over_env_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    first.write_text("TOKEN=from-a\nONLY_A=1\nSHARED=a\n")
    second.write_text("SHARED=b\n")
    merged = merged_environment({"TOKEN": "real"}, [str(first), str(second)])
    assert merged == {"TOKEN": "real", "ONLY_A": "1", "SHARED": "b"}


# --- through `loadspec run` -------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_dash_e_staging_changes_the_host(server: DemoServer, tmp_path: Path) -> None:
    spec = write(tmp_path, (
        "version: 1\nname: envs\nhost: http://127.0.0.1:9\nload: {users: 1, iterations: 2}\n"
        f"environments:\n  staging: {{host: '{server.url}'}}\n"
        "scenarios:\n  - name: s\n    steps:\n      - name: health\n        get: /health\n"
        "        assert: [{status: 200}]\n"
    ))
    report = tmp_path / "summary.json"
    done = loadspec("run", str(spec), "-e", "staging", "-q", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(report.read_text())
    assert (summary["host"], summary["environment"]) == (server.url, "staging")
    assert summary["totals"]["requests"] == 2 and summary["totals"]["failures"] == 0
    assert f"against {server.url}" in done.stdout


def test_var_overrides_a_variable(server: DemoServer, tmp_path: Path) -> None:
    spec = write(tmp_path, (
        f"version: 1\nname: vars\nhost: {server.url}\nload: {{users: 1, iterations: 1}}\nvariables: {{code: 500}}\n"
        "scenarios:\n  - name: s\n    steps:\n      - name: status\n        get: /status/{{ code }}\n"
        "        assert: [{status: 203}]\n"
    ))
    assert loadspec("run", str(spec), "-q").returncode == 1  # 500 by default
    done = loadspec("run", str(spec), "-q", "--var", "code=203")
    assert done.returncode == 0, done.stdout + done.stderr


ENV_SPEC = """\
version: 1
name: env file
host: {host}
load: {{users: 1, iterations: 1}}
scenarios:
  - name: s
    steps:
      - name: from file
        get: /status/{{{{ env.LS_TEST_FROM_FILE }}}}
        assert: [{{status: 201}}]
      - name: from environment
        get: /status/{{{{ env.LS_TEST_BOTH }}}}
        assert: [{{status: 202}}]
"""


def test_env_file_fills_what_the_environment_lacks(server: DemoServer, tmp_path: Path) -> None:
    spec = write(tmp_path, ENV_SPEC.format(host=server.url))
    env_file = tmp_path / "test.env"
    env_file.write_text("# values for the test\nexport LS_TEST_FROM_FILE=201\nLS_TEST_BOTH='500'\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LS_TEST_")}
    done = loadspec("run", str(spec), "-q", "--env-file", str(env_file), env={**environ, "LS_TEST_BOTH": "202"})
    assert done.returncode == 0, done.stdout + done.stderr

    missing = loadspec("run", str(spec), "-q", env=environ)
    assert missing.returncode == 2
    assert "LS_TEST_FROM_FILE" in missing.stderr and "--env-file" in missing.stderr

    env_file.write_text("LS_TEST_FROM_FILE=201\nLS_TEST_BOTH\n")
    broken = loadspec("run", str(spec), "-q", "--env-file", str(env_file), env=environ)
    assert broken.returncode == 2 and f"{env_file}:2: expected KEY=VALUE" in broken.stderr
