"""cURL import without running load: how each curl option becomes part of a step.

Every test writes the commands to a file the way a user pastes them (DevTools "Copy as cURL
(bash)", API documentation), imports it, and checks the Spec, the summary and that the written
YAML passes `loadspec validate`.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from loadspec.cli import main
from loadspec.model import RequestStep, UploadFile
from loadspec.sources.common import ImportResult, validated_yaml
from loadspec.sources.curl import import_curl, looks_like, parse_commands


def imported(tmp_path: Path, text: str) -> ImportResult:
    source = tmp_path / "calls.sh"
    source.write_text(text, encoding="utf-8")
    result = import_curl(source)
    out = tmp_path / "calls.yaml"
    out.write_text(validated_yaml(result, str(out)), encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    return result


def steps(result: ImportResult) -> list[RequestStep]:
    return [s for s in result.spec.scenarios[0].steps if isinstance(s, RequestStep)]


DEVTOOLS = r"""curl 'https://shop.example.com/api/cart?currency=EUR' \
  -H 'authority: shop.example.com' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def' \
  -H 'content-type: application/json' \
  -H 'cookie: sid=4e54bd; theme=dark' \
  -H 'origin: https://shop.example.com' \
  -H 'sec-ch-ua: "Chromium";v="120", "Not?A_Brand";v="24"' \
  -H 'sec-fetch-mode: cors' \
  -H 'user-agent: Mozilla/5.0' \
  --data-raw $'{"sku":"A-1","note":"it\'s a gift\\n","qty":2}' \
  --compressed
"""


def test_devtools_copy_as_curl_bash(tmp_path: Path) -> None:
    result = imported(tmp_path, DEVTOOLS)
    (step,) = steps(result)
    assert result.spec.host == "https://shop.example.com"
    assert (step.method, step.url, step.params) == ("post", "/api/cart", {"currency": "EUR"})
    assert step.body is not None and step.body.kind == "json"
    assert step.body.value == {"sku": "A-1", "note": "it's a gift\n", "qty": 2}  # $'...' decoded
    # browser noise dropped, Content-Type implied by the JSON body, credentials to the environment
    assert step.headers == {"Accept": "application/json, text/plain, */*", "Accept-Language": "en-GB,en;q=0.9",
                            "Authorization": "{{ env.LOADSPEC_AUTHORIZATION }}",
                            "Cookie": "{{ env.LOADSPEC_COOKIE }}", "User-Agent": "Mozilla/5.0"}
    assert result.secrets == {"LOADSPEC_AUTHORIZATION": "Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
                              "LOADSPEC_COOKIE": "sid=4e54bd; theme=dark"}
    assert result.spec.recorded_secrets == result.secrets
    assert "--compressed" in (step.comment or "")


def test_every_command_is_one_step_in_order_with_its_method(tmp_path: Path) -> None:
    result = imported(tmp_path, """
# list, then create, then delete
curl https://api.example.com/items
curl -X POST https://api.example.com/items -d name=pen -d qty=2
curl -XDELETE "https://api.example.com/items/42"
curl -I https://api.example.com/health
curl --request PATCH --url https://api.example.com/items/42 --json '{"qty": 3}'
""")
    found = [(s.method, s.url) for s in steps(result)]
    assert found == [("get", "/items"), ("post", "/items"), ("delete", "/items/42"), ("head", "/health"),
                     ("patch", "/items/42")]
    create, patch = steps(result)[1], steps(result)[4]
    assert create.body is not None and (create.body.kind, create.body.value) == ("form", {"name": "pen", "qty": "2"})
    assert patch.body is not None and (patch.body.kind, patch.body.value) == ("json", {"qty": 3})
    assert patch.headers == {"Accept": "application/json"}  # what --json adds besides the body
    assert [s.name for s in steps(result)] == ["GET /items", "POST /items", "DELETE /items/{id}", "HEAD /health",
                                               "PATCH /items/{id}"]


def test_get_with_data_urlencode_goes_to_the_query(tmp_path: Path) -> None:
    (step,) = steps(imported(tmp_path, 'curl -G https://api.example.com/search --data-urlencode "q=red shoes&more" '
                                       "-d page=2 -sSL\n"))
    assert step.method == "get" and step.body is None
    assert step.params == {"q": "red shoes&more", "page": "2"}
    assert "-s -S -L" in (step.comment or "")


@pytest.mark.parametrize("command", ["curl -u admin:pa55 https://api.example.com/admin",
                                     "curl https://admin:pa55@api.example.com/admin"])
def test_user_option_or_url_user_becomes_basic_auth_from_the_environment(tmp_path: Path, command: str) -> None:
    result = imported(tmp_path, command + "\n")
    (step,) = steps(result)
    assert result.spec.host == "https://api.example.com" and step.url == "/admin"
    assert step.headers == {"Authorization": "Basic {{ env.LOADSPEC_BASIC_AUTH }}"}
    assert base64.b64decode(result.secrets["LOADSPEC_BASIC_AUTH"]) == b"admin:pa55"
    assert "pa55" not in (tmp_path / "calls.yaml").read_text()


def test_cookie_option_secret_query_and_json_password_are_hidden(tmp_path: Path) -> None:
    result = imported(tmp_path, "curl -b 'session=abc123' 'https://api.example.com/login?api_key=k-999' "
                                "-H 'Content-Type: application/json' "
                                "-d '{\"user\": \"bob\", \"password\": \"hunter2\"}'\n")
    (step,) = steps(result)
    assert step.headers["Cookie"] == "{{ env.LOADSPEC_COOKIE }}"
    assert step.params == {"api_key": "{{ env.LOADSPEC_API_KEY }}"}
    assert step.body is not None and step.body.value == {"user": "bob", "password": "{{ env.LOADSPEC_PASSWORD }}"}
    text = (tmp_path / "calls.yaml").read_text()
    assert "abc123" not in text and "k-999" not in text and "hunter2" not in text
    assert "export LOADSPEC_PASSWORD=..." in text


def test_form_option_makes_a_multipart_body(tmp_path: Path) -> None:
    (tmp_path / "me.png").write_bytes(b"\x89PNG")
    result = imported(tmp_path, "curl -F 'avatar=@me.png;type=image/png' -F caption=Me -F 'cv=@missing.pdf' -k -m 7 "
                                "https://api.example.com/upload\n")
    (step,) = steps(result)
    assert step.body is not None and step.body.kind == "files"
    assert step.body.value == {"avatar": UploadFile(str(tmp_path / "me.png"), "image/png"), "caption": "Me"}
    assert (step.verify_tls, step.timeout) == (False, 7.0)
    assert "the file is not there" in dict(result.summary.dropped)["file field cv (missing.pdf) of POST /upload"]


def test_what_cannot_be_replayed_is_dropped_with_the_reason(tmp_path: Path) -> None:
    result = imported(tmp_path, "curl -x http://proxy:3128 https://api.example.com/a --data-binary @body.json\n"
                                "curl 'https://api.example.com/{{id}}'\n")
    reasons = dict(result.summary.dropped)
    assert reasons["-x (proxy) of POST /a"] == "not replayed by loadspec"
    assert "a body read from a file" in reasons["binary @body.json of POST /a"]
    assert any("'{{'" in why for _, why in result.summary.dropped)
    assert len(steps(result)) == 1
    assert "dropped" in result.summary.render()


def test_other_hosts_keep_absolute_urls(tmp_path: Path) -> None:
    result = imported(tmp_path, "curl https://a.example.com/x\ncurl https://a.example.com/y\n"
                                "curl https://cdn.example.net/z\n")
    assert result.spec.host == "https://a.example.com"
    assert [s.url for s in steps(result)] == ["/x", "/y", "https://cdn.example.net/z"]


def test_separators_and_windows_continuations() -> None:
    commands = parse_commands("curl https://a.test/1 && curl https://a.test/2; echo hi\n"
                              "curl ^\n  -X PUT https://a.test/3\n")
    assert [(c.url, c.method) for c in commands] == [("https://a.test/1", None), ("https://a.test/2", None),
                                                     ("https://a.test/3", "PUT")]


def test_recognised_by_content() -> None:
    assert looks_like(Path("x.txt"), "# from the docs\n$ curl https://api.example.com\n")
    assert looks_like(Path("x"), "curl.exe https://api.example.com")
    assert not looks_like(Path("x.sh"), "#!/bin/sh\nwget https://example.com\n")
    assert not looks_like(Path("c.json"), '{"curl": 1}')


def test_a_file_without_commands_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "none.sh"
    source.write_text("echo nothing here\n")
    with pytest.raises(Exception, match="no curl command"):
        import_curl(source)
    source.write_text("curl 'https://x.example.com\n")
    with pytest.raises(Exception, match="not closed"):
        import_curl(source)
