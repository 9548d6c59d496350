"""CSV data pools at run time: hand out rows in sequential, random or unique order.

A `PoolCursor` decides which row index comes next; the rows themselves were read by the loader.
`unique` never hands out a row twice within a run while rows remain; what happens when rows run
out is `on_exhausted` (recycle, stop_user, stop_test). The index source is pluggable so that a
distributed run can let the master hand out unique rows to all workers. No I/O, no engine.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

from .model import DataPool


class PoolExhausted(Exception):
    """A pool has no rows left and its `on_exhausted` is stop_user or stop_test."""

    def __init__(self, pool: DataPool):
        self.pool = pool
        super().__init__(f"data pool '{pool.name}' ran out of rows ({len(pool.rows)} in {pool.path.name})")


IndexSource = Callable[[], "int | None"]


def local_index_source(pool: DataPool) -> IndexSource:
    """Row indexes for one process: a shared counter (sequential/unique) or random picks."""
    size = len(pool.rows)
    if pool.order == "random":
        return lambda: random.randrange(size)
    counter = itertools.count()
    recycle = pool.on_exhausted == "recycle"

    def next_index() -> int | None:
        position = next(counter)
        if position < size:
            return position
        return position % size if recycle else None

    return next_index


class PoolCursor:
    """Rows of one pool as dicts, in the pool's order; raises PoolExhausted when out of rows."""

    def __init__(self, pool: DataPool, source: IndexSource | None = None):
        self.pool = pool
        self.columns = list(pool.columns)
        self.source = source or local_index_source(pool)
        self._rows: list[dict[str, Any]] = [dict(zip(self.columns, row, strict=False)) for row in pool.rows]

    def next_row(self) -> dict[str, Any]:
        index = self.source()
        if index is None:
            raise PoolExhausted(self.pool)
        return self._rows[index]
