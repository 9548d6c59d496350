"""Start and stop the importers' FastAPI test app (tests/importers/app.py) in a subprocess: standard library only.

The test process imports this, never the app itself, so FastAPI and anyio stay out of the process
that runs Locust (gevent must patch the process before they load).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: The password the app's /token accepts (for any username).
PASSWORD = "s3cret-pass"
APP = Path(__file__).resolve().parent / "app.py"


def start_app(timeout: float = 30.0) -> tuple[str, Callable[[], None]]:
    """Run this app in a subprocess on a free 127.0.0.1 port; return (base_url, stop)."""
    proc = subprocess.Popen([sys.executable, str(APP), "--port", "0"], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("LISTENING "):
        stop()
        raise RuntimeError(f"the importers test app did not start (got {line!r}, exit code {proc.poll()})")
    return line.split(" ", 1)[1].strip(), stop
