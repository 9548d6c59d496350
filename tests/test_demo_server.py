"""Black-box tests of the bundled demo shop API, talking real HTTP to a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadspec.demo.server import DemoServer

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with DemoServer() as server:
        yield server.url


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    headers = {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def call(base: str, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    status, headers, raw = request(base, method, path, **kw)
    assert headers["Content-Type"] == "application/json"
    return status, json.loads(raw)


def login(base: str, email: str = "alice@example.com", password: str = "secret") -> str:
    status, body = call(base, "POST", "/auth/login", body={"email": email, "password": password})
    assert status == 200, body
    return body["access_token"]


def test_health_and_html(base_url: str) -> None:
    assert call(base_url, "GET", "/health") == (200, {"status": "ok"})
    status, headers, raw = request(base_url, "GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"<title>Demo Shop</title>" in raw and b'href="/products"' in raw
    status, headers, _ = request(base_url, "GET", "/about")
    assert status == 200 and headers["Content-Type"].startswith("text/html")


def test_unknown_path_is_json_404(base_url: str) -> None:
    status, body = call(base_url, "GET", "/nope")
    assert status == 404 and "error" in body
    status, body = call(base_url, "DELETE", "/cart")
    assert status == 405 and "error" in body


def test_head_has_headers_but_no_body(base_url: str) -> None:
    status, headers, raw = request(base_url, "HEAD", "/products/1")
    assert status == 200 and raw == b""
    assert int(headers["Content-Length"]) == len(request(base_url, "GET", "/products/1")[2])


def test_login_success_and_failures(base_url: str) -> None:
    status, body = call(
        base_url,
        "POST",
        "/auth/login",
        body={"email": "alice@example.com", "password": "secret"},
    )
    assert status == 200
    token = body["access_token"]
    assert len(token) == 32 and int(token, 16) >= 0
    assert body["token_type"] == "bearer"
    assert body["user"] == {"email": "alice@example.com"}

    # CSV-style credentials: "pw-" + local part of the email.
    status, _ = call(
        base_url,
        "POST",
        "/auth/login",
        body={"email": "bob@example.com", "password": "pw-bob"},
    )
    assert status == 200

    status, body = call(
        base_url,
        "POST",
        "/auth/login",
        body={"email": "bob@example.com", "password": "nope"},
    )
    assert (status, body) == (401, {"error": "invalid credentials"})

    status, body = call(base_url, "POST", "/auth/login", body=b"{not json")
    assert status == 400 and "error" in body
    status, body = call(base_url, "POST", "/auth/login", body={"email": "a@b.c"})
    assert status == 400 and "error" in body


def test_form_login(base_url: str) -> None:
    status, body = call(
        base_url,
        "POST",
        "/auth/login",
        form={"email": "carol@example.com", "password": "pw-carol"},
    )
    assert status == 200
    assert body["user"] == {"email": "carol@example.com"}
    status, _ = call(base_url, "GET", "/cart", token=body["access_token"])
    assert status == 200
    status, body = call(
        base_url,
        "POST",
        "/auth/login",
        form={"email": "carol@example.com", "password": "x"},
    )
    assert status == 401


def test_products_list_and_pagination(base_url: str) -> None:
    status, body = call(base_url, "GET", "/products")
    assert status == 200
    assert (body["page"], body["per_page"], body["total"]) == (1, 10, 40)
    assert [p["id"] for p in body["products"]] == list(range(1, 11))
    for product in body["products"]:
        assert set(product) == {"id", "name", "price", "stock", "currency"}
        assert isinstance(product["id"], int) and isinstance(product["name"], str)
        assert isinstance(product["price"], float) and product["price"] > 0
        assert isinstance(product["stock"], int) and product["stock"] > 0
        assert product["currency"] == "EUR"

    status, body = call(base_url, "GET", "/products?page=3&per_page=7")
    assert status == 200
    assert [p["id"] for p in body["products"]] == list(range(15, 22))

    _, body = call(base_url, "GET", "/products?page=1&per_page=500")
    assert body["per_page"] == 50 and len(body["products"]) == 40
    _, body = call(base_url, "GET", "/products?page=5&per_page=10")
    assert body["products"] == []
    status, _ = call(base_url, "GET", "/products?page=abc")
    assert status == 400


def test_product_detail_and_404(base_url: str) -> None:
    status, body = call(base_url, "GET", "/products/1")
    assert status == 200 and body["id"] == 1 and body["name"] == "Red Mug"
    assert call(base_url, "GET", "/products/40")[1]["id"] == 40
    for bad in ("0", "41", "abc", "1.5", "-1"):
        assert call(base_url, "GET", f"/products/{bad}") == (
            404,
            {"error": "product not found"},
        )


def test_search(base_url: str) -> None:
    status, body = call(base_url, "GET", "/search?q=MUG")
    assert status == 200 and body["query"] == "MUG"
    assert {p["name"] for p in body["results"]} == {"Red Mug", "Blue Mug"}
    assert call(base_url, "GET", "/search?q=zzzz")[1]["results"] == []


def test_cart_requires_auth_and_accumulates(base_url: str) -> None:
    assert call(base_url, "POST", "/cart/add", body={"product_id": 1}) == (
        401,
        {"error": "missing or invalid token"},
    )
    assert call(base_url, "GET", "/cart", token="0" * 32)[0] == 401

    token = login(base_url, "dave@example.com", "pw-dave")
    assert call(base_url, "GET", "/cart", token=token) == (
        200,
        {"cart": {"items": [], "count": 0}},
    )
    status, body = call(base_url, "POST", "/cart/add", body={"product_id": 2}, token=token)
    assert status == 200
    assert body == {"cart": {"items": [{"product_id": 2, "quantity": 1}], "count": 1}}
    _, body = call(
        base_url,
        "POST",
        "/cart/add",
        body={"product_id": "2", "quantity": "3"},
        token=token,
    )
    assert body["cart"] == {"items": [{"product_id": 2, "quantity": 4}], "count": 4}
    _, body = call(
        base_url,
        "POST",
        "/cart/add",
        body={"product_id": 5, "quantity": 2},
        token=token,
    )
    assert body["cart"]["count"] == 6 and len(body["cart"]["items"]) == 2

    assert call(base_url, "POST", "/cart/add", body={"product_id": 99}, token=token)[0] == 404
    assert call(base_url, "POST", "/cart/add", body={"product_id": "x"}, token=token)[0] == 400
    assert call(base_url, "POST", "/cart/add", body=b"nope", token=token)[0] == 400

    # Carts are per token.
    other = login(base_url)
    assert call(base_url, "GET", "/cart", token=other)[1]["cart"]["count"] == 0
    assert call(base_url, "GET", "/cart", token=token)[1]["cart"]["count"] == 6


def test_checkout_and_orders(base_url: str) -> None:
    token = login(base_url, "erin@example.com", "pw-erin")
    assert call(base_url, "POST", "/checkout", token=None)[0] == 401
    assert call(base_url, "POST", "/checkout", token=token) == (
        409,
        {"error": "cart is empty"},
    )

    _, product = call(base_url, "GET", "/products/3")
    call(
        base_url,
        "POST",
        "/cart/add",
        body={"product_id": 3, "quantity": 2},
        token=token,
    )
    status, body = call(base_url, "POST", "/checkout", token=token)
    assert status == 201
    assert uuid.UUID(body["order_id"]).version == 4
    assert body["items"] == 2
    assert body["total"] == pytest.approx(product["price"] * 2)

    assert call(base_url, "GET", "/cart", token=token)[1]["cart"] == {
        "items": [],
        "count": 0,
    }
    assert call(base_url, "POST", "/checkout", token=token)[0] == 409

    order_id = body["order_id"]
    status, order = call(base_url, "GET", f"/orders/{order_id}", token=token)
    assert status == 200
    assert order == {
        "order_id": order_id,
        "total": body["total"],
        "status": "confirmed",
    }
    assert call(base_url, "GET", f"/orders/{order_id}")[0] == 401
    assert call(base_url, "GET", f"/orders/{uuid.uuid4()}", token=token)[0] == 404


def test_status_endpoint(base_url: str) -> None:
    assert call(base_url, "GET", "/status/503") == (503, {"status": 503})
    assert call(base_url, "GET", "/status/201") == (201, {"status": 201})
    assert call(base_url, "GET", "/status/abc")[0] == 404


def test_slow_endpoint(base_url: str) -> None:
    started = time.perf_counter()
    status, body = call(base_url, "GET", "/slow?ms=200")
    elapsed = time.perf_counter() - started
    assert (status, body) == (200, {"slept_ms": 200})
    assert 0.2 <= elapsed < 2.0


def test_non_loopback_host_refused() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadspec.demo",
            "--host",
            "10.0.0.1",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 2
    assert "non-loopback" in proc.stderr
    assert "LISTENING" not in proc.stdout


def test_demo_server_stop_is_idempotent() -> None:
    server = DemoServer()
    url = server.start()
    assert url.startswith("http://127.0.0.1:")
    assert call(url, "GET", "/health")[0] == 200
    server.stop()
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/health", timeout=2)


def test_start_failure_raises_with_stderr(base_url: str) -> None:
    busy_port = int(base_url.rsplit(":", 1)[1])
    server = DemoServer(port=busy_port)
    with pytest.raises(RuntimeError, match="cannot listen"):
        server.start()
    server.stop()
