"""The bundled demo target: a small shop API on 127.0.0.1 for `loadspec demo`, the examples and the tests."""

from .server import DemoServer

__all__ = ["DemoServer"]
