{#-
    Outcomes and wasted spend per tenant, day, workflow, department, vendor and model used: every
    combination with events, so a period can be ranked by wasted spend. Of the known outcomes
    (anything but 'pending'):
        failure_rate     = failed / known_outcomes
        rejection_rate   = rejected / known_outcomes     (null when no outcome is known)
        wasted_spend_usd = cost of events whose outcome is failed, rejected or escalated,
    that is spend on calls that produced no accepted or revised result. Pending events are not
    counted as waste: their outcome is not known yet.
    Incremental per tenant-day, like the daily reports (dbt_project.yml).
-#}

{%- set money = p402_monitor.type_money() %}
{%- set ratio = p402_monitor.type_ratio() %}
{%- set wasted_outcomes = "outcome in ('failed', 'rejected', 'escalated')" %}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

workflow_daily as (

    select
        tenant_id,
        occurred_date,
        workflow,
        department,
        vendor,
        model_used,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        {{ p402_monitor.count_where('has_known_outcome') }} as known_outcomes,
        {%- for outcome in p402_monitor.ledger_enum_values('outcome') %}
            {{ p402_monitor.count_where("outcome = '" ~ outcome ~ "'") }} as {{ outcome }},
        {%- endfor %}
        {{ p402_monitor.count_where(wasted_outcomes) }} as wasted_events,
        cast(sum(case when {{ wasted_outcomes }} then cost_usd else 0 end) as {{ money }})
            as wasted_spend_usd,
        cast(sum(cost_usd) as {{ money }}) as cost_usd,
        max(last_staged_at) as last_staged_at
    from events
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        tenant_id,
        workflow,
        department,
        vendor,
        model_used,
        events,
        known_outcomes,
        accepted,
        revised,
        escalated,
        failed,
        rejected,
        wasted_events,
        cast(failed as {{ ratio }}) / nullif(known_outcomes, 0) as failure_rate,
        cast(rejected as {{ ratio }}) / nullif(known_outcomes, 0) as rejection_rate,
        wasted_spend_usd,
        cost_usd,
        occurred_date,
        last_staged_at
    from workflow_daily

)

select * from final
