"""The runner monitor that records what only exists while a test runs: user counts and chart history.

The runners call `StatsSampler` about once a second; the HTML and CSV reports read what it kept.
"""

from __future__ import annotations

import time
from typing import Any

from locust.stats import PERCENTILES_TO_REPORT, update_stats_history


class StatsSampler:
    """Runner monitor: records the user count whenever it changes and, every `interval` seconds,
    a point of Locust's chart history (for the HTML report) and a row of the CSV history."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.timeline: list[tuple[float, int]] = []
        self.history_rows: list[list[Any]] = []
        self._last = float("-inf")

    @property
    def peak_users(self) -> int:
        return max((users for _, users in self.timeline), default=0)

    def __call__(self, env: Any, elapsed: float) -> str | None:
        runner = env.runner
        users = runner.user_count if runner is not None else 0
        if not self.timeline or self.timeline[-1][1] != users:
            self.timeline.append((round(elapsed, 2), users))
        if runner is not None and elapsed - self._last >= self.interval:


            self._last = elapsed
            update_stats_history(runner)
            self.history_rows.append(history_row(env, users, time.time()))
        return None


def history_row(env: Any, users: int, now: float) -> list[Any]:
    """One row of Locust's `_stats_history.csv` for the aggregate (Locust's own columns)."""

    total = env.stats.total
    percentiles = ([int(total.get_response_time_percentile(p) or 0) for p in PERCENTILES_TO_REPORT]
                   if total.num_requests else ["N/A"] * len(PERCENTILES_TO_REPORT))
    return [int(now), users, "", total.name, f"{total.current_rps:2f}", f"{total.current_fail_per_sec:2f}",
            *percentiles, total.num_requests, total.num_failures, total.median_response_time,
            total.avg_response_time, total.min_response_time or 0, total.max_response_time,
            total.avg_content_length]


__all__ = ["StatsSampler", "history_row"]
