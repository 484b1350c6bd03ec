"""`p402-monitor build` on generated ledgers: versions, replays, quarantine and reconciliation."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import duckdb
import pytest

from conftest import RESOLVED_EVENTS, build, query
from reporter import dbt_invoke


def test_build_with_unit_tests_runs_them_all_and_a_plain_build_runs_none(small_ledger, tmp_path):
    _, ledger, database = small_ledger
    results = json.loads((database.parent / "run_results.json").read_text())["results"]
    unit_tests = [result for result in results if result["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 20
    assert all(result["status"] == "pass" for result in unit_tests)
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        build(ledger, tmp_path / "monitor.duckdb")
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert not [result for result in results if result["unique_id"].startswith("unit_test.")]
    assert [result for result in results if result["unique_id"].startswith("test.")]


def duckdb_settings_in_a_dbt_session(ledger, tmp_path) -> tuple:
    """DuckDB's threads and memory limit as a query run by dbt through the bundled profile sees them."""
    settings = dbt_invoke.BuildSettings(ledger=str(ledger), duckdb=str(tmp_path / "monitor.duckdb"), quiet=True)
    sql = "select current_setting('threads') as threads, current_setting('memory_limit') as memory_limit"
    result = dbt_invoke.invoke("show", settings, "--inline", sql)
    (row,) = result.results[0].agate_table.rows
    return tuple(row)


def memory_limit_as_duckdb_shows_it(limit: str) -> str:
    with duckdb.connect() as connection:
        connection.execute(f"set memory_limit = '{limit}'")
        return connection.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_bundled_profile_sets_duckdb_threads_and_memory_limit(small_ledger, tmp_path, monkeypatch):
    _, ledger, _ = small_ledger
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.delenv("P402_DUCKDB_THREADS", raising=False)
    monkeypatch.delenv("P402_DUCKDB_MEMORY_LIMIT", raising=False)
    assert duckdb_settings_in_a_dbt_session(ledger, tmp_path) == (2, memory_limit_as_duckdb_shows_it("3GB"))

    monkeypatch.setenv("P402_DUCKDB_THREADS", "1")
    monkeypatch.setenv("P402_DUCKDB_MEMORY_LIMIT", "1GB")
    assert duckdb_settings_in_a_dbt_session(ledger, tmp_path) == (1, memory_limit_as_duckdb_shows_it("1GB"))


def test_unit_test_names_fit_a_postgresql_relation_name(small_ledger):
    """dbt names a unit test's relation after the test, and PostgreSQL cuts names at 63 bytes:
    a longer name fails only on PostgreSQL, so it is caught here on DuckDB."""
    _, _, database = small_ledger
    results = json.loads((database.parent / "run_results.json").read_text())["results"]
    names = [result["unique_id"].rsplit(".", 1)[-1] for result in results
             if result["unique_id"].startswith("unit_test.")]
    assert names
    assert [name for name in names if len(name.encode()) > 63] == []


def test_every_record_read_is_counted_once(small_ledger):
    summary, _, database = small_ledger
    (read, latest, superseded, replays, quarantined), = query(database, """
        select sum(records_read), sum(latest_records), sum(superseded_records),
               sum(replay_records), sum(quarantined_records)
        from main.rpt_ledger_reconciliation
    """)
    assert read == summary.records_written
    assert latest == summary.latest_versions == summary.events
    assert superseded == summary.superseded_versions
    assert replays == summary.replays
    assert quarantined == sum(summary.bad_records_by_reason.values())
    assert read == latest + superseded + replays + quarantined


def test_every_bad_record_lands_in_quarantine_with_its_reason(small_ledger):
    summary, _, database = small_ledger
    found = dict(query(database, """
        select quarantine_reason, sum(quarantined_records)
        from main.rpt_quarantine_reasons group by 1
    """))
    expected = {reason: count for reason, count in summary.bad_records_by_reason.items() if count}
    assert found == expected
    assert len(expected) >= 10, "the generator should exercise most reasons at this bad rate"


def test_quarantined_records_point_at_their_line(small_ledger):
    _, _, database = small_ledger
    rows = query(database, """
        select source_file, source_line, quarantine_reason from main.fct_quarantined_records
        order by source_file, source_line
    """)
    lines_by_file = {}
    for source_file, source_line, reason in rows:
        lines = lines_by_file.setdefault(source_file, open(source_file, encoding="utf-8").read().split("\n"))
        line = lines[source_line - 1]
        if reason == "malformed_json":
            try:
                json.loads(line)
                raise AssertionError(f"{source_file}:{source_line} is valid JSON")
            except json.JSONDecodeError:
                pass
        elif reason == "missing_event_id":
            assert not json.loads(line).get("event_id")
        elif reason == "negative_cost":
            assert Decimal(str(json.loads(line)["cost_usd"])) < 0
        elif reason == "unknown_outcome":
            assert json.loads(line)["outcome"] not in {"accepted", "rejected", "revised", "escalated", "failed"}


def test_spend_is_exact_to_the_ninth_place(small_ledger):
    summary, _, database = small_ledger
    (resolved_total,), = query(database, f"select sum(cost_usd) from {RESOLVED_EVENTS}")
    (reconciled_total,), = query(database, "select sum(latest_cost_usd) from main.rpt_ledger_reconciliation")
    assert isinstance(resolved_total, Decimal)
    assert resolved_total == reconciled_total == summary.total_cost_usd_latest


def test_latest_version_wins_and_replays_count_once(small_ledger):
    _, ledger, database = small_ledger
    latest_by_event = {}
    deliveries = Counter()
    for file in sorted(ledger.rglob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(record.get("version"), int) or not record.get("event_id"):
                continue
            deliveries[(record["event_id"], record["version"])] += 1
            current = latest_by_event.get(record["event_id"])
            if current is None or record["version"] > current["version"]:
                latest_by_event[record["event_id"]] = record
    resolved = dict(query(database, f"""
        select event_id, coalesce(outcome, 'pending') from {RESOLVED_EVENTS}
    """))
    replayed = [key for key, count in deliveries.items() if count > 1]
    assert replayed, "the generator writes replays"
    for event_id, outcome in resolved.items():
        assert latest_by_event[event_id].get("outcome", "pending") == outcome

