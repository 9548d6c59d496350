"""OpenAPI 3.0/3.1 documents → Spec: `importer` (operations in create-read-update-delete order, captures,
bodies, security) and `schemas` (references, JSON Schema for the `schema` predicate, example values)."""

from .importer import OpenApiOptions, import_openapi, looks_like

__all__ = ["OpenApiOptions", "import_openapi", "looks_like"]
