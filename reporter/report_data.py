"""Everything a finance report bundle shows, gathered once and handed to the CSV and PDF writers.

Money is Decimal and counts are int throughout; the writers format, they never compute totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass
class Table:
    """A complete result: `columns`, and `rows` in display order (largest cost first).

    `dimensions` are the leading columns that identify a row; the rest are measures.
    """
    columns: list[str]
    rows: list[list]
    dimensions: tuple[str, ...]

    def column(self, name: str) -> list:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


@dataclass
class ViewSection:
    key: str           # file stem and anchor: "department" -> csv/by_department.csv
    title: str         # "Spend by department"
    summary: str       # one plain-language sentence about the view
    table: Table       # complete, as in the CSV
    extra: Table | None = None   # a second table where the view has one (model substitutions)


@dataclass
class DriftSection:
    dimension: str
    table: Table                      # every member, as in csv/drift_<dimension>.csv
    psi: float
    totals: dict[str, Decimal]        # baseline/current/delta cost and the three effects


@dataclass
class InsightSection:
    kind: str              # csv/insights_<kind>.csv
    title: str
    table: Table           # every finding, largest first
    findings: list[str]    # one plain-language line per row of the table


@dataclass
class Reconciliation:
    records_read: int
    latest_records: int
    superseded_records: int
    replay_records: int
    quarantined_records: int
    quarantined_by_reason: list[tuple[str, int, Decimal]]   # reason, records, readable cost
    latest_cost_usd: Decimal
    unattributed_cost_usd: Decimal
    # Records of the whole ledger whose tenant, or both of whose timestamps, cannot be read: no
    # tenant's report can hold them, so each report states how many there are.
    unassignable_records: int = 0


@dataclass
class ReportData:
    tenant: str
    period_start: date
    period_end: date
    baseline_start: date
    baseline_end: date
    filters: list[tuple[str, str]]
    as_of: datetime | None
    ledger_high_water_mark: datetime | None
    generated_at: datetime
    software_version: str
    total_events: int
    total_input_tokens: int
    total_output_tokens: int
    total_cost_usd: Decimal
    baseline_cost_usd: Decimal
    unattributed_cost_usd: Decimal
    largest_movers: list[tuple[str, str, Decimal, Decimal]]   # dimension, member, baseline, current cost
    views: list[ViewSection]
    drift: list[DriftSection]
    reconciliation: Reconciliation
    privacy: Table               # privacy_mode, events, cost_usd
    insights: list[InsightSection] = field(default_factory=list)

    @property
    def cost_delta_usd(self) -> Decimal:
        return self.total_cost_usd - self.baseline_cost_usd
