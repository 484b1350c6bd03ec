"""Planted patterns (generate_ledger's ``inject``): each one is found in the files it wrote, exactly as
the summary's ``injected`` describes it, recomputed from the JSON lines with Decimal arithmetic."""

import csv
import datetime as dt
import hashlib
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from reporter.generate import INJECT_PATTERNS, LONG_CONTEXT_FACTORS, generate_ledger
from test_generate import END, load_price_book, parse_ts, read_records, recompute_cost, tally, to_decimal

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ARGS = dict(events=20000, days=30, seed=3, tenants=2, bad_rate=0.02, end=END)
WASTED = ("failed", "rejected", "escalated")


def latest_by_event(records):
    """{event_id: latest version} over the valid records, and the tally of the files."""
    valid, truth = tally(records)
    latest = {}
    for r in valid:
        if r["event_id"] not in latest or r["version"] > latest[r["event_id"]]["version"]:
            latest[r["event_id"]] = r
    return latest, truth


def day_of(r):
    return parse_ts(r["occurred_at"]).date()


def cost(rows):
    return sum((to_decimal(r["cost_usd"]) for r in rows), Decimal(0))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("patterns")
    base = generate_ledger(root / "base", **ARGS)
    planted = generate_ledger(root / "planted", inject=INJECT_PATTERNS, **ARGS)
    base_records, planted_records = read_records(base.files), read_records(planted.files)
    return dict(base=base, planted=planted, base_records=base_records, planted_records=planted_records,
                base_latest=latest_by_event(base_records)[0], latest=latest_by_event(planted_records)[0])


def first_tenant(runs, key="latest", **match):
    tenant = runs["planted"].tenants[0]
    return [r for r in runs[key].values()
            if r["tenant_id"] == tenant and all(r.get(k) == v for k, v in match.items())]


# ---------------------------------------------------------------------------------------------


def test_summary_reconciles_with_the_files(runs):
    s = runs["planted"]
    _, truth = latest_by_event(runs["planted_records"])
    assert set(s.injected) == set(INJECT_PATTERNS)
    assert truth["events"] == s.events == s.latest_versions
    assert truth["replays"] == s.replays and truth["superseded"] == s.superseded_versions
    assert truth["reasons"] == s.bad_records_by_reason
    assert truth["total"] == s.total_cost_usd_latest
    assert s.records_written == len(runs["planted_records"])
    added = s.injected["retry-storm"]["attempts"] + s.injected["budget-overrun"]["events_added"]
    assert s.events == ARGS["events"] + added
    # distinct targets: the budget's department owns none of the planted workflows
    workflows = [s.injected[p]["workflow"] for p in ("model-shift", "retry-storm", "long-context", "failing-workflow")]
    assert len(set(workflows)) == 4
    with open(SEEDS / "owner_workflows.csv", newline="") as fh:
        owners = {r["workflow"]: r["owning_department"] for r in csv.DictReader(fh)}
    assert s.injected["budget-overrun"]["department"] not in {owners[w] for w in workflows}


def test_every_cost_still_matches_the_price_book(runs):
    book = load_price_book()
    for r in runs["latest"].values():
        assert recompute_cost(book, r)[0] == to_decimal(r["cost_usd"]), r


def test_untouched_events_are_as_without_injection(runs):
    s = runs["planted"].injected
    touched_workflows = {s["model-shift"]["workflow"], s["failing-workflow"]["workflow"]}
    touched_ids = set(s["long-context"]["event_ids"])
    tenant = runs["planted"].tenants[0]
    planted_lines = {line for _, line, r in runs["planted_records"] if r is not None}
    kept = 0
    for _, line, r in runs["base_records"]:
        if r is None or r.get("event_id") not in runs["base_latest"]:
            continue  # bad records are numbered after the added events
        if r["event_id"] in touched_ids or (r["tenant_id"] == tenant and r.get("workflow") in touched_workflows):
            continue
        assert line in planted_lines
        kept += 1
    assert kept > 0.8 * len(runs["base_records"])


def test_model_shift(runs):
    m = runs["planted"].injected["model-shift"]
    assert set(m) == {"tenant_id", "workflow", "department", "vendor", "old_model", "new_model", "switch_day",
                      "events_moved", "cost_before_usd", "cost_after_usd"}
    assert m["switch_day"] == runs["planted"].first_day + dt.timedelta(days=ARGS["days"] // 2)
    rows = first_tenant(runs, workflow=m["workflow"])
    before = Counter(r["model_requested"] for r in rows if day_of(r) < m["switch_day"])
    after = Counter(r["model_requested"] for r in rows if day_of(r) >= m["switch_day"])
    assert before.most_common(1)[0][0] == m["old_model"] and before[m["new_model"]] < 0.1 * before[m["old_model"]]
    assert after[m["old_model"]] == 0 and after.most_common(1)[0][0] == m["new_model"]
    assert all(r["vendor"] == m["vendor"] for r in rows if r["model_requested"] == m["new_model"])
    # the moved calls are exactly the old-model calls from the switch day on, in the run without injection
    old = first_tenant(runs, "base_latest", workflow=m["workflow"], model_requested=m["old_model"])
    moved = [r["event_id"] for r in old if day_of(r) >= m["switch_day"]]
    assert len(moved) == m["events_moved"] > 20
    assert all(runs["latest"][e]["model_requested"] == m["new_model"] for e in moved)
    for e in moved:  # the model used changes with it (a fallback stays a fallback, at the same vendor)
        used = runs["latest"][e]["model_used"]
        assert (used == m["new_model"]) == (runs["base_latest"][e]["model_used"] == m["old_model"])
        assert runs["latest"][e]["vendor"] == m["vendor"]
    assert cost(runs["base_latest"][e] for e in moved) == m["cost_before_usd"]
    assert cost(runs["latest"][e] for e in moved) == m["cost_after_usd"] > 2 * m["cost_before_usd"]


def test_retry_storm(runs):
    st = runs["planted"].injected["retry-storm"]
    assert set(st) == {"tenant_id", "workflow", "department", "vendor", "model", "day", "traces", "attempts",
                       "retry_attempts", "min_attempts", "max_attempts", "retry_cost_usd", "cost_usd", "trace_ids"}
    traces = defaultdict(list)
    for r in runs["latest"].values():
        if r["trace_id"] in set(st["trace_ids"]):
            traces[r["trace_id"]].append(r)
    assert len(traces) == len(st["trace_ids"]) == st["traces"] >= 20
    sizes = [len(t) for t in traces.values()]
    assert sum(sizes) == st["attempts"]
    assert 5 <= min(sizes) == st["min_attempts"] <= max(sizes) == st["max_attempts"] <= 8
    retries = [r for t in traces.values() for r in t if r.get("attempt", 1) > 1]
    assert len(retries) == st["retry_attempts"] == st["attempts"] - st["traces"]
    assert cost(retries) == st["retry_cost_usd"]
    assert cost(r for t in traces.values() for r in t) == st["cost_usd"]
    for t in traces.values():
        assert sorted(r.get("attempt", 1) for r in t) == list(range(1, len(t) + 1))
        assert {(r["tenant_id"], r["workflow"], r["department"], r["model_requested"], day_of(r)) for r in t} == \
            {(st["tenant_id"], st["workflow"], st["department"], st["model"], st["day"])}
    # attempts that were retried mostly failed
    early = Counter(r.get("outcome") for t in traces.values() for r in t
                    if r.get("attempt", 1) < len(t) and "outcome" in r)
    assert early["failed"] > 0.7 * sum(early.values())
    # a burst: that day the workflow ran far more calls than on any other day
    per_day = Counter(day_of(r) for r in first_tenant(runs, workflow=st["workflow"]))
    assert per_day[st["day"]] > 2 * max(n for d, n in per_day.items() if d != st["day"])


def test_long_context(runs):
    lc = runs["planted"].injected["long-context"]
    assert set(lc) == {"tenant_id", "workflow", "department", "vendor", "model", "event_ids", "input_tokens",
                       "median_input_tokens", "baseline_events", "cost_usd"}
    group = first_tenant(runs, workflow=lc["workflow"], model_used=lc["model"])
    assert len(group) == lc["baseline_events"] >= 300
    median = statistics.median(r["input_tokens"] for r in group)
    assert Decimal(median) == lc["median_input_tokens"]
    outliers = [runs["latest"][e] for e in lc["event_ids"]]
    assert len(outliers) == 20
    assert [r["input_tokens"] for r in outliers] == list(lc["input_tokens"])
    low, high = LONG_CONTEXT_FACTORS
    assert all(low * median <= r["input_tokens"] <= high * median + 1 for r in outliers)
    assert cost(outliers) == lc["cost_usd"]


def test_failing_workflow(runs):
    fw = runs["planted"].injected["failing-workflow"]
    assert set(fw) == {"tenant_id", "workflow", "department", "events", "known_outcomes", "outcomes",
                       "failed_or_rejected_share", "wasted_events", "wasted_spend_usd", "cost_usd"}
    rows = first_tenant(runs, workflow=fw["workflow"])
    known = Counter(r["outcome"] for r in rows if "outcome" in r)
    assert len(rows) == fw["events"] and sum(known.values()) == fw["known_outcomes"] and dict(known) == {
        k: v for k, v in fw["outcomes"].items() if v}
    share = (known["failed"] + known["rejected"]) / sum(known.values())
    assert share == pytest.approx(fw["failed_or_rejected_share"]) and share > 0.6
    wasted = [r for r in rows if r.get("outcome") in WASTED]
    assert len(wasted) == fw["wasted_events"] and cost(wasted) == fw["wasted_spend_usd"]
    assert cost(rows) == fw["cost_usd"]
    # the other workflows of the tenant mostly succeed
    others = Counter(r["outcome"] for r in first_tenant(runs) if r.get("workflow") != fw["workflow"] and "outcome" in r)
    assert (others["failed"] + others["rejected"]) / sum(others.values()) < 0.3


def test_budget_overrun(runs):
    b = runs["planted"].injected["budget-overrun"]
    assert set(b) == {"tenant_id", "department", "budget_id", "month", "budget_usd", "spend_by_day", "month_spend_usd",
                      "base_month_spend_usd", "exhausted_day", "events_added", "department_spend_by_month"}
    assert b["budget_id"] == f"bud_{b['department']}_monthly" and b["month"].day == 1
    with open(SEEDS / "budgets.csv", newline="") as fh:
        amounts = {(r["tenant_id"], r["budget_id"], r["month"]): Decimal(r["amount_usd"]) for r in csv.DictReader(fh)}
    amount = amounts[(b["tenant_id"], b["budget_id"], b["month"].isoformat())]
    assert b["budget_usd"] == amount

    def spend_by_day(key):
        by_day = defaultdict(Decimal)
        for r in first_tenant(runs, key, budget_id=b["budget_id"]):
            if day_of(r).replace(day=1) == b["month"]:
                by_day[day_of(r)] += to_decimal(r["cost_usd"])
        return by_day

    planted = spend_by_day("latest")
    assert {d: v for d, v in b["spend_by_day"].items() if v} == dict(planted)
    assert sum(planted.values()) == b["month_spend_usd"] > amount
    base = sum(spend_by_day("base_latest").values())
    assert base == b["base_month_spend_usd"] < amount  # the budget held without the ramp
    # it runs out before the month ends, on the recorded day
    running, exhausted = Decimal(0), None
    for day in sorted(b["spend_by_day"]):
        running += b["spend_by_day"][day]
        if exhausted is None and running >= amount:
            exhausted = day
    month_end = (b["month"] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    assert exhausted == b["exhausted_day"] < month_end
    # and the spend ramps: the later half of the month's days costs more than the earlier half
    days = sorted(b["spend_by_day"])
    half = len(days) // 2
    assert sum(b["spend_by_day"][d] for d in days[-half:]) > sum(b["spend_by_day"][d] for d in days[:half])
    # the department's spend per month, charged to the budget or not
    by_month = defaultdict(Decimal)
    for r in first_tenant(runs, department=b["department"]):
        by_month[day_of(r).replace(day=1)] += to_decimal(r["cost_usd"])
    assert dict(by_month) == b["department_spend_by_month"]


# ---------------------------------------------------------------------------------------------


def test_no_injection_is_byte_identical(tmp_path):
    kw = dict(events=600, days=3, seed=11, tenants=2, bad_rate=0.05, end=END)
    a = generate_ledger(tmp_path / "a", **kw)
    b = generate_ledger(tmp_path / "b", inject=(), **kw)
    joined = lambda s: b"".join(Path(f).read_bytes() for f in s.files)  # noqa: E731
    assert joined(a) == joined(b) and a.injected == b.injected == {}
    # the bytes the generator wrote before patterns existed
    assert hashlib.sha256(joined(a)).hexdigest() == "6c9121345275ae02345ce0567d438c1aaebbdff0f18b10754bc51d8c79b09ba4"


def test_targets_do_not_depend_on_other_patterns(tmp_path, runs):
    kw = dict(ARGS, events=6000)
    one = generate_ledger(tmp_path / "one", inject=("model-shift",), **kw)
    both = generate_ledger(tmp_path / "both", inject=("failing-workflow", "model-shift"), **kw)
    assert set(one.injected) == {"model-shift"} and one.injected["model-shift"] == both.injected["model-shift"]
    assert one.events == both.events == 6000
    again = generate_ledger(tmp_path / "again", inject=("failing-workflow", "model-shift"), **kw)
    assert [Path(f).read_bytes() for f in again.files] == [Path(f).read_bytes() for f in both.files]


def test_parquet_with_every_pattern(tmp_path):
    kw = dict(ARGS, events=6000, inject=INJECT_PATTERNS)
    j = generate_ledger(tmp_path / "j", **kw)
    p = generate_ledger(tmp_path / "p", fmt="parquet", **kw)
    shape = lambda s: (s.events, s.records_written, s.total_cost_usd_latest)  # noqa: E731
    assert shape(p) == shape(j)
    assert p.injected == j.injected


@pytest.mark.parametrize("inject", [("nope",), "model-shift", ("model-shift", 3), None])
def test_bad_patterns(tmp_path, inject):
    with pytest.raises(ValueError):
        generate_ledger(tmp_path / "x", events=100, days=3, end=END, inject=inject)
    assert not (tmp_path / "x").exists()


def test_pattern_that_cannot_be_planted(tmp_path):
    with pytest.raises(ValueError, match="model-shift"):
        generate_ledger(tmp_path / "x", events=500, days=1, end=END, inject=("model-shift",))
    assert not (tmp_path / "x").exists()
