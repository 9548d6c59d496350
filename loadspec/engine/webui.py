"""A loadspec tab in Locust's own web UI: the thresholds' live verdict and the failure examples.

Locust's UI shows extra tabs listed in its `extended_tabs` template argument, each a table whose rows
come from the `extended_stats` of its `/stats/requests` answer (Locust's documented extension point,
see its `examples/extend_web_ui.py`). This module fills both from the compiled test: nothing here
runs load or changes Locust's own pages.
"""

from __future__ import annotations

import json
from typing import Any

from ..results.stats import collect
from ..results.thresholds import evaluate
from .compiler import CompiledTest

THRESHOLDS_TAB = "loadspec-thresholds"
FAILURES_TAB = "loadspec-failures"
STATS_PATH = "/stats/requests"

_TABS = [{"title": "loadspec thresholds", "key": THRESHOLDS_TAB},
         {"title": "loadspec failures", "key": FAILURES_TAB}]
_TABLES = [
    {"key": THRESHOLDS_TAB, "structure": [
        {"key": "verdict", "title": "Verdict"}, {"key": "threshold", "title": "Threshold"},
        {"key": "step", "title": "Step"}, {"key": "actual", "title": "Actual now"},
        {"key": "note", "title": "Note"}]},
    {"key": FAILURES_TAB, "structure": [
        {"key": "step", "title": "Step"}, {"key": "message", "title": "Failure"},
        {"key": "request", "title": "First example"}, {"key": "status", "title": "Status"},
        {"key": "body", "title": "Response body (start)"}]},
]


def threshold_rows(test: CompiledTest, env: Any, order: list[str]) -> list[dict[str, str]]:
    """Each threshold of the spec judged on the statistics so far."""
    if not test.spec.thresholds:
        return [{"verdict": "", "threshold": "(the spec has no thresholds)", "step": "", "actual": "", "note": ""}]
    results = collect(env.stats, order, elapsed_s=max(env.stats.total.last_request_timestamp or 0.0, 0.0)
                      - (env.stats.total.start_time or 0.0), run_log=test.run_log)
    return [{"verdict": "pass" if check.passed else "FAIL", "threshold": check.threshold.text,
             "step": check.scope, "actual": check.actual_text, "note": check.full_note}
            for check in evaluate(test.spec.thresholds, results)]


def failure_rows(test: CompiledTest) -> list[dict[str, str]]:
    """The first kept example of each distinct failure message."""
    rows = []
    for message, examples in test.run_log.examples.items():
        first = examples[0] if examples else None
        rows.append({"step": first.step if first else "", "message": message,
                     "request": f"{first.method} {first.url}" if first else "",
                     "status": str(first.status or "no response") if first else "",
                     "body": " ".join(first.body_excerpt.split())[:200] if first else ""})
    return rows or [{"step": "", "message": "(no failed request yet)", "request": "", "status": "", "body": ""}]


def install_tab(web_ui: Any, env: Any, test: CompiledTest, order: list[str]) -> None:
    """Add the loadspec tabs to a Locust `WebUI` of `env` serving `test`."""
    web_ui.template_args.update(extended_tabs=_TABS, extended_tables=_TABLES)

    @web_ui.app.after_request
    def add_loadspec_stats(response: Any) -> Any:
        from flask import request

        if request.path != STATS_PATH or not response.is_json:
            return response
        payload = response.get_json()
        payload["extended_stats"] = [{"key": THRESHOLDS_TAB, "data": threshold_rows(test, env, order)},
                                     {"key": FAILURES_TAB, "data": failure_rows(test)}]
        response.set_data(json.dumps(payload))
        return response


__all__ = ["FAILURES_TAB", "THRESHOLDS_TAB", "failure_rows", "install_tab", "threshold_rows"]
