"""Benchmark: loadspec YAML against the equivalent hand-written FastHttpUser locustfile.

The same 3-step flow — log in and capture the token, list products with an assertion on the body
and capture an id, fetch that product with the token — runs as loadspec YAML (`loadspec run`) and
as a hand-written locustfile (`locust --headless`), one process each, against the same bundled
demo server, alternating runs. Where `taskset` exists the load generator is pinned to core 0 and
the server to core 1. Requests/s is requests / (last request − first request) in both cases.
Goal (issue #3): loadspec ≥ 0.95 × hand-written.

Run: python bench/bench_vs_locustfile.py [--rounds 3] [--seconds 15] [--users 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from loadspec.demo.server import DemoServer

SPEC = """\
name: bench-flow
scenarios:
  - name: shopper
    steps:
      - name: login
        post: /auth/login
        json: {email: "bench{{ user_id }}@example.com", password: secret}
        capture:
          token: {json: access_token}
      - name: list
        get: /products
        headers: {Authorization: "Bearer {{ token }}"}
        assert:
          - {json: length(products), gt: 0}
        capture:
          product_id: {json: "products[0].id"}
      - name: detail
        get: /products/{{ product_id }}
        headers: {Authorization: "Bearer {{ token }}"}
"""

LOCUSTFILE = '''\
"""The bench flow written by hand, the way a Locust user would."""
import itertools

from locust import FastHttpUser, constant, task

_ids = itertools.count(1)


class Shopper(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.user_id = next(_ids)

    @task
    def flow(self):
        with self.client.post("/auth/login", json={"email": f"bench{self.user_id}@example.com",
                              "password": "secret"}, name="login", catch_response=True) as resp:
            if resp.status_code >= 400:
                resp.failure(f"login: HTTP {resp.status_code}")
                return
            try:
                token = resp.json()["access_token"]
            except (ValueError, KeyError):
                resp.failure("login: no token")
                return
            resp.success()
        headers = {"Authorization": f"Bearer {token}"}
        with self.client.get("/products", headers=headers, name="list", catch_response=True) as resp:
            try:
                products = resp.json()["products"]
            except (ValueError, KeyError):
                resp.failure("list: not JSON")
                return
            if resp.status_code >= 400 or not len(products) > 0:
                resp.failure("list: assert failed")
                return
            product_id = products[0]["id"]
            resp.success()
        with self.client.get(f"/products/{product_id}", headers=headers, name="detail",
                             catch_response=True) as resp:
            if resp.status_code >= 400:
                resp.failure(f"detail: HTTP {resp.status_code}")
            else:
                resp.success()
'''


def timed(command: list[str], timeout: float) -> float:
    """Run a child process; return the CPU seconds (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=False, capture_output=True, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def run_loadspec(folder: Path, host: str, args: argparse.Namespace, tag: str) -> tuple[float, float, int]:
    out = folder / f"loadspec-{tag}.json"
    command = [*pin(0), sys.executable, "-m", "loadspec", "run", str(folder / "bench.yaml"), "--host", host,
               "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "-q", "--json", str(out)]
    cpu = timed(command, args.seconds + 60)
    totals = json.loads(out.read_text())["totals"]
    return totals["rps"], totals["requests"] / cpu, totals["failures"]


def run_locustfile(folder: Path, host: str, args: argparse.Namespace, tag: str) -> tuple[float, float, int]:
    prefix = folder / f"locust-{tag}"
    locust = Path(sys.executable).with_name("locust")
    command = [*pin(0), str(locust), "-f", str(folder / "locustfile.py"), "--headless", "--host", host,
               "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--only-summary",
               "--json-file", str(prefix)]
    cpu = timed(command, args.seconds + 60)
    entries = json.loads(Path(f"{prefix}.json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] for e in entries)
    return requests / (end - start), requests / cpu, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, DemoServer() as server:
        folder = Path(tmp)
        (folder / "bench.yaml").write_text(SPEC)
        (folder / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
        if shutil.which("taskset") and server._proc is not None:  # noqa: SLF001 - pin the target
            subprocess.run(["taskset", "-pc", "1", str(server._proc.pid)], capture_output=True, check=False)
        results: dict[str, list[tuple[float, float]]] = {"loadspec": [], "locustfile": []}
        for round_no in range(1, args.rounds + 1):
            for label, runner in (("loadspec", run_loadspec), ("locustfile", run_locustfile)):
                rps, per_cpu, failures = runner(folder, server.url, args, f"{round_no}")
                results[label].append((rps, per_cpu))
                print(f"round {round_no} {label:10s} {rps:8.1f} req/s  {per_cpu:8.1f} req/CPU-s  "
                      f"failures {failures}", flush=True)
    ours = [statistics.median(v) for v in zip(*results["loadspec"], strict=True)]
    theirs = [statistics.median(v) for v in zip(*results["locustfile"], strict=True)]
    print(f"\nmedians over {args.rounds} alternating rounds of {args.seconds}s, {args.users} users:")
    print(f"  throughput      loadspec {ours[0]:8.1f} req/s      hand-written {theirs[0]:8.1f} req/s      "
          f"ratio {ours[0] / theirs[0]:.3f}")
    print(f"  per CPU-second  loadspec {ours[1]:8.1f} req/CPU-s  hand-written {theirs[1]:8.1f} req/CPU-s  "
          f"ratio {ours[1] / theirs[1]:.3f}")
    print("  goal: loadspec >= 0.95 x hand-written")


if __name__ == "__main__":
    main()
