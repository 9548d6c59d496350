"""Benchmark: validate a generated spec with 5,000 steps (issue #2 goal: under 1 s).

Two generated specs, each in a temp folder with a CSV pool, timed with `load_spec` (YAML parse with
positions, JSON Schema, every semantic check) over several runs, best and median printed:
- "typical": the mix a recorded or hand-written journey has — 60% plain requests with a status
  assertion, 20% with a templated JSON body and a JMESPath capture, 20% with a templated header and
  two assertions (about 5.5 lines a step);
- "heavy": every step has a templated header pair, a JSON body, a capture and four assertions
  (11 lines a step), as a worst case.
Run: python bench/bench_validate.py [STEPS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from loadspec import load_spec

TYPICAL = (
    """      - name: page {i}
        get: /items/{{{{ item_id }}}}?page={i}
        assert: [{{status: 200}}]
""",
    """      - name: page {i}
        get: /items/{{{{ item_id }}}}?page={i}
        assert: [{{status: 200}}]
""",
    """      - name: page {i}
        get: /items/{{{{ item_id }}}}?page={i}
        assert: [{{status: 200}}]
""",
    """      - name: create {i}
        post: /items
        json: {{owner: "{{{{ users.email }}}}", n: {i}}}
        capture:
          item_id: {{json: "items[0].id"}}
        assert: [{{status: 201}}]
""",
    """      - name: detail {i}
        get: /items/{{{{ item_id }}}}
        headers: {{Authorization: "Bearer {{{{ token }}}}"}}
        assert:
          - status: 200
          - {{json: id, exists: true}}
""",
)

STEP = """      - name: step {i}
        post: /items/{{{{ item_id }}}}/things?page={i}
        headers: {{Authorization: "Bearer {{{{ token }}}}", X-Trace: "{{{{ uuid() }}}}"}}
        json: {{user: "{{{{ users.email }}}}", n: {i}, tags: [a, b]}}
        capture:
          item_id: {{json: "items[?stock > `0`].id", pick: random}}
        assert:
          - status: 200
          - {{json: length(items), gt: 0}}
          - {{header: Content-Type, contains: json}}
          - duration: {{lt: 800ms}}
"""


def generate(folder: Path, steps: int, *, heavy: bool = True) -> Path:
    (folder / "users.csv").write_text("email,password\n" + "".join(f"u{i}@x.io,pw\n" for i in range(100)))
    head = """version: 1
name: big
host: http://127.0.0.1:8000
data:
  users: {csv: users.csv, order: unique}
thresholds: [p95 < 500ms, error_rate < 1%]
scenarios:
  - name: big
    setup:
      - name: login
        post: /auth/login
        json: {email: "{{ users.email }}", password: "{{ users.password }}"}
        capture:
          token: {json: access_token}
          item_id: {json: first_item}
    steps:
"""
    path = folder / ("heavy.yaml" if heavy else "typical.yaml")
    body = [STEP.format(i=i) if heavy else TYPICAL[i % len(TYPICAL)].format(i=i) for i in range(steps)]
    path.write_text(head + "".join(body))
    return path


def measure(steps: int, heavy: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp), steps, heavy=heavy)
        lines = path.read_text().count("\n")
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            spec = load_spec(path)
            timings.append(time.perf_counter() - start)
        assert len(spec.scenarios[0].steps) == steps
    label = "heavy" if heavy else "typical"
    print(f"validate {steps} {label} steps ({lines} lines): best {min(timings):.3f}s, "
          f"median {statistics.median(timings):.3f}s over {len(timings)} runs (goal < 1 s)")


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    measure(steps, heavy=False)
    measure(steps, heavy=True)


if __name__ == "__main__":
    main()
