"""`drift`: what changed between a baseline window and a current one, and why.

For one owner dimension and one tenant: each member's cost, share of spend and outcome rates in
both windows, whether its outcome shift is statistically significant, and the cost change split
into volume, mix and rate effects that add up exactly to the change. The formulas are those of
the dbt models in models/marts/drift (documented in docs/drift.md); a test checks that both give
the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext

from .breakdown import BreakdownError, aggregate, ratio, resolve_tenant, tenants
from .semantic import SemanticLayer
from .warehouse import Warehouse

DRIFT_METRICS = ("events", "cost_usd", "accepted", "failed", "known_outcomes")
CENT_BILLIONTHS = Decimal("0.000000001")
PSI_EMPTY_SHARE = 0.0001   # a member absent from a window counts as this share in the PSI
SIGNIFICANT_Z = 1.96       # two-sided, 5 %

COLUMNS = (
    "baseline_events", "current_events", "baseline_cost_usd", "current_cost_usd", "cost_delta_usd",
    "cost_delta_pct", "baseline_cost_per_day_usd", "current_cost_per_day_usd", "baseline_share",
    "current_share", "share_delta_pp", "baseline_accept_rate", "current_accept_rate",
    "baseline_fail_rate", "current_fail_rate", "accept_rate_z", "fail_rate_z", "is_low_volume",
    "outcome_shift_significant", "volume_effect_usd", "mix_effect_usd", "rate_effect_usd",
)

# What the table for people shows; CSV and JSON carry every column.
TABLE_COLUMNS = (
    "baseline_cost_usd", "current_cost_usd", "cost_delta_usd", "cost_delta_pct", "share_delta_pp",
    "baseline_accept_rate", "current_accept_rate", "outcome_shift_significant",
    "volume_effect_usd", "mix_effect_usd", "rate_effect_usd",
)


class DriftError(BreakdownError):
    """Windows or filters that cannot be compared; the message says why."""


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


def default_baseline(current: Window) -> Window:
    """The window of the same length just before the current one."""
    end = current.start - timedelta(days=1)
    return Window(end - timedelta(days=current.days - 1), end)


def check_windows(current: Window, baseline: Window) -> None:
    for name, window in (("current", current), ("baseline", baseline)):
        if window.start > window.end:
            raise DriftError(f"the {name} window starts ({window.start}) after it ends ({window.end})")
    if baseline.start > current.end:
        raise DriftError(f"the baseline ({baseline}) comes after the current window ({current})")
    if baseline.end >= current.start:
        raise DriftError(f"the baseline ({baseline}) overlaps the current window ({current})")


@dataclass(frozen=True)
class DriftRequest:
    by: str
    current: Window
    baseline: Window
    where: tuple[tuple[str, str], ...] = ()
    tenant: str | None = None
    min_events: int = 30
    require_baseline: bool = True   # a report may compare with an empty baseline (a new tenant)


@dataclass
class DriftResult:
    tenant: str
    dimension: str
    current: Window
    baseline: Window
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    psi: float = 0.0
    totals: dict = field(default_factory=dict)


def run_drift(layer: SemanticLayer, warehouse: Warehouse, request: DriftRequest) -> DriftResult:
    check_windows(request.current, request.baseline)
    if layer.dimensions()[request.by].startswith("metric_time__"):
        raise DriftError(f"drift compares owner dimensions, not the time grain '{request.by}'")
    tenant = resolve_tenant(request.tenant, tenants(layer, warehouse))
    filters = [("tenant", tenant), *request.where]
    windows = {}
    for name, window in (("current", request.current), ("baseline", request.baseline)):
        rows = aggregate(layer, warehouse, by=(request.by,), filters=filters, metric_names=DRIFT_METRICS,
                         start=window.start, end=window.end)
        if not rows and (name == "current" or request.require_baseline):
            raise DriftError(f"no events for tenant {tenant} in the {name} window ({window}) with these filters")
        windows[name] = {row[request.by]: row for row in rows}

    members = sorted(set(windows["baseline"]) | set(windows["current"]), key=str)
    measured = [
        member_drift(
            windows["baseline"].get(member), windows["current"].get(member),
            windows["baseline"].values(), windows["current"].values(),
            request.baseline.days, request.current.days, request.min_events,
        ) | {request.by: member}
        for member in members
    ]
    measured.sort(key=lambda row: (-abs(row["cost_delta_usd"]), str(row[request.by])))
    result = DriftResult(tenant=tenant, dimension=request.by, current=request.current,
                         baseline=request.baseline, columns=[request.by, *COLUMNS])
    result.rows = [[row[column] for column in result.columns] for row in measured]
    result.psi = population_stability_index(
        [(row["baseline_share"] or 0, row["current_share"] or 0) for row in measured]
    )
    result.totals = {
        column: sum((row[column] for row in measured), Decimal(0))
        for column in ("baseline_cost_usd", "current_cost_usd", "cost_delta_usd",
                       "volume_effect_usd", "mix_effect_usd", "rate_effect_usd")
    }
    return result


def member_drift(baseline, current, baseline_rows, current_rows, baseline_days, current_days, min_events):
    """Every drift measure of one member; a window it is absent from counts as zeros."""
    zero = {metric: 0 for metric in DRIFT_METRICS}
    b, c = baseline or zero, current or zero
    b_cost, c_cost = Decimal(b["cost_usd"] or 0), Decimal(c["cost_usd"] or 0)
    b_total = sum((Decimal(row["cost_usd"] or 0) for row in baseline_rows), Decimal(0))
    c_total = sum((Decimal(row["cost_usd"] or 0) for row in current_rows), Decimal(0))
    b_events_total = sum(row["events"] for row in baseline_rows)
    c_events_total = sum(row["events"] for row in current_rows)
    delta = c_cost - b_cost
    volume, mix = decompose(b_cost, c_cost, b["events"], c["events"], b_events_total, c_events_total)
    b_share, c_share = ratio(b_cost, b_total), ratio(c_cost, c_total)
    accept_z = two_proportion_z(b["accepted"], b["known_outcomes"], c["accepted"], c["known_outcomes"])
    fail_z = two_proportion_z(b["failed"], b["known_outcomes"], c["failed"], c["known_outcomes"])
    low_volume = min(b["known_outcomes"], c["known_outcomes"]) < min_events
    return {
        "baseline_events": b["events"],
        "current_events": c["events"],
        "baseline_cost_usd": b_cost,
        "current_cost_usd": c_cost,
        "cost_delta_usd": delta,
        "cost_delta_pct": ratio(delta * 100, b_cost),
        "baseline_cost_per_day_usd": ratio(b_cost, baseline_days),
        "current_cost_per_day_usd": ratio(c_cost, current_days),
        "baseline_share": b_share,
        "current_share": c_share,
        "share_delta_pp": ((c_share or 0) - (b_share or 0)) * 100,
        "baseline_accept_rate": ratio(b["accepted"], b["known_outcomes"]),
        "current_accept_rate": ratio(c["accepted"], c["known_outcomes"]),
        "baseline_fail_rate": ratio(b["failed"], b["known_outcomes"]),
        "current_fail_rate": ratio(c["failed"], c["known_outcomes"]),
        "accept_rate_z": accept_z,
        "fail_rate_z": fail_z,
        "is_low_volume": low_volume,
        "outcome_shift_significant": not low_volume and any(
            z is not None and abs(z) >= SIGNIFICANT_Z for z in (accept_z, fail_z)
        ),
        "volume_effect_usd": volume,
        "mix_effect_usd": mix,
        "rate_effect_usd": delta - volume - mix,
    }


def decompose(b_cost: Decimal, c_cost: Decimal, b_events: int, c_events: int,
              b_events_total: int, c_events_total: int) -> tuple[Decimal, Decimal]:
    """Volume and mix effects of one member; the rate effect is the rest of its cost change.

    volume = (N1 - N0) * C0 / N0: the change in total events, at the member's baseline mix and cost
    per event; mix = n1 * C0 / n0 - N1 * C0 / N0: its change of share in events, at its baseline
    cost per event (a new member's whole cost is mix). Rounded to nine places; the rate effect,
    n1 * (c1/n1 - c0/n0), is taken as the remainder so the three add up exactly.
    """
    with localcontext() as context:
        context.prec = 60
        volume = Decimal(0)
        if b_cost and b_events_total:
            volume = (Decimal(c_events_total - b_events_total) * b_cost / b_events_total).quantize(CENT_BILLIONTHS)
        if b_events:
            mix = (Decimal(c_events) * b_cost / b_events - Decimal(c_events_total) * b_cost / b_events_total)
            mix = mix.quantize(CENT_BILLIONTHS)
        else:
            mix = c_cost
    return volume, mix


def two_proportion_z(successes_0: int, trials_0: int, successes_1: int, trials_1: int) -> float | None:
    """Pooled two-proportion z statistic of the change from window 0 to window 1."""
    if not trials_0 or not trials_1:
        return None
    pooled = (successes_0 + successes_1) / (trials_0 + trials_1)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / trials_0 + 1 / trials_1))
    if standard_error == 0:
        return None
    return round((successes_1 / trials_1 - successes_0 / trials_0) / standard_error, 6)


def population_stability_index(shares) -> float:
    """Sum of (current - baseline) * ln(current / baseline) over members' shares of spend."""
    total = 0.0
    for baseline, current in shares:
        baseline, current = float(baseline) or PSI_EMPTY_SHARE, float(current) or PSI_EMPTY_SHARE
        total += (current - baseline) * math.log(current / baseline)
    return round(total, 9)
