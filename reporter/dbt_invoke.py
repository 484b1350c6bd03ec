"""Running the dbt project in-process, and turning its outcome into something a person can act on."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from . import project, warehouse
from .contract import EARLIEST_DAY, LATEST_DAY


class BuildFailed(Exception):
    """dbt ran but a model, seed or test did not pass; the message names each one.

    `warnings` holds the lines of the tests that warned in the same build (describe_warnings):
    a failure must not hide them, since one cause can do both (many records beyond the lookback
    warn, and fail the quarantine-share gate).
    """

    def __init__(self, message: str, warnings: list[str] | None = None):
        super().__init__(message)
        self.warnings = warnings or []


@dataclass(frozen=True)
class BuildSettings:
    ledger: str | None = None
    duckdb: str | None = None
    profiles_dir: str | None = None
    target: str | None = None
    as_of: datetime | None = None
    full_refresh: bool = False
    unit_tests: bool = False
    quiet: bool = False
    extra_vars: dict = field(default_factory=dict)


def parse_as_of(text: str) -> datetime:
    """An RFC 3339 instant (or a date, meaning its start) as a naive UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"'{text}' is not a timestamp; use RFC 3339, e.g. 2026-11-20T00:00:00Z"
        ) from None
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_DAY <= moment.date() <= LATEST_DAY:
        raise ValueError(f"'{text}' is outside the days Monitor reports on ({EARLIEST_DAY} to {LATEST_DAY})")
    return moment


def dbt_environment(settings: BuildSettings) -> None:
    """Environment the dbt project reads: where the ledger and the DuckDB file are."""
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    check_profile_variables()
    database = project.duckdb_path(settings.duckdb)
    if database.is_dir():
        raise BuildFailed(f"the database path {database} is a folder; give a file, e.g. {database / 'monitor.duckdb'}")
    if not database.parent.is_dir():
        raise BuildFailed(f"the folder of the database path {database} does not exist")
    os.environ["P402_DUCKDB_PATH"] = str(database)
    ledger = settings.ledger or os.environ.get("P402_LEDGER_PATH")
    if ledger:
        os.environ["P402_LEDGER_PATH"] = project.find_ledger_files(ledger).path
    elif settings.target is None and project.profiles_dir(settings.profiles_dir) == project.BUNDLED_PROFILES_DIR:
        # On the embedded DuckDB the ledger is files: without them there is nothing to build.
        raise project.LedgerNotFound("no ledger given: use --ledger PATH or set P402_LEDGER_PATH")


def check_profile_variables() -> None:
    """The P402_* variables the bundled and example profiles read, checked before dbt reads
    them: dbt would turn `P402_THREADS=abc` into 0 threads, and DuckDB's own error for a bad
    memory limit names no variable."""
    for name in ("P402_THREADS", "P402_DUCKDB_THREADS"):
        value = os.environ.get(name)
        if value is not None and not (re.fullmatch(r"\s*[0-9]+\s*", value) and int(value) >= 1):
            raise BuildFailed(f"{name}={value!r} is not a whole number of threads of at least 1")
    memory_limit = os.environ.get("P402_DUCKDB_MEMORY_LIMIT")
    if memory_limit is not None:
        import duckdb

        with duckdb.connect() as connection:
            try:
                connection.execute(f"set memory_limit = '{memory_limit.replace(chr(39), chr(39) * 2)}'")
            except duckdb.Error as error:
                raise BuildFailed(f"P402_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a memory size DuckDB "
                                  f"accepts, such as 3GB: {condense(str(error))}") from None


def dbt_arguments(command: str, settings: BuildSettings) -> list[str]:
    arguments = [
        command,
        "--project-dir", str(project.PROJECT_DIR),
        "--profiles-dir", str(project.profiles_dir(settings.profiles_dir)),
    ]
    if settings.quiet:
        arguments.insert(0, "--quiet")
    if settings.target:
        arguments += ["--target", settings.target]
    dbt_vars = dict(settings.extra_vars)
    if settings.as_of is not None:
        dbt_vars["as_of"] = settings.as_of.isoformat(sep=" ") + "Z"
    if dbt_vars:
        arguments += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    # Unit tests check the models' logic on fixtures, not the ledger: as dbt advises, they run in
    # development and CI (build --unit-tests, the test suite), not in every production build.
    if command == "build" and not settings.unit_tests:
        arguments += ["--exclude-resource-type", "unit_test"]
    # An as-of view can hide records a previous build applied: only a full refresh rebuilds it.
    if (settings.full_refresh or settings.as_of is not None) and command in ("build", "run", "seed"):
        arguments.append("--full-refresh")
    return arguments


def invoke(command: str, settings: BuildSettings, *extra: str):
    """Run one dbt command in this process; raise BuildFailed naming whatever did not pass."""
    from dbt.cli.main import dbtRunner  # dbt's import takes a second: only pay it when building

    dbt_environment(settings)
    try:
        result = dbtRunner().invoke(dbt_arguments(command, settings) + list(extra))
    finally:
        release_embedded_database()
    if isinstance(result.exception, (KeyboardInterrupt, SystemExit)):
        # Ctrl-C, or SIGTERM (see cli.main): dbt stopped its work; stop as asked, not as a failure.
        raise result.exception
    if result.exception is not None:
        raise BuildFailed(condense(str(result.exception)))
    if not result.success:
        raise BuildFailed(describe_failures(result.result), describe_warnings(result.result))
    return result.result


def release_embedded_database() -> None:
    """Close the DuckDB file dbt-duckdb keeps open for the life of the process.

    Otherwise the reporter (or a test) cannot open the freshly built file in this process, and
    the next build of another file would find the old one still attached.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing held open
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def build(settings: BuildSettings):
    """Seeds, models and tests, in dependency order.

    An incremental build's column tests read only the rows it wrote in each model
    (macros/testing/get_where_subquery.sql), trusting that every earlier batch was tested and
    passed. A build that was stopped, or whose tests failed, breaks that trust: a marker is set
    while a build runs and cleared only when it succeeds, and while it is set the next build
    tests every row (var test_every_row) until one passes.
    """
    dbt_environment(settings)  # checks the paths before a marker is written beside the database
    try:
        location = warehouse.target_location(settings.duckdb, settings.profiles_dir, settings.target)
    except warehouse.WarehouseUnavailable as error:
        raise BuildFailed(str(error)) from None
    if isinstance(location, Path):
        require_writable_duckdb(location)
    marker = unverified_build_marker(location)
    if marker.exists():
        settings = replace(settings, extra_vars={**settings.extra_vars, "test_every_row": True})
    try:
        marker.touch()
    except OSError as error:
        raise BuildFailed(f"cannot write the build's marker {marker}: {error}") from None
    result = invoke("build", settings)
    marker.unlink()
    return result


def require_writable_duckdb(database: Path) -> None:
    """Open an existing DuckDB file as the build will, so that a file another process holds, or
    one that is not a DuckDB database, stops the build with DuckDB's one-line reason (dbt would
    first log a traceback)."""
    if not database.exists():
        return
    import duckdb

    try:
        duckdb.connect(str(database)).close()
    except duckdb.Error as error:
        raise BuildFailed(f"cannot build into {database}: {condense(str(error))}") from None


def unverified_build_marker(location) -> Path:
    """The file that is there while a build of this database has begun and not yet passed: beside
    the DuckDB file (`location` a Path), or, for a warehouse (`location` its connection settings),
    in dbt's target folder, named after its engine, host, port, database and schema."""
    if isinstance(location, Path):
        return Path(f"{location}.unverified")
    identity = json.dumps([location.type, getattr(location, "host", None), getattr(location, "port", None),
                           location.database, location.schema], default=str)
    project.target_dir().mkdir(parents=True, exist_ok=True)
    return project.target_dir() / f"{location.type}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.unverified"


def describe_warnings(run_result) -> list[str]:
    """One line per test that warned: how many rows it found, and its advice (the test's meta)."""
    warnings = []
    for node_result in getattr(run_result, "results", None) or []:
        if str(node_result.status) != "warn":
            continue
        node = node_result.node
        advice = (node.config.meta or {}).get("advice", "see the test's description")
        warnings.append(f"{node.name}: {node_result.failures:,} row(s): {advice}")
    return warnings


def describe_failures(run_result) -> str:
    failures = []
    for node_result in getattr(run_result, "results", None) or []:
        status = str(node_result.status)
        if status not in ("error", "fail"):
            continue
        node = node_result.node
        kind = "test" if node.resource_type == "test" else node.resource_type
        detail = condense(node_result.message or "")
        if "schemas on this incremental model are out of sync" in detail:
            # A table an earlier version of Monitor built, before the model gained or lost a column.
            detail = (f"its table was built by an earlier version of Monitor, with other columns: "
                      f"run `p402-monitor build --full-refresh` once. dbt says: {detail}")
        if status == "fail":
            detail = f"{node_result.failures} failing row(s)"
        failures.append(f"{kind} {node.name} {'failed' if status == 'fail' else 'errored'}: {detail}")
    if not failures:
        return "dbt build did not succeed (see the log above)"
    return "dbt build failed: " + "; ".join(failures)


def condense(message: str) -> str:
    """dbt's multi-line error as one line, without the pointer to compiled code.

    A reader's error can quote the offending line of a ledger file, which may hold tenant
    content: everything from such a quotation on is cut.
    """
    message = message.split("Original Line:")[0]
    lines = [
        line.strip() for line in message.strip().splitlines()
        if line.strip() and not line.strip().startswith("compiled code at")
    ]
    return " ".join(lines) if lines else "unknown error"
