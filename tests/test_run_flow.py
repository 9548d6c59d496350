"""`loadspec run` does the whole language on real Locust, checked from the server's own records.

Each test writes a YAML spec to disk, runs the command line against a recording server on
127.0.0.1 that the test started, and asserts on what the server received and what the user sees.
Every run is bounded by iterations and a duration.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_token_from_setup_arrives_in_later_headers_and_captures_flow(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: api
            setup:
              - name: login
                post: /login
                json: {user: "u{{ user_id }}"}
                capture:
                  token: {json: token}
                  uid: {json: user.id}
            steps:
              - name: list
                get: /items
                headers: {Authorization: "Bearer {{ token }}"}
                capture:
                  first: {json: "items[].id", pick: first}
                  last: {json: "items[].id", pick: last}
                assert:
                  - {json: count, eq: 2}
              - name: detail
                get: /items/{{ last }}
                params: {owner: "{{ uid }}", first: "{{ first }}"}
                headers: {Authorization: "Bearer {{ token }}"}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "3", "-r", "10",
                 "--iterations", "2", "-q")
    assert result.code == 0, result.text
    tokens = set(recording_server.tokens)
    assert len(tokens) == 3  # setup ran once per user
    lists = recording_server.matching("GET", "/items")
    list_calls = [r for r in lists if r.path == "/items"]
    assert len(list_calls) == 6
    assert {r.headers["authorization"] for r in list_calls} == {f"Bearer {t}" for t in tokens}
    details = [r for r in lists if r.path != "/items"]
    assert {r.path for r in details} == {"/items/12"}
    assert all(r.query == {"owner": ["7"], "first": ["11"]} for r in details)
    assert result.step("detail")["requests"] == 6


def test_bodies_params_headers_and_defaults_arrive_as_written(tmp_path, recording_server, cli):
    (tmp_path / "upload.txt").write_text("file-content-123")
    spec = write(tmp_path, """
        variables:
          n: 3
          currency: EUR
        defaults:
          headers: {X-Default: yes-default, X-Over: default}
        scenarios:
          - name: bodies
            steps:
              - name: json body
                post: /echo
                headers: {x-over: step}
                json: {count: "{{ n }}", label: "n={{ n }}", nested: [{c: "{{ currency }}"}], flag: true}
              - name: form body
                post: /echo
                form: {a: "1", b: "{{ currency }}"}
              - name: raw body
                put: /echo
                body: "raw {{ n }} text"
                headers: {Content-Type: text/plain}
              - name: upload
                post: /echo
                files:
                  doc: upload.txt
                  note: {value: "hello"}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "--iterations", "1", "-q")
    assert result.code == 0, result.text
    echo = recording_server.matching("POST", "/echo") + recording_server.matching("PUT", "/echo")
    by_type = {r.headers.get("content-type", "").split(";")[0]: r for r in echo}
    sent_json = by_type["application/json"].json()
    assert sent_json == {"count": 3, "label": "n=3", "nested": [{"c": "EUR"}], "flag": True}
    assert by_type["application/json"].headers["x-default"] == "yes-default"
    assert by_type["application/json"].headers["x-over"] == "step"  # the step's header wins
    assert by_type["application/x-www-form-urlencoded"].body == b"a=1&b=EUR"
    assert by_type["text/plain"].body == b"raw 3 text"
    multipart = by_type["multipart/form-data"].body
    assert b'name="doc"; filename="upload.txt"' in multipart and b"file-content-123" in multipart
    assert b'name="note"\r\n\r\nhello\r\n' in multipart


def test_unique_rows_are_never_handed_out_twice(tmp_path, recording_server, cli):
    rows = "".join(f"user{i}@example.com,pw{i}\n" for i in range(40))
    (tmp_path / "users.csv").write_text("email,password\n" + rows)
    spec = write(tmp_path, """
        data:
          users: {csv: users.csv, order: unique, scope: iteration, on_exhausted: stop_user}
        scenarios:
          - name: u
            steps:
              - name: login
                post: /login
                json: {email: "{{ users.email }}", password: "{{ users.password }}"}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "5", "-r", "50",
                 "--iterations", "20", "-t", "20s", "-q")
    emails = [r.json()["email"] for r in recording_server.matching("POST", "/login")]
    assert len(emails) == 40, result.text  # 5 users x 20 iterations wanted 100 rows; only 40 exist
    assert len(set(emails)) == 40
    assert result.code == 0, result.text


def test_probability_half_runs_about_half_of_the_iterations(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: p
            steps:
              - name: always
                get: /always
              - name: sometimes
                get: /sometimes
                probability: 0.5
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "4", "-r", "50",
                 "--iterations", "100", "-q")
    assert result.code == 0, result.text
    always, sometimes = len(recording_server.paths("/always")), len(recording_server.paths("/sometimes"))
    assert always == 400
    assert 140 <= sometimes <= 260  # binomial(400, 0.5): mean 200, sd 10 — six sd either side


@pytest.mark.parametrize(("on_fail", "after_failures", "users_left_running"), [
    ("continue", 5, True),
    ("stop_iteration", 0, True),
    ("stop_user", 0, False),
])
def test_on_fail_decides_what_happens_after_a_failed_step(tmp_path, recording_server, cli,
                                                          on_fail, after_failures, users_left_running):
    spec = write(tmp_path, f"""
        scenarios:
          - name: f
            steps:
              - name: before
                get: /before
              - name: broken
                get: /status/500
                on_fail: {on_fail}
              - name: after
                get: /after
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "--iterations", "5", "-q")
    assert result.code == 1, result.text  # failed requests make the run fail
    assert len(recording_server.paths("/after")) == after_failures
    # stop_user ends the user after its first failure: one iteration only
    assert len(recording_server.paths("/before")) == (5 if users_left_running else 1)
    assert "broken: HTTP 500" in result.text


def test_assertion_failures_have_short_stable_messages(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: a
            steps:
              - name: items
                get: /items
                on_fail: continue
                assert:
                  - status: 200
                  - {json: count, gt: 5}
              - name: typed
                get: /items
                on_fail: continue
                assert:
                  - {json: "items[0].name", type: integer}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "2", "--iterations", "3", "-q")
    assert result.code == 1
    assert "items: assert #2 json count gt 5 (got 2)" in result.text
    assert "typed: assert #1 json items[0].name type integer (got 'a')" in result.text
    assert result.step("items")["failures"] == 6
    # items: 2 checks a request, the 2nd fails; typed: 1 check that fails — 6 requests each
    assert result.summary["assertions"] == {"checked": 18, "failed": 12, "pass_rate": 1 - 12 / 18}


def test_when_loop_and_group(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        variables:
          colors: [red, green, blue]
        scenarios:
          - name: c
            steps:
              - name: list
                get: /items
                capture:
                  ids: {json: "items[].id", pick: all}
                  missing: {json: nothing_here, default: null}
              - name: only if missing
                get: /never
                when: {var: missing, exists: true}
              - name: only if ids
                get: /yes
                when: {var: ids, length: 2}
              - loop: {over: "{{ colors }}", as: color}
                steps:
                  - get: /color/{{ color }}
                    name: color
              - loop: {count: 2}
                steps:
                  - group: pair
                    steps:
                      - get: /items/{{ ids.0 }}
                        name: first id
                      - get: /items/{{ ids.1 }}
                        name: second id
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "--iterations", "2", "-q")
    assert result.code == 0, result.text
    assert recording_server.paths("/never") == []
    assert len(recording_server.paths("/yes")) == 2
    assert sorted(recording_server.paths("/color/")) == sorted(["/color/red", "/color/green", "/color/blue"] * 2)
    assert recording_server.paths("/items/") == ["/items/11", "/items/12"] * 4
    group = next(row for row in result.summary["steps"] if row["name"] == "pair")
    assert group["requests"] == 4 and group["method"] == "GROUP"
    assert result.summary["totals"]["requests"] == 2 + 2 + 6 + 8  # groups are not double-counted


@pytest.mark.parametrize("client", ["wire", "fast", "requests"])
def test_faults_are_step_failures_never_crashes(tmp_path, recording_server, cli, client):
    spec = write(tmp_path, """
        defaults:
          timeout: 300ms
        scenarios:
          - name: faults
            steps:
              - {name: server error, get: /status/503, on_fail: continue}
              - {name: reset, get: /reset, on_fail: continue}
              - {name: too slow, get: "/slow?ms=1500", on_fail: continue}
              - name: not json
                get: /html
                on_fail: continue
                capture:
                  value: {json: value}
              - name: finds nothing
                get: /empty
                on_fail: continue
                capture:
                  first: {json: "items[0].id"}
              - name: other host down
                get: http://127.0.0.1:9/nothing-listens-here
                on_fail: continue
              - name: still runs
                get: /after
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "--client", client,
                 "--iterations", "2", "-q", timeout=60)
    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    assert len(recording_server.paths("/after")) == 2  # the user carried on after every fault
    for step in ("server error", "reset", "too slow", "not json", "finds nothing", "other host down"):
        assert result.step(step)["failures"] == 2, (step, result.text)
    assert "server error: HTTP 503" in result.text
    assert "not json: capture value (json value): response is not JSON (text/html)" in result.text
    assert "finds nothing: capture first (json items[0].id) found nothing" in result.text
    assert result.step("still runs")["failures"] == 0


def test_target_down_ends_normally_with_failures(tmp_path, cli):
    spec = write(tmp_path, """
        host: http://127.0.0.1:9
        scenarios:
          - name: down
            steps:
              - get: /
        """)
    result = cli("run", str(spec), "-u", "2", "--iterations", "3", "-q", timeout=60)
    assert result.code == 1
    assert "Traceback" not in result.text
    assert result.summary["totals"]["failures"] == 6
    assert "onnection refused" in result.text or "ConnectionRefused" in result.text


def test_pool_exhaustion_stop_test_ends_the_run_early(tmp_path, recording_server, cli):
    (tmp_path / "codes.csv").write_text("code\n" + "".join(f"c{i}\n" for i in range(5)))
    spec = write(tmp_path, """
        data:
          codes: {csv: codes.csv, order: unique, scope: iteration, on_exhausted: stop_test}
        scenarios:
          - name: s
            steps:
              - get: /use/{{ codes.code }}
                name: use
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "2", "-t", "30s", "-q", timeout=60)
    assert sorted(recording_server.paths("/use/")) == [f"/use/c{i}" for i in range(5)]
    assert result.summary["elapsed_s"] < 15
    assert "data pool 'codes' ran out of rows" in result.text
    assert result.code != 0


def test_missing_environment_variable_is_a_clear_error_before_the_run(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        variables:
          key: "{{ env.LOADSPEC_TEST_SURELY_UNSET }}"
        scenarios:
          - name: e
            steps:
              - get: /x
                headers: {X-Key: "{{ key }}"}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-q", summary=False)
    assert result.code == 2
    assert "LOADSPEC_TEST_SURELY_UNSET" in result.err and "not set" in result.err
    assert "Traceback" not in result.text
    assert recording_server.requests == []
    ok = cli("run", str(spec), "--host", recording_server.url, "-q",
             env={"LOADSPEC_TEST_SURELY_UNSET": "s3cret"})
    assert ok.code == 0
    assert recording_server.requests[0].headers["x-key"] == "s3cret"


def test_builtins_render_fresh_values(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: b
            steps:
              - name: builtins
                post: /echo
                json:
                  id: "{{ uuid() }}"
                  n: "{{ random_int(5, 7) }}"
                  s: "{{ random_string(12) }}"
                  c: "{{ random_choice(['x', 'y']) }}"
                  user: "{{ user_id }}"
                  it: "{{ iteration }}"
                  ts: "{{ timestamp() }}"
                  now: "{{ now() }}"
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "2", "-r", "10",
                 "--iterations", "3", "-q")
    assert result.code == 0, result.text
    bodies = [r.json() for r in recording_server.matching("POST", "/echo")]
    assert len(bodies) == 6
    assert len({b["id"] for b in bodies}) == 6
    assert all(5 <= b["n"] <= 7 and isinstance(b["n"], int) for b in bodies)
    assert all(len(b["s"]) == 12 for b in bodies) and {b["c"] for b in bodies} <= {"x", "y"}
    assert {b["user"] for b in bodies} == {1, 2} and {b["it"] for b in bodies} == {1, 2, 3}
    assert all(isinstance(b["ts"], int) and "T" in b["now"] for b in bodies)


def test_debug_shows_requests_checks_and_captures(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: d
            steps:
              - name: login
                post: /login
                capture:
                  token: {json: token}
                assert:
                  - status: 200
                  - {json: user.id, eq: 8}
                on_fail: continue
              - name: list
                get: /items
                headers: {Authorization: "Bearer {{ token }}"}
        """)
    result = cli("debug", str(spec), "--host", recording_server.url, summary=False)
    assert result.code == 1
    token = recording_server.tokens[0]
    assert "✓ assert #1 status eq 200" in result.out
    assert "✗ assert #2 json user.id eq 8" in result.out
    assert "Authorization: Bearer ***" in result.out and token not in result.out  # a credential is masked
    assert len(recording_server.requests) == 2
    shown = cli("debug", str(spec), "--host", recording_server.url, "--show-secrets", summary=False)
    assert f"Authorization: Bearer {recording_server.tokens[1]}" in shown.out  # unless asked to show it
    assert len(recording_server.requests) == 4


def test_json_summary_matches_the_server_count(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: count
            steps:
              - {name: one, get: /one}
              - {name: two, get: /two}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "3", "-r", "30", "--iterations", "40", "-q")
    assert result.code == 0
    assert result.summary["totals"]["requests"] == len(recording_server.requests) == 3 * 40 * 2

    recording_server.requests.clear()
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "3", "-r", "30", "-t", "2s", "-q")
    assert result.code == 0
    reported, served = result.summary["totals"]["requests"], len(recording_server.requests)
    assert reported > 0
    # A duration ends mid-iteration: each user may have one request in flight that Locust drops.
    assert reported <= served <= reported + 3
    assert json.dumps(result.summary)  # the summary is plain JSON
