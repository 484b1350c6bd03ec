{#-
    A report built on fct_ai_events neither loses nor invents spend: per tenant and day, its
    events and cost_usd add up to the fact's. `fact_where` narrows the fact side to the events
    the report covers (e.g. 'is_fallback'); it cannot be called `where`, which dbt takes as the
    test's own config and applies to the report. Returns each tenant-day that differs.
-#}
{% test cost_reconciles_with_fact(model, fact_where=none) %}

with

report_totals as (

    select
        tenant_id,
        occurred_date,
        sum(events) as events,
        sum(cost_usd) as cost_usd
    from {{ model }}
    group by 1, 2

),

fact_totals as (

    select
        tenant_id,
        occurred_date,
        count(*) as events,
        sum(cost_usd) as cost_usd
    from {{ ref('fct_ai_events') }}
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
