{#
    The tenant-days each build changed: for every event whose records a build classified again,
    the tenant-day it is on now and every tenant-day an earlier version of it was on. A late
    version can move an event to another day or tenant; the day it left must be rebuilt too, or
    the reports would count the event twice. The daily reports and the per-day models rebuild
    the tenant-days changed after their own latest last_staged_at (macro
    only_changed_tenant_days).

    Incremental: the records classified after this model's latest changed_at are read; a full
    build classifies every record, so it lists every tenant-day once.
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key=['tenant_id', 'occurred_date', 'changed_at'],
) }}

with

classified_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    where record_class <> 'quarantined'
    {%- if is_incremental() %}
        and classified_at > {{ p402_monitor.staged_watermark('changed_at') }}
    {%- endif %}

),

tenant_day_changes as (

    {#- Every version of a changed event is classified again with it: the latest says where the
        event is, the others where it was. A valid record's ledger_date is its occurred_at day. #}
    select
        tenant_id,
        ledger_date as occurred_date,
        classified_at as changed_at
    from classified_records
    group by 1, 2, 3

)

select * from tenant_day_changes
