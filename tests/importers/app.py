"""A small FastAPI app with two CRUD resources behind an OAuth2 password token, the importers' target.

Its own `/openapi.json` is what the OpenAPI importer reads, and its state is what the end-to-end
tests judge an imported scenario by: every token issued (one per login), every item and note
created, read, updated and deleted — each counted by the token that did it — and every response
with a status of 400 or more, kept in a log. An object belongs to the token that created it: any
other token gets 404, so a replay only passes when each simulated user captured its own ids.
`GET /__state` (left out of the OpenAPI document) returns all of it; `POST /__state/reset` clears
the counts and the log.

Run it with ``python tests/importers/app.py --port 0``: once bound on 127.0.0.1 it prints one line
``LISTENING http://127.0.0.1:PORT``. Tests start it with ``server.start_app`` (standard library only,
so the test process never imports FastAPI or anyio next to Locust's gevent).
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field
from server import PASSWORD  # noqa: E402  (run as a script: its folder is on sys.path)

app = FastAPI(title="loadspec importers test app", version="1.0.0")
oauth2 = OAuth2PasswordBearer(tokenUrl="token")

_lock = threading.Lock()
_ids = itertools.count(1)
_tokens: dict[str, str] = {}  # token -> username
_items: dict[int, dict[str, Any]] = {}
_notes: dict[int, dict[str, Any]] = {}
_owner: dict[tuple[str, int], str] = {}  # (kind, id) -> token
_counts: Counter[str] = Counter()  # "items.created:<token>" ...
_errors: list[dict[str, Any]] = []


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class ItemIn(BaseModel):
    name: str = Field(min_length=1, examples=["widget"])
    price: float = Field(gt=0, examples=[9.5])
    tags: list[str] = []


class Item(ItemIn):
    id: int


class NoteIn(BaseModel):
    text: str = Field(min_length=1, examples=["remember the milk"])


class Note(NoteIn):
    id: int
    item_id: int


@app.middleware("http")
async def log_errors(request: Request, call_next: Callable[..., Any]) -> Any:
    response = await call_next(request)
    if response.status_code >= 400 and not request.url.path.startswith("/__state"):
        with _lock:
            _errors.append({"method": request.method, "path": request.url.path, "status": response.status_code})
    return response


def current_token(token: Annotated[str, Depends(oauth2)]) -> str:
    with _lock:
        if token not in _tokens:
            raise HTTPException(status_code=401, detail="unknown token", headers={"WWW-Authenticate": "Bearer"})
    return token


def _count(event: str, token: str) -> None:
    with _lock:
        _counts[f"{event}:{token}"] += 1


def _own(kind: str, store: dict[int, dict[str, Any]], object_id: int, token: str) -> dict[str, Any]:
    with _lock:
        if object_id not in store or _owner.get((kind, object_id)) != token:
            raise HTTPException(status_code=404, detail=f"{kind[:-1]} {object_id} not found")
        return store[object_id]


@app.post("/token", response_model=Token, tags=["auth"])
def login(username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Token:
    """Log in with a password; every login gets a new token."""
    if password != PASSWORD:
        raise HTTPException(status_code=401, detail="bad credentials")
    token = secrets.token_hex(16)
    with _lock:
        _tokens[token] = username
    return Token(access_token=token)


@app.post("/items", response_model=Item, status_code=201, tags=["items"])
def create_item(item: ItemIn, token: Annotated[str, Depends(current_token)]) -> Item:
    with _lock:
        item_id = next(_ids)
        _items[item_id] = {"id": item_id, **item.model_dump()}
        _owner[("items", item_id)] = token
    _count("items.created", token)
    return Item(**_items[item_id])


@app.get("/items", response_model=list[Item], tags=["items"])
def list_items(token: Annotated[str, Depends(current_token)]) -> list[Item]:
    with _lock:
        return [Item(**v) for k, v in _items.items() if _owner.get(("items", k)) == token]


@app.get("/items/{item_id}", response_model=Item, tags=["items"])
def read_item(item_id: int, token: Annotated[str, Depends(current_token)]) -> Item:
    item = _own("items", _items, item_id, token)
    _count("items.read", token)
    return Item(**item)


@app.put("/items/{item_id}", response_model=Item, tags=["items"])
def update_item(item_id: int, item: ItemIn, token: Annotated[str, Depends(current_token)]) -> Item:
    _own("items", _items, item_id, token)
    with _lock:
        _items[item_id] = {"id": item_id, **item.model_dump()}
    _count("items.updated", token)
    return Item(**_items[item_id])


@app.delete("/items/{item_id}", status_code=204, tags=["items"])
def delete_item(item_id: int, token: Annotated[str, Depends(current_token)]) -> Response:
    _own("items", _items, item_id, token)
    with _lock:
        if any(n["item_id"] == item_id for n in _notes.values()):
            raise HTTPException(status_code=409, detail="the item still has notes")
        del _items[item_id]
    _count("items.deleted", token)
    return Response(status_code=204)


@app.post("/items/{item_id}/notes", response_model=Note, status_code=201, tags=["notes"])
def create_note(item_id: int, note: NoteIn, token: Annotated[str, Depends(current_token)]) -> Note:
    _own("items", _items, item_id, token)
    with _lock:
        note_id = next(_ids)
        _notes[note_id] = {"id": note_id, "item_id": item_id, **note.model_dump()}
        _owner[("notes", note_id)] = token
    _count("notes.created", token)
    return Note(**_notes[note_id])


@app.get("/items/{item_id}/notes/{note_id}", response_model=Note, tags=["notes"])
def read_note(item_id: int, note_id: int, token: Annotated[str, Depends(current_token)]) -> Note:
    note = _own("notes", _notes, note_id, token)
    if note["item_id"] != item_id:
        raise HTTPException(status_code=404, detail="note not on this item")
    _count("notes.read", token)
    return Note(**note)


@app.delete("/items/{item_id}/notes/{note_id}", status_code=204, tags=["notes"])
def delete_note(item_id: int, note_id: int, token: Annotated[str, Depends(current_token)]) -> Response:
    note = _own("notes", _notes, note_id, token)
    if note["item_id"] != item_id:
        raise HTTPException(status_code=404, detail="note not on this item")
    with _lock:
        del _notes[note_id]
    _count("notes.deleted", token)
    return Response(status_code=204)


@app.get("/__state", include_in_schema=False)
def state() -> dict[str, Any]:
    with _lock:
        per_token: dict[str, dict[str, int]] = {}
        for key, count in _counts.items():
            event, token = key.split(":", 1)
            per_token.setdefault(token, {})[event] = count
        return {"tokens": len(_tokens), "per_token": per_token, "items": len(_items), "notes": len(_notes),
                "errors": list(_errors)}


@app.post("/__state/reset", include_in_schema=False)
def reset() -> dict[str, bool]:
    with _lock:
        _tokens.clear()
        _items.clear()
        _notes.clear()
        _owner.clear()
        _counts.clear()
        _errors.clear()
    return {"ok": True}


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)  # connections wait in the backlog until uvicorn serves them
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    print(f"LISTENING http://127.0.0.1:{port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
