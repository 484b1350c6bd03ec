"""The privacy canary: content written to the ledger never reaches anything Monitor writes."""

from __future__ import annotations

import gzip
import json
from datetime import date

import duckdb
import pytest

from conftest import build, ledger_record, query, run_cli, write_ledger
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


def write_parquet_records(path, event_prefix: str, more_columns: str) -> None:
    """Three valid records (i = 1, 2, 3) in a Parquet file, with more columns as SQL over i."""
    with duckdb.connect() as connection:
        connection.execute(f"""
            copy (
                select '{event_prefix}' || i as event_id, 1 as version, '2026-11-27T12:00:00Z' as recorded_at,
                    '2026-11-27T09:00:00Z' as occurred_at, 'tnt_acme' as tenant_id, 'openai' as vendor,
                    'gpt-4o' as model_requested, 'gpt-4o' as model_used, 10 as input_tokens,
                    5 as output_tokens, '0.000075000' as cost_usd, 'verified' as receipt_status,
                    'complete' as evidence_status, 'metadata_only' as privacy_mode, {more_columns}
                from range(1, 4) as numbers (i)
            ) to '{path}'""")


def test_an_object_or_array_where_text_belongs_is_quarantined_and_never_kept(tmp_path):
    """A field the contract types as text (or a number) that holds an object or an array could
    carry content: the record is quarantined as nested_value and the value is never turned into
    text, from JSON Lines or from Parquet."""
    records = [
        ledger_record("evt_department", "2026-11-27T09:00:00Z", department={"prompt": MARKER}),
        ledger_record("evt_workflow", "2026-11-27T09:00:00Z", workflow=[MARKER]),
        ledger_record("evt_cost", "2026-11-27T09:00:00Z", cost_usd={"response": MARKER}),
        ledger_record("evt_nested_labels", "2026-11-27T09:00:00Z", labels={"team": {"prompt": MARKER}}),
        ledger_record("evt_text_labels", "2026-11-27T09:00:00Z", labels=MARKER),
        ledger_record("evt_plain_labels", "2026-11-27T09:00:00Z", labels={"team": "search", "tier": 2}),
        ledger_record("evt_bracketed_text", "2026-11-27T09:00:00Z", department="[legacy] Support"),
    ]
    ledger = write_ledger(tmp_path / "ledger", records)
    write_parquet_records(ledger / "part-0001.parquet", "evt_parquet_", f"""
        case when i = 1 then {{'prompt': '{MARKER}'}} end as customer_id,
        case when i = 2 then map {{'team': ['{MARKER}']}} end as labels""")
    # Columns of DuckDB's JSON type: a JSON string is text, an object or array is not kept.
    write_parquet_records(ledger / "part-0002.parquet", "evt_json_", f"""
        (case when i = 1 then '{{"prompt": "{MARKER}"}}' else '"Finance"' end)::json as department,
        case when i = 2 then map {{'team': '{{"prompt": "{MARKER}"}}'::json}}
            else map {{'team': '"search"'::json}} end as labels""")
    database = tmp_path / "monitor.duckdb"
    # Most of this small ledger is quarantined on purpose.
    result = build(ledger, database, "--vars", "{quarantine_share_limit: 1}")

    reasons = dict(query(database, "select event_id, quarantine_reason from main_staging.stg_ledger__records"))
    assert reasons == {
        "evt_department": "nested_value", "evt_workflow": "nested_value", "evt_cost": "nested_value",
        "evt_nested_labels": "nested_value", "evt_text_labels": "nested_value", "evt_plain_labels": None,
        "evt_bracketed_text": None,
        "evt_parquet_1": "nested_value", "evt_parquet_2": "nested_value", "evt_parquet_3": None,
        "evt_json_1": "nested_value", "evt_json_2": "nested_value", "evt_json_3": None,
    }
    assert query(database, """
        select department, labels_json from main_staging.stg_ledger__records where event_id = 'evt_json_3'
    """) == [("Finance", '{"team":"search"}')]
    assert query(database, """
        select labels_json from main_staging.stg_ledger__records where event_id = 'evt_plain_labels'
    """) == [('{"team":"search","tier":2}',)]
    assert query(database, "select department from main.fct_ai_events where event_id = 'evt_bracketed_text'") \
        == [("[legacy] Support",)]
    assert MARKER not in result.output
    for path in tmp_path.glob("monitor.duckdb*"):
        assert MARKER.encode() not in path.read_bytes(), path
    for folder in (project.PROJECT_DIR / "target", project.PROJECT_DIR / "logs"):
        assert files_containing(folder, MARKER.encode()) == []


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_a_line_that_cannot_be_read_as_text_is_quarantined_without_being_quoted(tmp_path, line_end):
    """A line that is not UTF-8, or is longer than 64 MiB, would stop DuckDB's reader with an
    error quoting the whole line, content and all. It is a malformed record instead, at its own
    line number, and the lines after it keep theirs, whether lines end with LF or CR LF."""
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    not_utf8 = ledger_record("evt_latin1", "2026-11-27T09:00:00Z", prompt=f"{MARKER} café")
    too_long = ledger_record("evt_too_long", "2026-11-27T09:00:00Z", prompt=MARKER + "x" * (65 * 1024 * 1024))
    lines = [
        json.dumps(ledger_record("evt_1", "2026-11-27T09:00:00Z")).encode(),
        json.dumps(not_utf8, ensure_ascii=False).encode("latin-1"),
        json.dumps(ledger_record("evt_3", "2026-11-27T09:00:00Z")).encode(),
        b"",
        json.dumps(too_long).encode(),
        json.dumps(ledger_record("evt_6", "2026-11-27T09:00:00Z")).encode(),
    ]
    (ledger / "part-0000.jsonl").write_bytes(line_end.join(lines) + line_end)
    with gzip.open(ledger / "part-0001.jsonl.gz", "wb") as compressed:
        compressed.write(lines[1] + line_end + lines[0].replace(b"evt_1", b"evt_gz") + line_end)
    database = tmp_path / "monitor.duckdb"
    result = build(ledger, database, "--vars", "{quarantine_share_limit: 1}")

    assert query(database, """
        select regexp_extract(source_file, '[^/]*$'), source_line, event_id, quarantine_reason
        from main_staging.stg_ledger__records order by 1, 2
    """) == [
        ("part-0000.jsonl", 1, "evt_1", None),
        ("part-0000.jsonl", 2, None, "malformed_json"),
        ("part-0000.jsonl", 3, "evt_3", None),
        ("part-0000.jsonl", 5, None, "malformed_json"),
        ("part-0000.jsonl", 6, "evt_6", None),
        ("part-0001.jsonl.gz", 1, None, "malformed_json"),
        ("part-0001.jsonl.gz", 2, "evt_gz", None),
    ]
    assert MARKER not in result.output
    for path in tmp_path.glob("monitor.duckdb*"):
        assert MARKER.encode() not in path.read_bytes(), path
    for folder in (project.PROJECT_DIR / "target", project.PROJECT_DIR / "logs"):
        assert files_containing(folder, MARKER.encode()) == []
