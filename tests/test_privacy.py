"""The privacy canary: content written to the ledger never reaches anything Monitor writes."""

from __future__ import annotations

from datetime import date

from conftest import run_cli
from reporter import project
from reporter.generate import generate_ledger

MARKER = "CANARY-7f3a9c-DO-NOT-LEAK"


def files_containing(folder, marker: bytes):
    return [path for path in folder.rglob("*") if path.is_file() and marker in path.read_bytes()]


def test_prompt_and_response_content_appears_nowhere(tmp_path):
    ledger = tmp_path / "ledger"
    summary = generate_ledger(ledger, events=1500, days=5, seed=4, bad_rate=0.02,
                              end=date(2026, 11, 20), content_marker=MARKER)
    assert files_containing(ledger, MARKER.encode()), "the canary must be in the ledger to begin with"
    database = tmp_path / "monitor.duckdb"
    result = run_cli("build", "--ledger", ledger, "--duckdb", database)
    assert result.exit_code == 0, result.output[-2000:]
    assert summary.events == 1500

    assert MARKER not in result.output
    for path in [database, *tmp_path.glob("monitor.duckdb*")]:
        assert MARKER.encode() not in path.read_bytes(), path
    for folder in (project.PROJECT_DIR / "target", project.PROJECT_DIR / "logs"):
        assert files_containing(folder, MARKER.encode()) == []
