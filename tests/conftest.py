"""Shared fixtures: generated ledgers, built into real DuckDB files through the real CLI."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from reporter import dbt_invoke, project
from reporter.cli import cli
from reporter.generate import generate_ledger
from reporter.project import target_dir


# Columns that say when or from which file a row was built, not what it holds: an incremental
# build and a full refresh of the same ledger differ there and only there.
BOOKKEEPING = {"staged_at", "last_staged_at", "event_last_staged_at", "classified_at", "last_classified_at",
               "source_file_bytes"}
# The log of the tenant-days each build changed: its rows are the builds' history by design.
BUILD_LOG = "int_ledger_tenant_day_changes"


def run_cli(*arguments: str):
    """Invoke the CLI in-process, as a user would from the shell."""
    return CliRunner().invoke(cli, [str(argument) for argument in arguments], catch_exceptions=False)


def build(ledger: Path, database: Path, *extra: str):
    result = run_cli("build", "--ledger", ledger, "--duckdb", database, *extra)
    assert result.exit_code == 0, result.output[-3000:]
    return result


# Each resolved event with the fields of the staged record that carries its latest version.
RESOLVED_EVENTS = """(
    select records.*, events.records_delivered, events.first_recorded_at
    from main_intermediate.int_ledger_events_resolved as events
    inner join main_staging.stg_ledger__records as records
        on events.source_file = records.source_file and events.source_line = records.source_line
) as resolved_events"""


def query(database: Path, sql: str, parameters=None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def ledger_record(event_id, occurred_at, **fields) -> dict:
    """A valid ledger record; keyword arguments replace or add fields."""
    return {
        "event_id": event_id, "version": 1, "recorded_at": "2026-11-27T12:00:00Z",
        "occurred_at": occurred_at, "tenant_id": "tnt_acme", "vendor": "openai",
        "model_requested": "gpt-4o", "model_used": "gpt-4o", "input_tokens": 10,
        "output_tokens": 5, "cost_usd": "0.000075000", "receipt_status": "verified",
        "evidence_status": "complete", "privacy_mode": "metadata_only", **fields,
    }


def reference_build(folder: Path, **ledger):
    """A generated ledger built on DuckDB (the reference other engines are compared with), and a
    profiles folder holding profiles.example.yml, whose warehouse targets read P402_* variables."""
    summary = generate_ledger(folder / "ledger", end=date(2026, 10, 31), **ledger)
    profiles = folder / "profiles"
    profiles.mkdir()
    shutil.copy(project.PROJECT_DIR / "profiles.example.yml", profiles / "profiles.yml")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DBT_TARGET_PATH", str(folder / "duckdb_target"))
        dbt_invoke.build(dbt_invoke.BuildSettings(ledger=str(folder / "ledger"), duckdb=str(folder / "monitor.duckdb"),
                                                  quiet=True))
    return summary, profiles


def assert_whole_build_passed(results) -> None:
    """Every kind of node ran (seeds, models, data and unit tests) and every one passed."""
    kinds = {}
    for result in results.results:
        kinds.setdefault(result.node.resource_type, []).append(str(result.status))
    assert {"model", "seed", "test", "unit_test"} <= set(kinds)
    assert all(status in ("success", "pass") for statuses in kinds.values() for status in statuses)


def rows_a_test_read(results, test_name_prefix: str) -> str:
    """The rows the data test named `test_name_prefix…` read in a build, as a subquery: what
    macros/testing/get_where_subquery.sql narrowed it to, taken from its compiled SQL."""
    compiled, = (result.node.compiled_code for result in results.results
                 if result.node.name.startswith(test_name_prefix))
    return re.search(r"\(select \* from \S+ as tested_rows where .+?\) as dbt_subquery", compiled, re.S).group(0)


def write_ledger(folder: Path, records) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0000.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="session")
def small_ledger(tmp_path_factory):
    """Two tenants, a month, and every kind of bad record, built once for the session."""
    folder = tmp_path_factory.mktemp("small")
    summary = generate_ledger(
        folder / "ledger", events=4000, days=30, seed=11, tenants=2, bad_rate=0.05,
        end=date(2026, 10, 31),
    )
    database = folder / "monitor.duckdb"
    build(folder / "ledger", database, "--unit-tests")
    # Kept for test_build: the next build in the session overwrites dbt's target folder.
    shutil.copy(target_dir() / "run_results.json", folder / "run_results.json")
    return summary, folder / "ledger", database
