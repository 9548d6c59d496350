"""Bundle a spec with its data files and write it out as one self-contained Locust file.

`loadspec export FILE -o locustfile.py` and the master of a distributed run both use this: the
spec's own text (YAML; a HAR recording is inlined as the spec it converts to, with its credentials
as `{{ env.NAME }}` templates, never as the raw recording) and every file it names (CSV pools, JSON
Schema files, upload files) are inlined as string literals, and the generated file rebuilds the user classes with
`loadspec.runtime.locust_users` wherever Locust imports it (plain `locust -f`, `-f -` workers, the
Kubernetes operator, Helm charts). This module reads the spec and its files and writes text; it
never imports Locust and never runs anything.
"""

from __future__ import annotations

import base64
import math
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .._version import __version__
from ..errors import InputFileError
from ..lang.credentials import Masker
from ..model import Spec, UploadFile, iter_request_steps
from .yaml import write_yaml

_ENV_REF = re.compile(r"\benv\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Bundle:
    """A spec and everything it reads, ready to travel to another machine."""

    source: str  # the spec's file name, e.g. checkout.yaml
    text: str  # the spec's text
    files: dict[str, str | bytes] = field(default_factory=dict)  # by path relative to the spec's folder
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of runtime.locust_users
    env: dict[str, str] = field(default_factory=dict)  # env.NAME values shipped along (runs only)
    origin: str = ""  # the HAR recording the spec text was converted from, if any

    def env_needed(self) -> list[str]:
        """The env.NAME variables the spec reads that are not shipped along, in order of first use."""
        return [name for name in dict.fromkeys(_ENV_REF.findall(self.text)) if name not in self.env]


def bundle_spec(spec: Spec, path: str | Path, *, options: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None, converted: bool = False) -> Bundle:
    """Read the spec file at `path` (already loaded as `spec`) and the files it names.

    `converted`: `path` is an imported source (a HAR recording, a Postman collection, an OpenAPI
    document, curl commands), never inlined as it is: the bundle holds the spec as converted YAML
    (`spec` written out), its credentials stay `{{ env.NAME }}` templates, and it needs no import
    options. `env` is given for a run only (a distributed run's workers): then the values of the
    env.NAME variables the spec reads travel along, a source's own credentials under the real
    environment."""
    file = Path(path)
    origin = ""
    options = dict(options or {})
    if converted:
        source, origin = f"{file.stem}.yaml", Masker().url(str(path)) if "://" in str(path) else file.name
        text = write_yaml(spec, sources=[origin], output=source)
        options.pop("har_options", None)  # the text is the converted spec: nothing left to import
        options.pop("import_options", None)
        if env is not None:
            env = {**spec.recorded_secrets, **env}
    else:
        source = file.name
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"{file}: cannot read: {exc.strerror}") from None
    base_dir = file.resolve().parent
    files, text = _referenced_files(spec, text, base_dir)
    names = set(_ENV_REF.findall(text))
    shipped = {name: value for name, value in (env or {}).items() if name in names}
    return Bundle(source=source, text=text, files=files, options=options, env=shipped, origin=origin)


def _referenced_files(spec: Spec, text: str, base_dir: Path) -> tuple[dict[str, str | bytes], str]:
    """Every existing file the spec names, keyed by the path the spec uses (relative to its folder).
    A file named by an absolute path is renamed into `_files/` and the spec text rewritten to match."""
    names: list[str] = []
    try:
        names += _file_values(yaml.safe_load(text))
    except yaml.YAMLError:
        pass
    for scenario in spec.scenarios:
        for step in iter_request_steps(scenario.setup + scenario.steps):
            if step.body is not None and step.body.kind == "files":
                names += [part.path for part in step.body.value.values() if isinstance(part, UploadFile)]
    files: dict[str, str | bytes] = {}
    sources: set[Path] = set()
    renamed: dict[str, str] = {}
    for name in dict.fromkeys(names):
        path = base_dir / name
        if "{{" in name or not path.is_file():
            continue
        if Path(name).is_absolute():
            key = renamed.setdefault(name, f"_files/{len(renamed) + 1}_{path.name}")
        else:
            key = posixpath.normpath(name.replace("\\", "/"))
        files.setdefault(key, _read(path))
        sources.add(path.resolve())
    for pool in spec.data.values():  # a pool the walk missed: keep its data under its real path
        if pool.path.resolve() not in sources:
            files[Path(os.path.relpath(pool.path, base_dir)).as_posix()] = _read(pool.path)
    for original, new in renamed.items():
        text = text.replace(original, new)
    return files, text


def _file_values(node: Any) -> list[str]:
    """String values naming files: under csv: and schema:, and the parts of a files: body."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("csv", "schema") and isinstance(value, str):
                found.append(value)
            elif key == "extensions" and isinstance(value, list):  # Python files of template functions
                found.extend(item for item in value if isinstance(item, str))
            elif key == "files" and isinstance(value, dict):
                for part in value.values():
                    if isinstance(part, str):
                        found.append(part)
                    elif isinstance(part, dict) and isinstance(part.get("file"), str):
                        found.append(part["file"])
            else:
                found.extend(_file_values(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_file_values(item))
    return found


def _read(path: Path) -> str | bytes:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return data if "\x00" in text else text


# --- the generated file -------------------------------------------------------------------------


def runtime_options(*, environment: str | None, variables: Mapping[str, str], host: str | None,
                    client: str | None, iterations: int | None, pacing: float | None = None,
                    har_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments of `runtime.locust_users` that repeat a command line (`export`, or the
    workers of a distributed run): environment, variables, host, client, iterations, pacing and, for
    a HAR recording, its import options."""
    options: dict[str, Any] = {
        "environment": environment,
        "variables": dict(variables),
        "host": host,
        "client": client,
        "iterations": iterations,
    }
    if pacing is not None:
        options["pacing"] = pacing
    return options


def file_stem(source: str | Path) -> str:
    """A spec file's stem as a Python identifier part: `checkout-v2.yaml` -> `checkout_v2`."""
    return re.sub(r"\W+", "_", Path(source).stem).strip("_") or "spec"


def render_locustfile(bundle: Bundle, spec: Spec | None = None, filename: str | None = None) -> str:
    """The text of a Locust file that rebuilds the bundle's users with `loadspec.runtime`."""
    origin = bundle.origin or bundle.source
    stem = file_stem(origin)
    filename = filename or f"{stem}_locustfile.py"
    title = re.sub(r'["\\\s]+', " ", spec.name if spec else stem).strip()
    hint = load_hint(spec)
    lines = [
        f'"""{title}: a Locust file generated by loadspec {__version__} from {origin}.',
        "",
        "The scenario and its data files are inlined below, so this one file is all Locust needs on a",
        "machine with loadspec installed. Run it like any locustfile:",
        "",
        f"    locust -f {filename} --headless {hint}",
        f"    locust -f {filename} --master --headless --expect-workers 2 {hint}",
        "    locust -f - --worker --master-host MASTER   # each worker gets this file from the master",
        "",
        "Sequential and unique data pools are dealt out by the master, so unique rows stay unique across",
        "workers. env.NAME values are read from each machine's environment.",
        f"To change the test, edit the spec and run `loadspec export {origin}` again.",
    ]
    if bundle.origin:
        lines[-1:-1] = [
            f"The spec below is {bundle.origin} converted by `loadspec convert`; the recording itself is not",
            "inlined, and the credentials it sent are not in this file.",
        ]
    needed = bundle.env_needed()
    if needed:
        lines += ["", "These env.NAME variables are read from the environment of every machine that runs this file",
                  "(their values are not in it); set them before `locust -f` (a missing one stops the run with",
                  "its name):", ""]
        lines += [f"    export {name}=..." for name in needed]
    lines += ['"""', ""]
    if any(isinstance(content, bytes) for content in bundle.files.values()):
        lines.append("from base64 import b64decode")
        lines.append("")
    lines += ["from loadspec.runtime import locust_users", "", f"SOURCE = {bundle.source!r}", ""]
    lines += [f"SPEC = {_text_literal(bundle.text)}", ""]
    lines.append("FILES = {")
    for name, content in bundle.files.items():
        literal = _bytes_literal(content) if isinstance(content, bytes) else _text_literal(content)
        lines.append(f"    {name!r}: {literal},")
    lines += ["}", ""]
    lines.append("OPTIONS = {")
    for key, value in bundle.options.items():
        lines.append(f"    {key!r}: {value!r},")
    lines += ["}", ""]
    call = "locust_users(SOURCE, SPEC, FILES, **OPTIONS)"
    if bundle.env:
        lines += ["# values of the env.NAME variables the spec uses, sent by the master of this run;",
                  "# a worker's own environment wins over them", "ENV = {"]
        lines += [f"    {name!r}: {value!r}," for name, value in sorted(bundle.env.items())]
        lines += ["}", ""]
        call = "locust_users(SOURCE, SPEC, FILES, env_defaults=ENV, **OPTIONS)"
    lines += ["# one Locust user class per scenario (and a load shape if the spec has stages)",
              f"globals().update({call})", ""]
    return "\n".join(lines)


def load_hint(spec: Spec | None) -> str:
    """Locust options matching the spec's `load:` (stages run as a load shape by themselves)."""
    load = spec.load if spec else None
    parts = []
    if load and load.is_open:  # the users started up front; the rate gate starts more when needed
        rates = [s.rate or 0.0 for s in load.stages] or [load.rate or 1.0]
        users = load.users or min(load.max_users or 1, max(1, math.ceil(load.rate or rates[0] or 1.0)))
        parts.append(f"-u {users} -r {users} -t {load.duration or sum(s.duration for s in load.stages):g}s")
    elif not (load and load.stages):
        users = load.users if load and load.users is not None else 1
        rate = load.spawn_rate if load and load.spawn_rate else users
        duration = f"{load.duration:g}s" if load and load.duration else "1m"
        parts.append(f"-u {users} -r {rate:g} -t {duration}")
    if not (spec and spec.host):
        parts.append("--host URL")
    return " ".join(parts)


def _text_literal(text: str) -> str:
    """A readable raw triple-quoted literal of "\\n" + text (the runtime drops that first newline),
    or a plain escaped literal when the text cannot be written raw."""
    body = "\n" + text
    readable = ('"""' not in body and not body.endswith(("\\", '"')) and "\r" not in body
                and all(ch.isprintable() or ch in "\n\t" for ch in body))
    return f'r"""{body}"""' if readable else repr(body)


def _bytes_literal(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    chunks = [encoded[i:i + 76] for i in range(0, len(encoded), 76)] or [""]
    inner = "\n".join(f'        "{chunk}"' for chunk in chunks)
    return f"b64decode(\n{inner}\n    )"


def strip_leading_newline(text: str) -> str:
    """Undo `_text_literal`'s readability newline."""
    return text[1:] if text.startswith("\n") else text


def safe_relative(name: str) -> PurePosixPath:
    """A bundled file's path, normalised; absolute paths are refused."""
    path = PurePosixPath(posixpath.normpath(name.replace("\\", "/")))
    if path.is_absolute():
        raise InputFileError(f"bundled file '{name}': absolute paths are not allowed")
    return path


__all__ = ["Bundle", "bundle_spec", "file_stem", "load_hint", "render_locustfile", "runtime_options",
           "safe_relative", "strip_leading_newline"]
