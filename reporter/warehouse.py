"""Reading the built marts: a connection to where dbt built them, with bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import project


class WarehouseUnavailable(Exception):
    """The database the marts should be in cannot be opened."""


@dataclass
class Warehouse:
    engine: str
    connection: object

    def query(self, sql: str, parameters=()) -> tuple[list[str], list[tuple]]:
        """Run one statement; `?` marks each bound parameter, whatever the engine."""
        cursor = self.connection.cursor()
        cursor.execute(sql, list(parameters))
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_warehouse(duckdb_path: str | None = None) -> Warehouse:
    """The embedded DuckDB database, opened read-only."""
    path = project.duckdb_path(duckdb_path)
    if not Path(path).is_file():
        raise WarehouseUnavailable(f"no database at {path}: run `p402-monitor build` first")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise WarehouseUnavailable(f"cannot open {path}: {error}") from None
    return Warehouse(engine="duckdb", connection=connection)
