"""Micro-benchmark: a minimal Locust User on loadspec's wire client against FastHttpUser, plain GET.

Both are locustfiles run with `locust --headless`: one a `FastHttpUser` calling
`self.client.get("/health")`, the other a plain `User` that sends a request prepared once with
`loadspec.engine.wire.prepare` through its own `WireClient` and fires Locust's `events.request`
once per request (so Locust's stats see both the same way). Same target, pinning and counting as
bench_vs_k6.py: the generator on core 0, the target on core 1, requests counted by the target after
a warm-up, CPU seconds from /proc. Only `--quick` for now; the full run belongs on a quiet machine.

Run: python bench/bench_wire.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_vs_k6 import make_target, measure, pin  # noqa: E402

FAST = '''\
from locust import FastHttpUser, constant, task


class Fast(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/health", name="health")
'''

WIRE = '''\
from locust import User, constant, task

from loadspec.engine.wire import WireClient, prepare


class Failed(Exception):
    pass


class Wire(User):
    wait_time = constant(0)

    def on_start(self):
        self.wire = WireClient(self.host)
        self.health_request = prepare("GET", "/health", base_url=self.host)
        self.fire = self.environment.events.request.fire

    @task
    def health(self):
        response = self.wire.send(self.health_request)
        problem = response.error or (f"HTTP {response.status}" if response.status >= 400 else None)
        self.fire(request_type="GET", name="health", response_time=response.elapsed_ms,
                  response_length=response.size, exception=Failed(problem) if problem else None,
                  context={}, url=response.url, response=response)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round, 3 s after 1 s warm-up")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--target", choices=("auto", "nginx", "demo"), default="auto")
    args = parser.parse_args()
    if not args.quick:
        raise SystemExit("only --quick for now: the full run belongs on a quiet machine (see bench_vs_k6.py)")
    rounds, seconds, warmup = 1, 3.0, 1.0
    locust = str(Path(sys.executable).with_name("locust"))
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as tmp:
        folder = Path(tmp)
        (folder / "fast.py").write_text(FAST)
        (folder / "wire.py").write_text(WIRE)
        target = make_target(args.target, folder)
        results: dict[str, list[tuple[float, float]]] = {"fast": [], "wire": []}
        try:
            for round_no in range(1, rounds + 1):
                for label in ("fast", "wire"):
                    command = [*pin(0), locust, "-f", str(folder / f"{label}.py"), "--headless", "--host", target.url,
                               "-u", str(args.users), "-r", str(args.users), "-t", "120s", "--only-summary",
                               "--loglevel", "ERROR"]
                    sample = measure(command, target, folder / f"{label}.log", warmup, seconds)
                    results[label].append((sample.rps, sample.per_cpu))
                    print(f"round {round_no} {label:4s} {sample.rps:8.0f} req/s {sample.per_cpu:8.0f} req/CPU-s  "
                          f"generator CPU {sample.generator_cpu:4.0%}  target CPU {sample.target_cpu:4.0%}  "
                          f"non-2xx {sample.not_2xx}", flush=True)
        finally:
            target.close()
    fast = [statistics.median(v) for v in zip(*results["fast"], strict=True)]
    wire = [statistics.median(v) for v in zip(*results["wire"], strict=True)]
    print(f"\nplain GET, {args.users} users, target {target.label}, counted by the target:")
    print(f"  wire / FastHttpUser  throughput {wire[0] / fast[0]:.2f}x   per CPU-s {wire[1] / fast[1]:.2f}x")
    print("(--quick: one short round on a shared machine; noisy, not a measurement)")


if __name__ == "__main__":
    main()
