{#-
    Fallbacks only (the model that served is not the model requested), per tenant, day, vendor
    and model pair: what they cost, and what the same tokens would have cost on the requested
    model at the price-book rates in force that day. An event whose requested model has no price
    that day is counted in unpriced_events and left out of both list-price sums, so the
    comparison is like for like.
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

fallback_events as (

    select
        tenant_id,
        occurred_date,
        vendor,
        model_requested,
        model_used,
        cost_usd,
        requested_model_list_cost_usd,
        requested_model_list_cost_usd is not null as is_priced,
        last_staged_at
    from events
    where is_fallback

),

substitutions_daily as (

    select
        tenant_id,
        occurred_date,
        vendor,
        model_requested,
        model_used,
        count(*) as events,
        {{ p402_monitor.count_where('not is_priced') }} as unpriced_events,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as cost_usd,
        cast(
            sum(requested_model_list_cost_usd) as {{ p402_monitor.type_money() }}
        ) as requested_model_list_cost_usd,
        cast(
            sum(case when is_priced then cost_usd - requested_model_list_cost_usd end)
            as {{ p402_monitor.type_money() }}
        ) as list_cost_difference_usd,
        max(last_staged_at) as last_staged_at
    from fallback_events
    group by 1, 2, 3, 4, 5

)

select * from substitutions_daily
