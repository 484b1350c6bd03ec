"""The same project on PostgreSQL: a real server, the full build, and the same answers as DuckDB.

Needs a server: `eval "$(scripts/postgres-server.sh start)"` exports the P402_PG_* variables these
tests read (.ci/run does it). Without them the tests are skipped. The ledger is loaded into the
warehouse by tests/ledger_loader.py (test tooling: Monitor itself never writes the ledger).
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest

if not os.environ.get("P402_PG_HOST"):
    pytest.skip('no PostgreSQL server: run eval "$(scripts/postgres-server.sh start)" to test on one',
                allow_module_level=True)

from ledger_loader import FIELDS, connect_as_meter, load_ledger  # noqa: E402  (needs psycopg2)
from conftest import (BOOKKEEPING, BUILD_LOG, assert_whole_build_passed, reference_build,  # noqa: E402
                      rows_a_test_read)
from reporter import breakdown, dbt_invoke, drift  # noqa: E402
from reporter.output import to_csv  # noqa: E402
from reporter.semantic import SemanticLayer  # noqa: E402
from reporter.warehouse import open_warehouse  # noqa: E402

LEDGER_SCHEMA, LEDGER_TABLE = "meter", "ledger_records"
MONITOR_SCHEMAS = {"p402_monitor", "p402_monitor_staging", "p402_monitor_intermediate", "p402_monitor_reference"}
BREAKDOWNS = [("department", "model_used"), ("day",), ("week", "vendor"), ("month", "outcome", "privacy_mode"),
              ("customer", "receipt_status", "evidence_status")]
DRIFT_DIMENSIONS = ["department", "workflow", "model_used", "customer", "outcome"]
RATIOS = ("acceptance_rate", "cost_per_event", "fallback_rate", "verified_receipt_share")


def build_on_postgres(both_engines, **settings):
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("DBT_TARGET_PATH", str(both_engines["folder"] / "postgres_target"))
        environment.delenv("P402_LEDGER_PATH", raising=False)
        return dbt_invoke.build(dbt_invoke.BuildSettings(
            profiles_dir=str(both_engines["profiles"]), target="postgres", quiet=True,
            extra_vars={"ledger_schema": LEDGER_SCHEMA, "ledger_table": LEDGER_TABLE}, **settings,
        ))


def ledger_fingerprint() -> tuple:
    """Row count and a checksum of every value of the ledger table, in file order."""
    with connect_as_meter() as connection, connection.cursor() as cursor:
        cursor.execute(f"""
            select count(*), md5(string_agg(md5(ledger::text), '' order by source_file, source_line))
            from {LEDGER_SCHEMA}.{LEDGER_TABLE} as ledger
        """)
        return cursor.fetchone()


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    """One generated ledger (bad records included) built on DuckDB, loaded and built on PostgreSQL."""
    folder = tmp_path_factory.mktemp("postgres")
    summary, profiles = reference_build(folder, events=3000, days=45, seed=23, tenants=2, bad_rate=0.05)
    with connect_as_meter() as connection:
        loaded = load_ledger(folder / "monitor.duckdb", connection, LEDGER_SCHEMA, LEDGER_TABLE,
                             reader_role=os.environ["P402_PG_USER"])
    assert loaded == summary.records_written
    engines = {"summary": summary, "folder": folder, "profiles": profiles, "ledger_before": ledger_fingerprint()}
    engines["results"] = build_on_postgres(engines, unit_tests=True)
    engines["ledger_after"] = ledger_fingerprint()
    return engines


def open_engine(both_engines, engine):
    if engine == "duckdb":
        return open_warehouse(str(both_engines["folder"] / "monitor.duckdb"))
    return open_warehouse(profiles_dir=str(both_engines["profiles"]), target="postgres")


def semantic_layer(both_engines, engine) -> SemanticLayer:
    return SemanticLayer(engine, both_engines["folder"] / f"{engine}_target" / "semantic_manifest.json")


def test_the_full_build_passes_on_postgres(both_engines):
    assert_whole_build_passed(both_engines["results"])


def test_bad_records_are_quarantined_in_the_warehouse(both_engines):
    summary = both_engines["summary"]
    with open_engine(both_engines, "postgres") as warehouse:
        _, rows = warehouse.query(
            "select quarantine_reason, sum(quarantined_records) from p402_monitor.rpt_quarantine_reasons group by 1"
        )
    expected = {reason: count for reason, count in summary.bad_records_by_reason.items() if count}
    assert dict(rows) == expected
    assert "bad_timestamp" in expected and "malformed_json" in expected


def test_reconciliation_counts_are_the_same_on_both_engines(both_engines):
    summary = both_engines["summary"]
    counts = {}
    for engine, schema in (("duckdb", "main"), ("postgres", "p402_monitor")):
        with open_engine(both_engines, engine) as warehouse:
            _, rows = warehouse.query(f"""
                select tenant_id, ledger_date, records_read, latest_records, superseded_records,
                       replay_records, quarantined_records, cost_usd_read, latest_cost_usd
                from {schema}.rpt_ledger_reconciliation
                order by tenant_id, ledger_date
            """)
        counts[engine] = rows
    assert counts["duckdb"] == counts["postgres"]
    assert sum(row[2] for row in counts["postgres"]) == summary.records_written
    assert sum(row[8] for row in counts["postgres"]) == summary.total_cost_usd_latest


def engine_reports(both_engines, engine) -> dict:
    """Every breakdown and drift CSV for each tenant, through the library, on one engine."""
    reports = {}
    layer = semantic_layer(both_engines, engine)
    with open_engine(both_engines, engine) as warehouse:
        for tenant in breakdown.tenants(layer, warehouse):
            for by in BREAKDOWNS:
                result = breakdown.run_breakdown(layer, warehouse, breakdown.BreakdownRequest(
                    by=by, tenant=tenant, extra_metrics=RATIOS))
                reports[(tenant, "breakdown", by)] = to_csv(result.columns, result.rows)
            current = drift.Window(date(2026, 10, 10), date(2026, 10, 31))
            for dimension in DRIFT_DIMENSIONS:
                result = drift.run_drift(layer, warehouse, drift.DriftRequest(
                    by=dimension, tenant=tenant, current=current, baseline=drift.default_baseline(current)))
                reports[(tenant, "drift", dimension)] = (to_csv(result.columns, result.rows), result.psi,
                                                         result.totals)
    return reports


def test_breakdown_and_drift_are_identical_on_both_engines(both_engines):
    on_duckdb = engine_reports(both_engines, "duckdb")
    on_postgres = engine_reports(both_engines, "postgres")
    assert len(on_duckdb) == 2 * (len(BREAKDOWNS) + len(DRIFT_DIMENSIONS))
    assert on_duckdb.keys() == on_postgres.keys()
    for key, report in on_duckdb.items():
        assert on_postgres[key] == report, key


def test_monitor_never_writes_the_ledger(both_engines):
    assert both_engines["ledger_after"] == both_engines["ledger_before"]
    assert both_engines["ledger_before"][0] == both_engines["summary"].records_written


def test_monitor_objects_are_only_in_its_own_schemas(both_engines):
    with open_engine(both_engines, "postgres") as warehouse:
        _, relations = warehouse.query("""
            select distinct namespace.nspname
            from pg_catalog.pg_class as relation
            inner join pg_catalog.pg_namespace as namespace on relation.relnamespace = namespace.oid
            where
                relation.relowner = current_user::regrole
                -- PostgreSQL's own out-of-line storage for the tables' long values
                and namespace.nspname <> 'pg_toast'
        """)
        _, functions = warehouse.query("""
            select distinct namespace.nspname
            from pg_catalog.pg_proc as function
            inner join pg_catalog.pg_namespace as namespace on function.pronamespace = namespace.oid
            where function.proowner = current_user::regrole
        """)
        _, ledger_schema = warehouse.query(
            "select relname from pg_catalog.pg_class where relnamespace = ?::regnamespace", [LEDGER_SCHEMA]
        )
        _, (can_write,) = warehouse.query(
            "select has_table_privilege(?, 'insert, update, delete, truncate')", [f"{LEDGER_SCHEMA}.{LEDGER_TABLE}"]
        )
    assert {schema for schema, in relations} <= MONITOR_SCHEMAS
    assert {schema for schema, in functions} <= MONITOR_SCHEMAS
    assert ledger_schema == [(LEDGER_TABLE,)]
    assert can_write == (False,)


def every_postgres_table(both_engines) -> dict[str, list]:
    """Every table Monitor built on PostgreSQL, rows sorted, without bookkeeping columns."""
    contents = {}
    with open_engine(both_engines, "postgres") as warehouse:
        _, tables = warehouse.query("""
            select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE' and table_schema like 'p402_monitor%'
        """)
        for schema, table in tables:
            if table == BUILD_LOG:
                continue
            _, columns = warehouse.query(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
                " order by ordinal_position", [schema, table])
            kept = ", ".join(column for column, in columns if column not in BOOKKEEPING)
            _, rows = warehouse.query(f'select {kept} from "{schema}"."{table}"')
            contents[f"{schema}.{table}"] = sorted(rows, key=lambda row: [(value is None, str(value)) for value in row])
    return contents


def test_an_incremental_build_on_postgres_equals_a_full_refresh(both_engines):
    """Last in this module, because it adds records to the meter's table (as the meter would): a
    late version of one event and a replay of another's latest record. The incremental build
    applies them, and gives the same tables as a full refresh of the same ledger."""
    with open_engine(both_engines, "postgres") as warehouse:
        _, latest_records = warehouse.query("""
            select events.event_id, events.records_delivered, events.source_file, events.source_line
            from p402_monitor_intermediate.int_ledger_events_resolved as events
            inner join p402_monitor.fct_ai_events as facts on events.event_id = facts.event_id
            where facts.outcome <> 'rejected'
            order by events.event_id
            limit 2
        """)
        _, ((newest,),) = warehouse.query("select max(recorded_at) from p402_monitor.fct_ai_events")
    (late_event, _, *late_record), (replayed_event, delivered_before, *replayed_record) = latest_records
    arrivals = [
        (late_record, "version = (version::int + 1)::text, outcome = 'rejected', cost_usd = '1.234567891'"),
        (replayed_record, "event_id = event_id"),
    ]
    with connect_as_meter() as connection, connection.cursor() as cursor:
        for line, ((source_file, source_line), changes) in enumerate(arrivals, start=1):
            # Recorded now, so that the lookback applies them.
            cursor.execute(f"""
                create temporary table arriving on commit drop as
                select {", ".join(FIELDS)} from {LEDGER_SCHEMA}.{LEDGER_TABLE}
                where source_file = %s and source_line = %s;
                update arriving set {changes}, recorded_at = %s;
                insert into {LEDGER_SCHEMA}.{LEDGER_TABLE} (source_file, source_line, is_malformed_json, {", ".join(FIELDS)})
                select 'late-arrivals.jsonl', {line}, false, {", ".join(FIELDS)} from arriving;
            """, [source_file, source_line, newest.isoformat() + "Z"])
            connection.commit()

    incremental = build_on_postgres(both_engines)
    assert all(str(result.status) in ("success", "pass") for result in incremental.results)
    after_incremental = every_postgres_table(both_engines)
    with open_engine(both_engines, "postgres") as warehouse:
        # The build's column tests read the rows it wrote: the two events it applied.
        _, ((tested,),) = warehouse.query(
            f"select count(*) from {rows_a_test_read(incremental, 'not_null_columns_fct_ai_events')}")
        assert tested == 2
        _, late = warehouse.query(
            "select outcome, cost_usd from p402_monitor.fct_ai_events where event_id = ?", [late_event])
        _, replayed = warehouse.query(
            "select records_delivered from p402_monitor_intermediate.int_ledger_events_resolved where event_id = ?",
            [replayed_event])
    assert late == [("rejected", Decimal("1.234567891"))]
    assert replayed == [(delivered_before + 1,)]

    assert_whole_build_passed(build_on_postgres(both_engines, full_refresh=True, unit_tests=True))
    assert every_postgres_table(both_engines) == after_incremental
    assert len(after_incremental) > 30
