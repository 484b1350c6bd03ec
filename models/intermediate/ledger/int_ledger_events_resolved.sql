{#-
    One row per valid event: which record carries its latest version (by source file and line,
    and when it was recorded), how many records delivered it, and when it was first recorded and
    last staged. The latest record's fields are joined from staging by fct_ai_events.

    A view: the classification already holds all of it on each event's latest record, computed
    in its window pass, so resolving an event costs no aggregation and no table of its own, and
    is always as current as the classification.
-#}

{{ config(materialized='view') }}

with

latest_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    where record_class = 'latest'

),

resolved as (

    select
        event_id,
        source_file,
        source_line,
        recorded_at,
        version,
        event_records_delivered as records_delivered,
        event_first_recorded_at as first_recorded_at,
        event_last_staged_at as last_staged_at,
        classified_at as last_classified_at
    from latest_records

)

select * from resolved
