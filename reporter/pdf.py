"""The finance report's PDF: ReportData -> HTML (Jinja2, autoescaped) -> PDF (WeasyPrint).

This module decides what each page shows and formats every figure; the templates lay it out.
Tables show the largest N members, one "All others (k)" row for the rest and a "Total" row.
Every amount is its exact figure rounded to the cent, the same wherever it appears, so a column
of rounded rows may differ from its rounded total by a few cents; the CSV files carry the exact
figures, which add up exactly.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, localcontext
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import charts
from .output import money
from .report_data import DriftSection, ReportData, Table, ViewSection

TEMPLATES = Path(__file__).parent / "templates"
VIEW_MEASURES = ("events", "input_tokens", "output_tokens", "cost_usd", "cost_share")
DRIFT_MEASURES = ("baseline_cost_usd", "current_cost_usd", "cost_delta_usd", "cost_delta_pct",
                  "volume_effect_usd", "mix_effect_usd", "rate_effect_usd")
MAX_GENERIC_COLUMNS = 7
VENDOR_SHARE_SEGMENTS = 5
PRIVACY_STATEMENT = (
    "No prompt or response content is included in this report or its files: "
    "P402 Monitor reads only metering metadata and never reads a prompt or a response."
)
COLUMN_LABELS = {
    "events": "Events",
    "input_tokens": "Input tokens",
    "output_tokens": "Output tokens",
    "cost_usd": "Cost",
    "cost_share": "Share",
    "baseline_cost_usd": "Baseline",
    "current_cost_usd": "Current",
    "cost_delta_usd": "Change",
    "cost_delta_pct": "Change %",
    "volume_effect_usd": "Volume",
    "mix_effect_usd": "Mix",
    "rate_effect_usd": "Rate",
    "privacy_mode": "Privacy mode",
}
UNATTRIBUTED = "(unattributed)"


@dataclass(frozen=True)
class RenderTimings:
    """Seconds spent drawing the charts and laying out and writing the PDF."""
    charts: float
    pdf: float


@dataclass
class Cell:
    text: str
    numeric: bool = False
    muted: bool = False


@dataclass
class ShownTable:
    """A table as printed: header labels, member rows, and the closing rows."""
    headers: list[Cell]
    rows: list[list[Cell]] = field(default_factory=list)
    others: list[Cell] | None = None
    total: list[Cell] | None = None


def render_pdf(data: ReportData, path: Path, *, top_n: int = 10) -> RenderTimings:
    """Write the report for `data` to `path`; the same data always gives the same file."""
    from weasyprint import CSS, HTML   # imported here: loading it takes a while
    from weasyprint.urls import URLFetcher

    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, not {top_n}")
    started = time.perf_counter()
    drawn = draw_charts(data, top_n)
    charts_seconds = time.perf_counter() - started

    started = time.perf_counter()
    html = render_html(data, drawn, top_n)
    # The report embeds its own charts as data: URIs and fetches nothing else, file or network.
    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = HTML(string=html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=fetcher)
    document.write_pdf(Path(path), stylesheets=[CSS(filename=str(TEMPLATES / "report.css"))])
    return RenderTimings(charts=charts_seconds, pdf=time.perf_counter() - started)


# --- charts -----------------------------------------------------------------------------------

def draw_charts(data: ReportData, top_n: int) -> dict[str, str]:
    """Every chart as a `data:` URI of its SVG, keyed `view:<key>`, `drift:<dimension>`, `vendor_share`."""
    drawn = {}
    for view in data.views:
        labels, costs, others = _top_costs(view.table, top_n)
        if costs:
            drawn[f"view:{view.key}"] = _data_uri(charts.cost_bars(labels, costs, others_label=others))
    for section in data.drift:
        totals = section.totals
        drawn[f"drift:{section.dimension}"] = _data_uri(charts.drift_waterfall(
            totals.get("baseline_cost_usd", Decimal(0)), totals.get("volume_effect_usd", Decimal(0)),
            totals.get("mix_effect_usd", Decimal(0)), totals.get("rate_effect_usd", Decimal(0)),
            totals.get("current_cost_usd", Decimal(0)),
        ))
    vendor = next((view for view in data.views if view.key == "vendor"), None)
    if vendor is not None:
        labels, costs, others = _top_costs(vendor.table, VENDOR_SHARE_SEGMENTS)
        if sum(costs, Decimal(0)) > 0:
            drawn["vendor_share"] = _data_uri(charts.share_bar(labels, costs, others_label=others))
    return drawn


def _top_costs(table: Table, top_n: int) -> tuple[list[str], list[Decimal], str | None]:
    if "cost_usd" not in table.columns or not table.rows:
        return [], [], None
    costs = [_decimal(value) for value in table.column("cost_usd")]
    labels = [member_name(row, table) for row in table.rows]
    if len(costs) <= top_n:
        return labels, costs, None
    others = f"All others ({len(costs) - top_n})"
    return [*labels[:top_n], others], [*costs[:top_n], sum(costs[top_n:], Decimal(0))], others


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# --- figures ----------------------------------------------------------------------------------

def shares(costs: list[Decimal]) -> list[Decimal] | None:
    """Each cost's share of their sum (printed to a tenth of a percent, each on its own)."""
    total = sum(costs, Decimal(0))
    if total <= 0:
        return None
    with localcontext() as context:
        context.prec = 60
        return [cost / total for cost in costs]


def percent(fraction: Decimal | None) -> str:
    return "" if fraction is None else f"{fraction * 100:.1f}%"


def signed_money(value: Decimal) -> str:
    return ("+" if value > 0 else "") + money(value)


def signed_percent(points: Decimal | float | None) -> str:
    if points is None:
        return "new"
    return f"{Decimal(str(points)):+,.1f}%"


def count(value) -> str:
    return f"{int(value or 0):,}"


def change_percent(baseline: Decimal, current: Decimal) -> Decimal | None:
    if not baseline:
        return None
    return (current - baseline) * 100 / baseline


def member_name(row: list, table: Table) -> str:
    parts = [row[table.columns.index(name)] for name in table.dimensions]
    return " · ".join(UNATTRIBUTED if part is None or part == "" else str(part) for part in parts)


def _decimal(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def column_label(name: str) -> str:
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    text = name.removesuffix("_usd").replace("_", " ")
    return text[:1].upper() + text[1:]


def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def period_text(start: date, end: date) -> str:
    """`November 2026` for a calendar month, otherwise `3 November 2026 to 9 November 2026`."""
    following = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    if start.day == 1 and start.year == end.year and start.month == end.month and \
            (following - end).days == 1:
        return f"{start:%B %Y}"
    return f"{day(start)} to {day(end)}"


def moment(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def w3c_moment(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%dT%H:%M:%S}Z"


# --- tables -----------------------------------------------------------------------------------

def _kind(table: Table, column: str) -> str:
    if column in table.dimensions:
        return "text"
    if column.endswith("_usd"):
        return "money"
    if column == "cost_share" or column.endswith("_share"):
        return "share"
    if column.endswith("_rate"):
        return "rate"
    values = [value for value in table.column(column) if value is not None]
    if values and all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        return "count"
    return "text" if any(isinstance(value, str) for value in values) else "number"


def _shown_columns(table: Table, preferred: tuple[str, ...]) -> list[str]:
    """The dimensions and the preferred measures it has; failing those, as many columns as fit."""
    measures = [column for column in preferred if column in table.columns]
    if measures:
        return [*table.dimensions, *measures]
    measures = [column for column in table.columns if column not in table.dimensions]
    return [*table.dimensions, *measures][:max(MAX_GENERIC_COLUMNS, len(table.dimensions) + 1)]


def _cell(kind: str, value) -> Cell:
    if value is None:
        return Cell("", numeric=kind != "text")
    if kind == "money":
        return Cell(money(value), numeric=True)
    if kind in ("share", "rate"):
        return Cell(percent(Decimal(str(value))), numeric=True)
    if kind == "count":
        return Cell(count(value), numeric=True)
    if kind == "number":
        return Cell(f"{Decimal(str(value)):,.4f}" if not isinstance(value, bool) else str(value), numeric=True)
    return Cell(str(value))


def top_table(table: Table, top_n: int, preferred: tuple[str, ...] = VIEW_MEASURES) -> ShownTable:
    """The largest `top_n` rows, an "All others (k)" row for the rest and a "Total" row.

    Counts add up exactly; each amount and share is rounded on its own (module docstring).
    """
    columns = _shown_columns(table, preferred)
    kinds = {column: _kind(table, column) for column in columns}
    headers = [Cell(column_label(column), numeric=kinds[column] != "text") for column in columns]
    shown = ShownTable(headers=headers)
    if not table.rows:
        return shown
    top, rest = table.rows[:top_n], table.rows[top_n:]
    groups = [[row] for row in top] + ([rest] if rest else [])
    figures = {column: _group_figures(table, column, kinds[column], groups) for column in columns}

    for index, row in enumerate(top):
        cells = []
        for column in columns:
            if column in table.dimensions:
                value = row[table.columns.index(column)]
                cells.append(Cell(UNATTRIBUTED, muted=True) if value in (None, "") else Cell(str(value)))
            else:
                cells.append(figures[column][0][index])
        shown.rows.append(cells)
    first_dimension = next((i for i, column in enumerate(columns) if column in table.dimensions), 0)
    if rest:
        shown.others = [
            Cell(f"All others ({len(rest)})") if i == first_dimension
            else Cell("") if column in table.dimensions else figures[column][0][-1]
            for i, column in enumerate(columns)
        ]
    shown.total = [
        Cell("Total") if i == first_dimension
        else Cell("") if column in table.dimensions else figures[column][1]
        for i, column in enumerate(columns)
    ]
    return shown


def _group_figures(table: Table, column: str, kind: str, groups) -> tuple[list[Cell], Cell]:
    """The cells of each group of rows (one member, or all others) and of the total."""
    if kind == "text":
        return [], Cell("")
    index = table.columns.index(column)
    if kind == "money":
        parts = [sum((_decimal(row[index]) for row in group), Decimal(0)) for group in groups]
        return [Cell(money(part), numeric=True) for part in parts], Cell(money(sum(parts, Decimal(0))), numeric=True)
    if kind == "count":
        parts = [sum(int(row[index] or 0) for row in group) for group in groups]
        return [Cell(count(part), numeric=True) for part in parts], Cell(count(sum(parts)), numeric=True)
    if column == "cost_share" and "cost_usd" in table.columns:
        cost = table.columns.index("cost_usd")
        parts = shares([sum((_decimal(row[cost]) for row in group), Decimal(0)) for group in groups])
        if parts is not None:
            return [Cell(percent(part), numeric=True) for part in parts], Cell(percent(Decimal(1)), numeric=True)
    # Rates and other ratios do not add up: members show theirs, the closing rows none.
    cells = [_cell(kind, group[0][index]) if len(group) == 1 else Cell("", numeric=True) for group in groups]
    return cells, Cell("", numeric=True)


def drift_table(section: DriftSection, top_n: int) -> ShownTable:
    """The members that moved most (the drift table's own order), all others and the total."""
    table = section.table
    shown = top_table(table, top_n, DRIFT_MEASURES)
    if "cost_delta_pct" not in table.columns:
        return shown
    columns = _shown_columns(table, DRIFT_MEASURES)
    position = columns.index("cost_delta_pct")
    baseline, current = table.columns.index("baseline_cost_usd"), table.columns.index("current_cost_usd")
    for cells, row in zip(shown.rows, table.rows):
        cells[position] = Cell(signed_percent(row[table.columns.index("cost_delta_pct")]), numeric=True)

    def closing(rows) -> Cell:
        b = sum((_decimal(row[baseline]) for row in rows), Decimal(0))
        c = sum((_decimal(row[current]) for row in rows), Decimal(0))
        return Cell(signed_percent(change_percent(b, c)), numeric=True)

    if shown.others is not None:
        shown.others[position] = closing(table.rows[top_n:])
    if shown.total is not None:
        shown.total[position] = closing(table.rows)
    delta = columns.index("cost_delta_usd") if "cost_delta_usd" in columns else None
    for cells in [*shown.rows, *([shown.others] if shown.others else []), *([shown.total] if shown.total else [])]:
        for i, column in enumerate(columns):
            if column.endswith("_effect_usd") or i == delta:
                text = cells[i].text
                cells[i] = Cell(text if text.startswith("-") or text in ("", "$0.00") else "+" + text,
                                numeric=True)
    return shown


def decomposition(section: DriftSection) -> list[tuple[str, str, bool]]:
    """Baseline, the three effects and current: the effects add up exactly to the change, and
    each is printed rounded on its own."""
    totals = section.totals
    lines = [("Baseline cost", money(_decimal(totals.get("baseline_cost_usd"))), True)]
    lines += [(name, signed_money(_decimal(totals.get(key))), False)
              for name, key in (("Volume effect", "volume_effect_usd"), ("Mix effect", "mix_effect_usd"),
                                ("Rate effect", "rate_effect_usd"))]
    lines.append(("Current cost", money(_decimal(totals.get("current_cost_usd"))), True))
    return lines


# --- the page model ---------------------------------------------------------------------------

def psi_reading(psi: float) -> str:
    """The usual reading of a population stability index."""
    if psi < 0.1:
        return "little change in the mix of spend"
    if psi < 0.25:
        return "a moderate shift in the mix of spend"
    return "a large shift in the mix of spend"


def view_context(view: ViewSection, charts_drawn: dict[str, str], top_n: int) -> dict:
    costs = [_decimal(value) for value in view.table.column("cost_usd")] if "cost_usd" in view.table.columns else []
    return {
        "key": view.key,
        "title": view.title,
        "summary": view.summary,
        "chart": charts_drawn.get(f"view:{view.key}"),
        "members": len(view.table.rows),
        "total": money(sum(costs, Decimal(0))),
        "table": top_table(view.table, top_n),
        "extra": top_table(view.extra, top_n, ()) if view.extra is not None and view.extra.rows else None,
        "extra_title": "Model substitutions" if view.key == "model" else "Detail",
        "top_n": top_n,
    }


def drift_context(section: DriftSection, charts_drawn: dict[str, str], top_n: int) -> dict:
    totals = section.totals
    baseline = _decimal(totals.get("baseline_cost_usd"))
    current = _decimal(totals.get("current_cost_usd"))
    return {
        "dimension": section.dimension,
        "title": f"Drift by {section.dimension.replace('_', ' ')}",
        "anchor": "drift-" + "".join(c if c.isalnum() else "-" for c in section.dimension),
        "chart": charts_drawn.get(f"drift:{section.dimension}"),
        "baseline": money(baseline),
        "current": money(current),
        "delta": signed_money(current - baseline),
        "delta_pct": signed_percent(change_percent(baseline, current)),
        "psi": f"{section.psi:.3f}",
        "psi_reading": psi_reading(section.psi),
        "decomposition": decomposition(section),
        "table": drift_table(section, top_n),
        "members": len(section.table.rows),
        "top_n": top_n,
    }


def reconciliation_context(data: ReportData) -> dict:
    rec = data.reconciliation
    classes = rec.latest_records + rec.superseded_records + rec.replay_records + rec.quarantined_records
    reasons = sorted(rec.quarantined_by_reason, key=lambda reason: (-reason[1], reason[0]))
    # Filters narrow the report, not the ledger's accounting: say how much of it the report holds.
    latest_meaning = ("the version of each event the report counts" if not data.filters else
                      f"the version of each event; the report's filters select {count(data.total_events)} of them")
    return {
        "filtered": bool(data.filters),
        "report_events": count(data.total_events),
        "report_cost": money(_decimal(data.total_cost_usd)),
        "records_read": count(rec.records_read),
        "classes": [("Latest versions", count(rec.latest_records), latest_meaning),
                    ("Superseded versions", count(rec.superseded_records), "earlier versions of an event, replaced by a later one"),
                    ("Replays", count(rec.replay_records), "exact repeats of a version already read"),
                    ("Quarantined", count(rec.quarantined_records), "records that failed validation, listed by reason below")],
        "classes_total": count(classes),
        "balances": classes == rec.records_read,
        "difference": count(abs(rec.records_read - classes)),
        "reasons": [(reason, count(records), money(_decimal(cost))) for reason, records, cost in reasons],
        "reasons_records": count(sum(records for _, records, _ in reasons)),
        "reasons_cost": money(sum((_decimal(cost) for _, _, cost in reasons), Decimal(0))),
        "latest_cost": money(_decimal(rec.latest_cost_usd)),
        "unattributed_cost": money(_decimal(rec.unattributed_cost_usd)),
        "unattributed_share": percent(_ratio(rec.unattributed_cost_usd, rec.latest_cost_usd)),
        "unassignable_records": count(rec.unassignable_records) if rec.unassignable_records else None,
    }


def _ratio(part, whole) -> Decimal | None:
    whole = _decimal(whole)
    return None if not whole else _decimal(part) / whole


def summary_context(data: ReportData) -> dict:
    delta = data.cost_delta_usd
    pct = change_percent(data.baseline_cost_usd, data.total_cost_usd)
    direction = "up" if delta > 0 else "down" if delta < 0 else "unchanged"
    movers = []
    for dimension, member, baseline, current in data.largest_movers:
        baseline, current = _decimal(baseline), _decimal(current)
        movers.append({
            "dimension": dimension.replace("_", " ").capitalize(),
            "member": UNATTRIBUTED if member in (None, "") else str(member),
            "baseline": money(baseline),
            "current": money(current),
            "delta": signed_money(current - baseline),
            "delta_pct": signed_percent(change_percent(baseline, current)),
        })
    return {
        "total": money(data.total_cost_usd),
        "baseline": money(data.baseline_cost_usd),
        "delta": signed_money(delta),
        "delta_pct": signed_percent(pct),
        "direction": direction,
        "delta_abs": money(abs(delta)),
        "pct_abs": "" if pct is None else f"{abs(pct):.1f}%",
        "events": count(data.total_events),
        "tokens": count(data.total_input_tokens + data.total_output_tokens),
        "input_tokens": count(data.total_input_tokens),
        "output_tokens": count(data.total_output_tokens),
        "cost_per_event": money(data.total_cost_usd / data.total_events) if data.total_events else "",
        "unattributed": money(data.unattributed_cost_usd),
        "unattributed_share": percent(_ratio(data.unattributed_cost_usd, data.total_cost_usd)) or "0.0%",
        "movers": movers,
        "insights": [f"{section.title}: {section.findings[0]}" for section in data.insights if section.findings],
    }


def with_share(table: Table) -> Table:
    """The table with a cost_share column (filled from cost_usd when shown) if it has none."""
    if "cost_share" in table.columns or "cost_usd" not in table.columns:
        return table
    return Table(columns=[*table.columns, "cost_share"], rows=[[*row, None] for row in table.rows],
                 dimensions=table.dimensions)


INSIGHT_LINES = 5   # findings of each kind shown in the PDF; the CSV holds them all


def render_html(data: ReportData, charts_drawn: dict[str, str], top_n: int) -> str:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    period = period_text(data.period_start, data.period_end)
    privacy = top_table(with_share(data.privacy), max(len(data.privacy.rows), 1),
                        ("events", "cost_usd", "cost_share"))
    return environment.get_template("report.html.j2").render(
        tenant=data.tenant,
        period=period,
        baseline_window=period_text(data.baseline_start, data.baseline_end),
        filters=[f"{name} = {value}" for name, value in data.filters],
        as_of=moment(data.as_of),
        high_water_mark=moment(data.ledger_high_water_mark) or "no records read",
        generated_at=moment(data.generated_at),
        created=w3c_moment(data.generated_at),
        version=data.software_version,
        summary=summary_context(data),
        vendor_share=charts_drawn.get("vendor_share"),
        views=[view_context(view, charts_drawn, top_n) for view in data.views],
        drift=[drift_context(section, charts_drawn, top_n) for section in data.drift],
        insights=[{"kind": section.kind, "title": section.title, "findings": section.findings[:INSIGHT_LINES],
                   "count": len(section.findings)} for section in data.insights],
        reconciliation=reconciliation_context(data),
        privacy=privacy,
        privacy_statement=PRIVACY_STATEMENT,
        top_n=top_n,
    )
