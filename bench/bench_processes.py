"""Benchmark: `loadspec run --processes 2` against one process, on the bench flow.

The 3-step bench flow — log in and capture the token, list products with an
assertion on the body and capture an id, fetch that product with the token — runs against the
bundled demo server (its own process) as `loadspec run` in one process and as `loadspec run
--processes 2` (a library-mode Locust master plus two forked Locust workers), alternating runs.
Requests/s is the Total row of loadspec's JSON summary (requests / (last request − first request)
as Locust counts it on the master); "wall" is requests / the run's elapsed time, as a cross-check;
req/CPU-s divides the requests by the CPU time of the whole process tree (master, workers).
Nothing is pinned: on a 2-core machine the server shares the cores with the workers, so expect a
ratio near 1, not 2.

Run: python bench/bench_processes.py [--rounds 3] [--seconds 15] [--users 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_vs_locustfile import SPEC as BENCH_FLOW  # bench/ is on sys.path when run as a script

from loadspec.demo.server import DemoServer

SPEC = BENCH_FLOW  # the same 3-step flow bench_vs_locustfile.py measures


def run(folder: Path, host: str, args: argparse.Namespace, processes: int,
        tag: str) -> tuple[float, float, float, int]:
    """One `loadspec run`; returns (requests/s, requests/s by wall clock, requests per CPU-second, failures)."""
    out = folder / f"{tag}.json"
    command = [sys.executable, "-m", "loadspec", "run", str(folder / "bench.yaml"), "--host", host,
               "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "-q", "--json", str(out)]
    if processes > 1:
        command += ["--processes", str(processes)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=False, capture_output=True, timeout=args.seconds + 90)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(out.read_text())
    totals = summary["totals"]
    return totals["rps"], totals["requests"] / summary["elapsed_s"], totals["requests"] / cpu, totals["failures"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    labels = {1: "1 process", args.processes: f"--processes {args.processes}"}
    results: dict[int, list[tuple[float, float, float]]] = {1: [], args.processes: []}
    print(f"{os.cpu_count()} cores; demo server in its own process; {args.users} users, "
          f"{args.seconds}s per run", flush=True)
    with tempfile.TemporaryDirectory() as tmp, DemoServer() as server:
        folder = Path(tmp)
        (folder / "bench.yaml").write_text(SPEC)
        for round_no in range(1, args.rounds + 1):
            for processes in (1, args.processes):
                rps, wall, per_cpu, failures = run(folder, server.url, args, processes, f"{round_no}-{processes}")
                results[processes].append((rps, wall, per_cpu))
                print(f"round {round_no} {labels[processes]:14s} {rps:8.1f} req/s  (wall {wall:8.1f})  "
                      f"{per_cpu:8.1f} req/CPU-s  failures {failures}", flush=True)
    one = [statistics.median(values) for values in zip(*results[1], strict=True)]
    many = [statistics.median(values) for values in zip(*results[args.processes], strict=True)]
    print(f"\nmedians over {args.rounds} alternating rounds:")
    print(f"  throughput      1 process {one[0]:8.1f} req/s      {labels[args.processes]} {many[0]:8.1f} req/s"
          f"      ratio {many[0] / one[0]:.2f}")
    print(f"  wall clock      1 process {one[1]:8.1f} req/s      {labels[args.processes]} {many[1]:8.1f} req/s"
          f"      ratio {many[1] / one[1]:.2f}")
    print(f"  per CPU-second  1 process {one[2]:8.1f} req/CPU-s  {labels[args.processes]} {many[2]:8.1f} req/CPU-s"
          f"  ratio {many[2] / one[2]:.2f}")


if __name__ == "__main__":
    main()
