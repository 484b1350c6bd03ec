"""Benchmark of `breakdown` on a built database (10M events for the recorded figures).

For one, two and three dimensions with two filters, the query `breakdown` runs (compiled by
MetricFlow, filtered and summed by the reporter) is timed against the same aggregation written
by hand as one DuckDB query on fct_ai_events, best of several runs each, in the same process.
The command's start-up (imports, loading the semantic layer) and a whole run of the command are
reported separately.

    python bench/bench_breakdown.py --duckdb bench/out/10000000-jsonl/monitor.duckdb
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 5
CASES = (
    ("department",),
    ("department", "model_used"),
    ("department", "model_used", "outcome"),
)
FILTERS = (("vendor", "anthropic"), ("privacy_mode", "metadata_only"))
COLUMN = {"employee": "employee_id", "customer": "customer_id", "budget": "budget_id"}


def best_of(function) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def hand_written_sql(by) -> str:
    columns = ", ".join(COLUMN.get(name, name) for name in by)
    outcomes = ", ".join(f"sum(case when outcome = '{o}' then 1 else 0 end) as {o}"
                         for o in ("accepted", "rejected", "revised", "escalated", "failed", "pending"))
    return (f"select {columns}, count(*) as events, sum(input_tokens), sum(output_tokens), sum(cost_usd), "
            f"{outcomes} from main.fct_ai_events where tenant_id = ? and vendor = ? and privacy_mode = ? "
            f"group by {columns}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", required=True)
    arguments = parser.parse_args()

    started = time.perf_counter()
    from reporter.breakdown import DEFAULT_METRICS, BreakdownRequest, aggregate_sql, run_breakdown, tenants
    from reporter.semantic import SemanticLayer
    from reporter.warehouse import open_warehouse
    imports = time.perf_counter() - started
    with open_warehouse(arguments.duckdb) as warehouse:
        started = time.perf_counter()
        layer = SemanticLayer(warehouse.engine)
        load = time.perf_counter() - started
        tenant = tenants(layer, warehouse)[0]
        (events,), = warehouse.query("select count(*) from main.fct_ai_events")[1]
        print(f"{events:,} events; tenant {tenant}; filters {', '.join(f'{d}={v}' for d, v in FILTERS)}")
        print(f"start-up: imports {imports:.2f} s, semantic layer {load:.3f} s")
        print(f"{'breakdown by':38} {'its query s':>11} {'hand-made s':>11} {'ratio':>6} {'in-process s':>12}")
        for by in CASES:
            sql, parameters = aggregate_sql(layer, by=by, filters=[("tenant", tenant), *FILTERS],
                                            metric_names=DEFAULT_METRICS, start=None, end=None)
            ours = best_of(lambda: warehouse.query(sql, parameters))
            hand_made, hand_parameters = hand_written_sql(by), [tenant, *(value for _, value in FILTERS)]
            baseline = best_of(lambda: warehouse.query(hand_made, hand_parameters))
            request = BreakdownRequest(by=by, where=FILTERS, tenant=tenant)
            whole = best_of(lambda: run_breakdown(layer, warehouse, request))
            print(f"{', '.join(by):38} {ours:11.3f} {baseline:11.3f} {ours / baseline:6.2f} {whole:12.3f}")
        print("(in-process: the whole breakdown call, with the tenant check and MetricFlow's compilation)")

    command = [str(Path(sys.executable).parent / "p402-monitor"), "breakdown", "--duckdb", arguments.duckdb,
               "--by", ",".join(CASES[-1]), "--tenant", tenant, "--format", "csv",
               *[option for name, value in FILTERS for option in ("--where", f"{name}={value}")]]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"whole command (three dimensions, two filters, new process): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
