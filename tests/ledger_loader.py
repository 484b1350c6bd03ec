"""Test and CI tooling: load a ledger into a PostgreSQL table, as the meter would have written it.

Monitor never writes the ledger. This loader exists so that tests and CI can put a generated
ledger (bad records included) in a real warehouse table and check that validation, quarantine
and every report run there exactly as they do on the embedded DuckDB target.

The records are read with the project's own file-reading SQL: a DuckDB database built from the
ledger files (`p402-monitor build --ledger … --duckdb FILE`) holds them as the view
`p402_ledger.ledger_records` (macros/ledger/ledger_files_select.sql), every field as text. Its
rows are streamed into the table with COPY, unchanged, so that a malformed line or an impossible
timestamp reaches the warehouse as text, to be quarantined there.

    python tests/ledger_loader.py --duckdb monitor.duckdb --schema meter --table ledger_records
(connection from P402_PG_HOST/PORT/DATABASE and P402_PG_METER_USER/PASSWORD)
"""

from __future__ import annotations

import argparse
import io
import os

import duckdb
import psycopg2
from psycopg2 import sql

LEDGER_VIEW = "p402_ledger.ledger_records"
FIELDS = (
    "event_id", "version", "recorded_at", "occurred_at", "tenant_id", "department",
    "employee_id", "workflow", "customer_id", "vendor", "model_requested", "model_used",
    "input_tokens", "output_tokens", "cached_input_tokens", "cost_usd", "latency_ms",
    "budget_id", "policy_result", "outcome", "receipt_status", "evidence_status",
    "privacy_mode", "prompt_fingerprint", "response_fingerprint", "trace_id", "attempt",
    "labels",
)
COLUMNS = ("source_file", "source_line", "is_malformed_json", *FIELDS)
# The meter may keep content in the same table; the loader leaves these columns empty.
CONTENT_COLUMNS = ("prompt", "response")
# What a ledger reader is granted: the columns Monitor reads, by name (docs/warehouses.md).
READER_COLUMNS = tuple(column for column in COLUMNS if column not in ("prompt_fingerprint", "response_fingerprint"))
BATCH_ROWS = 50_000


def connect_as_meter():
    """A connection as the ledger's owner, from the environment scripts/postgres-server.sh exports."""
    return psycopg2.connect(
        host=os.environ.get("P402_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("P402_PG_PORT", "5432")),
        dbname=os.environ.get("P402_PG_DATABASE", "p402"),
        user=os.environ.get("P402_PG_METER_USER", "p402_meter"),
        password=os.environ.get("P402_PG_METER_PASSWORD", ""),
    )


def create_ledger_table(connection, schema: str, table: str, reader_role: str | None = None) -> None:
    """The contract's table: every field text, plus where each record came from. Replaces any old one.

    `reader_role` is given what a read-only ledger reader needs: USAGE on the schema, and SELECT
    on the columns Monitor reads and no others, so that a build which touched content (or a
    fingerprint) would fail for want of privilege.
    """
    columns = [
        sql.SQL("source_file text not null"),
        sql.SQL("source_line bigint not null"),
        sql.SQL("is_malformed_json boolean not null"),
        *[sql.SQL("{} text").format(sql.Identifier(field)) for field in FIELDS + CONTENT_COLUMNS],
    ]
    relation = sql.Identifier(schema, table)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("drop table if exists {}").format(relation))
        cursor.execute(sql.SQL("create table {} ({})").format(relation, sql.SQL(", ").join(columns)))
        if reader_role:
            cursor.execute(sql.SQL("grant usage on schema {} to {}").format(
                sql.Identifier(schema), sql.Identifier(reader_role)))
            cursor.execute(sql.SQL("grant select ({}) on {} to {}").format(
                sql.SQL(", ").join(sql.Identifier(column) for column in READER_COLUMNS), relation,
                sql.Identifier(reader_role)))
    connection.commit()


def copy_text(value) -> str:
    """One value in COPY's text format: \\N for null, backslash escapes for the separators."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return (
        str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def load_ledger(duckdb_database, connection, schema: str, table: str, reader_role: str | None = None) -> int:
    """Copy every record of the DuckDB database's ledger view into schema.table; return how many."""
    create_ledger_table(connection, schema, table, reader_role)
    copy = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(schema, table), sql.SQL(", ").join(sql.Identifier(column) for column in COLUMNS)
    ).as_string(connection)
    loaded = 0
    with duckdb.connect(str(duckdb_database), read_only=True) as source:
        cursor = source.execute(
            f"select {', '.join(COLUMNS)} from {LEDGER_VIEW} order by source_file, source_line"
        )
        with connection.cursor() as target:
            while rows := cursor.fetchmany(BATCH_ROWS):
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join(copy_text(value) for value in row) + "\n")
                buffer.seek(0)
                target.copy_expert(copy, buffer)
                loaded += len(rows)
    connection.commit()
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", required=True, help="a database built from the ledger files")
    parser.add_argument("--schema", default="meter")
    parser.add_argument("--table", default="ledger_records")
    parser.add_argument("--reader-role", default=os.environ.get("P402_PG_USER"),
                        help="role granted read access (default: $P402_PG_USER)")
    arguments = parser.parse_args()
    with connect_as_meter() as connection:
        loaded = load_ledger(arguments.duckdb, connection, arguments.schema, arguments.table,
                             arguments.reader_role)
    print(f"loaded {loaded} records into {arguments.schema}.{arguments.table}")


if __name__ == "__main__":
    main()
