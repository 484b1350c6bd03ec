"""`breakdown`: spend and outcomes grouped by any owner dimensions, for one tenant.

MetricFlow compiles the simple metrics grouped by every dimension the request mentions; an outer
query keeps the rows the filters select (their values bound as parameters, never spliced into
SQL) and sums them up to the requested dimensions. Every column is additive, so summing the
finer rows gives exactly what a direct query would; ratios and shares are computed at the end
from the sums, in decimal arithmetic.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .contract import EARLIEST_DAY, LATEST_DAY
from .semantic import SemanticLayer
from .warehouse import Warehouse

DEFAULT_METRICS = (
    "events", "input_tokens", "output_tokens", "cost_usd",
    "accepted", "rejected", "revised", "escalated", "failed", "pending",
)
SHARE_PLACES = Decimal("0.000000001")


class BreakdownError(ValueError):
    """A request that cannot be answered as asked; the message says how to fix it."""


@dataclass(frozen=True)
class BreakdownRequest:
    by: tuple[str, ...]
    where: tuple[tuple[str, str], ...] = ()
    start: date | None = None
    end: date | None = None
    tenant: str | None = None
    extra_metrics: tuple[str, ...] = ()


@dataclass
class BreakdownResult:
    tenant: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    dimensions: tuple[str, ...] = ()


def parse_day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BreakdownError(f"{option} '{text}' is not a date; use YYYY-MM-DD") from None
    return check_day(day, option)


def check_day(day: date, option: str) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise BreakdownError(f"{option} {day} is outside the days Monitor reports on ({EARLIEST_DAY} to {LATEST_DAY})")
    return day


def period_bounds(period: str) -> tuple[date, date]:
    """First and last UTC day of a YYYY-MM month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BreakdownError(f"--period '{period}' is not a month; use YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise BreakdownError(f"--period {period} is outside the days Monitor reports on ({EARLIEST_DAY} to {LATEST_DAY})")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_period(period: str | None, start: str | None, end: str | None, *, required: bool = False):
    """First and last UTC day from --period or --from/--to (None for an open end)."""
    if period and (start or end):
        raise BreakdownError("give either --period or --from/--to, not both")
    if required and not period and not (start and end):
        raise BreakdownError("give --period YYYY-MM, or both --from and --to")
    first_day, last_day = period_bounds(period) if period else (
        parse_day(start, "--from") if start else None,
        parse_day(end, "--to") if end else None,
    )
    if first_day and last_day and first_day > last_day:
        raise BreakdownError(f"--from {first_day} is after --to {last_day}")
    return first_day, last_day


def parse_by(text: str, dimensions: dict[str, str]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise BreakdownError("--by needs at least one dimension")
    for name in names:
        check_dimension(name, dimensions)
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise BreakdownError(f"--by names {', '.join(duplicated)} more than once")
    return names


def parse_where(conditions, dimensions: dict[str, str]) -> tuple[tuple[str, str], ...]:
    parsed = []
    for condition in conditions:
        name, separator, value = condition.partition("=")
        name = name.strip()
        if not separator:
            raise BreakdownError(f"--where '{condition}' is not DIM=VALUE")
        check_dimension(name, dimensions)
        if name == "tenant":
            # Filters on one dimension are OR-ed: a tenant here would widen the query to a second tenant.
            raise BreakdownError("--where cannot filter on 'tenant': every query is for one tenant, chosen with --tenant")
        if dimensions[name].startswith("metric_time__"):
            raise BreakdownError(f"--where cannot filter on '{name}': use --from/--to or --period")
        parsed.append((name, value))
    return tuple(parsed)


def check_dimension(name: str, dimensions: dict[str, str]) -> None:
    if name not in dimensions:
        raise BreakdownError(f"unknown dimension '{name}'; choose from {', '.join(dimensions)}")


def check_metrics(names, layer_metrics) -> tuple[str, ...]:
    for name in names:
        if name not in layer_metrics:
            raise BreakdownError(f"unknown metric '{name}'; choose from {', '.join(layer_metrics)}")
    return tuple(names)


def tenants(layer: SemanticLayer, warehouse: Warehouse) -> list[str]:
    dimension = layer.dimensions()["tenant"]
    _, rows = warehouse.query(
        f"select {dimension} from ({layer.sql(['events'], [dimension])}) as tenants order by 1"
    )
    return [row[0] for row in rows]


def resolve_tenant(requested: str | None, known: list[str]) -> str:
    """One tenant per query: the one asked for, or the only one there is."""
    if requested is not None:
        if requested not in known:
            raise BreakdownError(
                f"tenant '{requested}' has no events; tenants: {', '.join(known) or '(none)'}"
            )
        return requested
    if len(known) == 1:
        return known[0]
    if not known:
        raise BreakdownError("the ledger has no valid events yet")
    raise BreakdownError(f"the ledger holds several tenants; choose one with --tenant: {', '.join(known)}")


def aggregate_sql(layer: SemanticLayer, *, by, filters, metric_names,
                  start: date | None, end: date | None) -> tuple[str, list]:
    """The query `aggregate` runs, and its bound parameters."""
    dimensions = layer.dimensions()
    group_by = list(dict.fromkeys([dimensions[name] for name in by] + [dimensions[name] for name, _ in filters]))
    inner_sql = layer.sql(metric_names, group_by, start, end)
    by_columns = [dimensions[name] for name in by]
    conditions, parameters = [], []
    for name in dict.fromkeys(name for name, _ in filters):
        values = [value for filtered, value in filters if filtered == name]
        conditions.append("(" + " or ".join(f"{dimensions[name]} = ?" for _ in values) + ")")
        parameters.extend(values)
    sums = ", ".join(f"sum({metric}) as {metric}" for metric in metric_names)
    sql = (
        f"select {', '.join(by_columns)}, {sums} from ({inner_sql}) as metric_rows"
        + (f" where {' and '.join(conditions)}" if conditions else "")
        + f" group by {', '.join(by_columns)}"
    )
    return sql, parameters


def aggregate(layer: SemanticLayer, warehouse: Warehouse, *, by, filters, metric_names,
              start: date | None, end: date | None) -> list[dict]:
    """Sums of simple metrics by the `by` dimensions, over the rows the filters keep.

    `filters` are (dimension, value) pairs: different dimensions AND, values of one dimension OR.
    Result keys are the public dimension names and the metric names.
    """
    sql, parameters = aggregate_sql(layer, by=by, filters=filters, metric_names=metric_names, start=start, end=end)
    columns, rows = warehouse.query(sql, parameters)
    renamed = {dimension: name for name, dimension in layer.dimensions().items() if name in by}
    return [
        {renamed.get(column, column): _day(value) for column, value in zip(columns, row)}
        for row in rows
    ]


def run_breakdown(layer: SemanticLayer, warehouse: Warehouse, request: BreakdownRequest) -> BreakdownResult:
    metrics = layer.metrics()
    requested_metrics = DEFAULT_METRICS + tuple(m for m in request.extra_metrics if m not in DEFAULT_METRICS)
    tenant = resolve_tenant(request.tenant, tenants(layer, warehouse))
    rows = aggregate(
        layer, warehouse, by=request.by, filters=[("tenant", tenant), *request.where],
        metric_names=_simple_metrics_needed(requested_metrics, metrics),
        start=request.start, end=request.end,
    )
    total_cost = sum((row["cost_usd"] or Decimal(0) for row in rows), Decimal(0))
    result = BreakdownResult(
        tenant=tenant,
        columns=[*request.by, *DEFAULT_METRICS[:4], "cost_share", *DEFAULT_METRICS[4:],
                 *[m for m in requested_metrics if m not in DEFAULT_METRICS]],
        dimensions=request.by,
    )
    for row in sorted(rows, key=lambda r: (-(r["cost_usd"] or 0), *[_sort_key(r[name]) for name in request.by])):
        values = {name: row[name] for name in request.by}
        for metric in requested_metrics:
            values[metric] = _metric_value(metrics[metric], row)
        values["cost_usd"] = row["cost_usd"] or Decimal(0)
        values["cost_share"] = ratio(values["cost_usd"], total_cost)
        result.rows.append([values[column] for column in result.columns])
    return result


def _simple_metrics_needed(names, metrics) -> list[str]:
    needed = []
    for name in names:
        metric = metrics[name]
        parts = [metric.numerator, metric.denominator] if metric.kind == "ratio" else [name]
        needed.extend(part for part in parts if part not in needed)
    return needed


def _metric_value(metric, row):
    if metric.kind == "ratio":
        return ratio(row[metric.numerator], row[metric.denominator])
    return row[metric.name]


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator to nine places, in decimal arithmetic; None when undefined."""
    if not denominator:
        return None
    return (Decimal(numerator or 0) / Decimal(denominator)).quantize(SHARE_PLACES)


def _day(value):
    """Time grains come back as midnight timestamps on some engines: report the day."""
    return value.date() if isinstance(value, datetime) else value


def _sort_key(value):
    return (value is None, str(value))
