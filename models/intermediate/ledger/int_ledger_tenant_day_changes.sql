{#
    The tenant-days each staging batch changed: for every event that a batch resolved again,
    the tenant-day it is on now and every tenant-day an earlier version of it was on. A late
    version can move an event to another day or tenant; the day it left must be rebuilt too, or
    the reports would count the event twice. The daily reports and the drift member days rebuild
    the tenant-days changed after their own latest last_staged_at (macro only_changed_tenant_days).

    Incremental: the events resolved after this model's latest last_staged_at are looked up.
    A full build changes every tenant-day, so it lists each one with the build's batch.
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key=['tenant_id', 'occurred_date', 'last_staged_at'],
) }}

with

valid_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    where record_class <> 'quarantined'

),

changed_events as (  -- noqa: ST03

    {#- Unread by a full build (see below), hence the noqa. #}
    select * from {{ ref('int_ledger_events_resolved') }}
    {%- if is_incremental() %}
        where last_staged_at > {{ p402_monitor.staged_watermark('last_staged_at') }}
    {%- endif %}

),

changed_event_records as (

    {#- Every version of a changed event: the latest says where it is, the others where it was.
        A full build changes every event, so it needs no join to find their records. #}
    {%- if is_incremental() %}
        select
            valid_records.tenant_id,
            valid_records.ledger_date,
            changed_events.last_staged_at
        from valid_records
        inner join changed_events
            on valid_records.event_id = changed_events.event_id
    {%- else %}
        select
            tenant_id,
            ledger_date,
            staged_at as last_staged_at
        from valid_records
    {%- endif %}

),

tenant_day_changes as (

    {#- A valid record's ledger_date is its occurred_at day. #}
    select
        tenant_id,
        ledger_date as occurred_date,
        last_staged_at
    from changed_event_records
    group by 1, 2, 3

)

select * from tenant_day_changes
