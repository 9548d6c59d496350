"""Locust's four CSV files, written from the final statistics with Locust's own CSV writer."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, get_readable_percentiles

from ..engine.sampler import history_row
from .report import RunReport


def write_csv(report: RunReport, prefix: str | Path) -> list[Path]:
    """Locust's four CSV files (`PREFIX_stats.csv`, `_stats_history.csv`, `_failures.csv`,
    `_exceptions.csv`), written from the final statistics rather than Locust's 1 s-stale writer."""

    env = report.outcome.environment
    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    base = str(prefix)
    paths = [Path(base + suffix) for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv",
                                                "_exceptions.csv")]
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    with paths[0].open("w", newline="") as handle:
        writer.requests_csv(csv.writer(handle))
    with paths[1].open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
                      *get_readable_percentiles(PERCENTILES_TO_REPORT), "Total Request Count",
                      "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
                      "Total Min Response Time", "Total Max Response Time", "Total Average Content Size"])
        rows = report.sampler.history_rows if report.sampler else []
        out.writerows(rows)
        out.writerow(history_row(env, 0, time.time()))
    with paths[2].open("w", newline="") as handle:
        writer.failures_csv(csv.writer(handle))
    with paths[3].open("w", newline="") as handle:
        writer.exceptions_csv(csv.writer(handle))
    return paths



__all__ = ["write_csv"]
