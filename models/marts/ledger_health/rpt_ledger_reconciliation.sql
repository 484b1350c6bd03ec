{#
    The contract's rule, per tenant and day: every record read is exactly one of a latest
    version, a superseded version, a replay, or quarantined. Records read are counted from
    staging, the classes from the classification, so a record lost between them shows here
    (and fails the reconciliation test). The day is the record's occurred_at day, or its
    recorded_at day when occurred_at cannot be read; tenant '(unknown)' when it cannot be read.

    Incremental per tenant and day: the days of the records classified after the model's latest
    last_classified_at (new records, and every version of the events they changed) are counted
    again whole. A record never changes day, so every day keeps its row; the records with no
    readable day have no key to replace, so their row is deleted first (pre-hook) and rebuilt.
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key=['tenant_id', 'ledger_date'],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where ledger_date is null{% endif %}",
) }}

{%- set only_changed_days -%}
    {%- if is_incremental() %}
        and (
            ledger_date is null
            or (coalesce(tenant_id, '(unknown)'), ledger_date) in (
                select coalesce(changed.tenant_id, '(unknown)'), changed.ledger_date
                from {{ ref('int_ledger_records_classified') }} as changed
                where changed.classified_at > {{ p402_monitor.staged_watermark('last_classified_at') }}
            )
        )
    {%- endif %}
{%- endset %}

with

records_read as (

    select * from {{ ref('stg_ledger__records') }}
    where {{ p402_monitor.as_of_filter('recorded_at') }}
    {{ only_changed_days }}

),

classified_records as (

    {#- The classification holds only records as of `as_of` already: the filter keeps nothing out. #}
    select * from {{ ref('int_ledger_records_classified') }}
    where {{ p402_monitor.as_of_filter('recorded_at') }}
    {{ only_changed_days }}

),

read_by_day as (

    select
        coalesce(tenant_id, '(unknown)') as tenant_id,
        ledger_date,
        count(*) as records_read,
        sum(cost_usd) as cost_usd_read,
        max(recorded_at) as ledger_high_water_mark_at
    from records_read
    group by 1, 2

),

classes_by_day as (

    select
        coalesce(tenant_id, '(unknown)') as tenant_id,
        ledger_date,
        {%- for record_class in ['latest', 'superseded', 'replay', 'quarantined'] %}
            sum(case when record_class = '{{ record_class }}' then 1 else 0 end)
                as {{ record_class }}_records,
            coalesce(sum(case when record_class = '{{ record_class }}' then cost_usd end), 0)
                as {{ record_class }}_cost_usd,
        {%- endfor %}
        sum(case when record_class = 'quarantined' and cost_usd is null then 1 else 0 end)
            as quarantined_records_without_cost,
        max(classified_at) as last_classified_at
    from classified_records
    group by 1, 2

),

reconciled as (

    select
        read_by_day.tenant_id,
        read_by_day.ledger_date,
        read_by_day.records_read,
        coalesce(classes_by_day.latest_records, 0) as latest_records,
        coalesce(classes_by_day.superseded_records, 0) as superseded_records,
        coalesce(classes_by_day.replay_records, 0) as replay_records,
        coalesce(classes_by_day.quarantined_records, 0) as quarantined_records,
        coalesce(classes_by_day.quarantined_records_without_cost, 0) as quarantined_records_without_cost,
        coalesce(read_by_day.cost_usd_read, 0) as cost_usd_read,
        coalesce(classes_by_day.latest_cost_usd, 0) as latest_cost_usd,
        coalesce(classes_by_day.superseded_cost_usd, 0) as superseded_cost_usd,
        coalesce(classes_by_day.replay_cost_usd, 0) as replay_cost_usd,
        coalesce(classes_by_day.quarantined_cost_usd, 0) as quarantined_cost_usd,
        read_by_day.ledger_high_water_mark_at,
        classes_by_day.last_classified_at
    from read_by_day
    left join classes_by_day
        on
            read_by_day.tenant_id = classes_by_day.tenant_id
            and (
                read_by_day.ledger_date = classes_by_day.ledger_date
                or (read_by_day.ledger_date is null and classes_by_day.ledger_date is null)
            )

)

select * from reconciled
