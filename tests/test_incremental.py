"""Incremental builds: the same marts as a full refresh, late versions applied, none lost."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import (BOOKKEEPING, BUILD_LOG, build, ledger_record, query, rows_a_test_read, run_cli,
                      write_ledger)
from reporter import dbt_invoke
from reporter.generate import generate_ledger


def every_table(database: Path) -> dict[str, list]:
    """Every table Monitor built, rows sorted, without bookkeeping columns."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
        contents = {}
        for schema, table in tables:
            if table == BUILD_LOG:
                continue
            columns = [row[0] for row in connection.execute(f'describe "{schema}"."{table}"').fetchall()
                       if row[0] not in BOOKKEEPING]
            contents[f"{schema}.{table}"] = connection.execute(
                f'select {", ".join(columns)} from "{schema}"."{table}" order by all').fetchall()
    return contents


def assert_same_tables(database: Path, reference: Path) -> None:
    built, expected = every_table(database), every_table(reference)
    assert built.keys() == expected.keys()
    differing = [table for table in expected if built[table] != expected[table]]
    assert differing == [], differing
    assert len(expected) > 30


def ledger_growing_by_a_day(tmp_path, file_format="jsonl"):
    """A month of ledger whose last day arrives later: new events, late versions of old ones, replays, bad lines."""
    full = tmp_path / "full"
    generate_ledger(full, events=3000, days=30, seed=41, tenants=2, bad_rate=0.03, end=date(2026, 10, 31),
                    fmt=file_format)
    days = sorted(path.name for path in full.iterdir())
    ledger = tmp_path / "ledger"
    shutil.copytree(full, ledger, ignore=shutil.ignore_patterns(days[-1]))
    return full / days[-1], ledger


@pytest.fixture()
def growing_ledger(tmp_path):
    return ledger_growing_by_a_day(tmp_path)


@pytest.fixture()
def built_in_two_batches(growing_ledger, tmp_path):
    """The growing ledger built, then built again with its last day: (ledger, database)."""
    last_day, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    shutil.copytree(last_day, ledger / last_day.name)
    build(ledger, database)
    return ledger, database


# Parquet too: its integer columns take another path through staging (ledger_files_select.sql).
@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_an_incremental_build_equals_a_full_refresh(file_format, tmp_path):
    last_day, ledger = ledger_growing_by_a_day(tmp_path, file_format)
    incremental = tmp_path / "incremental.duckdb"
    build(ledger, incremental)
    shutil.copytree(last_day, ledger / last_day.name)
    build(ledger, incremental)
    (late_versions,), = query(incremental, f"""
        select count(*) from main_intermediate.int_ledger_records_classified
        where source_file like '%{last_day.name}%' and version > 1 and record_class = 'latest'""")
    assert late_versions > 0, "the last day must bring late versions of earlier events"
    build(ledger, tmp_path / "full_refresh.duckdb", "--full-refresh")
    assert_same_tables(incremental, tmp_path / "full_refresh.duckdb")


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_a_build_with_nothing_new_changes_nothing(file_format, tmp_path):
    _, ledger = ledger_growing_by_a_day(tmp_path, file_format)
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    before = every_table(database)
    build(ledger, database)
    assert every_table(database) == before
    (batches,), = query(database, "select count(distinct staged_at) from main_staging.stg_ledger__records")
    assert batches == 1


@pytest.mark.parametrize("file_format", ["jsonl", "parquet"])
def test_a_build_after_an_as_of_build_applies_what_it_left_out(file_format, tmp_path):
    """An as-of build stages only the records recorded by then; the next build without it reads
    again the files it read in part, stages the rest, and equals a clean build. After that, no
    file is read again."""
    last_day, ledger = ledger_growing_by_a_day(tmp_path, file_format)
    shutil.copytree(last_day, ledger / last_day.name)
    database = tmp_path / "monitor.duckdb"
    build(ledger, database, "--as-of", "2026-10-20T00:00:00Z")
    (latest_recorded,), = query(database, "select max(recorded_at) from main_staging.stg_ledger__records")
    assert str(latest_recorded) <= "2026-10-20"
    build(ledger, database)
    build(ledger, tmp_path / "clean.duckdb")
    assert_same_tables(database, tmp_path / "clean.duckdb")
    (unsized_files,), = query(database, """
        select count(*) from (
            select source_file from main_staging.stg_ledger__records
            group by source_file having max(source_file_bytes) is null)""")
    assert unsized_files == 0


def test_a_version_beyond_the_lookback_is_quarantined_not_lost(growing_ledger, tmp_path):
    _, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    beyond_lookback_warning = "Warning: warn_records_beyond_lookback: 1 row(s): records that arrived beyond"
    assert "Warning:" not in build(ledger, database).output
    (event_id, occurred_at), = query(database, """
        select event_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') from main.fct_ai_events
        order by event_id limit 1""")
    late = ledger_record(event_id, occurred_at, version=99, recorded_at="2026-10-01T00:00:00Z",
                         tenant_id="tnt_acme", outcome="accepted")
    write_ledger(ledger / "backfill", [late])
    assert beyond_lookback_warning in build(ledger, database).output
    (reason, version_applied), = query(database, f"""
        select
            (select quarantine_reason from main.fct_quarantined_records where event_id = '{event_id}'
             and version = 99),
            (select version from main.fct_ai_events where event_id = '{event_id}')""")
    assert reason == "beyond_lookback" and version_applied != 99
    (read, classes), = query(database, """
        select sum(records_read), sum(latest_records + superseded_records + replay_records + quarantined_records)
        from main.rpt_ledger_reconciliation""")
    assert read == classes
    assert "--full-refresh" in build(ledger, database).output.split(beyond_lookback_warning)[1]
    assert "Warning:" not in build(ledger, database, "--full-refresh").output
    assert query(database, f"select version from main.fct_ai_events where event_id = '{event_id}'") == [(99,)]


def test_a_build_that_fails_still_warns_of_records_beyond_the_lookback(growing_ledger, tmp_path):
    """Many records beyond the lookback both warn and fail the quarantine-share gate: the failure
    must not hide the warning, which says what to do."""
    _, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    (event_id, occurred_at), = query(database, """
        select event_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') from main.fct_ai_events
        order by event_id limit 1""")
    write_ledger(ledger / "backfill", [ledger_record(event_id, occurred_at, version=99,
                                                     recorded_at="2026-10-01T00:00:00Z")])
    result = run_cli("build", "--ledger", ledger, "--duckdb", database, "--vars", "{quarantine_share_limit: 0}")
    assert result.exit_code == 1
    assert "assert_quarantine_share_within_limit failed" in result.output
    warning = "Warning: warn_records_beyond_lookback: 1 row(s): records that arrived beyond"
    assert warning in result.output and "--full-refresh" in result.output.split(warning)[1]
    assert "Traceback" not in result.output


def test_a_line_read_while_being_written_is_read_again_once_whole(growing_ledger, tmp_path):
    """A build that reads a file while the meter is still writing its last line quarantines that
    partial line as malformed; once the file has grown, the next build reads the line again,
    whole, and the tables equal a clean build's. A line truly malformed stays quarantined."""
    last_day, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    growing_file = sorted(ledger.rglob("*.jsonl"))[-1]
    completed = json.dumps(ledger_record("evt_written_in_two_parts", "2026-10-30T08:00:00Z",
                                         recorded_at="2026-10-30T08:00:01Z", cost_usd="12.500000000"))
    with growing_file.open("a", encoding="utf-8") as handle:
        handle.write(completed[:60])
    build(ledger, database)
    last_line_of_the_file = """
        select quarantine_reason from main_staging.stg_ledger__records
        where source_file = ? order by source_line desc limit 1"""
    assert query(database, last_line_of_the_file, [str(growing_file)]) == [("malformed_json",)]
    with growing_file.open("a", encoding="utf-8") as handle:
        handle.write(completed[60:] + "\n" + "{truly malformed\n")
    build(ledger, database)
    assert query(database, last_line_of_the_file, [str(growing_file)]) == [("malformed_json",)]
    shutil.copytree(last_day, ledger / last_day.name)
    build(ledger, database)
    assert query(database, """
        select cost_usd from main.fct_ai_events where event_id = 'evt_written_in_two_parts'""") == [(Decimal("12.5"),)]
    build(ledger, tmp_path / "clean.duckdb")
    assert_same_tables(database, tmp_path / "clean.duckdb")


def write_parquet(path: Path, records: list[dict], timestamp_fields=()) -> None:
    """Records as a Parquet file, the `timestamp_fields` as timestamp columns, the rest as given."""
    columns = {}
    for field in records[0]:
        values = [record[field] for record in records]
        if field in timestamp_fields:
            columns[field] = pa.array([datetime.fromisoformat(value.replace("Z", "+00:00")) for value in values],
                                      type=pa.timestamp("us", tz="UTC"))
        else:
            columns[field] = pa.array(values)
    pq.write_table(pa.table(columns), path)


def test_parquet_files_that_type_a_field_differently_are_read_alike_together_or_apart(tmp_path):
    """A meter that starts writing its timestamps as Parquet timestamps instead of text: the
    files of each kind are read on their own, so a build reading both (a full refresh) stages
    what two builds reading one each do, and every record is valid."""
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    write_parquet(ledger / "a.parquet", [
        ledger_record(f"evt_text_{index}", "2026-10-30T08:00:00Z", recorded_at="2026-10-30T08:00:01Z")
        for index in range(3)])
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    write_parquet(ledger / "b.parquet", [
        ledger_record(f"evt_typed_{index}", "2026-10-31T08:00:00Z", recorded_at="2026-10-31T08:00:01.5Z")
        for index in range(3)], timestamp_fields=("recorded_at", "occurred_at"))
    build(ledger, database)
    build(ledger, tmp_path / "clean.duckdb")
    assert_same_tables(database, tmp_path / "clean.duckdb")
    assert query(tmp_path / "clean.duckdb", """
        select count(*), count(*) filter (where recorded_at = timestamp '2026-10-31 08:00:01.5')
        from main.fct_ai_events""") == [(6, 3)]


def test_a_parquet_integer_of_more_than_18_digits_is_quarantined_read_alone_or_beside_text(tmp_path):
    """Integers a Parquet file stores as integers are read as integers when a build reads only
    Parquet files, and as text beside JSON Lines files: both hold them to the contract's 18 digits."""
    ledger = tmp_path / "ledger"
    write_ledger(ledger / "text", [
        ledger_record(f"evt_text_{index}", "2026-10-30T08:00:00Z", recorded_at="2026-10-30T08:00:01Z")
        for index in range(30)])
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    write_parquet(ledger / "typed.parquet", [
        ledger_record("evt_nanosecond_version", "2026-10-30T09:00:00Z", recorded_at="2026-10-30T09:00:01Z",
                      version=1761955200000000000, input_tokens=100),
        ledger_record("evt_huge_tokens", "2026-10-30T09:00:00Z", recorded_at="2026-10-30T09:00:01Z",
                      version=1, input_tokens=1761955200000000000),
        ledger_record("evt_ordinary", "2026-10-30T09:00:00Z", recorded_at="2026-10-30T09:00:01Z",
                      version=999999999999999999, input_tokens=100),
    ])
    build(ledger, database)
    build(ledger, tmp_path / "clean.duckdb")
    assert_same_tables(database, tmp_path / "clean.duckdb")
    assert query(database, """
        select event_id, quarantine_reason from main_staging.stg_ledger__records
        where event_id in ('evt_nanosecond_version', 'evt_huge_tokens', 'evt_ordinary') order by 1""") == [
        ("evt_huge_tokens", "bad_tokens"), ("evt_nanosecond_version", "bad_version"), ("evt_ordinary", None)]


def test_a_record_from_the_future_does_not_carry_the_lookback_with_it(growing_ledger, tmp_path):
    """One valid record stamped a year ahead (a meter's clock running fast) is applied, and the
    records of the next day are applied too instead of arriving beyond the lookback."""
    last_day, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    ahead = ledger_record("evt_clock_ahead", "2026-10-30T08:00:00Z", recorded_at="2027-10-29T08:00:00Z")
    write_ledger(ledger / "clock-ahead", [ahead])
    build(ledger, database)
    shutil.copytree(last_day, ledger / last_day.name)
    build(ledger, database)
    assert query(database, "select count(*) from main.fct_ai_events where event_id = 'evt_clock_ahead'") == [(1,)]
    assert query(database, """
        select count(*) from main.fct_quarantined_records where quarantine_reason = 'beyond_lookback'""") == [(0,)]
    build(ledger, tmp_path / "clean.duckdb")
    assert_same_tables(database, tmp_path / "clean.duckdb")


def test_a_killed_build_rerun_gives_the_same_marts_as_a_clean_one(growing_ledger, tmp_path):
    last_day, ledger = growing_ledger
    database = tmp_path / "killed.duckdb"
    build(ledger, database)
    shutil.copytree(last_day, ledger / last_day.name)
    script = Path(sys.executable).parent / "p402-monitor"
    process = subprocess.Popen([str(script), "build", "--ledger", str(ledger), "--duckdb", str(database)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Kill it once it is building models (after staging has started), not before it began.
    deadline = time.monotonic() + 120
    for line in process.stdout:
        if "int_ledger_records_classified" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    unverified = Path(f"{database}.unverified")
    assert unverified.exists(), "a stopped build leaves its batches untested: the next build must test every row"
    build(ledger, database)
    assert not unverified.exists()
    build(ledger, tmp_path / "clean.duckdb", "--full-refresh")
    assert_same_tables(database, tmp_path / "clean.duckdb")


def test_after_a_build_that_did_not_pass_the_next_tests_every_row(built_in_two_batches):
    """A build reads only its own batch in its column tests, trusting the earlier batches: after a
    build that was stopped or failed, that trust is gone, and the next build reads every row."""
    ledger, database = built_in_two_batches
    with duckdb.connect(str(database)) as connection:
        connection.execute("""
            update main.fct_ai_events set department = null
            where event_id = (
                select min(event_id) from main.fct_ai_events
                where last_staged_at < (select max(last_staged_at) from main.fct_ai_events))""")
    build(ledger, database)
    Path(f"{database}.unverified").touch()
    result = run_cli("build", "--ledger", ledger, "--duckdb", database)
    assert result.exit_code != 0 and "not_null_columns_fct_ai_events" in result.output
    assert Path(f"{database}.unverified").exists()


def test_an_incremental_build_tests_the_rows_it_wrote(built_in_two_batches):
    """The column tests of an incremental model read its latest batch: a bad value there fails
    them, while one in a batch an earlier build wrote (and tested) is not read again."""
    ledger, database = built_in_two_batches
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(database), quiet=True)

    def spoil_one_event(change: str, batch: str) -> None:
        with duckdb.connect(str(database)) as connection:
            connection.execute(f"""
                update main.fct_ai_events set {change}
                where event_id = (
                    select min(event_id) from main.fct_ai_events
                    where last_staged_at {batch} (select max(last_staged_at) from main.fct_ai_events))""")

    for change, test_name in (("outcome = 'misplaced'", "accepted_values_columns"),
                              ("department = null", "not_null_columns")):
        selection = ["--select", f"fct_ai_events,test_name:{test_name}"]
        spoil_one_event(change, "<")
        dbt_invoke.invoke("test", settings, *selection)
        spoil_one_event(change, "=")
        with pytest.raises(dbt_invoke.BuildFailed, match=f"{test_name}_fct_ai_events"):
            dbt_invoke.invoke("test", settings, *selection)


def test_a_build_tests_the_rows_it_wrote_and_no_others(growing_ledger, tmp_path):
    """In a build, the column tests of an incremental model read the rows that build wrote: after
    a new day, that day's batch; after finding no new records, no row, so that such a build costs
    little and a bad value an earlier build wrote (and tested) is not read again. `dbt test` on
    its own reads the latest batch, and finds it."""
    last_day, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    shutil.copytree(last_day, ledger / last_day.name)
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(database), quiet=True)
    latest_batch = "last_staged_at = (select max(last_staged_at) from main.fct_ai_events)"

    def rows_the_build_tested(results) -> int:
        (count,), = query(database, f"select count(*) from {rows_a_test_read(results, 'not_null_columns_fct_ai_events')}")
        return count

    (events_before_the_new_day,), = query(database, "select count(*) from main.fct_ai_events")
    tested = rows_the_build_tested(dbt_invoke.build(settings))
    assert tested == query(database, f"select count(*) from main.fct_ai_events where {latest_batch}")[0][0]
    assert 0 < tested < events_before_the_new_day

    with duckdb.connect(str(database)) as connection:
        connection.execute(f"""
            update main.fct_ai_events set department = null
            where event_id = (select min(event_id) from main.fct_ai_events where {latest_batch})""")
    assert rows_the_build_tested(dbt_invoke.build(settings)) == 0
    with pytest.raises(dbt_invoke.BuildFailed, match="not_null_columns_fct_ai_events"):
        dbt_invoke.invoke("test", settings, "--select", "fct_ai_events,test_name:not_null_columns")


def test_a_daily_report_tests_every_row_of_the_days_it_rebuilt(built_in_two_batches):
    """A daily report rebuilds whole tenant-days: a row of such a day whose events are all older
    than the build (a customer with no new event that day) was written by the build too, and its
    column tests read it; a row of a day the build did not change is not read again."""
    ledger, database = built_in_two_batches
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(database), quiet=True)
    changed_last = """(
        select tenant_id, occurred_date from main_intermediate.int_ledger_tenant_day_changes
        where changed_at = (select max(changed_at) from main_intermediate.int_ledger_tenant_day_changes))"""
    selection = ["--select", "rpt_customer_daily,test_name:not_null_columns"]

    def spoil_one_row(where: str) -> None:
        with duckdb.connect(str(database)) as connection:
            (found,), = connection.execute(f"""
                update main.rpt_customer_daily set events = null
                where (tenant_id, occurred_date, customer_id) in (
                    select tenant_id, occurred_date, customer_id from main.rpt_customer_daily
                    where {where} order by all limit 1)""").fetchall()
            assert found == 1

    spoil_one_row(f"(tenant_id, occurred_date) not in {changed_last}")
    dbt_invoke.invoke("test", settings, *selection)
    spoil_one_row(f"""(tenant_id, occurred_date) in {changed_last}
        and last_staged_at < (select max(last_staged_at) from main.rpt_customer_daily)""")
    with pytest.raises(dbt_invoke.BuildFailed, match="not_null_columns_rpt_customer_daily"):
        dbt_invoke.invoke("test", settings, *selection)


def test_the_retried_traces_test_every_trace_the_build_rebuilt(growing_ledger, tmp_path):
    """A trace rebuilt because a later version moved one of its events to another trace keeps
    the last_staged_at of its older events, below the build's (a new trace's), and its column
    tests still read it; a trace the build did not change is not read again."""
    _, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    attempts = [ledger_record(f"evt_attempt_{attempt}", f"2026-10-29T10:0{attempt}:00Z", tenant_id="tnt_acme",
                              trace_id="trc_three_attempts", attempt=attempt, recorded_at="2026-10-29T12:00:00Z")
                for attempt in (1, 2, 3)]
    write_ledger(ledger / "traces" / "first", attempts)
    build(ledger, database)
    write_ledger(ledger / "traces" / "second", [
        {**attempts[2], "version": 2, "trace_id": "trc_elsewhere", "recorded_at": "2026-10-30T12:00:00Z"},
        *(ledger_record(f"evt_new_attempt_{attempt}", f"2026-10-30T10:0{attempt}:00Z", tenant_id="tnt_acme",
                        trace_id="trc_new", attempt=attempt, recorded_at="2026-10-30T12:00:00Z")
          for attempt in (1, 2))])
    build(ledger, database)
    assert query(database, """
        select attempts, last_staged_at < (select max(last_staged_at) from main.int_insight_retried_traces)
        from main.int_insight_retried_traces where trace_id = 'trc_three_attempts'""") == [(2, True)]
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(database), quiet=True)
    selection = ["--select", "int_insight_retried_traces,test_name:not_null_columns"]

    def spoil(trace_id: str) -> None:
        with duckdb.connect(str(database)) as connection:
            (found,), = connection.execute("""
                update main.int_insight_retried_traces set department = null where trace_id = ?""",
                [trace_id]).fetchall()
            assert found == 1

    unchanged_trace, = query(database, """
        select min(trace_id) from main.int_insight_retried_traces where trace_id like 'trc_%'
        and trace_id <> 'trc_three_attempts'""")[0]
    spoil(unchanged_trace)
    dbt_invoke.invoke("test", settings, *selection)
    spoil("trc_three_attempts")
    with pytest.raises(dbt_invoke.BuildFailed, match="not_null_columns_int_insight_retried_traces"):
        dbt_invoke.invoke("test", settings, *selection)


def test_the_column_tests_compile_on_a_new_database(growing_ledger, tmp_path):
    """`dbt compile` (and `dbt docs generate`) may run before any build: the narrowed tests look
    up earlier batches only in tables that are built, and compile to read every row otherwise."""
    _, ledger = growing_ledger
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(tmp_path / "new.duckdb"), quiet=True)
    result = dbt_invoke.invoke("compile", settings, "--select", "int_insight_retried_traces stg_ledger__records")
    compiled = {node_result.node.name: node_result.node.compiled_code for node_result in result.results}
    retried_traces_grain, = (code for name, code in compiled.items()
                             if name.startswith("unique_combination_int_insight_retried_traces"))
    assert "1900-01-01" in retried_traces_grain
    assert any(name.startswith("unique_combination_stg_ledger__records") for name in compiled)


def test_a_line_staged_by_two_builds_fails_the_staging_grain(built_in_two_batches):
    """Staging appends its batches, so its uniqueness test reads, beside the latest batch, the
    earlier rows with the same source file and line: a line an earlier build staged and the
    latest staged again is found, though each batch alone is unique."""
    ledger, database = built_in_two_batches
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(database), quiet=True)
    selection = ["--select", "stg_ledger__records,test_name:unique_combination"]
    dbt_invoke.invoke("test", settings, *selection)

    with duckdb.connect(str(database)) as connection:
        connection.execute("""
            insert into main_staging.stg_ledger__records
            select * replace ((select max(staged_at) from main_staging.stg_ledger__records) as staged_at)
            from main_staging.stg_ledger__records
            where staged_at < (select max(staged_at) from main_staging.stg_ledger__records)
            limit 1""")
    with pytest.raises(dbt_invoke.BuildFailed, match="unique_combination_stg_ledger__records"):
        dbt_invoke.invoke("test", settings, *selection)


def test_changing_the_drift_dimensions_rebuilds_every_drift_day(growing_ledger, tmp_path):
    """The drift member days hold one set of dimensions: an incremental build with another
    `drift_dimensions` var rebuilds them all, as a full refresh would, also when the var only
    maps a dimension to another column."""
    _, ledger = growing_ledger
    database = tmp_path / "incremental.duckdb"
    build(ledger, database)
    for step, dimensions in enumerate(("[{name: vendor, column: vendor}, {name: budget, column: budget_id}]",
                                       "[{name: vendor, column: model_used}, {name: budget, column: budget_id}]")):
        drift_vars = f"{{drift_dimensions: {dimensions}}}"
        build(ledger, database, "--vars", drift_vars)
        full_refresh = tmp_path / f"full_refresh_{step}.duckdb"
        build(ledger, full_refresh, "--vars", drift_vars, "--full-refresh")
        assert_same_tables(database, full_refresh)
    held = query(database, """
        select distinct dimension_name, dimension_column from main.int_drift_member_days order by 1""")
    assert held == [("budget", "budget_id"), ("vendor", "model_used")]


def test_a_table_built_with_other_columns_says_to_run_a_full_refresh(growing_ledger, tmp_path):
    """A database an earlier version built, whose model has since gained a column."""
    _, ledger = growing_ledger
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("alter table main.int_drift_member_days drop column dimension_column")
    result = run_cli("build", "--ledger", ledger, "--duckdb", database)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "int_drift_member_days errored: its table was built by an earlier version" in result.output
    assert "run `p402-monitor build --full-refresh` once" in result.output
    build(ledger, database, "--full-refresh")


def test_a_late_version_that_moves_an_event_leaves_nothing_behind(growing_ledger, tmp_path):
    """A later version may move an event to another day, owner or trace: every report drops it
    where it was, even from a tenant-day it leaves empty, and counts it where it now is. The
    trace it leaves is no longer retried; the trace it joins now is."""
    _, ledger = growing_ledger
    database = tmp_path / "incremental.duckdb"
    first = ledger_record("evt_moving", "2026-10-05T10:00:00Z", tenant_id="tnt_solo", department="sales",
                          workflow="lead-scoring", trace_id="trc_first", attempt=2, outcome="failed")
    first_attempt = ledger_record("evt_staying", "2026-10-05T09:59:00Z", tenant_id="tnt_solo",
                                  trace_id="trc_first", attempt=1)
    waiting = ledger_record("evt_waiting", "2026-10-06T08:59:00Z", tenant_id="tnt_solo",
                            trace_id="trc_second", attempt=1)
    write_ledger(ledger / "moving-1", [first_attempt, first, waiting])
    build(ledger, database)
    retried_traces = "select trace_id, attempts from main.int_insight_retried_traces where tenant_id = 'tnt_solo'"
    assert query(database, retried_traces) == [("trc_first", 2)]
    moved = {**first, "version": 2, "recorded_at": "2026-11-27T13:00:00Z", "occurred_at": "2026-10-06T09:00:00Z",
             "department": "support", "workflow": "ticket-summarization", "trace_id": "trc_second",
             "outcome": "accepted"}
    write_ledger(ledger / "moving-2", [moved])
    build(ledger, database)
    assert query(database, "select occurred_date, department from main.fct_ai_events where event_id = 'evt_moving'") \
        == [(date(2026, 10, 6), "support")]
    assert query(database, retried_traces) == [("trc_second", 2)]
    build(ledger, tmp_path / "full_refresh.duckdb", "--full-refresh")
    assert_same_tables(database, tmp_path / "full_refresh.duckdb")
