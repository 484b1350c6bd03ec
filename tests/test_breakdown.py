"""`p402-monitor breakdown`: any combination of dimensions and filters, exact to the last decimal."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import RESOLVED_EVENTS, build, ledger_record, query, run_cli, write_ledger
from reporter.project import target_dir
from reporter.semantic import SemanticLayer

OWNER_DEFAULTS = {"department": "(unattributed)", "employee_id": "(unattributed)",
                  "workflow": "(unattributed)", "customer_id": "(none)", "budget_id": "(none)",
                  "outcome": "pending"}
COLUMN_OF = {"department": "department", "model_used": "model_used", "outcome": "outcome",
             "vendor": "vendor", "privacy_mode": "privacy_mode", "employee": "employee_id",
             "customer": "customer_id", "workflow": "workflow", "budget": "budget_id"}
OUTCOMES = ("accepted", "rejected", "revised", "escalated", "failed", "pending")


def breakdown_csv(database, *arguments):
    result = run_cli("breakdown", "--duckdb", database, "--format", "csv", *arguments)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def resolved_events(database, tenant):
    """The resolved events, each with the contract's defaults for missing owners, in Python."""
    columns = ["event_id", "tenant_id", "department", "employee_id", "workflow", "customer_id",
               "budget_id", "vendor", "model_used", "outcome", "privacy_mode", "input_tokens",
               "output_tokens", "cost_usd", "occurred_date"]
    rows = query(database, f"select {', '.join(columns)} from {RESOLVED_EVENTS} "
                           "where tenant_id = ?", [tenant])
    events = []
    for row in rows:
        event = dict(zip(columns, row))
        for column, default in OWNER_DEFAULTS.items():
            event[column] = event[column] if event[column] is not None else default
        events.append(event)
    return events


def expected_breakdown(events, by, keep):
    groups = defaultdict(lambda: {"events": 0, "input_tokens": 0, "output_tokens": 0,
                                  "cost_usd": Decimal(0), **{outcome: 0 for outcome in OUTCOMES}})
    for event in events:
        if not keep(event):
            continue
        group = groups[tuple(event[COLUMN_OF[name]] for name in by)]
        group["events"] += 1
        group["input_tokens"] += event["input_tokens"]
        group["output_tokens"] += event["output_tokens"]
        group["cost_usd"] += event["cost_usd"]
        group[event["outcome"]] += 1
    return groups


def test_three_dimensions_with_filters_match_an_independent_total(small_ledger):
    summary, _, database = small_ledger
    tenant = summary.tenants[0]
    by = ("department", "model_used", "outcome")
    rows = breakdown_csv(
        database, "--by", ",".join(by), "--tenant", tenant,
        "--where", "vendor=openai", "--where", "vendor=anthropic", "--where", "privacy_mode=metadata_only",
        "--from", "2026-10-05", "--to", "2026-10-25",
    )
    expected = expected_breakdown(
        resolved_events(database, tenant), by,
        lambda e: e["vendor"] in ("openai", "anthropic") and e["privacy_mode"] == "metadata_only"
        and date(2026, 10, 5) <= e["occurred_date"] <= date(2026, 10, 25),
    )
    assert len(rows) == len(expected) > 5
    total = sum(group["cost_usd"] for group in expected.values())
    for row in rows:
        group = expected[tuple(row[name] for name in by)]
        assert Decimal(row["cost_usd"]) == group["cost_usd"]
        assert row["cost_usd"] == format(group["cost_usd"], "f")  # the ledger's nine places, as text
        for column in ("events", "input_tokens", "output_tokens", *OUTCOMES):
            assert int(row[column]) == group[column], column
        assert abs(Decimal(row["cost_share"]) - group["cost_usd"] / total) < Decimal("1e-9")


def test_columns_order_and_sorting(small_ledger):
    summary, _, database = small_ledger
    result = run_cli("breakdown", "--duckdb", database, "--format", "csv", "--by", "workflow,vendor",
                     "--tenant", summary.tenants[0])
    header = result.output.splitlines()[0].split(",")
    assert header == ["workflow", "vendor", "events", "input_tokens", "output_tokens", "cost_usd",
                      "cost_share", "accepted", "rejected", "revised", "escalated", "failed", "pending"]
    costs = [Decimal(row["cost_usd"]) for row in csv.DictReader(io.StringIO(result.output))]
    assert costs == sorted(costs, reverse=True)


def test_all_tenants_together_reconcile_with_the_ledger(small_ledger):
    summary, _, database = small_ledger
    total = Decimal(0)
    for tenant in summary.tenants:
        total += sum(Decimal(row["cost_usd"]) for row in breakdown_csv(database, "--by", "department", "--tenant", tenant))
    assert total == summary.total_cost_usd_latest


def test_unattributed_spend_is_a_row_of_its_own(small_ledger):
    summary, _, database = small_ledger
    rows = breakdown_csv(database, "--by", "department", "--tenant", summary.tenants[0])
    assert "(unattributed)" in [row["department"] for row in rows]


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_time_grains_add_up_to_the_period(small_ledger, grain):
    summary, _, database = small_ledger
    tenant = summary.tenants[0]
    by_grain = breakdown_csv(database, "--by", grain, "--tenant", tenant, "--period", "2026-10")
    whole = breakdown_csv(database, "--by", "vendor", "--tenant", tenant, "--period", "2026-10")
    assert sum(Decimal(r["cost_usd"]) for r in by_grain) == sum(Decimal(r["cost_usd"]) for r in whole)
    if grain == "day":
        assert all(r["day"].startswith("2026-10-") and len(r["day"]) == 10 for r in by_grain)


def test_json_keeps_money_exact(small_ledger):
    summary, _, database = small_ledger
    result = run_cli("breakdown", "--duckdb", database, "--format", "json", "--by", "vendor",
                     "--tenant", summary.tenants[0])
    records = json.loads(result.output)
    csv_rows = breakdown_csv(database, "--by", "vendor", "--tenant", summary.tenants[0])
    assert [r["cost_usd"] for r in records] == [r["cost_usd"] for r in csv_rows]
    assert isinstance(records[0]["events"], int)


def test_the_table_is_for_people(small_ledger):
    summary, _, database = small_ledger
    result = run_cli("breakdown", "--duckdb", database, "--by", "vendor", "--tenant", summary.tenants[0])
    assert result.exit_code == 0
    assert "$" in result.output and "Total" in result.output and "100.0%" in result.output


def test_a_ratio_metric_from_the_semantic_layer_can_be_added(small_ledger):
    summary, _, database = small_ledger
    rows = breakdown_csv(database, "--by", "vendor", "--tenant", summary.tenants[0],
                         "--metrics", "acceptance_rate,cost_per_event")
    for row in rows:
        known = sum(int(row[o]) for o in OUTCOMES if o != "pending")
        assert Decimal(row["acceptance_rate"]) == (Decimal(row["accepted"]) / known).quantize(Decimal("1e-9"))


def test_several_tenants_need_a_choice(small_ledger):
    summary, _, database = small_ledger
    result = run_cli("breakdown", "--duckdb", database, "--by", "vendor")
    assert result.exit_code == 2
    assert "several tenants" in result.output
    for tenant in summary.tenants:
        assert tenant in result.output
    result = run_cli("breakdown", "--duckdb", database, "--by", "vendor", "--tenant", "tnt_nobody")
    assert result.exit_code == 2 and "has no events" in result.output


@pytest.fixture(scope="module")
def hostile_ledger(tmp_path_factory):
    """Owner names that are SQL, spreadsheet formulas, HTML, carriage returns and non-Latin text."""
    folder = tmp_path_factory.mktemp("hostile")
    names = ["O'Brien; DROP TABLE fct_ai_events; --", "=HYPERLINK(\"http://x\")", "<b>R&D</b>", "財務部",
             "\rCR", "R\rD"]
    records = [ledger_record(f"e{index}", "2026-11-20T10:00:00Z", department=name, cost_usd="1.000000001")
               for index, name in enumerate(names)]
    database = folder / "monitor.duckdb"
    build(write_ledger(folder / "ledger", records), database)
    return names, database


@pytest.mark.parametrize("value", ["' OR 1=1 --", "x'; DROP TABLE main.fct_ai_events; --", "\" or \"\"=\"", "%"])
def test_where_values_are_data_never_sql(hostile_ledger, value):
    _, database = hostile_ledger
    assert breakdown_csv(database, "--by", "department", "--where", f"department={value}") == []
    (events,), = query(database, "select count(*) from main.fct_ai_events")
    assert events == len(hostile_ledger[0])


def test_hostile_owner_names_match_exactly_and_stay_inert_in_csv(hostile_ledger):
    names, database = hostile_ledger
    for name in names:
        rows = breakdown_csv(database, "--by", "department", "--where", f"department={name}")
        assert len(rows) == 1
        shown = rows[0]["department"]
        assert shown == ("'" + name if name.startswith(("=", "\r")) else name)
        assert rows[0]["cost_usd"] == "1.000000001"


@pytest.mark.parametrize("arguments, fragment", [
    (["--by", "dept"], "unknown dimension 'dept'; choose from"),
    (["--by", "vendor", "--metrics", "profit"], "unknown metric 'profit'; choose from"),
    (["--by", "vendor", "--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
    (["--by", "vendor", "--to", "tomorrow"], "--to 'tomorrow' is not a date"),
    (["--by", "vendor", "--period", "2026-1"], "--period '2026-1' is not a month"),
    (["--by", "vendor", "--period", "2026-10", "--from", "2026-10-01"], "either --period or --from/--to"),
    (["--by", "vendor", "--where", "vendor"], "is not DIM=VALUE"),
    (["--by", "vendor", "--where", "colour=red"], "unknown dimension 'colour'"),
    (["--by", "vendor,vendor"], "more than once"),
    (["--by", "vendor", "--from", "2026-10-09", "--to", "2026-10-01"], "is after --to"),
])
def test_bad_input_says_what_is_wrong(hostile_ledger, arguments, fragment):
    _, database = hostile_ledger
    result = run_cli("breakdown", "--duckdb", database, *arguments)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert fragment in result.output
    if "choose from" in fragment:
        assert "department" in result.output or "cost_usd" in result.output


def test_breakdown_without_a_build_says_so(tmp_path):
    result = run_cli("breakdown", "--duckdb", tmp_path / "none.duckdb", "--by", "vendor")
    assert result.exit_code == 2 and "run `p402-monitor build` first" in result.output


def test_metricflow_validates_the_semantic_layer(small_ledger):
    root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "mf"), "validate-configs", "--skip-dw"],
        cwd=root, capture_output=True, text=True, check=False,
        env={**os.environ, "DBT_PROFILES_DIR": str(root / "reporter" / "profiles")},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "ERRORS: 0" in completed.stdout


def test_a_dimension_declared_in_yaml_is_offered_without_python(tmp_path, small_ledger):
    manifest = json.loads((target_dir() / "semantic_manifest.json").read_text(encoding="utf-8"))
    ai_events = next(model for model in manifest["semantic_models"] if model["name"] == "ai_events")
    extra = dict(next(d for d in ai_events["dimensions"] if d["name"] == "vendor"))
    extra.update(name="vendor_again", expr="vendor")
    ai_events["dimensions"].append(extra)
    path = tmp_path / "semantic_manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "vendor_again" in SemanticLayer("duckdb", manifest_path=path).dimensions()
