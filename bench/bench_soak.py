"""Soak benchmark: does a long `loadspec run` hold its memory flat?

Runs the 3-step bench flow (log in and capture the token, list products with an assertion and
capture an id, fetch that product) with 20 users for 10 minutes against the bundled demo server,
as one `loadspec run` process, and samples that process's resident memory every 15 s with psutil.
It prints each sample, the least-squares slope in MB per minute over the samples after the first
minute (warm-up: imports, connection pools, Locust's histograms filling; the first quarter of a
shorter run), and the run's requests
from its JSON summary. A flat run has a slope near 0; a leak shows as a steady positive slope.

Run: python bench/bench_soak.py [--minutes 10] [--users 20] [--every 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_vs_locustfile import SPEC as BENCH_FLOW  # bench/ is on sys.path when run as a script

from loadspec.demo.server import DemoServer

WARM_UP_S = 60.0


def sample(process: psutil.Process) -> float:
    """Resident memory of the loadspec process, in MB."""
    return process.memory_info().rss / (1024 * 1024)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares MB per minute through (seconds, MB) points; None with fewer than 2."""
    if len(points) < 2:
        return None
    seconds, mb = zip(*points, strict=True)
    return statistics.linear_regression(seconds, mb).slope * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--every", type=float, default=15.0, help="seconds between RSS samples")
    args = parser.parse_args()
    seconds = max(1, round(args.minutes * 60))
    with tempfile.TemporaryDirectory() as tmp, DemoServer() as server:
        folder = Path(tmp)
        (folder / "soak.yaml").write_text(BENCH_FLOW)
        summary = folder / "summary.json"
        command = [sys.executable, "-m", "loadspec", "run", str(folder / "soak.yaml"), "--host", server.url,
                   "-u", str(args.users), "-r", str(args.users), "-t", f"{seconds}s", "-q", "--json", str(summary)]
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        process = psutil.Process(child.pid)
        started = time.monotonic()
        points: list[tuple[float, float]] = []
        print(f"soak: {args.users} users for {seconds}s, RSS every {args.every:g}s")
        try:
            while child.poll() is None:
                elapsed = time.monotonic() - started
                try:
                    mb = sample(process)
                except psutil.NoSuchProcess:
                    break
                points.append((elapsed, mb))
                print(f"  {elapsed:6.0f}s  {mb:7.1f} MB", flush=True)
                deadline = started + len(points) * args.every
                while child.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.2)
        finally:
            if child.poll() is None:
                child.terminate()
            _, err = child.communicate(timeout=60)
        warm_up = min(WARM_UP_S, seconds / 4)  # a short run (--minutes 1) keeps its last three quarters
        settled = [p for p in points if p[0] >= warm_up] or points
        rate = slope(settled)
        totals = json.loads(summary.read_text())["totals"] if summary.exists() else None
    if totals is not None:
        print(f"requests: {totals['requests']} ({totals['failures']} failed), {totals['rps']:.0f} req/s")
    elif err:
        print(err[-2000:], file=sys.stderr)
    if rate is None:
        print("slope: not enough samples (run longer than two sampling intervals)")
    else:
        first, last = settled[0][1], settled[-1][1]
        print(f"RSS slope after warm-up: {rate:+.2f} MB/min ({first:.1f} → {last:.1f} MB over "
              f"{settled[-1][0] - settled[0][0]:.0f}s, {len(settled)} samples)")


if __name__ == "__main__":
    main()
