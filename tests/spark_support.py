"""Test tooling: a local Spark session, kept out of the working tree, holding a ledger table.

Monitor never writes the ledger. For the Spark test, the records of a generated ledger are read
with the project's own file reader (the `p402_ledger.ledger_records` view of a DuckDB build, as
tests/ledger_loader.py reads them for PostgreSQL) and saved as a table of the session's warehouse,
every field as text, bad records included.

dbt-spark's `method: session` runs its SQL through `SparkSession.builder.getOrCreate()` in the same
Python process, so the session made here, with its warehouse and metastore under a scratch
folder, is the one the build uses.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ledger_loader import COLUMNS, FIELDS, LEDGER_VIEW

# Spark settings the build relies on (profiles.example.yml gives the same two to dbt-spark):
# reporting days are UTC days, and decimal arithmetic keeps its nine places (Spark's default
# rounds a sum or product of two decimal(38, 9) values to fewer places instead).
MONITOR_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
}


def start_session(scratch: Path):
    """A local Spark session whose warehouse, metastore and Derby log are all under `scratch`."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    scratch.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("p402-monitor-test")
        .config("spark.sql.warehouse.dir", str(scratch / "spark-warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={scratch / 'metastore_db'};create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={scratch}")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
    )
    for name, value in MONITOR_SETTINGS.items():
        builder = builder.config(name, value)
    session = builder.enableHiveSupport().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def load_ledger(duckdb_database, session, schema: str, table: str) -> int:
    """Copy every record of the DuckDB database's ledger view into schema.table; return how many."""
    with duckdb.connect(str(duckdb_database), read_only=True) as source:
        rows = source.execute(
            f"select {', '.join(COLUMNS)} from {LEDGER_VIEW} order by source_file, source_line"
        ).fetchall()
    columns = ", ".join([
        "source_file string not null",
        "source_line bigint not null",
        "is_malformed_json boolean not null",
        *[f"{field} string" for field in FIELDS],
    ])
    session.sql(f"create database if not exists {schema}")
    session.createDataFrame(rows, columns).write.mode("overwrite").saveAsTable(f"{schema}.{table}")
    return session.table(f"{schema}.{table}").count()
