{#-
    A report built on fct_ai_events neither loses nor invents spend: per tenant and day, its
    events and cost_usd add up to the fact's. `fact_where` narrows the fact side to the events
    the report covers (e.g. 'is_fallback'); it cannot be called `where`, which dbt takes as the
    test's own config and applies to the report. Returns each tenant-day that differs.

    Only the tenant-days the tested batch changed are compared (int_ledger_tenant_day_changes;
    see tested_batch: in a build, the tenant-days it changed, all of them in a full refresh);
    every other day was compared when it changed. With the
    var `test_every_row` (see get_where_subquery), every tenant-day is.
-#}
{% test cost_reconciles_with_fact(model, fact_where=none) %}

with

changed_tenant_days as (

    select distinct
        tenant_id,
        occurred_date
    from {{ ref('int_ledger_tenant_day_changes') }}
    {%- if not var('test_every_row') %}
    where {{ p402_monitor.in_tested_batch('changed_at', ref('int_ledger_tenant_day_changes')) }}
    {%- endif %}

),

report_totals as (

    select
        report.tenant_id,
        report.occurred_date,
        sum(report.events) as events,
        sum(report.cost_usd) as cost_usd
    from {{ model }} as report
    inner join changed_tenant_days
        on
            report.tenant_id = changed_tenant_days.tenant_id
            and report.occurred_date = changed_tenant_days.occurred_date
    group by 1, 2

),

fact_totals as (

    select
        fact.tenant_id,
        fact.occurred_date,
        count(*) as events,
        sum(fact.cost_usd) as cost_usd
    from {{ ref('fct_ai_events') }} as fact
    inner join changed_tenant_days
        on
            fact.tenant_id = changed_tenant_days.tenant_id
            and fact.occurred_date = changed_tenant_days.occurred_date
    {%- if fact_where %}
    where {{ fact_where }}
    {%- endif %}
    group by 1, 2

),

compared as (

    select
        coalesce(report_totals.tenant_id, fact_totals.tenant_id) as tenant_id,
        coalesce(report_totals.occurred_date, fact_totals.occurred_date) as occurred_date,
        coalesce(report_totals.events, 0) as report_events,
        coalesce(fact_totals.events, 0) as fact_events,
        coalesce(report_totals.cost_usd, 0) as report_cost_usd,
        coalesce(fact_totals.cost_usd, 0) as fact_cost_usd
    from report_totals
    full outer join fact_totals
        on
            report_totals.tenant_id = fact_totals.tenant_id
            and report_totals.occurred_date = fact_totals.occurred_date

)

select *
from compared
where
    report_events <> fact_events
    or report_cost_usd <> fact_cost_usd

{% endtest %}
