"""`python -m loadspec.demo`: serve the demo shop until interrupted (the process `DemoServer` starts)."""

from __future__ import annotations

import argparse
import sys

from .server import _make_server, _watch_stdin, is_loopback_host

__all__ = ["main"]



def main(argv: list[str] | None = None) -> int:
    """Serve the demo shop API until interrupted; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m loadspec.demo",
        description="Demo shop JSON API used as a loadspec load-testing target.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin is closed (used by DemoServer to tie lifetimes)",
    )
    args = parser.parse_args(argv)

    if not is_loopback_host(args.host):
        print(
            f"error: refusing to bind the demo server to non-loopback host {args.host!r}; "
            "only 127.x.x.x, localhost or ::1 are allowed",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: invalid port {args.port}", file=sys.stderr)
        return 2

    host = args.host.strip("[]")
    if host.lower() == "localhost":
        host = "127.0.0.1"
    server = _make_server(host, args.port)
    try:
        server.init_socket()
    except OSError as exc:
        print(f"error: cannot listen on {host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    port = server.address[1]
    shown = f"[{host}]" if ":" in host else host
    if args.exit_on_stdin_eof:
        import gevent

        gevent.spawn(_watch_stdin)
    print(f"LISTENING http://{shown}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
