"""The JSON summary report (`summary.json`): run facts, verdict, per-step percentiles, thresholds, failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .._version import __version__
from ..results.runlog import FailureExample, examples_for
from ..results.stats import PERCENTILE_PRECISION
from ..sources.features import step_tags
from .report import RunReport


def _example_dict(example: FailureExample) -> dict[str, Any]:
    return {"step": example.step, "method": example.method, "url": example.url, "status": example.status,
            "message": example.message, "body_excerpt": example.body_excerpt}


def summary_dict(report: RunReport) -> dict[str, Any]:
    """The JSON summary: run facts, verdict, per-step percentiles, thresholds, failures, users."""
    results, spec = report.results, report.test.spec
    log = report.test.run_log
    plan = report.plan
    tags = step_tags(spec)
    return {
        "loadspec_version": __version__,
        "name": spec.name,
        "file": str(spec.source) if spec.source else None,
        "environment": spec.environment,
        "host": report.test.host,
        "profile": plan.profile,
        "plan": {"description": plan.describe(), "users": plan.users, "spawn_rate": plan.spawn_rate,
                 "duration_s": plan.duration, "iterations": plan.iterations,
                 "stages": [{"duration_s": s.duration, "users": s.users, "spawn_rate": s.spawn_rate}
                            for s in plan.stages],
                 "rate_per_s": plan.rate, "max_users": plan.max_users,
                 "rate_stages": [{"duration_s": s.duration, "rate_per_s": s.rate} for s in plan.rate_stages]},
        "started_at": datetime.fromtimestamp(report.started_at, UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(results.elapsed_s, 3),
        "ended_by": report.outcome.ended_by,
        "exit_code": report.verdict.exit_code,
        "status": report.verdict.status,
        "reason": report.verdict.reason,
        "totals": results.total.as_dict(),
        "steps": [{**row.as_dict(), "tags": tags.get(row.name, {})} for row in results.steps],
        "iterations": {"started": results.iterations_started, "dropped": results.dropped_iterations},
        "dropped_iterations": results.dropped_iterations,
        "thresholds": [check.as_dict() for check in report.checks],
        "assertions": {"checked": results.assertions_checked, "failed": results.assertions_failed,
                       "pass_rate": results.assert_pass_rate},
        "failures": [{"step": f.name, "method": f.method, "message": f.message, "count": f.count,
                      "examples": [_example_dict(e) for e in examples_for(f.message, log.examples)]}
                     for f in results.failures],
        "stop_reason": results.stop_reason,
        "users": {"peak": report.sampler.peak_users if report.sampler else None,
                  "timeline": [list(point) for point in report.sampler.timeline] if report.sampler else []},
        "stress": report.stress.as_dict() if report.stress is not None else None,
        "notes": report.notes,
        "percentile_precision": PERCENTILE_PRECISION,
    }


def json_text(report: RunReport) -> str:
    return json.dumps(summary_dict(report), indent=2, ensure_ascii=False) + "\n"



__all__ = ["json_text", "summary_dict"]
