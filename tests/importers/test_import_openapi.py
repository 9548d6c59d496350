"""OpenAPI import without running load: ordering, id captures, bodies, schema assertions, security.

Small documents are written to disk as YAML or JSON, imported, and checked on the Spec, the
summary and the written YAML, which must pass `loadspec validate`. The public documents of
tests/importers/data (see SOURCES.md) must import and validate too, and the schema assertions
made from them must accept the documents' own examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from loadspec.cli import main
from loadspec.model import RequestStep, iter_request_steps
from loadspec.sources.common import ImportResult, validated_yaml
from loadspec.sources.openapi import OpenApiOptions, import_openapi, looks_like

DATA = Path(__file__).parent / "data"

PET = {"type": "object", "required": ["id", "name"],
       "properties": {"id": {"type": "integer", "readOnly": True}, "name": {"type": "string", "example": "Rex"},
                      "tag": {"type": "string", "nullable": True}}}


def document(paths: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "pets", "version": "1"},
            "servers": [{"url": "https://api.example.com/v1"}], "paths": paths,
            "components": {"schemas": {"Pet": PET}, **top.pop("components", {})}, **top}


def ok(schema: Any = None, code: str = "200") -> dict[str, Any]:
    response: dict[str, Any] = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {code: response}


def json_body(schema: Any, **media: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema, **media}}}


PETS = {
    "/pets/{petId}": {
        "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "get": {"operationId": "getPet", "responses": ok({"$ref": "#/components/schemas/Pet"})},
        "delete": {"operationId": "deletePet", "responses": {"204": {"description": "gone"}}},
        "put": {"operationId": "updatePet", "requestBody": json_body({"$ref": "#/components/schemas/Pet"}),
                "responses": ok({"$ref": "#/components/schemas/Pet"})},
    },
    "/pets/{petId}/photos": {
        "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "post": {"operationId": "addPhoto", "requestBody": json_body({"type": "object", "properties": {
            "url": {"type": "string", "format": "uri"}}}), "responses": ok({"type": "object", "properties": {
                "id": {"type": "integer"}}}, "201")},
    },
    "/pets/{petId}/photos/{photoId}": {
        "delete": {"operationId": "deletePhoto", "parameters": [
            {"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "photoId", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "gone"}}},
    },
    "/pets": {
        "get": {"operationId": "listPets", "tags": ["read"], "parameters": [
            {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer", "default": 10}},
            {"name": "q", "in": "query", "schema": {"type": "string"}}],
            "responses": ok({"type": "array", "items": {"$ref": "#/components/schemas/Pet"}})},
        "post": {"operationId": "createPet", "requestBody": json_body({"$ref": "#/components/schemas/Pet"},
                                                                      example={"name": "Fido", "tag": "dog"}),
                 "responses": ok({"$ref": "#/components/schemas/Pet"}, "201")},
    },
}


def imported(tmp_path: Path, doc: dict[str, Any], options: OpenApiOptions | None = None, *,
             as_json: bool = False) -> ImportResult:
    source = tmp_path / ("api.json" if as_json else "api.yaml")
    source.write_text(json.dumps(doc) if as_json else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = import_openapi(source, options)
    out = tmp_path / "api.out.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    return result


def steps(result: ImportResult) -> dict[str, RequestStep]:
    return {s.name: s for s in iter_request_steps(result.spec.scenarios[0].steps)}


def test_a_resource_is_created_before_it_is_read_updated_and_deleted(tmp_path: Path) -> None:
    result = imported(tmp_path, document(PETS))
    assert list(steps(result)) == [
        "POST /pets", "POST /pets/{petId}/photos",  # creates, parents first
        "GET /pets", "GET /pets/{petId}", "PUT /pets/{petId}",  # reads and updates
        "DELETE /pets/{petId}/photos/{photoId}", "DELETE /pets/{petId}",  # deletes, children first
    ]
    found = steps(result)
    assert [(c.name, c.query.selector) for c in found["POST /pets"].captures] == [("petId", "id")]
    assert [(c.name, c.query.selector) for c in found["POST /pets/{petId}/photos"].captures] == [("photoId", "id")]
    assert found["POST /pets/{petId}/photos"].url == "/v1/pets/{{ petId }}/photos"
    assert found["DELETE /pets/{petId}/photos/{photoId}"].url == "/v1/pets/{{ petId }}/photos/{{ photoId }}"
    assert result.spec.host == "https://api.example.com"
    assert result.spec.variables == {}  # every path parameter is captured


def test_bodies_from_examples_or_generated_without_read_only_fields(tmp_path: Path) -> None:
    found = steps(imported(tmp_path, document(PETS)))
    assert found["POST /pets"].body is not None and found["POST /pets"].body.value == {"name": "Fido", "tag": "dog"}
    put = found["PUT /pets/{petId}"]
    assert put.body is not None and put.body.value == {"name": "Rex", "tag": "string"}  # generated, no readOnly id
    assert "generated from the schema" in (put.comment or "")
    assert found["POST /pets/{petId}/photos"].body.value == {"url": "https://example.com"}  # type: ignore[union-attr]
    listing = found["GET /pets"]
    assert listing.params == {"limit": 10}  # required, its default; the optional q is not sent
    assert "optional query parameters not sent: q" in (listing.comment or "")


def test_success_status_and_response_schema_are_asserted(tmp_path: Path) -> None:
    found = steps(imported(tmp_path, document(PETS)))
    create = found["POST /pets"].assertions
    assert (create[0].query.kind, create[0].predicates[0].value) == ("status", 201)
    schema = create[1].predicates[0].value
    assert (create[1].query.kind, create[1].query.selector, create[1].predicates[0].op) == ("json", "@", "schema")
    assert schema["properties"]["tag"]["type"] == ["string", "null"]  # 3.0 nullable in JSON Schema
    validator = Draft7Validator(schema)
    assert validator.is_valid({"id": 1, "name": "Rex", "tag": None})
    assert not validator.is_valid({"id": "1", "name": "Rex"})
    assert not validator.is_valid({"name": "Rex"})  # id is required in a response
    listing = found["GET /pets"].assertions[1].predicates[0].value
    assert listing["type"] == "array" and listing["items"]["required"] == ["id", "name"]
    assert [a.query.kind for a in found["DELETE /pets/{petId}"].assertions] == ["status"]  # 204: no body


def test_openapi_30_exclusive_bounds_and_recursive_schemas(tmp_path: Path) -> None:
    doc = document({"/nodes": {"get": {"responses": ok({"$ref": "#/components/schemas/Node"})}}},
                   components={"schemas": {"Pet": PET, "Node": {"type": "object", "properties": {
                       "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                       "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}})
    (step,) = steps(imported(tmp_path, doc)).values()
    schema = step.assertions[1].predicates[0].value
    assert schema["properties"]["weight"] == {"type": "number", "exclusiveMinimum": 0}
    validator = Draft7Validator(schema)
    assert validator.is_valid({"weight": 1, "children": [{"weight": 2, "children": []}]})
    assert not validator.is_valid({"weight": 0})


def test_tag_and_operation_filters(tmp_path: Path) -> None:
    assert list(steps(imported(tmp_path, document(PETS), OpenApiOptions(tags=["read"])))) == ["GET /pets"]
    only = imported(tmp_path, document(PETS), OpenApiOptions(operations=["getPet", "DELETE /pets/*"]))
    assert list(steps(only)) == ["GET /pets/{petId}", "DELETE /pets/{petId}/photos/{photoId}", "DELETE /pets/{petId}"]
    # without the create, the path parameters come from the documented schema
    assert only.spec.variables == {"petId": 1, "photoId": 1}
    with pytest.raises(Exception, match="filters"):
        imported(tmp_path, document(PETS), OpenApiOptions(tags=["nothing"]))
    with pytest.raises(Exception, match="lists 1 server"):
        imported(tmp_path, document(PETS), OpenApiOptions(server=1))


SECURED = {
    "/login": {"post": {"security": [], "requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
        "responses": ok({"type": "object", "properties": {"token": {"type": "string"}}})}},
    "/me": {"get": {"responses": ok({"type": "object"})}},
    "/keys": {"get": {"security": [{"key": []}], "responses": ok()}},
    "/open": {"get": {"security": [{}], "responses": ok()}},
}


def test_a_token_operation_runs_in_setup_and_feeds_the_bearer_header(tmp_path: Path) -> None:
    doc = document(SECURED, security=[{"bearer": []}], components={"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}, "key": {"type": "apiKey", "in": "header", "name": "X-Key"}}})
    result = imported(tmp_path, doc)
    (login,) = result.spec.scenarios[0].setup
    assert isinstance(login, RequestStep) and login.name == "POST /login" and login.on_fail == "stop_user"
    assert [(c.name, c.query.selector) for c in login.captures] == [("token", "token")]
    assert login.body is not None and login.body.value == {"email": "{{ env.LOADSPEC_EMAIL }}",
                                                           "password": "{{ env.LOADSPEC_PASSWORD }}"}
    found = steps(result)
    assert found["GET /me"].headers == {"Authorization": "Bearer {{ token }}"}
    assert found["GET /keys"].headers == {"X-Key": "{{ env.LOADSPEC_X_KEY }}"}
    assert found["GET /open"].headers == {}
    assert set(result.summary.needed) == {"LOADSPEC_EMAIL", "LOADSPEC_PASSWORD", "LOADSPEC_X_KEY"}


def test_without_a_token_operation_credentials_come_from_the_environment(tmp_path: Path) -> None:
    doc = document({"/me": {"get": {"responses": ok()}},
                    "/q": {"get": {"security": [{"query": []}], "responses": ok()}},
                    "/b": {"get": {"security": [{"basic": []}], "responses": ok()}}},
                   security=[{"oauth": ["read"]}], components={"securitySchemes": {
                       "oauth": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://id/auth",
                                                                          "scopes": {"read": "r"}}}},
                       "query": {"type": "apiKey", "in": "query", "name": "api_key"},
                       "basic": {"type": "http", "scheme": "basic"}}})
    found = steps(imported(tmp_path, doc, as_json=True))
    assert found["GET /me"].headers == {"Authorization": "Bearer {{ env.LOADSPEC_ACCESS_TOKEN }}"}
    assert found["GET /q"].params == {"api_key": "{{ env.LOADSPEC_API_KEY }}"}
    assert found["GET /b"].headers == {"Authorization": "Basic {{ env.LOADSPEC_BASIC_AUTH }}"}


def test_recognised_by_content() -> None:
    assert looks_like(Path("spec.txt"), "# api\nopenapi: 3.1.0\ninfo: {}\n")
    assert looks_like(Path("x.json"), '{"openapi": "3.0.2", "paths": {}}')
    assert not looks_like(Path("x.yaml"), "swagger: '2.0'\n")
    assert not looks_like(Path("x.yaml"), "version: 1\nscenarios: []\n")


def test_swagger_2_is_refused_with_advice(tmp_path: Path) -> None:
    source = tmp_path / "old.yaml"
    source.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(Exception, match="convert it first"):
        import_openapi(source)


PUBLIC = sorted(p.name for p in DATA.glob("*.yaml"))


@pytest.mark.parametrize("name", PUBLIC)
def test_public_documents_import_and_validate(tmp_path: Path, name: str) -> None:
    source = DATA / name
    assert looks_like(source, source.read_text())
    result = import_openapi(source)
    out = tmp_path / "out.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    assert result.summary.steps > 0


def test_public_petstore_in_detail() -> None:
    result = import_openapi(DATA / "swagger-petstore-openapi.yaml")
    names = list(steps(result))
    for resource, var in (("/pet", "petId"), ("/store/order", "orderId"), ("/user", "username")):
        assert names.index(f"POST {resource}") < names.index(f"GET {resource}/{{{var}}}") < names.index(
            f"DELETE {resource}/{{{var}}}")
    found = steps(result)
    assert found["GET /pet/{petId}"].url == "/api/v3/pet/{{ petId }}"
    assert found["PUT /pet"].body is not None and found["PUT /pet"].body.value["id"] == "{{ petId }}"
    # the schema assertion accepts the document's own example of a Pet
    pet = result.spec.scenarios[0].steps[0]
    assert isinstance(pet, RequestStep) and pet.name == "POST /pet"
    schema = pet.assertions[1].predicates[0].value
    assert Draft7Validator(schema).is_valid({"id": 10, "name": "doggie", "category": {"id": 1, "name": "Dogs"},
                                             "photoUrls": ["u"], "tags": [{"id": 0, "name": "t"}], "status": "sold"})
    assert not Draft7Validator(schema).is_valid({"id": 10, "name": "doggie", "photoUrls": [], "status": "lost"})


def test_braces_of_the_document_s_examples_are_not_read_as_templates(tmp_path: Path) -> None:
    doc = document({"/greet/{id}": {"post": {
        "parameters": [{"name": "id", "in": "path", "required": True, "example": "{{id}}"},
                       {"name": "q", "in": "query", "required": True, "example": "{{q"}],
        "requestBody": json_body({"type": "object"}, example={"text": "Hello {{name}}"}),
        "responses": ok({"type": "object", "properties": {"t": {"type": "string", "enum": ["{{x}}"]}}})}}})
    result = imported(tmp_path, doc)
    (step,) = steps(result).values()
    assert step.body is not None and step.body.value == {"text": "Hello { {name}}"}
    assert step.params == {"q": "{ {q"} and result.spec.variables == {"greet_id": "{ {id}}"}
    assert len(result.summary.warnings) == 3


def test_a_create_without_a_documented_body_leaves_the_example_and_says_so(tmp_path: Path) -> None:
    doc = document({"/jobs": {"post": {"responses": {"201": {"description": "created", "headers": {
        "Location": {"schema": {"type": "string"}}}}}}},
        "/jobs/{jobId}": {"get": {"parameters": [{"name": "jobId", "in": "path", "required": True,
                                                   "schema": {"type": "string", "example": "j-1"}}],
                                  "responses": ok()}}})
    result = imported(tmp_path, doc)
    found = steps(result)
    assert found["POST /jobs"].captures == []
    assert found["GET /jobs/{jobId}"].url == "/v1/jobs/{{ jobId }}" and result.spec.variables == {"jobId": "j-1"}
    assert any("documents no id" in w and "Location" in w for w in result.summary.warnings)


def test_a_key_the_client_chooses_is_made_unique_per_request(tmp_path: Path) -> None:
    user = {"type": "object", "properties": {"username": {"type": "string", "example": "ann"},
                                             "email": {"type": "string", "format": "email"}}}
    doc = document({"/users": {"post": {"requestBody": json_body(user), "responses": ok(user, "201")}},
                    "/users/{username}": {"get": {"parameters": [{"name": "username", "in": "path", "required": True,
                                                                  "schema": {"type": "string"}}],
                                                  "responses": ok(user)}}})
    found = steps(imported(tmp_path, doc))
    create = found["POST /users"]
    assert create.body is not None and create.body.value == {"username": "ann-{{ random_string(8) }}",
                                                             "email": "user@example.com"}
    assert [(c.name, c.query.selector) for c in create.captures] == [("username", "username")]
    assert found["GET /users/{username}"].url == "/v1/users/{{ username }}"
