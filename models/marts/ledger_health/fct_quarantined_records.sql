{#-
    One row per quarantined record the ledger held at `as_of`: why it failed and where to find
    it. Metadata only. Incremental: adds the quarantined records staged since its last build.
-#}

{#- A record staged again may be valid now: then no new row would replace its old one, so the
    pre-hook deletes it. #}
{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='record_id',
    pre_hook="{{ p402_monitor.delete_restaged_records() }}",
) }}

with

records as (

    select * from {{ ref('stg_ledger__records') }}
    where is_quarantined and {{ p402_monitor.as_of_filter('recorded_at') }}
    {%- if is_incremental() %}
        and staged_at > {{ p402_monitor.staged_watermark() }}
    {%- endif %}

),

quarantined as (

    select
        {{ dbt.hash(dbt.concat(["source_file", "'#'", dbt.cast("source_line", dbt.type_string())])) }}
            as record_id,
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
    from records

)

select * from quarantined
