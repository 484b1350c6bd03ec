{#
    Every record the ledger held at `as_of` (all of them without it), in exactly one class:
      latest      the highest version of a valid event: the truth, and the only class that is spend
      superseded  an earlier version of a valid event: history
      replay      a second delivery of an event_id and version already read: counted once
      quarantined failed a contract check (see quarantine_reason)
    Of two deliveries of the same version, the first recorded (then first in file order) is kept.

    Incremental: an event's records are classified again, all of them, when a record of it is
    staged after this model's latest staged_at; newly staged quarantined records are added.
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='record_id',
) }}

with

records as (

    select * from {{ ref('stg_ledger__records') }}
    where {{ p402_monitor.as_of_filter('recorded_at') }}
    {%- if is_incremental() %}
        and (
            staged_at > {{ p402_monitor.staged_watermark() }}
            or event_id in (
                select newly_staged.event_id
                from {{ ref('stg_ledger__records') }} as newly_staged
                where newly_staged.staged_at > {{ p402_monitor.staged_watermark() }}
            )
        )
    {%- endif %}

),

valid_records_ranked as (

    select
        record_id,
        row_number() over (
            partition by event_id, version
            order by recorded_at, source_file, source_line
        ) as delivery_number,
        max(version) over (partition by event_id) as latest_version
    from records
    where not is_quarantined

),

classified as (

    select
        records.*,
        case
            when records.is_quarantined then 'quarantined'
            when valid_records_ranked.delivery_number > 1 then 'replay'
            when records.version < valid_records_ranked.latest_version then 'superseded'
            else 'latest'
        end as record_class
    from records
    left join valid_records_ranked
        on records.record_id = valid_records_ranked.record_id

)

select * from classified
