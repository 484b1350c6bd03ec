{#-
    Spend and outcomes per tenant, day and vendor, and the vendor's share of the tenant's spend
    that day (a ratio between 0 and 1; null when the tenant spent nothing that day).
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

vendor_daily as (

    select
        tenant_id,
        occurred_date,
        vendor,
        vendor_name,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3, 4

),

tenant_daily_spend as (

    select
        tenant_id,
        occurred_date,
        sum(cost_usd) as cost_usd
    from vendor_daily
    group by 1, 2

),

final as (

    select
        vendor_daily.*,
        {#- The cast keeps the ratio decimal on engines where decimal division returns a float. #}
        cast(
            vendor_daily.cost_usd / nullif(tenant_daily_spend.cost_usd, 0)
            as {{ p402_monitor.type_money() }}
        ) as share_of_spend
    from vendor_daily
    inner join tenant_daily_spend
        on
            vendor_daily.tenant_id = tenant_daily_spend.tenant_id
            and vendor_daily.occurred_date = tenant_daily_spend.occurred_date

)

select * from final
