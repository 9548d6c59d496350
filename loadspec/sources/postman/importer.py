"""Import a Postman collection (v2.1 or v2.0, optionally with an environment file) into the Spec model.

Its one job is Postman JSON → `Spec`: one scenario whose steps follow the collection's order,
folders becoming groups; collection, environment and folder variables becoming `variables`
(request- and folder-scoped values that differ from the collection's are written into the
steps); Postman's `{{name}}` and dynamic `{{$guid}}`-style variables becoming loadspec
templates; `auth` (bearer, basic, API key, an OAuth 2 access token) resolved by inheritance with
`noauth` overrides into headers or query parameters, credentials as `{{ env.LOADSPEC_* }}`; raw
JSON, urlencoded, form-data and GraphQL bodies; query and path parameters; and test scripts
translated by `_pm_scripts` into assertions and captures. A statement it cannot translate is kept
as a comment above its step and listed in the summary. It never runs a script, never sends a
request and never imports the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ...errors import InputFileError, TemplateError
from ...lang.templates import parse_template
from ...model import Assertion, Body, GroupStep, RequestStep, Scenario, Spec, Step, UploadFile
from ..common import (
    Credentials,
    ImportResult,
    ImportSummary,
    Names,
    VariableNames,
    choose_host,
    finish,
    is_supplied_secret_header,
    is_supplied_secret_key,
    parse_document,
    read_text,
    split_base,
    split_userinfo,
    upload_path,
)
from . import scripts as _pm_scripts
from .variables import VAR, Converter, Scope, json_with_variables, pairs, typed, unmark, variable_list

__all__ = ["PostmanOptions", "import_postman", "looks_like"]

WHAT = "a Postman collection (v2.0 or v2.1 JSON)"
_SCHEMA = re.compile(r"schema\.(getpostman|postman)\.com/json/collection/v(2\.[01])")


@dataclass
class PostmanOptions:
    """How to import a collection."""

    environment: Path | None = None  # a Postman environment file (`--postman-env env.json`)
    scenario: str | None = None  # scenario name; default: the collection's name
    folders: bool = True  # folders become groups (timed together); False: a flat list of steps


def looks_like(path: Path, text: str) -> bool:
    """True for a Postman collection: JSON with `info` (a Postman schema URL or `_postman_id`) and `item`."""
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    if _SCHEMA.search(text[:20000]):
        return True
    if '"item"' not in text:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    data = data.get("collection", data) if isinstance(data.get("collection"), dict) else data
    items = data.get("item")
    return isinstance(items, list) and bool(items) and all(
        isinstance(i, dict) and ("request" in i or "item" in i) for i in items)


# --- the import -----------------------------------------------------------------------------------


@dataclass
class _Item:
    """A request item with what it inherits."""

    raw: dict[str, Any]
    scope: Scope
    auth: Any  # the auth object in effect (None = none)
    auth_owner: str
    tests: list[tuple[str, str]]  # (owner, script text) from the collection down to the request
    prerequests: list[tuple[str, str]]


def _script(event: Any, listen: str) -> str:
    if not isinstance(event, list):
        return ""
    texts: list[str] = []
    for item in event:
        if not isinstance(item, dict) or item.get("listen") != listen or item.get("disabled"):
            continue
        script = item.get("script")
        if isinstance(script, dict):
            code = script.get("exec")
            texts.append("\n".join(str(line) for line in code) if isinstance(code, list) else str(code or ""))
        elif isinstance(script, str):
            texts.append(f"// script {script} (defined elsewhere) is not available")
    return "\n".join(t for t in texts if t.strip())


def _auth_of(node: dict[str, Any]) -> tuple[bool, Any]:
    """(has its own auth, the auth): an absent or `inherit` auth inherits the parent's."""
    auth = node.get("auth")
    if auth is None or not isinstance(auth, dict):
        return False, None
    kind = auth.get("type")
    if kind in (None, "inherit"):
        return False, None
    if kind == "noauth":
        return True, None
    return True, auth


def _auth_params(auth: dict[str, Any]) -> dict[str, Any]:
    kind = str(auth.get("type"))
    value = auth.get(kind)
    if isinstance(value, list):  # v2.1: [{key, value}]
        return {str(p.get("key")): p.get("value") for p in value if isinstance(p, dict)}
    if isinstance(value, dict):  # v2.0: {username: ..., password: ...}
        return dict(value)
    return {}


class _Importer:
    def __init__(self, path: Path, data: dict[str, Any], options: PostmanOptions):
        self.path = path
        self.data = data
        self.options = options
        info = data.get("info") if isinstance(data.get("info"), dict) else {}
        schema = str(info.get("schema") or info.get("_postman_schema") or "")
        match = _SCHEMA.search(schema)
        version = match.group(2) if match else ("2.0" if "2.0" in schema else "2.1")
        self.title = str(info.get("name") or data.get("name") or path.stem)
        self.summary = ImportSummary(source=str(path), kind=f"Postman collection v{version}", title=self.title)
        self.credentials = Credentials()
        self.names = VariableNames()
        self.step_names = Names()
        self.group_names = Names()
        self.secret_types: set[str] = set()
        self.seen_untranslated: set[tuple[str, str]] = set()
        self.dropped_auth: set[tuple[str, str]] = set()
        collection_vars = variable_list(data.get("variable"))
        self.env_vars = self._environment()
        self.globals: dict[str, Any] = {**collection_vars, **self.env_vars}
        self.runtime: set[str] = set()
        self.constants: dict[str, Any] = {}
        self.secret_vars: dict[str, str] = {}
        self.converter = Converter(self.globals, self.runtime, self.names, self.summary)

    def _environment(self) -> dict[str, Any]:
        file = self.options.environment
        if file is None:
            return {}
        data = parse_document(file, read_text(file, "a Postman environment file"), "a Postman environment file")
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise InputFileError(f"{file}: not a Postman environment file: it has no \"values\" list")
        values = variable_list(data["values"])
        for item in data["values"]:
            if isinstance(item, dict) and item.get("type") == "secret" and isinstance(item.get("key"), str):
                self.secret_types.add(str(item["key"]))
        self.summary.made.append(f"environment {file.name} ({data.get('name', '')}): {len(values)} variable"
                                 f"{'s' if len(values) != 1 else ''}, over the collection's")
        return values

    # -- walking the tree --------------------------------------------------------------------

    def walk(self, node: dict[str, Any], scope: Scope, auth: Any, auth_owner: str, tests: list[tuple[str, str]],
             prerequests: list[tuple[str, str]], owner: str) -> list[Any]:
        """The items below `node` as a tree of lists (folders) and _Item (requests)."""
        out: list[Any] = []
        for child in node.get("item") or []:
            if not isinstance(child, dict):
                continue
            own_scope = Scope(variable_list(child.get("variable")), scope)
            has_auth, child_auth = _auth_of(child)
            name = str(child.get("name") or "")
            inherited_auth, inherited_owner = (child_auth, name) if has_auth else (auth, auth_owner)
            child_tests = tests + [(name, _script(child.get("event"), "test"))]
            child_pre = prerequests + [(name, _script(child.get("event"), "prerequest"))]
            if isinstance(child.get("item"), list):
                out.append((name or "folder", self.walk(child, own_scope, inherited_auth, inherited_owner, child_tests,
                                                        child_pre, name)))
            elif "request" in child:
                request = child["request"]
                request_auth = inherited_auth
                request_owner = inherited_owner
                if isinstance(request, dict):
                    has, found = _auth_of(request)
                    if has:
                        request_auth, request_owner = found, "request"
                out.append(_Item(child, own_scope, request_auth, request_owner, child_tests, child_pre))
            else:
                self.summary.drop(f"item {name!r}", "neither a request nor a folder")
        return out

    def collect_runtime(self, tree: list[Any]) -> None:
        """Pass 1: every variable a script sets (so a later `{{name}}` reads the run-time value)."""
        for entry in tree:
            if isinstance(entry, tuple):
                self.collect_runtime(entry[1])
                continue
            for phase, scripts in (("test", entry.tests), ("prerequest", entry.prerequests)):
                for _, text in scripts:
                    if text:
                        result = _pm_scripts.translate(text, self.names, phase=phase)
                        for capture in result.captures:
                            self.runtime.add(self._source_name(capture.name))
                        for constant, value in result.constants.items():
                            self.constants.setdefault(constant, value)
                            self.globals.setdefault(self._source_name(constant), value)

    def _defined(self, assertion: Assertion) -> bool:
        """False when the assertion reads a variable that nothing defines (an untranslated script sets it)."""
        names = [assertion.query.selector] if assertion.query.kind == "var" else []
        for predicate in assertion.predicates:
            names.extend(re.findall(r"\{\{ ([A-Za-z_][A-Za-z0-9_]*) \}\}", str(predicate.value)))
        for ident in names:
            source = self._source_name(str(ident).split(".")[0])
            if source not in self.globals and source not in self.runtime and ident not in self.constants:
                return False
            self.converter.used.add(source)
        return True

    def _source_name(self, ident: str) -> str:
        for source, mapped in self.names.by_source.items():
            if mapped == ident:
                return source
        return ident

    def build(self, tree: list[Any]) -> list[Step]:
        steps: list[Step] = []
        for entry in tree:
            if isinstance(entry, tuple):
                name, children = entry
                inner = self.build(children)
                if not inner:
                    continue
                if self.options.folders:
                    steps.append(GroupStep(name=self.group_names.unique(name), steps=inner))
                else:
                    steps.extend(inner)
            else:
                step = self.request(entry)
                if step is not None:
                    steps.append(step)
        return steps

    # -- one request -----------------------------------------------------------------------

    def request(self, item: _Item) -> RequestStep | None:
        raw = item.raw
        label = str(raw.get("name") or "request")
        request = raw["request"]
        if isinstance(request, str):
            request = {"url": request, "method": "GET"}
        if not isinstance(request, dict):
            self.summary.drop(f"request {label!r}", "the request is not an object")
            return None
        method = str(request.get("method") or "GET").upper()
        if method.lower() not in ("get", "post", "put", "patch", "delete", "head", "options"):
            self.summary.drop(f"request {label!r}", f"method {method} is not supported by loadspec")
            return None
        scope = item.scope
        conv = self.converter
        url, params = self.url(request.get("url"), scope, label)
        if not url:
            self.summary.drop(f"request {label!r}", "it has no URL")
            return None
        name = self.step_names.unique(label)
        notes: list[str] = []
        headers: dict[str, str] = {}
        content_type = ""
        for header in pairs(request.get("header")):
            key, value = str(header["key"]), str(header.get("value") or "")
            if key.lower() in ("content-length", "host"):
                continue
            if key.lower() == "content-type":
                content_type = value.lower()
            if is_supplied_secret_header(key) and value and "{{" not in value:
                headers[key] = self.credentials.value(key, value, f"header {key} of {name}")
            else:
                headers[conv.template(key, scope)] = conv.template(value, scope)
        url, url_user, url_password = split_userinfo(url)
        if url_user is not None:
            static_user = self.converter.static(url_user, scope)
            static_password = self.converter.static(url_password, scope)
            headers["Authorization"] = self.credentials.basic(static_user, static_password, f"URL of {name}") if (
                static_user is not None and static_password is not None) else "Basic " + self.credentials.missing(
                "basic_auth", "base64 of username:password", f"URL of {name}")
        self.auth(item, headers, params, name, notes)
        pruned = method in ("GET", "HEAD") and not (raw.get("protocolProfileBehavior") or {}).get(
            "disableBodyPruning")
        body, body_note = (None, None) if pruned else self.body(request.get("body"), content_type, scope, name)
        if pruned and isinstance(request.get("body"), dict) and request["body"].get(request["body"].get("mode")):
            notes.append(f"the {method} body is not sent (Postman prunes it too, unless disableBodyPruning)")
        if body_note:
            notes.append(body_note)
        if body is not None and body.kind in ("json", "form", "files"):
            headers = {k: v for k, v in headers.items() if not (k.lower() == "content-type" and (
                body.kind == "json" and "json" in v.lower() or body.kind == "form" and "urlencoded" in v.lower()
                or body.kind == "files"))}
        assertions: list[Assertion] = []
        captures = []
        for phase, scripts in (("prerequest", item.prerequests), ("test", item.tests)):
            for owner, text in scripts:
                if not text.strip():
                    continue
                result = _pm_scripts.translate(text, self.names, phase=phase)
                where = "this request" if owner == label else (f"folder {owner!r}" if owner else "the collection")
                for constant, value in result.constants.items():
                    self.constants.setdefault(constant, value)
                for assertion in list(result.assertions):
                    if not self._defined(assertion):
                        result.assertions.remove(assertion)
                        result.untranslated.append(_describe(assertion) + " (reads a variable that only an "
                                                   "untranslated script sets)")
                captures.extend(result.captures)
                assertions.extend(result.assertions)
                notes.extend(result.notes)
                for statement in result.untranslated:
                    if owner == label:
                        notes.append(f"not translated ({phase} script): {statement}")
                        self.summary.untranslated.append((name, statement))
                    elif not self._listed(owner, statement):
                        notes.append(f"not translated ({phase} script of {where}, for every request in it): "
                                     f"{statement}")
                        self.summary.untranslated.append((where, statement))
        for index, assertion in enumerate(assertions, start=1):
            assertion.index = index
        if any("{{ env." in v for v in headers.values()) or any("{{ env." in str(v) for v in params.values()):
            notes.append("a credential is read from an environment variable")
        step = RequestStep(name=name, method=method.lower(), url=url, headers=headers, params=params, body=body,
                           captures=_unique_captures(captures), assertions=assertions,
                           comment="\n".join(dict.fromkeys(notes)) or None)
        problem = _template_problem([url, headers, params, body.value if body else None])
        if problem:
            self.summary.drop(f"request {label!r}", f"{problem} (nested or unclosed {{{{ }}}} cannot be written as a "
                              "loadspec template; fix it in the YAML by hand)")
            return None
        return step

    def _listed(self, owner: str, statement: str) -> bool:
        """True when this inherited statement was already listed (it is listed once, at its first step)."""
        key = (owner, statement)
        if key in self.seen_untranslated:
            return True
        self.seen_untranslated.add(key)
        return False

    def url(self, value: Any, scope: Scope, label: str) -> tuple[str, dict[str, Any]]:
        conv = self.converter
        path_vars: dict[str, Any] = {}
        query_items: list[tuple[str, str]] | None = None
        if isinstance(value, dict):
            raw = value.get("raw")
            if not isinstance(raw, str) or not raw:
                host = value.get("host")
                host_text = ".".join(map(str, host)) if isinstance(host, list) else str(host or "")
                path = value.get("path")
                path_text = "/".join(str(p if not isinstance(p, dict) else p.get("value", "")) for p in path) if (
                    isinstance(path, list)) else str(path or "")
                protocol = value.get("protocol")
                port = value.get("port")
                raw = (f"{protocol}://" if protocol else "") + host_text + (f":{port}" if port else "") + (
                    "/" + path_text if path_text else "")
            if isinstance(value.get("query"), list):
                query_items = [(str(q.get("key")), "" if q.get("value") is None else str(q.get("value")))
                               for q in pairs(value["query"])]
            path_vars = variable_list(value.get("variable"))
        elif isinstance(value, str):
            raw = value
        else:
            return "", {}
        raw = raw.strip()
        base, _, query = raw.partition("?")
        base = base.split("#", 1)[0]
        if query_items is None:
            query_items = [(k, v) for k, v in parse_qsl(query.split("#", 1)[0], keep_blank_values=True)]
        # path variables (:id)
        def path_var(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in path_vars and str(path_vars[key]) != "":
                return str(path_vars[key])
            return "{{" + key + "}}"
        base = re.sub(r"(?<=/):([A-Za-z_][\w-]*)", path_var, base)
        # a leading {{baseUrl}} that resolves to an absolute URL is written out (it becomes `host`)
        lead = re.match(r"^\{\{[^{}]+\}\}", base)
        if lead:
            resolved = conv.static(lead.group(0), scope)
            if resolved and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", resolved):
                base = resolved.rstrip("/") + base[lead.end():]
        if not base.startswith("{{") and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", base):
            base = "http://" + base  # Postman's default scheme
        url = conv.template(base, scope)
        params: dict[str, Any] = {}
        for key, item in query_items:
            if is_supplied_secret_key(key) and item and "{{" not in item:
                item = self.credentials.value(key, item, f"query {key} of {label}")
            else:
                item = conv.template(item, scope)
            key = conv.template(key, scope)
            if key in params:
                existing = params[key]
                params[key] = (existing if isinstance(existing, list) else [existing]) + [item]
            else:
                params[key] = item
        return url, params

    def auth(self, item: _Item, headers: dict[str, str], params: dict[str, Any], name: str, notes: list[str]) -> None:
        auth = item.auth
        if not isinstance(auth, dict):
            return
        kind = str(auth.get("type"))
        values = _auth_params(auth)
        owner = "the request" if item.auth_owner == "request" else (
            f"folder {item.auth_owner!r}" if item.auth_owner else "the collection")
        where = f"{kind} auth of {owner}"
        if kind == "bearer":
            headers["Authorization"] = "Bearer " + self.credential("token", values.get("token"), item.scope, where)
        elif kind == "oauth2" and values.get("accessToken"):
            prefix = str(values.get("headerPrefix") or "Bearer")
            token = self.credential("access_token", values.get("accessToken"), item.scope, where)
            if values.get("addTokenTo") == "queryParams":
                params["access_token"] = token
            else:
                headers["Authorization"] = f"{prefix} {token}"
        elif kind == "basic":
            user, password = values.get("username", ""), values.get("password", "")
            static_user = self.converter.static(str(user or ""), item.scope)
            static_password = self.converter.static(str(password or ""), item.scope)
            if static_user is not None and static_password is not None:
                headers["Authorization"] = self.credentials.basic(static_user, static_password, where)
            else:
                headers["Authorization"] = "Basic " + self.credentials.missing(
                    "basic_auth", "base64 of username:password", where)
        elif kind == "apikey":
            key = str(self.converter.template(str(values.get("key") or "X-API-Key"), item.scope))
            value = self.credential(key, values.get("value"), item.scope, where)
            if values.get("in") == "query":
                params[key] = value
            else:
                headers[key] = value
        else:
            key = (kind, owner)
            if key not in self.dropped_auth:
                self.dropped_auth.add(key)
                self.summary.drop(f"{kind} auth of {owner}",
                                  "this kind of auth is not supported: add its header by hand")
            notes.append(f"{kind} auth of {owner} is not replayed")

    def credential(self, key: str, value: Any, scope: Scope, where: str) -> str:
        """A credential: a literal becomes `{{ env.LOADSPEC_* }}`; a variable stays a variable (and its
        literal value in the collection/environment moves to the environment)."""
        text = "" if value is None else str(value)
        if not text:
            return self.credentials.missing(key, "the credential", where)
        if "{{" not in text:
            return self.credentials.value(key, text, where)
        for match in VAR.finditer(text):
            name = match.group(1).strip()
            if name in self.runtime or name.startswith("$"):
                continue
            found, held = scope.lookup(name)
            if not found and name in self.globals:
                found, held = True, self.globals[name]
            if found and "{{" not in str(held):
                self.secret_vars[name] = str(held)
        return self.converter.template(text, scope)

    def body(self, body: Any, content_type: str, scope: Scope, name: str) -> tuple[Body | None, str | None]:
        if not isinstance(body, dict) or body.get("disabled"):
            return None, None
        mode = body.get("mode")
        conv = self.converter
        if mode == "raw":
            text = str(body.get("raw") or "")
            if not text:
                return None, None
            options = body.get("options") if isinstance(body.get("options"), dict) else {}
            language = str((options.get("raw") or {}).get("language") or "") if isinstance(options.get("raw"), dict) \
                else ""
            if "json" in content_type or language == "json" or (not content_type and text.lstrip()[:1] in "{["):
                parsed = json_with_variables(conv.inline(text, scope))
                if parsed is not None:
                    value, found = parsed
                    return Body("json", conv.value(unmark(value, found), scope)), None
                return Body("raw", conv.template(text, scope)), "the raw body is not valid JSON; it is sent as written"
            return Body("raw", conv.template(text, scope)), None
        if mode == "urlencoded":
            form: dict[str, Any] = {}
            for pair in pairs(body.get("urlencoded")):
                key, value = conv.template(str(pair["key"]), scope), str(pair.get("value") or "")
                if is_supplied_secret_key(str(pair["key"])) and value and "{{" not in value:
                    value = self.credentials.value(str(pair["key"]), value, f"form {pair['key']} of {name}")
                else:
                    value = conv.template(value, scope)
                if key in form:
                    form[key] = (form[key] if isinstance(form[key], list) else [form[key]]) + [value]
                else:
                    form[key] = value
            return (Body("form", form), None) if form else (None, None)
        if mode == "formdata":
            parts: dict[str, Any] = {}
            for pair in pairs(body.get("formdata")):
                key = conv.template(str(pair["key"]), scope)
                if pair.get("type") == "file":
                    src = pair.get("src")
                    src = src[0] if isinstance(src, list) and src else src
                    if not isinstance(src, str) or not src:
                        self.summary.drop(f"file field {pair['key']!r} of {name}", "no file is named (src)")
                        continue
                    found = upload_path(src, self.path.resolve().parent)
                    if found is None:
                        self.summary.drop(f"file field {pair['key']!r} of {name}", f"the file {src} is not there "
                                          "(looked next to the collection); add it to the step's files: by hand")
                        continue
                    parts[key] = UploadFile(found, pair.get("contentType") or None)
                else:
                    value = str(pair.get("value") or "")
                    if is_supplied_secret_key(str(pair["key"])) and value and "{{" not in value:
                        parts[key] = self.credentials.value(str(pair["key"]), value, f"form {pair['key']} of {name}")
                    else:
                        parts[key] = conv.template(value, scope)
            return (Body("files", parts), None) if parts else (None, None)
        if mode == "graphql":
            graphql = body.get("graphql") if isinstance(body.get("graphql"), dict) else {}
            payload: dict[str, Any] = {"query": conv.template(str(graphql.get("query") or ""), scope)}
            variables = graphql.get("variables")
            if isinstance(variables, str) and variables.strip():
                parsed = json_with_variables(conv.inline(variables, scope))
                if parsed is not None:
                    payload["variables"] = conv.value(unmark(*parsed), scope)
            return Body("json", payload), None
        if mode == "file":
            self.summary.drop(f"body of {name}", "a binary file body is not replayed")
            return None, None
        return None, None

    # -- the spec --------------------------------------------------------------------------

    def run(self) -> ImportResult:
        data = self.data
        has_auth, collection_auth = _auth_of(data)
        root_tests = [("", _script(data.get("event"), "test"))]
        root_pre = [("", _script(data.get("event"), "prerequest"))]
        tree = self.walk(data, Scope({}, None), collection_auth if has_auth else None, "", root_tests, root_pre, "")
        self.collect_runtime(tree)
        steps = self.build(tree)
        if not steps:
            raise InputFileError(f"{self.path}: the collection has no request that loadspec can replay"
                                 + (f" ({self.summary.dropped[0][0]}: {self.summary.dropped[0][1]})"
                                    if self.summary.dropped else ""))
        from ...model import iter_request_steps

        requests = iter_request_steps(steps)
        host = choose_host(requests)
        variables = self.variables()
        scenario = self.options.scenario or self.title
        spec = Spec(name=self.title, scenarios=[Scenario(name=scenario, steps=steps)], host=host,
                    variables=variables, source=self.path)
        groups = sum(1 for _ in _groups(steps))
        bases = {split_base(s.url)[0] for s in requests} - {""}
        self.summary.made.insert(0, f"{len(requests)} request{'s' if len(requests) != 1 else ''}"
                                 + (f" in {groups} folder group{'s' if groups != 1 else ''}" if groups else "")
                                 + f" → steps on {host or 'no host'}"
                                 + (f" (absolute URLs for {', '.join(sorted(bases))})" if bases else ""))
        captures = sum(len(s.captures) for s in requests)
        assertions = sum(len(s.assertions) for s in requests)
        if captures or assertions:
            self.summary.made.append(f"test scripts → {assertions} assertion{'s' if assertions != 1 else ''}, "
                                     f"{captures} capture{'s' if captures != 1 else ''}")
        renamed = [(s, i) for s, i in self.names.renamed() if s in self.converter.used or i in variables]
        if renamed:
            self.summary.made.append("variables renamed to template names: "
                                     + ", ".join(f"{s} → {i}" for s, i in renamed[:8]))
        if self.converter.approximated:
            self.summary.warnings.append("Postman dynamic variables approximated by loadspec built-ins: "
                                         + ", ".join(sorted(self.converter.approximated)))
        undefined = sorted(self.converter.undefined - set(self.constants_sources()))
        if undefined:
            self.summary.warnings.append(
                "used but defined nowhere (not in the collection, the environment or a script): "
                + ", ".join(undefined) + "; they start empty: set them with --var NAME=VALUE or --postman-env")
        return finish(spec, self.summary, self.credentials)

    def constants_sources(self) -> list[str]:
        return [self._source_name(n) for n in self.constants]

    def variables(self) -> dict[str, Any]:
        variables: dict[str, Any] = {}
        secret_types = self.secret_types
        for name, value in self.globals.items():
            ident = self.names(name)
            text = "" if value is None else value
            if isinstance(text, str) and "{{" in text:
                resolved = self.converter.static(text, None)  # else it is expanded in the steps that use it
                if resolved is not None and name in self.converter.used:
                    variables[ident] = typed(resolved)
            elif name in self.secret_vars or name in secret_types or (is_supplied_secret_key(name) and text != ""):
                variables[ident] = self.credentials.value(name, str(text), f"variable {name}") if str(text) else (
                    self.credentials.missing(name, f"the value of {name}", f"variable {name}"))
            else:
                variables[ident] = typed(text)
        for ident, value in self.constants.items():
            variables.setdefault(ident, value)
        for name in sorted(self.converter.used):
            ident = self.names(name)
            variables.setdefault(ident, "")
        # keep only what is used, plus what the collection defines
        return variables


def _template_problem(value: Any) -> str | None:
    """The first text of `value` that is not a valid loadspec template, quoted; None if all are."""
    if isinstance(value, str):
        if "{{" not in value and "}}" not in value:
            return None
        try:
            parse_template(value)
        except TemplateError:
            return repr(value[:60])
        return None
    if isinstance(value, dict):
        value = list(value.keys()) + list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _template_problem(item)
            if found:
                return found
    return None


def _describe(assertion: Assertion) -> str:
    query = assertion.query
    text = query.kind + (f" {query.selector}" if query.selector else "")
    return text + " " + ", ".join(f"{p.op} {p.value!r}" for p in assertion.predicates)


def _unique_captures(captures: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for capture in captures:
        seen[capture.name] = capture  # the last set wins, as in the script
    return list(seen.values())


def _groups(steps: list[Step]) -> Any:
    for step in steps:
        if isinstance(step, GroupStep):
            yield step
            yield from _groups(step.steps)


def import_postman(path: str | Path, options: PostmanOptions | None = None) -> ImportResult:
    """Import a Postman collection (v2.0/v2.1 JSON) into one scenario."""
    options = options or PostmanOptions()
    file = Path(path)
    data = parse_document(file, read_text(file, WHAT), WHAT)
    if not isinstance(data, dict):
        raise InputFileError(f"{file}: not {WHAT}: the JSON is not an object")
    if "collection" in data and isinstance(data["collection"], dict):
        data = data["collection"]  # the Postman API wraps it
    if not isinstance(data.get("item"), list):
        if isinstance(data.get("values"), list):
            raise InputFileError(f"{file}: a Postman environment (or globals) file, not a collection: give it "
                                 "with --postman-env next to the collection")
        if isinstance(data.get("requests"), list):
            raise InputFileError(f"{file}: a Postman collection v1, which loadspec does not read: open it in "
                                 "Postman and export it again as Collection v2.1")
        raise InputFileError(f"{file}: not {WHAT}: it has no \"item\" list")
    return _Importer(file, data, options).run()
