"""Start a Jupyter Server (the notebook server behind JupyterLab) on 127.0.0.1 with a fresh root folder.

Shell: `python tests/realapps/jupyter/start.py [--dir DIR] [--port N]` prints `LISTENING <url>`.
Log in at /login with the password Secr3t-pass (no token); notebooks live in DIR/notebooks and are
handled through the REST API /api/contents (non-GET requests need the `X-XSRFToken` header equal
to the `_xsrf` cookie). Tests: `common.running(this file)`. Every answer is logged to
DIR/requests.log (through Tornado's `log_function`), the app's own record of what it answered.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import LOG_NAME  # noqa: E402

PASSWORD = "Secr3t-pass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serialize_untitled(contents: Any) -> None:
    """Jupyter Server's `new_untitled` picks the first free name (`Untitled3.ipynb`) and then saves
    the new notebook, with awaits in between: two users creating at the same moment can be given the
    same name, and the second save silently overwrites the first. That race is the server's own,
    not the replay's, so the test instance creates untitled notebooks one at a time."""
    import asyncio

    create, lock = contents.new_untitled, asyncio.Lock()

    async def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        async with lock:
            return await create(*args, **kwargs)

    contents.new_untitled = one_at_a_time


def main() -> None:
    parser = argparse.ArgumentParser(description="Start Jupyter Server on 127.0.0.1 with a fresh root folder.")
    parser.add_argument("--dir", type=Path, help="folder for the notebooks and the request log")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="realapp-jupyter-"))
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    for name in ("RUNTIME", "CONFIG", "DATA"):  # nothing read from or written to the user's ~/.jupyter
        os.environ[f"JUPYTER_{name}_DIR"] = str(folder / name.lower())
    from jupyter_server.auth.security import passwd
    from jupyter_server.serverapp import ServerApp

    log_path, lock = folder / LOG_NAME, threading.Lock()

    def log_request(handler: Any) -> None:
        request = handler.request
        line = json.dumps({"method": request.method, "path": request.uri, "status": handler.get_status()})
        with lock, log_path.open("a") as out:
            out.write(line + "\n")

    port = args.port or free_port()
    app = ServerApp()
    app.initialize([
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folder / 'notebooks'}", "--ServerApp.open_browser=False",
        "--IdentityProvider.token=", f"--PasswordIdentityProvider.hashed_password={passwd(PASSWORD)}",
        "--ServerApp.default_url=/api/status", "--ServerApp.allow_root=True",
        "--ServerApp.log_level=ERROR", "--ServerApp.allow_remote_access=False",
    ])
    app.web_app.settings["log_function"] = log_request
    serialize_untitled(app.contents_manager)
    print(f"LISTENING http://127.0.0.1:{port}", flush=True)
    app.start()


if __name__ == "__main__":
    main()
