"""Body encodings for the wire client: JSON, form and multipart bodies out, compressed bodies in.

Request bodies are encoded the way Locust's clients encode them, once at compile time where they are
static; `Decoder` streams a gzip, deflate or br response body into bytes in bounded pieces, so that
a body limit holds for the decoded size too (a small compressed body cannot inflate past it at
once). Pure functions over bytes: no sockets, no Locust.
"""

from __future__ import annotations

import json
import secrets
import zlib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

try:
    import brotli
except ImportError:  # pragma: no cover - geventhttpclient depends on it
    brotli = None

__all__ = ["ACCEPT_ENCODING", "DECODE_ERRORS", "Decoder", "encode_form", "encode_json", "encode_multipart"]

ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error, ValueError) + ((brotli.error,) if brotli else ())
_STEP = 64 * 1024


def encode_json(value: Any) -> bytes:
    """JSON the way Locust's clients send it (json.dumps defaults, so non-ASCII as \\u escapes)."""
    return json.dumps(value).encode("ascii")


def encode_form(fields: Mapping[str, Any]) -> bytes:
    """An application/x-www-form-urlencoded body; a list value repeats its key."""
    return urlencode(fields, doseq=True).encode("ascii")


def encode_multipart(fields: Mapping[str, Any], files: Mapping[str, tuple[str, bytes, str]],
                     boundary: str | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type; files are (filename, bytes, content type)."""
    boundary = boundary or secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) \
            else str(value)
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
                     .encode() + text.encode("utf-8") + b"\r\n")
    for name, (filename, content, kind) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
                     f'filename="{_quoted(filename)}"\r\nContent-Type: {kind}\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class Decoder:
    """Streams one Content-Encoding into bytes, never producing more than `room` bytes per call."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self._zlib: Any = None
        self._brotli: Any = None
        if encoding == "gzip" or encoding == "x-gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "br":
            if brotli is None:
                raise ValueError("a br (brotli) body, and brotli is not installed")
            self._brotli = brotli.Decompressor()
        elif encoding != "deflate":
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes, room: int) -> Iterable[bytes]:
        if self._zlib is None and self._brotli is None:  # deflate: zlib-wrapped or raw, seen at the start
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        step = max(room, _STEP)
        if self._brotli is not None:
            yield self._brotli.process(data, output_buffer_limit=step)
            while not self._brotli.can_accept_more_data():
                yield self._brotli.process(b"", output_buffer_limit=step)
            return
        out = self._zlib.decompress(data, step)
        yield out
        while self._zlib.unconsumed_tail:
            yield self._zlib.decompress(self._zlib.unconsumed_tail, step)
