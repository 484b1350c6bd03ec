"""Reading the ledger: UTC days, file formats, nested folders, and `--as-of` reproduction."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import RESOLVED_EVENTS, build, ledger_record as record, query
from reporter.generate import generate_ledger

EVENT_COLUMNS = """
    event_id, tenant_id, trace_id, budget_id, customer_id, employee_id, department, workflow,
    vendor, model_requested, model_used, policy_result, outcome, receipt_status, evidence_status,
    privacy_mode, version, records_delivered, input_tokens, output_tokens, cached_input_tokens,
    cost_usd, latency_ms, attempt, occurred_date, occurred_at, first_recorded_at, recorded_at
"""


def resolved_events(database):
    return query(database, f"select {EVENT_COLUMNS} from {RESOLVED_EVENTS} order by event_id")


def class_totals(database):
    return query(database, """
        select sum(records_read), sum(latest_records), sum(superseded_records),
               sum(replay_records), sum(quarantined_records), sum(latest_cost_usd)
        from main.rpt_ledger_reconciliation
    """)


def reconciliation_totals(database):
    return query(database, """
        select tenant_id, ledger_date, records_read, latest_records, superseded_records,
               replay_records, quarantined_records, latest_cost_usd
        from main.rpt_ledger_reconciliation order by all
    """)


def test_offsets_land_on_the_right_utc_day(tmp_path):
    ledger = tmp_path / "ledger" / "nested" / "deeper"
    ledger.mkdir(parents=True)
    records = [
        record("late_evening_new_york", "2026-11-26T22:30:00-05:00"),   # 03:30 UTC on the 27th
        record("early_morning_paris", "2026-11-27T00:30:00.250+01:00"),  # 23:30 UTC on the 26th
        record("kolkata", "2026-11-27T05:29:59+05:30"),                  # 23:59:59 UTC on the 26th
        record("utc_with_fraction", "2026-11-27T00:00:00.000001Z"),
    ]
    (ledger / "part.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    database = tmp_path / "monitor.duckdb"
    build(tmp_path / "ledger", database)
    days = dict(query(database, f"select event_id, occurred_date from {RESOLVED_EVENTS}"))
    assert days == {
        "late_evening_new_york": date(2026, 11, 27),
        "early_morning_paris": date(2026, 11, 26),
        "kolkata": date(2026, 11, 26),
        "utc_with_fraction": date(2026, 11, 27),
    }


def test_jsonl_jsonl_gz_and_parquet_give_identical_results(tmp_path):
    arguments = dict(events=1500, days=20, seed=5, tenants=2, bad_rate=0.03, end=date(2026, 10, 31))
    databases = {}
    for file_format in ("jsonl", "jsonl.gz", "parquet"):
        generate_ledger(tmp_path / file_format / "ledger", fmt=file_format, **arguments)
        databases[file_format] = tmp_path / file_format / "monitor.duckdb"
        build(tmp_path / file_format / "ledger", databases[file_format])
    jsonl_events = resolved_events(databases["jsonl"])
    assert len(jsonl_events) == 1500
    assert resolved_events(databases["jsonl.gz"]) == jsonl_events
    assert resolved_events(databases["parquet"]) == jsonl_events
    assert reconciliation_totals(databases["jsonl.gz"]) == reconciliation_totals(databases["jsonl"])
    # A Parquet row cannot be truncated JSON: the generator writes those records bad another way,
    # so the days they are reconciled on may differ, but not the counts.
    assert class_totals(databases["parquet"]) == class_totals(databases["jsonl"])


def test_a_mixed_folder_of_jsonl_and_parquet_reads_both(tmp_path):
    generate_ledger(tmp_path / "a", events=300, days=5, seed=1, bad_rate=0, end=date(2026, 10, 31))
    generate_ledger(tmp_path / "b", events=200, days=5, seed=2, fmt="parquet", bad_rate=0,
                    end=date(2026, 9, 30))
    ledger = tmp_path / "ledger"
    shutil.copytree(tmp_path / "a", ledger / "jsonl")
    shutil.copytree(tmp_path / "b", ledger / "parquet")
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    (events,), = query(database, "select count(*) from main_intermediate.int_ledger_events_resolved")
    assert events == 500


def parse_instant(text):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


def staged_records(database, ledger):
    """Every staged record at full width, with its file named relative to the ledger folder."""
    return query(database, """
        select replace(source_file, ?, '') as file, * exclude (source_file, source_file_bytes, staged_at)
        from main_staging.stg_ledger__records order by file, source_line
    """, [str(ledger)])


def test_parquet_integers_stored_as_integers_or_as_text_stage_alike(tmp_path):
    """Integer columns skip the text parse (macros/ledger/ledger_files_select.sql): the same
    records, bad ones included, must stage identically whichever way the file stores them."""
    typed, text = tmp_path / "typed", tmp_path / "text"
    generate_ledger(typed, events=1500, days=10, seed=7, tenants=2, fmt="parquet", bad_rate=0.05,
                    end=date(2026, 10, 31))
    integer_fields = ["version", "input_tokens", "output_tokens", "cached_input_tokens", "latency_ms", "attempt"]
    for file in sorted(typed.rglob("*.parquet")):
        table = pq.read_table(file)
        for field in integer_fields:
            table = table.set_column(table.schema.get_field_index(field), field,
                                     table[field].cast(pa.string()))
        (text / file.relative_to(typed)).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, text / file.relative_to(typed))
    for ledger in (typed, text):
        build(ledger, tmp_path / f"{ledger.name}.duckdb")

    def integer_columns(database):
        return query(database, """
            select column_name from information_schema.columns
            where table_schema = 'p402_ledger' and column_name like '%\\_integer' escape '\\'
            order by all
        """)

    assert integer_columns(tmp_path / "typed.duckdb") == sorted((f"{field}_integer",) for field in integer_fields)
    assert integer_columns(tmp_path / "text.duckdb") == []
    reasons = dict(query(tmp_path / "typed.duckdb", """
        select quarantine_reason, count(*) from main_staging.stg_ledger__records group by 1
    """))
    assert reasons["bad_version"] > 0 and reasons["bad_tokens"] > 0
    assert staged_records(tmp_path / "typed.duckdb", typed) == staged_records(tmp_path / "text.duckdb", text)
    assert class_totals(tmp_path / "typed.duckdb") == class_totals(tmp_path / "text.duckdb")


def test_parquet_costs_stored_as_floats_stage_like_the_same_json_numbers(tmp_path):
    """A binary float's shortest text is scientific for small costs (1.5e-05): such a cost is
    read to the ninth place as the JSON number is, and one that needs more places is bad_cost
    in both."""
    costs = {"evt_small": 0.000015, "evt_quarter": 0.25, "evt_eight_places": 123456789.12345679,
             "evt_too_fine": 1.5e-15, "evt_negative": -0.000015}
    records = [record(event_id, "2026-10-30T08:00:00Z", recorded_at="2026-10-30T08:00:01Z", cost_usd=cost)
               for event_id, cost in costs.items()]
    records += [record(f"evt_filler_{index}", "2026-10-30T08:00:00Z", recorded_at="2026-10-30T08:00:01Z",
                       cost_usd=0.5) for index in range(20)]
    for ledger, write in (("json", lambda path: path.write_text(
                              "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")),
                          ("parquet", lambda path: pq.write_table(pa.Table.from_pylist(records), path))):
        (tmp_path / ledger).mkdir()
        write(tmp_path / ledger / f"part.{'jsonl' if ledger == 'json' else 'parquet'}")
        build(tmp_path / ledger, tmp_path / f"{ledger}.duckdb")
    assert pq.read_schema(tmp_path / "parquet" / "part.parquet").field("cost_usd").type == pa.float64()

    def staged_costs(database):
        return query(database, """
            select event_id, cost_usd, quarantine_reason from main_staging.stg_ledger__records
            where event_id not like 'evt_filler%' order by event_id""")

    assert staged_costs(tmp_path / "parquet.duckdb") == staged_costs(tmp_path / "json.duckdb") == [
        ("evt_eight_places", Decimal("123456789.123456790"), None),
        ("evt_negative", Decimal("-0.000015000"), "negative_cost"),
        ("evt_quarter", Decimal("0.250000000"), None),
        ("evt_small", Decimal("0.000015000"), None),
        ("evt_too_fine", None, "bad_cost"),
    ]


def test_json_costs_are_read_exactly_in_every_form_json_allows(tmp_path):
    """A JSON number may carry an exponent, and an unknown field may hold a cost_usd of its own:
    the record's cost is still its own top-level number, exactly, or bad_cost when the line
    cannot say which number it was. Places beyond the ninth may be zeros."""
    lines = {
        "evt_exponent": '"cost_usd": 2e-09',
        "evt_exponent_upper": '"cost_usd": 1.5E+3',
        "evt_exponent_too_fine": '"cost_usd": 15e-10',
        "evt_trailing_zeros": '"cost_usd": "0.500000000000"',
        "evt_unknown_field_first": '"meta": {"cost_usd": 0.10000000000000001}, "cost_usd": 0.1',
        "evt_unknown_field_after": '"cost_usd": 0.25, "meta": {"cost_usd": 7}',
        "evt_unknown_field_same_double":
            '"meta": {"cost_usd": 123456789012345678.0}, "cost_usd": 123456789012345678.5',
        "evt_string_beside_unknown_number": '"cost_usd": "0.1", "meta": {"cost_usd": 0.10000000000000001}',
        "evt_deeper_unknown_field": '"a": [{"b": {"cost_usd": 0.10}}], "cost_usd": 0.1000',
        "evt_cost_key_twice": '"cost_usd": 0.1, "cost_usd": 0.2',
        "evt_braces_in_strings":
            '"note": "def f(): return {", "cost_usd": 123456789.123456789, "x": {"y": "}", "cost_usd": 2}',
        "evt_deep_unknown_field": '"cost_usd": 0.1, "x": {"cost_usd": 2, "b": {"c": {"d": {"e": {}}}}}',
    }
    base = record("placeholder", "2026-10-30T08:00:00Z", recorded_at="2026-10-30T08:00:01Z")
    del base["cost_usd"]
    text = "".join(
        json.dumps({**base, "event_id": event_id})[:-1] + ", " + cost + "}\n" for event_id, cost in lines.items()
    )
    text += ' {"cost_usd": 123456789.123456789, ' + json.dumps({**base, "event_id": "evt_leading_space"})[1:-1] \
        + ', "x": {"cost_usd": 2}}\n'

    text += "".join(json.dumps({**base, "event_id": f"evt_filler_{index}", "cost_usd": 0.5}) + "\n"
                    for index in range(30))
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "part.jsonl").write_text(text, encoding="utf-8")
    (tmp_path / "parquet").mkdir()
    # A Parquet decimal(20, 12) column writes 0.5 as 0.500000000000.
    pq.write_table(pa.table({**{name: [value] for name, value in base.items()},
                             "event_id": ["evt_parquet_decimal"],
                             "cost_usd": pa.array([Decimal("0.5")], pa.decimal128(20, 12))}),
                   tmp_path / "parquet" / "part.parquet")
    build(tmp_path, tmp_path / "monitor.duckdb")
    staged = dict((event_id, (cost, reason)) for event_id, cost, reason in query(tmp_path / "monitor.duckdb", """
        select event_id, cost_usd, quarantine_reason from main_staging.stg_ledger__records
        where event_id not like 'evt_filler%'"""))
    assert staged == {
        "evt_exponent": (Decimal("0.000000002"), None),
        "evt_exponent_upper": (Decimal("1500"), None),
        "evt_exponent_too_fine": (None, "bad_cost"),
        "evt_trailing_zeros": (Decimal("0.5"), None),
        "evt_unknown_field_first": (Decimal("0.1"), None),
        "evt_unknown_field_after": (Decimal("0.25"), None),
        "evt_unknown_field_same_double": (Decimal("123456789012345678.5"), None),
        "evt_deeper_unknown_field": (Decimal("0.1"), None),
        "evt_cost_key_twice": (None, "bad_cost"),
        "evt_braces_in_strings": (Decimal("123456789.123456789"), None),
        "evt_deep_unknown_field": (Decimal("0.1"), None),
        "evt_leading_space": (Decimal("123456789.123456789"), None),
        "evt_string_beside_unknown_number": (Decimal("0.1"), None),
        "evt_parquet_decimal": (Decimal("0.5"), None),
    }


def test_as_of_reproduces_the_ledger_as_it_stood(tmp_path):
    generate_ledger(tmp_path / "full", events=2000, days=20, seed=9, bad_rate=0.03, end=date(2026, 10, 31))
    cutoff = datetime(2026, 10, 22, 12, 0, tzinfo=timezone.utc)

    # The ledger as it stood at the cut-off: only the lines already written then.
    for file in sorted((tmp_path / "full").rglob("*.jsonl")):
        kept = []
        for line in file.read_text(encoding="utf-8").splitlines(keepends=True):
            try:
                recorded_at = parse_instant(json.loads(line).get("recorded_at"))
            except (json.JSONDecodeError, AttributeError):
                continue
            if recorded_at is not None and recorded_at <= cutoff:
                kept.append(line)
        if kept:
            target = tmp_path / "past" / file.relative_to(tmp_path / "full")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(kept), encoding="utf-8")

    build(tmp_path / "past", tmp_path / "past.duckdb")
    build(tmp_path / "full", tmp_path / "as_of.duckdb", "--as-of", "2026-10-22T13:00:00+01:00")
    build(tmp_path / "full", tmp_path / "now.duckdb")

    past = resolved_events(tmp_path / "past.duckdb")
    assert resolved_events(tmp_path / "as_of.duckdb") == past
    assert reconciliation_totals(tmp_path / "as_of.duckdb") == reconciliation_totals(tmp_path / "past.duckdb")
    assert resolved_events(tmp_path / "now.duckdb") != past


def test_a_gzip_file_and_a_parquet_file_are_read_like_any_other(tmp_path):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    with gzip.open(ledger / "a.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record("gz_event", "2026-11-26T10:00:00Z")) + "\n")
    generate_ledger(tmp_path / "pq", events=10, days=1, seed=3, fmt="parquet", bad_rate=0,
                    end=date(2026, 11, 26))
    for index, file in enumerate(sorted((tmp_path / "pq").rglob("*.parquet"))):
        shutil.copy(file, ledger / f"b{index}.parquet")
    assert pq.read_table(next(ledger.glob("*.parquet"))).num_rows > 0
    database = tmp_path / "monitor.duckdb"
    build(ledger, database)
    (events,), = query(database, "select count(*) from main_intermediate.int_ledger_events_resolved")
    assert events == 11
