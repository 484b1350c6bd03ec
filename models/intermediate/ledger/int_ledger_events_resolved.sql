{#-
    One row per valid event: which record carries its latest version (by source file and line,
    and when it was recorded), how many records delivered it, and when it was first recorded and
    last staged. The latest record's fields are joined from staging by fct_ai_events.

    Incremental: an event is resolved again when its records were classified after this model's
    latest last_classified_at. A build that classifies an event classifies all of its records,
    so they are all read, without looking the event up in the whole classification.
-#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='event_id',
) }}

with

classified_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    where record_class <> 'quarantined'
    {%- if is_incremental() %}
        and classified_at > {{ p402_monitor.staged_watermark('last_classified_at') }}
    {%- endif %}

),

resolved as (

    {#- Each valid event has exactly one latest record: the conditional max picks it out in the
        same pass as the counts, with no join back. -#}
    select
        event_id,
        max(case when record_class = 'latest' then source_file end) as source_file,
        max(case when record_class = 'latest' then source_line end) as source_line,
        max(case when record_class = 'latest' then recorded_at end) as recorded_at,
        max(version) as version,
        count(*) as records_delivered,
        min(recorded_at) as first_recorded_at,
        max(staged_at) as last_staged_at,
        max(classified_at) as last_classified_at
    from classified_records
    group by event_id

)

select * from resolved
