"""Pick the importer for an input file or URL and return a checked Spec: the one `load_source` dispatch.

`IMPORTERS` is the registry of input kinds, tried in order; each recognises its files by content
(and name) and builds a Spec. A source given as an http(s) URL is fetched (`fetch`) and its body
recognised by the same importers. Every Spec that is not read from YAML passes the one validation
gate (`gate.check_imported`). This module dispatches; it never parses itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputFileError, UsageError
from ..lang.text import plural
from ..model import Spec, iter_request_steps
from .common import Document, describe_text
from .fetch import fetch_document, is_url
from .gate import check_imported
from .loader import load_spec

#: How many bytes of a file an importer sees to recognise it.
HEAD_BYTES = 4096


@dataclass(frozen=True)
class Importer:
    """One kind of input: how to recognise a file of it and how to turn the file into a Spec.

    `load(path, options)` gets this kind's options object (or None for its defaults) and returns
    the Spec with a one-paragraph summary of what became what (printed to stderr by `run`).
    `recognise_text` knows the kind by the text of a document fetched from a URL; `from_url` says
    whether `load` also takes such a `Document` (else the user saves it as a file first)."""

    name: str
    recognise: Callable[[Path, bytes], bool]
    load: Callable[[Any, Any], tuple[Spec, str]]
    description: str = ""
    recognise_text: Callable[[str], bool] | None = None
    from_url: bool = False


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return b""


def is_har(path: str | Path) -> bool:
    """True for a HAR recording: a `.har` file, or a `.json` file holding a HAR `log` object
    (some tools save recordings that way)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".har":
        return True
    if suffix != ".json" or not file.is_file():
        return False
    head = _head(file)
    return head.startswith(b"{") and b'"log"' in head


def _import_har(path: Path, options: Any) -> tuple[Spec, str]:
    from .har.importer import import_har

    result = import_har([path], options)
    result.spec.recorded_secrets = dict(result.secrets)
    return result.spec, result.report.render(brief=True)


#: The importers of `postman/`, `openapi/` and `curl.py`: name → (module, import function). Imported on
#: first use, so that loading a YAML spec does not import them.
FOREIGN: dict[str, tuple[str, str]] = {
    "openapi": ("loadspec.sources.openapi", "import_openapi"),
    "postman": ("loadspec.sources.postman", "import_postman"),
    "curl": ("loadspec.sources.curl", "import_curl"),
}


def import_foreign(name: str, path: str | Path, options: Any = None) -> Any:
    """Run the importer `name` of FOREIGN on `path`: its `ImportResult` (Spec and summary)."""
    from importlib import import_module

    module, function = FOREIGN[name]
    return getattr(import_module(module), function)(path, options)


def _foreign(name: str, description: str, hint: Callable[[bytes], bool], *, from_url: bool = False) -> Importer:
    """An importer of FOREIGN, recognised by its own `looks_like` once the cheap `hint` on the
    file's first bytes allows it (so checking a YAML spec imports none of them)."""
    def looks_like(path: Path, text: str) -> bool:
        from importlib import import_module

        return bool(import_module(FOREIGN[name][0]).looks_like(path, text))

    def recognise(path: Path, head: bytes) -> bool:
        from .common import sniff_text

        return bool(head) and hint(head) and looks_like(path, sniff_text(path, head))

    def recognise_text(text: str) -> bool:
        return hint(text[:HEAD_BYTES].lstrip("\ufeff \t\r\n").encode()) and looks_like(Path(), text)

    def load(source: Path | Document, options: Any) -> tuple[Spec, str]:
        result = import_foreign(name, source, options)
        return result.spec, result.summary.render(brief=True)

    return Importer(name, recognise, load, description, recognise_text, from_url)


_CURL_HINT = re.compile(rb"(^|\n)\s*(\$|>|PS>)?\s*curl")

#: Input kinds other than YAML, tried in order; a file none of them recognises is read as YAML.
IMPORTERS: list[Importer] = [
    Importer("har", lambda path, head: is_har(path), _import_har, "a HAR recording",
             lambda text: re.match(r'\{\s*"log"\s*:', text.lstrip("\ufeff \t\r\n")) is not None),
    _foreign("openapi", "an OpenAPI document", lambda head: b"openapi" in head, from_url=True),
    _foreign("postman", "a Postman collection", lambda head: head.startswith(b"{")),
    _foreign("curl", "a file of curl commands", lambda head: _CURL_HINT.search(head) is not None),
]


def is_converted(path: str | Path) -> bool:
    """True for an imported source (anything but a YAML spec; a URL is always imported): workers and
    exported locustfiles get it as converted YAML — what its import options made of it, credentials
    as `{{ env.NAME }}`."""
    return is_url(path) or importer_for(path) is not None


def open_source(path: str | Path) -> tuple[Importer | None, Path | Document]:
    """The importer for `path` (None for a YAML spec) and what to give its `load`: the file, or, for an
    http(s) URL, the fetched `Document` (InputFileError when no importer that reads URLs knows it)."""
    if not is_url(path):
        return importer_for(path), Path(path)
    document = fetch_document(str(path))
    importer = next((i for i in IMPORTERS if i.recognise_text is not None and i.recognise_text(document.text)),
                    None)
    if importer is not None and importer.from_url:
        return importer, document
    if importer is not None:
        raise InputFileError(f"{document.name}: {importer.description}; loadspec imports it from a file, not a URL: "
                             "save it (curl -o FILE URL) and give the file")
    raise InputFileError(f"{document.name}: not an OpenAPI document: the server sent "
                         f"{describe_text(document.text, document.media_type)}")


def importer_for(path: str | Path) -> Importer | None:
    """The importer that recognises the file `path`, or None for a YAML spec."""
    file = Path(path)
    head = _head(file) if file.is_file() else b""
    return next((importer for importer in IMPORTERS if importer.recognise(file, head)), None)


def load_source(
    path: str | Path,
    *,
    environment: str | None = None,
    variables: Mapping[str, str] | None = None,
    har_options: Any = None,
    import_options: Mapping[str, Any] | None = None,
    quiet: bool = False,
) -> Spec:
    """Load a YAML spec, or import any other known input (a HAR recording, ...), into a checked Spec.

    `import_options` maps an importer's name to its options (`har_options` is the same as
    `import_options={"har": ...}`; `quiet` leaves out the import's summary)."""
    importer, source = open_source(path)
    if importer is None:
        return load_spec(path, environment=environment, variables=variables)
    if environment:
        raise UsageError(f"-e/--environment: {importer.description or importer.name} has no environments; "
                         "convert it to YAML (loadspec convert) and add an environments: section")
    options = dict(import_options or {})
    if har_options is not None:
        options.setdefault("har", har_options)
    spec, summary = importer.load(source, options.get(importer.name))
    if variables:
        spec.variables.update(variables)
    if summary and not quiet:
        sys.stderr.write(summary + "\n")
    if isinstance(source, Document):
        return check_imported(spec, source.name, base_dir=Path.cwd())
    return check_imported(spec, source)


def with_recorded_secrets(spec: Spec, env: Mapping[str, str]) -> dict[str, str]:
    """`env` plus the credentials recorded in the file `spec` was imported from; real variables win."""
    return {**spec.recorded_secrets, **env}


def describe(spec: Spec) -> str:
    """A one-line summary: scenarios, steps, data pools."""
    steps = sum(len(iter_request_steps(s.setup + s.steps)) for s in spec.scenarios)
    return f"{plural(len(spec.scenarios), 'scenario')}, {plural(steps, 'step')}, {plural(len(spec.data), 'data pool')}"


__all__ = ["FOREIGN", "HEAD_BYTES", "IMPORTERS", "Importer", "describe", "import_foreign", "importer_for",
           "is_converted", "is_har", "load_source", "open_source", "with_recorded_secrets"]
