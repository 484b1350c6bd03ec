"""The same project on Spark: a local session, the full build, and the same money as DuckDB.

dbt-spark's `method: session` builds in a Spark session inside this process. The test needs
`dbt-spark[session]` (with pyspark) and Java 17, takes a few minutes, and runs when
P402_SPARK=1 is set, as `make test` does. The
session's warehouse and metastore live in a temporary folder, never in the working tree.
"""

from __future__ import annotations

import os
import shutil

import pytest

if os.environ.get("P402_SPARK") != "1":
    pytest.skip("Spark test is opt-in: set P402_SPARK=1 (needs dbt-spark[session] and Java 17)",
                allow_module_level=True)
pytest.importorskip("pyspark", reason="P402_SPARK=1 but pyspark is not installed: pip install 'dbt-spark[session]'")
pytest.importorskip("dbt.adapters.spark", reason="P402_SPARK=1 but dbt-spark is not installed")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("P402_SPARK=1 but no Java runtime (Spark needs Java 17)", allow_module_level=True)

import duckdb  # noqa: E402
import spark_support  # noqa: E402
from conftest import assert_whole_build_passed, reference_build  # noqa: E402
from reporter import dbt_invoke  # noqa: E402

LEDGER_SCHEMA, LEDGER_TABLE = "meter", "ledger_records"

# Each query runs on both engines; only the schema differs. Every column is compared exactly.
COMPARED = {
    "reconciliation": """
        select tenant_id, ledger_date, records_read, latest_records, superseded_records, replay_records,
               quarantined_records, cost_usd_read, latest_cost_usd, superseded_cost_usd, replay_cost_usd,
               quarantined_cost_usd
        from {schema}.rpt_ledger_reconciliation
    """,
    "quarantine_reasons": """
        select quarantine_reason, sum(quarantined_records), sum(quarantined_cost_usd)
        from {schema}.rpt_quarantine_reasons group by 1
    """,
    "fact_totals": """
        select tenant_id, count(*), sum(cost_usd), sum(list_cost_usd), sum(total_tokens),
               min(occurred_date), max(occurred_date)
        from {schema}.fct_ai_events group by 1
    """,
    "breakdown": """
        select tenant_id, occurred_week, department, model_used, outcome, count(*), sum(cost_usd),
               sum(input_tokens), sum(output_tokens)
        from {schema}.fct_ai_events group by 1, 2, 3, 4, 5
    """,
    "department_daily": """
        select tenant_id, occurred_date, department, events, cost_usd, accepted, fallback_events
        from {schema}.rpt_department_daily
    """,
    "drift_members": """
        select tenant_id, dimension_name, member, baseline_events, current_events, baseline_cost_usd,
               current_cost_usd, cost_delta_usd, baseline_cost_per_day_usd, current_cost_per_day_usd,
               volume_effect_usd, mix_effect_usd, rate_effect_usd
        from {schema}.rpt_drift_members
    """,
    "budget_burn": """
        select * from {schema}.rpt_insight_budget_burn
    """,
}


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    """One small generated ledger (bad records included) built on DuckDB, loaded and built on Spark."""
    folder = tmp_path_factory.mktemp("spark")
    summary, profiles = reference_build(folder, events=2000, days=10, seed=5, tenants=2, bad_rate=0.02)
    with pytest.MonkeyPatch.context() as environment:
        # Spark and Derby write beside the working directory what the session settings do not place.
        environment.chdir(folder)
        session = spark_support.start_session(folder / "spark")
        loaded = spark_support.load_ledger(folder / "monitor.duckdb", session, LEDGER_SCHEMA, LEDGER_TABLE)
        environment.setenv("DBT_TARGET_PATH", str(folder / "spark_target"))
        environment.setenv("DBT_LOG_PATH", str(folder / "spark_logs"))
        environment.delenv("P402_LEDGER_PATH", raising=False)
        results = dbt_invoke.build(dbt_invoke.BuildSettings(
            profiles_dir=str(profiles), target="spark", quiet=True, unit_tests=True,
            # On Spark a relation's database is its schema: the ledger's is named the same way.
            extra_vars={"ledger_database": LEDGER_SCHEMA, "ledger_schema": LEDGER_SCHEMA,
                        "ledger_table": LEDGER_TABLE},
        ))
    yield {"summary": summary, "folder": folder, "session": session, "loaded": loaded, "results": results}
    session.stop()


def query_both(both_engines, sql: str) -> dict:
    """The rows of one query on each engine, sorted, with Spark's Row objects as plain tuples."""
    with duckdb.connect(str(both_engines["folder"] / "monitor.duckdb"), read_only=True) as connection:
        on_duckdb = connection.execute(sql.format(schema="main")).fetchall()
    on_spark = [tuple(row) for row in both_engines["session"].sql(sql.format(schema="p402_monitor")).collect()]
    return {"duckdb": sorted(on_duckdb, key=repr), "spark": sorted(on_spark, key=repr)}


def test_the_ledger_is_loaded_whole(both_engines):
    assert both_engines["loaded"] == both_engines["summary"].records_written


def test_the_full_build_passes_on_spark(both_engines):
    assert_whole_build_passed(both_engines["results"])


def test_reconciliation_adds_up_to_the_generated_ledger(both_engines):
    summary = both_engines["summary"]
    rows = query_both(both_engines, COMPARED["reconciliation"])["spark"]
    assert sum(row[2] for row in rows) == summary.records_written
    assert sum(row[8] for row in rows) == summary.total_cost_usd_latest


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_marts_are_identical_on_both_engines(both_engines, name):
    rows = query_both(both_engines, COMPARED[name])
    assert rows["spark"], name
    assert rows["spark"] == rows["duckdb"], name
