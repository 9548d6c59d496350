"""The demo shop itself: an in-memory JSON API (login, catalogue, cart, checkout, orders, plus
/slow and /status/{code}) as a plain WSGI `app`.

Deterministic and fast enough never to be the bottleneck of a Locust run; it keeps nothing on disk,
logs nothing per request and imports nothing of loadspec (standard library only). Serving it is
`server.py`'s job.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

__all__ = ["PRODUCTS", "app"]

# --------------------------------------------------------------------------- #
# Static data                                                                  #
# --------------------------------------------------------------------------- #

_NAMED_PRODUCTS = {
    1: "Red Mug",
    2: "Blue Mug",
    3: "Green Tea",
    4: "Black Coffee",
    5: "Yellow Notebook",
    6: "Steel Water Bottle",
    7: "Wooden Pencil Set",
    8: "Canvas Tote Bag",
}
PRODUCT_COUNT = 40


def _make_product(pid: int) -> dict[str, Any]:
    return {
        "id": pid,
        "name": _NAMED_PRODUCTS.get(pid, f"Product {pid}"),
        "price": float(f"{(pid * 7) % 45 + 3}.{(pid * 37) % 100:02d}"),
        "stock": 5 + (pid * 13) % 96,
        "currency": "EUR",
    }


PRODUCTS: dict[int, dict[str, Any]] = {pid: _make_product(pid) for pid in range(1, PRODUCT_COUNT + 1)}
_PRODUCT_LIST = list(PRODUCTS.values())

MAX_PER_PAGE = 50
_MAX_BODY = 1024 * 1024
# Bounds on in-memory state so that a long load test cannot exhaust memory:
# the oldest sessions / orders are forgotten first.
_MAX_SESSIONS = 200_000
_MAX_ORDERS = 200_000


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


_JSON = "application/json"
_HTML = "text/html; charset=utf-8"
_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus if 200 <= s.value <= 599}


def _status_line(code: int) -> str:
    return _STATUS_LINES.get(code) or f"{code} Unknown"


# Precomputed response bodies for everything static.
_HEALTH = _dumps({"status": "ok"})
_PRODUCT_BODIES = {pid: _dumps(p) for pid, p in PRODUCTS.items()}
_PRODUCT_BODY_BY_PATH = {f"/products/{pid}": b for pid, b in _PRODUCT_BODIES.items()}
_PAGE_CACHE: dict[tuple[int, int], bytes] = {}

_HOME = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo Shop</title></head>
<body>
<h1>Demo Shop</h1>
<p>A tiny in-memory shop API used as a load-testing target.</p>
<ul>
<li><a href="/health">/health</a></li>
<li><a href="/about">/about</a></li>
<li><a href="/products">/products</a></li>
<li><a href="/products/1">/products/1</a></li>
<li><a href="/search?q=mug">/search?q=mug</a></li>
<li><a href="/slow?ms=100">/slow?ms=100</a></li>
<li><a href="/status/503">/status/503</a></li>
</ul>
</body>
</html>
"""

_ABOUT = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>About - Demo Shop</title></head>
<body>
<h1>About the Demo Shop</h1>
<p>This server exists only to be load-tested. All state lives in memory and
disappears when the process exits.</p>
<p><a href="/">Home</a></p>
</body>
</html>
"""

# --------------------------------------------------------------------------- #
# Mutable state (per process; gevent means no locking is needed)               #
# --------------------------------------------------------------------------- #

# token -> {"email": str, "cart": {product_id: quantity}}
_SESSIONS: dict[str, dict[str, Any]] = {}
# order_id -> pre-encoded response body
_ORDERS: dict[str, bytes] = {}


def _remember(store: dict[str, Any], key: str, value: Any, limit: int) -> None:
    if len(store) >= limit:
        del store[next(iter(store))]
    store[key] = value


# --------------------------------------------------------------------------- #
# Helpers                                                                      #
# --------------------------------------------------------------------------- #

StartResponse = Callable[..., Any]
_Response = tuple[int, bytes, str]


class _BadRequest(Exception):
    pass


def _err(code: int, message: str) -> _Response:
    return code, _dumps({"error": message}), _JSON


_NOT_FOUND = _err(404, "not found")
_METHOD_NOT_ALLOWED = _err(405, "method not allowed")
_UNAUTHORIZED = _err(401, "missing or invalid token")
_PRODUCT_NOT_FOUND = _err(404, "product not found")


def _query(environ: dict[str, Any]) -> dict[str, list[str]]:
    qs = environ.get("QUERY_STRING")
    return parse_qs(qs, keep_blank_values=True) if qs else {}


def _int_param(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    if not values:
        return default
    raw = values[0].strip()
    if not (raw.isascii() and raw.isdigit()):
        raise _BadRequest(f"{name} must be a non-negative integer")
    return int(raw)


def _read_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        try:
            n = int(length)
        except ValueError:
            raise _BadRequest("invalid Content-Length") from None
        if n > _MAX_BODY:
            raise _BadRequest("request body too large")
        return stream.read(n) if n > 0 else b""
    data = stream.read(_MAX_BODY + 1)
    if len(data) > _MAX_BODY:
        raise _BadRequest("request body too large")
    return data


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    raw = _read_body(environ)
    if not raw:
        raise _BadRequest("request body must be a JSON object")
    try:
        data = json.loads(raw)
    except ValueError:
        raise _BadRequest("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _BadRequest("request body must be a JSON object")
    return data


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _BadRequest(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        s = value.strip()
        if s.isascii() and s.lstrip("+-").isdigit():
            try:
                return int(s)
            except ValueError:
                pass
    raise _BadRequest(f"{name} must be an integer")


def _session(environ: dict[str, Any]) -> dict[str, Any] | None:
    auth = environ.get("HTTP_AUTHORIZATION")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return _SESSIONS.get(token.strip())


def _cart_view(cart: dict[int, int]) -> dict[str, Any]:
    return {
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in cart.items()],
        "count": sum(cart.values()),
    }


# --------------------------------------------------------------------------- #
# Handlers                                                                     #
# --------------------------------------------------------------------------- #


def _login(environ: dict[str, Any]) -> _Response:
    ctype = environ.get("CONTENT_TYPE") or ""
    if ctype.startswith("application/x-www-form-urlencoded"):
        try:
            form = parse_qs(_read_body(environ).decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise _BadRequest("form body is not valid UTF-8") from None
        data: dict[str, Any] = {k: v[0] for k, v in form.items()}
    else:
        data = _json_body(environ)
    email = data.get("email")
    password = data.get("password")
    if not (isinstance(email, str) and email and isinstance(password, str) and password):
        raise _BadRequest("email and password must be non-empty strings")
    if password != "secret" and password != "pw-" + email.split("@", 1)[0]:
        return _err(401, "invalid credentials")
    token = secrets.token_hex(16)
    _remember(_SESSIONS, token, {"email": email, "cart": {}}, _MAX_SESSIONS)
    body = {"access_token": token, "token_type": "bearer", "user": {"email": email}}
    return 200, _dumps(body), _JSON


def _products(environ: dict[str, Any]) -> _Response:
    params = _query(environ)
    page = _int_param(params, "page", 1)
    per_page = _int_param(params, "per_page", 10)
    if page < 1 or per_page < 1:
        raise _BadRequest("page and per_page must be >= 1")
    per_page = min(per_page, MAX_PER_PAGE)
    key = (page, per_page)
    body = _PAGE_CACHE.get(key)
    if body is None:
        start = (page - 1) * per_page
        body = _dumps(
            {
                "page": page,
                "per_page": per_page,
                "total": PRODUCT_COUNT,
                "products": _PRODUCT_LIST[start : start + per_page],
            }
        )
        if page <= PRODUCT_COUNT:  # bounded cache: at most 40 * 50 entries
            _PAGE_CACHE[key] = body
    return 200, body, _JSON


def _product(path: str) -> _Response:
    raw = path[len("/products/") :]
    if raw.isascii() and raw.isdigit():
        body = _PRODUCT_BODIES.get(int(raw))
        if body is not None:
            return 200, body, _JSON
    return _PRODUCT_NOT_FOUND


def _search(environ: dict[str, Any]) -> _Response:
    values = _query(environ).get("q")
    text = values[0] if values else ""
    needle = text.casefold()
    results = [p for p in _PRODUCT_LIST if needle in p["name"].casefold()]
    return 200, _dumps({"query": text, "results": results}), _JSON


def _cart_add(environ: dict[str, Any]) -> _Response:
    session = _session(environ)
    if session is None:
        return _UNAUTHORIZED
    data = _json_body(environ)
    if "product_id" not in data:
        raise _BadRequest("product_id is required")
    pid = _as_int(data["product_id"], "product_id")
    qty = _as_int(data.get("quantity", 1), "quantity")
    if qty < 1:
        raise _BadRequest("quantity must be >= 1")
    if pid not in PRODUCTS:
        return _PRODUCT_NOT_FOUND
    cart = session["cart"]
    cart[pid] = cart.get(pid, 0) + qty
    return 200, _dumps({"cart": _cart_view(cart)}), _JSON


def _cart_get(environ: dict[str, Any]) -> _Response:
    session = _session(environ)
    if session is None:
        return _UNAUTHORIZED
    return 200, _dumps({"cart": _cart_view(session["cart"])}), _JSON


def _checkout(environ: dict[str, Any]) -> _Response:
    session = _session(environ)
    if session is None:
        return _UNAUTHORIZED
    cart = session["cart"]
    if not cart:
        return _err(409, "cart is empty")
    total = round(sum(PRODUCTS[pid]["price"] * qty for pid, qty in cart.items()), 2)
    count = sum(cart.values())
    order_id = str(uuid.uuid4())
    order = {"order_id": order_id, "total": total, "status": "confirmed"}
    _remember(_ORDERS, order_id, _dumps(order), _MAX_ORDERS)
    session["cart"] = {}
    return 201, _dumps({"order_id": order_id, "total": total, "items": count}), _JSON


def _order(environ: dict[str, Any], path: str) -> _Response:
    if _session(environ) is None:
        return _UNAUTHORIZED
    body = _ORDERS.get(path[len("/orders/") :])
    if body is None:
        return _err(404, "order not found")
    return 200, body, _JSON


def _slow(environ: dict[str, Any]) -> _Response:
    import gevent

    ms = min(_int_param(_query(environ), "ms", 0), 5000)
    if ms:
        gevent.sleep(ms / 1000.0)
    return 200, _dumps({"slept_ms": ms}), _JSON


def _status(path: str) -> _Response:
    raw = path[len("/status/") :]
    if not (raw.isascii() and raw.isdigit()):
        return _NOT_FOUND
    code = int(raw)
    if not 200 <= code <= 599:
        raise _BadRequest("status code must be between 200 and 599")
    return code, _dumps({"status": code}), _JSON


_GET_ROUTES: dict[str, Callable[[dict[str, Any]], _Response]] = {
    "/health": lambda env: (200, _HEALTH, _JSON),
    "/": lambda env: (200, _HOME, _HTML),
    "/about": lambda env: (200, _ABOUT, _HTML),
    "/search": _search,
    "/products": _products,
    "/cart": _cart_get,
    "/slow": _slow,
}
_POST_ROUTES: dict[str, Callable[[dict[str, Any]], _Response]] = {
    "/auth/login": _login,
    "/cart/add": _cart_add,
    "/checkout": _checkout,
}


def _dispatch(environ: dict[str, Any]) -> _Response:
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO") or "/"
    if method == "GET" or method == "HEAD":
        body = _PRODUCT_BODY_BY_PATH.get(path)  # hottest path: no parsing at all
        if body is not None:
            return 200, body, _JSON
        handler = _GET_ROUTES.get(path)
        if handler is not None:
            return handler(environ)
        if path.startswith("/products/"):
            return _product(path)
        if path.startswith("/orders/"):
            return _order(environ, path)
        if path.startswith("/status/"):
            return _status(path)
        if path in _POST_ROUTES:
            return _METHOD_NOT_ALLOWED
        return _NOT_FOUND
    if method == "POST":
        handler = _POST_ROUTES.get(path)
        if handler is not None:
            return handler(environ)
        if path in _GET_ROUTES or path.startswith(("/products/", "/orders/", "/status/")):
            return _METHOD_NOT_ALLOWED
        return _NOT_FOUND
    if path in _GET_ROUTES or path in _POST_ROUTES:
        return _METHOD_NOT_ALLOWED
    return _NOT_FOUND


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application implementing the demo shop API."""
    try:
        code, body, ctype = _dispatch(environ)
    except _BadRequest as exc:
        code, body, ctype = _err(400, str(exc))
    if code == 204 or code == 304:
        body = b""
    start_response(
        _status_line(code),
        [("Content-Type", ctype), ("Content-Length", str(len(body)))],
    )
    if environ["REQUEST_METHOD"] == "HEAD":  # pywsgi does not strip HEAD bodies
        return []
    return [body]


# --------------------------------------------------------------------------- #
# Command line entry point (runs in the server subprocess)                     #
# --------------------------------------------------------------------------- #


