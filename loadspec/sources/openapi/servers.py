"""Which host and base path the steps of an OpenAPI document get, from its `servers` and where it came from.

Its one job is the host rule. An absolute server URL (`https://api.example.com/v1`) gives both.
The OpenAPI specification reads a relative server URL (`/api/v1`), and a missing or empty
`servers` (which means `/`), relative to the document's own location: for a document fetched
from a URL (a FastAPI app's `/openapi.json`) that gives the URL's origin; for a file there is no
location to resolve against, so the host is the `--host` the user gives. It never reads anything.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from ...errors import UsageError

__all__ = ["server_base"]

_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc}", parts.path.rstrip("/")


def server_base(document: dict[str, Any], index: int, name: str,
                location: str | None = None) -> tuple[str | None, str, str]:
    """(host, base path, where the host came from) for the entry `index` of the document's `servers`;
    `location` is the URL the document was fetched from (None for a file), `name` names it in errors."""
    servers = document.get("servers")
    if not isinstance(servers, list) or not servers:
        if location:
            host = _split(urljoin(location, "/"))[0]
            return host, "", "the origin of the document's URL (it lists no servers)"
        return None, "", ""
    if not 0 <= index < len(servers):
        raise UsageError(f"--server {index}: {name} lists {len(servers)} server"
                         f"{'s' if len(servers) != 1 else ''} (0 to {len(servers) - 1})")
    server = servers[index] if isinstance(servers[index], dict) else {}
    url = str(server.get("url") or "/")
    for key, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict):
            url = url.replace("{" + str(key) + "}", str(variable.get("default", "")))
    if _ABSOLUTE.match(url):
        return (*_split(url), f"servers[{index}]")
    if location:
        return (*_split(urljoin(location, url)), f"servers[{index}] ({url!r}) against the document's URL")
    if url.startswith("//"):
        return (*_split("https:" + url), f"servers[{index}]")
    return None, "/" + url.strip("/") if url.strip("/") else "", ""
