"""Benchmark of the foundation: the generator at 10M events, and a full build at 1M and 10M.

The baseline, measured in the same run on the same files, is one hand-written DuckDB query that
reads every ledger file and sums cost by day: the least any build must do. Each step prints its
time as a ratio to that baseline, and its peak memory.

    python bench/bench_foundation.py [--sizes 1000000,10000000] [--format jsonl|parquet] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from measure import measure, python_step, report

CLI = str(Path(sys.executable).parent / "p402-monitor")

BASELINE = """
import duckdb, sys
folder, file_format = sys.argv[1], sys.argv[2]
connection = duckdb.connect()
connection.execute("set threads = 2; set memory_limit = '4GB'")
if file_format == "parquet":
    source = f"read_parquet('{folder}/**/*.parquet')"
else:
    source = (f"read_json('{folder}/**/*.jsonl', format = 'newline_delimited', ignore_errors = true, "
              "columns = {'occurred_at': 'VARCHAR', 'cost_usd': 'VARCHAR'})")
connection.execute(f'''
    select cast(try_cast(occurred_at as timestamptz) as date) as day, sum(try_cast(cost_usd as decimal(38, 9)))
    from {source} group by 1
''').fetchall()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--work", default="bench/out")
    arguments = parser.parse_args()

    rows = []
    for size in [int(size) for size in arguments.sizes.split(",")]:
        work = Path(arguments.work).resolve() / f"{size}-{arguments.format}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        ledger, database = work / "ledger", work / "monitor.duckdb"
        generated = measure(f"generate {size:,} events ({arguments.format})", [
            CLI, "generate", "--events", str(size), "--days", str(arguments.days), "--seed", "1",
            "--tenants", "3", "--format", arguments.format, "--out", str(ledger),
        ])
        baseline = measure(f"baseline: one DuckDB query, cost by day ({size:,})",
                           python_step(BASELINE) + [str(ledger), arguments.format])
        built = measure(f"p402-monitor build ({size:,}, models + tests)", [
            CLI, "build", "--ledger", str(ledger), "--duckdb", str(database),
        ], env={"DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")})
        rows += [(generated, baseline), (baseline, baseline), (built, baseline)]
    report(rows)


if __name__ == "__main__":
    main()
