{#-
    What each department spent against each budget on each day, per tenant: events, warned and
    blocked events, and metered cost. Events charged to no budget are the budget '(none)', so
    that the days a tenant has data on are all here. rpt_insight_budget_burn adds the days of a
    month up instead of reading every event of the month again.

    Incremental per tenant-day, like the daily reports (dbt_project.yml).
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

budget_days as (

    select
        tenant_id,
        budget_id,
        department,
        occurred_date,
        occurred_month,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        {{ p402_monitor.count_where("policy_result = 'warned'") }} as warned_events,
        {{ p402_monitor.count_where('is_blocked') }} as blocked_events,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as cost_usd,
        max(last_staged_at) as last_staged_at
    from events
    group by 1, 2, 3, 4, 5

)

select * from budget_days
