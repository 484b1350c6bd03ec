"""`insights`: the retry storm, the long-context call, the failing workflow, the margin eater.

Each kind reads its insight mart (models/marts/insights), for one tenant and period, filtered
like a breakdown, ranks what it finds by money, and says each finding in one plain line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .breakdown import BreakdownError
from .output import money
from .report_data import Table
from .warehouse import Warehouse

# Breakdown dimension -> column of the insight marts.
FILTER_COLUMNS = {
    "department": "department", "workflow": "workflow", "employee": "employee_id",
    "customer": "customer_id", "vendor": "vendor", "model_used": "model_used",
    "model_requested": "model_requested", "budget": "budget_id",
}


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    filterable: tuple[str, ...]   # breakdown dimensions this kind can be filtered by
    by_month: bool                # periods select whole months (budgets, revenue) rather than days
    keys: int                     # leading columns that identify a finding
    sql: str                      # {schema}, {where}; parameters bound in order: see _where()


KINDS = {kind.name: kind for kind in (
    Kind("retries", "Retries", ("department", "workflow", "vendor", "model_used"), False, 1, """
        with retries as (
            select workflow, sum(retries) as retries, sum(retried_traces) as retried_traces,
                   sum(retry_cost_usd) as retry_cost_usd
            from {schema}.rpt_insight_retry_cost_daily where {where} group by workflow
        ),
        storms as (
            select workflow, count(*) as storm_traces, max(attempts) as max_attempts
            from {schema}.rpt_insight_retry_storms where {where} group by workflow
        ),
        spend as (
            select workflow, sum(cost_usd) as workflow_cost_usd
            from {schema}.fct_ai_events where {where} group by workflow
        )
        select retries.workflow, retries.retries, retries.retried_traces,
               coalesce(storms.storm_traces, 0) as storm_traces, storms.max_attempts,
               retries.retry_cost_usd, spend.workflow_cost_usd
        from retries
        left join storms on retries.workflow = storms.workflow
        left join spend on retries.workflow = spend.workflow
        order by retries.retry_cost_usd desc, retries.workflow
    """),
    Kind("long-context", "Long-context calls",
         ("department", "workflow", "employee", "customer", "vendor", "model_used"), False, 2, """
        select workflow, model_used, count(*) as calls, max(input_tokens) as max_input_tokens,
               max(threshold_input_tokens) as threshold_input_tokens,
               max(median_input_tokens) as median_input_tokens,
               sum(cost_usd) as cost_usd, sum(excess_cost_usd) as excess_cost_usd
        from {schema}.rpt_insight_long_context_calls where {where}
        group by workflow, model_used
        order by excess_cost_usd desc, workflow, model_used
    """),
    Kind("failing", "Failing workflows", ("department", "workflow", "vendor", "model_used"), False, 1, """
        select workflow, sum(events) as events, sum(known_outcomes) as known_outcomes,
               sum(failed) as failed, sum(rejected) as rejected, sum(escalated) as escalated,
               sum(wasted_spend_usd) as wasted_spend_usd, sum(cost_usd) as cost_usd
        from {schema}.rpt_insight_failing_workflows where {where}
        group by workflow
        order by wasted_spend_usd desc, workflow
    """),
    Kind("fallbacks", "Fallback cost",
         ("department", "workflow", "vendor", "model_used", "model_requested"), False, 3, """
        select vendor, model_requested, model_used, sum(events) as events,
               sum(unpriced_events) as unpriced_events, sum(cost_usd) as cost_usd,
               sum(requested_model_list_cost_usd) as requested_model_list_cost_usd,
               sum(used_model_list_cost_usd) as used_model_list_cost_usd,
               sum(list_cost_difference_usd) as list_cost_difference_usd
        from {schema}.rpt_insight_fallback_costs where {where}
        group by vendor, model_requested, model_used
        order by cost_usd desc, vendor, model_requested, model_used
    """),
    Kind("budgets", "Budgets and policy", ("department", "budget"), True, 3, """
        select budget_id, department, month, budget_status, amount_usd, spend_to_date_usd,
               daily_burn_usd, projected_month_spend_usd, projected_exhaustion_date,
               warned_events, blocked_events
        from {schema}.rpt_insight_budget_burn where {where}
        order by case budget_status when 'over_budget' then 0 when 'projected_over' then 1
                 when 'unbudgeted' then 2 else 3 end,
                 projected_month_spend_usd desc, budget_id, month
    """),
    Kind("margin", "Customer margin", ("customer",), True, 2, """
        select customer_id, month, revenue_usd, ai_cost_usd, ai_cost_share_of_revenue, cost_share_rank
        from {schema}.rpt_insight_customer_margin where {where} and revenue_usd is not null
        order by ai_cost_share_of_revenue desc, customer_id, month
    """),
)}


@dataclass(frozen=True)
class InsightsRequest:
    tenant: str
    start: date | None = None
    end: date | None = None
    where: tuple[tuple[str, str], ...] = ()


@dataclass
class InsightResult:
    kind: Kind
    table: Table
    findings: list[str]
    skipped_filters: tuple[str, ...] = ()


def check_filters(kind: Kind, where) -> None:
    for name, _ in where:
        if name not in kind.filterable:
            raise BreakdownError(
                f"--where {name} does not apply to insights of kind '{kind.name}'; "
                f"it can be filtered by {', '.join(kind.filterable)}"
            )


def run_insight(warehouse: Warehouse, schema: str, kind: Kind, request: InsightsRequest) -> InsightResult:
    """One kind's findings, largest first. Filters that do not apply to the kind are set aside."""
    applicable = tuple((name, value) for name, value in request.where if name in kind.filterable)
    skipped = tuple(sorted({name for name, _ in request.where if name not in kind.filterable}))
    where, parameters = _where(kind, request, applicable)
    sql = kind.sql.format(schema=schema, where=where)
    # The kind's query may read several marts, each with the same conditions.
    columns, rows = warehouse.query(sql, parameters * kind.sql.count("{where}"))
    table = Table(columns, [list(row) for row in rows], tuple(columns[:kind.keys]))
    findings = [FINDINGS[kind.name](dict(zip(columns, row))) for row in rows]
    return InsightResult(kind, table, findings, skipped)


def _where(kind: Kind, request: InsightsRequest, where) -> tuple[str, list]:
    conditions, parameters = ["tenant_id = ?"], [request.tenant]
    column = "month" if kind.by_month else "occurred_date"
    if request.start:
        conditions.append(f"{column} >= ?")
        parameters.append(request.start.replace(day=1) if kind.by_month else request.start)
    if request.end:
        conditions.append(f"{column} <= ?")
        parameters.append(request.end)
    for name in dict.fromkeys(name for name, _ in where):
        values = [value for filtered, value in where if filtered == name]
        conditions.append("(" + " or ".join(f"{FILTER_COLUMNS[name]} = ?" for _ in values) + ")")
        parameters.extend(values)
    return " and ".join(conditions), parameters


def _share(part, whole) -> str:
    if not whole:
        return "n/a"
    return f"{Decimal(part) / Decimal(whole) * 100:.0f}%"


FINDINGS = {
    "retries": lambda r: (
        f"workflow `{r['workflow']}` retried {r['retries']:,} times ({r['retried_traces']:,} traces"
        + (f", {r['storm_traces']:,} of them storms of up to {r['max_attempts']} attempts" if r["storm_traces"] else "")
        + f"); retries cost {money(r['retry_cost_usd'])}, {_share(r['retry_cost_usd'], r['workflow_cost_usd'])} "
        f"of its spend"
    ),
    "long-context": lambda r: (
        f"{r['calls']:,} call{'s' if r['calls'] != 1 else ''} of workflow `{r['workflow']}` on {r['model_used']} sent over "
        f"{r['threshold_input_tokens']:,.0f} input tokens (median {r['median_input_tokens']:,.0f}, "
        f"largest {r['max_input_tokens']:,}); they cost {money(r['cost_usd'])}, "
        f"{money(r['excess_cost_usd'])} more than median calls"
    ),
    "failing": lambda r: (
        f"workflow `{r['workflow']}` failed, was rejected or escalated on "
        f"{_share(r['failed'] + r['rejected'] + r['escalated'], r['known_outcomes'])} of its known outcomes; "
        f"{money(r['wasted_spend_usd'])} of {money(r['cost_usd'])} went on calls with no accepted outcome"
    ),
    "fallbacks": lambda r: (
        f"{r['events']:,} calls asked for {r['model_requested']} and were served by {r['model_used']}: "
        f"they cost {money(r['cost_usd'])}; at {r['model_requested']}'s list price they would have cost "
        f"{money(r['requested_model_list_cost_usd'])}"
    ),
    "budgets": lambda r: (
        f"budget `{r['budget_id']}` ({r['department']}) spent {money(r['spend_to_date_usd'])}"
        + (f" of {money(r['amount_usd'])}" if r["amount_usd"] is not None else " with no budget amount")
        + f" in {r['month']:%B %Y}"
        + {
            "over_budget": f"; it ran out on {r['projected_exhaustion_date']:%d %B}"
            if r["projected_exhaustion_date"] else "; it is over budget",
            "projected_over": f"; at {money(r['daily_burn_usd'])} a day it runs out on "
                              f"{r['projected_exhaustion_date']:%d %B}"
            if r["projected_exhaustion_date"] else "; it is projected over budget",
        }.get(r["budget_status"], f"; projected {money(r['projected_month_spend_usd'])} for the month")
        + (f"; {r['blocked_events']:,} calls blocked" if r["blocked_events"] else "")
    ),
    "margin": lambda r: (
        f"customer `{r['customer_id']}`: AI cost {money(r['ai_cost_usd'])} is "
        f"{r['ai_cost_share_of_revenue'] * 100:.1f}% of {money(r['revenue_usd'])} revenue in {r['month']:%B %Y}"
    ),
}
