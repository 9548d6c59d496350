"""Sources: every kind of input becomes a Spec here — the YAML loader (with its schema, data files and
env files) and the importers (`har/`, ...), behind one `load_source` dispatch and one validation gate.
"""

from .dispatch import IMPORTERS, Importer, describe, importer_for, is_har, load_source, with_recorded_secrets
from .gate import check_imported
from .loader import load_spec, load_spec_text

__all__ = ["IMPORTERS", "Importer", "check_imported", "describe", "importer_for", "is_har", "load_source",
           "load_spec", "load_spec_text", "with_recorded_secrets"]
