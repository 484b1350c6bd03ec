{#- Spend and outcomes per tenant, day, vendor, and the model requested and the model that served. -#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

model_daily as (

    select
        tenant_id,
        occurred_date,
        vendor,
        model_requested,
        model_used,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3, 4, 5

)

select * from model_daily
