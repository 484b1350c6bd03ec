{#
    A data-quality gate for the nightly run: when more than `quarantine_share_limit` of the
    records read (for a tenant, or overall) are quarantined, the meter is writing something wrong
    and reports built on the rest would mislead, so the build fails and names this test.
#}

with

reconciliation as (

    select * from {{ ref('rpt_ledger_reconciliation') }}

),

by_tenant as (

    select
        tenant_id,
        sum(records_read) as records_read,
        sum(quarantined_records) as quarantined_records
    from reconciliation
    where tenant_id <> '(unknown)'
    group by tenant_id

),

overall as (

    select
        '(all tenants)' as tenant_id,
        sum(records_read) as records_read,
        sum(quarantined_records) as quarantined_records
    from reconciliation

),

shares as (

    select
        tenant_id,
        records_read,
        quarantined_records,
        cast(quarantined_records as {{ dbt.type_float() }}) / nullif(records_read, 0) as quarantined_share
    from (
        select * from by_tenant
        union all
        select * from overall
    ) as tenants_and_overall

)

select *
from shares
where quarantined_share > {{ var('quarantine_share_limit') }}
