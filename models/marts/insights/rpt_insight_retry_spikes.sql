{#-
    Retry spikes: a tenant's workflow in one UTC hour (int_insight_workflow_hours) where retries
    took more than the var `retry_spike_share` (default 0.25) of the spend, judged only when the
    hour holds at least `retry_spike_min_events` (default 20) of the workflow's events:
        retry_cost_share = retry_cost_usd / cost_usd   (null when the hour cost nothing).
-#}

{#- A view: a filter over int_insight_workflow_hours, which holds what a build computes. -#}
{{ config(materialized='view') }}

{%- set min_events = p402_monitor.insight_threshold('retry_spike_min_events', 'count') %}
{%- set min_share = p402_monitor.insight_threshold('retry_spike_share', 'share') %}
{%- set ratio = p402_monitor.type_ratio() %}

with

workflow_hours as (

    select * from {{ ref('int_insight_workflow_hours') }}

),

workflow_hours_with_share as (

    select
        *,
        cast(retry_cost_usd as {{ ratio }}) / nullif(cast(cost_usd as {{ ratio }}), 0) as retry_cost_share
    from workflow_hours

),

final as (

    select
        tenant_id,
        workflow,
        department,
        events,
        retries,
        retry_cost_usd,
        cost_usd,
        retry_cost_share,
        occurred_date,
        occurred_hour
    from workflow_hours_with_share
    where
        events >= {{ min_events }}
        and retry_cost_share > {{ min_share }}

)

select * from final
