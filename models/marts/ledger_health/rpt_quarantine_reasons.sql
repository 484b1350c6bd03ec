{#- Quarantined records and the cost they carry (where it could be read), per tenant, day and reason. -#}

with

quarantined_records as (

    select * from {{ ref('fct_quarantined_records') }}

),

by_reason as (

    select
        tenant_id,
        quarantine_reason,
        ledger_date,
        count(*) as quarantined_records,
        count(cost_usd) as records_with_readable_cost,
        coalesce(sum(cost_usd), 0) as quarantined_cost_usd
    from quarantined_records
    group by 1, 2, 3

)

select * from by_reason
