"""Bad values that only show at run time fail the step with a message, never with a traceback, and
an assertion may test what its own step captured; checked against a recording server on 127.0.0.1.

Each test writes a spec, runs `python -m loadspec run` bounded by iterations, and compares what the
server received with what loadspec reports.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_an_assertion_tests_what_its_own_step_captured(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: api
            steps:
              - name: login
                post: /login
                capture:
                  token: {json: token}
                  uid: {json: user.id}
                assert:
                  - {var: token, matches: '^[0-9a-f]{16}$'}
                  - {var: uid, eq: 7}
              - name: wrong id
                get: /items
                capture:
                  count: {json: count}
                assert:
                  - {var: count, eq: 3}
        """)
    assert cli("validate", str(spec), summary=False).code == 0
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "2", "-r", "10",
                 "--iterations", "3", "-q")
    assert "Traceback" not in result.text
    assert result.code == 1, result.text  # the second step's assertion fails
    logins = recording_server.matching("POST", "/login")
    lists = recording_server.matching("GET", "/items")
    assert len(logins) == 6 and len(lists) == 6  # the server saw every request once
    assert result.step("login")["requests"] == 6 and result.step("login")["failures"] == 0
    assert result.step("wrong id")["failures"] == 6
    assert "wrong id: assert #1 var count eq 3 (got 2)" in result.text


def test_a_builtin_given_a_bad_captured_argument_fails_the_step_cleanly(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: api
            steps:
              - name: list
                get: /items
                capture:
                  label: {json: "items[0].name"}
                  count: {json: count}
              - name: good bound
                get: /echo
                params: {pick: "{{ random_int(1, count) }}"}
              - name: bad length
                get: /echo
                params: {code: "{{ random_string(label) }}"}
                on_fail: continue
        """)
    assert cli("validate", str(spec), summary=False).code == 0
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "-r", "10",
                 "--iterations", "4", "-q")
    assert "Traceback" not in result.text
    echoes = recording_server.matching("GET", "/echo")
    assert len(echoes) == 4  # only the good step reached the server
    assert {q for r in echoes for q in r.query["pick"]} <= {"1", "2"}
    assert all("code" not in r.query for r in echoes)
    assert result.step("bad length")["failures"] == 4
    assert "random_string() needs whole numbers, got the text 'a'" in result.text
