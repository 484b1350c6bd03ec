"""Reading the built marts: a connection to where dbt built them, with bound parameters.

The reporter reads the warehouse dbt built into, named the way dbt names it: the bundled
profile (the embedded DuckDB file) unless a profiles folder or a target says otherwise, in which
case dbt's own profile loader reads the profile, so both agree on every connection setting.
Connections are read-only: the reporter never writes.
"""

from __future__ import annotations

import os
from argparse import Namespace
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from . import project

ENGINES = ("duckdb", "postgres")


class WarehouseUnavailable(Exception):
    """The database the marts should be in cannot be opened."""


@dataclass
class Warehouse:
    engine: str
    connection: object

    def query(self, sql: str, parameters=()) -> tuple[list[str], list[tuple]]:
        """Run one statement; `?` marks each bound parameter, whatever the engine."""
        parameters = list(parameters)
        cursor = self.connection.cursor()
        if self.engine == "postgres":
            cursor.execute(*postgres_statement(sql, parameters))
            rows = [tuple(_postgres_value(value) for value in row) for row in cursor.fetchall()]
        else:
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
        columns = [description[0] for description in cursor.description]
        return columns, rows

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_warehouse(duckdb_path: str | None = None, profiles_dir: str | None = None,
                   target: str | None = None) -> Warehouse:
    """The database the marts were built in, opened read-only.

    With neither `profiles_dir` nor `target` and no profiles.yml of the user's own, that is the
    embedded DuckDB file (`duckdb_path`, else $P402_DUCKDB_PATH, else ./p402_monitor.duckdb).
    Otherwise it is the `p402_monitor` profile's target, as dbt reads it.
    """
    location = target_location(duckdb_path, profiles_dir, target)
    if isinstance(location, Path):
        return _require_built(_open_duckdb(location), str(location))
    credentials = location
    if credentials.type == "postgres":
        return _require_built(_open_postgres(credentials), f"database {credentials.database}")
    raise WarehouseUnavailable(
        f"the reporter reads {' and '.join(ENGINES)} warehouses; target is of type '{credentials.type}'"
    )


def _require_built(warehouse: Warehouse, where: str) -> Warehouse:
    """The warehouse, once it is known to hold every mart a build writes: a first build that was
    stopped midway leaves some of them out, and the commands would fail on the first one missing."""
    marts = sorted(path.stem for path in (project.PROJECT_DIR / "models" / "marts").rglob("*.sql"))
    _, rows = warehouse.query(
        "select distinct table_name from information_schema.tables "
        f"where table_name in ({', '.join('?' for _ in marts)})", marts)
    missing = sorted(set(marts) - {name for name, in rows})
    if missing:
        warehouse.close()
        if len(missing) == len(marts):
            raise WarehouseUnavailable(f"{where} holds no build of Monitor's models: run `p402-monitor build` first")
        raise WarehouseUnavailable(
            f"{where} holds an unfinished build of Monitor's models ({len(missing)} of {len(marts)} marts missing, "
            f"such as {missing[0]}): run `p402-monitor build` again")
    return warehouse


def target_location(duckdb_path: str | None = None, profiles_dir: str | None = None,
                    target: str | None = None):
    """Where a build writes and the reporter reads: the DuckDB file (a Path), or the connection
    settings of a warehouse, as dbt reads them from the profile."""
    folder = project.profiles_dir(profiles_dir)
    if folder == project.BUNDLED_PROFILES_DIR and target is None:
        return project.duckdb_path(duckdb_path)
    credentials = load_credentials(folder, target)
    if credentials.type == "duckdb":
        return project.duckdb_path(duckdb_path) if duckdb_path else Path(credentials.path).resolve()
    return credentials


def load_credentials(profiles_dir: Path, target: str | None):
    """The connection settings of the p402_monitor profile's target, rendered by dbt itself."""
    from dbt.config.runtime import load_profile
    from dbt.exceptions import DbtProjectError, DbtRuntimeError
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    set_from_args(Namespace(profiles_dir=str(profiles_dir), project_dir=str(project.PROJECT_DIR),
                            target=target), None)
    try:
        profile = load_profile(str(project.PROJECT_DIR), cli_vars={}, target_override=target)
    except (DbtProjectError, DbtRuntimeError) as error:
        message = " ".join(str(error).split())
        raise WarehouseUnavailable(f"cannot load profile from {profiles_dir}: {message}") from None
    return profile.credentials


def _open_duckdb(path: Path) -> Warehouse:
    if Path(path).is_dir():
        raise WarehouseUnavailable(f"the database path {path} is a folder; give the DuckDB file `build` wrote")
    if not Path(path).is_file():
        raise WarehouseUnavailable(f"no database at {path}: run `p402-monitor build` first")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise WarehouseUnavailable(f"cannot open {path}: {error}") from None
    return Warehouse(engine="duckdb", connection=connection)


def _open_postgres(credentials) -> Warehouse:
    import psycopg2

    settings = {
        "host": credentials.host, "port": credentials.port, "user": credentials.user,
        "password": credentials.password, "dbname": credentials.database,
        "connect_timeout": credentials.connect_timeout,
        # Report days are UTC days, whatever the server's or the role's default time zone.
        "options": "-c TimeZone=UTC",
    }
    for optional in ("sslmode", "sslcert", "sslkey", "sslrootcert", "application_name"):
        if getattr(credentials, optional, None):
            settings[optional] = getattr(credentials, optional)
    try:
        connection = psycopg2.connect(**settings)
    except psycopg2.Error as error:
        message = " ".join(str(error).split())
        raise WarehouseUnavailable(
            f"cannot connect to PostgreSQL at {credentials.host}:{credentials.port}: {message}"
        ) from None
    connection.set_session(readonly=True, autocommit=True)
    return Warehouse(engine="postgres", connection=connection)


def postgres_statement(sql: str, parameters: list) -> tuple:
    """The statement and parameters psycopg2 takes: `%s` for each `?`, and `%` doubled.

    A `?` inside a string literal, a quoted identifier or a comment is text, not a parameter.
    Without parameters the statement goes as written (psycopg2 then reads no `%` in it).
    """
    if not parameters:
        return (sql, None)
    translated, placeholders, closing = [], 0, None
    for index, char in enumerate(sql):
        if closing:                                 # inside a literal, identifier or comment
            if char == closing:
                closing = None
        elif char in ("'", '"'):
            closing = char
        elif sql.startswith("--", index):
            closing = "\n"
        elif char == "?":
            translated.append("%s")
            placeholders += 1
            continue
        translated.append("%%" if char == "%" else char)
    if placeholders != len(parameters):
        raise ValueError(f"the statement has {placeholders} `?` placeholder(s) for {len(parameters)} parameter(s)")
    return ("".join(translated), parameters)


def _postgres_value(value):
    """PostgreSQL sums integers into numeric; a numeric without decimal places is an int, as on DuckDB."""
    if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent >= 0:
        return int(value)
    return value
