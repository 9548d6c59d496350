"""The engine: the only package that imports Locust and gevent.

compiler (Spec → Locust user classes, at compile time), steps (the per-request hot path), wire (the
default HTTP client, with encoding for bodies), pools (data rows), runner (one process, headless or
web UI), distributed (master/worker), sampler, debug.
Importing it imports Locust first, which monkey-patches the process with gevent: do it before
anything imports `ssl` or opens sockets.
"""

import locust  # noqa: F401  (first: gevent's monkey-patching must precede ssl and sockets)

__all__: list[str] = []  # importing it imports Locust; use the modules
