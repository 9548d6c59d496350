"""`loadspec compare` and `baseline` thresholds judge a run against an earlier one.

Two real runs against the recording server, whose /slow endpoint sleeps as long as it is told
(`?ms=`): the server's own record says what each run sent, and a step made slower on the server's
side is the one `compare` flags (exit 3), while an unchanged run passes (exit 0). Unreadable input
is exit 2 with a message, never a traceback. `p95 < baseline + N%` in a spec takes its limit from
`--baseline FILE` and shows it in the terminal, summary.json and JUnit.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

SPEC = """
    scenarios:
      - name: s
        steps:
          - {name: fast, get: /items}
          - {name: slow, get: "/slow?ms={{ delay }}"}
    """


def _spec(tmp_path: Path, thresholds: str = "") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(thresholds) + textwrap.dedent(SPEC), encoding="utf-8")
    return path


def _run(cli, spec: Path, server, delay: int, out: Path, *extra: str, iterations: int = 8):
    result = cli("run", str(spec), "--host", server.url, "-u", "2", "-r", "20", "--iterations", str(iterations), "-q",
                 "--var", f"delay={delay}", "--json", str(out), *extra, summary=False)
    return result


def test_compare_passes_an_unchanged_run_and_flags_the_step_the_server_slowed(tmp_path, recording_server, cli):
    spec = _spec(tmp_path)
    base, same, slower = tmp_path / "base.json", tmp_path / "same.json", tmp_path / "slower.json"
    for path, delay in ((base, 20), (same, 20), (slower, 220)):
        done = _run(cli, spec, recording_server, delay, path)
        assert done.code == 0, done.text
    slow_asks = [r.query["ms"][0] for r in recording_server.matching("GET", "/slow")]
    assert slow_asks == ["20"] * 16 + ["20"] * 16 + ["220"] * 16
    assert len(recording_server.matching("GET", "/items")) == 48

    # --ignore-under 50ms: two runs of a 20 ms endpoint on a busy machine may differ by a few ms
    unchanged = cli("compare", str(base), str(same), "--ignore-under", "50ms", summary=False)
    assert unchanged.code == 0, unchanged.text
    assert "PASSED: no step regressed beyond 10%" in unchanged.out
    assert "REGRESSED" not in unchanged.out and "Traceback" not in unchanged.text

    junit = tmp_path / "compare.xml"
    regressed = cli("compare", str(base), str(slower), "--ignore-under", "50ms", "--metrics", "p50,p95,p99,error_rate",
                    "--junit", str(junit), summary=False)
    assert regressed.code == 3, regressed.text
    rows = {line.split()[0]: line for line in regressed.out.splitlines() if line.startswith(("fast", "slow"))}
    assert rows["slow"].endswith("REGRESSED") and "! " in rows["slow"]
    assert rows["fast"].endswith("ok")
    assert "REGRESSED: 2 steps beyond 10%: 'slow' (p50, p95, p99), 'Total' (p50, p95, p99)" in regressed.out
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    assert set(cases) == {"fast", "slow", "Total"}
    assert cases["slow"].find("failure") is not None and cases["fast"].find("failure") is None
    assert cases["Total"].find("failure") is not None

    tolerant = cli("compare", str(base), str(slower), "--max-regression", "2000%", summary=False)
    assert tolerant.code == 0, tolerant.text


def test_compare_judges_rps_and_error_rate(tmp_path, recording_server, cli):
    spec = _spec(tmp_path)
    base = tmp_path / "base.json"
    assert _run(cli, spec, recording_server, 1, base).code == 0
    data = json.loads(base.read_text(encoding="utf-8"))
    worse = json.loads(json.dumps(data))
    for row in [*worse["steps"], worse["totals"]]:
        if row.get("name") in ("fast", "Total"):
            row["rps"] = row["rps"] * 0.5
    (tmp_path / "half_rps.json").write_text(json.dumps(worse), encoding="utf-8")
    done = cli("compare", str(base), str(tmp_path / "half_rps.json"), "--metrics", "rps", summary=False)
    assert done.code == 3 and "'fast' (rps)" in done.out, done.text

    errors = json.loads(json.dumps(data))
    errors["steps"][0]["error_rate"] = 0.05
    (tmp_path / "errors.json").write_text(json.dumps(errors), encoding="utf-8")
    done = cli("compare", str(base), str(tmp_path / "errors.json"), "--metrics", "error_rate", summary=False)
    assert done.code == 3 and "'fast' (error_rate)" in done.out, done.text


def test_compare_unreadable_input_is_exit_2_with_a_message(tmp_path, cli):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"steps": [], "totals": {"name": "Total", "requests": 0}}), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps({"hello": 1}), encoding="utf-8")
    for bad, words in (("missing.json", "no such file"), ("broken.json", "not JSON (line 1"),
                       ("other.json", "not a loadspec summary.json")):
        done = cli("compare", str(good), str(tmp_path / bad), summary=False)
        assert done.code == 2, done.text
        assert words in done.err and "Traceback" not in done.text
    done = cli("compare", str(good), str(good), "--max-regression", "lots", summary=False)
    assert done.code == 2 and "expected a percentage" in done.err


def test_baseline_thresholds_take_their_limit_from_the_baseline_run(tmp_path, recording_server, cli):
    base = tmp_path / "base.json"
    assert _run(cli, _spec(tmp_path), recording_server, 20, base).code == 0
    rows = json.loads(base.read_text())["steps"]
    baseline_p95 = next(r for r in rows if r["name"] == "slow")["percentiles_ms"]["p95"]
    spec = _spec(tmp_path, """
        thresholds:
          - {check: p95 < baseline + 500%, step: slow}
          - error_rate <= baseline
        """)
    out = tmp_path / "out"
    held = _run(cli, spec, recording_server, 20, tmp_path / "held.json", "--baseline", str(base))
    assert held.code == 0, held.text
    broke = _run(cli, spec, recording_server, 1000, tmp_path / "broke.json", "--baseline", str(base),
                 "--junit", str(out / "junit.xml"), iterations=3)
    assert broke.code == 3, broke.text
    assert [r.query["ms"][0] for r in recording_server.matching("GET", "/slow")] == ["20"] * 32 + ["1000"] * 6
    summary = json.loads((tmp_path / "broke.json").read_text())
    p95 = summary["thresholds"][0]
    assert p95["baseline"] == {"margin": 5.0, "value": baseline_p95}
    assert p95["value"] == baseline_p95 * 6 and not p95["passed"] and p95["actual"] >= 1000
    whole = baseline_p95 >= 100 or float(baseline_p95).is_integer()
    shown = f"{baseline_p95:.0f}ms" if whole else f"{baseline_p95:.1f}ms"
    assert p95["note"].startswith(f"baseline {shown} + 500% = ")  # times under 100 ms keep one decimal
    case = next(c for c in ET.parse(out / "junit.xml").iter("testcase") if c.get("name").startswith("p95 < baseline"))
    assert "baseline" in case.find("failure").get("message")

    missing = cli("run", str(spec), "--host", recording_server.url, "--iterations", "1", "-q", "--var", "delay=1",
                  summary=False)
    assert missing.code == 2 and "pass --baseline FILE" in missing.err, missing.text
    requests_before = len(recording_server.requests)
    no_step = _spec(tmp_path, "thresholds: [{check: p95 < baseline, step: nowhere}]\n")
    done = cli("run", str(no_step), "--host", recording_server.url, "--iterations", "1", "-q", "--var", "delay=1",
               "--baseline", str(base), summary=False)
    assert done.code == 2 and len(recording_server.requests) == requests_before, done.text
