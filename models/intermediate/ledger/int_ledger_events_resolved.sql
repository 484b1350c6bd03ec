{#-
    One row per valid event: its latest version, with how many records the event was delivered in.
    Incremental: an event is resolved again when one of its records was staged after this model's
    latest last_staged_at.
-#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='event_id',
) }}

with

classified_records as (

    select * from {{ ref('int_ledger_records_classified') }}
    {%- if is_incremental() %}
        where event_id in (
            select newly_classified.event_id
            from {{ ref('int_ledger_records_classified') }} as newly_classified
            where newly_classified.staged_at > {{ p402_monitor.staged_watermark('last_staged_at') }}
        )
    {%- endif %}

),

version_history as (

    select
        event_id,
        count(*) as records_delivered,
        min(recorded_at) as first_recorded_at,
        max(staged_at) as last_staged_at
    from classified_records
    where record_class <> 'quarantined'
    group by event_id

),

latest_versions as (

    select * from classified_records
    where record_class = 'latest'

),

resolved as (

    select
        latest_versions.event_id,
        latest_versions.record_id,
        latest_versions.tenant_id,
        latest_versions.trace_id,
        latest_versions.budget_id,
        latest_versions.customer_id,
        latest_versions.employee_id,
        latest_versions.department,
        latest_versions.workflow,
        latest_versions.vendor,
        latest_versions.model_requested,
        latest_versions.model_used,
        latest_versions.policy_result,
        latest_versions.outcome,
        latest_versions.receipt_status,
        latest_versions.evidence_status,
        latest_versions.privacy_mode,
        latest_versions.prompt_fingerprint,
        latest_versions.response_fingerprint,
        latest_versions.labels_json,
        latest_versions.version,
        version_history.records_delivered,
        latest_versions.input_tokens,
        latest_versions.output_tokens,
        latest_versions.cached_input_tokens,
        latest_versions.cost_usd,
        latest_versions.latency_ms,
        latest_versions.attempt,
        latest_versions.occurred_date,
        latest_versions.occurred_at,
        version_history.first_recorded_at,
        latest_versions.recorded_at,
        version_history.last_staged_at
    from latest_versions
    inner join version_history
        on latest_versions.event_id = version_history.event_id

)

select * from resolved
