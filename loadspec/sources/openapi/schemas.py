"""OpenAPI schemas and references: `$ref` resolution, OpenAPI → JSON Schema draft 7, and example values.

Its one job is the schema side of an OpenAPI document: follow local `$ref`s (reporting external
ones), turn an OpenAPI 3.0/3.1 schema into a self-contained JSON Schema draft 7 for the `schema`
predicate (references inlined with a depth limit for recursive ones, `nullable` and boolean
`exclusiveMinimum` translated, OpenAPI-only keywords and ECMA-only patterns dropped, `writeOnly`
properties not required in responses), and build a value that fits a schema for request bodies and
parameters. No I/O.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..common import ImportSummary

__all__ = ["MAX_SCHEMA_DEPTH", "Resolver"]

MAX_SCHEMA_DEPTH = 12

# --- references and schemas -------------------------------------------------------------------


class Resolver:
    def __init__(self, document: dict[str, Any], summary: ImportSummary):
        self.document = document
        self.summary = summary
        self.external: set[str] = set()

    def target(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            if ref not in self.external:
                self.external.add(ref)
                self.summary.warnings.append(f"external reference {ref} is not read; it is treated as any value")
            return {}
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                self.summary.warnings.append(f"reference {ref} points at nothing; it is treated as any value")
                return {}
            node = node[part]
        return node

    def deref(self, node: Any, depth: int = 0) -> Any:
        """Follow `$ref` at the top of `node` (not inside it)."""
        while isinstance(node, dict) and "$ref" in node and depth < 20:
            node = self.target(str(node["$ref"]))
            depth += 1
        return node

    def json_schema(self, schema: Any, *, version: str, response: bool, depth: int = 0,
                    stack: tuple[str, ...] = ()) -> Any:
        """An OpenAPI schema as self-contained JSON Schema draft 7 (references inlined; a recursive
        reference deeper than the limit accepts anything)."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in stack or depth > MAX_SCHEMA_DEPTH:
                return {}
            return self.json_schema(self.target(ref), version=version, response=response, depth=depth + 1,
                                    stack=stack + (ref,))
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in ("discriminator", "xml", "externalDocs", "example", "examples", "deprecated", "nullable",
                       "readOnly", "writeOnly", "$schema", "$id", "$anchor", "$comment", "contentMediaType",
                       "contentEncoding", "unevaluatedProperties", "unevaluatedItems", "$defs", "definitions"):
                continue
            if key.startswith("x-"):
                continue
            if key in ("properties", "patternProperties"):
                if isinstance(value, dict):
                    out[key] = {name: self.json_schema(item, version=version, response=response, depth=depth + 1,
                                                       stack=stack) for name, item in value.items()}
            elif key in ("items", "additionalProperties", "not", "contains", "propertyNames",
                         "additionalItems", "if", "then", "else"):
                if isinstance(value, (dict, bool)):
                    out[key] = self.json_schema(value, version=version, response=response, depth=depth + 1,
                                                stack=stack)
                elif isinstance(value, list) and key == "items":
                    out[key] = [self.json_schema(item, version=version, response=response, depth=depth + 1,
                                                 stack=stack) for item in value]
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                out[key] = [self.json_schema(item, version=version, response=response, depth=depth + 1, stack=stack)
                            for item in value]
            elif key == "prefixItems" and isinstance(value, list):
                out["items"] = [self.json_schema(item, version=version, response=response, depth=depth + 1,
                                                 stack=stack) for item in value]
            elif key == "pattern":
                try:
                    re.compile(str(value))
                    out[key] = value
                except re.error:
                    pass  # an ECMA-only regex: not checked
            elif key == "format":
                continue  # not checked by the schema predicate anyway
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in schema:
                    out[key] = schema[bound]
            elif key in ("minimum", "maximum") and schema.get("exclusive" + key.title()) is True:
                continue
            else:
                out[key] = copy.deepcopy(value)
        if schema.get("nullable") is True and version.startswith("3.0"):
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            elif "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
            elif kind is None and out:
                out = {"anyOf": [out, {"type": "null"}]}
        if response and isinstance(out.get("required"), list) and isinstance(schema.get("properties"), dict):
            write_only = {name for name, item in schema["properties"].items()
                          if isinstance(self.deref(item), dict) and self.deref(item).get("writeOnly")}
            out["required"] = [name for name in out["required"] if name not in write_only]
            if not out["required"]:
                del out["required"]
        return out

    def example(self, schema: Any, *, depth: int = 0, stack: tuple[str, ...] = (), request: bool = True) -> Any:
        """A value that fits `schema`: its example, default, first enum value, or one built from the types."""
        if isinstance(schema, dict) and "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in stack or depth > 8:
                return None
            return self.example(self.target(ref), depth=depth + 1, stack=stack + (ref,), request=request)
        if not isinstance(schema, dict):
            return "string"
        for key in ("example", "default", "const"):
            if key in schema:
                return copy.deepcopy(schema[key])
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return copy.deepcopy(schema["examples"][0])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return copy.deepcopy(schema["enum"][0])
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, depth=depth + 1, stack=stack, request=request)
                if isinstance(value, dict):
                    merged.update(value)
            extra = {k: v for k, v in schema.items() if k != "allOf"}
            if extra.get("properties"):
                value = self.example(extra, depth=depth + 1, stack=stack, request=request)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                choices = [c for c in schema[key] if not (isinstance(c, dict) and c.get("type") == "null")]
                return self.example((choices or schema[key])[0], depth=depth + 1, stack=stack, request=request)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if kind == "object":
            out: dict[str, Any] = {}
            required = set(schema.get("required") or [])
            for name, item in (schema.get("properties") or {}).items():
                target = self.deref(item)
                if isinstance(target, dict) and target.get("readOnly") and request:
                    continue
                if depth > 6 and name not in required:
                    continue
                out[name] = self.example(item, depth=depth + 1, stack=stack, request=request)
            return out
        if kind == "array":
            item = self.example(schema.get("items") or {}, depth=depth + 1, stack=stack, request=request)
            count = max(1, int(schema.get("minItems") or 1))
            return [item] * min(count, 3)
        if kind == "integer":
            return int(schema.get("minimum", 1) or 1) if not isinstance(schema.get("minimum"), bool) else 1
        if kind == "number":
            value = schema.get("minimum", 1)
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 1
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        text = {"email": "user@example.com", "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "uri": "https://example.com",
                "url": "https://example.com", "hostname": "example.com", "ipv4": "192.0.2.1",
                "password": "secret", "byte": "c3RyaW5n", "time": "12:00:00"}.get(str(schema.get("format")), "string")
        min_length = schema.get("minLength")
        if isinstance(min_length, int) and len(text) < min_length:
            text = text + "x" * (min_length - len(text))
        max_length = schema.get("maxLength")
        if isinstance(max_length, int) and len(text) > max_length:
            text = text[:max(max_length, 1)]
        return text
