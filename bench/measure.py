"""Timing and peak memory of one step, each run as its own process so that figures do not mix."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

MEASURE_CHILD = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
completed = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
elapsed = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024, "returncode": completed.returncode,
                  "stderr": completed.stderr[-2000:]}))
"""


@dataclass
class Measurement:
    label: str
    seconds: float
    peak_mib: float

    def ratio_to(self, baseline: "Measurement") -> float:
        return self.seconds / baseline.seconds


def measure(label: str, command: list[str], env: dict | None = None) -> Measurement:
    """Run `command` in a fresh process; fail loudly if it fails.

    The files earlier steps wrote (a generated ledger, a copied database) are flushed to disk
    first: otherwise the kernel writes them back during this step, which then pays for them.
    """
    os.sync()
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE_CHILD, *command],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True,
    )
    figures = json.loads(completed.stdout)
    if figures["returncode"] != 0:
        raise SystemExit(f"{label} failed:\n{figures['stderr']}")
    return Measurement(label, figures["seconds"], figures["peak_mib"])


def python_step(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def report(rows: list[tuple[Measurement, Measurement | None]]) -> None:
    print(f"{'step':58} {'seconds':>9} {'peak MiB':>9} {'× baseline':>11}")
    for measurement, baseline in rows:
        ratio = f"{measurement.ratio_to(baseline):.2f}" if baseline else "—"
        print(f"{measurement.label:58} {measurement.seconds:9.2f} {measurement.peak_mib:9.0f} {ratio:>11}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def now() -> float:
    return time.perf_counter()
