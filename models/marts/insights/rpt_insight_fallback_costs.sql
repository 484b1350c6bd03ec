{#-
    Fallbacks - events served by another model than the one requested - per tenant, day,
    workflow, department, vendor and model pair: what they cost, and what their tokens cost at
    list price on the model used and on the model requested (price-book rates in force that day).
    An event is priced when both models have a price that day; the list-price columns and
        list_cost_difference_usd = used_model_list_cost_usd - requested_model_list_cost_usd
    cover priced events only (null when none is), and unpriced_events counts the others. A
    positive difference means the fallback cost more at list price than the request would have.
    Incremental per tenant-day, like the daily reports (dbt_project.yml).
-#}

{%- set money = p402_monitor.type_money() %}
{%- set is_priced = 'list_cost_usd is not null and requested_model_list_cost_usd is not null' %}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

fallback_daily as (

    select
        tenant_id,
        occurred_date,
        workflow,
        department,
        vendor,
        model_requested,
        model_used,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        {{ p402_monitor.count_where('not (' ~ is_priced ~ ')') }} as unpriced_events,
        cast(sum(cost_usd) as {{ money }}) as cost_usd,
        cast(sum(case when {{ is_priced }} then requested_model_list_cost_usd end) as {{ money }})
            as requested_model_list_cost_usd,
        cast(sum(case when {{ is_priced }} then list_cost_usd end) as {{ money }})
            as used_model_list_cost_usd,
        max(last_staged_at) as last_staged_at
    from events
    where is_fallback
    group by 1, 2, 3, 4, 5, 6, 7

),

final as (

    select
        tenant_id,
        workflow,
        department,
        vendor,
        model_requested,
        model_used,
        events,
        unpriced_events,
        cost_usd,
        requested_model_list_cost_usd,
        used_model_list_cost_usd,
        cast(used_model_list_cost_usd - requested_model_list_cost_usd as {{ money }})
            as list_cost_difference_usd,
        occurred_date,
        last_staged_at
    from fallback_daily

)

select * from final
