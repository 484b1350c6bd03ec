{#- Spend per tenant, day and outcome; events still waiting for an outcome are 'pending'. -#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

outcome_daily as (

    select
        tenant_id,
        occurred_date,
        outcome,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3

)

select * from outcome_daily
