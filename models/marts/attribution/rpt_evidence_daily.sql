{#-
    Spend and outcomes per tenant, day, receipt status and evidence status: how much of the spend
    is backed by a verified receipt and by complete evidence. Each share is of the tenant's whole
    spend that day, so a day's rows add up to the share of that day's spend so backed.
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

evidence_daily as (

    select
        tenant_id,
        occurred_date,
        receipt_status,
        evidence_status,
        {{ p402_monitor.event_measures() }},
        cast(
            coalesce(sum(case when has_verified_receipt then cost_usd end), 0)
            as {{ p402_monitor.type_money() }}
        ) as verified_receipt_cost_usd,
        cast(
            coalesce(sum(case when has_complete_evidence then cost_usd end), 0)
            as {{ p402_monitor.type_money() }}
        ) as complete_evidence_cost_usd
    from events
    group by 1, 2, 3, 4

),

tenant_daily_spend as (

    select
        tenant_id,
        occurred_date,
        sum(cost_usd) as cost_usd
    from evidence_daily
    group by 1, 2

),

final as (

    select
        evidence_daily.*,
        {#- The casts keep the ratios decimal on engines where decimal division returns a float. #}
        cast(
            evidence_daily.verified_receipt_cost_usd / nullif(tenant_daily_spend.cost_usd, 0)
            as {{ p402_monitor.type_money() }}
        ) as verified_receipt_share_of_spend,
        cast(
            evidence_daily.complete_evidence_cost_usd / nullif(tenant_daily_spend.cost_usd, 0)
            as {{ p402_monitor.type_money() }}
        ) as complete_evidence_share_of_spend
    from evidence_daily
    inner join tenant_daily_spend
        on
            evidence_daily.tenant_id = tenant_daily_spend.tenant_id
            and evidence_daily.occurred_date = tenant_daily_spend.occurred_date

)

select * from final
