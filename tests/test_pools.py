"""CSV pool cursors hand out rows in the order and with the exhaustion behaviour the spec names."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadspec.engine.pools import PoolCursor, PoolExhausted
from loadspec.model import DataPool


def pool(order: str, on_exhausted: str = "recycle", rows: int = 3) -> DataPool:
    return DataPool(name="p", path=Path("p.csv"), columns=["n"], rows=[(str(i),) for i in range(rows)],
                    order=order, on_exhausted=on_exhausted)  # type: ignore[arg-type]


def take(cursor: PoolCursor, count: int) -> list[str]:
    return [cursor.next_row()["n"] for _ in range(count)]


def test_sequential_recycles_in_file_order() -> None:
    assert take(PoolCursor(pool("sequential")), 7) == ["0", "1", "2", "0", "1", "2", "0"]


@pytest.mark.parametrize("order", ["sequential", "unique"])
def test_stop_modes_refuse_once_every_row_was_handed_out(order: str) -> None:
    cursor = PoolCursor(pool(order, "stop_user"))
    assert take(cursor, 3) == ["0", "1", "2"]
    with pytest.raises(PoolExhausted, match="data pool 'p' ran out of rows"):
        cursor.next_row()


def test_unique_recycle_hands_out_every_row_before_any_repeats() -> None:
    rows = take(PoolCursor(pool("unique", rows=5)), 10)
    assert sorted(rows[:5]) == ["0", "1", "2", "3", "4"] and sorted(rows[5:]) == sorted(rows[:5])


def test_random_never_runs_out_and_stays_in_the_pool() -> None:
    rows = take(PoolCursor(pool("random", "stop_test")), 200)
    assert set(rows) == {"0", "1", "2"}


def test_rows_are_dicts_by_column() -> None:
    data = DataPool(name="u", path=Path("u.csv"), columns=["email", "password"], rows=[("a@x", "pw")])
    assert PoolCursor(data).next_row() == {"email": "a@x", "password": "pw"}
