"""Insights and drift find what the generator planted, with the right cost, and nothing where nothing was planted."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from conftest import build, query, run_cli
from reporter.generate import INJECT_PATTERNS, generate_ledger

ARGUMENTS = dict(events=20000, days=61, seed=17, bad_rate=0.01, end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The same ledger twice: with every pattern planted, and without (the control)."""
    folder = tmp_path_factory.mktemp("insights")
    built = {}
    for name, inject in (("planted", INJECT_PATTERNS), ("control", ())):
        summary = generate_ledger(folder / name / "ledger", inject=inject, **ARGUMENTS)
        build(folder / name / "ledger", folder / name / "monitor.duckdb")
        built[name] = (summary, folder / name / "monitor.duckdb")
    return built


def cli_csv(database, command, *arguments):
    result = run_cli(command, "--duckdb", database, "--tenant", "tnt_acme", "--format", "csv", *arguments)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_the_retry_storm_is_found_with_its_cost(planted):
    summary, database = planted["planted"]
    storm = summary.injected["retry-storm"]
    traces = list(storm["trace_ids"])
    placeholders = ", ".join("?" for _ in traces)
    (found, attempts, retry_cost), = query(database, f"""
        select count(*), sum(attempts), sum(retry_cost_usd) from main.rpt_insight_retry_storms
        where trace_id in ({placeholders})""", traces)
    assert (found, attempts, retry_cost) == (storm["traces"], storm["attempts"], storm["retry_cost_usd"])
    rows = cli_csv(database, "insights", "--kind", "retries", "--from", storm["day"].isoformat(),
                   "--to", storm["day"].isoformat())
    assert rows[0]["workflow"] == storm["workflow"]
    assert int(rows[0]["storm_traces"]) >= storm["traces"]
    assert f"workflow `{storm['workflow']}` retried" in rows[0]["finding"]
    spikes = query(database, "select count(*) from main.rpt_insight_retry_spikes where workflow = ? and occurred_date = ?",
                   [storm["workflow"], storm["day"]])
    assert spikes[0][0] >= 1


def test_no_storm_where_none_was_planted(planted):
    summary, database = planted["control"]
    storm = planted["planted"][0].injected["retry-storm"]
    (storms,), = query(database, "select count(*) from main.rpt_insight_retry_storms where attempts >= ?",
                       [storm["min_attempts"]])
    assert storms == 0
    (spikes,), = query(database, "select count(*) from main.rpt_insight_retry_spikes where workflow = ? and occurred_date = ?",
                       [storm["workflow"], storm["day"]])
    assert spikes == 0


def test_the_long_context_calls_are_found_with_their_cost(planted):
    summary, database = planted["planted"]
    planted_calls = summary.injected["long-context"]
    ids = list(planted_calls["event_ids"])
    (found, cost), = query(database, f"""
        select count(*), sum(cost_usd) from main.rpt_insight_long_context_calls
        where event_id in ({', '.join('?' for _ in ids)})""", ids)
    assert (found, cost) == (len(ids), planted_calls["cost_usd"])
    rows = cli_csv(database, "insights", "--kind", "long-context", "--where", f"workflow={planted_calls['workflow']}",
                   "--where", f"model_used={planted_calls['model']}")
    assert int(rows[0]["calls"]) >= len(ids)


def test_the_same_calls_unplanted_are_not_flagged(planted):
    """The planted calls are ordinary calls of the control ledger, given outsized inputs: unplanted,
    none is flagged. (A percentile flags the top of every group, so the control's group is not
    empty: its natural long calls cost less above the median than the planted ones.)"""
    _, database = planted["control"]
    planted_calls = planted["planted"][0].injected["long-context"]
    ids = list(planted_calls["event_ids"])
    (flagged,), = query(database, f"""
        select count(*) from main.rpt_insight_long_context_calls
        where event_id in ({', '.join('?' for _ in ids)})""", ids)
    assert flagged == 0
    group = [planted_calls["workflow"], planted_calls["model"]]
    sql = "select sum(excess_cost_usd) from main.rpt_insight_long_context_calls where workflow = ? and model_used = ?"
    assert query(database, sql, group)[0][0] < query(planted["planted"][1], sql, group)[0][0]


def failing_share(row):
    known = int(row["known_outcomes"])
    return (int(row["failed"]) + int(row["rejected"])) / known if known else 0


def test_the_failing_workflow_is_found_with_its_wasted_spend(planted):
    summary, database = planted["planted"]
    failing = summary.injected["failing-workflow"]
    rows = {row["workflow"]: row for row in cli_csv(database, "insights", "--kind", "failing")}
    row = rows[failing["workflow"]]
    assert Decimal(row["wasted_spend_usd"]) == failing["wasted_spend_usd"]
    assert failing_share(row) == pytest.approx(failing["failed_or_rejected_share"])
    assert [name for name, r in rows.items() if failing_share(r) > 0.5] == [failing["workflow"]]


def test_no_workflow_fails_that_much_where_none_was_planted(planted):
    _, database = planted["control"]
    rows = cli_csv(database, "insights", "--kind", "failing")
    assert rows and all(failing_share(row) < 0.5 for row in rows)


def test_the_budget_running_out_is_found_on_its_day(planted):
    summary, database = planted["planted"]
    overrun = summary.injected["budget-overrun"]
    rows = {(row["budget_id"], row["month"]): row for row in cli_csv(
        database, "insights", "--kind", "budgets", "--period", overrun["month"].strftime("%Y-%m"))}
    row = rows[(overrun["budget_id"], overrun["month"].isoformat())]
    assert row["budget_status"] == "over_budget"
    assert Decimal(row["spend_to_date_usd"]) == sum(overrun["spend_by_day"].values())
    assert row["projected_exhaustion_date"] == overrun["exhausted_day"].isoformat()
    assert "ran out on" in row["finding"]


def test_the_same_budget_holds_where_nothing_was_planted(planted):
    _, database = planted["control"]
    overrun = planted["planted"][0].injected["budget-overrun"]
    rows = {(row["budget_id"], row["month"]): row for row in cli_csv(
        database, "insights", "--kind", "budgets", "--period", overrun["month"].strftime("%Y-%m"))}
    assert rows[(overrun["budget_id"], overrun["month"].isoformat())]["budget_status"] == "on_track"


def test_drift_explains_the_workflow_that_moved_to_a_pricier_model(planted):
    summary, database = planted["planted"]
    shift = summary.injected["model-shift"]
    current = ["--from", shift["switch_day"].isoformat(), "--to", ARGUMENTS["end"].isoformat()]
    before = ["--from", (ARGUMENTS["end"] - timedelta(days=ARGUMENTS["days"] - 1)).isoformat(),
              "--to", (shift["switch_day"] - timedelta(days=1)).isoformat()]
    drift_args = [*current, "--baseline-from", before[1], "--baseline-to", before[3]]
    models = {row["model_requested"]: row for row in cli_csv(
        database, "drift", "--by", "model_requested", "--where", f"workflow={shift['workflow']}", *drift_args)}
    new = models[shift["new_model"]]
    assert Decimal(new["current_cost_usd"]) >= shift["cost_after_usd"]
    assert Decimal(new["baseline_cost_usd"]) < Decimal(new["current_cost_usd"]) / 10
    old = models[shift["old_model"]]
    assert Decimal(old["current_cost_usd"]) < Decimal(old["baseline_cost_usd"]) / 10
    workflow = {row["workflow"]: row for row in cli_csv(
        database, "drift", "--by", "workflow", "--where", f"department={shift['department']}", *drift_args)}
    moved = workflow[shift["workflow"]]
    assert Decimal(moved["rate_effect_usd"]) > 0           # dearer per call: the rate effect shows it
    assert Decimal(moved["rate_effect_usd"]) == max(Decimal(row["rate_effect_usd"]) for row in workflow.values())
    def new_model_share(database):
        rows = cli_csv(database, "breakdown", "--by", "model_requested", "--where", f"workflow={shift['workflow']}",
                       *current)
        return sum(Decimal(row["cost_share"]) for row in rows if row["model_requested"] == shift["new_model"])
    assert new_model_share(database) > Decimal("0.5")
    assert new_model_share(planted["control"][1]) < Decimal("0.1")
