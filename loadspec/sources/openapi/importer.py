"""Import an OpenAPI 3.0 or 3.1 document (JSON or YAML) into the Spec model: one step per operation.

Its one job is OpenAPI → `Spec`: pick the operations (`tags` and `operations` filters), order them
so that each resource is created before it is read, updated and deleted (creates first, parents
before children; reads, updates and actions next; deletes last, children before parents), capture
the id of what a create returned and template it into the later paths (`/pets/{{ petId }}`), fill
request bodies from `example`/`examples` or generate them from the schema, assert the documented
success status and, with the `schema` predicate, the success response's JSON schema (references
resolved, OpenAPI 3.0 dialect turned into JSON Schema draft 7), and map the security schemes to
`{{ env.LOADSPEC_* }}` credentials, or to a token captured by a token operation run once per user
in `setup`. It reads the one document (local `$ref`s only), never sends a request and never
imports the engine.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...errors import InputFileError
from ...model import Assertion, Body, Capture, Predicate, Query, RequestStep, Scenario, Spec
from ..common import (
    Credentials,
    Document,
    ImportResult,
    ImportSummary,
    Names,
    defuse,
    finish,
    identifier,
    is_supplied_secret_key,
    parse_document,
    read_document,
    status_assertion,
)
from .schemas import Resolver
from .servers import server_base

__all__ = ["OpenApiOptions", "import_openapi", "looks_like"]

WHAT = "an OpenAPI 3 document (JSON or YAML)"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_TOKEN_KEYS = ("access_token", "accessToken", "token", "id_token", "jwt", "auth_token", "authToken")


@dataclass
class OpenApiOptions:
    """How to import an OpenAPI document."""

    tags: Sequence[str] = ()  # keep operations with one of these tags (all when empty)
    operations: Sequence[str] = ()  # keep these operations: operationId or "METHOD /path", glob patterns allowed
    server: int = 0  # which entry of `servers` gives the host
    assert_schema: bool = True  # assert the success response against its documented schema
    optional_params: bool = False  # also send optional query parameters (with their example values)
    include_deprecated: bool = True
    scenario: str | None = None


def looks_like(path: Path, text: str) -> bool:
    """True for an OpenAPI 3 document: a top-level `openapi: 3.x` key (JSON or YAML)."""
    head = text[:4000]
    return bool(re.search(r"""(^|[\n{,])\s*["']?openapi["']?\s*:\s*["']?3\.\d""", head))


# --- operations ---------------------------------------------------------------------------------


@dataclass
class _Operation:
    method: str
    path: str
    raw: dict[str, Any]
    parameters: list[dict[str, Any]]
    order: int
    kind: str = "other"  # create | read | update | delete | action | token
    token_field: str | None = None
    captures: list[Capture] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str:
        return str(self.raw.get("operationId") or "")


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _singular(word: str) -> str:
    word = re.sub(r"[^A-Za-z0-9]+", "_", word).strip("_")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word or "item"


def _classify(op: _Operation) -> str:
    segments = _segments(op.path)
    last_is_param = bool(segments) and _is_param(segments[-1])
    if op.method == "post" and not last_is_param:
        return "create"
    if op.method == "delete":
        return "delete"
    if op.method == "get":
        return "read"
    if op.method in ("put", "patch"):
        return "update"
    return "action"


def _param_variable(path: str, param: str) -> str:
    """The variable for `{param}` in `path`: `petId` stays `petId`, `{id}` under `/pets` is `pet_id`."""
    segments = _segments(path)
    index = next((i for i, s in enumerate(segments) if s == "{" + param + "}"), -1)
    resource = next((s for s in reversed(segments[:index]) if not _is_param(s)), "") if index > 0 else ""
    single = _singular(resource)
    if not single or param.lower().startswith(single.lower()) or param.lower().replace("_", "").startswith(
            single.lower().replace("_", "")):
        return identifier(param)
    return identifier(f"{single}_{param}")


class _Importer:
    def __init__(self, source: Document, document: dict[str, Any], options: OpenApiOptions):
        self.source = source
        self.path = source.name
        self.document = document
        self.options = options
        self.version = str(document.get("openapi"))
        info = document.get("info") if isinstance(document.get("info"), dict) else {}
        self.title = str(info.get("title") or source.stem)
        self.summary = ImportSummary(source=source.name, kind=f"OpenAPI {self.version} document", title=self.title)
        self.resolver = Resolver(document, self.summary)
        self.credentials = Credentials()
        self.names = Names()
        self.variables: dict[str, Any] = {}
        self.schemes: dict[str, Any] = {}
        components = document.get("components") if isinstance(document.get("components"), dict) else {}
        schemes = components.get("securitySchemes") if isinstance(components.get("securitySchemes"), dict) else {}
        for name, scheme in schemes.items():
            self.schemes[str(name)] = self.resolver.deref(scheme)
        self.token_variable: str | None = None
        self.item_paths: set[str] = set()
        self.dropped_schemes: set[str] = set()

    def server(self) -> tuple[str | None, str, str]:
        """(host, base path, where the host came from): `servers.server_base`."""
        return server_base(self.document, self.options.server, self.path, self.source.url)

    # -- choosing and ordering -------------------------------------------------------------

    def operations(self) -> list[_Operation]:
        found: list[_Operation] = []
        paths = self.document.get("paths")
        if not isinstance(paths, dict):
            return found
        order = 0
        for path, item in paths.items():
            item = self.resolver.deref(item)
            if not isinstance(item, dict):
                continue
            common = [self.resolver.deref(p) for p in item.get("parameters") or [] if isinstance(p, dict)]
            for method in METHODS:
                raw = item.get(method)
                if not isinstance(raw, dict):
                    continue
                label = f"{method.upper()} {path}"
                if raw.get("deprecated") and not self.options.include_deprecated:
                    self.summary.drop(label, "deprecated")
                    continue
                if not self.selected(method, str(path), raw):
                    continue
                own = [self.resolver.deref(p) for p in raw.get("parameters") or [] if isinstance(p, dict)]
                names = {(p.get("name"), p.get("in")) for p in own if isinstance(p, dict)}
                parameters = [p for p in common if isinstance(p, dict) and (p.get("name"), p.get("in")) not in names]
                parameters += [p for p in own if isinstance(p, dict)]
                op = _Operation(method, str(path), raw, parameters, order)
                op.kind = _classify(op)
                found.append(op)
                order += 1
        return found

    def selected(self, method: str, path: str, raw: dict[str, Any]) -> bool:
        tags = [str(t) for t in raw.get("tags") or []]
        if self.options.tags and not any(t in tags for t in self.options.tags):
            return False
        if self.options.operations:
            keys = [str(raw.get("operationId") or ""), f"{method.upper()} {path}", f"{method.lower()} {path}"]
            return any(fnmatch.fnmatchcase(key, pattern) for key in keys if key for pattern in self.options.operations)
        return True

    def order(self, ops: list[_Operation]) -> list[_Operation]:
        """Creates (parents first), then reads, updates and actions (document order), then deletes
        (children first)."""
        def depth(op: _Operation) -> int:
            return len(_segments(op.path))
        creates = sorted((o for o in ops if o.kind == "create"), key=lambda o: (depth(o), o.order))
        middle_rank = {"read": 0, "update": 1, "action": 1}
        middle = sorted((o for o in ops if o.kind in middle_rank),
                        key=lambda o: (self.resource_rank(o, creates), middle_rank[o.kind], depth(o), o.order))
        deletes = sorted((o for o in ops if o.kind == "delete"), key=lambda o: (-depth(o), o.order))
        return creates + middle + deletes

    @staticmethod
    def resource_rank(op: _Operation, creates: list[_Operation]) -> int:
        for index, create in enumerate(creates):
            if op.path == create.path or op.path.startswith(create.path.rstrip("/") + "/"):
                return index
        return len(creates)

    # -- the token operation -------------------------------------------------------------------

    def find_token_operation(self, ops: list[_Operation]) -> _Operation | None:
        token_urls: list[str] = []
        for scheme in self.schemes.values():
            if isinstance(scheme, dict) and scheme.get("type") == "oauth2":
                for flow_name, flow in (scheme.get("flows") or {}).items():
                    if flow_name in ("password", "clientCredentials") and isinstance(flow, dict) and flow.get(
                            "tokenUrl"):
                        token_urls.append(str(flow["tokenUrl"]))
        _, base, _ = self.server()
        for op in ops:
            if op.method != "post":
                continue
            for url in token_urls:
                path = urlsplit(url).path if "://" in url else url
                if path.strip("/") in (op.path.strip("/"), (base + op.path).strip("/")):
                    op.token_field = self.token_field(op) or "access_token"
                    return op
        for op in ops:
            if op.method == "post" and re.search(r"(token|login|signin|sign-in|auth|session)", op.path, re.I):
                field_name = self.token_field(op)
                if field_name:
                    op.token_field = field_name
                    return op
        return None

    def token_field(self, op: _Operation) -> str | None:
        _, schema = self.success(op)
        properties = self.properties(schema)
        if properties:
            for key in _TOKEN_KEYS:
                if key in properties:
                    return key
        return None

    def properties(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """The properties of an object schema, those of its `allOf` parts merged in."""
        schema = self.resolver.deref(schema)
        if not isinstance(schema, dict) or depth > 8:
            return {}
        found: dict[str, Any] = {}
        for part in schema.get("allOf") or []:
            found.update(self.properties(part, depth + 1))
        if isinstance(schema.get("properties"), dict):
            found.update(schema["properties"])
        return found

    # -- responses ---------------------------------------------------------------------------

    def success(self, op: _Operation) -> tuple[Any, Any]:
        """(status to assert or None, JSON schema of the success response or None)."""
        responses = op.raw.get("responses") if isinstance(op.raw.get("responses"), dict) else {}
        codes = sorted(str(c) for c in responses if re.fullmatch(r"2\d\d", str(c)))
        if codes:
            response = self.resolver.deref(responses[codes[0]])
            status: Any = int(codes[0]) if len(codes) == 1 else [int(c) for c in codes]
        elif any(str(c).upper() == "2XX" for c in responses):
            key = next(c for c in responses if str(c).upper() == "2XX")
            response, status = self.resolver.deref(responses[key]), "2xx"
        else:
            return None, None
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict):
            return status, None
        media = next((m for t, m in content.items() if "json" in str(t).lower()), None)
        if not isinstance(media, dict) or "schema" not in media:
            return status, None
        return status, media["schema"]

    # -- one step --------------------------------------------------------------------------

    def step(self, op: _Operation, capture_vars: dict[str, str], base: str) -> RequestStep | None:
        notes: list[str] = []
        summary = str(op.raw.get("summary") or "").strip()
        if summary or op.operation_id:
            notes.append(" — ".join(x for x in (op.operation_id, summary.splitlines()[0] if summary else "") if x))
        name = self.names.unique(op.label)
        url = base + op.path
        params: dict[str, Any] = {}
        headers: dict[str, str] = {}
        skipped: list[str] = []
        for param in op.parameters:
            where, pname = param.get("in"), str(param.get("name") or "")
            if not pname:
                continue
            if where == "path":
                variable = capture_vars.get(self.path_key(op.path, pname)) or _param_variable(op.path, pname)
                if variable not in capture_vars.values():
                    self.variables.setdefault(variable, self.parameter_example(param))
                url = url.replace("{" + pname + "}", "{{ " + variable + " }}")
            elif where == "query":
                if param.get("required") or self.options.optional_params:
                    params[pname] = self.query_value(param, name)
                else:
                    skipped.append(pname)
            elif where == "header":
                if pname.lower() in ("authorization", "content-type", "accept", "content-length"):
                    continue
                if param.get("required"):
                    value = self.parameter_example(param)
                    headers[pname] = self.credentials.missing(pname, f"the {pname} header", name) if (
                        is_supplied_secret_key(pname) or pname.lower().endswith("-key")) else str(value)
            elif where == "cookie" and param.get("required"):
                notes.append(f"cookie parameter {pname} is not sent")
        for leftover in re.findall(r"\{([^{}]+)\}", op.path):
            if "{" + leftover + "}" in url:
                variable = _param_variable(op.path, leftover)
                self.variables.setdefault(variable, 1)
                url = url.replace("{" + leftover + "}", "{{ " + variable + " }}")
        if skipped:
            notes.append(f"optional query parameters not sent: {', '.join(skipped)}")
        body, body_note = self.body(op, name, capture_vars)
        if body_note:
            notes.append(body_note)
        self.security(op, headers, params, name)
        status, schema = self.success(op)
        assertions: list[Assertion] = []
        if status is not None:
            assertions.append(status_assertion(status))
        if schema is not None and self.options.assert_schema:
            converted = self.resolver.json_schema(schema, version=self.version, response=True)
            if converted:
                assertions.append(Assertion(Query("json", "@"), [Predicate("schema", converted)], index=2))
        captures = list(op.captures)
        return RequestStep(name=name, method=op.method, url=url, headers=headers, params=params, body=body,
                           captures=captures, assertions=assertions, comment="\n".join(notes) or None)

    @staticmethod
    def path_key(path: str, param: str) -> str:
        """`/pets/{petId}/photos`, `petId` → `/pets/{petId}`: the item path a create fills."""
        segments = _segments(path)
        out: list[str] = []
        for segment in segments:
            out.append(segment)
            if segment == "{" + param + "}":
                break
        return "/" + "/".join(out)

    def parameter_example(self, param: dict[str, Any]) -> Any:
        """The documented example of a parameter (or one generated from its schema)."""
        return self.document_value(self._parameter_example(param), f"parameter {param.get('name')}")

    def _parameter_example(self, param: dict[str, Any]) -> Any:
        if "example" in param:
            return param["example"]
        examples = param.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.resolver.deref(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return first["value"]
        value = self.resolver.example(param.get("schema") or {"type": "string"})
        return value if not isinstance(value, (dict, list)) else json.dumps(value)

    def document_value(self, value: Any, where: str) -> Any:
        """A value taken from the document (an example), its own `{{` defused (and said so)."""
        value, changed = defuse(value)
        if changed:
            self.summary.warnings.append(f"{where}: the document's example holds '{{{{', written as '{{ {{' so "
                                         "that it is not read as a template")
        return value

    def query_value(self, param: dict[str, Any], name: str) -> Any:
        pname = str(param.get("name"))
        if is_supplied_secret_key(pname):
            return self.credentials.missing(pname, f"the {pname} query parameter", name)
        value = self.parameter_example(param)
        if isinstance(value, list):
            return [v if not isinstance(v, (dict, list)) else json.dumps(v) for v in value]
        return value

    def body(self, op: _Operation, name: str, capture_vars: dict[str, str]) -> tuple[Body | None, str | None]:
        request = self.resolver.deref(op.raw.get("requestBody"))
        if not isinstance(request, dict):
            return None, None
        content = request.get("content")
        if not isinstance(content, dict) or not content:
            return None, None
        types = list(content)
        chosen = (next((t for t in types if "json" in t.lower()), None)
                  or next((t for t in types if "x-www-form-urlencoded" in t.lower()), None)
                  or next((t for t in types if "multipart/form-data" in t.lower()), None)
                  or next((t for t in types if t.lower().startswith("text/")), None))
        if chosen is None:
            return None, f"request body of type {', '.join(types)} is not generated: add it by hand"
        media = self.resolver.deref(content[chosen]) or {}
        value, source = self.media_example(media)
        value = self.document_value(value, f"request body of {name}")
        if op.kind == "token":
            value = self.token_body(value)
        else:
            value = self.with_ids(op, value, capture_vars)
        value, unique = self.unique_keys(op, value, media)
        value = self.hide(value, name)
        note = None if source == "example" else "request body generated from the schema"
        if unique:
            note = (note + "; " if note else "") + (f"{', '.join(unique)} made unique per request (the client chooses "
                                                    "the key: users must not create the same one)")
        kind = chosen.lower()
        if "json" in kind:
            return Body("json", value), note
        if "x-www-form-urlencoded" in kind:
            if not isinstance(value, dict):
                return None, "the form body is not an object; add it by hand"
            return Body("form", {k: _form_value(v) for k, v in value.items()}), note
        if "multipart/form-data" in kind:
            if not isinstance(value, dict):
                return None, "the multipart body is not an object; add it by hand"
            parts: dict[str, Any] = {}
            schema = self.resolver.deref(media.get("schema") or {})
            properties = schema.get("properties") if isinstance(schema, dict) else {}
            for key, item in value.items():
                prop = self.resolver.deref((properties or {}).get(key) or {})
                if isinstance(prop, dict) and (prop.get("format") in ("binary", "base64")
                                               or prop.get("contentMediaType")):
                    note = (note + "; " if note else "") + f"file part {key} is not sent: add it under files: by hand"
                else:
                    parts[key] = _form_value(item)
            return Body("files", parts), note
        return Body("raw", value if isinstance(value, str) else json.dumps(value)), note

    def unique_keys(self, op: _Operation, value: Any, media: dict[str, Any]) -> tuple[Any, list[str]]:
        """A create whose item path is keyed by a field the client sends (`POST /user` with the
        `username` that `/user/{username}` reads) gets a unique value there, so that simulated users do
        not create (and delete) the same object; a field with a pattern, format or enum is left alone."""
        if op.kind != "create" or not isinstance(value, dict):
            return value, []
        properties = self.properties(media.get("schema") or {})
        prefix = op.path.rstrip("/") + "/"
        changed: list[str] = []
        out = dict(value)
        for item in op.captures:
            key = item.query.selector
            if not isinstance(key, str) or key not in out or not isinstance(out[key], str) or key == "id":
                continue
            if not any(f"{prefix}{{{key}}}" == p for p in self.item_paths):
                continue
            prop = self.resolver.deref(properties.get(key) or {})
            if isinstance(prop, dict) and (prop.get("pattern") or prop.get("format") or prop.get("enum")
                                           or (prop.get("maxLength") or 99) < len(out[key]) + 9):
                continue
            out[key] = f"{out[key]}-{{{{ random_string(8) }}}}"
            changed.append(key)
        return out, changed

    def media_example(self, media: dict[str, Any]) -> tuple[Any, str]:
        if "example" in media:
            return copy.deepcopy(media["example"]), "example"
        examples = media.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.resolver.deref(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return copy.deepcopy(first["value"]), "example"
        return self.resolver.example(media.get("schema") or {}), "schema"

    def token_body(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for key in list(out):
            lowered = key.lower()
            if lowered in ("username", "user", "email", "login"):
                out[key] = self.credentials.missing(key, f"the {key} to log in with", "the token operation")
            elif lowered == "grant_type":
                out[key] = out[key] if isinstance(out[key], str) and out[key] != "string" else "password"
            elif lowered in ("scope", "client_id", "client_secret") and out[key] in ("string", "", None):
                del out[key]
        return out

    def with_ids(self, op: _Operation, value: Any, capture_vars: dict[str, str]) -> Any:
        """An update sent to the collection path (`PUT /pet` with the pet in the body) carries the id
        captured from the create: `{"id": "{{ petId }}"}`."""
        if op.kind not in ("update", "action") or not isinstance(value, dict) or "id" not in value:
            return value
        prefix = op.path.rstrip("/") + "/"
        for key, variable in capture_vars.items():
            if key.startswith(prefix) and key.count("/") == op.path.rstrip("/").count("/") + 1:
                return {**value, "id": "{{ " + variable + " }}"}
        return value

    def hide(self, value: Any, name: str) -> Any:
        if isinstance(value, dict):
            return {k: (self.credentials.missing(k, f"the {k}", name) if is_supplied_secret_key(str(k)) and isinstance(
                v, str) and "{{" not in v else self.hide(v, name)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.hide(v, name) for v in value]
        return value

    def security(self, op: _Operation, headers: dict[str, str], params: dict[str, Any], name: str) -> None:
        if op.kind == "token":
            return
        requirements = op.raw.get("security", self.document.get("security"))
        if not isinstance(requirements, list) or not requirements:
            return
        if any(isinstance(r, dict) and not r for r in requirements):
            return  # `{}`: anonymous access is allowed
        chosen = None
        for requirement in requirements:  # prefer what loadspec can do without the user's help
            if isinstance(requirement, dict) and all(n in self.schemes for n in requirement):
                if chosen is None or (self.token_variable and any(self.oauth_like(n) for n in requirement)):
                    chosen = requirement
        if chosen is None:
            return
        for scheme_name in chosen:
            scheme = self.schemes[scheme_name]
            kind = str(scheme.get("type"))
            where = f"security scheme {scheme_name}"
            if self.oauth_like(scheme_name):
                if self.token_variable:
                    headers["Authorization"] = "Bearer {{ " + self.token_variable + " }}"
                else:
                    headers["Authorization"] = "Bearer " + self.credentials.missing(
                        "access_token", "a bearer token", where)
            elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                headers["Authorization"] = "Basic " + self.credentials.missing(
                    "basic_auth", "base64 of username:password", where)
            elif kind == "apiKey":
                key_name = str(scheme.get("name") or "X-API-Key")
                value = self.credentials.missing(key_name, f"the {key_name} API key", where)
                location = scheme.get("in")
                if location == "query":
                    params[key_name] = value
                elif location == "cookie":
                    headers["Cookie"] = f"{key_name}={value}"
                else:
                    headers[key_name] = value
            elif scheme_name not in self.dropped_schemes:
                self.dropped_schemes.add(scheme_name)
                self.summary.drop(f"security scheme {scheme_name} ({kind})", "not supported: add its header by hand")

    def oauth_like(self, scheme_name: str) -> bool:
        scheme = self.schemes.get(scheme_name) or {}
        kind = str(scheme.get("type"))
        return kind in ("oauth2", "openIdConnect") or (
            kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer")

    # -- captures ----------------------------------------------------------------------------

    def plan_captures(self, ops: list[_Operation]) -> dict[str, str]:
        """For each create: capture the id of what it made for the item path below it; returns
        item path → variable."""
        item_paths: dict[str, list[_Operation]] = {}
        for op in ops:
            segments = _segments(op.path)
            for index, segment in enumerate(segments):
                if _is_param(segment):
                    item_paths.setdefault("/" + "/".join(segments[:index + 1]), []).append(op)
        self.item_paths = set(item_paths)
        found: dict[str, str] = {}
        for op in ops:
            if op.kind != "create":
                continue
            prefix = op.path.rstrip("/")
            for item_path in item_paths:
                if not item_path.startswith(prefix + "/") or item_path.count("/") != prefix.count("/") + 1:
                    continue
                param = item_path.rsplit("/", 1)[1][1:-1]
                variable = _param_variable(item_path, param)
                selector = self.id_field(op, param)
                if selector is None:
                    self.summary.warnings.append(
                        f"{op.label} documents no id in its response for {item_path}: the later steps send the "
                        f"documented example instead; add a capture by hand (e.g. from the Location header)")
                    continue
                op.captures.append(Capture(variable, Query("json", selector),
                                           comment=f"the id of what it created, for {item_path}"))
                found[item_path] = variable
        return found

    def id_field(self, op: _Operation, param: str) -> str | None:
        _, schema = self.success(op)
        schema = self.resolver.deref(schema)
        single = _singular(_segments(op.path)[-1]) if _segments(op.path) else ""
        candidates = [param, "id", f"{single}Id", f"{single}_id", "uuid", "_id"]
        if schema is None:  # no JSON body documented: nothing to capture from
            return None
        properties = self.properties(schema)
        if properties:
            for candidate in candidates:
                if candidate in properties:
                    return candidate if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", candidate) else json.dumps(candidate)
            return None
        return "id"  # a JSON body of no documented shape: the usual name

    # -- the spec --------------------------------------------------------------------------

    def run(self) -> ImportResult:
        host, base, origin = self.server()
        ops = self.operations()
        if not ops:
            raise InputFileError(f"{self.path}: no operation to import"
                                 + (" matches the --tag/--operation filters" if self.options.tags
                                    or self.options.operations else " (the document has no operations under paths)"))
        token = self.find_token_operation(ops)
        setup: list[RequestStep] = []
        if token is not None:
            token.kind = "token"
            self.token_variable = identifier(token.token_field or "access_token")
            token.captures.append(Capture(self.token_variable, Query("json", token.token_field or "access_token"),
                                          comment="the token the other steps send"))
        ordered = self.order([o for o in ops if o is not token])
        capture_vars = self.plan_captures(ordered)
        if token is not None:
            step = self.step(token, capture_vars, base)
            if step is not None:
                step.on_fail = "stop_user"
                setup.append(step)
        steps = [s for s in (self.step(op, capture_vars, base) for op in ordered) if s is not None]
        if not steps:
            steps, setup = setup, []
        scenario_name = self.options.scenario or self.title
        spec = Spec(name=self.title, scenarios=[Scenario(name=scenario_name, steps=list(steps), setup=list(setup))],
                    host=host, variables=self.variables, source=self.source.file)
        kinds: dict[str, int] = {}
        for op in ordered:
            kinds[op.kind] = kinds.get(op.kind, 0) + 1
        self.summary.made.append(f"{len(ops)} operation{'s' if len(ops) != 1 else ''} → {len(steps) + len(setup)} "
                                 f"steps on {host or 'the --host you give'}{base}: "
                                 + ", ".join(f"{n} {k}" for k, n in kinds.items()))
        if host and origin:
            self.summary.made.append(f"host {host}: {origin}")
        if token is not None:
            self.summary.made.append(f"token operation {token.label} runs once per user (setup); its "
                                     f"{token.token_field} is sent as the bearer token")
        for item_path, variable in capture_vars.items():
            self.summary.made.append(f"{item_path}: {{{{ {variable} }}}} captured from the create's response")
        if self.variables:
            self.summary.made.append("path parameters without a create, from the documented examples: "
                                     + ", ".join(f"{k}={v!r}" for k, v in list(self.variables.items())[:8]))
        return finish(spec, self.summary, self.credentials)


def _form_value(value: Any) -> Any:
    if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(
            isinstance(v, (str, int, float, bool)) for v in value)):
        return json.dumps(value)
    return value


def import_openapi(source: str | Path | Document, options: OpenApiOptions | None = None) -> ImportResult:
    """Import an OpenAPI 3.0/3.1 document (a file, or a `Document` fetched from a URL): one step per
    operation, creates before reads, updates, deletes."""
    options = options or OpenApiOptions()
    read = read_document(source, WHAT)
    name = read.name
    document = parse_document(name, read.text, WHAT)
    if not isinstance(document, dict):
        raise InputFileError(f"{name}: not {WHAT}: it is not a mapping")
    version = str(document.get("openapi") or "")
    if not version:
        if document.get("swagger"):
            raise InputFileError(f"{name}: a Swagger {document['swagger']} document; loadspec reads OpenAPI 3.0 and "
                                 "3.1: convert it first (e.g. with swagger2openapi or editor.swagger.io)")
        raise InputFileError(f"{name}: not {WHAT}: it has no `openapi:` version")
    if not version.startswith("3."):
        raise InputFileError(f"{name}: OpenAPI {version} is not supported; loadspec reads 3.0 and 3.1")
    return _Importer(read, document, options).run()
