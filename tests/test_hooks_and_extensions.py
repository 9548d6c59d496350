"""Test hooks (`before:` / `after:`), template built-ins, extensions, step tags (and the JMESPath
hint for dashed keys), judged by what the recording server on 127.0.0.1 received.

`before:` logs in once (the server hands out one fresh token per login, so it counts the logins),
every user sends that token, and `after:` deletes it once; locally and with two worker processes.
An extension signs each request body with HMAC and the test recomputes the signature from what the
server received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import textwrap
from pathlib import Path

import pytest

from loadspec.lang.templates import FUNCTIONS, EnvLookup, compile_value


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


HOOKS = """
    load: {users: 4, spawn_rate: 50, iterations: 2}
    before:
      - name: create tenant
        post: /login
        capture: {tenant: {json: token}}
    after:
      - name: delete tenant
        delete: /items/{{ tenant }}
    scenarios:
      - name: tenant user
        steps:
          - name: list
            get: /items
            headers: {Authorization: "Bearer {{ tenant }}"}
    """


@pytest.mark.parametrize("where", ["local", "processes"])
def test_before_and_after_run_once_and_users_see_what_before_captured(tmp_path, recording_server, cli, where):
    spec = write(tmp_path, HOOKS)
    extra = ["--processes", "2"] if where == "processes" else []
    result = cli("run", str(spec), "--host", recording_server.url, "-q", *extra)
    assert result.code == 0, result.text
    assert len(recording_server.tokens) == 1  # before: ran exactly once
    token = recording_server.tokens[0]
    lists = [r for r in recording_server.matching("GET", "/items") if r.path == "/items"]
    assert len(lists) == 8  # 4 users x 2 iterations
    assert {r.headers["authorization"] for r in lists} == {f"Bearer {token}"}
    deletes = recording_server.matching("DELETE", "/items/")
    assert [r.path for r in deletes] == [f"/items/{token}"]  # after: ran exactly once, with the capture
    assert result.step("create tenant")["requests"] == 1 and result.step("delete tenant")["requests"] == 1


def test_a_failing_before_step_stops_the_test_before_it_starts(tmp_path, recording_server, cli):
    spec = write(tmp_path, HOOKS.replace("post: /login", "post: /status/500"))
    result = cli("run", str(spec), "--host", recording_server.url, "-q")
    assert result.code == 2, result.text
    assert "before: failed" in result.err and "Traceback" not in result.err
    assert recording_server.paths("/items") == []  # no user ran, after: did not run


HELPERS = '''
    """Request signing for the test API."""
    import hashlib
    import hmac


    def sign(text, key):
        return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


    def explode(value):
        raise ValueError(f"cannot use {value}")


    def _private():
        return "not a template function"
    '''

SIGNED = """
    extensions: [lib/helpers.py]
    variables:
      secret: k3y
      qty: "3"
      body: '{"order": 42}'
    load: {users: 2, spawn_rate: 50, iterations: 2}
    scenarios:
      - name: signer
        steps:
          - name: signed
            post: /echo
            headers:
              X-Signature: "{{ sign(body, secret) }}"
              X-Check: "{{ hmac_sha256(secret, body) }}"
              X-User: "{{ base64(user_id) }}"
              Authorization: "{{ basic_auth('ann', secret) }}"
            params: {q: "{{ url_encode('a b&c') }}"}
            json: {qty: "{{ int(qty) }}", body: "{{ body }}", digest: "{{ sha256(body) }}"}
            tags: {flow: checkout}
    """


@pytest.mark.parametrize("where", ["local", "processes"])
def test_an_extension_function_and_builtins_reach_the_server(tmp_path, recording_server, cli, where):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.py").write_text(textwrap.dedent(HELPERS))
    spec = write(tmp_path, SIGNED)
    extra = ["--processes", "2"] if where == "processes" else []
    result = cli("run", str(spec), "--host", recording_server.url, "-q", *extra)
    assert result.code == 0, result.text
    received = recording_server.matching("POST", "/echo")
    assert len(received) == 4
    body = '{"order": 42}'
    expected = hmac.new(b"k3y", body.encode(), hashlib.sha256).hexdigest()
    assert {r.headers["x-signature"] for r in received} == {expected}
    assert {r.headers["x-check"] for r in received} == {expected}
    assert {r.headers["authorization"] for r in received} == {"Basic " + base64.b64encode(b"ann:k3y").decode()}
    users = {base64.b64decode(r.headers["x-user"]).decode() for r in received}
    assert users == {"1", "2"} if where == "local" else users <= {"1", "2"}  # each worker counts its own users
    assert all(r.query == {"q": ["a%20b%26c"]} for r in received)  # encoded once more by the client
    sent = received[0].json()
    assert sent == {"qty": 3, "body": body, "digest": hashlib.sha256(body.encode()).hexdigest()}
    assert result.step("signed")["tags"] == {"flow": "checkout"}


def test_an_exception_in_an_extension_fails_the_step_naming_the_function(tmp_path, recording_server, cli):
    (tmp_path / "helpers.py").write_text(textwrap.dedent(HELPERS))
    spec = write(tmp_path, """
        extensions: [helpers.py]
        load: {users: 1, iterations: 2}
        scenarios:
          - name: s
            steps:
              - name: boom
                get: /items/{{ explode(user_id) }}
              - name: after boom
                get: /items
                on_fail: continue
        """)
    result = cli("run", str(spec), "--host", recording_server.url)
    assert result.code == 1, result.text
    assert result.step("boom")["failures"] == 2
    assert recording_server.paths("/items/") == []  # nothing was sent for the failing step
    assert "explode() failed: ValueError: cannot use 1" in result.out
    assert "Traceback" not in result.text


@pytest.mark.parametrize(("helpers", "where", "message"), [
    ("def sign(text, key)\n    return text\n", "helpers.py:1:", "syntax error in extension"),
    ("import nothing_of_that_name\n", "helpers.py:1:", "extension raised ModuleNotFoundError"),
    (None, "spec.yaml:2:14:", "extension file 'helpers.py' not found"),
])
def test_a_broken_extension_is_a_load_time_error(tmp_path, cli, helpers, where, message):
    if helpers is not None:
        (tmp_path / "helpers.py").write_text(helpers)
    spec = write(tmp_path, """
        extensions: [helpers.py]
        scenarios:
          - name: s
            steps:
              - get: /items
        """)
    result = cli("validate", str(spec), summary=False)
    assert result.code == 2, result.text
    assert message in result.err and where in result.err, result.err
    if helpers is not None:  # the quoted line is the extension's own
        assert f"1 | {helpers.splitlines()[0]}" in result.err, result.err


def test_template_calls_are_checked_against_builtins_and_extensions(tmp_path, cli):
    (tmp_path / "helpers.py").write_text(textwrap.dedent(HELPERS))
    spec = write(tmp_path, """
        extensions: [helpers.py]
        scenarios:
          - name: s
            steps:
              - get: /a/{{ sign('only one') }}
              - get: /b/{{ hmac_sha256('key') }}
              - get: /c/{{ _private() }}
        """)
    result = cli("validate", str(spec), summary=False)
    assert result.code == 2
    assert "sign() takes 2 arguments, got 1" in result.err
    assert "hmac_sha256() takes 2 arguments, got 1" in result.err
    assert "unknown built-in '_private()'" in result.err


def test_a_tags_threshold_judges_the_tagged_steps_only(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        load: {users: 1, iterations: 3}
        scenarios:
          - name: shop
            steps:
              - name: browse
                get: /items
              - group: checkout
                tags: {flow: checkout}
                steps:
                  - name: cart
                    get: /items/1
                  - name: pay
                    post: /echo
        thresholds:
          - {check: "requests == 6", tags: {flow: checkout}}
          - {check: "requests == 9"}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-q")
    assert result.code == 0, result.text
    tagged = len(recording_server.paths("/items/1")) + len(recording_server.paths("/echo"))
    assert tagged == 6
    checks = result.summary["thresholds"]
    assert checks[0]["actual"] == tagged and checks[0]["tags"] == {"flow": "checkout"}
    assert result.step("pay")["tags"] == {"flow": "checkout"} and result.step("browse")["tags"] == {}


def test_builtins_compute_what_their_names_say():
    def render(text: str, **variables):
        return compile_value(text, EnvLookup({})).get(variables)

    assert render("{{ base64('a:b') }}") == "YTpi"
    assert render("{{ base64_decode('YTpi') }}") == "a:b"
    assert render("{{ url_encode(v) }}", v="a b/ü") == "a%20b%2F%C3%BC"
    assert render("{{ int(v) }}", v="12") == 12 and render("{{ int(v) }}", v="12.0") == 12
    assert render("{{ float(v) }}", v="1.5") == 1.5 and render("{{ str(v) }}", v=7) == "7"
    assert render("{{ json(v) }}", v={"a": [1, True]}) == '{"a":[1,true]}'
    assert render("{{ lower('AbC') }}-{{ upper('AbC') }}") == "abc-ABC"
    assert render("{{ random_email() }}").endswith("@example.com")
    assert render("{{ random_email('shop.test') }}").endswith("@shop.test")
    assert json.loads(json.dumps(render("{{ json_parse(v) }}", v='{"x": 1}'))) == {"x": 1}
    assert render("{{ sha256('abc') }}") == hashlib.sha256(b"abc").hexdigest()
    for name in ("base64", "base64_decode", "url_encode", "sha256", "hmac_sha256", "basic_auth", "int", "float",
                 "str", "json", "lower", "upper", "random_email"):
        assert name in FUNCTIONS


def test_an_exported_locustfile_carries_extensions_and_runs_the_hooks_once(tmp_path, recording_server):
    """`loadspec export` bundles the extension file; plain `locust -f` runs before: and after: once."""
    import subprocess
    import sys

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.py").write_text(textwrap.dedent(HELPERS))
    spec = write(tmp_path, SIGNED.replace("load: {users: 2, spawn_rate: 50, iterations: 2}", """
    load: {users: 2, spawn_rate: 50, iterations: 2}
    before:
      - post: /login
        capture: {tenant: {json: token}}
    after:
      - delete: /items/{{ tenant }}
    """).replace("X-Check:", "X-Tenant: \"{{ tenant }}\"\n              X-Check:"))
    target = tmp_path / "elsewhere" / "exported_locustfile.py"
    target.parent.mkdir()
    done = subprocess.run([sys.executable, "-m", "loadspec", "export", str(spec), "-o", str(target)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    locust = str(Path(sys.executable).parent / "locust")
    run = subprocess.run([locust, "-f", target.name, "--headless", "-u", "2", "-r", "50", "-t", "30s",
                          "--host", recording_server.url, "--only-summary", "--loglevel", "WARNING"],
                         capture_output=True, text=True, timeout=90, cwd=target.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert len(recording_server.tokens) == 1
    received = recording_server.matching("POST", "/echo")
    assert len(received) == 4  # the users' iterations ended the run, not -t
    expected = hmac.new(b"k3y", b'{"order": 42}', hashlib.sha256).hexdigest()
    assert {r.headers["x-signature"] for r in received} == {expected}
    assert {r.headers["x-tenant"] for r in received} == set(recording_server.tokens)
    assert [r.path for r in recording_server.matching("DELETE", "/items/")] == [f"/items/{recording_server.tokens[0]}"]


def test_a_dashed_jmespath_key_gets_the_quoted_expression_to_write(tmp_path, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: s
            steps:
              - get: /items
                capture:
                  key: {json: headers.X-Api-Key}
        """)
    result = cli("validate", str(spec), summary=False)
    assert result.code == 2
    assert """json: 'headers."X-Api-Key"'""" in result.err
    fixed = write(tmp_path, spec.read_text().replace("headers.X-Api-Key", """'headers."X-Api-Key"'"""))
    assert cli("validate", str(fixed), summary=False).code == 0
