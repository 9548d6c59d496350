"""Read the CSV files of `data:` pools into `DataPool`s, reporting each mistake where it is: a missing
file at the spec's `csv:`, a bad delimiter at `delimiter:`, a ragged row or an unreadable line at the
CSV file's own line.

It reads the CSV files the spec names and nothing else.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..lang.values import check_delimiter
from ..model import DataPool, Location
from .reading import ReaderBase


class PoolReader(ReaderBase):
    """The `data:` section: one DataPool per CSV file."""

    def read_pools(self, data: dict[str, Any]) -> None:
        for name, raw in data.items():
            self.pool_names.add(name)
            if not isinstance(raw, dict) or not isinstance(raw.get("csv"), str):
                continue
            path = ("data", name, "csv")
            csv_path = (self.base_dir / raw["csv"]).resolve()
            if not csv_path.is_file():
                self.error(path, f"CSV file '{raw['csv']}' not found",
                           f"looked for {csv_path}; paths are relative to the spec file's folder")
                continue
            delimiter = raw.get("delimiter", ",")
            if not isinstance(delimiter, str):
                continue  # the schema reported it
            problem = check_delimiter(delimiter)
            if problem:
                if len(delimiter) == 1:  # a wrong length is the schema's to report
                    self.problem(("data", name, "delimiter"), problem)
                continue
            try:
                rows, lines = _read_csv(csv_path, delimiter)
            except UnicodeDecodeError as exc:
                line = csv_path.read_bytes()[: exc.start].count(b"\n") + 1
                self.error_at(Location(str(csv_path), line, 1),
                              f"CSV file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
                              "save it as UTF-8 (in a spreadsheet: export as 'CSV UTF-8')")
                continue
            except _CsvLineError as exc:
                self.error_at(Location(str(csv_path), exc.line, 1), f"cannot read this CSV line: {exc}",
                              "check the quotes on this line: a quoted field must end with a quote")
                continue
            except OSError as exc:
                self.error(path, f"cannot read CSV file '{raw['csv']}': {exc.strerror or exc}")
                continue
            if not rows or not any(cell.strip() for cell in rows[0]):
                self.error(path, f"CSV file '{raw['csv']}' has no header row",
                           "the first line names the columns, e.g. email,password")
                continue
            columns = [cell.strip() for cell in rows[0]]
            if any(not column for column in columns) or len(set(columns)) != len(columns):
                dupes = sorted({c for c in columns if columns.count(c) > 1 and c})
                self.error_at(Location(str(csv_path), 1, 1),
                              "CSV header has " + (f"duplicate columns: {', '.join(dupes)}" if dupes
                                                   else "an empty column name"),
                              "every column needs its own name, e.g. email,password")
                continue
            body = [tuple(row) for row in rows[1:] if any(cell.strip() for cell in row)]
            for line_no, row in zip(lines[1:], rows[1:], strict=True):
                if any(cell.strip() for cell in row) and len(row) != len(columns):
                    self.error_at(Location(str(csv_path), line_no, 1),
                                  f"row has {len(row)} fields but the header has {len(columns)}",
                                  f"header: {','.join(columns)}")
            if not body:
                self.error(path, f"CSV file '{raw['csv']}' has a header but no rows")
                continue
            self.pools[name] = DataPool(
                name=name, path=csv_path, columns=columns, rows=body,
                order=raw.get("order", "sequential"), scope=raw.get("scope", "user"),
                on_exhausted=raw.get("on_exhausted", "recycle"), where=self.at(("data", name), key=True),
            )


class _CsvLineError(Exception):
    """A CSV line the csv module cannot read, with its line number."""

    def __init__(self, message: str, line: int):
        self.line = line
        super().__init__(message)


def _read_csv(path: Path, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The rows of a CSV file and the line each row starts on."""
    rows: list[list[str]] = []
    starts: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous = 0
        try:
            for row in reader:
                rows.append(row)
                starts.append(previous + 1)
                previous = reader.line_num
        except csv.Error as exc:
            raise _CsvLineError(str(exc), previous + 1) from None
    return rows, starts


__all__ = ["PoolReader"]
