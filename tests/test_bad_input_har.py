"""A HAR file that holds requests only (entries without a `response`, as some tools export) is
refused with a message that says what is missing, through the real `loadspec convert` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _entry(method: str, url: str) -> dict[str, object]:
    return {"startedDateTime": "2024-01-01T00:00:00Z", "time": 1,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [],
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0}}


def test_a_requests_only_har_says_the_responses_are_missing(tmp_path: Path) -> None:
    har = tmp_path / "requests_only.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "exporter", "version": "1"},
                                       "entries": [_entry("GET", "http://127.0.0.1:9/a"),
                                                   _entry("POST", "http://127.0.0.1:9/b")]}}))
    out = tmp_path / "out.yaml"
    done = subprocess.run([sys.executable, "-m", "loadspec", "convert", str(har), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 no response recorded" in done.stderr
    assert "holds requests only: export it with responses" in done.stderr
    assert "status 0" not in done.stderr  # not mistaken for aborted requests
    assert not out.exists()
