{#-
    Spend and outcomes per tenant, day and end customer ('(none)' for internal work), and what
    each accepted outcome cost. The cost per accepted outcome is null on a day with none accepted.
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

customer_daily as (

    select
        tenant_id,
        occurred_date,
        customer_id,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3

),

final as (

    select
        *,
        {#- The cast keeps the result decimal on engines where decimal division returns a float. #}
        cast(cost_usd / nullif(accepted, 0) as {{ p402_monitor.type_money() }})
            as cost_per_accepted_outcome_usd
    from customer_daily

)

select * from final
