"""What the ledger held: records read and how each was classified, from the reconciliation mart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .contract import UNKNOWN_TENANT
from .warehouse import open_warehouse


@dataclass(frozen=True)
class ReconciliationSummary:
    tenants: int
    records_read: int
    latest_records: int
    superseded_records: int
    replay_records: int
    quarantined_records: int
    latest_cost_usd: Decimal
    first_day: object
    last_day: object


def reconciliation_summary(database: Path) -> ReconciliationSummary:
    with open_warehouse(str(database)) as warehouse:
        _, rows = warehouse.query(
            f"""
            select
                count(distinct tenant_id) filter (where tenant_id <> '{UNKNOWN_TENANT}'),
                sum(records_read), sum(latest_records), sum(superseded_records),
                sum(replay_records), sum(quarantined_records), sum(latest_cost_usd),
                min(ledger_date), max(ledger_date)
            from main.rpt_ledger_reconciliation
            """
        )
    return ReconciliationSummary(*rows[0])


def format_summary(summary: ReconciliationSummary) -> str:
    return "\n".join([
        f"Ledger {summary.first_day} to {summary.last_day}, {summary.tenants} tenant(s)",
        f"  records read        {summary.records_read:>12,}",
        f"  latest versions     {summary.latest_records:>12,}   spend ${summary.latest_cost_usd:,.2f}",
        f"  superseded versions {summary.superseded_records:>12,}",
        f"  replays             {summary.replay_records:>12,}",
        f"  quarantined         {summary.quarantined_records:>12,}",
    ])
