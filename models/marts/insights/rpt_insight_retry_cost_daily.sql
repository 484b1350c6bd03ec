{#-
    What retries cost: every event with attempt > 1, per tenant, day, workflow, department, vendor
    and model used. retried_traces counts the distinct traces those retries belong to (per row,
    so it does not add up across rows when a trace's retries fall on two days or models).
    Incremental per tenant-day, like the daily reports (dbt_project.yml).
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

retry_daily as (

    select
        tenant_id,
        occurred_date,
        workflow,
        department,
        vendor,
        model_used,
        cast(count(*) as {{ dbt.type_bigint() }}) as retries,
        cast(count(distinct trace_id) as {{ dbt.type_bigint() }}) as retried_traces,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as retry_cost_usd,
        max(last_staged_at) as last_staged_at
    from events
    where is_retry
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        tenant_id,
        workflow,
        department,
        vendor,
        model_used,
        retries,
        retried_traces,
        retry_cost_usd,
        occurred_date,
        last_staged_at
    from retry_daily

)

select * from final
