"""Benchmark: the same ledger built and reported on PostgreSQL beside DuckDB (1M events by default).

Needs a running server, e.g.  eval "$(scripts/postgres-server.sh start)"  (P402_PG_* variables).
Prints the full build (models and tests) and a monthly report on each engine, and PostgreSQL's
time as a ratio to DuckDB's. Loading the ledger into PostgreSQL stands in for the meter and is
shown apart.

    python bench/bench_postgres.py [--events 1000000] [--work /tmp/p402-bench-pg]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "p402-monitor")
LOAD = f"""
import sys
sys.path.insert(0, {str(ROOT / 'tests')!r})
from ledger_loader import connect_as_meter, load_ledger
with connect_as_meter() as connection:
    load_ledger(sys.argv[1], connection, "meter", "ledger_records", reader_role="{os.environ.get('P402_PG_USER', '')}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--work", default="/tmp/p402-bench-pg")
    arguments = parser.parse_args()
    if not os.environ.get("P402_PG_HOST"):
        raise SystemExit('start a server first: eval "$(scripts/postgres-server.sh start)"')
    work = Path(arguments.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "profiles").mkdir(parents=True)
    shutil.copy(ROOT / "profiles.example.yml", work / "profiles" / "profiles.yml")
    ledger, database = work / "ledger", work / "monitor.duckdb"
    measure("generate", [CLI, "generate", "--events", str(arguments.events), "--days", "60", "--seed", "3",
                         "--format", "parquet", "--end", "2026-10-31", "--out", str(ledger)])
    duckdb_env = {"DBT_TARGET_PATH": str(work / "duckdb-target"), "DBT_LOG_PATH": str(work / "logs")}
    postgres_env = {"DBT_TARGET_PATH": str(work / "postgres-target"), "DBT_LOG_PATH": str(work / "logs"),
                    "P402_LEDGER_PATH": ""}
    duckdb_build = measure("DuckDB: build", [CLI, "build", "--ledger", str(ledger), "--duckdb", str(database)],
                           env=duckdb_env)
    loaded = measure("PostgreSQL: load the ledger table (the meter's part)",
                     [sys.executable, "-c", LOAD, str(database)])
    postgres_build = measure("PostgreSQL: build", [
        sys.executable, "-c",
        "import sys; from reporter import dbt_invoke; dbt_invoke.build(dbt_invoke.BuildSettings("
        f"profiles_dir={str(work / 'profiles')!r}, target='postgres', quiet=True, "
        "extra_vars={'ledger_schema': 'meter', 'ledger_table': 'ledger_records'}))",
    ], env=postgres_env)
    report = [CLI, "report", "--period", "2026-10", "--tenant", "tnt_acme"]
    duckdb_report = measure("DuckDB: monthly report", [*report, "--duckdb", str(database), "--out",
                                                       str(work / "duckdb.zip")], env=duckdb_env)
    postgres_report = measure("PostgreSQL: monthly report", [
        *report, "--profiles-dir", str(work / "profiles"), "--target", "postgres", "--out", str(work / "pg.zip"),
    ], env=postgres_env)
    print(f"{arguments.events:,} events (Parquet)")
    print(f"{'step':52} {'seconds':>8} {'peak MiB':>9} {'PG ÷ DuckDB':>12}")
    for measurement, ratio in ((duckdb_build, None), (postgres_build, postgres_build.ratio_to(duckdb_build)),
                               (loaded, None), (duckdb_report, None),
                               (postgres_report, postgres_report.ratio_to(duckdb_report))):
        shown = f"{ratio:.2f}" if ratio else ""
        print(f"{measurement.label:52} {measurement.seconds:8.2f} {measurement.peak_mib:9.0f} {shown:>12}")


if __name__ == "__main__":
    main()
