"""Benchmark of a monthly finance report bundle over a built database (10M events in the target).

Prints the time spent in queries (gathering every view, drift and insight), in charts, in PDF
rendering and in writing the files, and the whole command in a new process.

    python bench/bench_report.py --duckdb bench/out/10000000-parquet/monitor.duckdb --period 2026-10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporter import bundle
from reporter.breakdown import parse_period, tenants
from reporter.pdf import render_pdf
from reporter.semantic import SemanticLayer
from reporter.warehouse import open_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", required=True)
    parser.add_argument("--period", required=True, help="YYYY-MM")
    arguments = parser.parse_args()
    start, end = parse_period(arguments.period, None, None)

    with open_warehouse(arguments.duckdb) as warehouse:
        layer = SemanticLayer(warehouse.engine)
        tenant = tenants(layer, warehouse)[0]
        (events,), = warehouse.query("select count(*) from main.fct_ai_events")[1]
        started = time.perf_counter()
        data = bundle.gather(layer, warehouse, bundle.ReportRequest(start=start, end=end, tenant=tenant))
        queries = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        result = bundle.write_bundle(data, Path(scratch) / "bundle.zip", render_pdf)
        command = [str(Path(sys.executable).parent / "p402-monitor"), "report", "--duckdb", arguments.duckdb,
                   "--period", arguments.period, "--tenant", tenant, "--out", str(Path(scratch) / "cli.zip")]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        whole = time.perf_counter() - started
    timings = result.timings
    print(f"{events:,} events in the database; tenant {tenant}, {start} to {end} "
          f"({data.total_events:,} events in the period)")
    for label, seconds in (("queries (views, drift, insights, reconciliation)", queries),
                           ("charts", timings.charts), ("PDF rendering", timings.pdf),
                           ("CSVs, manifest, archive", timings.files)):
        print(f"  {label:52} {seconds:7.2f} s")
    print(f"  {'whole command in a new process (target: under 20 s)':52} {whole:7.2f} s")


if __name__ == "__main__":
    main()
