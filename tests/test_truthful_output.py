"""What the terminal, the reports and Locust's own tables say about a run is what happened.

`debug` prints the URL as sent (with its query), each failure once, mappings as JSON; failure
messages carry no exception wrapper (`CatchResponseError('…')`) anywhere, including Locust's CSV
and a worker's report; counts read `1 request`, not `1 requests`; Locust's task ratio names the
scenario, not a function. Each is judged against the recording server's own log where it sent
something.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

from conftest import run_cli

from loadspec.lang.templates import to_text
from loadspec.results.stats import failure_message


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_debug_shows_query_mapping_as_json_and_each_failure_once(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        variables:
          filter: {a: 1, b: [true, null]}
        scenarios:
          - name: d
            steps:
              - name: search
                get: /anything/{{ filter }}
                params: {tenant: acme, page: 2}
              - name: broken
                get: /status/500
                on_fail: continue
        """)
    result = cli("debug", str(spec), "--host", recording_server.url, summary=False)
    assert result.code == 1, result.text
    seen = recording_server.requests
    assert len(seen) == 2
    assert seen[0].query == {"tenant": ["acme"], "page": ["2"]}
    assert unquote(seen[0].path) == '/anything/{"a": 1, "b": [true, null]}'
    line = next(x for x in result.out.splitlines() if "search:" in x)
    assert "GET " in line and '/anything/{"a": 1, "b": [true, null]}?tenant=acme&page=2 -> 200' in line
    assert result.out.count("broken: HTTP 500") == 1, result.out
    assert "CatchResponseError" not in result.text


def test_to_text_renders_mappings_and_lists_as_json():
    assert to_text({"a": 1, "ok": True}) == '{"a": 1, "ok": true}'
    assert to_text([1, None, "é"]) == '[1, null, "é"]'
    assert to_text(True) == "true" and to_text(None) == "" and to_text(3) == "3"


def test_failure_message_strips_the_exception_wrapper():
    assert failure_message("CatchResponseError('login: HTTP 500')") == "login: HTTP 500"
    assert failure_message('CatchResponseError("it\'s: HTTP 500")') == "it's: HTTP 500"
    assert failure_message("ConnectionRefusedError(111, 'Connection refused')") == \
        "ConnectionRefusedError(111, 'Connection refused')"


def test_failure_tables_show_plain_messages_and_singular_counts(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        scenarios:
          - name: one shot
            steps:
              - {name: boom, get: /status/503}
        """)
    out = tmp_path / "out"
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "-r", "1", "--iterations", "1",
                 "-q", "--report-dir", str(out))
    assert result.code == 1, result.text
    assert len(recording_server.matching("GET", "/status/503")) == 1
    assert "0 of 1 request failed" not in result.out
    assert "— 1 request, 1 failed" in result.out, result.out
    assert "1 of 1 request failed" in result.out
    assert result.summary["failures"][0]["message"] == "boom: HTTP 503"
    with (out / "loadspec_failures.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["Error"] for row in rows] == ["boom: HTTP 503"]
    assert "CatchResponseError" not in (out / "report.html").read_text(encoding="utf-8")
    assert "CatchResponseError" not in (out / "junit.xml").read_text(encoding="utf-8")


def test_one_threshold_reads_singular(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        thresholds: [requests >= 1]
        scenarios:
          - name: s
            steps:
              - {name: ok, get: /items}
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "-r", "1", "--iterations", "1", "-q")
    assert result.code == 0, result.text
    assert len(recording_server.requests) == 1
    assert "PASSED: the threshold passed — 1 request, 0 failed" in result.out
    assert "1 thresholds" not in result.out and "1 requests" not in result.out


def test_locust_task_ratio_names_the_scenario(tmp_path):
    """Locust's own `--show-task-ratio` on an exported locustfile (a process of its own: Locust
    monkey-patches whatever imports it)."""
    spec = write(tmp_path, """
        host: http://127.0.0.1:9
        scenarios:
          - {name: shopper, steps: [{name: a, get: /items}]}
        """)
    locustfile = tmp_path / "locustfile.py"
    exported = run_cli("export", str(spec), "-o", str(locustfile))
    assert exported.code == 0, exported.text
    done = subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--show-task-ratio"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "shopper: one iteration" in done.stdout + done.stderr
    assert "iteration_task" not in done.stdout + done.stderr
