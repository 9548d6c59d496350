"""The one validation gate: every Spec that did not come from YAML passes the YAML loader's checks.

An importer (HAR today; Postman, OpenAPI and cURL next) builds a Spec in memory. Before anything
compiles it, the gate writes it as the YAML `loadspec convert` would and reads that back through the
loader, so a run of an import and a run of its converted YAML meet exactly the same checks. A problem
found here is a bug of the importer, and is reported as such, with the generated YAML's lines.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from ..model import Spec
from ..writers.yaml import write_yaml
from .loader import load_spec_text


def check_imported(spec: Spec, origin: str | Path, *, base_dir: Path | None = None) -> Spec:
    """Return `spec` when its YAML form is a valid spec; raise SpecError (naming `origin`) when not.
    Relative file names are read next to `origin`, or in `base_dir` (for a source fetched from a URL)."""
    text = write_yaml(spec)
    base_dir = base_dir or Path(origin).resolve().parent
    label = f"{origin} (as converted YAML)"
    try:
        load_spec_text(text, label, base_dir=base_dir)
    except SpecError as exc:
        exc.path = f"{label} — an importer bug: please report it with the input file"
        raise
    return spec


__all__ = ["check_imported"]
