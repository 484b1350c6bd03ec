{#- One row per quarantined record: why it failed and where to find it. Metadata only. -#}

with

classified_records as (

    select * from {{ ref('int_ledger_records_classified') }}

),

quarantined as (

    select
        record_id,
        event_id,
        coalesce(tenant_id, '(unknown)') as tenant_id,
        quarantine_reason,
        source_file,
        source_line,
        version,
        cost_usd,
        ledger_date,
        recorded_at,
        occurred_at
    from classified_records
    where record_class = 'quarantined'

)

select * from quarantined
