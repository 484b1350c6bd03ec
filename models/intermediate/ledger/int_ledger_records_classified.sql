{#
    Every record the ledger held at `as_of` (all of them without it), in exactly one class:
      latest      the highest version of a valid event: the truth, and the only class that is spend
      superseded  an earlier version of a valid event: history
      replay      a second delivery of an event_id and version already read: counted once
      quarantined failed a contract check (see quarantine_reason)
    Of two deliveries of the same version, the first recorded (then first in file order) is kept.

    Narrow on purpose: a record is identified by its source file and line, and its other fields
    stay in staging (trace_id is kept so that the retry insights can find the traces a build
    changed). Copying every field of every record once more would cost more than all the
    classification itself on a large ledger. The latest record of each valid event also carries
    the event's totals (records delivered, first recorded, last staged), computed in the same
    window pass: int_ledger_events_resolved is then a view of the latest records, with no
    aggregation of its own.

    Incremental: an event's records are classified again, all of them, when a record of it is
    staged after this model's latest staged_at (delete+insert on event_id); newly staged
    quarantined records are added. classified_at says which build last classified a record, so
    the records of the events a build changed are those it classified (see
    int_ledger_tenant_day_changes).
#}

{#- A record staged again is a malformed line (see register_ledger_files), which has no
    event_id: the delete+insert on event_id cannot replace its row, so the pre-hook deletes it. #}
{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='event_id',
    pre_hook="{{ p402_monitor.delete_restaged_records(held_where='held.event_id is null') }}",
) }}

with

records as (

    select * from {{ ref('stg_ledger__records') }}
    where {{ p402_monitor.as_of_filter('recorded_at') }}
    {%- if is_incremental() %}
        {%- set records_of_newly_staged_events -%}
            staged_at > {{ p402_monitor.staged_watermark() }}
            or event_id in (
                select newly_staged.event_id
                from {{ ref('stg_ledger__records') }} as newly_staged
                where newly_staged.staged_at > {{ p402_monitor.staged_watermark() }}
            )
        {%- endset %}
        and {{ p402_monitor.rows_where(ref('stg_ledger__records'), records_of_newly_staged_events) }}
    {%- endif %}

),

classified as (

    {#- One ordering serves both questions: within an event's valid records, highest version
        first and each version's deliveries in the order they were recorded. The first row is
        the latest version; a row with the same version as the row before it is a replay. -#}
    {%- set event_records = 'partition by event_id, is_quarantined' -%}
    {%- set in_delivery_order -%}
        {{ event_records }}
        order by version desc, recorded_at, source_file, source_line
    {%- endset %}

    select
        source_file,
        source_line,
        event_id,
        tenant_id,
        trace_id,
        version,
        cost_usd,
        case
            when is_quarantined then 'quarantined'
            when version = lag(version) over ({{ in_delivery_order }}) then 'replay'
            when version < first_value(version) over ({{ in_delivery_order }}) then 'superseded'
            else 'latest'
        end as record_class,
        count(*) over ({{ event_records }}) as records_of_event,
        min(recorded_at) over ({{ event_records }}) as event_first_recorded_at,
        max(staged_at) over ({{ event_records }}) as event_last_staged_at,
        ledger_date,
        recorded_at,
        staged_at,
        {{ p402_monitor.build_started_at() }} as classified_at
    from records

),

final as (

    {#- The event's totals are kept on its latest record only: that row is the event's
        resolution (int_ledger_events_resolved), and nulls cost nothing to store. -#}
    select
        source_file,
        source_line,
        event_id,
        tenant_id,
        trace_id,
        version,
        cost_usd,
        record_class,
        case when record_class = 'latest' then records_of_event end as event_records_delivered,
        case when record_class = 'latest' then event_first_recorded_at end as event_first_recorded_at,
        case when record_class = 'latest' then event_last_staged_at end as event_last_staged_at,
        ledger_date,
        recorded_at,
        staged_at,
        classified_at
    from classified

)

select * from final
