"""The command line: help, and one clear line with a non-zero exit for every kind of bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import run_cli
from reporter.cli import cli
from reporter.generate import generate_ledger

COMMANDS = sorted(cli.commands)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_option_is_documented(command):
    documented = DOCS.read_text(encoding="utf-8")
    assert f"## p402-monitor {command}" in documented
    for parameter in cli.commands[command].params:
        for option in parameter.opts:
            if option.startswith("--"):
                assert option in documented, f"{command} {option} is not in docs/cli.md"


def assert_one_line_error(result, *fragments):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.output
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]


def test_missing_ledger_is_a_clear_error(tmp_path):
    result = run_cli("build", "--ledger", tmp_path / "nowhere", "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, "does not exist")


def test_a_folder_without_ledger_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a ledger")
    result = run_cli("build", "--ledger", tmp_path, "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, "holds no ledger file")


def test_a_glob_matching_nothing_is_a_clear_error(tmp_path):
    result = run_cli("build", "--ledger", str(tmp_path / "*.parquet"), "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, "holds no ledger file")


@pytest.mark.parametrize("name, content", [
    ("broken.parquet", b"PAR1 this is not parquet"),
    ("broken.jsonl.gz", b"this is not gzip"),
])
def test_an_unreadable_ledger_file_is_named(tmp_path, name, content):
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=20, days=1, seed=1, bad_rate=0, end=date(2026, 11, 1))
    (ledger / name).write_bytes(content)
    result = run_cli("build", "--ledger", ledger, "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, name)


@pytest.mark.parametrize("arguments, fragment", [
    (["generate", "--events", "0", "--out", "x"], "--events"),
    (["generate", "--bad-rate", "2", "--out", "x"], "--bad-rate"),
    (["generate", "--format", "xml", "--out", "x"], "--format"),
    (["generate", "--end", "yesterday", "--out", "x"], "--end"),
    (["build", "--as-of", "last tuesday"], "--as-of"),
    (["build", "--bogus"], "--bogus"),
])
def test_bad_option_values_name_the_option(arguments, fragment):
    assert_one_line_error(run_cli(*arguments), fragment)


def test_generate_refuses_to_overwrite_a_ledger(tmp_path):
    (tmp_path / "old.jsonl").write_text("{}\n")
    assert_one_line_error(run_cli("generate", "--events", "5", "--out", tmp_path))


def test_a_failing_data_test_fails_the_build_and_is_named(tmp_path):
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=300, days=3, seed=2, bad_rate=0.3, end=date(2026, 11, 1))
    result = run_cli("build", "--ledger", ledger, "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, "assert_quarantine_share_within_limit")


def test_a_whole_number_var_given_anything_else_is_named(tmp_path):
    """Checked on every build, a first one (which has no use for the lookback) as an incremental one."""
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=200, days=3, seed=2, end=date(2026, 11, 1))
    database = tmp_path / "m.duckdb"
    for value in (-3, "0", "a week", 7.5):
        result = run_cli("build", "--ledger", ledger, "--duckdb", database,
                         "--vars", json.dumps({"ledger_lookback_days": value}))
        assert_one_line_error(result, f"var 'ledger_lookback_days' is '{value}'", "whole number of at least 1")
    assert run_cli("build", "--ledger", ledger, "--duckdb", database).exit_code == 0
    result = run_cli("build", "--ledger", ledger, "--duckdb", database, "--vars", "{ledger_lookback_days: -3}")
    assert_one_line_error(result, "var 'ledger_lookback_days' is '-3'")
    result = run_cli("build", "--ledger", ledger, "--duckdb", database, "--vars", '{ledger_lookback_days: "30"}')
    assert result.exit_code == 0, result.output
    result = run_cli("build", "--ledger", ledger, "--duckdb", database, "--vars", "{retry_storm_min_attempts: 0}")
    assert_one_line_error(result, "var 'retry_storm_min_attempts' is '0'", "whole number of at least 1")


def test_a_database_that_cannot_be_opened_is_one_clear_line(tmp_path):
    """A file that is not a DuckDB database, or one another process holds, stops the build with
    DuckDB's reason, before dbt logs a traceback and before the build leaves any marker."""
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=50, days=2, seed=2, end=date(2026, 11, 1))
    not_a_database = tmp_path / "notes.duckdb"
    not_a_database.write_text("not a database\n")
    result = run_cli("build", "--ledger", ledger, "--duckdb", not_a_database)
    assert_one_line_error(result, str(not_a_database), "not a valid DuckDB database file")
    held = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; held = duckdb.connect({str(held)!r}); print('held', flush=True); "
                               "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        result = run_cli("build", "--ledger", ledger, "--duckdb", held)
    finally:
        holder.communicate("")
    assert_one_line_error(result, str(held), "lock")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["held.duckdb", "ledger", "notes.duckdb"]


def test_the_console_script_runs_without_a_traceback(tmp_path):
    script = Path(sys.executable).parent / "p402-monitor"
    completed = subprocess.run(
        [str(script), "build", "--ledger", str(tmp_path / "none")],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert re.fullmatch(r"Error: .*does not exist\n", completed.stderr)


def test_where_cannot_widen_a_query_to_another_tenant(small_ledger, tmp_path):
    """Filters on one dimension are OR-ed, so a tenant filter would add a second tenant's rows."""
    summary, _, database = small_ledger
    for command in (["breakdown", "--by", "vendor"],
                    ["drift", "--by", "vendor", "--from", "2026-10-01", "--to", "2026-10-31"],
                    ["report", "--period", "2026-10", "--out", tmp_path / "leak.zip"]):
        result = run_cli(*command, "--duckdb", database, "--tenant", summary.tenants[0],
                         "--where", f"tenant={summary.tenants[1]}")
        assert_one_line_error(result, "--where cannot filter on 'tenant'")
    assert not (tmp_path / "leak.zip").exists()


@pytest.mark.parametrize("arguments, fragment", [
    (["breakdown", "--by", "vendor", "--period", "0000-01"], "outside the days Monitor reports on"),
    (["breakdown", "--by", "vendor", "--to", "2041-01-01"], "outside the days Monitor reports on"),
    (["drift", "--by", "vendor", "--from", "0001-01-01", "--to", "0001-01-05"], "outside the days"),
    (["drift", "--by", "vendor", "--from", "2041-01-01", "--to", "2041-01-05"], "outside the days"),
    (["insights", "--period", "2041-01"], "outside the days Monitor reports on"),
])
def test_days_beyond_what_can_be_reported_are_a_clear_error(small_ledger, arguments, fragment):
    _, _, database = small_ledger
    assert_one_line_error(run_cli(*arguments, "--duckdb", database), fragment)


def test_a_database_that_was_never_built_says_to_build_it(tmp_path):
    import duckdb

    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    for command in (["breakdown", "--by", "vendor"], ["insights"], ["report", "--period", "2026-10", "--out", tmp_path / "r"]):
        result = run_cli(*command, "--duckdb", tmp_path / "empty.duckdb")
        assert_one_line_error(result, "run `p402-monitor build` first")
        assert_one_line_error(run_cli(*command, "--duckdb", tmp_path), "is a folder")


def test_a_database_whose_first_build_stopped_midway_says_to_build_again(small_ledger, tmp_path):
    import duckdb

    _, _, database = small_ledger
    partial = tmp_path / "partial.duckdb"
    partial.write_bytes(database.read_bytes())
    with duckdb.connect(str(partial)) as connection:
        connection.execute("drop table main.rpt_insight_retry_cost_daily")
    for command in (["insights"], ["report", "--period", "2026-10", "--out", tmp_path / "r"]):
        assert_one_line_error(run_cli(*command, "--duckdb", partial),
                              "an unfinished build", "rpt_insight_retry_cost_daily", "run `p402-monitor build` again")


def test_build_checks_its_paths_before_starting(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=20, days=1, seed=1, bad_rate=0, end=date(2026, 11, 1))
    assert_one_line_error(run_cli("build", "--ledger", ledger, "--duckdb", tmp_path), "is a folder")
    assert_one_line_error(run_cli("build", "--ledger", ledger, "--duckdb", tmp_path / "no" / "m.duckdb"),
                          "does not exist")
    monkeypatch.delenv("P402_LEDGER_PATH", raising=False)
    assert_one_line_error(run_cli("build", "--duckdb", tmp_path / "m.duckdb"), "no ledger given")
    assert not (tmp_path / "m.duckdb").exists()


def test_generate_refuses_days_it_cannot_write_and_leaves_nothing_behind(tmp_path):
    for end in ("0001-01-01", "9999-12-31"):
        result = run_cli("generate", "--events", "5", "--days", "5", "--end", end, "--out", tmp_path / "g")
        assert_one_line_error(result, "2000-01-01 to 2040-12-31")
        assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("arguments, fragment", [
    (["generate", "--events", "10", "--days", "1000000"], "must stay within 2000-01-01 to 2040-12-31"),
    (["generate", "--events", "10", "--tenants", "40000"], "--tenants"),
    (["demo", "--seed", "-5"], "seed must be an integer >= 0"),
    (["demo", "--days", "20000"], "must stay within 2000-01-01 to 2040-12-31"),
])
def test_generate_and_demo_refuse_numbers_they_cannot_use(tmp_path, arguments, fragment):
    out = ["--out", tmp_path / "g"] if arguments[0] == "generate" else ["--dir", tmp_path / "g"]
    assert_one_line_error(run_cli(*arguments, *out), fragment)
    assert not (tmp_path / "g" / "ledger").exists()


@pytest.mark.parametrize("arguments", [
    ["build", "--as-of", "0001-01-01T00:00:00+01:00"],
    ["build", "--as-of", "9999-12-31T23:00:00-05:00"],
    ["nightly", "--date", "0001-01-01", "--out-dir", "bundles"],
    ["nightly", "--date", "2041-06-01", "--out-dir", "bundles"],
    ["nightly", "--date", "1999-06-01", "--out-dir", "bundles"],
])
def test_instants_beyond_what_can_be_reported_stop_before_building(tmp_path, arguments):
    generate_ledger(tmp_path / "ledger", events=20, days=1, seed=1, bad_rate=0, end=date(2026, 11, 1))
    result = run_cli(*arguments, "--ledger", tmp_path / "ledger", "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, "outside the days Monitor reports on (2000-01-01 to 2040-12-31)")
    assert not (tmp_path / "m.duckdb").exists()


@pytest.mark.parametrize("variable, value", [
    ("P402_THREADS", "abc"), ("P402_DUCKDB_THREADS", "-1"), ("P402_DUCKDB_MEMORY_LIMIT", "lots"),
])
def test_a_bad_profile_variable_is_named_before_building(tmp_path, monkeypatch, variable, value):
    generate_ledger(tmp_path / "ledger", events=20, days=1, seed=1, bad_rate=0, end=date(2026, 11, 1))
    monkeypatch.setenv(variable, value)
    result = run_cli("build", "--ledger", tmp_path / "ledger", "--duckdb", tmp_path / "m.duckdb")
    assert_one_line_error(result, f"{variable}={value!r}")
    assert not (tmp_path / "m.duckdb").exists()


def test_demo_never_replaces_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "notes.txt").write_text("mine")
    assert_one_line_error(run_cli("demo", "--dir", tmp_path), "was not made by `p402-monitor demo`")
    assert (tmp_path / "ledger" / "notes.txt").read_text() == "mine"
    assert_one_line_error(run_cli("demo", "--dir", tmp_path / "new", "--days", "5"), "--days")


def test_demo_runs_again_in_a_folder_an_earlier_demo_made(tmp_path):
    """Folders from before demos left a marker hold only what a demo writes: they are reused."""
    generate_ledger(tmp_path / "ledger", events=20, days=1, seed=1, bad_rate=0, end=date(2026, 11, 1))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "tnt_acme_2020-01.zip").write_bytes(b"an earlier bundle")
    result = run_cli("demo", "--dir", tmp_path, "--events", "1500", "--days", "62")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".p402-monitor-demo").is_file()
    written = [path for path in (tmp_path / "reports").glob("tnt_acme_*.zip") if path.name != "tnt_acme_2020-01.zip"]
    assert len(written) == 1 and run_cli("verify", written[0]).exit_code == 0


def test_insights_as_json_leave_out_the_kinds_a_filter_does_not_apply_to(small_ledger):
    summary, _, database = small_ledger
    result = CliRunner().invoke(cli, ["insights", "--duckdb", str(database), "--tenant", summary.tenants[0],
                                      "--format", "json", "--where", "customer=cus_00000"])
    assert result.exit_code == 0, result.output
    kinds = json.loads(result.stdout)
    assert set(kinds) == {"long-context", "margin"}
    assert "retries: left out, not filtered by customer" in result.stderr
