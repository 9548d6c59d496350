"""Start Trac (the ticket tracker) on 127.0.0.1 with a fresh environment and database.

Shell: `python tests/realapps/trac/start.py [--dir DIR] [--port N]` prints `LISTENING <url>`.
Log in with HTTP Basic authentication on /login as admin / Secr3t-pass (the way `tracd
--basic-auth` protects only /login; Trac then keeps the login in its `trac_auth` cookie). The
admin has TRAC_ADMIN; the ticket deleter (tracopt.ticket.deleter) is enabled. Tests:
`common.running(this file)`. Answers are logged to DIR/requests.log; the database is
DIR/db.sqlite3 (tables ticket, ticket_change).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import serve  # noqa: E402

USERNAME = "admin"
PASSWORD = "Secr3t-pass"


def trac_multipart() -> None:
    """Make `import multipart` give Trac the module it needs (defnull's `multipart`): loadspec's test
    extras install `python-multipart`, whose shim of the same name replaces it in the venv. A private
    copy is installed once into the corpus cache and put first on sys.path."""
    try:
        import multipart

        if hasattr(multipart, "parse_options_header"):
            return
    except ImportError:
        pass
    cache = Path(tempfile.gettempdir()) / "loadspec-realapps-cache"
    target = cache / "trac-multipart"
    cache.mkdir(exist_ok=True)
    with open(cache / "trac-multipart.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not any(target.glob("multipart*")):
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                            "multipart>=1.0,<2"], check=True)
    sys.path.insert(0, str(target))
    sys.modules.pop("multipart", None)


def create(folder: Path) -> Path:
    """A new Trac environment in folder/env whose SQLite database is folder/db.sqlite3."""
    from trac.env import Environment
    from trac.perm import PermissionSystem

    path = folder / "env"
    env = Environment(str(path), create=True, options=[
        ("project", "name", "Demo"),
        ("trac", "database", f"sqlite:{folder / 'db.sqlite3'}"),
        ("trac", "base_url", ""),
        ("components", "tracopt.ticket.deleter.*", "enabled"),
        ("logging", "log_type", "file"),
        ("logging", "log_level", "ERROR"),  # env/log/trac.log: the tracebacks behind any 500
    ])
    PermissionSystem(env).grant_permission(USERNAME, "TRAC_ADMIN")
    env.shutdown()
    return path


def application(env_path: Path) -> Callable[..., Iterable[bytes]]:
    """Trac's WSGI entry point for one environment, with Basic authentication on /login."""
    from trac.web.main import dispatch_request

    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["trac.env_path"] = str(env_path)
        if environ.get("PATH_INFO", "").rstrip("/") == "/login":
            if environ.get("HTTP_AUTHORIZATION") != expected:
                start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="trac"'),
                                                    ("Content-Type", "text/plain")])
                return [b"log in\n"]
            environ["REMOTE_USER"] = USERNAME
        return dispatch_request(environ, start_response)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Start Trac on 127.0.0.1 with a fresh environment.")
    parser.add_argument("--dir", type=Path, help="folder for the environment, database and request log")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="realapp-trac-"))
    folder.mkdir(parents=True, exist_ok=True)
    trac_multipart()
    env_path = create(folder)
    print(f"environment {env_path}; user {USERNAME} / {PASSWORD}", flush=True)
    serve(application(env_path), folder, args.port)


if __name__ == "__main__":
    main()
