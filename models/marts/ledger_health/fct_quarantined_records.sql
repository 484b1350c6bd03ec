{#- One row per quarantined record: why it failed and where to find it. Metadata only. Incremental. -#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='record_id',
) }}

with

classified_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    {%- if is_incremental() %}
        where staged_at > {{ p402_monitor.staged_watermark() }}
    {%- endif %}

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
        occurred_at,
        staged_at
    from classified_records
    where record_class = 'quarantined'

)

select * from quarantined
