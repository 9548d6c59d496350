"""CSV data pools at run time: hand out rows in sequential, random or unique order.

A `PoolCursor` decides which row index comes next; the rows themselves were read by the loader.
`unique` never hands out a row twice within a run while rows remain; what happens when rows run
out is `on_exhausted` (recycle, stop_user, stop_test). A cursor's index source is read on every
call, so a worker of a distributed run replaces it (once Locust has created its runner) to let the
master hand out unique rows to all workers. No I/O, no engine.
"""

from __future__ import annotations

import collections
import itertools
import random
from collections.abc import Callable
from typing import Any

from ..model import DataPool


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


# --- distributed runs ---------------------------------------------------------------------------
# The master of a distributed run owns one IndexDealer per sequential/unique pool and deals row
# indexes to the workers in batches; each worker's cursor reads from a BatchedIndexSource. Random
# pools need no coordination and stay local. A batch a worker holds when it dies is lost: those
# rows are never used, so uniqueness holds and a stop_test pool may end a little early.


class IndexDealer:
    """The master's side of a sequential or unique pool: deals each row index at most once while
    rows remain (then wraps around if the pool recycles), to any number of workers."""

    def __init__(self, pool: DataPool):
        self.pool = pool
        self.size = len(pool.rows)
        self.recycle = pool.on_exhausted == "recycle"
        self.position = 0

    def deal(self, count: int, sharers: int = 1) -> list[int]:
        """Up to `count` next indexes (none once a non-recycling pool is used up). When rows run low
        a batch shrinks so that each of `sharers` workers still gets some."""
        count = max(1, count)
        if self.recycle:
            start, self.position = self.position, self.position + count
            return [(start + offset) % self.size for offset in range(count)]
        remaining = self.size - self.position
        if remaining <= 0:
            return []
        take = min(count, max(1, remaining // (2 * max(1, sharers))))
        start, self.position = self.position, self.position + take
        return list(range(start, start + take))


Fetch = Callable[[int], "list[int]"]


class BatchedIndexSource:
    """A worker's side of a dealt pool: hands out indexes fetched in growing batches (1, 2, 4 … up
    to `largest`) through `fetch(count) -> indexes`. An empty answer means no row for this caller
    (None); the dealer is asked again next time, so it learns of every refusal."""

    def __init__(self, fetch: Fetch, largest: int = 64):
        self.fetch = fetch
        self.largest = largest
        self.batch = 1
        self.buffer: collections.deque[int] = collections.deque()

    def __call__(self) -> int | None:
        while not self.buffer:
            indexes = self.fetch(self.batch)
            if not indexes:
                return None
            self.batch = min(self.batch * 2, self.largest)
            self.buffer.extend(indexes)
        return self.buffer.popleft()


__all__ = ["BatchedIndexSource", "Fetch", "IndexDealer", "IndexSource", "PoolCursor", "PoolExhausted",
           "local_index_source"]
