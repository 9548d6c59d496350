"""Postman import without running load: folders, variables, auth, bodies and test scripts.

Small collections are written to disk as Postman exports them (v2.1, and v2.0 where it differs),
imported, and checked on the Spec, the summary and the written YAML, which must pass
`loadspec validate`. The public collections of tests/importers/data (see SOURCES.md) must import
and validate too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loadspec.cli import main
from loadspec.model import Assertion, GroupStep, RequestStep, UploadFile, iter_request_steps
from loadspec.sources.common import ImportResult, identifier, validated_yaml
from loadspec.sources.postman import PostmanOptions, import_postman, looks_like
from loadspec.sources.postman.scripts import translate

DATA = Path(__file__).parent / "data"
V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
V20 = "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"


def collection(items: list[Any], schema: str = V21, **top: Any) -> dict[str, Any]:
    return {"info": {"name": "shop", "schema": schema}, "item": items, **top}


def request(name: str, method: str, url: Any, **extra: Any) -> dict[str, Any]:
    events = []
    for listen in ("prerequest", "test"):
        if listen in extra:
            events.append({"listen": listen, "script": {"exec": extra.pop(listen).splitlines()}})
    item: dict[str, Any] = {"name": name, "request": {"method": method, "url": url, **extra}}
    if events:
        item["event"] = events
    return item


def imported(tmp_path: Path, data: dict[str, Any], options: PostmanOptions | None = None) -> ImportResult:
    source = tmp_path / "c.postman_collection.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    result = import_postman(source, options)
    out = tmp_path / "c.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    return result


def requests(result: ImportResult) -> dict[str, RequestStep]:
    return {s.name: s for s in iter_request_steps(result.spec.scenarios[0].steps)}


def checks(step: RequestStep) -> list[tuple[str, str | None, list[tuple[str, Any]]]]:
    return [(a.query.kind, a.query.selector, [(p.op, p.value) for p in a.predicates]) for a in step.assertions]


# --- structure, variables, URLs ---------------------------------------------------------------------


def test_folders_become_groups_in_order_and_base_url_becomes_the_host(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([
        request("health", "GET", "{{baseUrl}}/health"),
        {"name": "catalog", "item": [
            request("list", "GET", {"raw": "{{baseUrl}}/products?page=1&debug=1", "host": ["{{baseUrl}}"],
                                    "path": ["products"], "query": [{"key": "page", "value": "1"},
                                                                    {"key": "debug", "value": "1", "disabled": True}]}),
            {"name": "detail", "item": [request("one", "GET", {"raw": "{{baseUrl}}/products/:id",
                                                               "variable": [{"key": "id", "value": "42"}]})]},
        ]},
        {"name": "empty folder", "item": []},
    ], variable=[{"key": "baseUrl", "value": "https://shop.example.com/api"}]))
    steps = result.spec.scenarios[0].steps
    assert [type(s).__name__ for s in steps] == ["RequestStep", "GroupStep"]
    group = steps[1]
    assert isinstance(group, GroupStep) and group.name == "catalog"
    assert isinstance(group.steps[1], GroupStep) and group.steps[1].name == "detail"
    assert result.spec.host == "https://shop.example.com"
    found = requests(result)
    assert found["health"].url == "/api/health"
    assert (found["list"].url, found["list"].params) == ("/api/products", {"page": "1"})  # disabled one left out
    assert found["one"].url == "/api/products/42"  # path variable :id
    assert "2 folder groups" in result.summary.render()


def test_variables_of_collection_environment_and_folders(tmp_path: Path) -> None:
    env = tmp_path / "staging.postman_environment.json"
    env.write_text(json.dumps({"name": "staging", "values": [
        {"key": "currency", "value": "USD", "enabled": True},
        {"key": "api-key", "value": "k-123", "type": "secret", "enabled": True},
        {"key": "unused", "value": "x", "enabled": False}]}))
    result = imported(tmp_path, collection([
        {"name": "eu", "variable": [{"key": "currency", "value": "EUR"}], "item": [
            request("prices eu", "GET", "https://shop.example.com/prices?c={{currency}}&n={{page-size}}")]},
        request("prices", "GET", "https://shop.example.com/prices?c={{currency}}",
                header=[{"key": "X-Key", "value": "{{api-key}}"}, {"key": "X-Trace", "value": "{{$guid}}"}]),
    ], variable=[{"key": "currency", "value": "GBP"}, {"key": "page-size", "value": "20"}]),
        PostmanOptions(environment=env))
    found = requests(result)
    # the environment wins over the collection; a folder's own value is written into its steps
    assert result.spec.variables["currency"] == "USD"
    assert found["prices"].params == {"c": "{{ currency }}"}
    assert found["prices eu"].params == {"c": "EUR", "n": "{{ page_size }}"}
    assert result.spec.variables["page_size"] == 20  # renamed to a template name, typed
    assert found["prices"].headers["X-Key"] == "{{ api_key }}"
    assert result.spec.variables["api_key"] == "{{ env.LOADSPEC_API_KEY }}"  # a secret of the environment
    assert result.secrets == {"LOADSPEC_API_KEY": "k-123"}
    assert found["prices"].headers["X-Trace"] == "{{ uuid() }}"
    assert "unused" not in result.spec.variables
    assert "k-123" not in (tmp_path / "c.yaml").read_text()


def test_a_variable_made_of_variables_is_expanded_where_it_is_used(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([
        request("login", "POST", "{{baseUrl}}/login", test="pm.environment.set('user', pm.response.json().name)"),
        request("a", "GET", "{{baseUrl}}/a?w={{who}}"),
    ], variable=[{"key": "domain", "value": "api.example.com"}, {"key": "baseUrl", "value": "https://{{domain}}/v2"},
                 {"key": "who", "value": "{{user}}-x"}]))
    found = requests(result)
    assert result.spec.host == "https://api.example.com"
    assert (found["a"].url, found["a"].params) == ("/v2/a", {"w": "{{ user }}-x"})  # the captured user, at run time
    assert "who" not in result.spec.variables


def test_undefined_variables_start_empty_and_are_reported(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([request("a", "GET", "https://x.example.com/{{tenant}}/a")]))
    assert result.spec.variables == {"tenant": ""}
    assert any("tenant" in w and "--var" in w for w in result.summary.warnings)


# --- auth --------------------------------------------------------------------------------------------


def test_auth_is_inherited_overridden_and_turned_off(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([
        request("login", "POST", "https://x.example.com/login", auth={"type": "noauth"},
                body={"mode": "urlencoded", "urlencoded": [{"key": "user", "value": "bob"},
                                                           {"key": "password", "value": "pw-1"}]},
                test='pm.environment.set("token", pm.response.json().token);'),
        request("me", "GET", "https://x.example.com/me"),
        {"name": "admin", "auth": {"type": "basic", "basic": [{"key": "username", "value": "root"},
                                                              {"key": "password", "value": "toor"}]},
         "item": [request("stats", "GET", "https://x.example.com/admin/stats"),
                  request("keyed", "GET", "https://x.example.com/admin/keyed",
                          auth={"type": "apikey", "apikey": [{"key": "key", "value": "api_key"},
                                                             {"key": "value", "value": "AK-9"},
                                                             {"key": "in", "value": "query"}]}),
                  request("inherits", "GET", "https://x.example.com/admin/x", auth={"type": "inherit"})]},
    ], auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]}))
    found = requests(result)
    assert "Authorization" not in found["login"].headers
    assert found["login"].body is not None and found["login"].body.value == {
        "user": "bob", "password": "{{ env.LOADSPEC_PASSWORD }}"}
    assert found["login"].captures[0].name == "token"
    assert found["me"].headers == {"Authorization": "Bearer {{ token }}"}  # the captured token
    assert found["stats"].headers == {"Authorization": "Basic {{ env.LOADSPEC_BASIC_AUTH }}"}
    assert found["inherits"].headers == found["stats"].headers
    assert found["keyed"].params == {"api_key": "{{ env.LOADSPEC_API_KEY }}"} and not found["keyed"].headers
    assert result.secrets["LOADSPEC_BASIC_AUTH"] == "cm9vdDp0b29y"  # base64 of root:toor
    assert result.secrets["LOADSPEC_API_KEY"] == "AK-9"


def test_v20_auth_objects_and_unsupported_auth(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([
        request("basic", "GET", "https://x.example.com/b",
                auth={"type": "basic", "basic": {"username": "u", "password": "p"}}),
        request("bearer literal", "GET", "https://x.example.com/c",
                auth={"type": "bearer", "bearer": {"token": "tok-1"}}),
        request("hawk", "GET", "https://x.example.com/d", auth={"type": "hawk", "hawk": {}}),
    ], schema=V20))
    found = requests(result)
    assert found["basic"].headers == {"Authorization": "Basic {{ env.LOADSPEC_BASIC_AUTH }}"}
    assert found["bearer literal"].headers == {"Authorization": "Bearer {{ env.LOADSPEC_TOKEN }}"}
    assert result.secrets["LOADSPEC_TOKEN"] == "tok-1"
    assert ("hawk auth of the request", "this kind of auth is not supported: add its header by hand") in \
        result.summary.dropped
    assert result.summary.kind == "Postman collection v2.0"


# --- bodies ------------------------------------------------------------------------------------------


def test_bodies_raw_json_with_bare_variables_urlencoded_formdata_graphql(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"png")
    result = imported(tmp_path, collection([
        request("json", "POST", "https://x.example.com/a",
                header=[{"key": "Content-Type", "value": "application/json"}],
                body={"mode": "raw", "raw": '{"qty": {{qty}}, "name": "n-{{qty}}", "ok": true}',
                      "options": {"raw": {"language": "json"}}}),
        request("text", "POST", "https://x.example.com/b", header=[{"key": "Content-Type", "value": "text/plain"}],
                body={"mode": "raw", "raw": "hello {{qty}}"}),
        request("form", "POST", "https://x.example.com/c",
                body={"mode": "urlencoded", "urlencoded": [{"key": "tag", "value": "a"}, {"key": "tag", "value": "b"},
                                                           {"key": "off", "value": "x", "disabled": True}]}),
        request("multipart", "POST", "https://x.example.com/d",
                body={"mode": "formdata", "formdata": [{"key": "caption", "value": "me", "type": "text"},
                                                       {"key": "photo", "type": "file", "src": "photo.png"},
                                                       {"key": "gone", "type": "file", "src": "/nowhere/x.bin"}]}),
        request("graphql", "POST", "https://x.example.com/graphql",
                body={"mode": "graphql", "graphql": {"query": "query { me { id } }", "variables": '{"n": {{qty}}}'}}),
        request("get with body", "GET", "https://x.example.com/e", body={"mode": "raw", "raw": "ignored"}),
    ], variable=[{"key": "qty", "value": "3"}]))
    found = requests(result)
    assert found["json"].body is not None and found["json"].body.value == {
        "qty": "{{ qty }}", "name": "n-{{ qty }}", "ok": True}
    assert "Content-Type" not in found["json"].headers  # the json body sets it
    assert result.spec.variables["qty"] == 3  # so the bare {{qty}} stays a JSON number
    assert (found["text"].body.kind, found["text"].body.value) == ("raw", "hello {{ qty }}")  # type: ignore[union-attr]
    assert found["form"].body is not None and found["form"].body.value == {"tag": ["a", "b"]}
    assert found["multipart"].body is not None and found["multipart"].body.value == {
        "caption": "me", "photo": UploadFile(str((tmp_path / "photo.png").resolve()))}
    assert any("gone" in what for what, _ in result.summary.dropped)
    assert found["graphql"].body is not None and found["graphql"].body.value == {
        "query": "query { me { id } }", "variables": {"n": "{{ qty }}"}}
    assert found["get with body"].body is None  # Postman prunes GET bodies too


# --- test scripts --------------------------------------------------------------------------------


def t(script: str) -> tuple[list[tuple[str, str | None, list[tuple[str, Any]]]], list[str], list[str]]:
    result = translate(script, identifier)
    step = RequestStep("x", "get", "/", assertions=result.assertions)
    return checks(step), [f"{c.name}={c.query.kind}:{c.query.selector}" for c in result.captures], result.untranslated


@pytest.mark.parametrize(("script", "expected"), [
    ("pm.response.to.have.status(201);", [("status", None, [("eq", 201)])]),
    ("pm.test('ok', function () { pm.response.to.be.ok; });", [("status", None, [("eq", 200)])]),
    ("pm.response.to.be.success", [("status", None, [("eq", "2xx")])]),
    ("pm.response.to.not.have.status(500)", [("status", None, [("ne", 500)])]),
    ("pm.expect(pm.response.code).to.be.oneOf([200, 201]);", [("status", None, [("in", [200, 201])])]),
    ('tests["200"] = responseCode.code === 200;', [("status", None, [("eq", 200)])]),
    ("pm.expect(pm.response.json().user.name).to.eql('Ann');", [("json", "user.name", [("eq", "Ann")])]),
    ("var jsonData = pm.response.json();\npm.expect(jsonData.items[0].price).to.be.above(0);",
     [("json", "items[0].price", [("gt", 0)])]),
    ("const d = pm.response.json(); pm.expect(d.items).to.have.lengthOf(2)", [("json", "items", [("length", 2)])]),
    ("let d = pm.response.json(); pm.expect(d.items.length).to.be.at.least(1)",
     [("json", "length(items)", [("gte", 1)])]),
    ("pm.expect(pm.response.json().id).to.be.a('number')", [("json", "id", [("type", "number")])]),
    ("pm.expect(pm.response.json().ok).to.be.true", [("json", "ok", [("eq", True)])]),
    ("pm.expect(pm.response.json().error).to.not.exist", [("json", "error", [("exists", False)])]),
    ("pm.expect(pm.response.json()['content-type']).to.include('json')",
     [("json", '"content-type"', [("contains", "json")])]),
    ("pm.expect(pm.response.json()).to.have.property('token')", [("json", "token", [("exists", True)])]),
    ("pm.expect(pm.response.json().tags).to.not.be.empty", [("json", "tags", [("empty", False)])]),
    ("pm.expect(pm.response.json().email).to.match(/@example\\.com$/i)",
     [("json", "email", [("matches", "(?i)@example\\.com$")])]),
    ("pm.expect(pm.response.responseTime).to.be.below(800);", [("duration", None, [("lt", "800ms")])]),
    ("pm.expect(pm.response.text()).to.include('Welcome')", [("body", None, [("contains", "Welcome")])]),
    ("pm.response.to.have.header('X-Id')", [("header", "X-Id", [("exists", True)])]),
    ("pm.expect(pm.response.headers.get('Content-Type')).to.eql('application/json')",
     [("header", "Content-Type", [("eq", "application/json")])]),
    ("pm.expect(pm.response.json().owner).to.eql(pm.environment.get('user'))",
     [("json", "owner", [("eq", "{{ user }}")])]),
    ('tests["has x"] = responseBody.has("x");', [("body", None, [("contains", "x")])]),
    ("var body = JSON.parse(responseBody);\ntests['k'] = 'id' in body;", [("json", "@", [("contains", "id")])]),
    ("pm.expect([200, 201]).to.include(pm.response.code);", [("status", None, [("in", [200, 201])])]),
    ("const schema = {type: 'object', required: ['id'], properties: {id: {type: 'integer'}}};\n"
     "pm.test('Schema is valid', function () { pm.response.to.have.jsonSchema(schema); });",
     [("json", "@", [("schema", {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}})])]),
])
def test_script_patterns_become_assertions(script: str, expected: list[Any]) -> None:
    found, _, untranslated = t(script)
    assert untranslated == []
    assert found == expected


@pytest.mark.parametrize(("script", "capture"), [
    ('pm.environment.set("token", pm.response.json().access_token);', "token=json:access_token"),
    ("pm.collectionVariables.set('order-id', pm.response.json().data[0].id)", "order_id=json:data[0].id"),
    ("pm.globals.set('etag', pm.response.headers.get('ETag'))", "etag=header:ETag"),
    ("var jsonData = pm.response.json();\npm.variables.set('n', jsonData.count)", "n=json:count"),
    ('var data = JSON.parse(responseBody);\npostman.setEnvironmentVariable("sid", data.session.id);',
     "sid=json:session.id"),
])
def test_script_setters_become_captures(script: str, capture: str) -> None:
    _, captures, untranslated = t(script)
    assert untranslated == [] and captures == [capture]


def test_a_literal_set_becomes_a_variable_and_the_rest_is_kept() -> None:
    result = translate("pm.environment.set('mode', 'fast');\n"
                       "if (pm.response.code === 200) { postman.setNextRequest('x'); }"
                       "\npm.expect(pm.response.json().a).to.satisfy(v => v > 1)", identifier)
    assert result.constants == {"mode": "fast"}
    assert result.untranslated == ["if (pm.response.code === 200) { postman.setNextRequest('x'); }",
                                   "pm.expect(pm.response.json().a).to.satisfy(v => v > 1)"]


def test_untranslated_scripts_are_comments_above_the_step_and_in_the_summary(tmp_path: Path) -> None:
    result = imported(tmp_path, collection([
        request("a", "GET", "https://x.example.com/a",
                test="pm.response.to.have.status(200);\nconst url = pm.environment.get('next');\n"
                     "pm.sendRequest(url, function (err, res) { console.log(res); });"),
        request("b", "GET", "https://x.example.com/b"),
    ], event=[{"listen": "test", "script": {"exec": ["console.log('done')", "pm.visualizer.set('<b>x</b>')"]}}]))
    found = requests(result)
    assert checks(found["a"]) == [("status", None, [("eq", 200)])]
    listed = [text for _, text in result.summary.untranslated]
    assert "pm.sendRequest(url, function (err, res) { console.log(res); })" in listed
    assert listed.count("pm.visualizer.set('<b>x</b>')") == 1  # a collection script is listed once
    text = (tmp_path / "c.yaml").read_text()
    assert "# not translated (test script): pm.sendRequest(url, function (err, res) { console.log(res); })" in text
    assert "script statements not translated" in result.summary.render()


# --- recognising, errors, public collections --------------------------------------------------------


def test_recognised_by_content_not_extension(tmp_path: Path) -> None:
    assert looks_like(tmp_path / "x.txt", json.dumps(collection([request("a", "GET", "https://x")])))
    assert looks_like(tmp_path / "x.json", json.dumps({"info": {"name": "n"}, "item": [{"name": "f", "item": []}]}))
    assert not looks_like(tmp_path / "x.json", json.dumps({"log": {"entries": []}}))
    assert not looks_like(tmp_path / "x.json", "openapi: 3.0.0\n")


def test_v1_collections_and_non_collections_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "v1.json"
    source.write_text(json.dumps({"id": "1", "name": "old", "requests": []}))
    with pytest.raises(Exception, match="v1"):
        import_postman(source)
    with pytest.raises(Exception, match="--postman-env"):
        import_postman(DATA / "app.postman_environment.json")
    source.write_text("[1, 2]")
    with pytest.raises(Exception, match="not an object"):
        import_postman(source)


PUBLIC = sorted(p.name for p in DATA.glob("*.json") if not p.name.startswith("app.") and "environment" not in p.name)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_collections_import_and_validate(tmp_path: Path, name: str) -> None:
    source = DATA / name
    assert looks_like(source, source.read_text())
    result = import_postman(source)
    out = tmp_path / "out.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    assert result.summary.steps == len(iter_request_steps(result.spec.scenarios[0].steps)) > 0
    for secret in result.secrets.values():
        assert secret not in out.read_text()


def test_public_sample_collection_in_detail() -> None:
    result = import_postman(DATA / "newman-sample-collection.json")
    found = requests(result)
    assert list(found) == ["A simple GET request", "A simple POST request", "A simple POST request with JSON body"]
    assert checks(found["A simple GET request"]) == [
        ("status", None, [("eq", 200)]), ("json", "args.source", [("exists", True)]),
        ("json", "args.source", [("eq", "newman-sample-github-collection")])]
    assert found["A simple POST request with JSON body"].body is not None
    assert found["A simple POST request with JSON body"].body.kind == "json"


def test_public_v2_example_moves_the_url_password_to_the_environment(tmp_path: Path) -> None:
    result = import_postman(DATA / "postman-collection-v2-example.json")
    out = tmp_path / "out.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert "shamasis" not in out.read_text() and ":pass@" not in out.read_text()
    assert "LOADSPEC_BASIC_AUTH" in result.secrets


def test_public_echo_collection_keeps_digest_scripts_as_comments() -> None:
    result = import_postman(DATA / "newman-echo-v2.postman_collection.json")
    assert {w for w, _ in result.summary.dropped} >= {"digest auth of the request", "oauth1 auth of the request"}
    assert any("setGlobalVariable('echo_digest_realm'" in s for _, s in result.summary.untranslated)
    assert all(isinstance(a, Assertion) for s in requests(result).values() for a in s.assertions)
