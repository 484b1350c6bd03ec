{#
    One row per AI event (its latest version) with every owner dimension, measure and flag.
    Missing owners are named, never dropped: a missing department, employee or workflow is
    '(unattributed)', a missing customer or budget '(none)', a missing outcome 'pending'. The
    taxonomy seeds add cost center, division and owning department; the event's own owner
    fields stay authoritative, and a department the taxonomy does not know maps to '(unmapped)'.

    The event's fields are those of the record that carries its latest version, which
    int_ledger_events_resolved points to by source file and line.

    Incremental: an event is rebuilt when it was resolved again after this model's latest
    last_staged_at. Both lookups by event read only part of a table, because staging and this
    model are roughly in the order records were recorded: the latest record is also matched on
    its recorded_at, and the rows replaced are looked for among those first recorded no earlier
    than the earliest rebuilt event (records are only ever added, so an event's
    first_recorded_at never moves later: see macros/portability/delete_insert_by_recency.sql).
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key='event_id',
    incremental_strategy='delete_insert_by_recency',
    recency_column='first_recorded_at',
) }}

with

events as (

    select * from {{ ref('int_ledger_events_resolved') }}
    {%- if is_incremental() %}
        where last_staged_at > {{ p402_monitor.staged_watermark('last_staged_at') }}
    {%- endif %}

),

records as (

    select * from {{ ref('stg_ledger__records') }}

),

departments as (

    select * from {{ ref('owner_departments') }}

),

workflows as (

    select * from {{ ref('owner_workflows') }}

),

vendors as (

    select * from {{ ref('vendors') }}

),

price_book as (

    select * from {{ ref('model_price_book') }}

),

events_with_owners as (

    select
        events.event_id,
        records.tenant_id,
        records.trace_id,
        coalesce(records.employee_id, '(unattributed)') as employee_id,
        coalesce(records.customer_id, '(none)') as customer_id,
        coalesce(records.budget_id, '(none)') as budget_id,
        coalesce(records.department, '(unattributed)') as department,
        coalesce(records.workflow, '(unattributed)') as workflow,
        records.vendor,
        records.model_requested,
        records.model_used,
        coalesce(records.outcome, 'pending') as outcome,
        records.policy_result,
        records.receipt_status,
        records.evidence_status,
        records.privacy_mode,
        events.version,
        records.attempt,
        records.input_tokens,
        records.output_tokens,
        records.cached_input_tokens,
        records.latency_ms,
        records.cost_usd,
        records.department is not null as is_attributed,
        records.occurred_date,
        records.occurred_at,
        events.first_recorded_at,
        records.recorded_at,
        events.last_staged_at
    from events
    inner join records
        on
            events.source_file = records.source_file
            and events.source_line = records.source_line
            and events.recorded_at = records.recorded_at

),

events_joined_to_reference as (

    select
        events_with_owners.*,
        case
            when not events_with_owners.is_attributed then '(unattributed)'
            else coalesce(departments.cost_center, '(unmapped)')
        end as cost_center,
        case
            when not events_with_owners.is_attributed then '(unattributed)'
            else coalesce(departments.division, '(unmapped)')
        end as division,
        case
            when events_with_owners.workflow = '(unattributed)' then '(unattributed)'
            else coalesce(workflows.owning_department, '(unmapped)')
        end as workflow_owning_department,
        coalesce(vendors.vendor_name, events_with_owners.vendor) as vendor_name,
        {{ p402_monitor.list_cost_usd('events_with_owners', 'used_price') }} as list_cost_usd,
        {{ p402_monitor.list_cost_usd('events_with_owners', 'requested_price') }}
            as requested_model_list_cost_usd
    from events_with_owners
    left join departments
        on events_with_owners.department = departments.department
    left join workflows
        on events_with_owners.workflow = workflows.workflow
    left join vendors
        on events_with_owners.vendor = vendors.vendor
    left join price_book as used_price
        on {{ p402_monitor.price_in_force(
            'used_price', 'events_with_owners', 'vendor', 'model_used'
        ) }}
    left join price_book as requested_price
        on {{ p402_monitor.price_in_force(
            'requested_price', 'events_with_owners', 'vendor', 'model_requested'
        ) }}

),

final as (

    select
        -- ids
        event_id,
        tenant_id,
        trace_id,
        employee_id,
        customer_id,
        budget_id,

        -- owners and attributes
        department,
        cost_center,
        division,
        workflow,
        workflow_owning_department,
        vendor,
        vendor_name,
        model_requested,
        model_used,
        outcome,
        policy_result,
        receipt_status,
        evidence_status,
        privacy_mode,

        -- measures
        version,
        attempt,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        input_tokens + output_tokens as total_tokens,
        latency_ms,
        cost_usd,
        list_cost_usd,
        requested_model_list_cost_usd,

        -- flags
        is_attributed,
        model_used <> model_requested as is_fallback,
        attempt > 1 as is_retry,
        policy_result = 'blocked' as is_blocked,
        outcome <> 'pending' as has_known_outcome,
        receipt_status = 'verified' as has_verified_receipt,
        evidence_status = 'complete' as has_complete_evidence,

        -- dates
        occurred_date,
        cast({{ dbt.date_trunc('week', 'occurred_date') }} as date) as occurred_week,
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as occurred_month,

        -- timestamps
        occurred_at,
        first_recorded_at,
        recorded_at,
        last_staged_at

    from events_joined_to_reference

)

select * from final
