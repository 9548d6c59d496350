"""The registry of the foreign-format importers (Postman, OpenAPI, cURL) and the content sniffing that picks one.

Its one job: name each importer once — what it is called, how it recognises a file by content,
its options class and its import function — so that the one `load_source` dispatch and the CLI
add a source by adding an entry, never an if-chain. It reads at most the head of the file it is
asked about and never imports the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import curl, openapi, postman
from ._common import ImportResult

__all__ = ["IMPORTERS", "Importer", "detect", "import_source"]

SNIFF_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Importer:
    """One source format."""

    name: str  # as the CLI and messages call it
    title: str
    looks_like: Callable[[Path, str], bool]
    options: type
    run: Callable[..., ImportResult]


#: In the order they are tried: the most specific recognisers first.
IMPORTERS: dict[str, Importer] = {
    "openapi": Importer("openapi", "OpenAPI 3 document", openapi.looks_like, openapi.OpenApiOptions,
                        openapi.import_openapi),
    "postman": Importer("postman", "Postman collection", postman.looks_like, postman.PostmanOptions,
                        postman.import_postman),
    "curl": Importer("curl", "cURL commands", curl.looks_like, curl.CurlOptions, curl.import_curl),
}


def detect(path: str | Path) -> str | None:
    """The name of the importer for this file, by its content; None for anything else (YAML specs,
    HAR recordings, unreadable files)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    text = head.decode("utf-8-sig", errors="replace")
    if file.suffix.lower() == ".har" or ('"log"' in text[:4096] and '"entries"' in text):
        return None
    for name, importer in IMPORTERS.items():
        if importer.looks_like(file, text):
            return name
    return None


def import_source(path: str | Path, options: Any = None, *, kind: str | None = None) -> ImportResult:
    """Import `path` with the importer `kind` (default: the one `detect` picks)."""
    name = kind or detect(path)
    if name is None or name not in IMPORTERS:
        from .._errors import InputFileError

        raise InputFileError(f"{path}: not a Postman collection, an OpenAPI 3 document or a file of curl commands")
    importer = IMPORTERS[name]
    return importer.run(path, options if options is not None else importer.options())
