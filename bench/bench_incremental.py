"""Benchmark of a nightly run: a full build, then an incremental one after one more day.

The ledger (Parquet) covers N days; the last day is held back for the incremental build. The
baseline, measured in the same run on the same files, is one hand-written DuckDB query that reads
the files once, keeps the latest version of each event and sums cost by day and department.
Each build's wall time is split into dbt's own start-up and parse and the model and test
execution that target/run_results.json records; builds run with the bundled profile (DuckDB
memory limit 3GB, 2 threads) and, like a nightly build, without the unit tests. Every step is
repeated and its median reported, since the same step varies by 10 % or more from run to run on
this machine: the baseline and the full build (each on a new database) --full-repeats times, the
incremental build (each on a copy of the last full build's database) --repeats times. A build
that finds nothing new, right after the full build, is measured the same way.

    python bench/bench_incremental.py [--sizes 1000000,10000000] [--days 90]
                                      [--full-repeats 3] [--repeats 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from measure import Measurement, measure, python_step

CLI = str(Path(sys.executable).parent / "p402-monitor")

BASELINE = """
import duckdb, sys
connection = duckdb.connect()
connection.execute("set threads = 2; set memory_limit = '4GB'")
connection.execute(f'''
    select cast(try_cast(occurred_at as timestamptz) as date) as day, department,
           sum(try_cast(cost_usd as decimal(38, 9)))
    from (
        select *, row_number() over (partition by event_id order by version desc) as newest
        from read_parquet('{sys.argv[1]}/**/*.parquet')
    ) as versions
    where newest = 1
    group by 1, 2
''').fetchall()
"""


def execution_seconds(target: Path) -> float:
    """Model and test execution as dbt recorded it (run_results.json's elapsed time)."""
    return json.loads((target / "run_results.json").read_text())["elapsed_time"]


def median_run(runs: list[tuple[float, Measurement]]) -> tuple[float, Measurement]:
    """The run with the median first figure (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda run: run[0])
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--work", default="bench/out/incremental")
    parser.add_argument("--full-repeats", type=int, default=3,
                        help="baseline queries and full builds (each on a new database); the medians are reported")
    parser.add_argument("--repeats", type=int, default=5,
                        help="incremental builds, each on a copy of the full build's database; "
                             "the median is reported (the same build varies by a second or more)")
    arguments = parser.parse_args()

    print(f"{'step':44} {'wall s':>7} {'dbt exec s':>10} {'start-up s':>10} {'peak MiB':>8} "
          f"{'exec × baseline':>15} {'wall × baseline':>15}")
    for size in [int(size) for size in arguments.sizes.split(",")]:
        work = Path(arguments.work).resolve() / str(size)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        generated, ledger = work / "generated", work / "ledger"
        measure("generate", [CLI, "generate", "--events", str(size), "--days", str(arguments.days + 1),
                             "--seed", "5", "--tenants", "3", "--format", "parquet", "--out", str(generated)])
        days = sorted(path.name for path in generated.iterdir())
        shutil.copytree(generated, ledger, ignore=shutil.ignore_patterns(days[-1]))
        env = {"DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
        database, built_in_full = work / "monitor.duckdb", work / "after-full-build.duckdb"
        command = [CLI, "build", "--ledger", str(ledger), "--duckdb", str(database)]

        baseline_runs, full_runs = [], []
        for _ in range(arguments.full_repeats):
            baseline = measure(f"baseline query ({size:,})", python_step(BASELINE) + [str(ledger)])
            baseline_runs.append((baseline.seconds, baseline))
            for stale in (database, database.with_name(database.name + ".wal")):
                stale.unlink(missing_ok=True)
            full = measure(f"full build ({size:,})", command, env=env)
            full_runs.append((execution_seconds(work / "target"), full))
        _, baseline = median_run(baseline_runs)
        full_execution, full = median_run(full_runs)
        shutil.copyfile(database, built_in_full)

        def incremental_builds(label: str) -> list[tuple[float, Measurement]]:
            runs = []
            for _ in range(arguments.repeats):
                shutil.copyfile(built_in_full, database)
                measurement = measure(f"{label} ({size:,})", command, env=env)
                runs.append((execution_seconds(work / "target"), measurement))
            return runs

        nothing_new_runs = incremental_builds("incremental build, nothing new")
        shutil.copytree(generated / days[-1], ledger / days[-1])
        incremental_runs = incremental_builds("incremental build, one more day")
        nothing_new_execution, nothing_new = median_run(nothing_new_runs)
        incremental_execution, incremental = median_run(incremental_runs)

        print(f"{baseline.label:44} {baseline.seconds:7.1f} {'':10} {'':10} {baseline.peak_mib:8.0f} "
              f"{1:15.2f} {1:15.2f}")
        for measurement, execution in ((full, full_execution), (incremental, incremental_execution),
                                       (nothing_new, nothing_new_execution)):
            print(f"{measurement.label:44} {measurement.seconds:7.1f} {execution:10.1f} "
                  f"{measurement.seconds - execution:10.1f} {measurement.peak_mib:8.0f} "
                  f"{execution / baseline.seconds:15.2f} {measurement.ratio_to(baseline):15.2f}")
        for label, runs in (("baseline queries, s", baseline_runs), ("full builds, dbt exec s", full_runs),
                            ("incremental builds, dbt exec s", incremental_runs),
                            ("nothing-new builds, dbt exec s", nothing_new_runs)):
            print(f"{label + ' (median above)':44} " + ", ".join(f"{figure:.1f}" for figure, _ in runs))
        print(f"{'incremental ÷ full, dbt execution':44} {incremental_execution / full_execution:7.1%}")
        print(f"{'incremental ÷ full, wall':44} {incremental.seconds / full.seconds:7.1%}")
        print(f"{'nothing new ÷ full, dbt execution':44} {nothing_new_execution / full_execution:7.1%}")
        shutil.rmtree(generated)
        built_in_full.unlink()


if __name__ == "__main__":
    main()
