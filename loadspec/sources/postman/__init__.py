"""Postman collections (v2.1, v2.0) → Spec: `importer` (folders, auth, bodies), `variables`, `scripts` (test
scripts → assertions and captures) and `js` (just enough JavaScript to read them)."""

from .importer import PostmanOptions, import_postman, looks_like

__all__ = ["PostmanOptions", "import_postman", "looks_like"]
